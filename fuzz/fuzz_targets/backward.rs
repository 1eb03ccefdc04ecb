//! `backward`: `softmax_backward` and `log_softmax_backward` (out of place,
//! in place, row-batched) on any `y` / `dy` (as forward outputs of a row,
//! or raw values; lengths sometimes wrong: `Err`, nothing written), held
//! to the f64 oracle and to the reference by the training suite's checker.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd::reference;
use softmax_simd_fuzz::{BufLen, On, Row, or_panic};

use softmax_simd_fuzz::check_training;
use softmax_simd_fuzz::training::Simd;

/// What `y` is.
#[derive(Debug, Arbitrary)]
enum Forward {
    /// The row itself.
    Raw,
    /// Its softmax (as the softmax backward pass gets it).
    Softmax,
    /// Its log-softmax (as the log-softmax backward pass gets it).
    LogSoftmax,
}

#[derive(Debug, Arbitrary)]
struct Input {
    x: Row,
    forward: Forward,
    dy: Row,
    dy_len: BufLen,
    classes: u8,
}

fuzz_target!(|on: On<Input>| {
    let input = on.apply();
    let x = input.x.build();
    let n = x.len();
    let mut y = vec![0.0f32; n];
    match input.forward {
        Forward::Raw => y.copy_from_slice(&x),
        Forward::Softmax => reference::softmax(&x, &mut y).unwrap(),
        Forward::LogSoftmax => reference::log_softmax(&x, &mut y).unwrap(),
    }
    let dy = input.dy.build_len(input.dy_len.get(n));
    or_panic(check_training::check_backward::<Simd>(
        &y,
        &dy,
        usize::from(input.classes),
    ));
});
