//! The one-lane backend: a plain `f32` in a register, for targets where
//! `wide::f32x4` would be four floats in memory (Cortex-M and any target
//! without SIMD): the kernels then run as scalar loops, with no array
//! loads and stores per operation. No `unsafe`.

use super::Lanes;

impl Lanes for f32 {
    type Elem = f32;
    type Array = [f32; 1];
    type Mask = bool;
    type Counts = u32;
    const LANES: usize = 1;
    const NAME: &'static str = "scalar";
    const DESTRUCTIVE_MUL_ADD: bool = true;

    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn splat_zero() -> Self {
        0.0
    }
    #[inline(always)]
    fn load(a: &[f32; 1]) -> Self {
        let [v] = *a;
        v
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 1] {
        [self]
    }
    #[inline(always)]
    fn load_partial(tail: &[f32], pad: f32) -> Self {
        // A one-lane row has no partial vector: `tail` is always empty.
        tail.first().copied().unwrap_or(pad)
    }
    #[inline(always)]
    fn store_partial(self, tail: &mut [f32]) {
        if let Some(t) = tail.first_mut() {
            *t = self;
        }
    }
    #[inline(always)]
    fn chunks(x: &[f32]) -> (&[[f32; 1]], &[f32]) {
        x.as_chunks::<1>()
    }
    #[inline(always)]
    fn chunks_mut(x: &mut [f32]) -> (&mut [[f32; 1]], &mut [f32]) {
        x.as_chunks_mut::<1>()
    }
    #[inline(always)]
    fn mul_add(self, m: Self, a: Self) -> Self {
        // Unfused, as `wide`'s array fallback: the exp's bound is proven
        // with and without FMA (tests/exp_exhaustive.rs).
        self * m + a
    }
    #[inline(always)]
    fn mul_sub(self, m: Self, a: Self) -> Self {
        self * m - a
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        if o > self { o } else { self }
    }
    #[inline(always)]
    fn lt(self, o: Self) -> bool {
        self < o
    }
    #[inline(always)]
    fn gt(self, o: Self) -> bool {
        self > o
    }
    #[inline(always)]
    fn eq(self, o: Self) -> bool {
        self == o
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn select(m: bool, a: Self, b: Self) -> Self {
        if m { a } else { b }
    }
    #[inline(always)]
    fn zero_where(m: bool, v: Self) -> Self {
        if m { 0.0 } else { v }
    }
    #[inline(always)]
    fn any(m: bool) -> bool {
        m
    }
    #[inline(always)]
    fn shl23(self) -> Self {
        f32::from_bits(self.to_bits() << 23)
    }
    #[inline(always)]
    fn counts_zero() -> u32 {
        0
    }
    #[inline(always)]
    fn count_where(c: &mut u32, m: bool) {
        *c += u32::from(m);
    }
    #[inline(always)]
    fn counts_add(a: u32, b: u32) -> u32 {
        a + b
    }
    #[inline(always)]
    fn counts_total(c: u32) -> u64 {
        u64::from(c)
    }
}
