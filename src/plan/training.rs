//! The plan of the training API (issue 12): the temperature-scaled forms
//! take the same structures at the same crossovers as the unscaled ones;
//! the backward passes, the cross-entropy rows, the streaming chunks and
//! `argmax` take their passes of `passes::training`; short rows the
//! one-vector-per-step form, as everywhere.

use super::{copy, crossovers, in_registers, log_softmax_special, long_row, short};
use crate::accum::{Neumaier, max_fast};
use crate::lanes::Lanes;
use crate::passes::training::{self as pass, Chunk, Target, Xent};
use crate::passes::{blocked, registers, three_pass};

// ----------------------------------------------------------- temperature

/// `softmax(beta * x)` (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn softmax_scaled<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], beta: f32, out: &mut [f32]) {
    in_registers!(L, x.len(), |V| registers::softmax::<L, V, true>(x, beta, out));
    if short::<L, K>(x.len()) {
        return softmax_scaled::<L, 1>(x, beta, out);
    }
    if long_row(x.len(), crossovers::<L>().softmax_blocked_from) {
        blocked::softmax_scaled::<L, K, true>(x, beta, out);
    } else {
        three_pass::softmax_scaled::<L, K, true>(x, beta, out);
    }
}

/// `softmax(beta * x)` in place.
#[inline(always)]
pub(crate) fn softmax_scaled_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32], beta: f32) {
    in_registers!(L, x.len(), |V| registers::softmax_in_place::<L, V, true>(x, beta));
    if short::<L, K>(x.len()) {
        return softmax_scaled_in_place::<L, 1>(x, beta);
    }
    if long_row(x.len(), crossovers::<L>().softmax_in_place_blocked_from) {
        blocked::softmax_scaled_in_place::<L, K, true>(x, beta);
    } else {
        three_pass::softmax_scaled_in_place::<L, K, true>(x, beta);
    }
}

/// `(m, log1p(S - 1))` of `beta * x` by the planned structure (`m` the
/// max of `x`); `None` for a special row.
#[inline(always)]
fn log_sum_scaled<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], beta: f32) -> Option<(f32, f32)> {
    if long_row(x.len(), crossovers::<L>().log_sum_one_pass_from)
        && let Some(ml) = blocked::log_sum_one_pass_scaled::<L, K, true>(x, beta)
    {
        return Some(ml);
    }
    three_pass::log_sum_scaled::<L, K, true>(x, beta)
}

/// `logsumexp(beta * x) = beta * m + log1p(S - 1)`.
#[inline(always)]
pub(crate) fn logsumexp_scaled<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], beta: f32) -> f32 {
    in_registers!(L, x.len(), |V| registers::logsumexp::<L, V, true>(x, beta));
    if short::<L, K>(x.len()) {
        return logsumexp_scaled::<L, 1>(x, beta);
    }
    match log_sum_scaled::<L, K>(x, beta) {
        Some((m, l)) => beta * m + l,
        // beta > 0 keeps every limit: -inf, +inf or NaN.
        None => three_pass::logsumexp_special(x),
    }
}

/// `log_softmax(beta * x)` (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn log_softmax_scaled<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], beta: f32, out: &mut [f32]) {
    in_registers!(L, x.len(), |V| registers::log_softmax::<L, V, true>(x, beta, out));
    if short::<L, K>(x.len()) {
        return log_softmax_scaled::<L, 1>(x, beta, out);
    }
    match log_sum_scaled::<L, K>(x, beta) {
        Some((m, l)) => three_pass::log_softmax_apply_scaled::<L, K, true>(x, out, m, beta, l),
        None => {
            copy(x, out);
            log_softmax_special(out, max_fast::<L, K>(x));
        }
    }
}

/// `log_softmax(beta * x)` in place.
#[inline(always)]
pub(crate) fn log_softmax_scaled_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32], beta: f32) {
    in_registers!(L, x.len(), |V| registers::log_softmax_in_place::<L, V, true>(x, beta));
    if short::<L, K>(x.len()) {
        return log_softmax_scaled_in_place::<L, 1>(x, beta);
    }
    match log_sum_scaled::<L, K>(x, beta) {
        Some((m, l)) => three_pass::log_softmax_apply_scaled_in_place::<L, K, true>(x, m, beta, l),
        None => {
            let m = max_fast::<L, K>(x);
            log_softmax_special(x, m);
        }
    }
}

// -------------------------------------------------------------- backward

/// `dx = y * (dy - <dy, y>)`.
#[inline(always)]
pub(crate) fn softmax_backward<L: Lanes<Elem = f32>, const K: usize>(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    if short::<L, K>(y.len()) {
        return softmax_backward::<L, 1>(y, dy, dx);
    }
    pass::softmax_backward::<L, K>(y, dy, dx);
}

/// [`softmax_backward`] over `dy`.
#[inline(always)]
pub(crate) fn softmax_backward_in_place<L: Lanes<Elem = f32>, const K: usize>(y: &[f32], dy: &mut [f32]) {
    if short::<L, K>(y.len()) {
        return softmax_backward_in_place::<L, 1>(y, dy);
    }
    pass::softmax_backward_in_place::<L, K>(y, dy);
}

/// `dx = dz - exp(z) * sum(dz)`.
#[inline(always)]
pub(crate) fn log_softmax_backward<L: Lanes<Elem = f32>, const K: usize>(z: &[f32], dz: &[f32], dx: &mut [f32]) {
    if short::<L, K>(z.len()) {
        return log_softmax_backward::<L, 1>(z, dz, dx);
    }
    pass::log_softmax_backward::<L, K>(z, dz, dx);
}

/// [`log_softmax_backward`] over `dz`.
#[inline(always)]
pub(crate) fn log_softmax_backward_in_place<L: Lanes<Elem = f32>, const K: usize>(z: &[f32], dz: &mut [f32]) {
    if short::<L, K>(z.len()) {
        return log_softmax_backward_in_place::<L, 1>(z, dz);
    }
    pass::log_softmax_backward_in_place::<L, K>(z, dz);
}

/// The row-batched forms: each runs its single-row kernel on every row of
/// `classes` values (lengths checked by the caller), so each row is bit
/// for bit the single-row result.
macro_rules! row_loops {
    ($(#[$doc:meta])* scaled $name:ident = $one:ident) => {
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $name<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) {
            for (xr, or) in x.chunks_exact(classes).zip(out.chunks_exact_mut(classes)) {
                $one::<L, K>(xr, beta, or);
            }
        }
    };
    ($(#[$doc:meta])* scaled_in_place $name:ident = $one:ident) => {
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $name<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32], classes: usize, beta: f32) {
            for row in x.chunks_exact_mut(classes) {
                $one::<L, K>(row, beta);
            }
        }
    };
    ($(#[$doc:meta])* backward $name:ident = $one:ident) => {
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $name<L: Lanes<Elem = f32>, const K: usize>(y: &[f32], dy: &[f32], classes: usize, dx: &mut [f32]) {
            let pairs = y.chunks_exact(classes).zip(dy.chunks_exact(classes));
            for ((y, dy), dx) in pairs.zip(dx.chunks_exact_mut(classes)) {
                $one::<L, K>(y, dy, dx);
            }
        }
    };
    ($(#[$doc:meta])* backward_in_place $name:ident = $one:ident) => {
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $name<L: Lanes<Elem = f32>, const K: usize>(y: &[f32], dy: &mut [f32], classes: usize) {
            for (y, dy) in y.chunks_exact(classes).zip(dy.chunks_exact_mut(classes)) {
                $one::<L, K>(y, dy);
            }
        }
    };
}

row_loops!(
    /// [`softmax_scaled`] of each row.
    scaled softmax_rows_scaled = softmax_scaled
);
row_loops!(
    /// [`softmax_scaled_in_place`] on each row.
    scaled_in_place softmax_rows_scaled_in_place = softmax_scaled_in_place
);
row_loops!(
    /// [`log_softmax_scaled`] of each row.
    scaled log_softmax_rows_scaled = log_softmax_scaled
);
row_loops!(
    /// [`log_softmax_scaled_in_place`] on each row.
    scaled_in_place log_softmax_rows_scaled_in_place = log_softmax_scaled_in_place
);
row_loops!(
    /// [`softmax_backward`] on each row.
    backward softmax_backward_rows = softmax_backward
);
row_loops!(
    /// [`softmax_backward_in_place`] on each row.
    backward_in_place softmax_backward_rows_in_place = softmax_backward_in_place
);
row_loops!(
    /// [`log_softmax_backward`] on each row.
    backward log_softmax_backward_rows = log_softmax_backward
);
row_loops!(
    /// [`log_softmax_backward_in_place`] on each row.
    backward_in_place log_softmax_backward_rows_in_place = log_softmax_backward_in_place
);

/// [`logsumexp_scaled`] of each row, one value per row.
#[inline(always)]
pub(crate) fn logsumexp_rows_scaled<L: Lanes<Elem = f32>, const K: usize>(
    x: &[f32],
    classes: usize,
    beta: f32,
    out: &mut [f32],
) {
    for (row, o) in x.chunks_exact(classes).zip(out.iter_mut()) {
        *o = logsumexp_scaled::<L, K>(row, beta);
    }
}

// --------------------------------------------------------- cross-entropy

/// PyTorch's cross-entropy of one validated row (loss; gradient times
/// `o.inv_div` into `grad`). The row pass is instantiated for weights or
/// none, class index or probabilities, and a spread coefficient
/// (smoothing, probabilities) or only the one-hot one.
#[inline(always)]
pub(crate) fn xent_row<L: Lanes<Elem = f32>, const K: usize>(
    x: &[f32],
    target: Target<'_>,
    o: &Xent<'_>,
    grad: Option<&mut [f32]>,
) -> f32 {
    if !o.spread && matches!(target, Target::Index(_)) {
        in_registers!(L, x.len(), |V| registers::xent_hot::<L, V>(x, target, o, grad));
    }
    if short::<L, K>(x.len()) {
        return xent_row::<L, 1>(x, target, o, grad);
    }
    macro_rules! go {
        ($w:expr, $dense:expr, $spread:expr) => {
            pass::xent_row::<L, K, $w, $dense, $spread>(x, target, o, grad)
        };
    }
    match (target, o.weights.is_some(), o.spread) {
        (Target::Dense(_), true, _) => go!(true, true, true),
        (Target::Dense(_), false, _) => go!(false, true, true),
        (Target::Index(_), true, true) => go!(true, false, true),
        (Target::Index(_), true, false) => go!(true, false, false),
        (Target::Index(_), false, true) => go!(false, false, true),
        (Target::Index(_), false, false) => go!(false, false, false),
    }
}

/// [`xent_row`] of each row of `classes` values with its class in
/// `targets` (`usize::MAX`: an ignored row, loss 0 and a zero gradient),
/// each loss written to `losses` and added to `total`: a chunk of rows of
/// `cross_entropy_rows` in one dispatched call (lengths checked by the
/// caller).
#[inline(always)]
pub(crate) fn xent_rows<L: Lanes<Elem = f32>, const K: usize>(
    x: &[f32],
    targets: &[usize],
    classes: usize,
    o: &Xent<'_>,
    losses: Option<&mut [f32]>,
    grad: Option<&mut [f32]>,
    total: &mut Neumaier,
) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    let mut losses = losses.map(|l| l.iter_mut());
    let mut grads = grad.map(|g| g.chunks_exact_mut(classes));
    for (x, &t) in x.chunks_exact(classes).zip(targets) {
        let g = grads.as_mut().and_then(Iterator::next);
        let loss = if t < classes {
            xent_row::<L, K>(x, Target::Index(t), o, g)
        } else {
            if let Some(g) = g {
                g.fill(0.0);
            }
            0.0
        };
        if let Some(l) = losses.as_mut().and_then(Iterator::next) {
            *l = loss;
        }
        total.add(loss);
    }
}

// ------------------------------------------------- streaming and argmax

/// The summary of one chunk of a streamed row.
#[inline(always)]
pub(crate) fn chunk<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> Chunk {
    if short::<L, K>(x.len()) {
        return chunk::<L, 1>(x);
    }
    pass::chunk::<L, K>(x)
}

/// A chunk's softmax relative to the whole row (`m` finite, `r = 1 / S`).
#[inline(always)]
pub(crate) fn softmax_chunk<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32], m: f32, r: f32) {
    if short::<L, K>(x.len()) {
        return softmax_chunk::<L, 1>(x, out, m, r);
    }
    pass::softmax_chunk::<L, K>(x, out, m, r);
}

/// A chunk's log-softmax relative to the whole row: `(x - m) - l`.
#[inline(always)]
pub(crate) fn log_softmax_chunk<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32], m: f32, l: f32) {
    if short::<L, K>(x.len()) {
        return log_softmax_chunk::<L, 1>(x, out, m, l);
    }
    three_pass::log_softmax_apply::<L, K>(x, out, m, l);
}

/// The first index of the max; `None` for empty or any NaN.
#[inline(always)]
pub(crate) fn argmax<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> Option<usize> {
    if short::<L, K>(x.len()) {
        return argmax::<L, 1>(x);
    }
    pass::argmax::<L, K>(x)
}
