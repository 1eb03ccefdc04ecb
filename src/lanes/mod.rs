//! The lane layer: the [`Lanes`] trait every f32 kernel is written against
//! once, its backends, and the loops that walk a slice in vectors.
//!
//! | backend | type | where | chosen |
//! |---|---|---|---|
//! | `avx512f` | [`x86::Avx512`] (`__m512`, masks `__mmask16`) | x86_64 | at run time (`dispatch`) |
//! | `avx2+fma` | [`x86::Avx2`] (`__m256`) | x86_64 | at run time |
//! | `sse2`, `neon`, `simd128`, `scalar` | `wide::f32x4` ([`portable`]) | every target | the build's baseline |
//!
//! Kernels are generic over `L: Lanes` and an unroll `K` (vectors per
//! loop step, independent accumulators), and are `#[inline(always)]` down
//! to the thin per-backend wrappers of `dispatch`: a kernel instantiated
//! there for `Avx2` is compiled inside a `#[target_feature(enable =
//! "avx2,fma")]` function, so every intrinsic inlines into ymm code.
//!
//! Every loop goes through `as_chunks` on the backend's `[f32; LANES]`
//! array: a vector load is a copy of a whole array, so no index is
//! computed, no bounds check and no panic path exists. The partial vector
//! at the end of a row is copied into a padded array (`pad` fills the
//! unused lanes with a value neutral for the pass: `-inf` for max and
//! exp-sums, `0` for labels), so in-place kernels never re-read an element
//! they already overwrote. A group of `K` vectors that runs past the end of
//! the row is filled with pad vectors, whose results are discarded.
//!
//! The element type is an associated type (`Elem`, `f32` for every backend
//! today): loads, stores and splats are typed by it, so an `f64` backend is
//! a new implementation, and the kernels' bound `Lanes<Elem = f32>` the one
//! thing to widen.

use core::ops::{Add, BitOr, Mul, Sub};

pub(crate) mod portable;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

/// A vector of `LANES` floats and the ~20 operations the kernels use.
///
/// Masks come from comparisons: all ones per set lane on AVX2 and the
/// portable types, a bit per lane (`__mmask16`) on AVX-512; the kernels
/// only combine them with `|` and hand them back to [`select`](Lanes::select),
/// [`zero_where`](Lanes::zero_where), [`any`](Lanes::any) and
/// [`count_where`](Lanes::count_where).
pub(crate) trait Lanes: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> {
    /// The scalar in each lane.
    type Elem: Copy;
    /// `[Elem; LANES]`: what a vector is loaded from and stored to.
    type Array: Copy + AsRef<[Self::Elem]> + AsMut<[Self::Elem]>;
    /// The result of a lane comparison.
    type Mask: Copy + BitOr<Output = Self::Mask>;
    /// Per-lane integer counters (the tie counts of `S - 1`).
    type Counts: Copy;
    /// Lanes per vector.
    const LANES: usize;
    /// The backend's name, as [`backend`](crate::backend) reports it.
    const NAME: &'static str;

    /// Every lane `v`.
    fn splat(v: Self::Elem) -> Self;
    /// A vector from a whole array.
    fn load(a: &Self::Array) -> Self;
    /// The lanes as an array.
    fn to_array(self) -> Self::Array;
    /// `x` as whole arrays and the remainder (shorter than one vector).
    fn chunks(x: &[Self::Elem]) -> (&[Self::Array], &[Self::Elem]);
    /// [`chunks`](Lanes::chunks), mutable.
    fn chunks_mut(x: &mut [Self::Elem]) -> (&mut [Self::Array], &mut [Self::Elem]);

    /// `self * m + a`, fused where the backend has FMA.
    fn mul_add(self, m: Self, a: Self) -> Self;
    /// `self * m - a`, fused where the backend has FMA.
    fn mul_sub(self, m: Self, a: Self) -> Self;
    /// A bare max instruction: which operand a NaN lane yields is the
    /// backend's; callers find NaN another way.
    fn max(self, o: Self) -> Self;

    /// Lanes where `self < o` (ordered: false for NaN).
    fn lt(self, o: Self) -> Self::Mask;
    /// Lanes where `self > o` (ordered).
    fn gt(self, o: Self) -> Self::Mask;
    /// Lanes where `self == o` (ordered).
    fn eq(self, o: Self) -> Self::Mask;
    /// Lanes that hold a NaN.
    fn is_nan(self) -> Self::Mask;
    /// `a` where `m` is set, `b` elsewhere.
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;
    /// `v` where `m` is clear, `+0` where it is set (an and-not).
    fn zero_where(m: Self::Mask, v: Self) -> Self;
    /// Whether any lane of `m` is set.
    fn any(m: Self::Mask) -> bool;

    /// The float whose bits are `self`'s bits shifted left by 23: `2^n`
    /// from a float whose low mantissa bits hold the biased exponent `n`.
    fn shl23(self) -> Self;

    /// Counters at zero.
    fn counts_zero() -> Self::Counts;
    /// Adds 1 to the counters of the lanes set in `m`.
    fn count_where(c: &mut Self::Counts, m: Self::Mask);
    /// Lane-wise sum of two counter vectors.
    fn counts_add(a: Self::Counts, b: Self::Counts) -> Self::Counts;
    /// The sum of the lanes' counters.
    fn counts_total(c: Self::Counts) -> u64;

    /// Lanes that are finite: `v - v` is `0` exactly there (`inf - inf` and
    /// NaN give NaN).
    #[inline(always)]
    fn is_finite(self) -> Self::Mask
    where
        Self: Lanes<Elem = f32>,
    {
        let v = self;
        (v - self).eq(Self::splat(0.0))
    }
}

/// `a` folded pairwise by `f` (halves, then quarters, ...; `N` a power of
/// two), so sums round `log2(N)` times per element, not `N - 1`.
#[inline(always)]
pub(crate) fn fold_pairwise<T: Copy + Default, const N: usize>(mut a: [T; N], f: impl Fn(T, T) -> T) -> T {
    let mut w = N;
    while w > 1 {
        w /= 2;
        if let Some((lo, hi)) = a.split_at_mut_checked(w) {
            for (x, y) in lo.iter_mut().zip(hi.iter()) {
                *x = f(*x, *y);
            }
        }
    }
    // `N >= 1` for every caller: the default is never taken.
    a.first().copied().unwrap_or_default()
}

/// The lanes of `v` folded pairwise by `f`: `log2(LANES)` levels, no
/// branches. Used for the horizontal max and for short sums.
#[inline(always)]
pub(crate) fn fold_lanes<L: Lanes<Elem = f32>>(v: L, f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut a = v.to_array();
    let s = a.as_mut();
    let mut w = s.len();
    while w > 1 {
        w /= 2;
        if let Some((lo, hi)) = s.split_at_mut_checked(w) {
            for (x, y) in lo.iter_mut().zip(hi.iter()) {
                *x = f(*x, *y);
            }
        }
    }
    s.first().copied().unwrap_or(0.0)
}

/// `K` per-lane counters at zero, for [`Lanes::count_where`].
#[inline(always)]
pub(crate) fn no_counts<L: Lanes, const K: usize>() -> [L::Counts; K] {
    [L::counts_zero(); K]
}

/// The total of `K` per-lane counters, as an `f32` (exact up to 2^24).
#[inline(always)]
pub(crate) fn count_total<L: Lanes, const K: usize>(counts: [L::Counts; K]) -> f32 {
    let mut c = L::counts_zero();
    for v in counts {
        c = L::counts_add(c, v);
    }
    L::counts_total(c) as f32
}

#[inline(always)]
fn padded<L: Lanes<Elem = f32>>(tail: &[f32], pad: f32) -> L {
    let mut buf = L::splat(pad).to_array();
    for (d, s) in buf.as_mut().iter_mut().zip(tail) {
        *d = *s;
    }
    L::load(&buf)
}

#[inline(always)]
fn store_partial<L: Lanes<Elem = f32>>(tail: &mut [f32], v: L) {
    for (d, s) in tail.iter_mut().zip(v.to_array().as_ref()) {
        *d = *s;
    }
}

/// The vectors of the partial group at the end: the remaining whole chunks,
/// then the padded tail, then pad vectors.
#[inline(always)]
fn last_group<L: Lanes<Elem = f32>, const K: usize>(chunks: &[L::Array], tail: &[f32], pad: f32) -> [L; K] {
    let mut g = [L::splat(pad); K];
    let mut it = g.iter_mut();
    // `chunks` first: zip must not take a slot from `it` when `chunks` is done.
    for (c, d) in chunks.iter().zip(&mut it) {
        *d = L::load(c);
    }
    if let Some(d) = it.next() {
        *d = padded(tail, pad);
    }
    g
}

#[inline(always)]
fn store_last_group<L: Lanes<Elem = f32>, const K: usize>(chunks: &mut [L::Array], tail: &mut [f32], g: [L; K]) {
    let mut it = g.into_iter();
    for (c, v) in chunks.iter_mut().zip(&mut it) {
        *c = v.to_array();
    }
    if let Some(v) = it.next() {
        store_partial(tail, v);
    }
}

#[inline(always)]
fn load_group<L: Lanes, const K: usize>(c: &[L::Array; K]) -> [L; K] {
    c.map(|a| L::load(&a))
}

#[inline(always)]
fn store_group<L: Lanes, const K: usize>(c: &mut [L::Array; K], g: [L; K]) {
    for (d, v) in c.iter_mut().zip(g) {
        *d = v.to_array();
    }
}

/// Calls `f` on every group of `x` (read only).
#[inline(always)]
pub(crate) fn for_groups<L: Lanes<Elem = f32>, const K: usize>(x: &[f32], pad: f32, mut f: impl FnMut([L; K])) {
    let (chunks, tail) = L::chunks(x);
    let (groups, rest) = chunks.as_chunks::<K>();
    for g in groups {
        f(load_group(g));
    }
    if !rest.is_empty() || !tail.is_empty() {
        f(last_group(rest, tail, pad));
    }
}

/// Calls `f` on every pair of groups of `a` and `b` (same length; read only).
#[inline(always)]
pub(crate) fn zip_groups<L: Lanes<Elem = f32>, const K: usize>(
    a: &[f32],
    pad_a: f32,
    b: &[f32],
    pad_b: f32,
    mut f: impl FnMut([L; K], [L; K]),
) {
    let (ca, ta) = L::chunks(a);
    let (cb, tb) = L::chunks(b);
    let (ga, ra) = ca.as_chunks::<K>();
    let (gb, rb) = cb.as_chunks::<K>();
    for (x, y) in ga.iter().zip(gb) {
        f(load_group(x), load_group(y));
    }
    if !ra.is_empty() || !ta.is_empty() {
        f(last_group(ra, ta, pad_a), last_group(rb, tb, pad_b));
    }
}

/// `out = f(x)` group by group (`out.len() == x.len()`).
#[inline(always)]
pub(crate) fn map_groups<L: Lanes<Elem = f32>, const K: usize>(
    x: &[f32],
    out: &mut [f32],
    pad: f32,
    mut f: impl FnMut([L; K]) -> [L; K],
) {
    let (cx, tx) = L::chunks(x);
    let (co, to) = L::chunks_mut(out);
    let (gx, rx) = cx.as_chunks::<K>();
    let (go, ro) = co.as_chunks_mut::<K>();
    for (x, o) in gx.iter().zip(go) {
        store_group(o, f(load_group(x)));
    }
    if !rx.is_empty() || !tx.is_empty() {
        store_last_group(ro, to, f(last_group(rx, tx, pad)));
    }
}

/// `x = f(x)` group by group.
#[inline(always)]
pub(crate) fn map_groups_in_place<L: Lanes<Elem = f32>, const K: usize>(
    x: &mut [f32],
    pad: f32,
    mut f: impl FnMut([L; K]) -> [L; K],
) {
    let (cx, tx) = L::chunks_mut(x);
    let (gx, rx) = cx.as_chunks_mut::<K>();
    for g in gx {
        let r = f(load_group(g));
        store_group(g, r);
    }
    if !rx.is_empty() || !tx.is_empty() {
        let r = f(last_group(rx, tx, pad));
        store_last_group(rx, tx, r);
    }
}

/// `out = f(x, y)` group by group (all three the same length).
#[inline(always)]
pub(crate) fn zip_map_groups<L: Lanes<Elem = f32>, const K: usize>(
    x: &[f32],
    pad_x: f32,
    y: &[f32],
    pad_y: f32,
    out: &mut [f32],
    mut f: impl FnMut([L; K], [L; K]) -> [L; K],
) {
    let (cx, tx) = L::chunks(x);
    let (cy, ty) = L::chunks(y);
    let (co, to) = L::chunks_mut(out);
    let (gx, rx) = cx.as_chunks::<K>();
    let (gy, ry) = cy.as_chunks::<K>();
    let (go, ro) = co.as_chunks_mut::<K>();
    for ((a, b), o) in gx.iter().zip(gy).zip(go) {
        store_group(o, f(load_group(a), load_group(b)));
    }
    if !rx.is_empty() || !tx.is_empty() {
        let r = f(last_group(rx, tx, pad_x), last_group(ry, ty, pad_y));
        store_last_group(ro, to, r);
    }
}

/// `x = f(x, y)` group by group (`x.len() == y.len()`).
#[inline(always)]
pub(crate) fn zip_map_groups_in_place<L: Lanes<Elem = f32>, const K: usize>(
    x: &mut [f32],
    pad_x: f32,
    y: &[f32],
    pad_y: f32,
    mut f: impl FnMut([L; K], [L; K]) -> [L; K],
) {
    let (cx, tx) = L::chunks_mut(x);
    let (cy, ty) = L::chunks(y);
    let (gx, rx) = cx.as_chunks_mut::<K>();
    let (gy, ry) = cy.as_chunks::<K>();
    for (a, b) in gx.iter_mut().zip(gy) {
        let r = f(load_group(a), load_group(b));
        store_group(a, r);
    }
    if !rx.is_empty() || !tx.is_empty() {
        let r = f(last_group(rx, tx, pad_x), last_group(ry, ty, pad_y));
        store_last_group(rx, tx, r);
    }
}
