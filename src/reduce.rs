//! Reductions: max, the blocked compensated sum, and the exp-sums behind
//! `logsumexp`, `log_softmax` and the cross-entropy losses.
//!
//! Sums never run a long naive f32 chain: each of the `K` vector
//! accumulators adds at most [`BLOCK`] vectors, the block's accumulators are
//! folded pairwise, and the block total enters a Kahan-compensated running
//! vector; the lanes are added last, pairwise with TwoSum error terms
//! (Sum2 on a tree). A row shorter than one block skips the compensation:
//! its accumulators and lanes are folded pairwise. For non-negative terms
//! the relative error is at most `(BLOCK - 1 + log2(K) + log2(LANES)) u`
//! (`u = 2^-24`), at most `13u < 2^-20`, whatever the length.

use crate::exp::{exp_neg, exp_neg_unless};
use crate::lanes::{K, NO_COUNTS, U, V, count_total, count_where, fold_lanes, fold_pairwise, for_groups, zero_where};

/// Groups (of `K` vectors) summed naively before the block total is
/// added, compensated, to the running sum.
const BLOCK: u32 = 8;

const ZERO: V = V::splat(0.0);
const NEG_INF: V = V::splat(f32::NEG_INFINITY);

/// Pairwise fold of the `K` accumulators.
#[inline(always)]
pub(crate) fn fold_add(acc: [V; K]) -> V {
    fold_pairwise(acc, |a, b| a + b)
}

/// The largest lane of the `K` max accumulators (`-inf` if all are).
#[inline(always)]
fn fold_max(acc: [V; K]) -> f32 {
    fold_lanes(fold_pairwise(acc, V::fast_max), |x, y| if y > x { y } else { x })
}

/// `sum(t) - sum(c)` over the lanes, compensated: the lanes of `t` are added
/// pairwise, each addition split by TwoSum (Knuth) into its rounded sum and
/// its exact rounding error; the errors and `sum(c)` (the Kahan
/// compensations, tiny) are added last. This is Ogita, Rump and Oishi's
/// `Sum2` on a tree: the result is within `u |sum| + 2 gamma_4^2 sum|t|`.
/// Branch-free, unlike a lane-by-lane Neumaier loop; an infinite or NaN
/// total is returned as is (its error terms would be NaN).
#[inline(always)]
fn sum_lanes_compensated(t: V, c: V) -> f32 {
    // Each lane carries (partial sum, error of its additions so far).
    let (sum, err) = fold_pairwise(t.to_array().map(|v| (v, 0.0f32)), |(x, ex), (y, ey)| {
        let s = x + y;
        let yv = s - x;
        (s, (ex + ey) + ((x - (s - yv)) + (y - yv)))
    });
    if !sum.is_finite() {
        return sum;
    }
    sum + (err - fold_lanes(c, |x, y| x + y))
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
    let mut sum = 0.0f32;
    let mut comp = 0.0f32;
    let mut non_finite: Option<f32> = None;
    for v in values {
        if !v.is_finite() {
            non_finite = Some(non_finite.map_or(v, |w| w + v));
            continue;
        }
        let t = sum + v;
        if libm::fabsf(sum) >= libm::fabsf(v) {
            comp += (sum - t) + v;
        } else {
            comp += (v - t) + sum;
        }
        sum = t;
    }
    match non_finite {
        Some(w) => w,
        // An overflowed running sum stays infinite; its `comp` is inf - inf.
        None if !sum.is_finite() => sum,
        None => sum + comp,
    }
}

/// A blocked, compensated vector sum (see the module docs for its bound).
pub(crate) struct Sum {
    acc: [V; K],
    groups: u32,
    /// Whether a block total has entered `total` yet.
    flushed: bool,
    total: V,
    comp: V,
}

impl Sum {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        Sum {
            acc: [ZERO; K],
            groups: 0,
            flushed: false,
            total: ZERO,
            comp: ZERO,
        }
    }

    #[inline(always)]
    pub(crate) fn add(&mut self, g: [V; K]) {
        for (a, v) in self.acc.iter_mut().zip(g) {
            *a += v;
        }
        self.groups += 1;
        if self.groups == BLOCK {
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
        self.comp = t.is_finite().select((t - self.total) - y, ZERO);
        self.total = t;
        self.acc = [ZERO; K];
        self.groups = 0;
    }

    #[inline(always)]
    pub(crate) fn finish(mut self) -> f32 {
        if !self.flushed {
            // A short row (under one block): the accumulators' pairwise fold
            // and a pairwise fold of the lanes already meet the module's
            // bound, `(BLOCK - 1 + log2(K) + log2(LANES))u`; the compensated
            // finish would only cost the short rows their speed.
            return fold_lanes(fold_add(self.acc), |x, y| x + y);
        }
        self.flush();
        sum_lanes_compensated(self.total, self.comp)
    }
}

/// Largest element by `fast_max` (a bare `max` instruction): `-inf` for an
/// empty slice. A NaN may or may not win; callers find NaN from the sums.
#[inline]
pub(crate) fn max_fast(x: &[f32]) -> f32 {
    let mut acc = [NEG_INF; K];
    for_groups(x, f32::NEG_INFINITY, |g| {
        for (a, v) in acc.iter_mut().zip(g) {
            *a = a.fast_max(v);
        }
    });
    fold_max(acc)
}

/// The largest element of `x`: `NaN` if any element is NaN, `-inf` if `x`
/// is empty; `max([-0.0, 0.0])` may return either zero.
///
/// Four vector accumulators of bare `max` instructions; NaN is tracked by a
/// separate `x != x` mask, so it never disappears into the max.
///
/// # Example
/// ```
/// assert_eq!(softmax_simd::max(&[1.0, 3.0, -2.0]), 3.0);
/// assert_eq!(softmax_simd::max(&[]), f32::NEG_INFINITY);
/// assert!(softmax_simd::max(&[1.0, f32::NAN]).is_nan());
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn max(x: &[f32]) -> f32 {
    let mut acc = [NEG_INF; K];
    let mut nan = ZERO;
    for_groups(x, f32::NEG_INFINITY, |g| {
        for (a, v) in acc.iter_mut().zip(g) {
            *a = a.fast_max(v);
            nan |= v.simd_ne(v);
        }
    });
    if nan.any() {
        return f32::NAN;
    }
    fold_max(acc)
}

/// The two parts of `S = sum_i exp(x_i - m)` that give `S - 1` without
/// cancellation: the compensated sum of the terms below the max
/// (`x_i != m`) and the count of the terms at it (each exactly 1). Fed
/// `d = x - m`, a group of `K` vectors at a time.
pub(crate) struct ExpSplit {
    small: Sum,
    ties: [U; K],
}

impl ExpSplit {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        ExpSplit {
            small: Sum::new(),
            ties: NO_COUNTS,
        }
    }

    /// Adds a group of `d = x - m` (`<= 0`, `-inf` or NaN) when only the
    /// sums are wanted: the tie mask joins the exp's flush mask.
    #[inline(always)]
    pub(crate) fn add(&mut self, d: [V; K]) {
        let mut e = [ZERO; K];
        for ((e, t), d) in e.iter_mut().zip(self.ties.iter_mut()).zip(d) {
            let top = d.simd_eq(ZERO);
            *e = exp_neg_unless(d, top);
            count_where(t, top);
        }
        self.small.add(e);
    }

    /// [`add`](Self::add) returning the group's exps (`1` at the ties), for
    /// the passes that store them.
    #[inline(always)]
    pub(crate) fn add_exps(&mut self, d: [V; K]) -> [V; K] {
        let e = d.map(exp_neg);
        let mut e_small = [ZERO; K];
        for (((s, t), d), e) in e_small.iter_mut().zip(self.ties.iter_mut()).zip(d).zip(e) {
            let top = d.simd_eq(ZERO);
            *s = zero_where(top, e);
            count_where(t, top);
        }
        self.small.add(e_small);
        e
    }

    /// `(sum of exp(d_i) over d_i != 0, count of d_i == 0)`; the first is
    /// NaN when any `d_i` was NaN.
    #[inline(always)]
    pub(crate) fn finish(self) -> (f32, f32) {
        (self.small.finish(), count_total(self.ties))
    }
}

/// [`ExpSplit`]'s parts of `S` for a row and its finite max `m`.
#[inline]
pub(crate) fn exp_sum_split(x: &[f32], m: f32) -> (f32, f32) {
    let mv = V::splat(m);
    let mut split = ExpSplit::new();
    for_groups(x, f32::NEG_INFINITY, |g| split.add(g.map(|v| v - mv)));
    split.finish()
}

/// `log1p(S - 1)` from [`exp_sum_split`]'s parts: the `log(S)` of a row.
#[inline]
pub(crate) fn log_normaliser(small: f32, ties: f32) -> f32 {
    libm::log1pf(small + (ties - 1.0))
}

/// Whether any element is NaN (the off-hot-path check of special rows).
#[inline]
pub(crate) fn has_nan(x: &[f32]) -> bool {
    x.iter().any(|v| v.is_nan())
}

/// `log(sum_i exp(x_i))`, as `m + log1p(S - 1)` with `m = max(x)` and `S - 1`
/// summed without the arg-max term, so tiny tails are not lost:
/// `logsumexp([0, -20]) = 2.0611537e-9` (PyTorch, JAX and TensorFlow return 0).
///
/// Special values: empty or all `-inf` gives `-inf`; any `+inf` (and no NaN)
/// gives `+inf`; any NaN gives NaN. Two passes (max, then exp-sum) below
/// 2^22 values, one blocked online pass from there on; no exps are stored.
///
/// Error: within a few ULP of the f64 value (see the README's accuracy
/// table); the sum of up to `2^24` terms is within `2^-20` relative.
///
/// # Example
/// ```
/// let lse = softmax_simd::logsumexp(&[0.0, -20.0]);
/// assert!((lse - 2.0611537e-9).abs() < 1e-15);
/// assert_eq!(softmax_simd::logsumexp(&[]), f32::NEG_INFINITY);
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp(x: &[f32]) -> f32 {
    if crate::blocked::long_row(x.len(), crate::blocked::LOG_SUM_ONE_PASS_FROM)
        && let Some((m, l)) = crate::blocked::log_sum_one_pass(x)
    {
        return m + l;
    }
    logsumexp_two_pass(x)
}

/// [`logsumexp`] in two passes (max, then exp-sum) at every length; also
/// the special-value path of the one-pass form.
pub(crate) fn logsumexp_two_pass(x: &[f32]) -> f32 {
    let m = max_fast(x);
    if !m.is_finite() {
        // Empty, all -inf, any +inf, or a NaN that won the max: decided once.
        return if m.is_nan() || has_nan(x) { f32::NAN } else { m };
    }
    let (small, ties) = exp_sum_split(x, m);
    if small.is_nan() {
        return f32::NAN;
    }
    m + log_normaliser(small, ties)
}
