//! Criterion: the quantized kernels (`softmax_simd::quantized`, lanes)
//! against their scalar references (`quantized::reference`) and the
//! crate's f32 `softmax` on the same logits, one row per call at row
//! lengths 10, 100, 1000 and 4096; throughput in elements.
//!
//! Run: `cargo bench --bench quantized -- --warm-up-time 1 --measurement-time 2`
//! (add `RUSTFLAGS="-C target-cpu=x86-64-v3"` for 8 lanes).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use softmax_simd::quantized::{self, LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params, reference};
use std::hint::black_box;

const LENGTHS: [usize; 4] = [10, 100, 1000, 4096];

/// Input scales of the benchmarked tensors: int8 logits over about ±8,
/// int16 over about ±16.
const S8_SCALE: f32 = 1.0 / 16.0;
const S16_SCALE: f32 = 1.0 / 2048.0;

/// Deterministic full-range integers (a 32-bit LCG).
fn ints(n: usize, seed: u32) -> Vec<i32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 16) as i32 - 32768
        })
        .collect()
}

type Kernel<I, O, P> = fn(&[I], usize, &P, &mut [O]) -> Result<(), softmax_simd::Error>;

/// One group: the lane kernel, its reference, and f32 `softmax` on the
/// dequantized input, for every length.
fn group<I: Copy, O: Copy + Default, P>(
    c: &mut Criterion,
    name: &str,
    input_of: impl Fn(&[i32]) -> Vec<I>,
    scale: f32,
    params: &P,
    kernels: [(&str, Kernel<I, O, P>); 2],
) where
    i32: From<I>,
{
    let mut g = c.benchmark_group(name);
    for n in LENGTHS {
        g.throughput(Throughput::Elements(n as u64));
        let input = input_of(&ints(n, n as u32));
        let mut out = vec![O::default(); n];
        for (label, kernel) in kernels {
            g.bench_with_input(BenchmarkId::new(label, n), &input, |b, x| {
                b.iter(|| kernel(black_box(x), n, params, &mut out).unwrap())
            });
        }
        let logits: Vec<f32> = input.iter().map(|&v| i32::from(v) as f32 * scale).collect();
        let mut out_f32 = vec![0.0f32; n];
        g.bench_with_input(BenchmarkId::new("f32_softmax", n), &logits, |b, x| {
            b.iter(|| softmax_simd::softmax(black_box(x), &mut out_f32).unwrap())
        });
    }
    g.finish();
}

fn to_i8(v: &[i32]) -> Vec<i8> {
    v.iter().map(|&x| (x >> 8) as i8).collect()
}

fn to_i16(v: &[i32]) -> Vec<i16> {
    v.iter().map(|&x| x as i16).collect()
}

fn benches(c: &mut Criterion) {
    let p8 = SoftmaxParams::new(S8_SCALE, 1.0).unwrap();
    let lp = LogSoftmaxParams::new(S8_SCALE).unwrap();
    let p16 = SoftmaxS16Params::new(S16_SCALE, 1.0).unwrap();
    // Each kernel beside its scalar reference, under the kernel's name.
    macro_rules! group {
        ($kernel:ident, $input:expr, $scale:expr, $params:expr) => {
            group(
                c,
                stringify!($kernel),
                $input,
                $scale,
                $params,
                [("simd", quantized::$kernel), ("reference", reference::$kernel)],
            )
        };
    }
    group!(softmax_s8, to_i8, S8_SCALE, &p8);
    group!(softmax_s8_s16, to_i8, S8_SCALE, &p8);
    group!(softmax_s16, to_i16, S16_SCALE, &p16);
    group!(log_softmax_s8, to_i8, S8_SCALE, &lp);
}

criterion_group!(quantized_benches, benches);
criterion_main!(quantized_benches);
