//! Temperature-scaled softmax, log-softmax and logsumexp (`beta = 1 / T`):
//! the shared argument checks, then the planned structure of the unscaled
//! kernels with the exponent `beta * (x_i - m)`.

use crate::Error;
use crate::checks::{beta as check_beta, rows, same_len};
use crate::dispatch;

/// `softmax(beta * x)` (`beta = 1 / temperature`), computed as
/// `exp(beta * (x_i - m)) / S` with `m = max(x)`: a common offset of the
/// logits never meets `beta` in a rounding.
///
/// Special values as [`softmax`](crate::softmax) (`beta > 0` keeps every
/// limit): `k` entries at `+inf` share `1/k`, a masked row gives zeros, a
/// NaN makes the row NaN. Error: the unscaled kernel's (8 ULP of the exact
/// value of the same formula).
///
/// # Errors
/// [`Error::InvalidBeta`] unless `beta` is finite and `> 0`, then
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// # Example
/// ```
/// let mut p = [0.0f32; 2];
/// softmax_simd::softmax_scaled(&[1.0, 0.0], 2.0, &mut p)?; // softmax([2, 0])
/// assert!((p[0] - 0.880797).abs() < 1e-6);
/// assert_eq!(
///     softmax_simd::softmax_scaled(&[1.0, 0.0], 0.0, &mut p),
///     Err(softmax_simd::Error::InvalidBeta)
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    same_len(x.len(), out.len())?;
    dispatch::softmax_scaled(x, beta, out)
}

/// [`softmax_scaled`] overwriting `x`, bit for bit the same results.
///
/// # Errors
/// [`Error::InvalidBeta`]; `x` is then untouched.
///
/// # Example
/// ```
/// let mut x = [1.0f32, 1.0, f32::NEG_INFINITY];
/// softmax_simd::softmax_scaled_in_place(&mut x, 0.5)?;
/// assert_eq!(x, [0.5, 0.5, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    dispatch::softmax_scaled_in_place(x, beta)
}

/// `log_softmax(beta * x)` as `beta * (x_i - m) - log1p(S - 1)`.
///
/// # Errors
/// [`Error::InvalidBeta`], then [`Error::LengthMismatch`]; nothing written.
///
/// # Example
/// ```
/// let mut z = [0.0f32; 2];
/// softmax_simd::log_softmax_scaled(&[1000.0, 1.0], 0.5, &mut z)?;
/// assert_eq!(z, [0.0, -499.5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    same_len(x.len(), out.len())?;
    dispatch::log_softmax_scaled(x, beta, out)
}

/// [`log_softmax_scaled`] overwriting `x`, bit for bit the same results.
///
/// # Errors
/// [`Error::InvalidBeta`]; `x` is then untouched.
///
/// # Example
/// ```
/// let mut x = [f32::INFINITY, 0.0];
/// softmax_simd::log_softmax_scaled_in_place(&mut x, 3.0)?;
/// assert_eq!(x, [0.0, f32::NEG_INFINITY]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    dispatch::log_softmax_scaled_in_place(x, beta)
}

/// `logsumexp(beta * x)` as `beta * m + log1p(S - 1)`, the `S - 1` form
/// kept (`logsumexp_scaled([0, -10], 2) = 2.0611537e-9`). Empty or masked:
/// `-inf`; a `+inf`: `+inf`; a NaN: NaN.
///
/// # Errors
/// [`Error::InvalidBeta`] unless `beta` is finite and `> 0`.
///
/// # Example
/// ```
/// let l = softmax_simd::logsumexp_scaled(&[0.0, -10.0], 2.0)?;
/// assert!((l - 2.0611537e-9).abs() < 1e-15);
/// assert_eq!(softmax_simd::logsumexp_scaled(&[], 2.0), Ok(f32::NEG_INFINITY));
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp_scaled(x: &[f32], beta: f32) -> Result<f32, Error> {
    check_beta(beta)?;
    dispatch::logsumexp_scaled(x, beta)
}

/// [`softmax_scaled`] on each row of `classes` values of `x`, into `out`
/// (each row bit for bit the single-row result).
///
/// # Errors
/// [`Error::InvalidBeta`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`], then [`Error::LengthMismatch`] (`out`);
/// nothing written.
///
/// # Example
/// ```
/// let mut p = [0.0f32; 4];
/// softmax_simd::softmax_rows_scaled(&[0.0, 0.0, 1.0, f32::NEG_INFINITY], 2, 4.0, &mut p)?;
/// assert_eq!(p, [0.5, 0.5, 1.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    same_len(x.len(), out.len())?;
    dispatch::softmax_rows_scaled(x, classes, beta, out)
}

/// [`softmax_scaled_in_place`] on each row of `classes` values.
///
/// # Errors
/// [`Error::InvalidBeta`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`]; `x` is then untouched.
///
/// # Example
/// ```
/// let mut x = [2.0f32, 2.0, 0.0, 0.0];
/// softmax_simd::softmax_rows_scaled_in_place(&mut x, 2, 0.1)?;
/// assert_eq!(x, [0.5; 4]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    dispatch::softmax_rows_scaled_in_place(x, classes, beta)
}

/// [`log_softmax_scaled`] on each row of `classes` values, into `out`.
///
/// # Errors
/// As [`softmax_rows_scaled`].
///
/// # Example
/// ```
/// let mut z = [0.0f32; 2];
/// softmax_simd::log_softmax_rows_scaled(&[3.0, f32::NEG_INFINITY], 1, 2.0, &mut z)?;
/// assert_eq!(z, [0.0, f32::NEG_INFINITY]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    same_len(x.len(), out.len())?;
    dispatch::log_softmax_rows_scaled(x, classes, beta, out)
}

/// [`log_softmax_scaled_in_place`] on each row of `classes` values.
///
/// # Errors
/// As [`softmax_rows_scaled_in_place`].
///
/// # Example
/// ```
/// let mut x = [1.0f32, 1.0];
/// softmax_simd::log_softmax_rows_scaled_in_place(&mut x, 2, 7.0)?;
/// assert_eq!(x, [-core::f32::consts::LN_2; 2]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    dispatch::log_softmax_rows_scaled_in_place(x, classes, beta)
}

/// [`logsumexp_scaled`] of each row of `classes` values, one per row into
/// `out`.
///
/// # Errors
/// [`Error::InvalidBeta`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`], then [`Error::LengthMismatch`] (`out`
/// must hold one value per row); nothing written.
///
/// # Example
/// ```
/// let mut l = [0.0f32; 2];
/// softmax_simd::logsumexp_rows_scaled(&[0.0, 0.0, 1.0, f32::NEG_INFINITY], 2, 2.0, &mut l)?;
/// assert_eq!(l, [core::f32::consts::LN_2, 2.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    let r = rows(x.len(), classes)?;
    same_len(r, out.len())?;
    dispatch::logsumexp_rows_scaled(x, classes, beta, out)
}
