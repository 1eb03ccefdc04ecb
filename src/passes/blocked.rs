//! Long rows: the blocked online softmax and the one-pass blocked
//! `log(S)` behind `logsumexp`, `log_softmax` and the losses.
//!
//! Beyond the L2 cache the 3-pass softmax reads the row from memory three
//! times (max; exp, store and sum; scale). Here the row is walked in blocks
//! of [`BLOCK`] values: the block's max is taken (which brings the block
//! into L1), the exps are stored relative to the running max `r`
//! (`r = max(r, block max)`), and the block is summed, so the row comes
//! from memory once; a last pass multiplies every value by
//! `exp(r_seg - M) / S` for the segment it was stored in. A *segment* is
//! a run of blocks stored relative to the same `r`: a new one starts only
//! when the running max grows (about `ln(n / BLOCK)` times on shuffled
//! data). Segments are kept on the stack ([`SEGMENTS`] of them, no
//! allocation); when they run out, the max of the rest of the row is taken
//! at once and the rest is stored relative to the row's max, so a row
//! whose max keeps growing costs one extra read of its remainder (the
//! 3-pass cost), never more.
//!
//! Each segment's exps are summed by the crate's compensated [`Sum`]; the
//! segment sums are combined in f64 with the factors `exp(r_seg - M)`, so
//! the total keeps the bound of the module `reduce` (`2^-20` relative up
//! to `2^24` terms). `log(S)` keeps its `S - 1` form: elements equal to
//! the running max are counted, not exponentiated, and the sums of the
//! segments before the last (all below the final max) enter `S - 1` as
//! small terms, so `logsumexp([0, -20])` is still `2.0611537e-9`.

use crate::accum::{ExpSplit, Sum, exp_add, fold_max, has_nan, max_fast, scale as by};
use crate::lanes::{Lanes, each, for_groups, map_groups, map_groups_in_place, zip_groups};

/// Values per block: 1 KiB, so a block read for its max is still in L1
/// when its exps are computed (measured: 256 to 1024 perform alike).
const BLOCK: usize = 256;
/// Segments (distinct running maxima) remembered before the rest of the
/// row is stored relative to its max.
const SEGMENTS: usize = 32;

/// A block's max, or `None` when the block holds a NaN or a `+inf` (the
/// row then takes its special path). `-inf` for a block of only `-inf`.
#[inline(always)]
fn block_max<L: Lanes<Elem = f32>, const K: usize>(block: &[f32]) -> Option<f32> {
    let mb = max_fast::<L, K>(block);
    // `fast_max` may pass over a NaN among `-inf`s.
    if mb.is_nan() || mb == f32::INFINITY || (mb == f32::NEG_INFINITY && has_nan(block)) {
        None
    } else {
        Some(mb)
    }
}

/// A run of blocks stored relative to the same running max.
#[derive(Clone, Copy)]
struct Segment {
    /// Index of its first element.
    start: usize,
    /// The running max its exps are relative to.
    r: f32,
    /// Compensated sum of its exps.
    sum: f32,
}

const NO_SEGMENT: Segment = Segment {
    start: 0,
    r: f32::NEG_INFINITY,
    sum: 0.0,
};

/// The state of the blocked softmax between blocks.
struct Online<L: Lanes, const K: usize> {
    done: [Segment; SEGMENTS],
    closed: usize,
    /// The current segment: first element, reference, running sum.
    start: usize,
    r: f32,
    sum: Sum<L, K>,
    /// Set once the reference is the row's max: no segment follows.
    last: bool,
    /// The temperature factor of the exponents (1 unscaled).
    beta: f64,
}

/// What a block's max asks of the online state.
enum Step<L> {
    /// Store `exp(x - r)` with this `r`.
    Store(L),
    /// The block is all `-inf`: its outputs are 0 whatever follows.
    Zero,
    /// A NaN or `+inf` was seen: the row takes the special path.
    Special,
}

impl<L: Lanes<Elem = f32>, const K: usize> Online<L, K> {
    #[inline(always)]
    fn new(beta: f32) -> Self {
        Online {
            done: [NO_SEGMENT; SEGMENTS],
            closed: 0,
            start: 0,
            r: f32::NEG_INFINITY,
            sum: Sum::new(),
            last: false,
            beta: beta as f64,
        }
    }

    /// Enters the block of `len` values starting at `pos`; `rest` is the
    /// input from `pos` on (still unwritten): the block, then what is read
    /// only if the segments run out.
    #[inline(always)]
    fn enter(&mut self, pos: usize, len: usize, rest: &[f32]) -> Step<L> {
        let Some(mb) = block_max::<L, K>(rest.get(..len).unwrap_or(&[])) else {
            return Step::Special;
        };
        if mb == f32::NEG_INFINITY {
            return Step::Zero;
        }
        if mb > self.r && !self.last {
            let mut r = mb;
            // The last slot is kept for the segment that `finish` closes.
            if self.closed + 2 >= SEGMENTS {
                // Out of segments: jump to the max of the rest of the row.
                let rest_max = max_fast::<L, K>(rest);
                if !rest_max.is_finite() {
                    return Step::Special;
                }
                r = r.max(rest_max);
                self.last = true;
            }
            let sum = core::mem::replace(&mut self.sum, Sum::new()).finish();
            // Before the first finite block there is nothing to close (the
            // masked blocks' zeros need no scaling).
            if self.r != f32::NEG_INFINITY
                && let Some(d) = self.done.get_mut(self.closed)
            {
                *d = Segment {
                    start: self.start,
                    r: self.r,
                    sum,
                };
                self.closed += 1;
            }
            self.start = pos;
            self.r = r;
        }
        Step::Store(L::splat(self.r))
    }

    /// Closes the last segment: `(segments, row max M, S)` with
    /// `S = sum_seg sum_seg * exp(r_seg - M)` in f64.
    #[inline(always)]
    fn finish(&mut self) -> (&[Segment], f32, f64) {
        let last = Segment {
            start: self.start,
            r: self.r,
            sum: core::mem::replace(&mut self.sum, Sum::new()).finish(),
        };
        let mut n = self.closed;
        if let Some(d) = self.done.get_mut(n) {
            *d = last;
            n += 1;
        }
        let m = self.r;
        let segs = self.done.get(..n).unwrap_or(&[]);
        let beta = self.beta;
        let s = segs.iter().map(|g| weighted(g.sum, g.r, m, beta)).sum();
        (segs, m, s)
    }
}

/// `sum * exp(beta * (r - m))` in f64; 0 for an empty (`-inf`) segment.
#[inline]
fn weighted(sum: f32, r: f32, m: f32, beta: f64) -> f64 {
    if r == f32::NEG_INFINITY {
        return 0.0;
    }
    sum as f64 * libm::exp(beta * (r as f64 - m as f64))
}

/// The last pass: each segment's values times `exp(beta (r_seg - M)) / S`.
#[inline(always)]
fn scale_segments<L: Lanes<Elem = f32>, const K: usize>(out: &mut [f32], segs: &[Segment], m: f32, s: f64, beta: f64) {
    for (i, g) in segs.iter().enumerate() {
        let end = segs.get(i + 1).map_or(out.len(), |n| n.start);
        let f = if g.r == m {
            (1.0 / s) as f32
        } else if g.r == f32::NEG_INFINITY {
            0.0
        } else {
            (libm::exp(beta * (g.r as f64 - m as f64)) / s) as f32
        };
        if let Some(part) = out.get_mut(g.start..end) {
            let fv = L::splat(f);
            map_groups_in_place!(L, K; part, 0.0, |g| each!(g, |e| e * fv));
        }
    }
}

/// How a row with a NaN or `+inf` ends, decided from the exps written so
/// far (`done`: a NaN there came from a NaN input) and the unread input
/// `rest`: `(any NaN, count of +inf)`.
fn special_decide(done: &[f32], rest: &[f32]) -> (bool, usize) {
    let nan = has_nan(done) || has_nan(rest);
    (nan, rest.iter().filter(|&&v| v == f32::INFINITY).count())
}

/// docs/SEMANTICS.md's softmax of such a row: all NaN, or `1/k` on the `+inf`
/// entries and 0 elsewhere (the written part held only finite values).
#[inline]
fn special_value(v: f32, nan: bool, k: usize) -> f32 {
    if nan {
        f32::NAN
    } else if v == f32::INFINITY {
        1.0 / k as f32
    } else {
        0.0
    }
}

/// Blocked online softmax, out of place (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn softmax<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], out: &mut [f32]) {
    softmax_scaled::<L, K, false>(x, 1.0, out);
}

/// Blocked online softmax of `beta * x` (`beta` read only when `SCALED`).
#[inline(always)]
pub(crate) fn softmax_scaled<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
    out: &mut [f32],
) {
    let bv = L::splat(beta);
    let mut st = Online::<L, K>::new(beta);
    let mut pos = 0;
    for (xb, ob) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        let rest = x.get(pos..).unwrap_or(&[]);
        match st.enter(pos, xb.len(), rest) {
            Step::Store(rv) => {
                map_groups!(L, K; xb, ob, f32::NEG_INFINITY, |g| exp_add::<L, K, SCALED>(g, rv, bv, &mut st.sum))
            }
            Step::Zero => ob.fill(0.0),
            Step::Special => {
                let (done, rest_out) = out.split_at_mut(pos.min(out.len()));
                let (nan, k) = special_decide(done, rest);
                done.fill(if nan { f32::NAN } else { 0.0 });
                for (o, &v) in rest_out.iter_mut().zip(rest) {
                    *o = special_value(v, nan, k);
                }
                return;
            }
        }
        pos += xb.len();
    }
    finish(&mut st, out);
}

/// Blocked online softmax in place.
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
    let bv = L::splat(beta);
    let mut st = Online::<L, K>::new(beta);
    let mut pos = 0;
    let n = x.len();
    while pos < n {
        let len = BLOCK.min(n - pos);
        let (done, rest) = x.split_at_mut(pos);
        match st.enter(pos, len, rest) {
            Step::Store(rv) => {
                if let Some(b) = rest.get_mut(..len) {
                    map_groups_in_place!(L, K; b, f32::NEG_INFINITY, |g| exp_add::<L, K, SCALED>(g, rv, bv, &mut st.sum));
                }
            }
            Step::Zero => {
                if let Some(b) = rest.get_mut(..len) {
                    b.fill(0.0);
                }
            }
            Step::Special => {
                // The input from `pos` on is still intact: decide, then write.
                let (nan, k) = special_decide(done, rest);
                done.fill(if nan { f32::NAN } else { 0.0 });
                for v in rest.iter_mut() {
                    *v = special_value(*v, nan, k);
                }
                return;
            }
        }
        pos += len;
    }
    finish(&mut st, x);
}

/// Shared end of both softmax forms: the rescaling pass, or the special
/// rows found only now (a NaN that `fast_max` passed over, or all `-inf`).
#[inline(always)]
fn finish<L: Lanes<Elem = f32>, const K: usize>(st: &mut Online<L, K>, out: &mut [f32]) {
    let beta = st.beta;
    let (segs, m, s) = st.finish();
    if m == f32::NEG_INFINITY {
        // Empty or all -inf (a masked row): zeros are already written.
        return;
    }
    if s.is_nan() {
        out.fill(f32::NAN);
        return;
    }
    scale_segments::<L, K>(out, segs, m, s, beta);
}

/// What one blocked pass over a finite row yields: `m = max(x)`,
/// `l = log1p(S - 1)`, and with labels `y_total = sum y_i` and
/// `yd = sum y_i (x_i - m)` (a term with `y_i == 0` counts 0).
pub(crate) struct OnePass {
    pub(crate) m: f32,
    pub(crate) l: f32,
    pub(crate) y_total: f64,
    pub(crate) yd: f64,
}

/// One pass over a row (and its dense labels, when given) without storing
/// anything; `None` for a row with a NaN, a `+inf`, or no finite value
/// (the callers' special paths decide those), and with labels for a row
/// where `x_i - m` overflows f32 on a labelled entry (the two-pass form
/// gives the contract's loss there).
///
/// Per block: its max; when the running max `r` grows, the sums so far are
/// rescaled by `exp(r_old - r)` in f64 (they are all below the new max, so
/// they join `S - 1` as small terms) and `sum y_i (x_i - r)` is shifted by
/// `Y (r_old - r)`; elements equal to `r` are counted, not exponentiated.
#[inline(always)]
pub(crate) fn one_pass<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], labels: Option<&[f32]>) -> Option<OnePass> {
    one_pass_scaled::<L, K, false>(x, labels, 1.0)
}

/// [`one_pass`] with the exponents `beta * (x_i - r)` (`beta` read only
/// when `SCALED`; the label sums stay unscaled): `l` is then the
/// `log1p(S - 1)` of `beta * x`, `m` still the max of `x`.
#[inline(always)]
pub(crate) fn one_pass_scaled<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &[f32],
    labels: Option<&[f32]>,
    beta: f32,
) -> Option<OnePass> {
    let bv = L::splat(beta);
    let mut r = f32::NEG_INFINITY;
    let mut rv = L::splat(r);
    // Closed segments, relative to `r`: their exp-sum (all terms below
    // `r`), their label total and `sum y (x - r)`.
    let mut older = 0.0f64;
    let mut y_older = 0.0f64;
    let mut yd_older = 0.0f64;
    let mut split = ExpSplit::<L, K>::new();
    let mut ysum = Sum::<L, K>::new();
    let mut yd = Sum::<L, K>::new();
    // `-min(0, x_i)` over the labelled entries (`y_i != 0`): see the end.
    let mut low = [L::splat(0.0); K];
    let mut label_blocks = labels.map(|y| y.chunks(BLOCK));
    for xb in x.chunks(BLOCK) {
        let yb = label_blocks.as_mut().and_then(|it| it.next());
        let mb = block_max::<L, K>(xb)?;
        if mb > r {
            if r != f32::NEG_INFINITY {
                let (small, ties) = core::mem::replace(&mut split, ExpSplit::new()).finish();
                let seg = small as f64 + ties as f64;
                let shift = r as f64 - mb as f64;
                older = (older + seg) * libm::exp(beta as f64 * shift);
                y_older += core::mem::replace(&mut ysum, Sum::new()).finish() as f64;
                yd_older += core::mem::replace(&mut yd, Sum::new()).finish() as f64 + y_older * shift;
            }
            r = mb;
            rv = L::splat(r);
        }
        match yb {
            None => for_groups!(L, K; xb, f32::NEG_INFINITY, |g| split.add(each!(g, |v| by::<L, SCALED>(v - rv, bv)))),
            Some(yb) => zip_groups!(L, K; xb, f32::NEG_INFINITY, yb, 0.0, |g, y| {
                split.add(each!(g, |v| by::<L, SCALED>(v - rv, bv)));
                let zero = L::splat(0.0);
                let mut yds = [zero; K];
                for (((o, lo), v), w) in yds.iter_mut().zip(low.iter_mut()).zip(g).zip(y) {
                    *o = L::zero_where(w.eq(zero), w * (v - rv));
                    *lo = lo.max(L::zero_where(w.eq(zero), zero - v));
                }
                ysum.add(y);
                yd.add(yds);
            }),
        }
    }
    if r == f32::NEG_INFINITY {
        return None;
    }
    // The contract's `d_i = x_i - m` is an f32 subtraction: where it
    // overflows to `-inf` on a labelled entry (logits more than `f32::MAX`
    // apart), the loss is that of an infinite `-d_i`, which the f64 shifts
    // here would not give. Such rows take the two-pass form.
    if labels.is_some() && -fold_max(low) - r == f32::NEG_INFINITY {
        return None;
    }
    let (small, ties) = split.finish();
    if small.is_nan() || older.is_nan() {
        return None;
    }
    let s_minus_1 = if older == 0.0 {
        // The two-pass form exactly (one segment).
        small + (ties - 1.0)
    } else {
        ((ties as f64 - 1.0) + small as f64 + older) as f32
    };
    Some(OnePass {
        m: r,
        l: libm::log1pf(s_minus_1),
        y_total: y_older + ysum.finish() as f64,
        yd: yd_older + yd.finish() as f64,
    })
}

/// `(m, log1p(S - 1))` from [`one_pass`] without labels.
#[inline(always)]
pub(crate) fn log_sum_one_pass<L: Lanes<Elem = f32>, const K: usize>(x: &[f32]) -> Option<(f32, f32)> {
    log_sum_one_pass_scaled::<L, K, false>(x, 1.0)
}

/// [`log_sum_one_pass`] of `beta * x` (`m` the max of `x`).
#[inline(always)]
pub(crate) fn log_sum_one_pass_scaled<L: Lanes<Elem = f32>, const K: usize, const SCALED: bool>(
    x: &[f32],
    beta: f32,
) -> Option<(f32, f32)> {
    one_pass_scaled::<L, K, SCALED>(x, None, beta).map(|p| (p.m, p.l))
}
