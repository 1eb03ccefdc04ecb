//! Criterion study of the training API against its baselines (issue 12,
//! "Speed"), each pair measured in the same run:
//!
//! - `scaled_*`: `softmax`, `log_softmax`, `logsumexp` at temperature
//!   (`beta = 0.7`, function `scaled`) beside the unscaled kernel (function
//!   `unscaled`); gate: `scaled` within 5% of `unscaled`.
//! - `backward_*`: `softmax_backward` and `log_softmax_backward` (function
//!   `softmax_simd`) beside a plain std loop (function `std_loop`: the dot
//!   product or sum, then the element-wise pass; `f32::exp` for the log
//!   form); gate: at least 4x at 4096.
//! - `cross_entropy_rows`: the mean loss and its gradient over 256 rows of
//!   10 classes and 64 rows of 1000 (`softmax_simd`), beside a per-row std
//!   loop computing the same loss and gradient (`std_loop`: max, `f32::exp`
//!   into the gradient row, sum, `ln`, then `(p - onehot) / rows`); gate: at
//!   least 3x.
//!
//! Run: `taskset -c 1 cargo bench --bench training -- --warm-up-time 1 --measurement-time 2`,
//! then `python3 scripts/training_report.py` for the ratios against the gates.

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

#[path = "support/cpu_time.rs"]
mod cpu_time;
#[path = "support/data.rs"]
mod data;
use cpu_time::CpuTime;
use data::{Apart, logits};

type C = Criterion<CpuTime>;

const BETA: f32 = 0.7;

fn setup(g: &mut BenchmarkGroup<'_, CpuTime>, n: usize) {
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(30);
}

type Unscaled = fn(&[f32], &mut [f32]);
type Scaled = fn(&[f32], f32, &mut [f32]);

/// Each kernel unscaled and at a temperature, in a group of its own
/// (`logsumexp` writes its result to `out[0]`).
const PAIRS: [(&str, Unscaled, Scaled); 3] = [
    (
        "scaled_softmax",
        |x, o| softmax_simd::softmax(x, o).unwrap(),
        |x, b, o| softmax_simd::softmax_scaled(x, b, o).unwrap(),
    ),
    (
        "scaled_log_softmax",
        |x, o| softmax_simd::log_softmax(x, o).unwrap(),
        |x, b, o| softmax_simd::log_softmax_scaled(x, b, o).unwrap(),
    ),
    (
        "scaled_logsumexp",
        |x, o| o[0] = softmax_simd::logsumexp(x),
        |x, b, o| o[0] = softmax_simd::logsumexp_scaled(x, b).unwrap(),
    ),
];

/// The scaled forms beside the unscaled ones.
fn bench_scaled(c: &mut C) {
    for n in [10, 100, 4096, 65536] {
        let x = logits(n, 4);
        let mut out = Apart::new(&x);
        for (group, unscaled, scaled) in PAIRS {
            let mut g = c.benchmark_group(group);
            setup(&mut g, n);
            g.bench_function(BenchmarkId::new("unscaled", n), |b| {
                b.iter(|| unscaled(black_box(&x), out.get()))
            });
            g.bench_function(BenchmarkId::new("scaled", n), |b| {
                b.iter(|| scaled(black_box(&x), black_box(BETA), out.get()))
            });
        }
    }
}

/// `dx = y * (dy - <dy, y>)`, as a user would write it.
fn softmax_backward_std(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let dot: f32 = y.iter().zip(dy).map(|(a, b)| a * b).sum();
    for ((o, &y), &d) in dx.iter_mut().zip(y).zip(dy) {
        *o = y * (d - dot);
    }
}

/// `dx = dz - exp(z) * sum(dz)`, as a user would write it.
fn log_softmax_backward_std(z: &[f32], dz: &[f32], dx: &mut [f32]) {
    let s: f32 = dz.iter().sum();
    for ((o, &z), &d) in dx.iter_mut().zip(z).zip(dz) {
        *o = d - z.exp() * s;
    }
}

/// The backward passes beside plain std loops, from real forward outputs.
fn bench_backward(c: &mut C) {
    for n in [100, 4096, 65536] {
        let x = logits(n, 5);
        let dy = logits(n, 6);
        let mut y = vec![0.0f32; n];
        softmax_simd::softmax(&x, &mut y).unwrap();
        let mut z = vec![0.0f32; n];
        softmax_simd::log_softmax(&x, &mut z).unwrap();
        let mut dx = Apart::new(&dy);
        type Backward = fn(&[f32], &[f32], &mut [f32]);
        let kernels: [(&str, &[f32], Backward, Backward); 2] = [
            (
                "backward_softmax",
                &y,
                |y, dy, dx| softmax_simd::softmax_backward(y, dy, dx).unwrap(),
                softmax_backward_std,
            ),
            (
                "backward_log_softmax",
                &z,
                |z, dz, dx| softmax_simd::log_softmax_backward(z, dz, dx).unwrap(),
                log_softmax_backward_std,
            ),
        ];
        for (group, forward, kernel, std_loop) in kernels {
            let mut g = c.benchmark_group(group);
            setup(&mut g, n);
            g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
                b.iter(|| kernel(black_box(forward), black_box(&dy), dx.get()))
            });
            g.bench_function(BenchmarkId::new("std_loop", n), |b| {
                b.iter(|| std_loop(black_box(forward), black_box(&dy), dx.get()))
            });
        }
    }
}

/// The mean cross-entropy over the rows and its gradient, row by row with
/// std's `exp` and `ln`: what `cross_entropy_rows` replaces.
fn cross_entropy_std(x: &[f32], labels: &[usize], classes: usize, grad: &mut [f32]) -> f32 {
    let rows = labels.len() as f32;
    let mut total = 0.0f32;
    for ((row, g), &t) in x.chunks_exact(classes).zip(grad.chunks_exact_mut(classes)).zip(labels) {
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
        let mut s = 0.0f32;
        for (o, &v) in g.iter_mut().zip(row) {
            *o = (v - m).exp();
            s += *o;
        }
        total += s.ln() - (row[t] - m);
        for o in g.iter_mut() {
            *o /= s * rows;
        }
        g[t] -= 1.0 / rows;
    }
    total / rows
}

fn bench_cross_entropy(c: &mut C) {
    let mut g = c.benchmark_group("cross_entropy_rows");
    let options = softmax_simd::CrossEntropy::default();
    for (rows, classes) in [(256, 10), (64, 1000)] {
        let n = rows * classes;
        let x = logits(n, 7);
        let labels: Vec<usize> = (0..rows).map(|r| (r * 7919) % classes).collect();
        let mut grad = Apart::new(&x);
        setup(&mut g, n);
        let id = format!("{rows}x{classes}");
        g.bench_function(BenchmarkId::new("softmax_simd", &id), |b| {
            b.iter(|| {
                softmax_simd::cross_entropy_rows(black_box(&x), &labels, classes, &options, None, Some(grad.get()))
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("std_loop", &id), |b| {
            b.iter(|| cross_entropy_std(black_box(&x), &labels, classes, grad.get()))
        });
    }
    g.finish();
}

fn config() -> C {
    Criterion::default()
        .with_measurement(CpuTime)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = training;
    config = config();
    targets = bench_scaled, bench_backward, bench_cross_entropy
}
criterion_main!(training);
