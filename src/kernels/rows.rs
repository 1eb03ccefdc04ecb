//! Row-batched forms: a buffer of `rows * classes` values, row after row.
//!
//! Every argument is checked before anything is written, so an `Err` leaves
//! the outputs untouched. Each row is computed exactly as the single-row
//! kernel computes it (same results bit for bit); the backend is chosen
//! once per call, not once per row.

use crate::Error;
use crate::checks::{dense_xent_rows, rows, same_len, sparse_xent_rows};
use crate::dispatch;

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
    dispatch::softmax_rows(x, classes, out)
}

/// [`softmax_in_place`](crate::softmax_in_place) on each row of `classes` values of `x`.
///
/// # Errors
/// [`Error::NoClasses`] if `classes == 0`; [`Error::NotMultipleOfClasses`] if
/// `x.len() % classes != 0`.
///
/// # Example
/// ```
/// // Two rows of two classes; a fully masked row gives zeros.
/// let mut x = [0.0f32, 0.0, f32::NEG_INFINITY, f32::NEG_INFINITY];
/// softmax_simd::softmax_rows_in_place(&mut x, 2)?;
/// assert_eq!(x, [0.5, 0.5, 0.0, 0.0]);
///
/// // Five values are not whole rows of two: an `Err`, and nothing written.
/// let mut odd = [1.0f32; 5];
/// assert_eq!(
///     softmax_simd::softmax_rows_in_place(&mut odd, 2),
///     Err(softmax_simd::Error::NotMultipleOfClasses { len: 5, classes: 2 })
/// );
/// assert_eq!(odd, [1.0; 5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> {
    rows(x.len(), classes)?;
    dispatch::softmax_rows_in_place(x, classes)
}

/// [`log_softmax`](crate::log_softmax) of each row of `classes` values of `x`, into `out`.
///
/// # Errors
/// As [`softmax_rows`].
///
/// # Example
/// ```
/// let x = [0.0f32, 0.0, 1000.0, 1.0];
/// let mut out = [0.0f32; 4];
/// softmax_simd::log_softmax_rows(&x, 2, &mut out)?;
/// assert!((out[0] + core::f32::consts::LN_2).abs() < 1e-6);
/// assert_eq!(out[1], out[0]);
/// // No overflow for large logits: log_softmax([1000, 1]) = [0, -999].
/// assert_eq!(out[2..], [0.0, -999.0]);
///
/// // `out` must be as long as `x`.
/// assert_eq!(
///     softmax_simd::log_softmax_rows(&x, 2, &mut [0.0; 2]),
///     Err(softmax_simd::Error::LengthMismatch { expected: 4, found: 2 })
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    rows(x.len(), classes)?;
    same_len(x.len(), out.len())?;
    dispatch::log_softmax_rows(x, classes, out)
}

/// [`log_softmax_in_place`](crate::log_softmax_in_place) on each row of `classes` values.
///
/// # Errors
/// As [`softmax_rows_in_place`].
///
/// # Example
/// ```
/// let mut x = [1.0f32, 2.0, 3.0, f32::INFINITY, 0.0, f32::INFINITY];
/// softmax_simd::log_softmax_rows_in_place(&mut x, 3)?;
/// // Row 0: the probabilities exp(out) sum to one.
/// let total: f32 = x[..3].iter().map(|v| v.exp()).sum();
/// assert!((total - 1.0).abs() < 1e-6);
/// // Row 1: the two +inf entries share the mass (-ln 2 each), the finite one gets -inf.
/// assert!((x[3] + core::f32::consts::LN_2).abs() < 1e-6);
/// assert_eq!(x[5], x[3]);
/// assert_eq!(x[4], f32::NEG_INFINITY);
///
/// assert_eq!(
///     softmax_simd::log_softmax_rows_in_place(&mut x, 0),
///     Err(softmax_simd::Error::NoClasses)
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> {
    rows(x.len(), classes)?;
    dispatch::log_softmax_rows_in_place(x, classes)
}

/// [`logsumexp`](crate::logsumexp) of each row of `classes` values of `x`:
/// `out[r] = logsumexp(x[r * classes..(r + 1) * classes])`.
///
/// # Errors
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`] as [`softmax_rows`];
/// [`Error::LengthMismatch`] if `out.len()` is not the number of rows.
///
/// # Example
/// ```
/// let x = [0.0f32, 0.0, 0.0, -20.0, f32::NEG_INFINITY, f32::NEG_INFINITY];
/// let mut lse = [0.0f32; 3];
/// softmax_simd::logsumexp_rows(&x, 2, &mut lse)?;
/// assert!((lse[0] - core::f32::consts::LN_2).abs() < 1e-6);
/// assert_eq!(lse[1], 2.0611537e-9); // log1p(exp(-20)), not 0
/// assert_eq!(lse[2], f32::NEG_INFINITY); // a fully masked row
///
/// // One output per row, not per value.
/// assert_eq!(
///     softmax_simd::logsumexp_rows(&x, 2, &mut [0.0; 6]),
///     Err(softmax_simd::Error::LengthMismatch { expected: 3, found: 6 })
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    let n = rows(x.len(), classes)?;
    same_len(n, out.len())?;
    dispatch::logsumexp_rows(x, classes, out)
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
    dense_xent_rows(
        logits.len(),
        labels.len(),
        classes,
        losses.len(),
        grad.as_ref().map(|g| g.len()),
    )?;
    dispatch::dense_rows(logits, labels, classes, losses, grad)
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
    sparse_xent_rows(
        logits.len(),
        labels,
        classes,
        losses.len(),
        grad.as_ref().map(|g| g.len()),
    )?;
    dispatch::sparse_rows(logits, labels, classes, losses, grad)
}
