//! Allocation-free, panic-free SIMD kernels for the softmax family on `f32`
//! slices: `no_std`, no heap, `unsafe` only in the two audited x86 modules, a `Result` for every argument that
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
//! makes the row NaN, and `0 * inf := 0` in the losses. docs/SEMANTICS.md has the
//! full table beside what PyTorch, JAX and TensorFlow return.
//!
//! Lanes are chosen at run time on x86_64: AVX-512F (`__m512`) or
//! AVX2+FMA (`__m256`) where the CPU and OS support them, else SSE2, from a
//! default build with no `RUSTFLAGS`; elsewhere `wide::f32x4` on the
//! build's baseline (NEON, wasm simd128, plain arrays on Cortex-M).
//! [`backend`] names the lanes this process uses. The results agree with [`reference`](mod@reference) within the bounds
//! docs/accuracy.md tabulates (softmax: 8 ULP; log-space outputs and losses:
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
//!
//! # Training loops and samplers
//!
//! Temperature ([`softmax_scaled`] and its log, logsumexp, in-place and
//! row forms, `beta = 1 / T`), the backward passes ([`softmax_backward`],
//! [`log_softmax_backward`]), PyTorch's `cross_entropy` with its options
//! ([`cross_entropy_rows`], [`cross_entropy_rows_dense`], [`CrossEntropy`])
//! and a logsumexp state that chunks and threads merge ([`LogSumExp`]).
//! docs/training.md has the formulas and PyTorch's conventions.
//!
//! A sampler draws from the softmax at a temperature:
//! ```
//! let logits = [0.5f32, 2.5, 2.0, -3.0];
//! let mut p = [0.0f32; 4];
//! softmax_simd::softmax_scaled(&logits, 1.0 / 1.5, &mut p)?; // T = 1.5
//! let u = 0.6f32; // uniform in [0, 1) from the caller's RNG
//! let mut below = 0.0;
//! let token = p.iter().take_while(|&&q| { below += q; below <= u }).count().min(3);
//! assert_eq!(token, 1);
//! assert_eq!(softmax_simd::argmax(&logits), Some(1)); // greedy
//! # Ok::<(), softmax_simd::Error>(())
//! ```
//!
//! A training step takes the mean loss over a batch, with class weights,
//! label smoothing and ignored rows, and its gradient for the optimiser:
//! ```
//! use softmax_simd::{CrossEntropy, Reduction};
//! let logits = [1.0f32, 0.0, -1.0, 0.3, 0.2, 0.1];
//! let labels: [i64; 2] = [0, -100]; // the second row is ignored
//! let weights = [1.0f32, 0.5, 2.0];
//! let options = CrossEntropy {
//!     weights: Some(&weights),
//!     ignore_index: Some(-100),
//!     label_smoothing: 0.1,
//!     reduction: Reduction::Mean,
//! };
//! let mut grad = [0.0f32; 6];
//! let loss = softmax_simd::cross_entropy_rows(&logits, &labels, 3, &options, None, Some(&mut grad))?;
//! let oracle = softmax_simd::reference::cross_entropy_rows(&logits, &labels, 3, &options, None, None)?;
//! assert!((loss - oracle).abs() <= 8.0 * f32::EPSILON * oracle);
//! assert_eq!(&grad[3..], &[0.0; 3]);
//! # Ok::<(), softmax_simd::Error>(())
//! ```
//!
//! A row split across threads is summarised per chunk and merged:
//! ```
//! use softmax_simd::LogSumExp;
//! let row: Vec<f32> = (0..4096).map(|i| (i % 31) as f32 * 0.25).collect();
//! let part = |c: &[f32]| {
//!     let mut st = LogSumExp::new();
//!     st.update(c);
//!     st
//! };
//! let states: Vec<LogSumExp> = std::thread::scope(|s| {
//!     let spawned: Vec<_> = row
//!         .chunks(1024)
//!         .map(|c| (c, std::thread::Builder::new().spawn_scoped(s, move || part(c))))
//!         .collect();
//!     // A target without threads (wasm32-wasip1) does each chunk here.
//!     spawned.into_iter().map(|(c, h)| h.map_or_else(|_| part(c), |h| h.join().unwrap())).collect()
//! });
//! let mut whole = LogSumExp::new();
//! states.iter().for_each(|st| whole.merge(st));
//! let lse = softmax_simd::logsumexp(&row);
//! assert!((whole.finish() - lse).abs() <= 8.0 * f32::EPSILON * lse.abs());
//! ```
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

// Layers, each importing only from the ones above it in this list:
// lanes (the trait and its backends) -> exp -> accum (max, sums, the
// S - 1 split) -> passes (3-pass, blocked, one-pass) -> plan (which
// structure, per backend and length) -> dispatch (which backend) ->
// kernels (the public functions). `reference` and `quantized` stand apart.
mod accum;
mod checks;
mod dispatch;
mod error;
mod exp;
mod kernels;
mod labels;
mod lanes;
mod options;
mod passes;
mod plan;
pub mod quantized;
pub mod reference;

pub use error::Error;
pub use kernels::*;
pub use labels::Label;
pub use options::{CrossEntropy, Reduction};

/// The portable lanes' name (`"sse2"`, `"neon"`, `"simd128"` or
/// `"scalar"`): the compile-time baseline, not what a call runs on
/// (that is [`backend`]).
///
/// # Example
/// ```
/// use softmax_simd::{BACKEND, LANE_COUNT, UNROLL};
/// // The baseline of a default x86-64 build is SSE2, even where the calls
/// // run on AVX-512: `backend()` names those.
/// assert!(["sse2", "neon", "simd128", "scalar"].contains(&BACKEND));
/// assert_eq!(LANE_COUNT, if BACKEND == "scalar" { 1 } else { 4 });
/// assert!([1, 2, 4].contains(&UNROLL));
/// ```
pub const BACKEND: &str = <lanes::Portable as lanes::Lanes>::NAME;
/// Lanes per vector of the compile-time baseline ([`BACKEND`]): 4, or 1
/// for the scalar lanes.
pub const LANE_COUNT: usize = <lanes::Portable as lanes::Lanes>::LANES;
/// Vectors per loop step of the compile-time baseline ([`BACKEND`]).
pub const UNROLL: usize = dispatch::K_PORTABLE;

// Links every kernel into the no-panic proof's test binary (see the file).
#[cfg(all(test, softmax_simd_no_panic))]
#[path = "../firmware/no-panic/roots.rs"]
mod no_panic_roots;

// The README's Rust examples are doctests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// So is the training page's example (moved there from the README).
#[cfg(doctest)]
#[doc = include_str!("../docs/training.md")]
struct TrainingDoctests;
