//! The x86_64 backends: AVX2+FMA (`__m256`) and AVX-512F (`__m512`, masks
//! as `__mmask16`), each method one or two `core::arch` intrinsics.
//!
//! One of the two files of the crate with `unsafe` (the other is
//! `dispatch`). Every intrinsic here needs its CPU feature, and the
//! methods are `#[inline(always)]`, so they cannot carry
//! `#[target_feature]` themselves. The invariant every `unsafe` block
//! rests on: **a value of [`Avx2`] or [`Avx512`] exists only inside a
//! kernel instantiated by `dispatch`'s `#[target_feature]` wrappers, and
//! `dispatch` calls a wrapper only after the CPU (and the OS's saved
//! register state) were proven to have its features.** The types are
//! named nowhere else in the crate (a test greps for that).

#![allow(unsafe_code)]

use super::Lanes;
use core::arch::x86_64::*;
use core::ops::{Add, BitOr, Mul, Sub};

/// Runs intrinsics whose feature the invariant of this module guarantees.
macro_rules! feat {
    ($e:expr) => {
        // SAFETY: the module invariant: this code runs only inside a
        // `dispatch` wrapper whose features detection proved.
        unsafe { $e }
    };
}

/// Eight `f32` lanes in a ymm register, with FMA.
#[derive(Clone, Copy)]
pub(crate) struct Avx2(__m256);

/// An AVX2 comparison result: all ones in each set lane.
#[derive(Clone, Copy)]
pub(crate) struct Mask8(__m256);

/// Eight `u32` counters.
#[derive(Clone, Copy)]
pub(crate) struct Counts8(__m256i);

impl Add for Avx2 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        feat!(Avx2(_mm256_add_ps(self.0, o.0)))
    }
}
impl Sub for Avx2 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        feat!(Avx2(_mm256_sub_ps(self.0, o.0)))
    }
}
impl Mul for Avx2 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        feat!(Avx2(_mm256_mul_ps(self.0, o.0)))
    }
}
impl BitOr for Mask8 {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        feat!(Mask8(_mm256_or_ps(self.0, o.0)))
    }
}

impl Lanes for Avx2 {
    type Elem = f32;
    type Array = [f32; 8];
    type Mask = Mask8;
    type Counts = Counts8;
    const LANES: usize = 8;
    const NAME: &'static str = "avx2+fma";

    #[inline(always)]
    fn splat(v: f32) -> Self {
        feat!(Avx2(_mm256_set1_ps(v)))
    }
    #[inline(always)]
    fn splat_zero() -> Self {
        feat!(Avx2(_mm256_setzero_ps()))
    }
    #[inline(always)]
    fn load(a: &[f32; 8]) -> Self {
        // SAFETY: `a` is 8 readable floats (unaligned load); the feature by
        // the module invariant.
        unsafe { Avx2(_mm256_loadu_ps(a.as_ptr())) }
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 8] {
        let mut a = [0.0; 8];
        // SAFETY: `a` is 8 writable floats (unaligned store); the feature by
        // the module invariant.
        unsafe { _mm256_storeu_ps(a.as_mut_ptr(), self.0) };
        a
    }
    #[inline(always)]
    fn load_partial(tail: &[f32], pad: f32) -> Self {
        let m = mask8(tail.len());
        // SAFETY: lanes at or past `tail.len()` are masked off, and a
        // masked-off lane is neither read nor faulted on (`vmaskmovps`);
        // the feature by the module invariant.
        let v = unsafe { _mm256_maskload_ps(tail.as_ptr(), m) };
        feat!(Avx2(_mm256_blendv_ps(_mm256_set1_ps(pad), v, _mm256_castsi256_ps(m))))
    }
    #[inline(always)]
    fn store_partial(self, tail: &mut [f32]) {
        let m = mask8(tail.len());
        // SAFETY: lanes at or past `tail.len()` are masked off and not
        // written; the feature by the module invariant.
        unsafe { _mm256_maskstore_ps(tail.as_mut_ptr(), m, self.0) };
    }
    #[inline(always)]
    fn chunks(x: &[f32]) -> (&[[f32; 8]], &[f32]) {
        x.as_chunks::<8>()
    }
    #[inline(always)]
    fn chunks_mut(x: &mut [f32]) -> (&mut [[f32; 8]], &mut [f32]) {
        x.as_chunks_mut::<8>()
    }
    #[inline(always)]
    fn mul_add(self, m: Self, a: Self) -> Self {
        feat!(Avx2(_mm256_fmadd_ps(self.0, m.0, a.0)))
    }
    #[inline(always)]
    fn mul_sub(self, m: Self, a: Self) -> Self {
        feat!(Avx2(_mm256_fmsub_ps(self.0, m.0, a.0)))
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        feat!(Avx2(_mm256_max_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Mask8 {
        feat!(Mask8(_mm256_cmp_ps::<_CMP_LT_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Mask8 {
        feat!(Mask8(_mm256_cmp_ps::<_CMP_GT_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn eq(self, o: Self) -> Mask8 {
        feat!(Mask8(_mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn is_nan(self) -> Mask8 {
        feat!(Mask8(_mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0)))
    }
    #[inline(always)]
    fn select(m: Mask8, a: Self, b: Self) -> Self {
        feat!(Avx2(_mm256_blendv_ps(b.0, a.0, m.0)))
    }
    #[inline(always)]
    fn zero_where(m: Mask8, v: Self) -> Self {
        feat!(Avx2(_mm256_andnot_ps(m.0, v.0)))
    }
    #[inline(always)]
    fn any(m: Mask8) -> bool {
        feat!(_mm256_movemask_ps(m.0) != 0)
    }
    #[inline(always)]
    fn shl23(self) -> Self {
        feat!(Avx2(_mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_castps_si256(
            self.0
        )))))
    }
    #[inline(always)]
    fn reduce_add(self) -> f32 {
        let (lo, hi) = feat!((_mm256_castps256_ps128(self.0), _mm256_extractf128_ps::<1>(self.0)));
        let s = feat!(_mm_add_ps(lo, hi));
        let s = feat!(_mm_add_ps(s, _mm_movehl_ps(s, s)));
        feat!(_mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<1>(s, s))))
    }
    #[inline(always)]
    fn reduce_max(self) -> f32 {
        let (lo, hi) = feat!((_mm256_castps256_ps128(self.0), _mm256_extractf128_ps::<1>(self.0)));
        let s = feat!(_mm_max_ps(lo, hi));
        let s = feat!(_mm_max_ps(s, _mm_movehl_ps(s, s)));
        feat!(_mm_cvtss_f32(_mm_max_ss(s, _mm_shuffle_ps::<1>(s, s))))
    }
    #[inline(always)]
    fn counts_zero() -> Counts8 {
        feat!(Counts8(_mm256_setzero_si256()))
    }
    #[inline(always)]
    fn count_where(c: &mut Counts8, m: Mask8) {
        // A set lane is all ones, -1 as an integer: one subtraction counts it.
        *c = feat!(Counts8(_mm256_sub_epi32(c.0, _mm256_castps_si256(m.0))));
    }
    #[inline(always)]
    fn counts_add(a: Counts8, b: Counts8) -> Counts8 {
        feat!(Counts8(_mm256_add_epi32(a.0, b.0)))
    }
    #[inline(always)]
    fn counts_total(c: Counts8) -> u64 {
        let mut a = [0u32; 8];
        // SAFETY: `a` is 32 writable bytes (unaligned store); the feature by
        // the module invariant.
        unsafe { _mm256_storeu_si256(a.as_mut_ptr().cast(), c.0) };
        a.iter().map(|&v| u64::from(v)).sum()
    }
}

/// All ones in the lanes below `len` (at most 8), zero above.
#[inline(always)]
fn mask8(len: usize) -> __m256i {
    let len = len.min(8) as i32;
    feat!(_mm256_cmpgt_epi32(
        _mm256_set1_epi32(len),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
    ))
}

/// The bits of the lanes below `len` (at most 16).
#[inline(always)]
fn mask16(len: usize) -> __mmask16 {
    ((1u32 << len.min(16)) - 1) as __mmask16
}

/// Sixteen `f32` lanes in a zmm register.
#[derive(Clone, Copy)]
pub(crate) struct Avx512(__m512);

/// Sixteen `u32` counters.
#[derive(Clone, Copy)]
pub(crate) struct Counts16(__m512i);

impl Add for Avx512 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        feat!(Avx512(_mm512_add_ps(self.0, o.0)))
    }
}
impl Sub for Avx512 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        feat!(Avx512(_mm512_sub_ps(self.0, o.0)))
    }
}
impl Mul for Avx512 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        feat!(Avx512(_mm512_mul_ps(self.0, o.0)))
    }
}

impl Lanes for Avx512 {
    type Elem = f32;
    type Array = [f32; 16];
    /// A bit per lane: `|` is the integer or.
    type Mask = __mmask16;
    type Counts = Counts16;
    const LANES: usize = 16;
    const NAME: &'static str = "avx512f";

    #[inline(always)]
    fn splat(v: f32) -> Self {
        feat!(Avx512(_mm512_set1_ps(v)))
    }
    #[inline(always)]
    fn splat_zero() -> Self {
        feat!(Avx512(_mm512_setzero_ps()))
    }
    #[inline(always)]
    fn load(a: &[f32; 16]) -> Self {
        // SAFETY: `a` is 16 readable floats (unaligned load); the feature by
        // the module invariant.
        unsafe { Avx512(_mm512_loadu_ps(a.as_ptr())) }
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 16] {
        let mut a = [0.0; 16];
        // SAFETY: `a` is 16 writable floats (unaligned store); the feature
        // by the module invariant.
        unsafe { _mm512_storeu_ps(a.as_mut_ptr(), self.0) };
        a
    }
    #[inline(always)]
    fn load_partial(tail: &[f32], pad: f32) -> Self {
        let k = mask16(tail.len());
        // SAFETY: lanes at or past `tail.len()` are masked off, and a
        // masked-off lane is neither read nor faulted on; the feature by
        // the module invariant.
        unsafe { Avx512(_mm512_mask_loadu_ps(_mm512_set1_ps(pad), k, tail.as_ptr())) }
    }
    #[inline(always)]
    fn store_partial(self, tail: &mut [f32]) {
        let k = mask16(tail.len());
        // SAFETY: lanes at or past `tail.len()` are masked off and not
        // written; the feature by the module invariant.
        unsafe { _mm512_mask_storeu_ps(tail.as_mut_ptr(), k, self.0) };
    }
    #[inline(always)]
    fn chunks(x: &[f32]) -> (&[[f32; 16]], &[f32]) {
        x.as_chunks::<16>()
    }
    #[inline(always)]
    fn chunks_mut(x: &mut [f32]) -> (&mut [[f32; 16]], &mut [f32]) {
        x.as_chunks_mut::<16>()
    }
    #[inline(always)]
    fn mul_add(self, m: Self, a: Self) -> Self {
        feat!(Avx512(_mm512_fmadd_ps(self.0, m.0, a.0)))
    }
    #[inline(always)]
    fn mul_sub(self, m: Self, a: Self) -> Self {
        feat!(Avx512(_mm512_fmsub_ps(self.0, m.0, a.0)))
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        feat!(Avx512(_mm512_max_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> __mmask16 {
        feat!(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0))
    }
    #[inline(always)]
    fn gt(self, o: Self) -> __mmask16 {
        feat!(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, o.0))
    }
    #[inline(always)]
    fn eq(self, o: Self) -> __mmask16 {
        feat!(_mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, o.0))
    }
    #[inline(always)]
    fn is_nan(self) -> __mmask16 {
        feat!(_mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0))
    }
    #[inline(always)]
    fn select(m: __mmask16, a: Self, b: Self) -> Self {
        feat!(Avx512(_mm512_mask_blend_ps(m, b.0, a.0)))
    }
    #[inline(always)]
    fn zero_where(m: __mmask16, v: Self) -> Self {
        feat!(Avx512(_mm512_maskz_mov_ps(!m, v.0)))
    }
    #[inline(always)]
    fn any(m: __mmask16) -> bool {
        m != 0
    }
    #[inline(always)]
    fn shl23(self) -> Self {
        feat!(Avx512(_mm512_castsi512_ps(_mm512_slli_epi32::<23>(
            _mm512_castps_si512(self.0)
        ))))
    }
    #[inline(always)]
    fn reduce_add(self) -> f32 {
        // Halves, then quarters, ... (a tree, like the portable fold).
        feat!(_mm512_reduce_add_ps(self.0))
    }
    #[inline(always)]
    fn reduce_max(self) -> f32 {
        feat!(_mm512_reduce_max_ps(self.0))
    }
    #[inline(always)]
    fn counts_zero() -> Counts16 {
        feat!(Counts16(_mm512_setzero_si512()))
    }
    #[inline(always)]
    fn count_where(c: &mut Counts16, m: __mmask16) {
        *c = feat!(Counts16(_mm512_mask_sub_epi32(c.0, m, c.0, _mm512_set1_epi32(-1))));
    }
    #[inline(always)]
    fn counts_add(a: Counts16, b: Counts16) -> Counts16 {
        feat!(Counts16(_mm512_add_epi32(a.0, b.0)))
    }
    #[inline(always)]
    fn counts_total(c: Counts16) -> u64 {
        let mut a = [0u32; 16];
        // SAFETY: `a` is 64 writable bytes (unaligned store); the feature by
        // the module invariant.
        unsafe { _mm512_storeu_si512(a.as_mut_ptr().cast(), c.0) };
        a.iter().map(|&v| u64::from(v)).sum()
    }
}
