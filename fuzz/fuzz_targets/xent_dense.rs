//! `xent_dense`: `softmax_cross_entropy_with_logits` with and without a
//! gradient, against the reference and the contract (`0 * inf := 0` for
//! zero labels on `-inf` logits, the true gradient `(sum y) * softmax - y`
//! for labels that do not sum to 1, NaN poisoning, no accuracy lost to a
//! large common offset), through the shared checker; plus the `Err`
//! contract: no classes, labels or gradient of the wrong length.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd::{Error, reference, softmax_cross_entropy_with_logits as simd_xent};
use softmax_simd_fuzz::{Allowed, BufLen, Labels, On, Row, check_err_call, or_panic};

#[path = "../../tests/common/check.rs"]
mod check;

#[derive(Debug, Arbitrary)]
struct Input {
    logits: Row,
    labels: Labels,
    labels_len: BufLen,
    grad_len: BufLen,
}

fuzz_target!(|on: On<Input>| {
    let input = on.apply();
    let logits = input.logits.build();
    let n = logits.len();
    let labels = input.labels.build(input.labels_len.get(n));
    let grad_len = input.grad_len.get(n);
    // The checker covers both: agreement, or its own `Err` contract for no
    // classes and labels of the wrong length.
    or_panic(check::check_dense_xent(&logits, &labels));

    let mut allowed = Allowed::default();
    if n == 0 {
        allowed.push(Error::NoClasses);
    }
    if labels.len() != n {
        allowed.push(Error::LengthMismatch {
            expected: n,
            found: labels.len(),
        });
    }
    // A gradient of the wrong length is one more thing wrong.
    if grad_len != n {
        allowed.push(Error::LengthMismatch {
            expected: n,
            found: grad_len,
        });
    }
    if !allowed.is_ok() {
        or_panic(check_err_call(
            "dense xent (grad)",
            &allowed,
            (0, grad_len),
            |_, g| simd_xent(&logits, &labels, Some(g)),
            |_, g| reference::softmax_cross_entropy_with_logits(&logits, &labels, Some(g)),
        ));
    }
});
