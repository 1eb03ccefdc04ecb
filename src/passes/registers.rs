//! Rows of at most `V` vectors (`V * LANES` values), every pass on
//! registers: one masked load of the row, the max, the exps and their sum
//! without leaving the registers, one masked store. The 3-pass structure
//! on such a row stores the exps and reads them back, and walks its last,
//! padded group through a stack array (the loop macros of `lanes`); here
//! the row is read once and written once. XNNPACK keeps the same split:
//! its `rmax` and `raddstoreexpminusmax` kernels end a row with a masked
//! tail, and a row shorter than one vector is only that tail.
//!
//! Every result is bit for bit the 3-pass structure's with one vector per
//! step (`K = 1`, what rows this short took before): the same exps, the
//! sums of the vectors added in order and then across the lanes pairwise,
//! the ties counted exactly (as a float sum of ones, exact below `2^24`).
//! The special rows (a non-finite max) go to the same scalar code.

use super::training::{Target, Xent, hot_entry, sources, xent_exact, xent_special};
use super::{copy, log_softmax_special, softmax_special};
use crate::accum::{fold_add, fold_max, log_normaliser, scale as by};
use crate::exp::{exp_neg, exp_neg_unless};
use crate::lanes::{Lanes, each};

/// The row as `V` vectors, `pad` past its end (`x.len() <= V * LANES`).
#[inline(always)]
fn load<L: Lanes<Elem = f32>, const V: usize>(x: &[f32], pad: f32) -> [L; V] {
    let mut g = [L::splat(pad); V];
    let mut rest = x;
    for v in g.iter_mut() {
        let (head, tail) = rest.split_at(rest.len().min(L::LANES));
        *v = L::load_partial(head, pad);
        rest = tail;
    }
    g
}

/// Stores the first `out.len()` lanes of `g` into `out`.
#[inline(always)]
fn store<L: Lanes<Elem = f32>, const V: usize>(out: &mut [f32], g: [L; V]) {
    let mut rest = out;
    for v in g {
        let n = rest.len().min(L::LANES);
        let (head, tail) = core::mem::take(&mut rest).split_at_mut(n);
        v.store_partial(head);
        rest = tail;
    }
}

/// `(e, small, ties)`: the exps of `d = beta (x - m)` and the two parts of
/// `S` ([`ExpSplit`](crate::accum::ExpSplit)'s): the sum of the exps below
/// the max and the count of the ties at it. `ZERO_TIES` zeroes the ties in
/// the returned exps (the log-sums want only the sum; the gradient wants
/// every exp).
#[inline(always)]
fn exp_split<L: Lanes<Elem = f32>, const V: usize, const ZERO_TIES: bool>(d: [L; V]) -> ([L; V], f32, f32) {
    let (zero, one) = (L::splat(0.0), L::splat(1.0));
    let mut e = [zero; V];
    let mut small = [zero; V];
    let mut ties = [zero; V];
    for (((e, s), t), d) in e.iter_mut().zip(small.iter_mut()).zip(ties.iter_mut()).zip(d) {
        let top = d.eq(zero);
        if ZERO_TIES {
            *e = exp_neg_unless(d, top);
            *s = *e;
        } else {
            *e = exp_neg(d);
            *s = L::zero_where(top, *e);
        }
        *t = L::select(top, one, zero);
    }
    (e, fold_add(small).reduce_add(), fold_add(ties).reduce_add())
}

/// The softmax of a row in registers, `exp(beta (x_i - m)) / S` (`beta`
/// read only when `SCALED`), or `Err(m)` for a special row: the max when
/// it is not finite, NaN when a NaN reached `S` (`softmax_special` takes
/// either).
#[inline(always)]
fn probabilities<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(
    g: [L; V],
    beta: f32,
) -> Result<[L; V], f32> {
    let m = fold_max(g);
    if !m.is_finite() {
        return Err(m);
    }
    let (mv, bv) = (L::splat(m), L::splat(beta));
    let e = each!(g, |v| exp_neg(by::<L, SCALED>(v - mv, bv)));
    let s = fold_add(e).reduce_add();
    if s.is_nan() {
        return Err(f32::NAN);
    }
    let r = L::splat(1.0 / s);
    Ok(each!(e, |v| v * r))
}

/// `softmax(beta * x)` into `out`.
#[inline(always)]
pub(crate) fn softmax<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(x: &[f32], beta: f32, out: &mut [f32]) {
    match probabilities::<L, V, SCALED>(load::<L, V>(x, f32::NEG_INFINITY), beta) {
        Ok(p) => store::<L, V>(out, p),
        Err(m) => {
            copy(x, out);
            softmax_special(out, m);
        }
    }
}

/// [`softmax`] in place.
#[inline(always)]
pub(crate) fn softmax_in_place<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(x: &mut [f32], beta: f32) {
    match probabilities::<L, V, SCALED>(load::<L, V>(x, f32::NEG_INFINITY), beta) {
        Ok(p) => store::<L, V>(x, p),
        Err(m) => softmax_special(x, m),
    }
}

/// The row in registers, its max `m` and `l = log1p(S - 1)` of
/// `beta (x - m)`; `None` for a special row (a non-finite max, or NaN in
/// the sum).
#[inline(always)]
fn log_sum_of<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
) -> ([L; V], f32, Option<f32>) {
    let g = load::<L, V>(x, f32::NEG_INFINITY);
    let m = fold_max(g);
    if !m.is_finite() {
        return (g, m, None);
    }
    let (mv, bv) = (L::splat(m), L::splat(beta));
    let (_, small, ties) = exp_split::<L, V, true>(each!(g, |v| by::<L, SCALED>(v - mv, bv)));
    if small.is_nan() {
        return (g, m, None);
    }
    (g, m, Some(log_normaliser(small, ties)))
}

/// `(m, log1p(S - 1))`, or `None` for a special row: the two-pass log-sum.
#[inline(always)]
pub(crate) fn log_sum<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
) -> Option<(f32, f32)> {
    let (_, m, l) = log_sum_of::<L, V, SCALED>(x, beta);
    l.map(|l| (m, l))
}

/// `log_softmax(beta * x) = beta (x - m) - l` of a row in registers, or
/// `Err(m)` for a special row (`log_softmax_special` takes `m`).
#[inline(always)]
fn log_probabilities<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
) -> Result<[L; V], f32> {
    let (g, m, l) = log_sum_of::<L, V, SCALED>(x, beta);
    let l = l.ok_or(m)?;
    let (mv, bv, lv) = (L::splat(m), L::splat(beta), L::splat(l));
    Ok(each!(g, |v| by::<L, SCALED>(v - mv, bv) - lv))
}

/// `log_softmax(beta * x)` into `out`.
#[inline(always)]
pub(crate) fn log_softmax<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
    out: &mut [f32],
) {
    match log_probabilities::<L, V, SCALED>(x, beta) {
        Ok(z) => store::<L, V>(out, z),
        Err(m) => {
            copy(x, out);
            log_softmax_special(out, m);
        }
    }
}

/// [`log_softmax`] in place.
#[inline(always)]
pub(crate) fn log_softmax_in_place<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(x: &mut [f32], beta: f32) {
    match log_probabilities::<L, V, SCALED>(x, beta) {
        Ok(z) => store::<L, V>(x, z),
        Err(m) => log_softmax_special(x, m),
    }
}

/// Sparse softmax cross-entropy of a validated row (`label < x.len()`),
/// the gradient `softmax - onehot` into `grad` when given, the label's
/// entry as `-(S - e_label) / S` at the max (no cancellation).
#[inline(always)]
pub(crate) fn sparse_row<L: Lanes<Elem = f32>, const V: usize>(
    x: &[f32],
    label: usize,
    grad: Option<&mut [f32]>,
) -> f32 {
    let Some(&x_label) = x.get(label) else {
        return f32::NAN; // unreachable: validated by the callers
    };
    let g = load::<L, V>(x, f32::NEG_INFINITY);
    let m = fold_max(g);
    if !m.is_finite() {
        return super::three_pass::sparse_special(x, label, grad, m);
    }
    let mv = L::splat(m);
    let (e, small, ties) = exp_split::<L, V, false>(each!(g, |v| v - mv));
    let d_label = x_label - m;
    let loss = log_normaliser(small, ties) - d_label;
    if let Some(grad) = grad {
        let s = small + ties;
        let r = L::splat(1.0 / s);
        store::<L, V>(grad, each!(e, |v| v * r));
        if let Some(gl) = grad.get_mut(label) {
            super::label_entry(gl, d_label, small, ties);
        }
    }
    loss
}

/// `logsumexp(beta * x)` from [`log_sum`], or the special row's limit.
#[inline(always)]
pub(crate) fn logsumexp<L: Lanes<Elem = f32>, const V: usize, const SCALED: bool>(x: &[f32], beta: f32) -> f32 {
    match log_sum::<L, V, SCALED>(x, beta) {
        Some((m, l)) => (if SCALED { beta * m } else { m }) + l,
        None => super::three_pass::logsumexp_special(x),
    }
}

/// PyTorch's cross-entropy of a validated row with a class-index target
/// and no spread coefficient (no smoothing, finite weights or none): the
/// register form of `training::xent_row`'s one-hot case, bit for bit its
/// results (the loss `h (l - d_t)`, the gradient `h e_j / S` over `div`,
/// the one-hot entry without cancellation).
#[inline(always)]
pub(crate) fn xent_hot<L: Lanes<Elem = f32>, const V: usize>(
    x: &[f32],
    target: Target<'_>,
    o: &Xent<'_>,
    grad: Option<&mut [f32]>,
) -> f32 {
    let g = load::<L, V>(x, f32::NEG_INFINITY);
    let m = fold_max(g);
    if !m.is_finite() {
        return xent_special(x, target, o, grad, m);
    }
    let (_, _, hot) = sources(x, target, o);
    let h = hot.map_or(0.0, |(_, h)| h);
    let mv = L::splat(m);
    let (e, small, ties) = exp_split::<L, V, false>(each!(g, |v| v - mv));
    if small.is_nan() {
        if let Some(g) = grad {
            g.fill(f32::NAN);
        }
        return f32::NAN;
    }
    let l = log_normaliser(small, ties);
    let d_t = hot.and_then(|(t, _)| x.get(t)).map_or(0.0, |&v| v - m);
    // `+ 0.0`: the row pass adds its (absent) spread loss, turning a -0 into +0.
    let mut loss = (if h != 0.0 { h * (l - d_t) } else { 0.0 }) + 0.0;
    if !loss.is_finite() {
        loss = xent_exact(x, target, o, m, l);
    }
    let Some(grad) = grad else {
        return loss;
    };
    let c1 = L::splat((h + 0.0) / (small + ties));
    let (pv, iv) = (L::splat(o.pre_div), L::splat(o.inv_div));
    store::<L, V>(grad, each!(e, |v| ((c1 * v) * pv) * iv));
    hot_entry::<L>(grad, hot, d_t, (small, ties), 0.0, 0.0, o);
    loss
}
