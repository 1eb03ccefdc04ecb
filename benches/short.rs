//! Short rows and small batches (issue "fast at every row length"): one
//! call per row over a few hundred distinct rows, against the plain std
//! loops a user would write, so the fixed cost of a call and the cost of
//! a row's tail show.
//!
//! - `short_rows`: `softmax`, `logsumexp` and the sparse cross-entropy with
//!   gradient (`*_simd`) beside their std loops (`*_std`) at n = 1..=33,
//!   48, 63, 64, 65, 100, 127, 128, 129, 255, 256, 1000, 1001, 1024. One
//!   iteration is one call on each of `ROWS` rows; `scripts/short_report.py`
//!   divides by `ROWS` (ns per call) and checks the gates.
//! - `small_batches`: `softmax_rows` against a per-row std loop at 256x2,
//!   256x3, 256x10, 256x17, 128x100 and 32x1000.
//!
//! Run: `taskset -c 1 cargo bench --bench short` (about 8 minutes), then
//! `python3 scripts/short_report.py target/criterion`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

#[path = "support/cpu_time.rs"]
mod cpu_time;
// `Apart` is for single rows; these rows are laid back to back.
#[allow(dead_code)]
#[path = "support/data.rs"]
mod data;
use cpu_time::CpuTime;
use data::logits;

/// Distinct rows per iteration (a prime: rows do not line up with pages).
const ROWS: usize = 257;

fn std_softmax(x: &[f32], out: &mut [f32]) {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
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
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    m + x.iter().map(|&v| (v - m).exp()).sum::<f32>().ln()
}

fn std_sparse_xent(x: &[f32], label: usize, grad: &mut [f32]) -> f32 {
    std_softmax(x, grad);
    let p = grad[label];
    grad[label] -= 1.0;
    -p.ln()
}

fn lengths() -> Vec<usize> {
    let mut n: Vec<usize> = (1..=33).collect();
    n.extend([48, 63, 64, 65, 100, 127, 128, 129, 255, 256, 1000, 1001, 1024]);
    n
}

fn short_rows(c: &mut Criterion<CpuTime>) {
    let mut g = c.benchmark_group("short_rows");
    eprintln!("short_rows: lanes {}", softmax_simd::backend());
    for n in lengths() {
        // Each row its own values, rows back to back.
        let x = logits(n * ROWS, n as u32);
        let mut out = vec![0.0f32; n * ROWS];
        let labels: Vec<usize> = (0..ROWS).map(|r| (r * 7) % n).collect();
        let rows = || x.chunks_exact(n);
        g.bench_function(BenchmarkId::new("softmax_simd", n), |b| {
            b.iter(|| {
                for (r, o) in rows().zip(out.chunks_exact_mut(n)) {
                    softmax_simd::softmax(black_box(r), o).unwrap();
                }
            })
        });
        g.bench_function(BenchmarkId::new("softmax_std", n), |b| {
            b.iter(|| {
                for (r, o) in rows().zip(out.chunks_exact_mut(n)) {
                    std_softmax(black_box(r), o);
                }
            })
        });
        g.bench_function(BenchmarkId::new("logsumexp_simd", n), |b| {
            b.iter(|| rows().map(|r| softmax_simd::logsumexp(black_box(r))).sum::<f32>())
        });
        g.bench_function(BenchmarkId::new("logsumexp_std", n), |b| {
            b.iter(|| rows().map(|r| std_logsumexp(black_box(r))).sum::<f32>())
        });
        g.bench_function(BenchmarkId::new("sparse_xent_simd", n), |b| {
            b.iter(|| {
                let mut t = 0.0;
                for ((r, o), &l) in rows().zip(out.chunks_exact_mut(n)).zip(&labels) {
                    t += softmax_simd::sparse_softmax_cross_entropy_with_logits(black_box(r), l, Some(o)).unwrap();
                }
                t
            })
        });
        g.bench_function(BenchmarkId::new("sparse_xent_std", n), |b| {
            b.iter(|| {
                let mut t = 0.0;
                for ((r, o), &l) in rows().zip(out.chunks_exact_mut(n)).zip(&labels) {
                    t += std_sparse_xent(black_box(r), l, o);
                }
                t
            })
        });
    }
    g.finish();
}

fn small_batches(c: &mut Criterion<CpuTime>) {
    let mut g = c.benchmark_group("small_batches");
    for (rows, classes) in [(256, 2), (256, 3), (256, 10), (256, 17), (128, 100), (32, 1000)] {
        let x = logits(rows * classes, classes as u32 + 1000);
        let mut out = vec![0.0f32; rows * classes];
        let id = format!("{rows}x{classes}");
        g.bench_function(BenchmarkId::new("softmax_rows", &id), |b| {
            b.iter(|| softmax_simd::softmax_rows(black_box(&x), classes, &mut out).unwrap())
        });
        g.bench_function(BenchmarkId::new("std_per_row", &id), |b| {
            b.iter(|| {
                for (r, o) in black_box(&x).chunks_exact(classes).zip(out.chunks_exact_mut(classes)) {
                    std_softmax(r, o);
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .with_measurement(CpuTime)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20);
    targets = short_rows, small_batches
}
criterion_main!(benches);
