//! The per-row passes of the training API (issue 12) that the softmax
//! structures do not already provide: the backward passes (a compensated
//! dot product or sum, then the element-wise pass), PyTorch's
//! cross-entropy on one row (max; exp-sum and coefficient sums; gradient),
//! a streaming chunk's summary, and the arg-max search. The scaled
//! softmax forms are the `*_scaled` passes of [`three_pass`](super::three_pass)
//! and [`blocked`](super::blocked).

use super::{exact_loss, limits};
use crate::accum::{ExpSplit, Neumaier, Sum, exp_sum_split_scaled, has_nan, log_normaliser, max_checked, max_fast};
use crate::exp::{exp_any, exp_neg};
use crate::lanes::{
    Lanes, each, for_groups, load_group, map_groups, zip_groups, zip_map_groups, zip_map_groups_in_place,
};

// ------------------------------------------------------------ backward

/// `<a, b>`, compensated ([`Sum`] of the rounded products).
#[inline(always)]
fn dot<L: Lanes<Elem = f32>, const K: usize>(a: &[f32], b: &[f32]) -> f32 {
    let mut s = Sum::<L, K>::new();
    zip_groups!(L, K; a, 0.0, b, 0.0, |g, h| {
        let mut p = [L::splat(0.0); K];
        for ((o, u), v) in p.iter_mut().zip(g).zip(h) {
            *o = u * v;
        }
        s.add(p);
    });
    s.finish()
}

/// `dx = y * (dy - <dy, y>)` (`dx`, `dy`, `y` of one length).
#[inline(always)]
pub(crate) fn softmax_backward<L: Lanes<Elem = f32>, const K: usize>(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let dv = L::splat(dot::<L, K>(y, dy));
    zip_map_groups!(L, K; y, 0.0, dy, 0.0, dx, |g, h| {
        let mut o = [L::splat(0.0); K];
        for ((o, u), v) in o.iter_mut().zip(g).zip(h) {
            *o = u * (v - dv);
        }
        o
    });
}

/// [`softmax_backward`] with the result over `dy`.
#[inline(always)]
pub(crate) fn softmax_backward_in_place<L: Lanes<Elem = f32>, const K: usize>(y: &[f32], dy: &mut [f32]) {
    let dv = L::splat(dot::<L, K>(y, dy));
    zip_map_groups_in_place!(L, K; dy, 0.0, y, 0.0, |h, g| {
        let mut o = [L::splat(0.0); K];
        for ((o, u), v) in o.iter_mut().zip(g).zip(h) {
            *o = u * (v - dv);
        }
        o
    });
}

/// `sum(d)`, compensated.
#[inline(always)]
fn total<L: Lanes<Elem = f32>, const K: usize>(d: &[f32]) -> f32 {
    let mut s = Sum::<L, K>::new();
    for_groups!(L, K; d, 0.0, |g| s.add(g));
    s.finish()
}

/// `dx = dz - exp(z) * sum(dz)` (one fused multiply-add where the backend
/// has FMA).
#[inline(always)]
pub(crate) fn log_softmax_backward<L: Lanes<Elem = f32>, const K: usize>(z: &[f32], dz: &[f32], dx: &mut [f32]) {
    let minus_t = L::splat(-total::<L, K>(dz));
    zip_map_groups!(L, K; z, 0.0, dz, 0.0, dx, |g, h| {
        let mut o = [L::splat(0.0); K];
        for ((o, z), d) in o.iter_mut().zip(g).zip(h) {
            *o = exp_any(z).mul_add(minus_t, d);
        }
        o
    });
}

/// [`log_softmax_backward`] with the result over `dz`.
#[inline(always)]
pub(crate) fn log_softmax_backward_in_place<L: Lanes<Elem = f32>, const K: usize>(z: &[f32], dz: &mut [f32]) {
    let minus_t = L::splat(-total::<L, K>(dz));
    zip_map_groups_in_place!(L, K; dz, 0.0, z, 0.0, |h, g| {
        let mut o = [L::splat(0.0); K];
        for ((o, z), d) in o.iter_mut().zip(g).zip(h) {
            *o = exp_any(z).mul_add(minus_t, d);
        }
        o
    });
}

// -------------------------------------------------------- cross-entropy

/// The options of one cross-entropy call, as the row pass takes them.
#[derive(Clone, Copy)]
pub(crate) struct Xent<'a> {
    /// Class weights (`classes` values), or all 1.
    pub(crate) weights: Option<&'a [f32]>,
    /// `1 - e` (`e` the label smoothing).
    pub(crate) keep: f32,
    /// `e / C`.
    pub(crate) e_c: f32,
    /// `1 / denominator` of the reduction (1 for `Sum`; NaN for a `Mean`
    /// over nothing).
    pub(crate) inv_div: f32,
    /// A power of two the gradient is multiplied by before `inv_div`: 1,
    /// or `2^64` where `1 / div` would overflow (a subnormal
    /// denominator), so that `g / div` is `(g * pre) * (1 / (div * pre))`.
    pub(crate) pre_div: f32,
    /// The denominator itself: the special rows divide by it, as the
    /// reference does (their limits are held to it within 1 ULP).
    pub(crate) div: f32,
    /// Whether the spread coefficients `(e / C) w_c` can be other than 0:
    /// smoothing, or a weight whose product with 0 is NaN (`inf`, NaN), as
    /// the reference multiplies it out.
    pub(crate) spread: bool,
}

/// What a row's coefficients come from.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    /// A class index `t`: `coef_c = (e / C) w_c + (1 - e) w_t [c == t]`.
    Index(usize),
    /// Probabilities: `coef_c = w_c ((1 - e) y_c + e / C)`.
    Dense(&'a [f32]),
}

/// Runs `body` on every triple of groups of `a`, `b`, `c` (same length),
/// and stores its result into `out` when one is given (`out` as long).
macro_rules! zip3_groups {
    ($L:ty, $K:expr; $a:expr, $pa:expr, $b:expr, $pb:expr, $c:expr, $pc:expr, $out:expr, |$g:ident, $h:ident, $k:ident| $body:expr) => {{
        let (ca, ta) = <$L as Lanes>::chunks($a);
        let (cb, tb) = <$L as Lanes>::chunks($b);
        let (cc, tc) = <$L as Lanes>::chunks($c);
        let (ga, ra) = ca.as_chunks::<$K>();
        let (gb, rb) = cb.as_chunks::<$K>();
        let (gc, rc) = cc.as_chunks::<$K>();
        let mut out: Option<&mut [f32]> = $out;
        let (mut go, ro, to) = match out.as_deref_mut() {
            Some(o) => {
                let (co, to) = <$L as Lanes>::chunks_mut(o);
                let (go, ro) = co.as_chunks_mut::<$K>();
                (go.iter_mut(), ro, to)
            }
            None => (Default::default(), &mut [][..], &mut [][..]),
        };
        let n = ga.len() + usize::from(!ra.is_empty() || !ta.is_empty());
        let (mut ia, mut ib, mut ic) = (ga.iter(), gb.iter(), gc.iter());
        for _ in 0..n {
            let o = go.next();
            let ($g, $h, $k): ([$L; $K], [$L; $K], [$L; $K]) = match (ia.next(), ib.next(), ic.next()) {
                (Some(x), Some(y), Some(z)) => (
                    $crate::lanes::load_group::<$L, $K>(x),
                    $crate::lanes::load_group::<$L, $K>(y),
                    $crate::lanes::load_group::<$L, $K>(z),
                ),
                _ => (
                    $crate::lanes::last_group::<$L, $K>(ra, ta, $pa),
                    $crate::lanes::last_group::<$L, $K>(rb, tb, $pb),
                    $crate::lanes::last_group::<$L, $K>(rc, tc, $pc),
                ),
            };
            let r: [$L; $K] = $body;
            match o {
                Some(o) => $crate::lanes::store_group::<$L, $K>(o, r),
                None => $crate::lanes::store_last_group::<$L, $K>(&mut *ro, &mut *to, r),
            }
        }
    }};
}

/// One row's cross-entropy: the loss (`coef_c (log1p(S - 1) - d_c)`
/// summed over `coef_c != 0`), and into `grad` its gradient times
/// `o.inv_div`. `W`: weights given; `DENSE`: probability targets (`y`);
/// `SPREAD`: a coefficient on every class (smoothing or probabilities),
/// else only the one-hot part. Validated arguments: `t < x.len()`,
/// `y` and the weights as long as `x`.
#[inline(always)]
pub(crate) fn xent_row<L: Lanes<Elem = f32>, const K: usize, const W: bool, const DENSE: bool, const SPREAD: bool>(
    x: &[f32],
    target: Target<'_>,
    o: &Xent<'_>,
    grad: Option<&mut [f32]>,
) -> f32 {
    let m = max_fast::<L, K>(x);
    if !m.is_finite() {
        return xent_special(x, target, o, grad, m);
    }
    let (w, y, hot) = sources(x, target, o);
    let h = hot.map_or(0.0, |(_, h)| h);
    let (mv, one, zero) = (L::splat(m), L::splat(1.0), L::splat(0.0));
    let (keep, e_c) = (L::splat(o.keep), L::splat(o.e_c));
    // The spread coefficient of each lane, rounded as the reference rounds
    // it, and 0 on the pad lanes of a row's last group: the weights' pad
    // is 0; without weights the logits stand in for them, padded with NaN
    // (a NaN logit makes the whole row NaN whatever its coefficient).
    let w_pad = if W { 0.0 } else { f32::NAN };
    macro_rules! coef {
        ($w:expr, $y:expr) => {{
            let wv = if W { $w } else { L::select($w.is_nan(), zero, one) };
            if DENSE { wv * (keep * $y + e_c) } else { wv * e_c }
        }};
    }
    // Pass 2: the parts of S, and sum(coef), sum(coef * d) (0 where the
    // coefficient or d is 0: 0 * inf := 0).
    let mut split = ExpSplit::<L, K>::new();
    let mut a_sum = Sum::<L, K>::new();
    let mut cd_sum = Sum::<L, K>::new();
    if SPREAD {
        zip3_groups!(L, K; x, f32::NEG_INFINITY, w, w_pad, y, 0.0, None, |g, wg, yg| {
            let d = each!(g, |v| v - mv);
            let mut c = [zero; K];
            let mut cd = [zero; K];
            for (((c, cd), (d, wv)), yv) in c.iter_mut().zip(cd.iter_mut()).zip(d.into_iter().zip(wg)).zip(yg) {
                *c = coef!(wv, yv);
                *cd = L::zero_where(c.eq(zero) | d.eq(zero), *c * d);
            }
            split.add(d);
            a_sum.add(c);
            cd_sum.add(cd);
            d
        });
    } else {
        for_groups!(L, K; x, f32::NEG_INFINITY, |g| split.add(each!(g, |v| v - mv)));
    }
    let (small, ties) = split.finish();
    if small.is_nan() {
        // A NaN logit that the bare max passed over: a NaN row, whatever
        // its coefficients.
        if let Some(g) = grad {
            g.fill(f32::NAN);
        }
        return f32::NAN;
    }
    let l = log_normaliser(small, ties);
    let a = if SPREAD { a_sum.finish() } else { 0.0 };
    let d_t = hot.and_then(|(t, _)| x.get(t)).map_or(0.0, |&v| v - m);
    let hot_loss = if h != 0.0 { h * (l - d_t) } else { 0.0 };
    let spread_loss = if SPREAD { a * l - cd_sum.finish() } else { 0.0 };
    let mut loss = hot_loss + spread_loss;
    if !loss.is_finite() {
        loss = xent_exact(x, target, o, m, l);
    }
    let Some(g) = grad else {
        return loss;
    };
    // Pass 3: grad_j = ((h + A) e_j / S - coef_j) / div, the exps again.
    let s = small + ties;
    let (inv, pre) = (o.inv_div, o.pre_div);
    let c1 = L::splat((h + a) / s);
    let iv = L::splat(inv);
    let pv = L::splat(pre);
    if SPREAD {
        zip3_groups!(L, K; x, f32::NEG_INFINITY, w, w_pad, y, 0.0, Some(&mut *g), |gx, wg, yg| {
            let mut out = [zero; K];
            for ((out, (v, wv)), yv) in out.iter_mut().zip(gx.into_iter().zip(wg)).zip(yg) {
                let e = exp_neg(v - mv);
                *out = ((c1 * e - coef!(wv, yv)) * pv) * iv;
            }
            out
        });
    } else {
        // No spread coefficient: the logits alone (the one-hot entry is
        // written below).
        map_groups!(L, K; x, &mut *g, f32::NEG_INFINITY, |gx| each!(gx, |v| ((c1 * exp_neg(v - mv)) * pv) * iv));
    }
    if let Some((t, _)) = hot {
        let c_t = if SPREAD {
            spread_coef(w.get(t).copied(), None, o, W, DENSE)
        } else {
            0.0
        };
        hot_entry::<L>(g, hot, d_t, (small, ties), a, c_t, o);
    }
    loss
}

/// The one-hot entry of a row's gradient, `h (p_t - 1) + (A p_t - c_t)`
/// over `div`, without cancellation: at the max `p_t - 1 = -(S - e_t) / S`
/// from the parts of `S`; off it (`d_t < 0`) `p_t < 1/2`, so `p_t - 1`
/// does not cancel. `e_t` is the lanes' exp, as every other entry's.
#[inline(always)]
pub(crate) fn hot_entry<L: Lanes<Elem = f32>>(
    g: &mut [f32],
    hot: Option<(usize, f32)>,
    d_t: f32,
    (small, ties): (f32, f32),
    a: f32,
    c_t: f32,
    o: &Xent<'_>,
) {
    let Some((t, h)) = hot else {
        return;
    };
    let Some(gt) = g.get_mut(t) else {
        return;
    };
    let s = small + ties;
    let e_t = if d_t == 0.0 {
        1.0
    } else {
        exp_neg(L::splat(d_t))
            .to_array()
            .as_ref()
            .first()
            .copied()
            .unwrap_or(f32::NAN)
    };
    let p_t = e_t / s;
    let p_t_minus_1 = if d_t == 0.0 {
        -(small + (ties - 1.0)) / s
    } else {
        p_t - 1.0
    };
    *gt = ((h * p_t_minus_1 + (a * p_t - c_t)) * o.pre_div) * o.inv_div;
}

/// The slices the row pass zips with the logits (the logits themselves
/// where weights or targets are absent: read, never used) and the one-hot
/// part `(t, (1 - e) w_t)`.
#[inline(always)]
pub(crate) fn sources<'a>(
    x: &'a [f32],
    target: Target<'a>,
    o: &Xent<'a>,
) -> (&'a [f32], &'a [f32], Option<(usize, f32)>) {
    let w = o.weights.unwrap_or(x);
    match target {
        Target::Index(t) => {
            let wt = o.weights.map_or(1.0, |w| w.get(t).copied().unwrap_or(f32::NAN));
            (w, x, Some((t, o.keep * wt)))
        }
        Target::Dense(y) => (w, y, None),
    }
}

/// The spread coefficient of one class, as the lanes compute it.
#[inline]
fn spread_coef(w: Option<f32>, y: Option<f32>, o: &Xent<'_>, has_w: bool, dense: bool) -> f32 {
    let wv = if has_w { w.unwrap_or(f32::NAN) } else { 1.0 };
    if dense {
        wv * (o.keep * y.unwrap_or(f32::NAN) + o.e_c)
    } else {
        wv * o.e_c
    }
}

/// The coefficients of class `c` of a row: `(spread_c, coef_c)`.
#[inline]
fn coefs(c: usize, target: Target<'_>, o: &Xent<'_>) -> (f32, f32) {
    let w = o.weights.map(|w| w.get(c).copied().unwrap_or(f32::NAN));
    match target {
        Target::Index(t) => {
            let s = spread_coef(w, None, o, w.is_some(), false);
            let h = if c == t { o.keep * w.unwrap_or(1.0) } else { 0.0 };
            (s, s + h)
        }
        Target::Dense(y) => {
            let s = spread_coef(w, y.get(c).copied(), o, w.is_some(), true);
            (s, s)
        }
    }
}

/// The loss term by term in f64 (as `passes::dense_loss_exact`, which
/// says why), where the regrouped `A l - sum(coef d)` is not finite.
pub(crate) fn xent_exact(x: &[f32], target: Target<'_>, o: &Xent<'_>, m: f32, l: f32) -> f32 {
    exact_loss(x, m, l, |c| coefs(c, target, o).1)
}

/// A row whose max is not finite: NaN, `+inf` (the `1/k` limit) or masked
/// (scalar, off the hot path).
pub(crate) fn xent_special(x: &[f32], target: Target<'_>, o: &Xent<'_>, grad: Option<&mut [f32]>, m: f32) -> f32 {
    if m.is_nan() || has_nan(x) {
        if let Some(g) = grad {
            g.fill(f32::NAN);
        }
        return f32::NAN;
    }
    let k = x.iter().filter(|&&v| v == f32::INFINITY).count();
    // The terms formed and summed in f64, rounded once, as the reference
    // forms every row's loss (`wide_sum`): f32 products `coef * ln k`
    // would each round, and the rounding errors of terms of opposite signs
    // survive their cancellation (a few ULP of the loss).
    let mut loss = 0.0f64;
    let mut a = Neumaier::new();
    for (c, &v) in x.iter().enumerate() {
        let (s, coef) = coefs(c, target, o);
        a.add(s);
        if coef != 0.0 {
            loss += f64::from(coef) * f64::from(-limits(v, m, k).0);
        }
    }
    if let Some(g) = grad {
        // `A` as the reference forms it: `(e / C) sum_c w_c` for class
        // indices (in f64, rounded once: an f32 sum of weights near
        // `f32::MAX` overflows, and `0 * inf` is NaN without smoothing),
        // the compensated sum of the coefficients for probabilities.
        let a = match target {
            Target::Index(_) => o.weights.map_or(o.e_c * x.len() as f32, |w| {
                let mut total = 0.0f64;
                for &v in w {
                    total += f64::from(v);
                }
                (f64::from(o.e_c) * total) as f32
            }),
            Target::Dense(_) => a.finish(),
        };
        for (j, (g, &v)) in g.iter_mut().zip(x).enumerate() {
            let s = coefs(j, target, o).0;
            let p = limits(v, m, k).1;
            let one_hot = match target {
                Target::Index(t) if t == j => o.keep * weight(o, t) * (p - 1.0),
                Target::Index(t) => o.keep * weight(o, t) * p,
                Target::Dense(_) => 0.0,
            };
            *g = (one_hot + (a * p - s)) / o.div;
        }
    }
    loss as f32
}

/// The weight of class `c` (1 without weights).
#[inline]
fn weight(o: &Xent<'_>, c: usize) -> f32 {
    o.weights.map_or(1.0, |w| w.get(c).copied().unwrap_or(f32::NAN))
}

// ------------------------------------------------------------ streaming

/// What one chunk of a streamed row contributes: its max `m`, its
/// `S - 1` relative to `m` (in f64), the count of `+inf`, whether a NaN
/// was seen. `m = -inf` for an empty or masked chunk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chunk {
    pub(crate) m: f32,
    pub(crate) rest: f64,
    pub(crate) inf: usize,
    pub(crate) nan: bool,
}

/// The [`Chunk`] of `x`: the max, then the exp-sum split (`S - 1` from the
/// terms below the max and the count of ties, without cancellation).
#[inline(always)]
pub(crate) fn chunk<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> Chunk {
    let m = max_fast::<L, K>(x);
    let none = Chunk {
        m,
        rest: 0.0,
        inf: 0,
        nan: false,
    };
    if m.is_nan() || (!m.is_finite() && has_nan(x)) {
        return Chunk { nan: true, ..none };
    }
    if m == f32::INFINITY {
        let inf = x.iter().filter(|&&v| v == f32::INFINITY).count();
        return Chunk { inf, ..none };
    }
    if m == f32::NEG_INFINITY {
        return none;
    }
    let (small, ties) = exp_sum_split_scaled::<L, K, false>(x, m, 1.0);
    if small.is_nan() {
        return Chunk { nan: true, ..none };
    }
    Chunk {
        rest: (ties as f64 - 1.0) + small as f64,
        ..none
    }
}

/// `out = exp(x - m) * r` (`r = 1 / S`): a chunk's softmax relative to a
/// whole row's finite max `m` and sum `S`.
#[inline(always)]
pub(crate) fn softmax_chunk<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32], m: f32, r: f32) {
    let (mv, rv) = (L::splat(m), L::splat(r));
    map_groups!(L, K; x, out, f32::NEG_INFINITY, |g| each!(g, |v| exp_neg(v - mv) * rv));
}

// --------------------------------------------------------------- argmax

/// The first index of the max: `None` for an empty row or any NaN. The
/// max (NaN-checked), then the first group holding it, then the first
/// index in that group.
#[inline(always)]
pub(crate) fn argmax<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> Option<usize> {
    let m = max_checked::<L, K>(x);
    if x.is_empty() || m.is_nan() {
        return None;
    }
    let mv = L::splat(m);
    let mut start = 0usize;
    // The whole groups, up to the first holding the max; the position
    // search below walks the rest (the partial group too).
    let (chunks, _) = L::chunks(x);
    for c in chunks.as_chunks::<K>().0 {
        let mut hit = false;
        for v in load_group::<L, K>(c) {
            hit |= L::any(v.eq(mv));
        }
        if hit {
            break;
        }
        start += K * L::LANES;
    }
    let at = x.get(start..)?.iter().position(|&v| v == m)?;
    Some(start + at)
}
