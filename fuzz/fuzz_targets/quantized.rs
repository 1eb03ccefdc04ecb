//! `quantized`: every lane kernel of `softmax_simd::quantized` against its
//! scalar twin in `quantized::reference`, bit for bit, for arbitrary
//! parameter fields (valid or not: both must then return the same `Err`),
//! parameters from `new` on arbitrary f32 scales and betas, and rows whose
//! length sits on and around every lane multiple (4, 8, 16 lanes) or is
//! arbitrary, one row per call or many (so both the direct lane path and
//! the per-call exp table are reached).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd::Error;
use softmax_simd::quantized::{self, LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params, reference};

#[derive(Arbitrary, Debug)]
enum Params {
    /// Raw fields, checked by the kernels.
    Fields {
        multiplier: i32,
        shift: i32,
        diff_min: i32,
        reverse_divisor: i32,
        reverse_shift: i32,
    },
    /// `new(f32::from_bits(scale), f32::from_bits(beta))`; skipped on `Err`.
    New { scale: u32, beta: u32 },
}

#[derive(Arbitrary, Debug)]
enum Length {
    /// `lanes * k + delta - 1` for lanes in {4, 8, 16}, k in 0..=8, delta in 0..=2.
    AroundLanes {
        lanes: u8,
        k: u8,
        delta: u8,
    },
    Any(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    kernel: u8,
    params: Params,
    length: Length,
    rows: u8,
    /// Row values, repeated cyclically to fill the input.
    values: Vec<i16>,
    /// A wrong output length to try (only used when it differs).
    wrong_out: Option<u16>,
}

fn row_size(length: &Length) -> usize {
    match *length {
        Length::AroundLanes { lanes, k, delta } => {
            let lanes = [4usize, 8, 16][usize::from(lanes % 3)];
            (lanes * usize::from(k % 9) + usize::from(delta % 3)).saturating_sub(1)
        }
        Length::Any(n) => usize::from(n % 5000),
    }
}

type Kernel<I, O, P> = fn(&[I], usize, &P, &mut [O]) -> Result<(), Error>;

/// Both kernels on the same call: equal outputs or equal errors.
fn agree<I, O: Copy + Default + PartialEq + core::fmt::Debug, P: core::fmt::Debug>(
    simd: Kernel<I, O, P>,
    reference: Kernel<I, O, P>,
    input: &[I],
    row_size: usize,
    out_len: usize,
    params: &P,
) {
    let mut a = vec![O::default(); out_len];
    let mut b = vec![O::default(); out_len];
    let ra = simd(input, row_size, params, &mut a);
    let rb = reference(input, row_size, params, &mut b);
    assert_eq!(
        ra,
        rb,
        "results differ: row_size {row_size}, len {}, {params:?}",
        input.len()
    );
    assert_eq!(
        a,
        b,
        "outputs differ: row_size {row_size}, len {}, {params:?}",
        input.len()
    );
}

fn s8_params(p: &Params) -> Option<SoftmaxParams> {
    match *p {
        Params::Fields {
            multiplier,
            shift,
            diff_min,
            ..
        } => Some(SoftmaxParams {
            multiplier,
            shift,
            diff_min,
        }),
        Params::New { scale, beta } => SoftmaxParams::new(f32::from_bits(scale), f32::from_bits(beta)).ok(),
    }
}

fn log_params(p: &Params) -> Option<LogSoftmaxParams> {
    match *p {
        Params::Fields {
            multiplier,
            shift,
            diff_min,
            reverse_divisor,
            reverse_shift,
        } => Some(LogSoftmaxParams {
            multiplier,
            shift,
            reverse_scaling_divisor: reverse_divisor,
            reverse_scaling_right_shift: reverse_shift,
            diff_min,
        }),
        Params::New { scale, .. } => LogSoftmaxParams::new(f32::from_bits(scale)).ok(),
    }
}

fn s16_params(p: &Params, tflm: bool) -> Option<SoftmaxS16Params> {
    match *p {
        Params::Fields { multiplier, shift, .. } => Some(SoftmaxS16Params { multiplier, shift }),
        Params::New { scale, beta } => {
            let (scale, beta) = (f32::from_bits(scale), f32::from_bits(beta));
            if tflm {
                SoftmaxS16Params::new_tflm(scale, beta)
            } else {
                SoftmaxS16Params::new(scale, beta)
            }
            .ok()
        }
    }
}

fuzz_target!(|input: Input| {
    let n = row_size(&input.length);
    let rows = usize::from(input.rows % 64).max(1);
    // Bound the work per run: at most 2^16 values.
    let len = if n == 0 {
        usize::from(input.rows % 8)
    } else {
        (n * rows).min((1 << 16) / n * n)
    };
    let values: Vec<i16> = if input.values.is_empty() {
        vec![0]
    } else {
        input.values.clone()
    };
    let x16: Vec<i16> = values.iter().copied().cycle().take(len).collect();
    let x8: Vec<i8> = x16.iter().map(|&v| v as i8).collect();
    let out_lens = [Some(len), input.wrong_out.map(usize::from)];
    for out_len in out_lens.into_iter().flatten() {
        match input.kernel % 5 {
            0 => {
                if let Some(p) = s8_params(&input.params) {
                    agree(quantized::softmax_s8, reference::softmax_s8, &x8, n, out_len, &p);
                }
            }
            1 => {
                if let Some(p) = s8_params(&input.params) {
                    agree(
                        quantized::softmax_s8_s16,
                        reference::softmax_s8_s16,
                        &x8,
                        n,
                        out_len,
                        &p,
                    );
                }
            }
            2 => {
                if let Some(p) = log_params(&input.params) {
                    agree(
                        quantized::log_softmax_s8,
                        reference::log_softmax_s8,
                        &x8,
                        n,
                        out_len,
                        &p,
                    );
                }
            }
            3 => {
                if let Some(p) = s16_params(&input.params, false) {
                    agree(quantized::softmax_s16, reference::softmax_s16, &x16, n, out_len, &p);
                }
            }
            _ => {
                if let Some(p) = s16_params(&input.params, true) {
                    agree(
                        quantized::softmax_s16_tflm,
                        reference::softmax_s16_tflm,
                        &x16,
                        n,
                        out_len,
                        &p,
                    );
                }
            }
        }
    }
});
