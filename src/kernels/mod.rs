//! The public kernels: argument checks, then the planned structure on the
//! backend `dispatch` chose. `softmax`, `xent` and `rows` hold the row
//! kernels; this file the element-wise and reduction ones, the backend's
//! name and the hidden hooks of the test suite.

mod backward;
mod cross_entropy;
mod rows;
mod scaled;
mod softmax;
mod streaming;
mod xent;

pub use backward::{
    log_softmax_backward, log_softmax_backward_in_place, log_softmax_backward_rows, log_softmax_backward_rows_in_place,
    softmax_backward, softmax_backward_in_place, softmax_backward_rows, softmax_backward_rows_in_place,
};
pub use cross_entropy::{argmax, cross_entropy_rows, cross_entropy_rows_dense};

pub use rows::{
    log_softmax_rows, log_softmax_rows_in_place, logsumexp_rows, softmax_cross_entropy_with_logits_rows, softmax_rows,
    softmax_rows_in_place, sparse_softmax_cross_entropy_with_logits_rows,
};
pub use scaled::{
    log_softmax_rows_scaled, log_softmax_rows_scaled_in_place, log_softmax_scaled, log_softmax_scaled_in_place,
    logsumexp_rows_scaled, logsumexp_scaled, softmax_rows_scaled, softmax_rows_scaled_in_place, softmax_scaled,
    softmax_scaled_in_place,
};
pub use softmax::{log_softmax, log_softmax_in_place, softmax, softmax_in_place};
pub use streaming::LogSumExp;
pub use xent::{softmax_cross_entropy_with_logits, sparse_softmax_cross_entropy_with_logits};

use crate::Error;
use crate::checks::same_len;
use crate::dispatch;

/// The lanes this process runs the f32 kernels on: `"avx512f"`,
/// `"avx2+fma"` or `"sse2"` on x86_64 (the best the CPU and OS support,
/// detected once at the first call), `"neon"` on aarch64, `"simd128"` on
/// wasm32 built with that feature, `"scalar"` elsewhere (Cortex-M).
///
/// # Example
/// ```
/// let lanes = softmax_simd::backend();
/// assert!(["avx512f", "avx2+fma", "sse2", "neon", "simd128", "scalar"].contains(&lanes));
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn backend() -> &'static str {
    dispatch::current().name()
}

/// Element-wise `out[i] = exp(x[i])` with the crate's `rr2_p6` approximation.
///
/// Error: at most 1 ULP from the correctly rounded `expf` for every
/// `x` in `[-87.33654, 88.72283]` (proven exhaustively by the test suite on
/// every lane backend). Outside that range: `+inf` above `88.72283`
/// (`exp` overflows f32), `+0` below `-87.33654` (where `expf` would be
/// subnormal: results are **flushed to zero**, unlike `libm::expf`), `exp(-inf)
/// = 0`, `exp(+inf) = +inf`, NaN in gives NaN out. An empty `x` is `Ok(())`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// # Example
/// ```
/// let x = [0.0f32, 1.0, -1.0, -100.0, 100.0];
/// let mut out = [0.0f32; 5];
/// softmax_simd::exp(&x, &mut out)?;
/// assert_eq!(out[0], 1.0);
/// assert!((out[1] - core::f32::consts::E).abs() <= f32::EPSILON * 3.0);
/// assert_eq!(out[3], 0.0); // flushed: expf(-100) is subnormal
/// assert_eq!(out[4], f32::INFINITY);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn exp(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    same_len(x.len(), out.len())?;
    dispatch::exp(x, out)
}

/// The largest element of `x`: `NaN` if any element is NaN, `-inf` if `x`
/// is empty; `max([-0.0, 0.0])` may return either zero.
///
/// Vector accumulators of bare `max` instructions; NaN is tracked by a
/// separate `x != x` mask, so it never disappears into the max.
///
/// # Example
/// ```
/// assert_eq!(softmax_simd::max(&[1.0, 3.0, -2.0]), 3.0);
/// assert_eq!(softmax_simd::max(&[]), f32::NEG_INFINITY);
/// assert!(softmax_simd::max(&[1.0, f32::NAN]).is_nan());
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn max(x: &[f32]) -> f32 {
    dispatch::max(x)
}

/// `log(sum_i exp(x_i))`, as `m + log1p(S - 1)` with `m = max(x)` and `S - 1`
/// summed without the arg-max term, so tiny tails are not lost:
/// `logsumexp([0, -20]) = 2.0611537e-9` (PyTorch, JAX and TensorFlow return 0).
///
/// Special values: empty or all `-inf` gives `-inf`; any `+inf` (and no NaN)
/// gives `+inf`; any NaN gives NaN. Two passes (max, then exp-sum) on rows
/// that fit in cache, one blocked online pass beyond (module `plan`); no
/// exps are stored.
///
/// Error: within a few ULP of the f64 value (docs/accuracy.md),
/// and the sum of up to `2^24` terms is within `2^-20` relative.
///
/// # Example
/// ```
/// let lse = softmax_simd::logsumexp(&[0.0, -20.0]);
/// assert!((lse - 2.0611537e-9).abs() < 1e-15);
/// assert_eq!(softmax_simd::logsumexp(&[]), f32::NEG_INFINITY);
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp(x: &[f32]) -> f32 {
    dispatch::logsumexp(x)
}

/// The crate's structures forced regardless of the row length, on the
/// dispatched backend, for the benchmarks that measure the crossovers
/// (`benches/kernels.rs`). Not part of the supported API: hidden, unstable,
/// may change in any release.
#[doc(hidden)]
pub mod variants {
    use crate::Error;
    use crate::checks::same_len;
    use crate::dispatch;

    /// `softmax` by the 3-pass reload structure at every length.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_three_pass(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same_len(x.len(), out.len())?;
        dispatch::softmax_three_pass(x, out)
    }

    /// `softmax` by the blocked online structure at every length.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_blocked(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same_len(x.len(), out.len())?;
        dispatch::softmax_blocked(x, out)
    }

    /// `softmax_in_place` by the 3-pass reload structure.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_in_place_three_pass(x: &mut [f32]) {
        dispatch::softmax_in_place_three_pass(x);
    }

    /// `softmax_in_place` by the blocked online structure.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_in_place_blocked(x: &mut [f32]) {
        dispatch::softmax_in_place_blocked(x);
    }

    /// `logsumexp` in two passes (max, then the exp-sum).
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn logsumexp_two_pass(x: &[f32]) -> f32 {
        dispatch::logsumexp_two_pass(x)
    }

    /// `logsumexp` in one blocked online pass.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn logsumexp_one_pass(x: &[f32]) -> f32 {
        dispatch::logsumexp_one_pass(x)
    }

    /// The compute floor of one pass: `sum_i exp(x_i - m)` with the crate's
    /// exp, `m` given, plain accumulators (no compensation, no tie count).
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn exp_sum_floor(x: &[f32], m: f32) -> f32 {
        dispatch::exp_sum_floor(x, m)
    }
}

/// Hooks for the test suite and the fuzzers: force a backend or a pass
/// structure for every later call in this process, so that one suite runs
/// on every implementation. Not part of the supported API: hidden,
/// unstable, may change in any release.
#[doc(hidden)]
pub mod testing {
    use crate::dispatch::{Backend, force, supported};
    use crate::plan;

    /// The backends this CPU (and OS) can run, best first, by the names
    /// [`backend`](crate::backend) reports.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn backends() -> impl Iterator<Item = &'static str> {
        Backend::ALL
            .iter()
            .copied()
            .filter(|&b| supported(b))
            .map(Backend::name)
    }

    /// Forces backend `name`; `false` (nothing changed) if it is unknown,
    /// this CPU cannot run it, or the build fixed the choice at compile time
    /// (target features including `avx512f`).
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn force_backend(name: &str) -> bool {
        force(name)
    }

    /// Forces the pass structure: `"short"` (3-pass softmax, two-pass
    /// log-sum) or `"long"` (blocked softmax, one-pass log-sum) at every
    /// length, `"auto"` for the planned crossovers; `false` for another
    /// name. Bare-metal builds have no long structures: `"long"` is
    /// accepted there but changes nothing.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn force_structure(name: &str) -> bool {
        let s = match name {
            "auto" => plan::AUTO,
            "short" => plan::SHORT,
            "long" => plan::LONG,
            _ => return false,
        };
        plan::force_structure(s);
        true
    }

    /// The forced structure's name.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn structure() -> &'static str {
        match plan::structure() {
            plan::SHORT => "short",
            plan::LONG => "long",
            _ => "auto",
        }
    }
}

#[cfg(test)]
mod tests;
