//! Allocation-free, panic-free SIMD kernels for the softmax family on `f32`
//! slices: `no_std`, no heap, no `unsafe`, a `Result` for every argument that
//! can be wrong, and a scalar [`reference`](mod@reference) twin of every kernel that the
//! test suite holds them to.
//!
//! For one row `x` of `n` logits, with `m = max(x)`, `d_i = x_i - m` (an f32
//! subtraction) and `S = sum_i exp(d_i)`:
//!
//! | kernel | computes |
//! |---|---|
//! | [`max`] | `m` (NaN if any NaN, `-inf` if empty) |
//! | [`exp`] | `exp(x_i)`, the crate's `rr2_p6` approximation, <= 1 ULP |
//! | [`logsumexp`] | `m + log1p(S - 1)`, `S - 1` summed without the arg-max term |
//! | [`softmax`], [`softmax_in_place`] | `exp(d_i) / S` |
//! | [`log_softmax`], [`log_softmax_in_place`] | `d_i - log1p(S - 1)` |
//! | [`softmax_cross_entropy_with_logits`] | `sum_i y_i (log1p(S-1) - d_i)`, grad `(sum y) softmax_i - y_i` |
//! | [`sparse_softmax_cross_entropy_with_logits`] | `log1p(S-1) - d_label`, grad `softmax - onehot(label)` |
//! | `*_rows` | the same on each row of a `rows * classes` buffer |
//!
//! Special values follow the limits, decided once per row off the hot loop:
//! `k` entries at `+inf` share the mass `1/k`, a row of only `-inf` is a
//! masked row (softmax 0, log-softmax and logsumexp `-inf`), a NaN anywhere
//! makes the row NaN, and `0 * inf := 0` in the losses. The README has the
//! full table beside what PyTorch, JAX and TensorFlow return.
//!
//! Lanes come from the `wide` crate, chosen at compile time: `f32x16` with
//! `avx512f`, `f32x8` with `avx` (FMA with `fma`), `f32x4` elsewhere (SSE2,
//! NEON, wasm simd128, plain arrays on Cortex-M). [`BACKEND`] names the one
//! in this build. The results agree with [`reference`](mod@reference) within the bounds
//! the README tabulates (softmax: 8 ULP; log-space outputs and losses:
//! `8 eps` of the magnitudes summed), on every backend.
//!
//! ```
//! let logits = [2.0f32, 1.0, 0.1];
//! let mut p = [0.0f32; 3];
//! softmax_simd::softmax(&logits, &mut p)?;
//! assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
//!
//! let mut grad = [0.0f32; 3];
//! let loss = softmax_simd::sparse_softmax_cross_entropy_with_logits(&logits, 0, Some(&mut grad))?;
//! assert!((loss - 0.41703).abs() < 1e-5);
//! assert!((grad[0] - (p[0] - 1.0)).abs() < 1e-6);
//!
//! // A wrong argument is an `Err`, never a panic.
//! assert_eq!(
//!     softmax_simd::sparse_softmax_cross_entropy_with_logits(&logits, 3, None),
//!     Err(softmax_simd::Error::LabelOutOfRange { label: 3, classes: 3 })
//! );
//! # Ok::<(), softmax_simd::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blocked;
mod checks;
mod error;
mod exp;
mod labels;
mod lanes;
mod options;
mod reduce;
pub mod reference;
mod rows;
mod softmax;
mod xent;

#[doc(hidden)]
pub use blocked::variants;
pub use error::Error;
pub mod quantized;
pub use exp::exp;
pub use labels::Label;
pub use lanes::{BACKEND, LANE_COUNT, UNROLL};
pub use options::{CrossEntropy, Reduction};
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

// The README's Rust examples are doctests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
