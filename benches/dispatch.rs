//! Run-time dispatch against a compile-time choice (issue "run-time ISA
//! dispatch", check 1): the same three kernels, the same rows, measured in
//! a default build (no `RUSTFLAGS`: the lanes are detected at run time) and
//! in a `-C target-cpu=native` build (chosen at compile time), one after
//! the other, each saved as a criterion baseline; `scripts/dispatch_table.py`
//! prints the ratios. `scripts/dispatch-bench.sh` runs the whole comparison.
//!
//! Each id is `kernel/n`; every call runs on one row of `n` values
//! (`support/data.rs`), outputs placed apart from the inputs.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

#[path = "support/cpu_time.rs"]
mod cpu_time;
#[path = "support/data.rs"]
mod data;
use cpu_time::CpuTime;
use data::{Apart, logits};

const LENGTHS: [usize; 5] = [16, 100, 1000, 4096, 65536];

fn bench(c: &mut Criterion<CpuTime>) {
    let mut g = c.benchmark_group("dispatch");
    eprintln!("dispatch bench: lanes {}", softmax_simd::backend());
    for n in LENGTHS {
        let x = logits(n, 7);
        let mut out = Apart::new(&x);
        let label = n / 3;
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("softmax", n), |b| {
            b.iter(|| softmax_simd::softmax(black_box(&x), out.get()).unwrap())
        });
        g.bench_function(BenchmarkId::new("logsumexp", n), |b| {
            b.iter(|| softmax_simd::logsumexp(black_box(&x)))
        });
        g.bench_function(BenchmarkId::new("sparse_xent_grad", n), |b| {
            b.iter(|| {
                softmax_simd::sparse_softmax_cross_entropy_with_logits(black_box(&x), label, Some(out.get())).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .with_measurement(CpuTime)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
