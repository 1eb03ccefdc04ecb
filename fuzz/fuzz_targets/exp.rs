//! `exp`: the SIMD exp kernel against `reference::exp` (agreement bound,
//! flush-to-zero below -87.33654, `+inf` above 88.72283, NaN in NaN out),
//! plus the `Err` contract for an output of the wrong length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softmax_simd::reference;
use softmax_simd_fuzz::{On, RowAndOut, check_err_call, or_panic};

#[path = "../../tests/common/check.rs"]
mod check;

fuzz_target!(|on: On<RowAndOut>| {
    let input = on.apply();
    let x = input.x.build();
    or_panic(check::check_exp(&x));

    if let Some((n, allowed)) = input.wrong_out(x.len()) {
        or_panic(check_err_call(
            "exp",
            &allowed,
            (n, 0),
            |o, _| softmax_simd::exp(&x, o),
            |o, _| reference::exp(&x, o),
        ));
    }
});
