//! `scaled`: the temperature-scaled softmax, log-softmax and logsumexp
//! (single row, in place, row-batched) on any row and any `beta` (mostly
//! 0.01 to 100, sometimes any f32: zero, negative, infinite and NaN betas
//! are an `Err` with nothing written), held to the f64 oracle, to the
//! special values and to the reference by the training suite's checker.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd_fuzz::{On, Row, Val, or_panic};

use softmax_simd_fuzz::check_training;
use softmax_simd_fuzz::training::Simd;

/// `beta = 1 / temperature`.
#[derive(Debug, Arbitrary)]
enum Beta {
    /// `0.01 * 10^(4 u / 65535)`: 0.01 to 100, log-uniform.
    Range(u16),
    /// Any f32 (the `Err` paths, huge and tiny betas).
    Any(Val),
}

#[derive(Debug, Arbitrary)]
struct Input {
    x: Row,
    beta: Beta,
    classes: u8,
}

fuzz_target!(|on: On<Input>| {
    let input = on.apply();
    let x = input.x.build();
    let beta = match input.beta {
        Beta::Range(u) => 0.01 * 10f32.powf(4.0 * f32::from(u) / 65535.0),
        Beta::Any(v) => v.get(),
    };
    or_panic(check_training::check_scaled::<Simd>(&x, beta));
    or_panic(check_training::check_scaled_rows::<Simd>(
        &x,
        usize::from(input.classes),
        beta,
    ));
});
