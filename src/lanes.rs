//! This target's lane type and the loops that walk a slice in vectors.
//!
//! The lane width is fixed at compile time from the target features, as
//! `wide` itself does:
//!
//! | target features            | vector      | `wide` backend             |
//! |----------------------------|-------------|----------------------------|
//! | `avx512f`                  | `f32x16`    | AVX-512 (one zmm register) |
//! | `avx` (`avx2`, `fma`)      | `f32x8`     | AVX / AVX2+FMA (ymm)       |
//! | anything else              | `f32x4`     | SSE2, NEON, simd128, or plain `[f32; 4]` arrays |
//!
//! Every loop here goes through `<[T]>::as_chunks`, so a vector load is a
//! copy of a `[f32; LANES]` array: no index is computed, no bounds check and
//! no panic path exists. The partial vector at the end of a row is copied
//! into a padded array (`pad` fills the unused lanes with a value that is
//! neutral for the pass: `-inf` for max and exp-sums, `0` for labels), so
//! in-place kernels never re-read an element they already overwrote.
//!
//! Each loop hands the kernel `K` vectors at a time (`[V; K]`), so the kernel
//! keeps `K` independent accumulators and the FMA/max latency chains overlap.
//! A group that runs past the end of the row is filled with `pad` vectors,
//! whose results are discarded.

#[cfg(target_feature = "avx512f")]
mod pick {
    pub use wide::f32x16 as V;
    pub use wide::u32x16 as U;
    pub const LANES: usize = 16;
    /// 32 zmm registers hold four vectors' exp temporaries (XNNPACK's
    /// AVX-512 choice, docs/anchors.md; not measured here: no AVX-512 CPU).
    pub const K: usize = 4;
}
#[cfg(all(target_feature = "avx", not(target_feature = "avx512f")))]
mod pick {
    pub use wide::f32x8 as V;
    pub use wide::u32x8 as U;
    pub const LANES: usize = 8;
    /// Measured on Zen 3 (README, "Unrolling"): with 4 the exp loop spills
    /// its 16 ymm registers and runs about 15% slower than with 2.
    pub const K: usize = 2;
}
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod pick {
    pub use wide::f32x4 as V;
    pub use wide::u32x4 as U;
    pub const LANES: usize = 4;
    /// 32 NEON registers: two vectors in flight without spills (not timed
    /// here: aarch64 runs under qemu only).
    pub const K: usize = 2;
}
#[cfg(not(any(target_feature = "avx", all(target_arch = "aarch64", target_feature = "neon"))))]
mod pick {
    pub use wide::f32x4 as V;
    pub use wide::u32x4 as U;
    pub const LANES: usize = 4;
    /// SSE2 (16 xmm registers) measured fastest with one vector per step
    /// (README, "Unrolling"); plain arrays (Cortex-M) get the smallest code.
    pub const K: usize = 1;
}

pub(crate) use pick::{LANES, U, V};

/// Vectors per unrolled group: the number of independent accumulators,
/// chosen per target by measurement (see `pick`). The benchmark that chose
/// it overrides it with `--cfg softmax_simd_unroll="1"` (or `"2"`, `"4"`).
#[cfg(not(any(softmax_simd_unroll = "1", softmax_simd_unroll = "2", softmax_simd_unroll = "4")))]
pub(crate) use pick::K;
#[cfg(softmax_simd_unroll = "1")]
pub(crate) const K: usize = 1;
#[cfg(softmax_simd_unroll = "2")]
pub(crate) const K: usize = 2;
#[cfg(softmax_simd_unroll = "4")]
pub(crate) const K: usize = 4;

/// The number of vectors each loop step processes in this build (see the
/// README's "Unrolling").
pub const UNROLL: usize = K;

/// The number of f32 lanes per vector in this build (4, 8 or 16).
pub const LANE_COUNT: usize = LANES;

/// A name for the lane backend this build uses (shown by the example).
pub const BACKEND: &str = if cfg!(target_feature = "avx512f") {
    "avx512f: wide::f32x16"
} else if cfg!(all(target_feature = "avx", target_feature = "fma")) {
    "avx2+fma: wide::f32x8"
} else if cfg!(target_feature = "avx") {
    "avx: wide::f32x8"
} else if cfg!(target_feature = "sse2") {
    "sse2: wide::f32x4"
} else if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
    "neon: wide::f32x4"
} else if cfg!(target_feature = "simd128") {
    "wasm simd128: wide::f32x4"
} else {
    "scalar: wide::f32x4 as [f32; 4]"
};

type Chunk = [f32; LANES];

/// `v` where `mask` is clear, `+0.0` where it is set. `mask` comes from a
/// lane comparison (all ones or all zeros per lane), so an and-not does it:
/// one instruction where `select` (a sign-bit blend) takes up to three.
#[inline(always)]
pub(crate) fn zero_where(mask: V, v: V) -> V {
    !mask & v
}

/// `K` per-lane counters at zero, for [`count_where`].
pub(crate) const NO_COUNTS: [U; K] = [U::splat(0); K];

/// Adds 1 to the lanes of `count` where `mask` (a lane comparison) is set:
/// a set lane is all ones, `-1` as an integer, so one integer subtraction
/// counts it (wrapping; a lane would need 2^32 hits to wrap).
#[inline(always)]
pub(crate) fn count_where(count: &mut U, mask: V) {
    *count -= mask.to_bits();
}

/// The total of `K` per-lane counters, as an `f32` (exact up to 2^24).
#[inline(always)]
pub(crate) fn count_total(counts: [U; K]) -> f32 {
    // Lanes summed in u64: only a row of 2^32 values could overflow a lane.
    let lanes = fold_pairwise(counts, |a, b| a + b).to_array();
    lanes.iter().map(|&v| u64::from(v)).sum::<u64>() as f32
}

/// The lanes of `v` folded pairwise by `f`: `log2(LANES)` levels, no
/// branches. Used for the horizontal max and for short sums.
#[inline(always)]
pub(crate) fn fold_lanes(v: V, f: impl Fn(f32, f32) -> f32) -> f32 {
    fold_pairwise(v.to_array(), f)
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

#[inline(always)]
fn padded(tail: &[f32], pad: f32) -> V {
    let mut buf = [pad; LANES];
    for (d, s) in buf.iter_mut().zip(tail) {
        *d = *s;
    }
    V::from(buf)
}

#[inline(always)]
fn store_partial(tail: &mut [f32], v: V) {
    for (d, s) in tail.iter_mut().zip(v.to_array()) {
        *d = s;
    }
}

/// The vectors of the partial group at the end: the remaining whole chunks,
/// then the padded tail, then pad vectors.
#[inline(always)]
fn last_group(chunks: &[Chunk], tail: &[f32], pad: f32) -> [V; K] {
    let mut g = [V::splat(pad); K];
    let mut it = g.iter_mut();
    // `chunks` first: zip must not take a slot from `it` when `chunks` is done.
    for (c, d) in chunks.iter().zip(&mut it) {
        *d = V::from(*c);
    }
    if let Some(d) = it.next() {
        *d = padded(tail, pad);
    }
    g
}

#[inline(always)]
fn store_last_group(chunks: &mut [Chunk], tail: &mut [f32], g: [V; K]) {
    let mut it = g.into_iter();
    for (c, v) in chunks.iter_mut().zip(&mut it) {
        *c = v.to_array();
    }
    if let Some(v) = it.next() {
        store_partial(tail, v);
    }
}

#[inline(always)]
fn load_group(c: &[Chunk; K]) -> [V; K] {
    c.map(V::from)
}

#[inline(always)]
fn store_group(c: &mut [Chunk; K], g: [V; K]) {
    for (d, v) in c.iter_mut().zip(g) {
        *d = v.to_array();
    }
}

/// Calls `f` on every group of `x` (read only).
#[inline(always)]
pub(crate) fn for_groups(x: &[f32], pad: f32, mut f: impl FnMut([V; K])) {
    let (chunks, tail) = x.as_chunks::<LANES>();
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
pub(crate) fn zip_groups(a: &[f32], pad_a: f32, b: &[f32], pad_b: f32, mut f: impl FnMut([V; K], [V; K])) {
    let (ca, ta) = a.as_chunks::<LANES>();
    let (cb, tb) = b.as_chunks::<LANES>();
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
pub(crate) fn map_groups(x: &[f32], out: &mut [f32], pad: f32, mut f: impl FnMut([V; K]) -> [V; K]) {
    let (cx, tx) = x.as_chunks::<LANES>();
    let (co, to) = out.as_chunks_mut::<LANES>();
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
pub(crate) fn map_groups_in_place(x: &mut [f32], pad: f32, mut f: impl FnMut([V; K]) -> [V; K]) {
    let (cx, tx) = x.as_chunks_mut::<LANES>();
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
pub(crate) fn zip_map_groups(
    x: &[f32],
    pad_x: f32,
    y: &[f32],
    pad_y: f32,
    out: &mut [f32],
    mut f: impl FnMut([V; K], [V; K]) -> [V; K],
) {
    let (cx, tx) = x.as_chunks::<LANES>();
    let (cy, ty) = y.as_chunks::<LANES>();
    let (co, to) = out.as_chunks_mut::<LANES>();
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
pub(crate) fn zip_map_groups_in_place(
    x: &mut [f32],
    pad_x: f32,
    y: &[f32],
    pad_y: f32,
    mut f: impl FnMut([V; K], [V; K]) -> [V; K],
) {
    let (cx, tx) = x.as_chunks_mut::<LANES>();
    let (cy, ty) = y.as_chunks::<LANES>();
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
