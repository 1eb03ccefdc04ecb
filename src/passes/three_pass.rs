//! The 3-pass reload structure (XNNPACK's and oneDNN's): max; then exp,
//! store and sum; then scale the stored exps by `1/S` in place. The
//! log-sum (`logsumexp`, `log_softmax`, the losses) reads the row twice
//! (max, then the exp-sum) and stores no exps, except where the gradient
//! buffer keeps them for the gradient pass.

use super::{copy, dense_loss, limits, softmax_special};
use crate::accum::{
    ExpSplit, Sum, exp_add, exp_sum_split_scaled, has_nan, log_normaliser, max_fast, neumaier, scale as by,
};
use crate::lanes::{
    Lanes, each, for_groups, map_groups, map_groups_in_place, zip_groups, zip_map_groups, zip_map_groups_in_place,
};

/// Pass 3 of softmax: `out *= 1/S`, or all NaN when a NaN reached `S`.
#[inline(always)]
fn scale<L: Lanes<Elem = f32>, const K: usize>(out: &mut [f32], s: f32) {
    if s.is_nan() {
        out.fill(f32::NAN);
        return;
    }
    let r = L::splat(1.0 / s);
    map_groups_in_place!(L, K; out, 0.0, |g| each!(g, |v| v * r));
}

/// The 3-pass reload softmax (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn softmax<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32]) {
    softmax_scaled::<L, K, false>(x, 1.0, out);
}

/// The 3-pass reload softmax of `beta * x`, as `exp(beta * (x_i - m)) / S`
/// (`beta` read only when `SCALED`; `beta > 0` keeps the special rows).
#[inline(always)]
pub(crate) fn softmax_scaled<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
    out: &mut [f32],
) {
    let m = max_fast::<L, K>(x);
    if !m.is_finite() {
        copy(x, out);
        softmax_special(out, m);
        return;
    }
    let (mv, bv) = (L::splat(m), L::splat(beta));
    let mut s = Sum::<L, K>::new();
    map_groups!(L, K; x, out, f32::NEG_INFINITY, |g| exp_add::<L, K, SCALED>(g, mv, bv, &mut s));
    scale::<L, K>(out, s.finish());
}

/// The 3-pass reload softmax in place.
#[inline(always)]
pub(crate) fn softmax_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32]) {
    softmax_scaled_in_place::<L, K, false>(x, 1.0);
}

/// [`softmax_scaled`] in place.
#[inline(always)]
pub(crate) fn softmax_scaled_in_place<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &mut [f32],
    beta: f32,
) {
    let m = max_fast::<L, K>(x);
    if !m.is_finite() {
        softmax_special(x, m);
        return;
    }
    let (mv, bv) = (L::splat(m), L::splat(beta));
    let mut s = Sum::<L, K>::new();
    map_groups_in_place!(L, K; x, f32::NEG_INFINITY, |g| exp_add::<L, K, SCALED>(g, mv, bv, &mut s));
    scale::<L, K>(x, s.finish());
}

/// `(m, log1p(S - 1))` in two passes (max, then the exp-sum), or `None`
/// for a special row (a non-finite max, or NaN in the sum).
#[inline(always)]
pub(crate) fn log_sum<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> Option<(f32, f32)> {
    log_sum_scaled::<L, K, false>(x, 1.0)
}

/// [`log_sum`] of `beta * x`: `(m, log1p(S - 1))` with `S` the sum of
/// `exp(beta * (x_i - m))` (`m` the max of `x`, not of `beta * x`).
#[inline(always)]
pub(crate) fn log_sum_scaled<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
) -> Option<(f32, f32)> {
    let m = max_fast::<L, K>(x);
    if !m.is_finite() {
        return None;
    }
    let (small, ties) = exp_sum_split_scaled::<L, K, SCALED>(x, m, beta);
    if small.is_nan() {
        return None;
    }
    Some((m, log_normaliser(small, ties)))
}

/// `logsumexp` of a row that [`log_sum`] (or the one-pass form) found
/// special: empty or all `-inf` give `-inf`, any NaN NaN, else `+inf`.
#[inline]
pub(crate) fn logsumexp_special(x: &[f32]) -> f32 {
    let mut top = f32::NEG_INFINITY;
    for &v in x {
        if v.is_nan() {
            return f32::NAN;
        }
        if v > top {
            top = v;
        }
    }
    top
}

/// `x = (x - m) - l` (or `out = ...`): the output pass of `log_softmax`
/// from either structure's `(m, l)`.
#[inline(always)]
pub(crate) fn log_softmax_apply<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32], m: f32, l: f32) {
    log_softmax_apply_scaled::<L, K, false>(x, out, m, 1.0, l);
}

/// [`log_softmax_apply`] in place.
#[inline(always)]
pub(crate) fn log_softmax_apply_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32], m: f32, l: f32) {
    log_softmax_apply_scaled_in_place::<L, K, false>(x, m, 1.0, l);
}

/// `out = beta * (x - m) - l` (`beta` read only when `SCALED`).
#[inline(always)]
pub(crate) fn log_softmax_apply_scaled<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &[f32],
    out: &mut [f32],
    m: f32,
    beta: f32,
    l: f32,
) {
    let (mv, bv, lv) = (L::splat(m), L::splat(beta), L::splat(l));
    map_groups!(L, K; x, out, 0.0, |g| each!(g, |v| by::<L, SCALED>(v - mv, bv) - lv));
}

/// [`log_softmax_apply_scaled`] in place.
#[inline(always)]
pub(crate) fn log_softmax_apply_scaled_in_place<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &mut [f32],
    m: f32,
    beta: f32,
    l: f32,
) {
    let (mv, bv, lv) = (L::splat(m), L::splat(beta), L::splat(l));
    map_groups_in_place!(L, K; x, 0.0, |g| each!(g, |v| by::<L, SCALED>(v - mv, bv) - lv));
}

/// Dense softmax cross-entropy of a validated, non-empty row in two passes:
/// the max, then one pass for the exps (stored in `grad` when given), the
/// two parts of `S`, `sum(y)` and `sum(y * d)`; the gradient from the
/// stored exps rescaled in place.
#[inline(always)]
pub(crate) fn dense_row<L: Lanes<Elem = f32>, const K: usize>(
    logits: &[f32],
    labels: &[f32],
    grad: Option<&mut [f32]>,
) -> f32 {
    let m = max_fast::<L, K>(logits);
    if !m.is_finite() {
        return dense_special(logits, labels, grad, m);
    }
    let mv = L::splat(m);
    let zero = L::splat(0.0);
    let mut split = ExpSplit::<L, K>::new();
    let mut ysum = Sum::<L, K>::new();
    let mut yd = Sum::<L, K>::new();
    let mut grad = grad;
    // One pass: the exps (stored when a gradient is wanted), the two parts
    // of S, sum(y) and sum(y * d). 0 * -inf := 0: y * d is 0 where y == 0,
    // or where d == 0 (an infinite label on the max: its term is y * L, in
    // Y * L).
    macro_rules! body {
        ($x:ident, $y:ident) => {{
            let d = each!($x, |v| v - mv);
            let mut yds = [zero; K];
            for ((o, d), y) in yds.iter_mut().zip(d).zip($y) {
                *o = L::zero_where(y.eq(zero) | d.eq(zero), y * d);
            }
            ysum.add($y);
            yd.add(yds);
            split.add_exps(d)
        }};
    }
    match grad.as_deref_mut() {
        Some(g) => zip_map_groups!(L, K; logits, f32::NEG_INFINITY, labels, 0.0, g, |x, y| body!(x, y)),
        None => zip_groups!(L, K; logits, f32::NEG_INFINITY, labels, 0.0, |x, y| body!(x, y)),
    }
    let (small, ties) = split.finish();
    let y_total = ysum.finish();
    let l = log_normaliser(small, ties);
    let loss = dense_loss(y_total * l - yd.finish(), logits, labels, m, l);
    if let Some(g) = grad {
        // grad_i = (Y / S) * e_i - y_i; a NaN in S or Y spreads to every entry.
        let c = L::splat(y_total / (small + ties));
        zip_map_groups_in_place!(L, K; g, 0.0, labels, 0.0, |e, y| {
            let mut out = [zero; K];
            for ((o, e), y) in out.iter_mut().zip(e).zip(y) {
                *o = c.mul_sub(e, y);
            }
            out
        });
    }
    loss
}

/// Dense cross-entropy of a row whose max is not finite (scalar, off the
/// hot path).
pub(crate) fn dense_special(logits: &[f32], labels: &[f32], grad: Option<&mut [f32]>, m: f32) -> f32 {
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

/// Sparse softmax cross-entropy of a validated row in two passes; the
/// gradient from the exps stored in `grad`, rescaled in place, with the
/// label's entry as `-(S - e_label) / S` (no cancellation).
#[inline(always)]
pub(crate) fn sparse_row<L: Lanes<Elem = f32>, const K: usize>(
    logits: &[f32],
    label: usize,
    grad: Option<&mut [f32]>,
) -> f32 {
    let Some(&x_label) = logits.get(label) else {
        return f32::NAN; // unreachable: validated by the callers
    };
    let m = max_fast::<L, K>(logits);
    if !m.is_finite() {
        return sparse_special(logits, label, grad, m);
    }
    let mv = L::splat(m);
    let mut split = ExpSplit::<L, K>::new();
    let mut grad = grad;
    match grad.as_deref_mut() {
        Some(g) => map_groups!(L, K; logits, g, f32::NEG_INFINITY, |x| split.add_exps(each!(x, |v| v - mv))),
        None => for_groups!(L, K; logits, f32::NEG_INFINITY, |x| split.add_exps(each!(x, |v| v - mv))),
    }
    let (small, ties) = split.finish();
    let d_label = x_label - m;
    let loss = log_normaliser(small, ties) - d_label;
    if let Some(g) = grad {
        let s = small + ties;
        let r = L::splat(1.0 / s);
        map_groups_in_place!(L, K; g, 0.0, |e| each!(e, |v| v * r));
        if let Some(gl) = g.get_mut(label) {
            super::label_entry(gl, d_label, small, ties);
        }
    }
    loss
}

/// Sparse cross-entropy of a row whose max is not finite.
pub(crate) fn sparse_special(logits: &[f32], label: usize, grad: Option<&mut [f32]>, m: f32) -> f32 {
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
