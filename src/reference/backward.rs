//! Reference backward passes (vector-Jacobian products, as PyTorch's
//! `_softmax_backward_data` and `_log_softmax_backward_data`) from the
//! forward outputs: `softmax`: `dx = y * (dy - <dy, y>)`; `log_softmax`:
//! `dx = dz - exp(z) * sum(dz)`. The dot product and the sum are
//! compensated; NaN and infinities go through the formulas as IEEE
//! arithmetic takes them (a NaN in `dy`, `y` or `dz` makes every output
//! NaN; a NaN `z_i` only `dx_i`).

use super::sum::neumaier;
use crate::Error;
use crate::checks::{backward as check, backward_rows as check_rows};

/// `d := y * (d - <d, y>)`.
fn softmax_vjp(y: &[f32], d: &mut [f32]) {
    let dot = neumaier(y.iter().zip(d.iter()).map(|(&y, &d)| y * d));
    for (d, &y) in d.iter_mut().zip(y) {
        *d = y * (*d - dot);
    }
}

/// `d := d - exp(z) * sum(d)`.
fn log_softmax_vjp(z: &[f32], d: &mut [f32]) {
    let total = neumaier(d.iter().copied());
    for (d, &z) in d.iter_mut().zip(z) {
        *d -= libm::expf(z) * total;
    }
}

/// Reference `softmax_backward`: `dx_i = y_i * (dy_i - <dy, y>)`, the
/// gradient with respect to the logits of a loss whose gradient with
/// respect to `y = softmax(x)` is `dy`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dy` or `dx` is not as long as `y`
/// (`dy` checked first); nothing is written.
///
/// ```
/// let y = [0.25f32, 0.75];
/// let mut dx = [0.0f32; 2];
/// softmax_simd::reference::softmax_backward(&y, &[1.0, 0.0], &mut dx)?;
/// assert_eq!(dx, [0.1875, -0.1875]); // 0.25 * (1 - 0.25), 0.75 * (0 - 0.25)
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<(), Error> {
    check(y.len(), dy.len(), dx.len())?;
    dx.copy_from_slice(dy);
    softmax_vjp(y, dx);
    Ok(())
}

/// Reference `softmax_backward_in_place`: [`softmax_backward`] with the
/// result written over `dy`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dy.len() != y.len()`; nothing written.
///
/// ```
/// let mut d = [1.0f32, 1.0];
/// softmax_simd::reference::softmax_backward_in_place(&[0.5, 0.5], &mut d)?;
/// assert_eq!(d, [0.0, 0.0]); // a constant dy moves nothing
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward_in_place(y: &[f32], dy: &mut [f32]) -> Result<(), Error> {
    check(y.len(), dy.len(), dy.len())?;
    softmax_vjp(y, dy);
    Ok(())
}

/// Reference `log_softmax_backward`: `dx_i = dz_i - exp(z_i) * sum(dz)`
/// from the log-softmax output `z`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dz` or `dx` is not as long as `z`;
/// nothing is written.
///
/// ```
/// let z = [-core::f32::consts::LN_2; 2];
/// let mut dx = [0.0f32; 2];
/// softmax_simd::reference::log_softmax_backward(&z, &[-1.0, 0.0], &mut dx)?;
/// assert_eq!(dx, [-0.5, 0.5]); // softmax - onehot: the cross-entropy gradient
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward(z: &[f32], dz: &[f32], dx: &mut [f32]) -> Result<(), Error> {
    check(z.len(), dz.len(), dx.len())?;
    dx.copy_from_slice(dz);
    log_softmax_vjp(z, dx);
    Ok(())
}

/// Reference `log_softmax_backward_in_place`: the result written over `dz`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `dz.len() != z.len()`; nothing written.
///
/// ```
/// let mut d = [-1.0f32, 0.0];
/// softmax_simd::reference::log_softmax_backward_in_place(&[0.0, f32::NEG_INFINITY], &mut d)?;
/// assert_eq!(d, [0.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward_in_place(z: &[f32], dz: &mut [f32]) -> Result<(), Error> {
    check(z.len(), dz.len(), dz.len())?;
    log_softmax_vjp(z, dz);
    Ok(())
}

/// Reference `softmax_backward_rows`: [`softmax_backward`] on each row of
/// `classes` values.
///
/// # Errors
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`] (of `y`), then
/// [`Error::LengthMismatch`] (`dy`, then `dx`); nothing written.
///
/// ```
/// let y = [0.5f32, 0.5, 1.0, 0.0];
/// let mut dx = [0.0f32; 4];
/// softmax_simd::reference::softmax_backward_rows(&y, &[1.0, 0.0, 1.0, 0.0], 2, &mut dx)?;
/// assert_eq!(dx, [0.25, -0.25, 0.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward_rows(y: &[f32], dy: &[f32], classes: usize, dx: &mut [f32]) -> Result<(), Error> {
    check_rows(y.len(), dy.len(), dx.len(), classes)?;
    dx.copy_from_slice(dy);
    for (y, d) in y.chunks_exact(classes).zip(dx.chunks_exact_mut(classes)) {
        softmax_vjp(y, d);
    }
    Ok(())
}

/// Reference `softmax_backward_rows_in_place`.
///
/// # Errors
/// As [`softmax_backward_rows`], with `dy` as the output.
///
/// ```
/// let mut d = [1.0f32, 0.0];
/// softmax_simd::reference::softmax_backward_rows_in_place(&[1.0, 1.0], &mut d, 1)?;
/// assert_eq!(d, [0.0, 0.0]); // rows of one class have no gradient
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_backward_rows_in_place(y: &[f32], dy: &mut [f32], classes: usize) -> Result<(), Error> {
    check_rows(y.len(), dy.len(), dy.len(), classes)?;
    for (y, d) in y.chunks_exact(classes).zip(dy.chunks_exact_mut(classes)) {
        softmax_vjp(y, d);
    }
    Ok(())
}

/// Reference `log_softmax_backward_rows`: [`log_softmax_backward`] on each
/// row of `classes` values.
///
/// # Errors
/// As [`softmax_backward_rows`].
///
/// ```
/// let z = [0.0f32, f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY];
/// let mut dx = [0.0f32; 4];
/// softmax_simd::reference::log_softmax_backward_rows(&z, &[0.0, -1.0, 2.0, 0.0], 2, &mut dx)?;
/// assert_eq!(dx, [1.0, -1.0, 0.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward_rows(z: &[f32], dz: &[f32], classes: usize, dx: &mut [f32]) -> Result<(), Error> {
    check_rows(z.len(), dz.len(), dx.len(), classes)?;
    dx.copy_from_slice(dz);
    for (z, d) in z.chunks_exact(classes).zip(dx.chunks_exact_mut(classes)) {
        log_softmax_vjp(z, d);
    }
    Ok(())
}

/// Reference `log_softmax_backward_rows_in_place`.
///
/// # Errors
/// As [`softmax_backward_rows`], with `dz` as the output.
///
/// ```
/// let mut d = [3.0f32];
/// softmax_simd::reference::log_softmax_backward_rows_in_place(&[0.0], &mut d, 1)?;
/// assert_eq!(d, [0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_backward_rows_in_place(z: &[f32], dz: &mut [f32], classes: usize) -> Result<(), Error> {
    check_rows(z.len(), dz.len(), dz.len(), classes)?;
    for (z, d) in z.chunks_exact(classes).zip(dz.chunks_exact_mut(classes)) {
        log_softmax_vjp(z, d);
    }
    Ok(())
}
