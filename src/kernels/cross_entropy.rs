//! PyTorch's `torch.nn.functional.cross_entropy` on rows of logits (class
//! weights, `ignore_index`, label smoothing, `Sum` / `Mean`), and `argmax`
//! for greedy decoding.

use crate::accum::Neumaier;
use crate::checks::{Targets as Checked, class, cross_entropy};
use crate::dispatch;
use crate::passes::training::{Target, Xent};
use crate::{CrossEntropy, Error, Label, Reduction};

/// The weight of class `c` (1 without weights).
fn weight(options: &CrossEntropy<'_>, c: usize) -> f32 {
    options.weights.map_or(1.0, |w| w.get(c).copied().unwrap_or(f32::NAN))
}

/// Rows per dispatched call of [`cross_entropy_rows`] (their class
/// indices sit in a stack array of this many `usize`).
const CHUNK: usize = 64;

/// `2^64`.
const TWO_64: f32 = 18_446_744_073_709_551_616.0;

/// The row pass's options for a reduction denominator `div`.
fn xent<'a>(options: &CrossEntropy<'a>, classes: usize, div: f32) -> Xent<'a> {
    let e = options.label_smoothing;
    let e_c = e / classes as f32;
    // 0 * inf and 0 * NaN are NaN: a weight that is not finite makes the
    // spread terms count even without smoothing, as in the reference.
    let finite = options.weights.is_none_or(|w| w.iter().all(|v| v.is_finite()));
    // A subnormal `div` (weights near 0) overflows `1 / div`: divide by
    // `div * 2^64` instead, the gradient first multiplied by `2^64`.
    let pre_div = if (1.0 / div).is_infinite() && div != 0.0 {
        TWO_64
    } else {
        1.0
    };
    Xent {
        weights: options.weights,
        keep: 1.0 - e,
        e_c,
        inv_div: 1.0 / (div * pre_div),
        pre_div,
        div,
        spread: e_c != 0.0 || !finite,
    }
}

/// PyTorch's `cross_entropy` with class-index targets on
/// `logits.len() / classes` rows.
///
/// Row `n` with label `t` (`w` the weights, all 1 without, `e` the
/// smoothing, `C = classes`) loses
/// `l_n = (1 - e) w[t] (-log p[t]) + (e / C) sum_c w[c] (-log p[c])`, each
/// `-log p[c]` as `log1p(S - 1) - (x_c - m)`; a row whose label equals
/// `ignore_index` loses `0` and gets a zero gradient. Returns
/// `sum_n l_n` ([`Reduction::Sum`]) or `sum_n l_n / sum_{n not ignored} w[t_n]`
/// ([`Reduction::Mean`]); a `Mean` over nothing counted is NaN, as
/// PyTorch's `0 / 0` (see [`Reduction::Mean`]). `losses` gets each `l_n`
/// (PyTorch's `reduction='none'`), `grad` the gradient of the returned
/// loss with respect to `logits` (`p_t - 1` at the label without
/// cancellation). Labels: any [`Label`] type; `ignore_index` is compared
/// with the label's value, so `-100` works with `i64` labels.
///
/// Special values (docs/SEMANTICS.md): a NaN logit makes its row's loss and
/// gradient NaN (unless the row is ignored), `+inf` logits take the limit,
/// a positive coefficient on a `-inf` logit loses `+inf`, `0 * inf := 0`.
///
/// # Errors
/// Checked in this order, before anything is written:
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`],
/// [`Error::InvalidLabelSmoothing`] (outside `[0, 1]` or NaN),
/// [`Error::LengthMismatch`] for the weights (`classes`), the labels (one
/// per row), `losses` (one per row) and `grad` (as `logits`), then the
/// first label that is neither `ignore_index` nor in `0..classes`:
/// [`Error::LabelOutOfRange`] or [`Error::NegativeLabel`].
///
/// # Example
/// ```
/// use softmax_simd::{CrossEntropy, Reduction};
/// let logits = [2.0f32, 1.0, 0.1, /* ignored row: */ 5.0, 5.0, 5.0];
/// let labels = [0i64, -100];
/// let options = CrossEntropy { ignore_index: Some(-100), ..CrossEntropy::default() };
/// let mut grad = [0.0f32; 6];
/// let loss = softmax_simd::cross_entropy_rows(&logits, &labels, 3, &options, None, Some(&mut grad))?;
/// assert!((loss - 0.41703).abs() < 1e-5); // the mean over the one row counted
/// assert_eq!(&grad[3..], &[0.0; 3]);
///
/// let sum = CrossEntropy { reduction: Reduction::Sum, label_smoothing: 1.0, ..options };
/// let loss = softmax_simd::cross_entropy_rows(&logits, &labels, 3, &sum, None, None)?;
/// assert!((loss - 1.38370).abs() < 1e-5); // mean of -log p over the classes
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn cross_entropy_rows<L: Label>(
    logits: &[f32],
    labels: &[L],
    classes: usize,
    options: &CrossEntropy<'_>,
    losses: Option<&mut [f32]>,
    grad: Option<&mut [f32]>,
) -> Result<f32, Error> {
    cross_entropy(
        logits.len(),
        Checked::Labels(labels),
        classes,
        options,
        losses.as_deref(),
        grad.as_deref(),
    )?;
    let ignore = options.ignore_index;
    // The class of row `n`, `None` if ignored (the labels are checked).
    let target = |n: usize| labels.get(n).and_then(|&l| class(l, classes, ignore).ok().flatten());
    let div = match options.reduction {
        Reduction::Sum => 1.0,
        Reduction::Mean => {
            let mut d = Neumaier::new();
            for t in (0..labels.len()).filter_map(target) {
                d.add(weight(options, t));
            }
            // A zero denominator: NaN loss and counted gradients (PyTorch's 0 / 0).
            match d.finish() {
                0.0 => f32::NAN,
                d => d,
            }
        }
    };
    let o = xent(options, classes, div);
    // Rows go to the kernel a chunk at a time, their labels converted to
    // class indices here (`usize::MAX` for an ignored row): one
    // dispatched call per chunk, not per row (the label type is this
    // function's generic; the dispatch wrappers are not generic).
    let c = classes.max(1);
    let mut losses = losses.map(|l| l.chunks_mut(CHUNK));
    let mut grads = grad.map(|g| g.chunks_mut(c.saturating_mul(CHUNK)));
    let mut total = Neumaier::new();
    let mut targets = [usize::MAX; CHUNK];
    for (x, ls) in logits.chunks(c.saturating_mul(CHUNK)).zip(labels.chunks(CHUNK)) {
        for (t, &l) in targets.iter_mut().zip(ls) {
            *t = class(l, classes, ignore).ok().flatten().unwrap_or(usize::MAX);
        }
        let g = grads.as_mut().and_then(Iterator::next);
        let l = losses.as_mut().and_then(Iterator::next);
        dispatch::xent_rows(x, &targets, classes, &o, l, g, &mut total);
    }
    Ok(total.finish() / div)
}

/// PyTorch's `cross_entropy` with probability targets (`targets` laid out
/// as `logits`).
///
/// With `y' = (1 - e) y + e / C`, row `n` loses
/// `l_n = sum_c w[c] y'[c] (-log p[c])` (terms with `w[c] y'[c] == 0` are
/// `0` whatever the logit); [`Reduction::Mean`] divides the sum by the
/// number of rows (NaN for no rows, as PyTorch). The targets need not sum
/// to 1: the gradient is the true one, `A p_j - w[j] y'[j]` with
/// `A = sum_c w[c] y'[c]`.
///
/// # Errors
/// Checked in this order, before anything is written:
/// [`Error::NoClasses`], [`Error::NotMultipleOfClasses`],
/// [`Error::InvalidLabelSmoothing`], [`Error::IgnoreIndexWithProbabilities`]
/// (any `ignore_index`), then [`Error::LengthMismatch`] for the weights,
/// the targets, `losses` and `grad`.
///
/// # Example
/// ```
/// use softmax_simd::CrossEntropy;
/// let logits = [0.0f32, 0.0, f32::NEG_INFINITY];
/// let mut grad = [0.0f32; 3];
/// let options = CrossEntropy::default();
/// let loss = softmax_simd::cross_entropy_rows_dense(&logits, &[0.5, 0.5, 0.0], 3, &options, None, Some(&mut grad))?;
/// assert_eq!((loss, grad), (core::f32::consts::LN_2, [0.0; 3]));
///
/// let bad = CrossEntropy { ignore_index: Some(-100), ..options };
/// assert_eq!(
///     softmax_simd::cross_entropy_rows_dense(&logits, &[0.5, 0.5, 0.0], 3, &bad, None, None),
///     Err(softmax_simd::Error::IgnoreIndexWithProbabilities)
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn cross_entropy_rows_dense(
    logits: &[f32],
    targets: &[f32],
    classes: usize,
    options: &CrossEntropy<'_>,
    losses: Option<&mut [f32]>,
    grad: Option<&mut [f32]>,
) -> Result<f32, Error> {
    let rows = cross_entropy(
        logits.len(),
        Checked::<u8>::Probabilities(targets.len()),
        classes,
        options,
        losses.as_deref(),
        grad.as_deref(),
    )?;
    let div = match options.reduction {
        Reduction::Sum => 1.0,
        Reduction::Mean => rows as f32,
    };
    let o = xent(options, classes, div);
    let mut losses = losses.map(|l| l.iter_mut());
    let mut grads = grad.map(|g| g.chunks_exact_mut(classes.max(1)));
    let mut total = Neumaier::new();
    for (x, y) in logits
        .chunks_exact(classes.max(1))
        .zip(targets.chunks_exact(classes.max(1)))
    {
        let g = grads.as_mut().and_then(Iterator::next);
        let loss = dispatch::xent_row(x, Target::Dense(y), &o, g);
        if let Some(l) = losses.as_mut().and_then(Iterator::next) {
            *l = loss;
        }
        total.add(loss);
    }
    Ok(total.finish() / div)
}

/// The first index of the max, for greedy decoding: `None` for an empty
/// row or any NaN; `+inf` is a max, and a row of only `-inf` gives
/// `Some(0)`. Two vector passes: the max, then the first group holding it.
///
/// # Example
/// ```
/// use softmax_simd::argmax;
/// assert_eq!(argmax(&[1.0, 3.0, 3.0, -0.5]), Some(1));
/// assert_eq!(argmax(&[1.0, f32::NAN]), None);
/// assert_eq!(argmax(&[]), None);
/// assert_eq!(argmax(&[f32::NEG_INFINITY; 3]), Some(0));
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn argmax(x: &[f32]) -> Option<usize> {
    dispatch::argmax(x)
}
