//! Criterion study of every kernel against the baselines a user would pick
//! instead, at row lengths 16 .. 2^24, throughput in elements.
//!
//! Implementations (the `function` part of each benchmark id):
//! - `softmax_simd`: the public kernel;
//! - `reference`: the crate's scalar `reference` twin (libm, one element at a time);
//! - `std_exp`: a plain loop over std's `f32::exp`, as a user would write it;
//! - `wide_exp`: the same kernel on `wide::f32x8` with `wide`'s own `exp`;
//! - `three_pass` / `blocked` / `two_pass` / `one_pass`: the crate's own
//!   structures forced regardless of length (`softmax_simd::variants`);
//! - `floor`: a bare exp-and-sum loop (the crate's exp, max given, plain
//!   accumulators): the compute floor of one pass.
//!
//! Time is this thread's CPU time (`support/cpu_time.rs`), so builds and
//! fuzzers sharing the machine inflate the figures less than wall time would.
//!
//! Run: `taskset -c 1 cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 2`
//! (docs/speed.md, "Reproduce", has the exact commands and flags).

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

#[path = "support/cpu_time.rs"]
mod cpu_time;
#[path = "support/data.rs"]
mod data;
use cpu_time::CpuTime;
use data::{Apart, logits};

type C = Criterion<CpuTime>;
use softmax_simd::{reference, variants};
use std::hint::black_box;
use wide::f32x8;

const LENGTHS: [usize; 7] = [16, 100, 1000, 4096, 65536, 1 << 20, 1 << 24];
/// Rows per batch for the row-batched forms: at least 2^16 values per call.
const BATCH_VALUES: usize = 1 << 16;

/// Dense labels summing to 1 (a smoothed one-hot).
fn dense_labels(n: usize) -> Vec<f32> {
    let mut y = vec![0.1 / n as f32; n];
    if let Some(v) = y.get_mut(n / 3) {
        *v += 0.9;
    }
    y
}

fn setup(g: &mut BenchmarkGroup<'_, CpuTime>, n: usize) {
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(if n >= 1 << 20 { 10 } else { 30 });
}

/// One in-place benchmark: each iteration copies the input into the
/// working row (placed apart from it, see `Apart`) and runs `kernel` on it,
/// so every in-place implementation pays the same copy.
fn bench_in_place(g: &mut BenchmarkGroup<'_, CpuTime>, name: &str, x: &[f32], kernel: impl Fn(&mut [f32])) {
    let n = x.len();
    let mut row = Apart::new(x);
    g.bench_function(BenchmarkId::new(name, n), |b| {
        b.iter(|| {
            let row = row.get();
            row.copy_from_slice(x);
            kernel(black_box(row));
        })
    });
}

/// `m = max(x)` the way a user would write it.
fn std_max(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

fn std_softmax(x: &[f32], out: &mut [f32]) {
    let m = std_max(x);
    let mut s = 0.0f32;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (v - m).exp();
        s += *o;
    }
    let r = 1.0 / s;
    for o in out.iter_mut() {
        *o *= r;
    }
}

fn std_logsumexp(x: &[f32]) -> f32 {
    let m = std_max(x);
    m + x.iter().map(|&v| (v - m).exp()).sum::<f32>().ln()
}

fn std_log_softmax(x: &[f32], out: &mut [f32]) {
    let l = std_logsumexp(x);
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v - l;
    }
}

fn wide_max(x: &[f32]) -> f32 {
    let (c, t) = x.as_chunks::<8>();
    let mut acc = f32x8::splat(f32::NEG_INFINITY);
    for v in c {
        acc = acc.fast_max(f32x8::from(*v));
    }
    acc.to_array()
        .into_iter()
        .chain(t.iter().copied())
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Softmax with `wide`'s own `exp` (a user's SIMD softmax).
fn wide_softmax(x: &[f32], out: &mut [f32]) {
    let m = wide_max(x);
    let mv = f32x8::splat(m);
    let (cx, tx) = x.as_chunks::<8>();
    let (co, to) = out.as_chunks_mut::<8>();
    let mut acc = f32x8::splat(0.0);
    for (a, o) in cx.iter().zip(co.iter_mut()) {
        let e = (f32x8::from(*a) - mv).exp();
        acc += e;
        *o = e.to_array();
    }
    let mut s: f32 = acc.to_array().iter().sum();
    for (a, o) in tx.iter().zip(to.iter_mut()) {
        *o = (a - m).exp();
        s += *o;
    }
    let r = f32x8::splat(1.0 / s);
    for o in co.iter_mut() {
        *o = (f32x8::from(*o) * r).to_array();
    }
    for o in to.iter_mut() {
        *o *= 1.0 / s;
    }
}

fn wide_exp(x: &[f32], out: &mut [f32]) {
    let (cx, tx) = x.as_chunks::<8>();
    let (co, to) = out.as_chunks_mut::<8>();
    for (a, o) in cx.iter().zip(co.iter_mut()) {
        *o = f32x8::from(*a).exp().to_array();
    }
    for (a, o) in tx.iter().zip(to.iter_mut()) {
        *o = a.exp();
    }
}

fn bench_exp(c: &mut C) {
    let mut g = c.benchmark_group("exp");
    for n in LENGTHS {
        let x = logits(n, 1);
        let mut out = Apart::new(&x);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
            b.iter(|| softmax_simd::exp(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("reference", n), |b| {
            b.iter(|| reference::exp(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("std_exp", n), |b| {
            b.iter(|| {
                for (o, &v) in out.get().iter_mut().zip(black_box(&x)) {
                    *o = v.exp();
                }
            })
        });
        g.bench_function(BenchmarkId::new("wide_exp", n), |b| {
            b.iter(|| wide_exp(black_box(&x), out.get()))
        });
    }
    g.finish();
}

fn bench_max(c: &mut C) {
    let mut g = c.benchmark_group("max");
    for n in LENGTHS {
        let x = logits(n, 2);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
            b.iter(|| softmax_simd::max(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("reference", n), |b| {
            b.iter(|| reference::max(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("std_fold", n), |b| b.iter(|| std_max(black_box(&x))));
    }
    g.finish();
}

fn bench_logsumexp(c: &mut C) {
    let mut g = c.benchmark_group("logsumexp");
    for n in LENGTHS {
        let x = logits(n, 3);
        let m = softmax_simd::max(&x);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
            b.iter(|| softmax_simd::logsumexp(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("two_pass", n), |b| {
            b.iter(|| variants::logsumexp_two_pass(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("one_pass", n), |b| {
            b.iter(|| variants::logsumexp_one_pass(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("floor", n), |b| {
            b.iter(|| variants::exp_sum_floor(black_box(&x), black_box(m)))
        });
        g.bench_function(BenchmarkId::new("reference", n), |b| {
            b.iter(|| reference::logsumexp(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("std_exp", n), |b| {
            b.iter(|| std_logsumexp(black_box(&x)))
        });
    }
    g.finish();
}

/// The temperature-scaled softmax beside the unscaled one (issue 12: within
/// 5%): one multiply per element more, the same structures.
fn bench_softmax_scaled(c: &mut C) {
    let mut g = c.benchmark_group("softmax_scaled");
    for n in [100, 4096, 65536] {
        let x = logits(n, 4);
        let mut out = Apart::new(&x);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("softmax", n), |b| {
            b.iter(|| softmax_simd::softmax(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("softmax_scaled", n), |b| {
            b.iter(|| softmax_simd::softmax_scaled(black_box(&x), black_box(0.7), out.get()).unwrap())
        });
    }
    g.finish();
}

fn bench_softmax(c: &mut C) {
    let mut g = c.benchmark_group("softmax");
    for n in LENGTHS {
        let x = logits(n, 4);
        let mut out = Apart::new(&x);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
            b.iter(|| softmax_simd::softmax(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("three_pass", n), |b| {
            b.iter(|| variants::softmax_three_pass(black_box(&x), out.get()))
        });
        g.bench_function(BenchmarkId::new("blocked", n), |b| {
            b.iter(|| variants::softmax_blocked(black_box(&x), out.get()))
        });
        g.bench_function(BenchmarkId::new("reference", n), |b| {
            b.iter(|| reference::softmax(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("std_exp", n), |b| {
            b.iter(|| std_softmax(black_box(&x), out.get()))
        });
        g.bench_function(BenchmarkId::new("wide_exp", n), |b| {
            b.iter(|| wide_softmax(black_box(&x), out.get()))
        });
    }
    g.finish();
}

/// In place, every implementation timed with the same copy of the input
/// into the working row (tract-linalg is in the `peers` package's group
/// of the same name).
fn bench_softmax_in_place(c: &mut C) {
    let mut g = c.benchmark_group("softmax_in_place");
    for n in LENGTHS {
        let x = logits(n, 7);
        setup(&mut g, n);
        bench_in_place(&mut g, "softmax_simd", &x, softmax_simd::softmax_in_place);
        bench_in_place(&mut g, "three_pass", &x, variants::softmax_in_place_three_pass);
        bench_in_place(&mut g, "blocked", &x, variants::softmax_in_place_blocked);
        bench_in_place(&mut g, "reference", &x, reference::softmax_in_place);
    }
    g.finish();
}

/// The crossovers (`blocked::SOFTMAX_BLOCKED_FROM`,
/// `SOFTMAX_IN_PLACE_BLOCKED_FROM`, `LOG_SUM_ONE_PASS_FROM`): each pair of
/// forced structures at every power of two from 2^14 to 2^23.
fn bench_crossover(c: &mut C) {
    let lengths = (14..=23).map(|p| 1usize << p);
    let mut g = c.benchmark_group("crossover_softmax");
    for n in lengths.clone() {
        let x = logits(n, 8);
        let mut out = Apart::new(&x);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("three_pass", n), |b| {
            b.iter(|| variants::softmax_three_pass(black_box(&x), out.get()))
        });
        g.bench_function(BenchmarkId::new("blocked", n), |b| {
            b.iter(|| variants::softmax_blocked(black_box(&x), out.get()))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("crossover_softmax_in_place");
    for n in lengths.clone() {
        let x = logits(n, 9);
        setup(&mut g, n);
        bench_in_place(&mut g, "three_pass", &x, variants::softmax_in_place_three_pass);
        bench_in_place(&mut g, "blocked", &x, variants::softmax_in_place_blocked);
    }
    g.finish();
    let mut g = c.benchmark_group("crossover_logsumexp");
    for n in lengths {
        let x = logits(n, 10);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("two_pass", n), |b| {
            b.iter(|| variants::logsumexp_two_pass(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("one_pass", n), |b| {
            b.iter(|| variants::logsumexp_one_pass(black_box(&x)))
        });
    }
    g.finish();
}

fn bench_log_softmax(c: &mut C) {
    let mut g = c.benchmark_group("log_softmax");
    for n in LENGTHS {
        let x = logits(n, 5);
        let mut out = Apart::new(&x);
        setup(&mut g, n);
        g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
            b.iter(|| softmax_simd::log_softmax(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("reference", n), |b| {
            b.iter(|| reference::log_softmax(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("std_exp", n), |b| {
            b.iter(|| std_log_softmax(black_box(&x), out.get()))
        });
    }
    g.finish();
}

fn bench_xent(c: &mut C) {
    for (name, with_grad) in [("xent_dense", false), ("xent_dense_grad", true)] {
        let mut g = c.benchmark_group(name);
        for n in LENGTHS {
            let x = logits(n, 6);
            let y = dense_labels(n);
            let mut grad = vec![0.0f32; n];
            setup(&mut g, n);
            g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
                b.iter(|| {
                    let gr = with_grad.then_some(grad.as_mut_slice());
                    softmax_simd::softmax_cross_entropy_with_logits(black_box(&x), &y, gr).unwrap()
                })
            });
            g.bench_function(BenchmarkId::new("reference", n), |b| {
                b.iter(|| {
                    let gr = with_grad.then_some(grad.as_mut_slice());
                    reference::softmax_cross_entropy_with_logits(black_box(&x), &y, gr).unwrap()
                })
            });
        }
        g.finish();
    }
    for (name, with_grad) in [("xent_sparse", false), ("xent_sparse_grad", true)] {
        let mut g = c.benchmark_group(name);
        for n in LENGTHS {
            let x = logits(n, 8);
            let label = n / 3;
            let mut grad = vec![0.0f32; n];
            setup(&mut g, n);
            g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
                b.iter(|| {
                    let gr = with_grad.then_some(grad.as_mut_slice());
                    softmax_simd::sparse_softmax_cross_entropy_with_logits(black_box(&x), label, gr).unwrap()
                })
            });
            g.bench_function(BenchmarkId::new("reference", n), |b| {
                b.iter(|| {
                    let gr = with_grad.then_some(grad.as_mut_slice());
                    reference::sparse_softmax_cross_entropy_with_logits(black_box(&x), label, gr).unwrap()
                })
            });
        }
        g.finish();
    }
}

/// Row-batched forms: rows of `n` classes, `max(1, 2^16 / n)` rows per call;
/// throughput counts every value of the batch.
fn bench_rows(c: &mut C) {
    type Rows = fn(&[f32], &[f32], &[usize], usize, &mut [f32], &mut [f32]);
    let kernels: [(&str, Rows, Rows); 5] = [
        (
            "softmax_rows",
            |x, _, _, n, out, _| softmax_simd::softmax_rows(x, n, out).unwrap(),
            |x, _, _, n, out, _| reference::softmax_rows(x, n, out).unwrap(),
        ),
        (
            "log_softmax_rows",
            |x, _, _, n, out, _| softmax_simd::log_softmax_rows(x, n, out).unwrap(),
            |x, _, _, n, out, _| reference::log_softmax_rows(x, n, out).unwrap(),
        ),
        (
            "logsumexp_rows",
            |x, _, _, n, _, losses| softmax_simd::logsumexp_rows(x, n, losses).unwrap(),
            |x, _, _, n, _, losses| reference::logsumexp_rows(x, n, losses).unwrap(),
        ),
        (
            "xent_dense_rows_grad",
            |x, y, _, n, g, l| softmax_simd::softmax_cross_entropy_with_logits_rows(x, y, n, l, Some(g)).unwrap(),
            |x, y, _, n, g, l| reference::softmax_cross_entropy_with_logits_rows(x, y, n, l, Some(g)).unwrap(),
        ),
        (
            "xent_sparse_rows_grad",
            |x, _, s, n, g, l| {
                softmax_simd::sparse_softmax_cross_entropy_with_logits_rows(x, s, n, l, Some(g)).unwrap()
            },
            |x, _, s, n, g, l| reference::sparse_softmax_cross_entropy_with_logits_rows(x, s, n, l, Some(g)).unwrap(),
        ),
    ];
    for (name, ours, reference) in kernels {
        let mut g = c.benchmark_group(name);
        for n in LENGTHS {
            let rows = (BATCH_VALUES / n).max(1);
            let x = logits(rows * n, 9);
            let y: Vec<f32> = (0..rows).flat_map(|_| dense_labels(n)).collect();
            let sparse: Vec<usize> = (0..rows).map(|r| (r * 7919) % n).collect();
            let mut out = vec![0.0f32; rows * n];
            let mut losses = vec![0.0f32; rows];
            setup(&mut g, rows * n);
            g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
                b.iter(|| ours(black_box(&x), &y, &sparse, n, &mut out, &mut losses))
            });
            g.bench_function(BenchmarkId::new("reference", n), |b| {
                b.iter(|| reference(black_box(&x), &y, &sparse, n, &mut out, &mut losses))
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    // CPU time, not wall time: the machine is shared (see cpu_time.rs).
    config = Criterion::default()
        .with_measurement(CpuTime)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = bench_exp,
        bench_max,
        bench_logsumexp,
        bench_softmax,
        bench_softmax_scaled,
        bench_softmax_in_place,
        bench_log_softmax,
        bench_xent,
        bench_rows,
        bench_crossover
}
criterion_main!(benches);
