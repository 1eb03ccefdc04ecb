//! `reduce`: `max` and `logsumexp` against the reference (NaN anywhere gives
//! NaN, `-inf` for an empty or fully masked row, `+inf` wins, the arg-max
//! term left out of `log1p`'s argument), through the shared checker.
//! Neither function can fail, so there is no `Err` contract to check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softmax_simd_fuzz::{On, Row, or_panic};

#[path = "../../tests/common/check.rs"]
mod check;

fuzz_target!(|on: On<Row>| or_panic(check::check_reduce(&on.apply().build())));
