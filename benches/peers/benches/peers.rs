//! softmax-simd's `softmax_in_place` against tract-linalg's in-place
//! softmax (its run-time-picked x86_64 kernels), both timed including the
//! same copy of the input into the working row (placed apart from the
//! input: see `Apart` in `benches/support/data.rs`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use softmax_simd_peers::{Apart, TractSoftmax, logits};
use std::hint::black_box;
use std::time::Duration;

#[path = "../../support/cpu_time.rs"]
mod cpu_time;
use cpu_time::CpuTime;

const LENGTHS: [usize; 7] = [16, 100, 1000, 4096, 65536, 1 << 20, 1 << 24];

fn softmax_in_place(c: &mut Criterion<CpuTime>) {
    let tract = TractSoftmax::new().expect("tract-linalg has f32 softmax kernels on this CPU");
    eprintln!("tract kernels: {:?}", tract.kernel_names());
    let mut g = c.benchmark_group("softmax_in_place");
    for n in LENGTHS {
        let x = logits(n, 7);
        let mut row = Apart::new(&x);
        g.throughput(Throughput::Elements(n as u64));
        if n >= 1 << 20 {
            g.sample_size(10);
        } else {
            g.sample_size(30);
        }
        g.bench_with_input(BenchmarkId::new("softmax_simd", n), &x, |b, x| {
            b.iter(|| {
                let row = row.get();
                row.copy_from_slice(x);
                softmax_simd::softmax_in_place(black_box(row));
            })
        });
        g.bench_with_input(BenchmarkId::new("tract_linalg", n), &x, |b, x| {
            b.iter(|| {
                let row = row.get();
                row.copy_from_slice(x);
                tract.run(black_box(row)).unwrap();
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    targets = softmax_in_place
}
criterion_main!(benches);
