//! The portable SIMD backend: `wide::f32x4`, compiled for the build's
//! baseline (SSE2 on x86_64, NEON on aarch64, simd128 on wasm32 with that
//! feature; elsewhere `wide` keeps four floats in memory, and the one-lane
//! `scalar` backend serves instead). No `unsafe`.

use super::{Lanes, copy_partial, padded};
use wide::{f32x4, u32x4};

/// What `wide::f32x4` compiles to in this build.
const NAME: &str = if cfg!(target_feature = "sse2") {
    "sse2"
} else if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
    "neon"
} else if cfg!(target_feature = "simd128") {
    "simd128"
} else {
    "arrays"
};

impl Lanes for f32x4 {
    type Elem = f32;
    type Array = [f32; 4];
    type Mask = f32x4;
    type Counts = u32x4;
    const LANES: usize = 4;
    const NAME: &'static str = NAME;

    #[inline(always)]
    fn splat(v: f32) -> Self {
        f32x4::splat(v)
    }
    #[inline(always)]
    fn splat_zero() -> Self {
        f32x4::splat(0.0)
    }
    #[inline(always)]
    fn load(a: &[f32; 4]) -> Self {
        f32x4::from(*a)
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        f32x4::to_array(self)
    }
    #[inline(always)]
    fn load_partial(tail: &[f32], pad: f32) -> Self {
        padded(tail, pad)
    }
    #[inline(always)]
    fn store_partial(self, tail: &mut [f32]) {
        copy_partial(tail, self);
    }
    #[inline(always)]
    fn chunks(x: &[f32]) -> (&[[f32; 4]], &[f32]) {
        x.as_chunks::<4>()
    }
    #[inline(always)]
    fn chunks_mut(x: &mut [f32]) -> (&mut [[f32; 4]], &mut [f32]) {
        x.as_chunks_mut::<4>()
    }
    #[inline(always)]
    fn mul_add(self, m: Self, a: Self) -> Self {
        f32x4::mul_add(self, m, a)
    }
    #[inline(always)]
    fn mul_sub(self, m: Self, a: Self) -> Self {
        f32x4::mul_sub(self, m, a)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        self.fast_max(o)
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        self.simd_lt(o)
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Self {
        self.simd_gt(o)
    }
    #[inline(always)]
    fn eq(self, o: Self) -> Self {
        self.simd_eq(o)
    }
    #[inline(always)]
    fn is_nan(self) -> Self {
        self.simd_ne(self)
    }
    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        m.select(a, b)
    }
    #[inline(always)]
    fn zero_where(m: Self, v: Self) -> Self {
        // One and-not, where `select` (a sign-bit blend) takes up to three.
        !m & v
    }
    #[inline(always)]
    fn any(m: Self) -> bool {
        m.any()
    }
    #[inline(always)]
    fn shl23(self) -> Self {
        f32x4::from_bits(self.to_bits() << 23)
    }
    #[inline(always)]
    fn counts_zero() -> u32x4 {
        u32x4::splat(0)
    }
    #[inline(always)]
    fn count_where(c: &mut u32x4, m: Self) {
        // A set lane is all ones, -1 as an integer: one subtraction counts
        // it (wrapping only after 2^32 hits in one lane).
        *c -= m.to_bits();
    }
    #[inline(always)]
    fn counts_add(a: u32x4, b: u32x4) -> u32x4 {
        a + b
    }
    #[inline(always)]
    fn counts_total(c: u32x4) -> u64 {
        c.to_array().iter().map(|&v| u64::from(v)).sum()
    }
}
