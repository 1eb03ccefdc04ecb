//! `xent_sparse`: `sparse_softmax_cross_entropy_with_logits` with and
//! without a gradient, for labels in range and past the end, against the
//! reference and the contract (`+inf` loss for a label on a `-inf` logit,
//! `grad = softmax - onehot`), through the shared checker; plus the `Err`
//! contract: no classes, label out of range, gradient of the wrong length.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd::{Error, reference, sparse_softmax_cross_entropy_with_logits as simd_xent};
use softmax_simd_fuzz::{Allowed, BufLen, On, Row, SparseLabel, check_err_call, or_panic};

#[path = "../../tests/common/check.rs"]
mod check;

#[derive(Debug, Arbitrary)]
struct Input {
    logits: Row,
    label: SparseLabel,
    grad_len: BufLen,
}

fuzz_target!(|on: On<Input>| {
    let input = on.apply();
    let logits = input.logits.build();
    let n = logits.len();
    let label = input.label.get(n);
    // The checker runs both kernels, with and without a gradient, on every
    // label, in range or not: agreement, or its own `Err` contract.
    or_panic(check::check_sparse_xent(&logits, label));

    let mut allowed = Allowed::default();
    if n == 0 {
        allowed.push(Error::NoClasses);
    }
    if label >= n {
        allowed.push(Error::LabelOutOfRange { label, classes: n });
    }
    let grad_len = input.grad_len.get(n);
    if grad_len != n {
        allowed.push(Error::LengthMismatch {
            expected: n,
            found: grad_len,
        });
    }
    if !allowed.is_ok() {
        or_panic(check_err_call(
            "sparse xent (grad)",
            &allowed,
            (0, grad_len),
            |_, g| simd_xent(&logits, label, Some(g)),
            |_, g| reference::sparse_softmax_cross_entropy_with_logits(&logits, label, Some(g)),
        ));
    }
});
