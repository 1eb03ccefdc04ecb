//! The options of the PyTorch-style cross-entropy
//! ([`cross_entropy_rows`](crate::reference::cross_entropy_rows) and
//! [`cross_entropy_rows_dense`](crate::reference::cross_entropy_rows_dense)).

/// How the per-row losses are reduced to the returned loss (PyTorch's
/// `reduction`; its `'none'` is the `losses` output of every call).
///
/// ```
/// use softmax_simd::Reduction;
/// assert_eq!(Reduction::default(), Reduction::Mean);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reduction {
    /// The sum of the per-row losses.
    Sum,
    /// PyTorch's mean: with class-index targets, the sum of the per-row
    /// losses divided by the sum of the weights of the rows not ignored
    /// (their count without weights); with probability targets, divided by
    /// the number of rows. When that denominator is zero (every row
    /// ignored, no rows, or only rows whose label weighs 0) the loss is NaN,
    /// as PyTorch's `0 / 0`, and so is the gradient of each row counted; an
    /// ignored row's gradient is zero whatever the reduction.
    #[default]
    Mean,
}

/// The options of `torch.nn.functional.cross_entropy` (`Default`: no
/// weights, nothing ignored, no smoothing, [`Reduction::Mean`]).
///
/// ```
/// use softmax_simd::{CrossEntropy, Reduction};
/// let w = [1.0f32, 2.0, 0.5];
/// let options = CrossEntropy {
///     weights: Some(&w),
///     ignore_index: Some(-100),
///     label_smoothing: 0.1,
///     ..CrossEntropy::default()
/// };
/// assert_eq!(options.reduction, Reduction::Mean);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossEntropy<'a> {
    /// A weight per class (`classes` values), PyTorch's `weight`.
    pub weights: Option<&'a [f32]>,
    /// A label value whose rows add no loss and no gradient (and no weight
    /// to the mean); compared with each label's value, so `-100` works with
    /// signed labels. Probability targets refuse it.
    pub ignore_index: Option<i64>,
    /// PyTorch's `label_smoothing`, in `[0, 1]`.
    pub label_smoothing: f32,
    /// How the per-row losses are reduced.
    pub reduction: Reduction,
}
