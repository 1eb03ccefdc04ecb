//! Reference cross-entropy with PyTorch's options
//! (`torch.nn.functional.cross_entropy`): class weights, `ignore_index`,
//! label smoothing, `Sum` or `Mean`, on rows of `classes` logits.
//!
//! Every row's loss is `sum_c coef_c * (-log p_c)`, each `-log p_c`
//! evaluated as `log1p(S - 1) - (x_c - m)` (its limit on `+inf` and masked
//! rows), terms with `coef_c == 0` left out (`0 * inf := 0`), the sum
//! compensated. The gradient of that row is `A p_j - coef_j`,
//! `A = sum_c coef_c`; with a class-index target `t` its one-hot part is
//! `h (p_t - 1)` with `p_t - 1 = -(sum over j != t of e_j) / S`, without
//! cancellation.

use super::logsumexp::rest_sum;
use super::row::{Row, inf_log_share, inf_share, scan};
use super::sum::{neumaier, wide_sum};
use crate::checks::{Targets, class, cross_entropy};
use crate::{CrossEntropy, Error, Label, Reduction};

/// A row's probabilities, by SEMANTICS's kinds of row.
enum Probs {
    Nan,
    /// `m = max`, `l = log1p(S - 1)`, `s = S`.
    Finite {
        m: f32,
        l: f32,
        s: f32,
    },
    /// `k` logits at `+inf`.
    Inf(usize),
    /// Every logit `-inf`.
    Masked,
}

impl Probs {
    fn of(x: &[f32]) -> Probs {
        match scan(x) {
            Row::Nan => Probs::Nan,
            Row::Finite { m, arg } => {
                let rest = rest_sum(x, m, arg, 1.0);
                Probs::Finite {
                    m,
                    l: libm::log1pf(rest),
                    s: 1.0 + rest,
                }
            }
            Row::PosInf { k } => Probs::Inf(k),
            Row::Masked => Probs::Masked,
        }
    }

    /// `-log p` of the logit `x`.
    fn nll(&self, x: f32) -> f32 {
        match *self {
            Probs::Nan => f32::NAN,
            Probs::Finite { m, l, .. } => l - (x - m),
            Probs::Inf(k) => -inf_log_share(x, k),
            Probs::Masked => f32::INFINITY,
        }
    }

    /// [`Self::nll`] in f64 (`l - d` unrounded), for the loss terms.
    fn nll_wide(&self, x: f32) -> f64 {
        match *self {
            Probs::Finite { m, l, .. } => f64::from(l) - f64::from(x - m),
            _ => f64::from(self.nll(x)),
        }
    }

    /// `p` of the logit `x`.
    fn p(&self, x: f32) -> f32 {
        match *self {
            Probs::Nan => f32::NAN,
            Probs::Finite { m, s, .. } => libm::expf(x - m) / s,
            Probs::Inf(k) => inf_share(x, k),
            Probs::Masked => 0.0,
        }
    }

    /// `p_t - 1` of class `t` of row `x`.
    fn p_minus_one(&self, x: &[f32], t: usize) -> f32 {
        match *self {
            Probs::Finite { m, s, .. } => -rest_sum(x, m, t, 1.0) / s,
            _ => x.get(t).map_or(f32::NAN, |&v| self.p(v) - 1.0),
        }
    }
}

/// The coefficients of one row: `coef_c = spread(c) + h [c == t]` for
/// `hot = Some((t, h))`, and `a = sum_c spread(c)`.
struct Coefs<F: Fn(usize) -> f32> {
    hot: Option<(usize, f32)>,
    spread: F,
    a: f32,
}

/// One row's loss, and into `grad` its gradient divided by `div`.
fn row_loss<F: Fn(usize) -> f32>(x: &[f32], c: &Coefs<F>, div: f32, grad: Option<&mut [f32]>) -> f32 {
    let probs = Probs::of(x);
    if let Probs::Nan = probs {
        if let Some(g) = grad {
            g.fill(f32::NAN);
        }
        return f32::NAN;
    }
    let hot_at = |j: usize| c.hot.filter(|&(t, _)| t == j).map_or(0.0, |(_, h)| h);
    let terms = x.iter().enumerate().map(|(j, &v)| ((c.spread)(j) + hot_at(j), v));
    // Terms formed and summed in f64 (see `sum::wide_sum`): large targets
    // or weights make f32 products overflow where the real sum does not.
    let loss = wide_sum(
        terms
            .filter(|&(k, _)| k != 0.0)
            .map(|(k, v)| f64::from(k) * probs.nll_wide(v)),
    );
    if let Some(g) = grad {
        for (j, (g, &v)) in g.iter_mut().zip(x).enumerate() {
            let p = probs.p(v);
            let one_hot = match c.hot {
                Some((t, h)) if t == j => h * probs.p_minus_one(x, t),
                Some((_, h)) => h * p,
                None => 0.0,
            };
            *g = (one_hot + (c.a * p - (c.spread)(j))) / div;
        }
    }
    loss
}

/// Runs `row` on each row (with its gradient row, if any), writes each
/// row's loss into `losses` and returns their compensated sum.
fn each_row(
    logits: &[f32],
    classes: usize,
    losses: Option<&mut [f32]>,
    grad: Option<&mut [f32]>,
    mut row: impl FnMut(usize, &[f32], Option<&mut [f32]>) -> f32,
) -> f32 {
    let mut losses = losses.map(|l| l.iter_mut());
    let mut grads = grad.map(|g| g.chunks_exact_mut(classes));
    neumaier(logits.chunks_exact(classes).enumerate().map(|(n, x)| {
        let loss = row(n, x, grads.as_mut().and_then(Iterator::next));
        if let Some(out) = losses.as_mut().and_then(Iterator::next) {
            *out = loss;
        }
        loss
    }))
}

/// Reference `cross_entropy_rows`: PyTorch's `cross_entropy` with class-index
/// targets on `logits.len() / classes` rows.
///
/// Row `n` with label `t` (`w` the weights, all 1 without, `e` the
/// smoothing, `C = classes`) loses
/// `l_n = (1 - e) w[t] (-log p[t]) + (e / C) sum_c w[c] (-log p[c])`, and
/// a row whose label equals `ignore_index` loses `0` and gets a zero
/// gradient. Returns `sum_n l_n` ([`Reduction::Sum`]) or
/// `sum_n l_n / sum_{n not ignored} w[t_n]` ([`Reduction::Mean`]). When
/// that denominator is zero (every row ignored, no rows, or the counted
/// rows all weigh 0) the loss is NaN and so is the gradient of every row
/// counted, as PyTorch's `0 / 0`; the ignored rows' gradient stays zero.
/// `losses` gets each `l_n`, `grad` the gradient of the returned loss with
/// respect to `logits`.
/// Special values follow docs/SEMANTICS.md: a NaN logit makes its row's loss
/// and gradient NaN, `+inf` logits take the limit, a masked row loses
/// `+inf` where a positive coefficient falls on it.
///
/// # Errors
/// Checked in this order, before anything is written:
/// [`Error::NoClasses`] (`classes == 0`), [`Error::NotMultipleOfClasses`],
/// [`Error::InvalidLabelSmoothing`] (outside `[0, 1]` or NaN),
/// [`Error::LengthMismatch`] for the weights (`classes`), the labels (one
/// per row), `losses` (one per row) and `grad` (as `logits`), then the first
/// label that is neither `ignore_index` nor in `0..classes`:
/// [`Error::LabelOutOfRange`] or [`Error::NegativeLabel`].
///
/// ```
/// use softmax_simd::{CrossEntropy, Reduction, reference};
/// let logits = [2.0f32, 1.0, 0.1, /* ignored row: */ 5.0, 5.0, 5.0];
/// let labels = [0i64, -100];
/// let options = CrossEntropy { ignore_index: Some(-100), ..CrossEntropy::default() };
/// let mut grad = [0.0f32; 6];
/// let loss = reference::cross_entropy_rows(&logits, &labels, 3, &options, None, Some(&mut grad))?;
/// assert!((loss - 0.41703).abs() < 1e-5); // the mean over the one row counted
/// assert_eq!(&grad[3..], &[0.0; 3]);
///
/// let sum = CrossEntropy { reduction: Reduction::Sum, label_smoothing: 1.0, ..options };
/// let loss = reference::cross_entropy_rows(&logits, &labels, 3, &sum, None, None)?;
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
    let labels_ = Targets::Labels(labels);
    cross_entropy(
        logits.len(),
        labels_,
        classes,
        options,
        losses.as_deref(),
        grad.as_deref(),
    )?;
    let e = options.label_smoothing;
    let e_c = e / classes as f32;
    let w = |c: usize| options.weights.map_or(1.0, |w| w.get(c).copied().unwrap_or(f32::NAN));
    // `A = (e / C) sum_c w_c`, formed in f64 and rounded once: an f32 sum
    // of weights near `f32::MAX` overflows, and without smoothing
    // `0 * inf` made every gradient NaN where `A` is 0 (a weight that is
    // not finite still makes it NaN, as `0 * inf`).
    let a = options.weights.map_or(e_c * classes as f32, |w| {
        (f64::from(e_c) * w.iter().map(|&v| f64::from(v)).sum::<f64>()) as f32
    });
    let ignore = options.ignore_index;
    // The class of each row, `None` if ignored (the labels are checked).
    let target = |n: usize| labels.get(n).and_then(|&l| class(l, classes, ignore).ok().flatten());
    let div = match options.reduction {
        Reduction::Sum => 1.0,
        // A zero denominator makes the loss and every counted row's gradient
        // NaN, as PyTorch's `0 / 0` does (its weighted-label part is 0 there).
        Reduction::Mean => match neumaier((0..labels.len()).filter_map(target).map(w)) {
            0.0 => f32::NAN,
            d => d,
        },
    };
    let total = each_row(logits, classes, losses, grad, |n, x, g| match target(n) {
        None => {
            if let Some(g) = g {
                g.fill(0.0);
            }
            0.0
        }
        Some(t) => {
            let coefs = Coefs {
                hot: Some((t, (1.0 - e) * w(t))),
                spread: |c| e_c * w(c),
                a,
            };
            row_loss(x, &coefs, div, g)
        }
    });
    Ok(total / div)
}

/// Reference `cross_entropy_rows_dense`: PyTorch's `cross_entropy` with
/// probability targets (`targets` laid out as `logits`).
///
/// With `y' = (1 - e) y + e / C`, row `n` loses
/// `l_n = sum_c w[c] y'[c] (-log p[c])` (terms with `w[c] y'[c] == 0` are
/// `0`, whatever the logit); [`Reduction::Mean`] divides the sum by the
/// number of rows (NaN for no rows, as in PyTorch). The targets need not sum
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
/// ```
/// use softmax_simd::{CrossEntropy, reference};
/// let logits = [0.0f32, 0.0, f32::NEG_INFINITY];
/// let mut grad = [0.0f32; 3];
/// let options = CrossEntropy::default();
/// let loss = reference::cross_entropy_rows_dense(&logits, &[0.5, 0.5, 0.0], 3, &options, None, Some(&mut grad))?;
/// assert_eq!((loss, grad), (core::f32::consts::LN_2, [0.0; 3]));
///
/// let bad = CrossEntropy { ignore_index: Some(-100), ..options };
/// assert_eq!(
///     reference::cross_entropy_rows_dense(&logits, &[0.5, 0.5, 0.0], 3, &bad, None, None),
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
    let targets_ = Targets::<u8>::Probabilities(targets.len());
    let rows = cross_entropy(
        logits.len(),
        targets_,
        classes,
        options,
        losses.as_deref(),
        grad.as_deref(),
    )?;
    let e = options.label_smoothing;
    let e_c = e / classes as f32;
    let div = match options.reduction {
        Reduction::Sum => 1.0,
        Reduction::Mean => rows as f32,
    };
    let mut ys = targets.chunks_exact(classes);
    let total = each_row(logits, classes, losses, grad, |_, x, g| {
        let y = ys.next().unwrap_or(&[]);
        let coef = |c: usize| {
            let w = options.weights.map_or(1.0, |w| w.get(c).copied().unwrap_or(f32::NAN));
            let y = y.get(c).copied().unwrap_or(f32::NAN);
            w * ((1.0 - e) * y + e_c)
        };
        let coefs = Coefs {
            hot: None,
            a: neumaier((0..classes).map(coef)),
            spread: coef,
        };
        row_loss(x, &coefs, div, g)
    });
    Ok(total / div)
}
