//! Softmax cross-entropy with dense labels and with a class index: the
//! loss from one exp-sum pass that stores no exps, and the gradient from
//! the exps stored in the gradient buffer and rescaled in place.
//! Without a gradient, rows of `LOG_SUM_ONE_PASS_FROM` values or more take
//! the loss from one blocked online pass (module `blocked`) instead of a
//! max pass and an exp-sum pass.

use crate::Error;
use crate::blocked::{LOG_SUM_ONE_PASS_FROM, long_row, one_pass};
use crate::lanes::{K, V, for_groups, map_groups, zip_groups, zip_map_groups, zip_map_groups_in_place};
use crate::reduce::{ExpSplit, Sum, has_nan, log_normaliser, max_fast, neumaier};

const ZERO: V = V::splat(0.0);

/// Checks shared by both cross-entropies' single-row forms.
fn check_grad(n: usize, grad: &Option<&mut [f32]>) -> Result<(), Error> {
    match grad {
        Some(g) if g.len() != n => Err(Error::LengthMismatch {
            expected: n,
            found: g.len(),
        }),
        _ => Ok(()),
    }
}

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
/// gradient within a few ULP of `|Y softmax_i| + |y_i|` absolute (README).
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
    let n = logits.len();
    if n == 0 {
        return Err(Error::NoClasses);
    }
    if labels.len() != n {
        return Err(Error::LengthMismatch {
            expected: n,
            found: labels.len(),
        });
    }
    check_grad(n, &grad)?;
    Ok(dense_row(logits, labels, grad))
}

/// [`softmax_cross_entropy_with_logits`] on a validated, non-empty row.
pub(crate) fn dense_row(logits: &[f32], labels: &[f32], grad: Option<&mut [f32]>) -> f32 {
    if grad.is_none()
        && long_row(logits.len(), LOG_SUM_ONE_PASS_FROM)
        && let Some(p) = one_pass(logits, Some(labels))
    {
        // The loss alone: one blocked pass, nothing stored.
        let loss = (p.y_total * p.l as f64 - p.yd) as f32;
        return if loss.is_finite() || p.l.is_nan() {
            loss
        } else {
            dense_loss_exact(logits, labels, p.m, p.l)
        };
    }
    let m = max_fast(logits);
    if !m.is_finite() {
        return dense_special(logits, labels, grad, m);
    }
    let mv = V::splat(m);
    let mut split = ExpSplit::new();
    let mut ysum = Sum::new();
    let mut yd = Sum::new();
    let mut grad = grad;
    {
        // One pass: exps (stored only when a gradient is wanted), the two
        // parts of S, sum(y) and sum(y * d) with 0 * -inf := 0.
        let mut body = |x: [V; K], y: [V; K]| -> [V; K] {
            let d = x.map(|v| v - mv);
            let mut yds = [ZERO; K];
            for ((o, d), y) in yds.iter_mut().zip(d).zip(y) {
                // y * d is 0 where y == 0 (0 * -inf := 0) or d == 0 (an
                // infinite label on the max: its term is y * L, in Y * L).
                *o = (y.simd_eq(ZERO) | d.simd_eq(ZERO)).select(ZERO, y * d);
            }
            ysum.add(y);
            yd.add(yds);
            split.add_exps(d)
        };
        match grad.as_deref_mut() {
            Some(g) => zip_map_groups(logits, f32::NEG_INFINITY, labels, 0.0, g, &mut body),
            None => zip_groups(logits, f32::NEG_INFINITY, labels, 0.0, |x, y| {
                body(x, y);
            }),
        }
    }
    let (small, ties) = split.finish();
    let y_total = ysum.finish();
    let l = log_normaliser(small, ties);
    let loss = y_total * l - yd.finish();
    // Y * L - sum(y d) is the formula regrouped; where it is not finite
    // (infinite or overflowing labels, a positive label on a -inf logit)
    // the regrouping can make inf - inf or inf * 0, so the loss is then
    // summed term by term as docs/SEMANTICS.md writes it. Off the hot path.
    // A NaN logit (NaN in L) makes the loss NaN whatever the labels.
    let loss = if loss.is_finite() || l.is_nan() {
        loss
    } else {
        dense_loss_exact(logits, labels, m, l)
    };
    if let Some(g) = grad {
        // grad_i = (Y / S) * e_i - y_i; a NaN in S or Y spreads to every entry.
        let c = V::splat(y_total / (small + ties));
        zip_map_groups_in_place(g, 0.0, labels, 0.0, |e, y| {
            let mut out = [ZERO; K];
            for k in 0..K {
                out[k] = c.mul_sub(e[k], y[k]);
            }
            out
        });
    }
    loss
}

/// `sum over y_i != 0 of y_i * (l - (x_i - m))`, term by term (compensated):
/// the dense loss where the regrouped `Y * l - sum(y d)` is not finite.
fn dense_loss_exact(logits: &[f32], labels: &[f32], m: f32, l: f32) -> f32 {
    let terms = logits.iter().zip(labels).filter(|&(_, &y)| y != 0.0);
    neumaier(terms.map(|(&x, &y)| y * (l - (x - m))))
}

/// The `log_softmax` and `softmax` limits of a row whose max `m` is `+inf`
/// or `-inf` (NaN excluded): `(log_softmax_i, softmax_i)`.
fn limits(x: f32, m: f32, k: usize) -> (f32, f32) {
    if m == f32::INFINITY && x == f32::INFINITY {
        (0.0 - libm::logf(k as f32), 1.0 / k as f32) // +0, not -0, for k = 1
    } else {
        (f32::NEG_INFINITY, 0.0)
    }
}

/// Dense cross-entropy of a row whose max is not finite (scalar, off the
/// hot path).
fn dense_special(logits: &[f32], labels: &[f32], grad: Option<&mut [f32]>, m: f32) -> f32 {
    if m.is_nan() || has_nan(logits) {
        if let Some(g) = grad {
            g.fill(f32::NAN);
        }
        return f32::NAN;
    }
    let k = logits.iter().filter(|&&v| v == f32::INFINITY).count();
    let terms = logits.iter().zip(labels).filter(|&(_, &y)| y != 0.0);
    let loss = neumaier(terms.map(|(&x, &y)| y * -limits(x, m, k).0));
    let y_total = neumaier(labels.iter().copied());
    if let Some(g) = grad {
        for ((g, &x), &y) in g.iter_mut().zip(logits).zip(labels) {
            *g = y_total * limits(x, m, k).1 - y;
        }
    }
    loss
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
    let n = logits.len();
    if n == 0 {
        return Err(Error::NoClasses);
    }
    if label >= n {
        return Err(Error::LabelOutOfRange { label, classes: n });
    }
    check_grad(n, &grad)?;
    Ok(sparse_row(logits, label, grad))
}

/// [`sparse_softmax_cross_entropy_with_logits`] on a validated row.
pub(crate) fn sparse_row(logits: &[f32], label: usize, grad: Option<&mut [f32]>) -> f32 {
    let Some(&x_label) = logits.get(label) else {
        return f32::NAN; // unreachable: validated by the callers
    };
    if grad.is_none()
        && long_row(logits.len(), LOG_SUM_ONE_PASS_FROM)
        && let Some(p) = one_pass(logits, None)
    {
        return p.l - (x_label - p.m);
    }
    let m = max_fast(logits);
    if !m.is_finite() {
        return sparse_special(logits, label, grad, m);
    }
    let mv = V::splat(m);
    let mut split = ExpSplit::new();
    let mut grad = grad;
    {
        let mut body = |x: [V; K]| -> [V; K] { split.add_exps(x.map(|v| v - mv)) };
        match grad.as_deref_mut() {
            Some(g) => map_groups(logits, g, f32::NEG_INFINITY, &mut body),
            None => for_groups(logits, f32::NEG_INFINITY, |x| {
                body(x);
            }),
        }
    }
    let (small, ties) = split.finish();
    let d_label = x_label - m;
    let loss = log_normaliser(small, ties) - d_label;
    if let Some(g) = grad {
        let s = small + ties;
        let r = V::splat(1.0 / s);
        crate::lanes::map_groups_in_place(g, 0.0, |e| e.map(|v| v * r));
        if let Some(gl) = g.get_mut(label) {
            // softmax_label - 1 = -(S - e_label) / S, without cancellation:
            // at the arg-max S - e_label is `small + (ties - 1)`.
            *gl = if d_label == 0.0 {
                -(small + (ties - 1.0)) / s
            } else {
                *gl - 1.0
            };
        }
    }
    loss
}

/// Sparse cross-entropy of a row whose max is not finite.
fn sparse_special(logits: &[f32], label: usize, grad: Option<&mut [f32]>, m: f32) -> f32 {
    if m.is_nan() || has_nan(logits) {
        if let Some(g) = grad {
            g.fill(f32::NAN);
        }
        return f32::NAN;
    }
    let k = logits.iter().filter(|&&v| v == f32::INFINITY).count();
    let x_label = logits.get(label).copied().unwrap_or(f32::NAN);
    if let Some(g) = grad {
        for (i, (g, &x)) in g.iter_mut().zip(logits).enumerate() {
            *g = limits(x, m, k).1 - if i == label { 1.0 } else { 0.0 };
        }
    }
    -limits(x_label, m, k).0
}
