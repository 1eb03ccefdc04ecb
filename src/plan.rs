//! The plan: which pass structure runs, per backend and row length, in
//! one place; and the row-batched loops (so that a batch chooses its
//! backend once, in `dispatch`, not once per row).
//!
//! Structures (module `passes`): the 3-pass reload softmax and the
//! two-pass log-sum for rows that fit in cache; the blocked online softmax
//! and the one-pass log-sum beyond. The crossovers are measured per backend
//! by the criterion groups `crossover_*` of `benches/kernels.rs` (the
//! docs/speed.md has the figures). On bare-metal targets
//! (`target_os = "none"`) the long-row structures are left out: no
//! microcontroller holds a row of millions of values, and leaving them
//! out saves their flash.

use crate::exp::exp_any;
use crate::lanes::{Lanes, each, map_groups};
use crate::passes::{blocked, copy, dense_loss, log_softmax_special, registers, three_pass};
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};

pub(crate) mod training;

/// Where the long-row structures take over, for one backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Crossovers {
    /// `softmax` (out of place) is blocked from this many values.
    pub(crate) softmax_blocked_from: usize,
    /// `softmax_in_place` is blocked from this many values.
    pub(crate) softmax_in_place_blocked_from: usize,
    /// `logsumexp`, `log_softmax` and the losses without gradient take the
    /// one-pass log-sum from this many values.
    pub(crate) log_sum_one_pass_from: usize,
}

/// The crossovers of backend `L`.
///
/// - AVX2+FMA (8 lanes; measured on Zen 3 by `crossover_*`): the 3-pass
///   softmax is 10-15% faster up to 2^20 values and the blocked one 20%
///   faster at 2^21 (the row and its output no longer fit the L3 beside
///   each other); in place the 3-pass form wins up to 2^22; the two-pass
///   log-sum is 3-9% faster up to 2^21, the one-pass 17% faster at 2^22.
/// - AVX-512 and the portable lanes use the same points, not measured for
///   them yet: beyond the caches memory traffic, not the lane width,
///   decides the crossovers, but the points may move with the backend.
#[inline(always)]
pub(crate) const fn crossovers<L: Lanes>() -> Crossovers {
    let _ = L::LANES;
    Crossovers {
        softmax_blocked_from: 1 << 21,
        softmax_in_place_blocked_from: 1 << 22,
        log_sum_one_pass_from: 1 << 22,
    }
}

/// A forced structure, for the test suite and the fuzzers (hidden API):
/// `AUTO` follows the crossovers, `SHORT` always takes the 3-pass and
/// two-pass forms, `LONG` the blocked and one-pass forms.
pub(crate) const AUTO: u8 = 0;
/// See [`AUTO`].
pub(crate) const SHORT: u8 = 1;
/// See [`AUTO`].
pub(crate) const LONG: u8 = 2;

/// The forced structure; a `--cfg softmax_simd_structure="short"` or
/// `"long"` build starts with it (CI runs the whole suite so).
static STRUCTURE: AtomicU8 = AtomicU8::new(if cfg!(softmax_simd_structure = "long") {
    LONG
} else if cfg!(softmax_simd_structure = "short") {
    SHORT
} else {
    AUTO
});

/// Forces a structure for every later call in this process.
pub(crate) fn force_structure(s: u8) {
    STRUCTURE.store(s, Relaxed);
}

/// The forced structure ([`AUTO`] unless forced).
pub(crate) fn structure() -> u8 {
    STRUCTURE.load(Relaxed)
}

/// Whether a row of `len` values takes the long-row structure that the
/// crossover `from` starts.
#[inline(always)]
fn long_row(len: usize, from: usize) -> bool {
    if cfg!(target_os = "none") {
        return false;
    }
    match STRUCTURE.load(Relaxed) {
        SHORT => false,
        LONG => true,
        _ => len >= from,
    }
}

/// Whether a row of `len` values takes the one-vector-per-step form of a
/// kernel unrolled `K` times: below `2 K` vectors the last group's pad
/// vectors (up to `K - 1` whole vectors of exps computed and discarded)
/// would cost more than the independent accumulators save.
#[inline(always)]
const fn short<L: Lanes, const K: usize>(len: usize) -> bool {
    K > 1 && len < 2 * K * L::LANES
}

/// Rows of one or two vectors run on registers (`passes::registers`):
/// `$call` with `$V` the vectors the row needs, returned from the caller.
/// Not on the one-lane backend, whose loops already keep a value in a
/// register, and whose flash the second copy of each kernel would cost.
macro_rules! in_registers {
    ($L:ty, $len:expr, |$V:ident| $call:expr) => {{
        let len: usize = $len;
        if <$L as Lanes>::LANES > 1 && len != 0 && len <= 2 * <$L as Lanes>::LANES {
            return if len <= <$L as Lanes>::LANES {
                const $V: usize = 1;
                $call
            } else {
                const $V: usize = 2;
                $call
            };
        }
    }};
}
pub(crate) use in_registers;

/// `out = exp(x)` (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn exp<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32]) {
    if short::<L, K>(x.len()) {
        return exp::<L, 1>(x, out);
    }
    map_groups!(L, K; x, out, 0.0, |g| each!(g, |v| exp_any(v)));
}

/// `max(x)`, NaN if any is NaN.
#[inline(always)]
pub(crate) fn max<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> f32 {
    if short::<L, K>(x.len()) {
        return max::<L, 1>(x);
    }
    crate::accum::max_checked::<L, K>(x)
}

/// `softmax` (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn softmax<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32]) {
    in_registers!(L, x.len(), |V| registers::softmax::<L, V, false>(x, 1.0, out));
    if short::<L, K>(x.len()) {
        return softmax::<L, 1>(x, out);
    }
    if long_row(x.len(), crossovers::<L>().softmax_blocked_from) {
        blocked::softmax::<L, K>(x, out);
    } else {
        three_pass::softmax::<L, K>(x, out);
    }
}

/// `softmax` in place.
#[inline(always)]
pub(crate) fn softmax_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32]) {
    in_registers!(L, x.len(), |V| registers::softmax_in_place::<L, V, false>(x, 1.0));
    if short::<L, K>(x.len()) {
        return softmax_in_place::<L, 1>(x);
    }
    if long_row(x.len(), crossovers::<L>().softmax_in_place_blocked_from) {
        blocked::softmax_in_place::<L, K>(x);
    } else {
        three_pass::softmax_in_place::<L, K>(x);
    }
}

/// `(m, log1p(S - 1))` of a row by the planned structure; `None` for a
/// special row (the one-pass form hands those to the two-pass rules).
#[inline(always)]
fn log_sum<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> Option<(f32, f32)> {
    if long_row(x.len(), crossovers::<L>().log_sum_one_pass_from)
        && let Some(ml) = blocked::log_sum_one_pass::<L, K>(x)
    {
        return Some(ml);
    }
    three_pass::log_sum::<L, K>(x)
}

/// `logsumexp(x)`.
#[inline(always)]
pub(crate) fn logsumexp<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> f32 {
    in_registers!(L, x.len(), |V| registers::logsumexp::<L, V, false>(x, 1.0));
    if short::<L, K>(x.len()) {
        return logsumexp::<L, 1>(x);
    }
    match log_sum::<L, K>(x) {
        Some((m, l)) => m + l,
        None => three_pass::logsumexp_special(x),
    }
}

/// `log_softmax` (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn log_softmax<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32]) {
    in_registers!(L, x.len(), |V| registers::log_softmax::<L, V, false>(x, 1.0, out));
    if short::<L, K>(x.len()) {
        return log_softmax::<L, 1>(x, out);
    }
    match log_sum::<L, K>(x) {
        Some((m, l)) => three_pass::log_softmax_apply::<L, K>(x, out, m, l),
        None => {
            copy(x, out);
            log_softmax_special(out, crate::accum::max_fast::<L, K>(x));
        }
    }
}

/// `log_softmax` in place.
#[inline(always)]
pub(crate) fn log_softmax_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32]) {
    in_registers!(L, x.len(), |V| registers::log_softmax_in_place::<L, V, false>(x, 1.0));
    if short::<L, K>(x.len()) {
        return log_softmax_in_place::<L, 1>(x);
    }
    match log_sum::<L, K>(x) {
        Some((m, l)) => three_pass::log_softmax_apply_in_place::<L, K>(x, m, l),
        None => {
            let m = crate::accum::max_fast::<L, K>(x);
            log_softmax_special(x, m);
        }
    }
}

/// Dense cross-entropy of a validated, non-empty row. Without a gradient,
/// long rows take the loss from one blocked pass, nothing stored.
#[inline(always)]
pub(crate) fn dense_row<L: Lanes<Elem = f32>, const K: usize>(
    logits: &[f32],
    labels: &[f32],
    grad: Option<&mut [f32]>,
) -> f32 {
    if short::<L, K>(logits.len()) {
        return dense_row::<L, 1>(logits, labels, grad);
    }
    if grad.is_none()
        && long_row(logits.len(), crossovers::<L>().log_sum_one_pass_from)
        && let Some(p) = blocked::one_pass::<L, K>(logits, Some(labels))
    {
        let loss = (p.y_total * p.l as f64 - p.yd) as f32;
        return dense_loss(loss, logits, labels, p.m, p.l);
    }
    three_pass::dense_row::<L, K>(logits, labels, grad)
}

/// Sparse cross-entropy of a validated row (one-pass loss for long rows
/// without a gradient).
#[inline(always)]
pub(crate) fn sparse_row<L: Lanes<Elem = f32>, const K: usize>(
    logits: &[f32],
    label: usize,
    grad: Option<&mut [f32]>,
) -> f32 {
    in_registers!(L, logits.len(), |V| registers::sparse_row::<L, V>(logits, label, grad));
    if short::<L, K>(logits.len()) {
        return sparse_row::<L, 1>(logits, label, grad);
    }
    if grad.is_none()
        && long_row(logits.len(), crossovers::<L>().log_sum_one_pass_from)
        && let Some(&x_label) = logits.get(label)
        && let Some(p) = blocked::one_pass::<L, K>(logits, None)
    {
        return p.l - (x_label - p.m);
    }
    three_pass::sparse_row::<L, K>(logits, label, grad)
}

/// `softmax` of each row of `classes` values (`classes > 0`, lengths checked).
#[inline(always)]
pub(crate) fn softmax_rows<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], classes: usize, out: &mut [f32]) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    for (xr, or) in x.chunks_exact(classes).zip(out.chunks_exact_mut(classes)) {
        softmax::<L, K>(xr, or);
    }
}

/// `softmax_in_place` on each row.
#[inline(always)]
pub(crate) fn softmax_rows_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32], classes: usize) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    for row in x.chunks_exact_mut(classes) {
        softmax_in_place::<L, K>(row);
    }
}

/// `log_softmax` of each row.
#[inline(always)]
pub(crate) fn log_softmax_rows<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], classes: usize, out: &mut [f32]) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    for (xr, or) in x.chunks_exact(classes).zip(out.chunks_exact_mut(classes)) {
        log_softmax::<L, K>(xr, or);
    }
}

/// `log_softmax_in_place` on each row.
#[inline(always)]
pub(crate) fn log_softmax_rows_in_place<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32], classes: usize) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    for row in x.chunks_exact_mut(classes) {
        log_softmax_in_place::<L, K>(row);
    }
}

/// `logsumexp` of each row into `out` (one value per row).
#[inline(always)]
pub(crate) fn logsumexp_rows<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], classes: usize, out: &mut [f32]) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    for (row, o) in x.chunks_exact(classes).zip(out.iter_mut()) {
        *o = logsumexp::<L, K>(row);
    }
}

/// Dense cross-entropy of each row (lengths checked by the caller).
#[inline(always)]
pub(crate) fn dense_rows<L: Lanes<Elem = f32>, const K: usize>(
    logits: &[f32],
    labels: &[f32],
    classes: usize,
    losses: &mut [f32],
    grad: Option<&mut [f32]>,
) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    let pairs = logits.chunks_exact(classes).zip(labels.chunks_exact(classes));
    match grad {
        Some(g) => {
            for (((x, y), l), g) in pairs.zip(losses.iter_mut()).zip(g.chunks_exact_mut(classes)) {
                *l = dense_row::<L, K>(x, y, Some(g));
            }
        }
        None => {
            for ((x, y), l) in pairs.zip(losses.iter_mut()) {
                *l = dense_row::<L, K>(x, y, None);
            }
        }
    }
}

/// Sparse cross-entropy of each row (lengths and labels checked).
#[inline(always)]
pub(crate) fn sparse_rows<L: Lanes<Elem = f32>, const K: usize>(
    logits: &[f32],
    labels: &[usize],
    classes: usize,
    losses: &mut [f32],
    grad: Option<&mut [f32]>,
) {
    // Checked by the caller; said again so no `chunks_exact(0)` panic
    // path survives in the wrapper, which is compiled apart from it.
    if classes == 0 {
        return;
    }
    let rows_labels = logits.chunks_exact(classes).zip(labels);
    match grad {
        Some(g) => {
            for (((x, &c), l), g) in rows_labels.zip(losses.iter_mut()).zip(g.chunks_exact_mut(classes)) {
                *l = sparse_row::<L, K>(x, c, Some(g));
            }
        }
        None => {
            for ((x, &c), l) in rows_labels.zip(losses.iter_mut()) {
                *l = sparse_row::<L, K>(x, c, None);
            }
        }
    }
}

/// The structures forced regardless of length, for the benchmarks that
/// measure the crossovers (`variants`).
pub(crate) mod forced {
    use super::*;

    /// `softmax` by the 3-pass reload structure.
    #[inline(always)]
    pub(crate) fn softmax_three_pass<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32]) {
        three_pass::softmax::<L, K>(x, out);
    }

    /// `softmax` by the blocked online structure.
    #[inline(always)]
    pub(crate) fn softmax_blocked<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32]) {
        blocked::softmax::<L, K>(x, out);
    }

    /// `softmax_in_place` by the 3-pass reload structure.
    #[inline(always)]
    pub(crate) fn softmax_in_place_three_pass<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32]) {
        three_pass::softmax_in_place::<L, K>(x);
    }

    /// `softmax_in_place` by the blocked online structure.
    #[inline(always)]
    pub(crate) fn softmax_in_place_blocked<L: Lanes<Elem = f32>, const K: usize>(x: &mut [f32]) {
        blocked::softmax_in_place::<L, K>(x);
    }

    /// `logsumexp` in two passes.
    #[inline(always)]
    pub(crate) fn logsumexp_two_pass<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> f32 {
        match three_pass::log_sum::<L, K>(x) {
            Some((m, l)) => m + l,
            None => three_pass::logsumexp_special(x),
        }
    }

    /// `logsumexp` in one blocked pass.
    #[inline(always)]
    pub(crate) fn logsumexp_one_pass<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> f32 {
        match blocked::log_sum_one_pass::<L, K>(x) {
            Some((m, l)) => m + l,
            None => logsumexp_two_pass::<L, K>(x),
        }
    }

    /// The exp-sum compute floor.
    #[inline(always)]
    pub(crate) fn exp_sum_floor<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], m: f32) -> f32 {
        crate::accum::exp_sum_floor::<L, K>(x, m)
    }
}
