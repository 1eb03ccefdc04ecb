//! The backward passes (vector-Jacobian products) of softmax and
//! log-softmax from their forward outputs: a compensated dot product or
//! sum, then one element-wise pass.

use crate::Error;
use crate::checks::{backward as check, backward_rows as check_rows};
use crate::dispatch;

/// `dx_i = y_i * (dy_i - <dy, y>)`: the gradient with respect to the
/// logits of a loss whose gradient with respect to `y = softmax(x)` is
/// `dy` (PyTorch's `_softmax_backward_data`). The dot product is
/// compensated; IEEE arithmetic decides special values (a NaN in `y` or
/// `dy` makes every output NaN).
///
/// # Errors
/// [`Error::LengthMismatch`] if `dy` or `dx` is not as long as `y` (`dy`
/// checked first); nothing is written.
///
/// # Example
/// ```
/// let y = [0.25f32, 0.75];
/// let mut dx = [0.0f32; 2];
/// softmax_simd::softmax_backward(&y, &[1.0, 0.0], &mut dx)?;
/// assert_eq!(dx, [0.1875, -0.1875]); // 0.25 * (1 - 0.25), 0.75 * (0 - 0.25)
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<(), Error> {
    check(y.len(), dy.len(), dx.len())?;
    dispatch::softmax_backward(y, dy, dx);
    Ok(())
}

/// [`softmax_backward`] with the result written over `dy`, bit for bit
/// the same.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dy.len() != y.len()`; nothing written.
///
/// # Example
/// ```
/// let mut d = [1.0f32, 1.0];
/// softmax_simd::softmax_backward_in_place(&[0.5, 0.5], &mut d)?;
/// assert_eq!(d, [0.0, 0.0]); // a constant dy moves nothing
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward_in_place(y: &[f32], dy: &mut [f32]) -> Result<(), Error> {
    check(y.len(), dy.len(), dy.len())?;
    dispatch::softmax_backward_in_place(y, dy);
    Ok(())
}

/// `dx_i = dz_i - exp(z_i) * sum(dz)` from the log-softmax output `z`
/// (PyTorch's `_log_softmax_backward_data`); the sum compensated. A NaN
/// in `dz` makes every output NaN, a NaN `z_i` only `dx_i`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dz` or `dx` is not as long as `z`;
/// nothing is written.
///
/// # Example
/// ```
/// let z = [-core::f32::consts::LN_2; 2];
/// let mut dx = [0.0f32; 2];
/// softmax_simd::log_softmax_backward(&z, &[-1.0, 0.0], &mut dx)?;
/// // softmax - onehot: the cross-entropy gradient.
/// assert!((dx[0] + 0.5).abs() < 1e-7 && (dx[1] - 0.5).abs() < 1e-7);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward(z: &[f32], dz: &[f32], dx: &mut [f32]) -> Result<(), Error> {
    check(z.len(), dz.len(), dx.len())?;
    dispatch::log_softmax_backward(z, dz, dx);
    Ok(())
}

/// [`log_softmax_backward`] with the result written over `dz`, bit for
/// bit the same.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dz.len() != z.len()`; nothing written.
///
/// # Example
/// ```
/// let mut d = [-1.0f32, 0.0];
/// softmax_simd::log_softmax_backward_in_place(&[0.0, f32::NEG_INFINITY], &mut d)?;
/// assert_eq!(d, [0.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward_in_place(z: &[f32], dz: &mut [f32]) -> Result<(), Error> {
    check(z.len(), dz.len(), dz.len())?;
    dispatch::log_softmax_backward_in_place(z, dz);
    Ok(())
}

/// [`softmax_backward`] on each row of `classes` values (each row bit for
/// bit the single-row result).
///
/// # Errors
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`] (of `y`), then
/// [`Error::LengthMismatch`] (`dy`, then `dx`); nothing written.
///
/// # Example
/// ```
/// let y = [0.5f32, 0.5, 1.0, 0.0];
/// let mut dx = [0.0f32; 4];
/// softmax_simd::softmax_backward_rows(&y, &[1.0, 0.0, 1.0, 0.0], 2, &mut dx)?;
/// assert_eq!(dx, [0.25, -0.25, 0.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward_rows(y: &[f32], dy: &[f32], classes: usize, dx: &mut [f32]) -> Result<(), Error> {
    check_rows(y.len(), dy.len(), dx.len(), classes)?;
    dispatch::softmax_backward_rows(y, dy, classes, dx);
    Ok(())
}

/// [`softmax_backward_in_place`] on each row of `classes` values.
///
/// # Errors
/// As [`softmax_backward_rows`], with `dy` as the output.
///
/// # Example
/// ```
/// let mut d = [1.0f32, 0.0];
/// softmax_simd::softmax_backward_rows_in_place(&[1.0, 1.0], &mut d, 1)?;
/// assert_eq!(d, [0.0, 0.0]); // rows of one class have no gradient
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward_rows_in_place(y: &[f32], dy: &mut [f32], classes: usize) -> Result<(), Error> {
    check_rows(y.len(), dy.len(), dy.len(), classes)?;
    dispatch::softmax_backward_rows_in_place(y, dy, classes);
    Ok(())
}

/// [`log_softmax_backward`] on each row of `classes` values.
///
/// # Errors
/// As [`softmax_backward_rows`].
///
/// # Example
/// ```
/// let z = [0.0f32, f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY];
/// let mut dx = [0.0f32; 4];
/// softmax_simd::log_softmax_backward_rows(&z, &[0.0, -1.0, 2.0, 0.0], 2, &mut dx)?;
/// assert_eq!(dx, [1.0, -1.0, 0.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward_rows(z: &[f32], dz: &[f32], classes: usize, dx: &mut [f32]) -> Result<(), Error> {
    check_rows(z.len(), dz.len(), dx.len(), classes)?;
    dispatch::log_softmax_backward_rows(z, dz, classes, dx);
    Ok(())
}

/// [`log_softmax_backward_in_place`] on each row of `classes` values.
///
/// # Errors
/// As [`softmax_backward_rows`], with `dz` as the output.
///
/// # Example
/// ```
/// let mut d = [3.0f32];
/// softmax_simd::log_softmax_backward_rows_in_place(&[0.0], &mut d, 1)?;
/// assert_eq!(d, [0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward_rows_in_place(z: &[f32], dz: &mut [f32], classes: usize) -> Result<(), Error> {
    check_rows(z.len(), dz.len(), dz.len(), classes)?;
    dispatch::log_softmax_backward_rows_in_place(z, dz, classes);
    Ok(())
}
