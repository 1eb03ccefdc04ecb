//! Reference temperature-scaled forms: `softmax(beta * x)` and friends,
//! computed from `beta * (x_i - m)` so that a common offset of the logits
//! never meets `beta` in a rounding.

use super::log_softmax::log_softmax_row;
use super::logsumexp::logsumexp_row;
use super::softmax::softmax_row;
use crate::Error;
use crate::checks::{beta as check_beta, rows, same_len};

/// Reference `softmax_scaled`: `softmax(beta * x)` as
/// `expf(beta * (x_i - m)) / S`, `S` a compensated sum (`beta = 1 / T`).
///
/// Special values as [`softmax`](super::softmax): the `+inf` limit, masked
/// rows of zeros, NaN rows.
///
/// # Errors
/// [`Error::InvalidBeta`] unless `beta` is finite and `> 0`, then
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// ```
/// let mut p = [0.0f32; 2];
/// softmax_simd::reference::softmax_scaled(&[1.0, 0.0], 2.0, &mut p)?;
/// assert!((p[0] - 0.880797).abs() < 1e-6); // softmax([2, 0])
/// assert_eq!(
///     softmax_simd::reference::softmax_scaled(&[1.0, 0.0], 0.0, &mut p),
///     Err(softmax_simd::Error::InvalidBeta)
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    same_len(x.len(), out.len())?;
    out.copy_from_slice(x);
    softmax_row(out, beta);
    Ok(())
}

/// Reference `softmax_scaled_in_place`: [`softmax_scaled`] over `x` itself.
///
/// # Errors
/// [`Error::InvalidBeta`]; `x` is then untouched.
///
/// ```
/// let mut x = [1.0f32, 1.0];
/// softmax_simd::reference::softmax_scaled_in_place(&mut x, 0.5)?;
/// assert_eq!(x, [0.5, 0.5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    softmax_row(x, beta);
    Ok(())
}

/// Reference `log_softmax_scaled`: `log_softmax(beta * x)` as
/// `beta * (x_i - m) - log1p(S - 1)`.
///
/// # Errors
/// [`Error::InvalidBeta`], then [`Error::LengthMismatch`]; nothing written.
///
/// ```
/// let mut z = [0.0f32; 2];
/// softmax_simd::reference::log_softmax_scaled(&[1000.0, 1.0], 0.5, &mut z)?;
/// assert_eq!(z, [0.0, -499.5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    same_len(x.len(), out.len())?;
    out.copy_from_slice(x);
    log_softmax_row(out, beta);
    Ok(())
}

/// Reference `log_softmax_scaled_in_place`.
///
/// # Errors
/// [`Error::InvalidBeta`]; `x` is then untouched.
///
/// ```
/// let mut x = [f32::INFINITY, 0.0];
/// softmax_simd::reference::log_softmax_scaled_in_place(&mut x, 3.0)?;
/// assert_eq!(x, [0.0, f32::NEG_INFINITY]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    log_softmax_row(x, beta);
    Ok(())
}

/// Reference `logsumexp_scaled`: `logsumexp(beta * x)` as
/// `beta * m + log1p(S - 1)`, the `S - 1` form kept.
///
/// # Errors
/// [`Error::InvalidBeta`] unless `beta` is finite and `> 0`.
///
/// ```
/// let l = softmax_simd::reference::logsumexp_scaled(&[0.0, -10.0], 2.0)?;
/// assert_eq!(l, 2.0611537e-9); // log1p(exp(-20))
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp_scaled(x: &[f32], beta: f32) -> Result<f32, Error> {
    check_beta(beta)?;
    Ok(logsumexp_row(x, beta))
}

/// Reference `softmax_rows_scaled`: [`softmax_scaled`] on each row of
/// `classes` values of `x`, into `out`.
///
/// # Errors
/// [`Error::InvalidBeta`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`], then [`Error::LengthMismatch`] (`out`);
/// nothing written.
///
/// ```
/// let mut p = [0.0f32; 4];
/// softmax_simd::reference::softmax_rows_scaled(&[0.0, 0.0, 1.0, f32::NEG_INFINITY], 2, 4.0, &mut p)?;
/// assert_eq!(p, [0.5, 0.5, 1.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    same_len(x.len(), out.len())?;
    out.copy_from_slice(x);
    out.chunks_exact_mut(classes).for_each(|r| softmax_row(r, beta));
    Ok(())
}

/// Reference `softmax_rows_scaled_in_place`.
///
/// # Errors
/// [`Error::InvalidBeta`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`]; `x` is then untouched.
///
/// ```
/// let mut x = [2.0f32, 2.0, 0.0, 0.0];
/// softmax_simd::reference::softmax_rows_scaled_in_place(&mut x, 2, 0.1)?;
/// assert_eq!(x, [0.5; 4]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    x.chunks_exact_mut(classes).for_each(|r| softmax_row(r, beta));
    Ok(())
}

/// Reference `log_softmax_rows_scaled`.
///
/// # Errors
/// As [`softmax_rows_scaled`].
///
/// ```
/// let mut z = [0.0f32; 2];
/// softmax_simd::reference::log_softmax_rows_scaled(&[3.0, f32::NEG_INFINITY], 1, 2.0, &mut z)?;
/// assert_eq!(z, [0.0, f32::NEG_INFINITY]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    same_len(x.len(), out.len())?;
    out.copy_from_slice(x);
    out.chunks_exact_mut(classes).for_each(|r| log_softmax_row(r, beta));
    Ok(())
}

/// Reference `log_softmax_rows_scaled_in_place`.
///
/// # Errors
/// As [`softmax_rows_scaled_in_place`].
///
/// ```
/// let mut x = [1.0f32, 1.0];
/// softmax_simd::reference::log_softmax_rows_scaled_in_place(&mut x, 2, 7.0)?;
/// assert_eq!(x, [-core::f32::consts::LN_2; 2]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error> {
    check_beta(beta)?;
    rows(x.len(), classes)?;
    x.chunks_exact_mut(classes).for_each(|r| log_softmax_row(r, beta));
    Ok(())
}

/// Reference `logsumexp_rows_scaled`: [`logsumexp_scaled`] of each row, one
/// value per row into `out`.
///
/// # Errors
/// [`Error::InvalidBeta`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`], then [`Error::LengthMismatch`] (`out`
/// must hold one value per row); nothing written.
///
/// ```
/// let mut l = [0.0f32; 2];
/// softmax_simd::reference::logsumexp_rows_scaled(&[0.0, 0.0, 1.0, f32::NEG_INFINITY], 2, 2.0, &mut l)?;
/// assert_eq!(l, [core::f32::consts::LN_2, 2.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
    check_beta(beta)?;
    let r = rows(x.len(), classes)?;
    same_len(r, out.len())?;
    for (o, row) in out.iter_mut().zip(x.chunks_exact(classes)) {
        *o = logsumexp_row(row, beta);
    }
    Ok(())
}
