//! Softmax cross-entropy with dense labels and with a class index: the
//! argument checks, then the planned structure on the dispatched backend
//! (the loss from one exp-sum pass that stores no exps, the gradient from
//! the exps stored in the gradient buffer and rescaled in place).

use crate::Error;
use crate::checks::{dense_xent, sparse_xent};
use crate::dispatch;

/// Dense softmax cross-entropy of one row:
/// `loss = sum_i y_i * (log1p(S - 1) - (x_i - m))`, a term with `y_i == 0`
/// being `0` even where `x_i = -inf`; gradient w.r.t. the logits
/// `grad_i = (sum_j y_j) * softmax_i - y_i` (the true gradient: TensorFlow's
/// fused op returns `softmax - y`, which agrees only when the labels sum to 1).
///
/// The loss is evaluated through `log1p(S - 1) - d_i`, never `lse - x_i`, so a
/// large common offset of the logits costs no accuracy.
///
/// Special values: a NaN logit gives a NaN loss and an all-NaN gradient;
/// `+inf` logits take the limit of `log_softmax` (`k` of them at `-ln k`, the
/// rest at `-inf`) with `0 * inf := 0` (`[+inf, 0]` with labels `[1, 0]`
/// gives 0, with `[0, 1]` gives `+inf`); a row of only `-inf` gives `+inf`
/// where a positive label weight falls on it and a gradient of `-y`.
///
/// Error: loss within a few ULP relative to `sum_i |y_i| (|log1p(S-1)| + |d_i|)`;
/// gradient within a few ULP of `|Y softmax_i| + |y_i|` absolute (docs/accuracy.md).
///
/// # Errors
/// [`Error::NoClasses`] if `logits` is empty; [`Error::LengthMismatch`] if
/// `labels` or `grad` has another length than `logits`. Nothing is written
/// on error.
///
/// # Example
/// ```
/// let mut grad = [0.0f32; 3];
/// let loss = softmax_simd::softmax_cross_entropy_with_logits(
///     &[f32::NEG_INFINITY, 0.0, 0.0], &[0.0, 1.0, 0.0], Some(&mut grad))?;
/// assert!((loss - core::f32::consts::LN_2).abs() < 1e-6);
/// assert_eq!(grad, [0.0, -0.5, 0.5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_cross_entropy_with_logits(
    logits: &[f32],
    labels: &[f32],
    grad: Option<&mut [f32]>,
) -> Result<f32, Error> {
    dense_xent(logits.len(), labels.len(), grad.as_ref().map(|g| g.len()))?;
    dispatch::dense_row(logits, labels, grad)
}

/// Sparse softmax cross-entropy of one row: `loss = log1p(S - 1) - (x_label - m)`
/// (`= logsumexp(x) - x[label]`), `grad = softmax(x) - onehot(label)`.
///
/// The gradient at the label is computed as `-(S - e_label) / S`, so a
/// confident correct prediction keeps its tiny gradient (`-1e-9`, not `0`).
///
/// Special values: a label on a `-inf` logit gives `+inf` (`[-inf, 0, 0]`,
/// label 0: loss `+inf`, grad `[-1, 0.5, 0.5]`); a NaN logit gives NaN loss
/// and gradient; `+inf` logits take the limits of `log_softmax`/`softmax`
/// (`k` at `+inf` share `1/k`); a row of only `-inf` gives `+inf` and a
/// gradient of `-onehot(label)`.
///
/// # Errors
/// [`Error::NoClasses`] if `logits` is empty, [`Error::LabelOutOfRange`] if
/// `label >= logits.len()`, [`Error::LengthMismatch`] if `grad` has another
/// length. Nothing is written on error.
///
/// # Example
/// ```
/// let mut grad = [0.0f32; 3];
/// let loss = softmax_simd::sparse_softmax_cross_entropy_with_logits(
///     &[f32::NEG_INFINITY, 0.0, 0.0], 0, Some(&mut grad))?;
/// assert_eq!(loss, f32::INFINITY);
/// assert_eq!(grad, [-1.0, 0.5, 0.5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn sparse_softmax_cross_entropy_with_logits(
    logits: &[f32],
    label: usize,
    grad: Option<&mut [f32]>,
) -> Result<f32, Error> {
    sparse_xent(logits.len(), label, grad.as_ref().map(|g| g.len()))?;
    dispatch::sparse_row(logits, label, grad)
}
