//! `softmax` and `log_softmax`, out of place and in place: the argument
//! checks, then the planned structure on the dispatched backend.

use crate::Error;
use crate::checks::same_len;
use crate::dispatch;

/// `softmax_i = exp(x_i - m) / S`, `m = max(x)`, `S = sum_i exp(x_i - m)`.
///
/// Special values (docs/SEMANTICS.md): `k` entries at `+inf` share the mass
/// (`[+inf, 0] -> [1, 0]`, `[+inf, +inf, 0] -> [0.5, 0.5, 0]`); a row of only
/// `-inf` (a masked row) gives zeros; a NaN anywhere makes the whole row NaN;
/// an empty row is `Ok(())` with nothing written.
///
/// Error: each output within a few ULP of the exact value (docs/accuracy.md),
/// on top of the rounding of `x_i - m` that every
/// implementation shares; outputs whose `exp(x_i - m)` is below
/// `f32::MIN_POSITIVE` are flushed to 0. The outputs sum to 1 within
/// `n * 2^-22`-ish (each is rounded on its own).
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// # Example
/// ```
/// let mut p = [0.0f32; 3];
/// softmax_simd::softmax(&[1.0, 2.0, 3.0], &mut p)?;
/// assert!((p[2] - 0.66524096).abs() < 1e-6);
/// softmax_simd::softmax(&[f32::INFINITY, 0.0, f32::INFINITY], &mut p)?;
/// assert_eq!(p, [0.5, 0.0, 0.5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    same_len(x.len(), out.len())?;
    dispatch::softmax(x, out)
}

/// [`softmax`] overwriting its input: same formula, same special values,
/// same results bit for bit.
///
/// # Example
/// ```
/// let mut row = [0.0f32, f32::NEG_INFINITY, 0.0];
/// softmax_simd::softmax_in_place(&mut row);
/// assert_eq!(row, [0.5, 0.0, 0.5]);
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_in_place(x: &mut [f32]) {
    dispatch::softmax_in_place(x);
}

/// `log_softmax_i = (x_i - m) - log1p(S - 1)`, `m = max(x)`, with `S - 1`
/// summed without the arg-max term (so `log_softmax([0, -20])[0]` is
/// `-2.0611537e-9`, not `0`).
///
/// Special values: `k` entries at `+inf` get `-ln k`, the rest `-inf`
/// (`[+inf, 0] -> [0, -inf]`); a row of only `-inf` gives `-inf`; NaN
/// anywhere gives all NaN; an empty row is `Ok(())`.
///
/// Error: within a few ULP of the exact value of the same formula (docs/accuracy.md).
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// # Example
/// ```
/// let mut out = [0.0f32; 2];
/// softmax_simd::log_softmax(&[1000.0, 1.0], &mut out)?;
/// assert_eq!(out, [0.0, -999.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    same_len(x.len(), out.len())?;
    dispatch::log_softmax(x, out)
}

/// [`log_softmax`] overwriting its input, bit for bit the same results.
///
/// # Example
/// ```
/// let mut row = [f32::INFINITY, 0.0];
/// softmax_simd::log_softmax_in_place(&mut row);
/// assert_eq!(row, [0.0, f32::NEG_INFINITY]);
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_in_place(x: &mut [f32]) {
    dispatch::log_softmax_in_place(x);
}
