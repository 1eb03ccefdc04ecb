//! `streaming`: `LogSumExp` over any row cut into any chunks, updated in
//! order and merged in a random tree, its `finish()` and chunk softmax /
//! log-softmax against the whole-row f64 oracle and the reference; and
//! `argmax` on the same row.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd_fuzz::{On, Row, or_panic};

use softmax_simd_fuzz::check_training;
use softmax_simd_fuzz::training::Simd;

#[derive(Debug, Arbitrary)]
struct Input {
    x: Row,
    cuts: Vec<u16>,
    seed: u64,
}

fuzz_target!(|on: On<Input>| {
    let input = on.apply();
    let x = input.x.build();
    let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
    or_panic(check_training::check_streaming::<Simd>(&x, &cuts, input.seed));
    or_panic(check_training::check_argmax::<Simd>(&x));
});
