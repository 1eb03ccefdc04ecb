//! The lane kernels against `quantized::reference` on pseudo-random
//! parameters (canonical ones from `new` and arbitrary valid fields) and
//! rows, at every row length up to three 16-lane vectors and past the
//! per-call exp table threshold: every output must be bit-identical.

use softmax_simd::quantized::{self, LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params, reference};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    /// A scale spread log-uniformly over `[2^lo, 2^hi]`.
    fn scale(&mut self, lo: i32, hi: i32) -> f32 {
        let e = self.range(i64::from(lo) * 1000, i64::from(hi) * 1000) as f32 / 1000.0;
        libm::exp2f(e)
    }
}

fn row_sizes() -> Vec<usize> {
    let mut sizes: Vec<usize> = (1..=50).collect();
    sizes.extend([63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 4099]);
    sizes
}

fn s8_row(rng: &mut Rng, n: usize) -> Vec<i8> {
    // Full range, a narrow window, or mostly equal values.
    match rng.below(3) {
        0 => (0..n).map(|_| rng.next() as i8).collect(),
        1 => {
            let base = rng.range(-128, 117) as i8;
            (0..n).map(|_| base.wrapping_add(rng.below(11) as i8)).collect()
        }
        _ => {
            let v = rng.next() as i8;
            (0..n)
                .map(|_| if rng.below(8) == 0 { rng.next() as i8 } else { v })
                .collect()
        }
    }
}

fn s8_params(rng: &mut Rng) -> SoftmaxParams {
    if rng.below(2) == 0 {
        SoftmaxParams::new(rng.scale(-20, 6), rng.scale(-3, 4)).unwrap()
    } else {
        SoftmaxParams {
            multiplier: rng.range(1, i64::from(i32::MAX)) as i32,
            shift: rng.range(0, 31) as i32,
            diff_min: if rng.below(2) == 0 {
                -(rng.range(0, 300) as i32)
            } else {
                -(rng.next() as i32 & i32::MAX)
            },
        }
    }
}

fn log_params(rng: &mut Rng) -> LogSoftmaxParams {
    if rng.below(2) == 0 {
        LogSoftmaxParams::new(rng.scale(-20, 6)).unwrap()
    } else {
        LogSoftmaxParams {
            multiplier: rng.range(1, i64::from(i32::MAX)) as i32,
            shift: rng.range(0, 31) as i32,
            reverse_scaling_divisor: rng.range(1, i64::from(i32::MAX)) as i32,
            reverse_scaling_right_shift: rng.range(0, 31) as i32,
            diff_min: -(rng.range(0, 1 << 20) as i32),
        }
    }
}

fn s16_params(rng: &mut Rng) -> SoftmaxS16Params {
    loop {
        let p = match rng.below(3) {
            0 => SoftmaxS16Params::new(rng.scale(-16, 0), rng.scale(-3, 4)),
            1 => SoftmaxS16Params::new_tflm(rng.scale(-16, 0), rng.scale(-3, 4)),
            _ => Ok(SoftmaxS16Params {
                multiplier: rng.range(1, i64::from(i32::MAX)) as i32,
                shift: rng.range(-31, 31) as i32,
            }),
        };
        if let Ok(p) = p {
            return p;
        }
    }
}

/// Rows per call: one row (direct lane path for short rows) or enough rows
/// to cross the per-call table threshold.
fn rows_for(rng: &mut Rng, n: usize) -> usize {
    if rng.below(2) == 0 { 1 } else { (300 / n).clamp(1, 40) }
}

type Kernel<I, O, P> = fn(&[I], usize, &P, &mut [O]) -> Result<(), softmax_simd::Error>;

/// Runs a lane kernel and its reference on the same rows: bit-identical.
fn agree<I, O: Copy + Default + PartialEq + core::fmt::Debug, P: core::fmt::Debug>(
    name: &str,
    simd: Kernel<I, O, P>,
    reference: Kernel<I, O, P>,
    input: &[I],
    n: usize,
    p: &P,
) {
    let (mut a, mut b) = (vec![O::default(); input.len()], vec![O::default(); input.len()]);
    simd(input, n, p, &mut a).unwrap();
    reference(input, n, p, &mut b).unwrap();
    assert_eq!(a, b, "{name} n={n} len={} {p:?}", input.len());
}

#[test]
fn int8_kernels_match_reference() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for n in row_sizes() {
        for _ in 0..12 {
            let rows = rows_for(&mut rng, n);
            let input: Vec<i8> = (0..rows).flat_map(|_| s8_row(&mut rng, n)).collect();
            let p = s8_params(&mut rng);
            agree(
                "softmax_s8",
                quantized::softmax_s8,
                reference::softmax_s8,
                &input,
                n,
                &p,
            );
            agree(
                "softmax_s8_s16",
                quantized::softmax_s8_s16,
                reference::softmax_s8_s16,
                &input,
                n,
                &p,
            );
            let lp = log_params(&mut rng);
            agree(
                "log_softmax_s8",
                quantized::log_softmax_s8,
                reference::log_softmax_s8,
                &input,
                n,
                &lp,
            );
        }
    }
}

#[test]
fn int16_kernels_match_reference() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for n in row_sizes() {
        for _ in 0..12 {
            let rows = rows_for(&mut rng, n);
            let spread = 1i64 << rng.range(0, 16);
            let base = rng.range(-32768, 32767 - spread + 1);
            let input: Vec<i16> = (0..rows * n)
                .map(|_| rng.range(base, base + spread - 1) as i16)
                .collect();
            let p = s16_params(&mut rng);
            agree(
                "softmax_s16",
                quantized::softmax_s16,
                reference::softmax_s16,
                &input,
                n,
                &p,
            );
            agree(
                "softmax_s16_tflm",
                quantized::softmax_s16_tflm,
                reference::softmax_s16_tflm,
                &input,
                n,
                &p,
            );
        }
    }
}
