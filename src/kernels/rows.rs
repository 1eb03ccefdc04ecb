//! Row-batched forms: a buffer of `rows * classes` values, row after row.
//!
//! Every argument is checked before anything is written, so an `Err` leaves
//! the outputs untouched. Each row is computed exactly as the single-row
//! kernel computes it (same results bit for bit); the backend is chosen
//! once per call, not once per row.

use super::same_len;
use crate::Error;
use crate::dispatch;

/// The number of rows in a buffer of `len` values, or why there is none.
fn rows(len: usize, classes: usize) -> Result<usize, Error> {
    if classes == 0 {
        return Err(Error::NoClasses);
    }
    if !len.is_multiple_of(classes) {
        return Err(Error::NotMultipleOfClasses { len, classes });
    }
    Ok(len / classes)
}

/// [`softmax`](crate::softmax) of each row of `classes` values of `x`, into `out`.
///
/// # Errors
/// [`Error::NoClasses`] if `classes == 0`; [`Error::NotMultipleOfClasses`] if
/// `x.len() % classes != 0`; [`Error::LengthMismatch`] if `out.len() != x.len()`.
///
/// # Example
/// ```
/// let x = [0.0f32, 0.0, 1.0, f32::NEG_INFINITY];
/// let mut p = [0.0f32; 4];
/// softmax_simd::softmax_rows(&x, 2, &mut p)?;
/// assert_eq!(p, [0.5, 0.5, 1.0, 0.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    rows(x.len(), classes)?;
    same_len(x.len(), out.len())?;
    dispatch::softmax_rows(x, classes, out);
    Ok(())
}

/// [`softmax_in_place`](crate::softmax_in_place) on each row of `classes` values of `x`.
///
/// # Errors
/// [`Error::NoClasses`] if `classes == 0`; [`Error::NotMultipleOfClasses`] if
/// `x.len() % classes != 0`.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> {
    rows(x.len(), classes)?;
    dispatch::softmax_rows_in_place(x, classes);
    Ok(())
}

/// [`log_softmax`](crate::log_softmax) of each row of `classes` values of `x`, into `out`.
///
/// # Errors
/// As [`softmax_rows`].
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    rows(x.len(), classes)?;
    same_len(x.len(), out.len())?;
    dispatch::log_softmax_rows(x, classes, out);
    Ok(())
}

/// [`log_softmax_in_place`](crate::log_softmax_in_place) on each row of `classes` values.
///
/// # Errors
/// As [`softmax_rows_in_place`].
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> {
    rows(x.len(), classes)?;
    dispatch::log_softmax_rows_in_place(x, classes);
    Ok(())
}

/// [`logsumexp`](crate::logsumexp) of each row of `classes` values of `x`:
/// `out[r] = logsumexp(x[r * classes..(r + 1) * classes])`.
///
/// # Errors
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`] as [`softmax_rows`];
/// [`Error::LengthMismatch`] if `out.len()` is not the number of rows.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    let n = rows(x.len(), classes)?;
    same_len(n, out.len())?;
    dispatch::logsumexp_rows(x, classes, out);
    Ok(())
}

/// [`softmax_cross_entropy_with_logits`](crate::softmax_cross_entropy_with_logits)
/// of each row: `losses[r]` is row `r`'s loss and, when `grad` is given,
/// its rows are the rows' gradients.
///
/// # Errors
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`] as [`softmax_rows`];
/// [`Error::LengthMismatch`] if `labels` or `grad` is not as long as
/// `logits`, or `losses` not as long as the number of rows.
///
/// # Example
/// ```
/// let logits = [0.0f32, 0.0, 5.0, 5.0];
/// let labels = [1.0f32, 0.0, 0.5, 0.5];
/// let mut losses = [0.0f32; 2];
/// softmax_simd::softmax_cross_entropy_with_logits_rows(&logits, &labels, 2, &mut losses, None)?;
/// assert!((losses[0] - core::f32::consts::LN_2).abs() < 1e-6);
/// assert!((losses[1] - core::f32::consts::LN_2).abs() < 1e-6);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_cross_entropy_with_logits_rows(
    logits: &[f32],
    labels: &[f32],
    classes: usize,
    losses: &mut [f32],
    grad: Option<&mut [f32]>,
) -> Result<(), Error> {
    let n = rows(logits.len(), classes)?;
    same_len(logits.len(), labels.len())?;
    same_len(n, losses.len())?;
    if let Some(g) = &grad {
        same_len(logits.len(), g.len())?;
    }
    dispatch::dense_rows(logits, labels, classes, losses, grad);
    Ok(())
}

/// [`sparse_softmax_cross_entropy_with_logits`](crate::sparse_softmax_cross_entropy_with_logits)
/// of each row, with one class index per row in `labels`.
///
/// # Errors
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`] as [`softmax_rows`];
/// [`Error::LengthMismatch`] if `labels` or `losses` is not as long as the
/// number of rows, or `grad` not as long as `logits`;
/// [`Error::LabelOutOfRange`] for the first label `>= classes`.
///
/// # Example
/// ```
/// let logits = [0.0f32, 0.0, 0.0, 0.0];
/// let mut losses = [0.0f32; 2];
/// softmax_simd::sparse_softmax_cross_entropy_with_logits_rows(&logits, &[0, 1], 2, &mut losses, None)?;
/// assert!((losses[1] - core::f32::consts::LN_2).abs() < 1e-6);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn sparse_softmax_cross_entropy_with_logits_rows(
    logits: &[f32],
    labels: &[usize],
    classes: usize,
    losses: &mut [f32],
    grad: Option<&mut [f32]>,
) -> Result<(), Error> {
    let n = rows(logits.len(), classes)?;
    same_len(n, labels.len())?;
    same_len(n, losses.len())?;
    // Lengths first, then values, as everywhere (and as the reference).
    if let Some(g) = &grad {
        same_len(logits.len(), g.len())?;
    }
    if let Some(&label) = labels.iter().find(|&&l| l >= classes) {
        return Err(Error::LabelOutOfRange { label, classes });
    }
    dispatch::sparse_rows(logits, labels, classes, losses, grad);
    Ok(())
}
