//! The lane layer: the [`Lanes`] trait every f32 kernel is written against
//! once, its backends, and the loops that walk a slice in vectors.
//!
//! | backend | type | where | chosen |
//! |---|---|---|---|
//! | `avx512f` | [`x86::Avx512`] (`__m512`, masks `__mmask16`) | x86_64 | at run time (`dispatch`) |
//! | `avx2+fma` | [`x86::Avx2`] (`__m256`) | x86_64 | at run time |
//! | `sse2`, `neon`, `simd128` | `wide::f32x4` ([`portable`]) | x86, aarch64, wasm32 | the build's baseline |
//! | `scalar` | `f32`, one lane ([`scalar`]) | targets without SIMD (Cortex-M) | the build's baseline |
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
//! at the end of a row is loaded by `load_partial` (a masked load, or a
//! copy into a padded array) with `pad` in the unused lanes, a value
//! neutral for the pass (`-inf` for max and exp-sums, `0` for labels), and
//! the whole last group is read before any of it is written, so in-place
//! kernels never re-read an element they already overwrote. A group of `K` vectors that runs past the end of
//! the row is filled with pad vectors, whose results are discarded.
//!
//! The element type is an associated type (`Elem`, `f32` for every backend
//! today): loads, stores and splats are typed by it, so an `f64` backend is
//! a new implementation, and the kernels' bound `Lanes<Elem = f32>` the one
//! thing to widen.

use core::ops::{Add, BitOr, Mul, Sub};

pub(crate) mod portable;
pub(crate) mod scalar;
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
    /// Whether `mul_add` overwrites its addend (VFP's two-operand `VMLA`,
    /// the one-lane backend on Cortex-M): a Horner step on a constant then
    /// costs a register copy as well, so `exp` pairs its coefficients
    /// instead. `false` where a multiply-add leaves its operands intact
    /// (FMA, or a multiply and an add into a new register).
    const DESTRUCTIVE_MUL_ADD: bool = false;

    /// Every lane `v`.
    fn splat(v: Self::Elem) -> Self;
    /// Every lane zero (whatever the element type).
    fn splat_zero() -> Self;
    /// A vector from a whole array.
    fn load(a: &Self::Array) -> Self;
    /// The lanes as an array.
    fn to_array(self) -> Self::Array;
    /// The first `tail.len()` lanes from `tail` (shorter than one vector),
    /// the rest `pad`: a masked load where the backend has one.
    fn load_partial(tail: &[Self::Elem], pad: Self::Elem) -> Self;
    /// Stores the first `tail.len()` lanes into `tail` (shorter than one
    /// vector): a masked store where the backend has one.
    fn store_partial(self, tail: &mut [Self::Elem]);
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

    /// The sum of the lanes, added pairwise (halves, then quarters, ...).
    #[inline(always)]
    fn reduce_add(self) -> f32
    where
        Self: Lanes<Elem = f32>,
    {
        fold_lanes(self, |x, y| x + y)
    }

    /// The largest lane, folded pairwise (which of a NaN lane and a number
    /// wins is the backend's: callers find NaN another way).
    #[inline(always)]
    fn reduce_max(self) -> f32
    where
        Self: Lanes<Elem = f32>,
    {
        fold_lanes(self, |x, y| if y > x { y } else { x })
    }

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

/// The portable backend of this build: `wide::f32x4` where it has SIMD
/// registers (SSE2, NEON, simd128), one `f32` lane elsewhere (`wide`
/// would keep four floats in memory there). `--cfg
/// softmax_simd_backend="scalar"` takes the one lane on any target, so
/// the host suite runs the Cortex-M backend too (CI does).
#[cfg(all(
    any(
        target_feature = "sse2",
        all(target_arch = "aarch64", target_feature = "neon"),
        target_feature = "simd128"
    ),
    not(softmax_simd_backend = "scalar")
))]
pub(crate) type Portable = wide::f32x4;
/// See the SIMD definition above.
#[cfg(any(
    not(any(
        target_feature = "sse2",
        all(target_arch = "aarch64", target_feature = "neon"),
        target_feature = "simd128"
    )),
    softmax_simd_backend = "scalar"
))]
pub(crate) type Portable = f32;

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

/// [`Lanes::load_partial`] by a copy into a padded array (backends
/// without a masked load).
#[inline(always)]
pub(crate) fn padded<L: Lanes<Elem = f32>>(tail: &[f32], pad: f32) -> L {
    let mut buf = L::splat(pad).to_array();
    for (d, s) in buf.as_mut().iter_mut().zip(tail) {
        *d = *s;
    }
    L::load(&buf)
}

/// [`Lanes::store_partial`] by a copy out of the lanes' array.
#[inline(always)]
pub(crate) fn copy_partial<L: Lanes<Elem = f32>>(tail: &mut [f32], v: L) {
    for (d, s) in tail.iter_mut().zip(v.to_array().as_ref()) {
        *d = *s;
    }
}

/// The vectors of the partial group at the end: the remaining whole chunks,
/// then the padded tail, then pad vectors.
#[inline(always)]
pub(crate) fn last_group<L: Lanes<Elem = f32>, const K: usize>(chunks: &[L::Array], tail: &[f32], pad: f32) -> [L; K] {
    let mut g = [L::splat(pad); K];
    let mut it = g.iter_mut();
    // `chunks` first: zip must not take a slot from `it` when `chunks` is done.
    for (c, d) in chunks.iter().zip(&mut it) {
        *d = L::load(c);
    }
    if let Some(d) = it.next()
        && !tail.is_empty()
    {
        *d = L::load_partial(tail, pad);
    }
    g
}

#[inline(always)]
pub(crate) fn store_last_group<L: Lanes<Elem = f32>, const K: usize>(
    chunks: &mut [L::Array],
    tail: &mut [f32],
    g: [L; K],
) {
    let mut it = g.into_iter();
    for (c, v) in chunks.iter_mut().zip(&mut it) {
        *c = v.to_array();
    }
    if let Some(v) = it.next()
        && !tail.is_empty()
    {
        v.store_partial(tail);
    }
}

#[inline(always)]
pub(crate) fn load_group<L: Lanes, const K: usize>(c: &[L::Array; K]) -> [L; K] {
    let mut g = [L::splat_zero(); K];
    for (v, a) in g.iter_mut().zip(c) {
        *v = L::load(a);
    }
    g
}

#[inline(always)]
pub(crate) fn store_group<L: Lanes, const K: usize>(c: &mut [L::Array; K], g: [L; K]) {
    for (d, v) in c.iter_mut().zip(g) {
        *d = v.to_array();
    }
}

// The loops over a row, as macros: a closure would be compiled as a
// function of its own, without the `#[target_feature]`s of the dispatch
// wrapper that the kernel is inlined into, so its intrinsics could not
// inline and LLVM left it (and them) as calls in the hot loop. The body
// is pasted twice: once in the loop over the row's whole groups, once for
// its last, padded group, built in registers by `last_group` (masked
// loads) and stored by `store_last_group` (masked stores). Walking that
// group through a stack array with the same single body cost every short
// row a store, a reload and a store-forwarding wait per pass (AVX2,
// 10-class `softmax_rows`: 255 instructions a row against 225). On the
// one-lane backend a row has no partial group and the second paste is
// dead code. `$L` and `$K` are the backend and the unroll.

/// `f(x[i], ...)` element-wise over an array of vectors: `each!(g, |v| v * r)`.
macro_rules! each {
    ($g:expr, |$v:ident| $e:expr) => {{
        let mut out = $g;
        for slot in out.iter_mut() {
            let $v = *slot;
            *slot = $e;
        }
        out
    }};
}

/// Runs `body` on every group of `[L; K]` of `x` (read only): the row's
/// whole groups, then its padded last group (if any).
macro_rules! for_groups {
    ($L:ty, $K:expr; $x:expr, $pad:expr, |$g:ident| $body:expr) => {{
        let (chunks, tail) = <$L as $crate::lanes::Lanes>::chunks($x);
        let (groups, rest) = chunks.as_chunks::<$K>();
        for c in groups {
            let $g: [$L; $K] = $crate::lanes::load_group::<$L, $K>(c);
            $body;
        }
        if !rest.is_empty() || !tail.is_empty() {
            let $g: [$L; $K] = $crate::lanes::last_group::<$L, $K>(rest, tail, $pad);
            $body;
        }
    }};
}

/// Runs `body` on every pair of groups of `a` and `b` (same length).
macro_rules! zip_groups {
    ($L:ty, $K:expr; $a:expr, $pad_a:expr, $b:expr, $pad_b:expr, |$g:ident, $h:ident| $body:expr) => {{
        let (ca, ta) = <$L as $crate::lanes::Lanes>::chunks($a);
        let (cb, tb) = <$L as $crate::lanes::Lanes>::chunks($b);
        let (ga, ra) = ca.as_chunks::<$K>();
        let (gb, rb) = cb.as_chunks::<$K>();
        for (a, b) in ga.iter().zip(gb) {
            let $g: [$L; $K] = $crate::lanes::load_group::<$L, $K>(a);
            let $h: [$L; $K] = $crate::lanes::load_group::<$L, $K>(b);
            $body;
        }
        if !ra.is_empty() || !ta.is_empty() {
            let $g: [$L; $K] = $crate::lanes::last_group::<$L, $K>(ra, ta, $pad_a);
            let $h: [$L; $K] = $crate::lanes::last_group::<$L, $K>(rb, tb, $pad_b);
            $body;
        }
    }};
}

/// `out = body(x)` group by group (`out.len() == x.len()`).
macro_rules! map_groups {
    ($L:ty, $K:expr; $x:expr, $out:expr, $pad:expr, |$g:ident| $body:expr) => {{
        let (cx, tx) = <$L as $crate::lanes::Lanes>::chunks($x);
        let (co, to) = <$L as $crate::lanes::Lanes>::chunks_mut($out);
        let (gx, rx) = cx.as_chunks::<$K>();
        let (go, ro) = co.as_chunks_mut::<$K>();
        for (c, o) in gx.iter().zip(go.iter_mut()) {
            let $g: [$L; $K] = $crate::lanes::load_group::<$L, $K>(c);
            let r: [$L; $K] = $body;
            $crate::lanes::store_group::<$L, $K>(o, r);
        }
        if !rx.is_empty() || !tx.is_empty() {
            let $g: [$L; $K] = $crate::lanes::last_group::<$L, $K>(rx, tx, $pad);
            let r: [$L; $K] = $body;
            $crate::lanes::store_last_group::<$L, $K>(ro, to, r);
        }
    }};
}

/// `x = body(x)` group by group.
macro_rules! map_groups_in_place {
    ($L:ty, $K:expr; $x:expr, $pad:expr, |$g:ident| $body:expr) => {{
        let (cx, tx) = <$L as $crate::lanes::Lanes>::chunks_mut($x);
        let (gx, rx) = cx.as_chunks_mut::<$K>();
        for c in gx.iter_mut() {
            let $g: [$L; $K] = $crate::lanes::load_group::<$L, $K>(c);
            let r: [$L; $K] = $body;
            $crate::lanes::store_group::<$L, $K>(c, r);
        }
        if !rx.is_empty() || !tx.is_empty() {
            let $g: [$L; $K] = $crate::lanes::last_group::<$L, $K>(&*rx, &*tx, $pad);
            let r: [$L; $K] = $body;
            $crate::lanes::store_last_group::<$L, $K>(rx, tx, r);
        }
    }};
}

/// `out = body(x, y)` group by group (all three the same length).
macro_rules! zip_map_groups {
    ($L:ty, $K:expr; $x:expr, $pad_x:expr, $y:expr, $pad_y:expr, $out:expr, |$g:ident, $h:ident| $body:expr) => {{
        let (cx, tx) = <$L as $crate::lanes::Lanes>::chunks($x);
        let (cy, ty) = <$L as $crate::lanes::Lanes>::chunks($y);
        let (co, to) = <$L as $crate::lanes::Lanes>::chunks_mut($out);
        let (gx, rx) = cx.as_chunks::<$K>();
        let (gy, ry) = cy.as_chunks::<$K>();
        let (go, ro) = co.as_chunks_mut::<$K>();
        for ((a, b), o) in gx.iter().zip(gy).zip(go.iter_mut()) {
            let $g: [$L; $K] = $crate::lanes::load_group::<$L, $K>(a);
            let $h: [$L; $K] = $crate::lanes::load_group::<$L, $K>(b);
            let r: [$L; $K] = $body;
            $crate::lanes::store_group::<$L, $K>(o, r);
        }
        if !rx.is_empty() || !tx.is_empty() {
            let $g: [$L; $K] = $crate::lanes::last_group::<$L, $K>(rx, tx, $pad_x);
            let $h: [$L; $K] = $crate::lanes::last_group::<$L, $K>(ry, ty, $pad_y);
            let r: [$L; $K] = $body;
            $crate::lanes::store_last_group::<$L, $K>(ro, to, r);
        }
    }};
}

/// `x = body(x, y)` group by group (`x.len() == y.len()`).
macro_rules! zip_map_groups_in_place {
    ($L:ty, $K:expr; $x:expr, $pad_x:expr, $y:expr, $pad_y:expr, |$g:ident, $h:ident| $body:expr) => {{
        let (cx, tx) = <$L as $crate::lanes::Lanes>::chunks_mut($x);
        let (cy, ty) = <$L as $crate::lanes::Lanes>::chunks($y);
        let (gx, rx) = cx.as_chunks_mut::<$K>();
        let (gy, ry) = cy.as_chunks::<$K>();
        for (c, b) in gx.iter_mut().zip(gy) {
            let $g: [$L; $K] = $crate::lanes::load_group::<$L, $K>(c);
            let $h: [$L; $K] = $crate::lanes::load_group::<$L, $K>(b);
            let r: [$L; $K] = $body;
            $crate::lanes::store_group::<$L, $K>(c, r);
        }
        if !rx.is_empty() || !tx.is_empty() {
            let $g: [$L; $K] = $crate::lanes::last_group::<$L, $K>(&*rx, &*tx, $pad_x);
            let $h: [$L; $K] = $crate::lanes::last_group::<$L, $K>(ry, ty, $pad_y);
            let r: [$L; $K] = $body;
            $crate::lanes::store_last_group::<$L, $K>(rx, tx, r);
        }
    }};
}

pub(crate) use {
    each, for_groups, map_groups, map_groups_in_place, zip_groups, zip_map_groups, zip_map_groups_in_place,
};
