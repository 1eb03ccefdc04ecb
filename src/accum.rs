//! Accumulators: max, the blocked compensated sum, and the split of `S`
//! into the terms below the max and the ties at it (`S - 1` without
//! cancellation), over any [`Lanes`] backend and unroll `K`.
//!
//! Sums never run a long naive f32 chain: each of the `K` vector
//! accumulators adds at most [`block`] groups, the block's accumulators are
//! folded pairwise, and the block total enters a Kahan-compensated running
//! vector; the lanes are added last, pairwise with TwoSum error terms
//! (Sum2 on a tree). A row shorter than one block skips the compensation:
//! its accumulators and lanes are folded pairwise. For non-negative terms
//! the relative error is at most `(B - 1 + log2(K) + log2(LANES)) u`
//! (`u = 2^-24`, `B` the block: 8 groups, 16 for one lane unrolled once),
//! at most `15u < 2^-20`, whatever the length.

use crate::exp::{exp_neg, exp_neg_unless};
use crate::lanes::{Lanes, count_total, each, for_groups, no_counts};

/// Groups (of `K` vectors) summed naively before the block total is
/// added, compensated, to the running sum.
const BLOCK: u32 = 8;

/// [`BLOCK`], or 16 for one lane unrolled once (the bound's `15u` is still
/// under `2^-20`): on a Cortex-M4F the 8-value block made LLVM unroll the
/// exp loop 8 times, 550 more bytes of flash per kernel for 3% fewer
/// instructions (firmware/bench).
const fn block<L: Lanes, const K: usize>() -> u32 {
    if K * L::LANES == 1 { 16 } else { BLOCK }
}

/// Pairwise fold of the `K` accumulators (halves, then quarters, ...; `K`
/// a power of two), so sums round `log2(K)` times per element. Loops, not
/// a closure: see the loop macros in `lanes`.
#[inline(always)]
pub(crate) fn fold_add<L: Lanes<Elem = f32>, const K: usize>(mut acc: [L; K]) -> L {
    let mut w = K;
    while w > 1 {
        w /= 2;
        if let Some((lo, hi)) = acc.split_at_mut_checked(w) {
            for (x, y) in lo.iter_mut().zip(hi.iter()) {
                *x = *x + *y;
            }
        }
    }
    acc.first().copied().unwrap_or(L::splat(0.0))
}

/// The largest lane of the `K` max accumulators (`-inf` if all are).
#[inline(always)]
pub(crate) fn fold_max<L: Lanes<Elem = f32>, const K: usize>(mut acc: [L; K]) -> f32 {
    let mut w = K;
    while w > 1 {
        w /= 2;
        if let Some((lo, hi)) = acc.split_at_mut_checked(w) {
            for (x, y) in lo.iter_mut().zip(hi.iter()) {
                *x = x.max(*y);
            }
        }
    }
    acc.first().copied().unwrap_or(L::splat(f32::NEG_INFINITY)).reduce_max()
}

/// `sum(t) - sum(c)` over the lanes, compensated: the lanes of `t` are added
/// pairwise, each addition split by TwoSum (Knuth) into its rounded sum and
/// its exact rounding error; the errors and `sum(c)` (the Kahan
/// compensations, tiny) are added last. This is Ogita, Rump and Oishi's
/// `Sum2` on a tree: the result is within `u |sum| + 2 gamma_4^2 sum|t|`.
/// Branch-free, unlike a lane-by-lane Neumaier loop; an infinite or NaN
/// total is returned as is (its error terms would be NaN).
#[inline(always)]
fn sum_lanes_compensated<L: Lanes<Elem = f32>>(t: L, c: L) -> f32 {
    let mut sums = t.to_array();
    let mut errs = L::splat(0.0).to_array();
    let (s, e) = (sums.as_mut(), errs.as_mut());
    let mut w = s.len();
    while w > 1 {
        w /= 2;
        if let (Some((s_lo, s_hi)), Some((e_lo, e_hi))) = (s.split_at_mut_checked(w), e.split_at_mut_checked(w)) {
            for (((x, ex), y), ey) in s_lo.iter_mut().zip(e_lo.iter_mut()).zip(s_hi.iter()).zip(e_hi.iter()) {
                let (a, b) = (*x, *y);
                let sum = a + b;
                let bv = sum - a;
                *ex = (*ex + ey) + ((a - (sum - bv)) + (b - bv));
                *x = sum;
            }
        }
    }
    let sum = s.first().copied().unwrap_or(0.0);
    if !sum.is_finite() {
        return sum;
    }
    let err = e.first().copied().unwrap_or(0.0);
    sum + (err - c.reduce_add())
}

/// Neumaier-compensated sum of f32 values (the dense loss's exact fallback
/// and its special rows).
///
/// Infinite or NaN terms decide the sum as in real arithmetic: their own
/// sum (`+inf`, `-inf`, or NaN for both signs or a NaN) is the result,
/// whatever the finite terms do. Only without them can the finite terms'
/// running sum overflow, to the infinity of its sign.
#[inline]
pub(crate) fn neumaier(values: impl IntoIterator<Item = f32>) -> f32 {
    let mut acc = Neumaier::new();
    for v in values {
        acc.add(v);
    }
    acc.finish()
}

/// [`neumaier`] as an accumulator, for loops that cannot hand it an
/// iterator (a closure would leave the dispatch wrapper's target features).
#[derive(Clone, Copy)]
pub(crate) struct Neumaier {
    sum: f32,
    comp: f32,
    non_finite: Option<f32>,
}

impl Neumaier {
    #[inline]
    pub(crate) fn new() -> Self {
        Neumaier {
            sum: 0.0,
            comp: 0.0,
            non_finite: None,
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, v: f32) {
        if !v.is_finite() {
            self.non_finite = Some(self.non_finite.map_or(v, |w| w + v));
            return;
        }
        let t = self.sum + v;
        if libm::fabsf(self.sum) >= libm::fabsf(v) {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    #[inline]
    pub(crate) fn finish(self) -> f32 {
        match self.non_finite {
            Some(w) => w,
            // An overflowed running sum stays infinite; its `comp` is inf - inf.
            None if !self.sum.is_finite() => self.sum,
            None => self.sum + self.comp,
        }
    }
}

/// A blocked, compensated vector sum (see the module docs for its bound).
pub(crate) struct Sum<L: Lanes, const K: usize> {
    acc: [L; K],
    groups: u32,
    /// Whether a block total has entered `total` yet.
    flushed: bool,
    total: L,
    comp: L,
}

impl<L: Lanes<Elem = f32>, const K: usize> Sum<L, K> {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        Sum {
            acc: [L::splat(0.0); K],
            groups: 0,
            flushed: false,
            total: L::splat(0.0),
            comp: L::splat(0.0),
        }
    }

    #[inline(always)]
    pub(crate) fn add(&mut self, g: [L; K]) {
        for (a, v) in self.acc.iter_mut().zip(g) {
            *a = *a + v;
        }
        self.groups += 1;
        if self.groups == block::<L, K>() {
            self.flush();
            self.flushed = true;
        }
    }

    #[inline(always)]
    fn flush(&mut self) {
        // Kahan step: `comp` holds the low-order part lost so far (negated).
        // Once a lane's total is infinite its compensation is meaningless
        // (inf - inf) and is reset, so an infinite sum stays infinite.
        let y = fold_add(self.acc) - self.comp;
        let t = self.total + y;
        self.comp = L::select(t.is_finite(), (t - self.total) - y, L::splat(0.0));
        self.total = t;
        self.acc = [L::splat(0.0); K];
        self.groups = 0;
    }

    #[inline(always)]
    pub(crate) fn finish(mut self) -> f32 {
        if !self.flushed {
            // A short row (under one block): the accumulators' pairwise fold
            // and a pairwise fold of the lanes already meet the module's
            // bound, `(B - 1 + log2(K) + log2(LANES))u`; the compensated
            // finish would only cost the short rows their speed.
            return fold_add(self.acc).reduce_add();
        }
        self.flush();
        sum_lanes_compensated(self.total, self.comp)
    }
}

/// Largest element by a bare `max` instruction: `-inf` for an empty
/// slice. A NaN may or may not win; callers find NaN from the sums.
#[inline(always)]
pub(crate) fn max_fast<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> f32 {
    let mut acc = [L::splat(f32::NEG_INFINITY); K];
    for_groups!(L, K; x, f32::NEG_INFINITY, |g| {
        for (a, v) in acc.iter_mut().zip(g) {
            *a = a.max(v);
        }
    });
    fold_max(acc)
}

/// The largest element of `x`: NaN if any element is NaN, `-inf` if `x`
/// is empty. Bare `max` accumulators; NaN is tracked by a separate
/// unordered-compare mask, so it never disappears into the max.
#[inline(always)]
pub(crate) fn max_checked<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> f32 {
    let mut acc = [L::splat(f32::NEG_INFINITY); K];
    let mut nan = L::splat(0.0).is_nan();
    for_groups!(L, K; x, f32::NEG_INFINITY, |g| {
        for (a, v) in acc.iter_mut().zip(g) {
            *a = a.max(v);
            nan = nan | v.is_nan();
        }
    });
    if L::any(nan) {
        return f32::NAN;
    }
    fold_max(acc)
}

/// The two parts of `S = sum_i exp(x_i - m)` that give `S - 1` without
/// cancellation: the compensated sum of the terms below the max
/// (`x_i != m`) and the count of the terms at it (each exactly 1). Fed
/// `d = x - m`, a group of `K` vectors at a time.
pub(crate) struct ExpSplit<L: Lanes, const K: usize> {
    small: Sum<L, K>,
    ties: [L::Counts; K],
}

impl<L: Lanes<Elem = f32>, const K: usize> ExpSplit<L, K> {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        ExpSplit {
            small: Sum::new(),
            ties: no_counts::<L, K>(),
        }
    }

    /// Adds a group of `d = x - m` (`<= 0`, `-inf` or NaN) when only the
    /// sums are wanted: the tie mask joins the exp's flush mask.
    #[inline(always)]
    pub(crate) fn add(&mut self, d: [L; K]) {
        let mut e = [L::splat(0.0); K];
        for ((e, t), d) in e.iter_mut().zip(self.ties.iter_mut()).zip(d) {
            let top = d.eq(L::splat(0.0));
            *e = exp_neg_unless(d, top);
            L::count_where(t, top);
        }
        self.small.add(e);
    }

    /// [`add`](Self::add) returning the group's exps (`1` at the ties), for
    /// the passes that store them.
    #[inline(always)]
    pub(crate) fn add_exps(&mut self, d: [L; K]) -> [L; K] {
        let e = each!(d, |v| exp_neg(v));
        let mut e_small = [L::splat(0.0); K];
        for (((s, t), d), e) in e_small.iter_mut().zip(self.ties.iter_mut()).zip(d).zip(e) {
            let top = d.eq(L::splat(0.0));
            *s = L::zero_where(top, e);
            L::count_where(t, top);
        }
        self.small.add(e_small);
        e
    }

    /// `(sum of exp(d_i) over d_i != 0, count of d_i == 0)`; the first is
    /// NaN when any `d_i` was NaN.
    #[inline(always)]
    pub(crate) fn finish(self) -> (f32, f32) {
        (self.small.finish(), count_total::<L, K>(self.ties))
    }
}

/// `d`, times `bv` (every lane `beta`) when `SCALED`: the exponent
/// `beta * (x_i - m)` of the temperature-scaled kernels, rounded after the
/// subtraction. The unscaled kernels instantiate `SCALED = false`, so they
/// pay no multiply (and stay bit for bit what they were).
#[inline(always)]
pub(crate) fn scale<L: Lanes<Elem = f32>, const SCALED: bool>(d: L, bv: L) -> L {
    if SCALED { d * bv } else { d }
}

/// The exps `exp(beta (g - r))` of a group, added to `sum`: the
/// store-and-sum step of the 3-pass and the blocked softmax alike.
#[inline(always)]
pub(crate) fn exp_add<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    g: [L; K],
    r: L,
    beta: L,
    sum: &mut Sum<L, K>,
) -> [L; K] {
    let e = each!(g, |v| exp_neg(scale::<L, SCALED>(v - r, beta)));
    sum.add(e);
    e
}

/// [`ExpSplit`]'s parts of `S` for a row and its finite max `m`, of the
/// exponents `beta * (x_i - m)` (`beta` read only when `SCALED`).
#[inline(always)]
pub(crate) fn exp_sum_split_scaled<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &[f32],
    m: f32,
    beta: f32,
) -> (f32, f32) {
    let (mv, bv) = (L::splat(m), L::splat(beta));
    let mut split = ExpSplit::<L, K>::new();
    for_groups!(L, K; x, f32::NEG_INFINITY, |g| split.add(each!(g, |v| scale::<L, SCALED>(v - mv, bv))));
    split.finish()
}

/// The compute floor of one pass: `sum_i exp(x_i - m)` with the crate's
/// exp, `m` given, plain accumulators (no compensation, no tie count).
#[inline(always)]
pub(crate) fn exp_sum_floor<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], m: f32) -> f32 {
    let mv = L::splat(m);
    let mut acc = [L::splat(0.0); K];
    for_groups!(L, K; x, f32::NEG_INFINITY, |g| {
        for (a, v) in acc.iter_mut().zip(g) {
            *a = *a + exp_neg(v - mv);
        }
    });
    fold_add(acc).reduce_add()
}

/// `log1p(S - 1)` from [`exp_sum_split_scaled`]'s parts: the `log(S)` of a row.
#[inline]
pub(crate) fn log_normaliser(small: f32, ties: f32) -> f32 {
    libm::log1pf(small + (ties - 1.0))
}

/// Whether any element is NaN (the off-hot-path check of special rows).
#[inline]
pub(crate) fn has_nan(x: &[f32]) -> bool {
    x.iter().any(|v| v.is_nan())
}
