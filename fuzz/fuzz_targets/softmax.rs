//! `softmax`: `softmax` and `log_softmax`, out-of-place and in place, against
//! the reference and the special-value contract (the `+inf` limit, masked
//! rows, NaN poisoning), plus the `Err` contract of the out-of-place forms
//! for an output of the wrong length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softmax_simd::{Error, reference};
use softmax_simd_fuzz::{On, RowAndOut, check_err_call, or_panic};

#[path = "../../tests/common/check.rs"]
mod check;

type OutOfPlace = fn(&[f32], &mut [f32]) -> Result<(), Error>;

fuzz_target!(|on: On<RowAndOut>| {
    let input = on.apply();
    let x = input.x.build();
    or_panic(check::check_softmax(&x));

    if let Some((n, allowed)) = input.wrong_out(x.len()) {
        let pairs: [(&str, OutOfPlace, OutOfPlace); 2] = [
            ("softmax", softmax_simd::softmax, reference::softmax),
            ("log_softmax", softmax_simd::log_softmax, reference::log_softmax),
        ];
        for (name, simd_fn, ref_fn) in pairs {
            or_panic(check_err_call(
                name,
                &allowed,
                (n, 0),
                |o, _| simd_fn(&x, o),
                |o, _| ref_fn(&x, o),
            ));
        }
    }
});
