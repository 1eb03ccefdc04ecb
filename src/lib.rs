//! softmax-simd: allocation-free, panic-free SIMD kernels for the softmax family.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod exp;
mod lanes;
mod reduce;
pub mod reference;
mod rows;
mod softmax;
mod xent;

pub use error::Error;
pub mod quantized;
pub use exp::exp;
pub use lanes::{BACKEND, LANE_COUNT};
pub use reduce::{logsumexp, max};
pub use rows::{
    log_softmax_rows, log_softmax_rows_in_place, logsumexp_rows, softmax_cross_entropy_with_logits_rows, softmax_rows,
    softmax_rows_in_place, sparse_softmax_cross_entropy_with_logits_rows,
};
pub use softmax::{log_softmax, log_softmax_in_place, softmax, softmax_in_place};
pub use xent::{softmax_cross_entropy_with_logits, sparse_softmax_cross_entropy_with_logits};

// Links every kernel into the no-panic proof's test binary (see the file).
#[cfg(all(test, softmax_simd_no_panic))]
#[path = "../firmware/no-panic/roots.rs"]
mod no_panic_roots;
mod blocked;
#[doc(hidden)]
pub use blocked::variants;
