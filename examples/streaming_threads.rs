//! A long row split across threads: each thread feeds its chunk to a
//! `LogSumExp` state, the states are merged (in any order), and each thread
//! then writes its chunk's softmax relative to the whole row.
//!
//! Uses the SIMD `softmax_simd::LogSumExp` (the scalar twin,
//! `softmax_simd::reference::LogSumExp`, takes the same calls) and checks
//! the merged result against the whole-row kernel and the reference.
//!
//! `cargo run --release --example streaming_threads`

use softmax_simd::{LogSumExp, reference};

fn main() {
    let n: usize = 1 << 20;
    let row: Vec<f32> = (0..n).map(|i| ((i * 7919) % 10007) as f32 / 500.0 - 10.0).collect();
    let threads = 4;
    let chunk = n.div_ceil(threads);

    // 1. Each thread summarises its chunk.
    let states: Vec<LogSumExp> = std::thread::scope(|s| {
        let handles: Vec<_> = row
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    let mut st = LogSumExp::new();
                    st.update(c);
                    st
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });

    // 2. Merge them (any order, any tree: here from the last one).
    let mut whole = LogSumExp::new();
    for st in states.iter().rev() {
        whole.merge(st);
    }
    let lse = whole.finish();

    // 3. Each thread writes its chunk's softmax relative to the whole row.
    let mut p = vec![0.0f32; n];
    std::thread::scope(|s| {
        for (c, out) in row.chunks(chunk).zip(p.chunks_mut(chunk)) {
            let whole = &whole;
            s.spawn(move || whole.softmax_chunk(c, out).expect("same lengths"));
        }
    });

    let single = softmax_simd::logsumexp(&row);
    let oracle = reference::logsumexp(&row);
    let total: f64 = p.iter().map(|&v| f64::from(v)).sum();
    println!("logsumexp: {threads} threads {lse}, one pass {single}, reference {oracle}; softmax sums to {total}");
    assert!((lse - single).abs() <= 8.0 * f32::EPSILON * single.abs());
    assert!((lse - oracle).abs() <= 8.0 * f32::EPSILON * oracle.abs());
    assert!((total - 1.0).abs() < 1e-5);
}
