//! Pass structures: how many times a row is read, and what is stored
//! between the reads. [`three_pass`] (max; exp, store and sum; scale) and
//! its two-pass log-sum, for rows that fit in cache; [`blocked`] (the
//! blocked online softmax and the one-pass log-sum) for rows beyond it.
//! Which one runs is chosen in one place, the `plan` module.
//!
//! Rows with `+inf`, NaN, or only `-inf` are recognised once from the max
//! and the sum and end in the scalar special-row code here, off the hot
//! loop, shared by both structures.

pub(crate) mod blocked;
pub(crate) mod registers;
pub(crate) mod three_pass;
pub(crate) mod training;

use crate::accum::has_nan;

/// `softmax` of a row whose max `m` is not finite, in place (`x` holds the
/// input): NaN anywhere gives all NaN; `k` entries at `+inf` get `1/k` and
/// the rest `0`; a row of only `-inf` (a masked row) gives zeros.
pub(crate) fn softmax_special(x: &mut [f32], m: f32) {
    if m.is_nan() || has_nan(x) {
        x.fill(f32::NAN);
    } else if m == f32::INFINITY {
        let k = x.iter().filter(|&&v| v == f32::INFINITY).count();
        let share = 1.0 / k as f32;
        for v in x.iter_mut() {
            *v = if *v == f32::INFINITY { share } else { 0.0 };
        }
    } else {
        x.fill(0.0);
    }
}

/// The label's entry of the sparse gradient, `softmax_label - 1`, from the
/// stored `p = e_label / S`: at the max (`d_label == 0`) as
/// `-(S - e_label) / S = -(small + (ties - 1)) / S`, without cancellation.
#[inline]
pub(crate) fn label_entry(p: &mut f32, d_label: f32, small: f32, ties: f32) {
    *p = if d_label == 0.0 {
        -(small + (ties - 1.0)) / (small + ties)
    } else {
        *p - 1.0
    };
}

/// `log_softmax` of a row whose max `m` is not finite, in place: NaN
/// anywhere gives all NaN; `k` entries at `+inf` get `-ln k` and the rest
/// `-inf`; a row of only `-inf` stays `-inf`.
pub(crate) fn log_softmax_special(x: &mut [f32], m: f32) {
    if m.is_nan() || has_nan(x) {
        x.fill(f32::NAN);
    } else if m == f32::INFINITY {
        let k = x.iter().filter(|&&v| v == f32::INFINITY).count();
        let top = 0.0 - libm::logf(k as f32); // +0, not -0, for k = 1
        for v in x.iter_mut() {
            *v = if *v == f32::INFINITY { top } else { f32::NEG_INFINITY };
        }
    }
    // m == -inf: every element is -inf already, which is the answer.
}

/// The `log_softmax` and `softmax` limits of a row whose max `m` is `+inf`
/// or `-inf` (NaN excluded): `(log_softmax_i, softmax_i)`.
pub(crate) fn limits(x: f32, m: f32, k: usize) -> (f32, f32) {
    if m == f32::INFINITY && x == f32::INFINITY {
        (0.0 - libm::logf(k as f32), 1.0 / k as f32) // +0, not -0, for k = 1
    } else {
        (f32::NEG_INFINITY, 0.0)
    }
}

/// `sum over y_i != 0 of y_i * (l - (x_i - m))`, term by term in f64:
/// the dense loss where the regrouped `Y * l - sum(y d)` is not finite
/// (infinite or overflowing labels or terms, a positive label on a `-inf`
/// logit: the regrouping can make `inf - inf` or `inf * 0`). f64 because
/// the terms and their partial sums can overflow f32 where the real sum
/// does not, or where only it decides the sign (`+inf` and `-inf` terms in
/// f32 would make NaN). An f64 sum of `n` terms is within `n 2^-53` of
/// their magnitudes, far inside the loss bound; `d_i` stays the f32
/// subtraction of the contract, as in the reference, which sums the same
/// way.
pub(crate) fn dense_loss_exact(logits: &[f32], labels: &[f32], m: f32, l: f32) -> f32 {
    exact_loss(logits, m, l, |i| labels.get(i).copied().unwrap_or(0.0))
}

/// `sum over coef(i) != 0 of coef(i) * (l - (x_i - m))` in f64 (see
/// [`dense_loss_exact`]): the term-by-term loss of the single-row dense
/// kernel and of the training API alike (scalar, off the hot path).
pub(crate) fn exact_loss(x: &[f32], m: f32, l: f32, coef: impl Fn(usize) -> f32) -> f32 {
    let l = unflushed(x, l) as f64;
    let mut sum = 0.0f64;
    for (i, &v) in x.iter().enumerate() {
        let k = coef(i);
        if k != 0.0 {
            sum += k as f64 * (l - (v - m) as f64);
        }
    }
    sum as f32
}

/// `l = log1p(S - 1)` for the term-by-term losses: where the kernels'
/// exps flushed every `exp(d_i)` of the other entries to `0` (all `d_i`
/// below about `-87.3`), `l` is `0` though `S - 1 > 0`, and an infinite
/// label on the max would make `inf * 0 = NaN` where the loss is `inf`.
/// Such an `l` becomes the least positive f32 (its true value is at most a
/// subnormal: a finite term changes by less than its flush allowance). `l`
/// stays `0` where no other entry is finite (`S - 1 = 0` exactly).
pub(crate) fn unflushed(x: &[f32], l: f32) -> f32 {
    if l == 0.0 && x.iter().filter(|&&v| v != f32::NEG_INFINITY).nth(1).is_some() {
        f32::from_bits(1)
    } else {
        l
    }
}

/// The dense loss from its regrouped form `Y * l - sum(y d)`, or term by
/// term where that is not finite. A NaN logit (NaN in `l`) keeps it NaN
/// whatever the labels.
#[inline]
pub(crate) fn dense_loss(regrouped: f32, logits: &[f32], labels: &[f32], m: f32, l: f32) -> f32 {
    if regrouped.is_finite() || l.is_nan() {
        regrouped
    } else {
        dense_loss_exact(logits, labels, m, l)
    }
}

/// `out = x` element by element: callers have checked the lengths, but
/// `copy_from_slice` would keep a panic path LLVM cannot see is dead.
#[inline]
pub(crate) fn copy(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v;
    }
}
