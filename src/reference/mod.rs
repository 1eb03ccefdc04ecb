//! The scalar reference: every kernel of the crate, written plainly on
//! `libm`, one element at a time. It is the oracle the SIMD kernels are
//! tested against, so it shares no code with them (only the [`Error`]
//! type): its own row scan, its own compensated (Neumaier) sums, `libm::expf`
//! with subnormal results kept, and division by `S` instead of a reciprocal.
//!
//! Same names, signatures and special-value rules as the crate root; the
//! results differ from the SIMD kernels only by rounding (bounds in the
//! README) and where `expf` is subnormal (`x - max(x) < -87.33654`), which
//! the SIMD kernels flush to zero.
//!
//! ```
//! use softmax_simd::reference;
//! let mut p = [0.0f32; 3];
//! reference::softmax(&[1.0, 2.0, 3.0], &mut p)?;
//! assert!((p[2] - 0.66524096).abs() < 1e-6);
//! # Ok::<(), softmax_simd::Error>(())
//! ```

mod backward;
mod cross_entropy;
mod exp;
mod log_softmax;
mod logsumexp;
mod max;
mod row;
mod rows;
mod scaled;
mod softmax;
mod streaming;
mod sum;
mod xent;

#[allow(unused_imports)]
use crate::Error;

pub use backward::{
    log_softmax_backward, log_softmax_backward_in_place, log_softmax_backward_rows, log_softmax_backward_rows_in_place,
    softmax_backward, softmax_backward_in_place, softmax_backward_rows, softmax_backward_rows_in_place,
};
pub use cross_entropy::{cross_entropy_rows, cross_entropy_rows_dense};
pub use exp::exp;
pub use log_softmax::{log_softmax, log_softmax_in_place};
pub use logsumexp::logsumexp;
pub use max::{argmax, max};
pub use rows::{
    log_softmax_rows, log_softmax_rows_in_place, logsumexp_rows, softmax_cross_entropy_with_logits_rows, softmax_rows,
    softmax_rows_in_place, sparse_softmax_cross_entropy_with_logits_rows,
};
pub use scaled::{
    log_softmax_rows_scaled, log_softmax_rows_scaled_in_place, log_softmax_scaled, log_softmax_scaled_in_place,
    logsumexp_rows_scaled, logsumexp_scaled, softmax_rows_scaled, softmax_rows_scaled_in_place, softmax_scaled,
    softmax_scaled_in_place,
};
pub use softmax::{softmax, softmax_in_place};
pub use streaming::LogSumExp;
pub use xent::{softmax_cross_entropy_with_logits, sparse_softmax_cross_entropy_with_logits};
