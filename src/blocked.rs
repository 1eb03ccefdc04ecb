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

use crate::exp::exp_neg;
use crate::lanes::{K, V, for_groups, map_groups, map_groups_in_place, zip_groups};
use crate::reduce::{ExpSplit, Sum, has_nan, max_fast};

/// Values per block: 1 KiB, so a block read for its max is still in L1
/// when its exps are computed (measured: 256 to 1024 perform alike).
const BLOCK: usize = 256;
/// Segments (distinct running maxima) remembered before the rest of the
/// row is stored relative to its max.
const SEGMENTS: usize = 32;

/// Rows at least this long take the blocked softmax (out of place).
/// Measured (AVX2, Zen 3, `crossover_softmax` in `benches/kernels.rs`): the
/// 3-pass kernel is 10-15% faster from 2^15 to 2^20 values, the blocked one
/// 20% faster at 2^21 and 16% at 2^22 (the row and its output no longer
/// fit the 32 MiB L3 beside each other).
pub(crate) const SOFTMAX_BLOCKED_FROM: usize = 1 << 21;
/// The same crossover in place (`crossover_softmax_in_place`): 3-pass
/// faster up to 2^21 values (15% at 2^21), even at 2^22, blocked 10%
/// faster at 2^23 (a row in place is half the traffic).
pub(crate) const SOFTMAX_IN_PLACE_BLOCKED_FROM: usize = 1 << 22;
/// Rows at least this long take the one-pass `log(S)`. Measured (AVX2,
/// Zen 3, `crossover_logsumexp` in `benches/kernels.rs`): the two-pass form
/// is 3-9% faster up to 2^21 values (the max pass re-reads from L2/L3
/// almost for free, and its inner loop is simpler), the one-pass form 17%
/// faster at 2^22 and 28% at 2^23.
pub(crate) const LOG_SUM_ONE_PASS_FROM: usize = 1 << 22;

/// Whether a row of `len` values takes a long-row path that starts at
/// `from`. Never on bare-metal targets (`target_os = "none"`): no
/// microcontroller holds a row of millions of values, and leaving the
/// paths out saves their flash (README, "Cortex-M").
#[inline(always)]
pub(crate) const fn long_row(len: usize, from: usize) -> bool {
    !cfg!(target_os = "none") && len >= from
}

const ZERO: V = V::splat(0.0);

/// A block's max, or `None` when the block holds a NaN or a `+inf` (the
/// row then takes its special path). `-inf` for a block of only `-inf`.
#[inline]
fn block_max(block: &[f32]) -> Option<f32> {
    let mb = max_fast(block);
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
struct Online {
    done: [Segment; SEGMENTS],
    closed: usize,
    /// The current segment: first element, reference, running sum.
    start: usize,
    r: f32,
    sum: Sum,
    /// Set once the reference is the row's max: no segment follows.
    last: bool,
}

/// What a block's max asks of the online state.
enum Step {
    /// Store `exp(x - r)` with this `r`.
    Store(V),
    /// The block is all `-inf`: its outputs are 0 whatever follows.
    Zero,
    /// A NaN or `+inf` was seen: the row takes the special path.
    Special,
}

impl Online {
    fn new() -> Self {
        Online {
            done: [NO_SEGMENT; SEGMENTS],
            closed: 0,
            start: 0,
            r: f32::NEG_INFINITY,
            sum: Sum::new(),
            last: false,
        }
    }

    /// Enters the block of `len` values starting at `pos`; `rest` is the
    /// input from `pos` on (still unwritten): the block, then what is read
    /// only if the segments run out.
    #[inline]
    fn enter(&mut self, pos: usize, len: usize, rest: &[f32]) -> Step {
        let Some(mb) = block_max(rest.get(..len).unwrap_or(&[])) else {
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
                let rest_max = max_fast(rest);
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
        Step::Store(V::splat(self.r))
    }

    /// Closes the last segment: `(segments, row max M, S)` with
    /// `S = sum_seg sum_seg * exp(r_seg - M)` in f64.
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
        let s = segs.iter().map(|g| weighted(g.sum, g.r, m)).sum();
        (segs, m, s)
    }
}

/// `sum * exp(r - m)` in f64; 0 for an empty (`-inf`) segment.
#[inline]
fn weighted(sum: f32, r: f32, m: f32) -> f64 {
    if r == f32::NEG_INFINITY {
        return 0.0;
    }
    sum as f64 * libm::exp(r as f64 - m as f64)
}

/// The last pass: each segment's values times `exp(r_seg - M) / S`.
fn scale_segments(out: &mut [f32], segs: &[Segment], m: f32, s: f64) {
    for (i, g) in segs.iter().enumerate() {
        let end = segs.get(i + 1).map_or(out.len(), |n| n.start);
        let f = if g.r == m {
            (1.0 / s) as f32
        } else if g.r == f32::NEG_INFINITY {
            0.0
        } else {
            (libm::exp(g.r as f64 - m as f64) / s) as f32
        };
        if let Some(part) = out.get_mut(g.start..end) {
            let fv = V::splat(f);
            map_groups_in_place(part, 0.0, |v| v.map(|e| e * fv));
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
pub(crate) fn softmax(x: &[f32], out: &mut [f32]) {
    let mut st = Online::new();
    let mut pos = 0;
    for (xb, ob) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        let rest = x.get(pos..).unwrap_or(&[]);
        match st.enter(pos, xb.len(), rest) {
            Step::Store(rv) => map_groups(xb, ob, f32::NEG_INFINITY, |g| {
                let e = g.map(|v| exp_neg(v - rv));
                st.sum.add(e);
                e
            }),
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
pub(crate) fn softmax_in_place(x: &mut [f32]) {
    let mut st = Online::new();
    let mut pos = 0;
    let n = x.len();
    while pos < n {
        let len = BLOCK.min(n - pos);
        let (done, rest) = x.split_at_mut(pos);
        match st.enter(pos, len, rest) {
            Step::Store(rv) => {
                if let Some(b) = rest.get_mut(..len) {
                    map_groups_in_place(b, f32::NEG_INFINITY, |g| {
                        let e = g.map(|v| exp_neg(v - rv));
                        st.sum.add(e);
                        e
                    });
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
fn finish(st: &mut Online, out: &mut [f32]) {
    let (segs, m, s) = st.finish();
    if m == f32::NEG_INFINITY {
        // Empty or all -inf (a masked row): zeros are already written.
        return;
    }
    if s.is_nan() {
        out.fill(f32::NAN);
        return;
    }
    scale_segments(out, segs, m, s);
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
/// (the callers' special paths decide those).
///
/// Per block: its max; when the running max `r` grows, the sums so far are
/// rescaled by `exp(r_old - r)` in f64 (they are all below the new max, so
/// they join `S - 1` as small terms) and `sum y_i (x_i - r)` is shifted by
/// `Y (r_old - r)`; elements equal to `r` are counted, not exponentiated.
pub(crate) fn one_pass(x: &[f32], labels: Option<&[f32]>) -> Option<OnePass> {
    let mut r = f32::NEG_INFINITY;
    let mut rv = V::splat(r);
    // Closed segments, relative to `r`: their exp-sum (all terms below
    // `r`), their label total and `sum y (x - r)`.
    let mut older = 0.0f64;
    let mut y_older = 0.0f64;
    let mut yd_older = 0.0f64;
    let mut split = ExpSplit::new();
    let mut ysum = Sum::new();
    let mut yd = Sum::new();
    let mut label_blocks = labels.map(|y| y.chunks(BLOCK));
    for xb in x.chunks(BLOCK) {
        let yb = label_blocks.as_mut().and_then(|it| it.next());
        let mb = block_max(xb)?;
        if mb > r {
            if r != f32::NEG_INFINITY {
                let (small, ties) = core::mem::replace(&mut split, ExpSplit::new()).finish();
                let seg = small as f64 + ties as f64;
                let shift = r as f64 - mb as f64;
                older = (older + seg) * libm::exp(shift);
                y_older += core::mem::replace(&mut ysum, Sum::new()).finish() as f64;
                yd_older += core::mem::replace(&mut yd, Sum::new()).finish() as f64 + y_older * shift;
            }
            r = mb;
            rv = V::splat(r);
        }
        let mut body = |g: [V; K]| split.add(g.map(|v| v - rv));
        match yb {
            None => for_groups(xb, f32::NEG_INFINITY, body),
            Some(yb) => zip_groups(xb, f32::NEG_INFINITY, yb, 0.0, |g, y| {
                body(g);
                let mut yds = [ZERO; K];
                for ((o, v), w) in yds.iter_mut().zip(g).zip(y) {
                    *o = w.simd_eq(ZERO).select(ZERO, w * (v - rv));
                }
                ysum.add(y);
                yd.add(yds);
            }),
        }
    }
    if r == f32::NEG_INFINITY {
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
#[inline]
pub(crate) fn log_sum_one_pass(x: &[f32]) -> Option<(f32, f32)> {
    one_pass(x, None).map(|p| (p.m, p.l))
}

/// The crate's structures forced regardless of the row length, for the
/// benchmarks that chose the crossovers (`benches/kernels.rs`). Not part of
/// the supported API: hidden, unstable, may change in any release.
pub mod variants {
    use crate::Error;
    use crate::exp::exp_neg;
    use crate::lanes::{K, V, fold_lanes, for_groups};
    use crate::reduce::{fold_add, logsumexp_two_pass as lse2};

    fn same_len(x: &[f32], out: &[f32]) -> Result<(), Error> {
        if x.len() == out.len() {
            Ok(())
        } else {
            Err(Error::LengthMismatch {
                expected: x.len(),
                found: out.len(),
            })
        }
    }

    /// `softmax` by the 3-pass reload structure at every length.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_three_pass(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same_len(x, out)?;
        crate::softmax::softmax_three_pass(x, out);
        Ok(())
    }

    /// `softmax` by the blocked online structure at every length.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_blocked(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same_len(x, out)?;
        super::softmax(x, out);
        Ok(())
    }

    /// `softmax_in_place` by the 3-pass reload structure.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_in_place_three_pass(x: &mut [f32]) {
        crate::softmax::softmax_in_place_three_pass(x);
    }

    /// `softmax_in_place` by the blocked online structure.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_in_place_blocked(x: &mut [f32]) {
        super::softmax_in_place(x);
    }

    /// `logsumexp` in two passes (max, then the exp-sum).
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn logsumexp_two_pass(x: &[f32]) -> f32 {
        lse2(x)
    }

    /// `logsumexp` in one blocked online pass.
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn logsumexp_one_pass(x: &[f32]) -> f32 {
        match super::log_sum_one_pass(x) {
            Some((m, l)) => m + l,
            None => lse2(x),
        }
    }

    /// The compute floor of one pass: `sum_i exp(x_i - m)` with the crate's
    /// exp, `m` given, plain accumulators (no compensation, no tie count).
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn exp_sum_floor(x: &[f32], m: f32) -> f32 {
        let mv = V::splat(m);
        let mut acc = [V::splat(0.0); K];
        for_groups(x, f32::NEG_INFINITY, |g| {
            for (a, v) in acc.iter_mut().zip(g) {
                *a += exp_neg(v - mv);
            }
        });
        fold_lanes(fold_add(acc), |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn lcg(n: usize, seed: u32, scale: f32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * scale
            })
            .collect()
    }

    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    /// Blocked and 3-pass agree, and blocked in place equals blocked out of
    /// place. Both round the argument of exp, `x - M` for 3-pass and
    /// `x - r_seg` for blocked, so they may differ by `|x - M| u` relative
    /// on top of a few ULP; values below the flush threshold are equal.
    fn agree(x: &[f32]) {
        let mut want = vec![0.0; x.len()];
        crate::softmax::softmax_three_pass(x, &mut want);
        let mut got = vec![0.0; x.len()];
        softmax(x, &mut got);
        let mut inplace = x.to_vec();
        softmax_in_place(&mut inplace);
        for (i, ((&g, &w), &p)) in got.iter().zip(&want).zip(&inplace).enumerate() {
            assert!(
                g.to_bits() == p.to_bits() || g.is_nan() && p.is_nan(),
                "in place differs at {i}"
            );
            let d = (x[i] - crate::reduce::max_fast(x)).abs() as f64;
            let tol = (6.0 + 2.0 * d) * (f32::EPSILON as f64 / 2.0) * w as f64;
            let ok = (g.is_nan() && w.is_nan())
                || g == w
                || ulps(g, w) <= 4
                || (g as f64 - w as f64).abs() <= tol
                || (g.abs() < f32::MIN_POSITIVE && w.abs() < f32::MIN_POSITIVE);
            assert!(ok, "n = {}, i = {i}: blocked {g:e}, 3-pass {w:e}", x.len());
        }
        let two = crate::reduce::logsumexp_two_pass(x);
        let one = variants::logsumexp_one_pass(x);
        let tol = 4.0 * f32::EPSILON * (two.abs() + 1.0);
        assert!(
            (one.is_nan() && two.is_nan()) || one == two || (one - two).abs() <= tol,
            "n = {}: one pass {one:e}, two pass {two:e}",
            x.len()
        );
    }

    #[test]
    fn blocked_matches_three_pass() {
        let lengths: &[usize] = if cfg!(miri) {
            &[0, 1, 7, 257, 600]
        } else {
            &[0, 1, 7, 255, 256, 257, 1000, 4099, 70_001]
        };
        for &n in lengths {
            agree(&lcg(n, n as u32, 20.0));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
    fn a_growing_max_runs_out_of_segments() {
        // Ascending: every block raises the max, far beyond `SEGMENTS`.
        let x: Vec<f32> = (0..40_000).map(|i| i as f32 * 1e-3).collect();
        agree(&x);
        let x: Vec<f32> = (0..40_000).map(|i| i as f32 * 0.01 - 200.0).collect();
        agree(&x);
        // Descending then a late jump.
        let mut x: Vec<f32> = (0..20_000).map(|i| -(i as f32) * 1e-3).collect();
        x[19_999] = 30.0;
        agree(&x);
    }

    #[test]
    #[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
    fn special_values_anywhere() {
        let base = lcg(5000, 3, 10.0);
        for pos in [0usize, 100, 255, 256, 2600, 4999] {
            for v in [f32::NAN, f32::INFINITY] {
                let mut x = base.clone();
                x[pos] = v;
                agree(&x);
                let mut p = vec![0.0; x.len()];
                softmax(&x, &mut p);
                if v.is_nan() {
                    assert!(p.iter().all(|q| q.is_nan()));
                } else {
                    assert_eq!(p[pos], 1.0);
                    assert_eq!(p.iter().sum::<f32>(), 1.0);
                }
            }
        }
        // Two +inf in different blocks share the mass.
        let mut x = base.clone();
        x[10] = f32::INFINITY;
        x[3000] = f32::INFINITY;
        let mut p = vec![0.0; x.len()];
        softmax(&x, &mut p);
        assert_eq!((p[10], p[3000], p[11]), (0.5, 0.5, 0.0));
        // A NaN hidden among -inf, and masked blocks before finite ones.
        let mut x = vec![f32::NEG_INFINITY; 3000];
        x[700] = f32::NAN;
        agree(&x);
        let mut x = vec![f32::NEG_INFINITY; 3000];
        x[2900] = 1.0;
        x[2901] = 1.0;
        agree(&x);
        let mut p = vec![0.0; x.len()];
        softmax(&x, &mut p);
        assert_eq!((p[2900], p[2901], p[0]), (0.5, 0.5, 0.0));
        agree(&[f32::NEG_INFINITY; 600]);
    }

    #[test]
    fn tiny_tail_survives_one_pass() {
        // S - 1 = exp(-20) from a later block than the max.
        let mut x = vec![f32::NEG_INFINITY; 1000];
        x[0] = 0.0;
        x[900] = -20.0;
        let (m, l) = log_sum_one_pass(&x).unwrap();
        assert_eq!(m, 0.0);
        assert!((l - 2.0611537e-9).abs() < 1e-15, "{l:e}");
        // And when the max comes after the tail (the tail is rescaled).
        x[0] = -20.0;
        x[900] = 0.0;
        let (_, l) = log_sum_one_pass(&x).unwrap();
        assert!((l - 2.0611537e-9).abs() < 1e-15, "{l:e}");
    }

    #[test]
    #[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
    fn one_pass_losses_match_two_pass() {
        // A row long enough for the one-pass losses, its max late (so the
        // label sums are shifted), labels with zeros on -inf logits.
        let n = LOG_SUM_ONE_PASS_FROM + 77;
        let mut x = lcg(n, 11, 30.0);
        let mut y: Vec<f32> = (0..n).map(|i| if i % 5 == 0 { 0.0 } else { 1.0 / n as f32 }).collect();
        x[n - 10] = 40.0;
        x[5] = f32::NEG_INFINITY;
        y[5] = 0.0;
        let mut g = vec![0.0; n];
        // With a gradient the two-pass path runs: it is the yardstick.
        let want = crate::xent::dense_row(&x, &y, Some(&mut g));
        let got = crate::xent::dense_row(&x, &y, None);
        assert!((got - want).abs() <= 8.0 * f32::EPSILON * want.abs(), "{got} vs {want}");
        for label in [0usize, n - 10, n / 2] {
            let want = crate::xent::sparse_row(&x, label, Some(&mut g));
            let got = crate::xent::sparse_row(&x, label, None);
            let tol = 8.0 * f32::EPSILON * (want.abs() + 1.0);
            assert!((got - want).abs() <= tol, "label {label}: {got} vs {want}");
        }
        // Special rows fall back to the two-pass rules.
        x[7] = f32::INFINITY;
        assert_eq!(crate::xent::sparse_row(&x, 7, None), 0.0);
        assert_eq!(crate::xent::sparse_row(&x, 8, None), f32::INFINITY);
        x[9] = f32::NAN;
        assert!(crate::xent::dense_row(&x, &y, None).is_nan());
    }

    #[test]
    #[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
    fn long_sum_keeps_its_bound() {
        // 2^22 equal terms after a growing max: S must be n within 2^-20.
        let n = 1usize << 22;
        let mut x = vec![0.0f32; n];
        x[0] = -1.0;
        x[300] = -0.5;
        let mut p = vec![0.0; n];
        softmax(&x, &mut p);
        let want = 1.0 / (n as f64 - 2.0 + (-1.0f64).exp() + (-0.5f64).exp());
        let got = p[n - 1] as f64;
        assert!(
            ((got - want) / want).abs() < 1.0 / (1u64 << 20) as f64,
            "{got:e} vs {want:e}"
        );
    }
}
