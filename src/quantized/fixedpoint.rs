//! gemmlowp / TFLite fixed-point arithmetic on `wide` i32 lanes.
//!
//! Lane width follows the f32 kernels: `i32x16` where `avx512f` is enabled,
//! `i32x8` where `avx` is, `i32x4` elsewhere (SSE2, NEON, wasm simd128).
//! Targets without SIMD lanes (Cortex-M, where `wide` would store the
//! lanes as arrays) compile only [`scalar`]: their int8 and int16 kernels
//! run on plain i32. Every function is exact integer arithmetic,
//! lane by lane bit-identical with the scalar oracle in
//! `quantized::reference` (which shares no code with this file). The
//! per-row steps (reciprocal, logarithm) take one value each and run on
//! plain i32 in [`scalar`]: a splatted vector would pay the lanes' latency
//! for nothing.

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[cfg(not(target_feature = "avx"))]
pub(crate) use wide::i32x4 as I32s;
#[cfg(all(target_feature = "avx", not(target_feature = "avx512f")))]
pub(crate) use wide::i32x8 as I32s;
#[cfg(target_feature = "avx512f")]
pub(crate) use wide::i32x16 as I32s;

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
/// Number of i32 lanes in [`I32s`].
pub(crate) const LANES: usize = core::mem::size_of::<I32s>() / 4;

/// The lane array type of [`I32s`].
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) type Lanes = [i32; LANES];

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
pub(crate) fn splat(v: i32) -> I32s {
    I32s::splat(v)
}

// `SaturatingRoundingDoublingHighMul` (SRDHM), `floor((a * b + 2^30) /
// 2^31)` (ARM `VQRDMULH`), saturates only `i32::MIN * i32::MIN`. The
// kernels never multiply two values that can both be `MIN`, so they use
// the forms below, which skip that check (and on SSE2 and AVX2 use the
// signs).

/// The SRDHM forms on x86 with SSE2 but not SSE4.1 (the default x86-64
/// target), where `wide` has no signed 32x32->64 lane multiply but SSE2
/// has an unsigned one (`pmuludq`, two per four lanes), and with AVX2,
/// where the unsigned products of even and odd lanes, each kept in its
/// half of a 64-bit lane, beat `wide`'s split into low and high vectors.
/// The signed product is the unsigned one minus `2^32 * c`, `c = (a < 0 ?
/// b : 0) + (b < 0 ? a : 0)`, which moves the quotient by exactly `2 * c`;
/// known signs drop terms of `c`.
#[cfg(any(
    all(target_feature = "sse2", not(target_feature = "sse4.1")),
    all(target_feature = "avx2", not(target_feature = "avx512f"))
))]
mod mul {
    use super::I32s;

    /// `floor((a * b + 2^30) / 2^31)` mod 2^32 (SRDHM but for `MIN * MIN`).
    #[inline(always)]
    pub(crate) fn srdhm_wrapping(a: I32s, b: I32s) -> I32s {
        unsigned_quotient(a, b) - ((((a >> 31) & b) + ((b >> 31) & a)) << 1)
    }

    /// SRDHM for `b >= 0`.
    #[inline(always)]
    pub(crate) fn srdhm_by_nonneg(a: I32s, b: I32s) -> I32s {
        unsigned_quotient(a, b) - (((a >> 31) & b) << 1)
    }

    /// SRDHM for `a >= 0` and `b >= 0`: the unsigned product is the product.
    #[inline(always)]
    pub(crate) fn srdhm_nonneg(a: I32s, b: I32s) -> I32s {
        unsigned_quotient(a, b)
    }

    /// `floor((a * b + 2^30) / 2^31)` mod 2^32 of the lanes read as u32,
    /// AVX2: the even and odd lanes' products apart (`vpmuludq` on the low
    /// halves of the 64-bit lanes), each rounded and shifted into its own
    /// half of the 64-bit lane.
    #[cfg(target_feature = "avx2")]
    #[inline(always)]
    fn unsigned_quotient(a: I32s, b: I32s) -> I32s {
        use wide::{bytemuck::cast, u64x4};
        let (a64, b64): (u64x4, u64x4) = (cast(a), cast(b));
        let (low, nudge) = (u64x4::splat(0xffff_ffff), u64x4::splat(1 << 30));
        let even = (((a64 & low) * (b64 & low) + nudge) >> 31) & low;
        let odd = (((a64 >> 32) * (b64 >> 32) + nudge) << 1) & !low;
        cast(even | odd)
    }

    /// `floor((a * b + 2^30) / 2^31)` mod 2^32 of the lanes read as u32.
    #[cfg(not(target_feature = "avx2"))]
    #[inline(always)]
    fn unsigned_quotient(a: I32s, b: I32s) -> I32s {
        use wide::{bytemuck::cast, u32x4, u64x4};
        let (au, bu): (u32x4, u32x4) = (cast(a), cast(b));
        let rounded: [i32; 8] = cast((au.widening_mul(bu) + u64x4::splat(1 << 30)) >> 31);
        I32s::new([rounded[0], rounded[2], rounded[4], rounded[6]])
    }
}

/// SRDHM without sign tricks, by a native 32x32->64 lane multiply (SSE4.1,
/// NEON, wasm simd128); the forms for `b >= 0` and for `a, b >= 0` are the
/// same function (`MIN * MIN` cannot occur in them).
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[cfg(not(any(
    all(target_feature = "sse2", not(target_feature = "sse4.1")),
    all(target_feature = "avx2", not(target_feature = "avx512f"))
)))]
mod mul {
    use super::I32s;

    /// `floor((a * b + 2^30) / 2^31)` mod 2^32: SRDHM but for `MIN * MIN`
    /// (which gives `MIN`). From the 64-bit product `hi * 2^32 + lo`,
    /// adding `2^30` only touches the two top bits of `lo` and the carry
    /// out of them, so the result is `2 * hi + ((lo >> 30) + 1) / 2`.
    #[inline(always)]
    pub(crate) fn srdhm_wrapping(a: I32s, b: I32s) -> I32s {
        let (lo, hi) = a.mul_keep_low_high(b);
        let lo: I32s = wide::bytemuck::cast(lo);
        let top2 = (lo >> 30) & super::splat(3);
        (hi << 1) + ((top2 + super::splat(1)) >> 1)
    }

    pub(crate) use self::{srdhm_wrapping as srdhm_by_nonneg, srdhm_wrapping as srdhm_nonneg};
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) use mul::{srdhm_by_nonneg, srdhm_nonneg, srdhm_wrapping};

/// `RoundingDivideByPOT(x, exponent)`: `x / 2^exponent` rounded half away
/// from zero, `exponent` in `0..=31`.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn rounding_divide_by_pot(x: I32s, exponent: u32) -> I32s {
    let mask = ((1u64 << exponent) - 1) as i32;
    let remainder = x & splat(mask);
    // `simd_lt` is all ones (-1) on negative lanes: threshold + 1 there.
    let threshold = splat(mask >> 1) - x.simd_lt(splat(0));
    // `simd_gt` is -1 where the remainder passes the threshold: add one.
    (x >> exponent) - remainder.simd_gt(threshold)
}

/// [`rounding_divide_by_pot`] of lanes `x >= 0`: halves round up, so the
/// result is `(x >> e) + bit e-1 of x`.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn rounding_divide_by_pot_nonneg(x: I32s, exponent: u32) -> I32s {
    if exponent == 0 {
        x
    } else {
        (x >> exponent) + ((x >> (exponent - 1)) & splat(1))
    }
}

/// `MultiplyByQuantizedMultiplier(x, multiplier, shift)` (double rounding):
/// a wrapping left shift by `max(shift, 0)`, SRDHM, then a rounding right
/// shift by `max(-shift, 0)`. `multiplier > 0`, `shift` in `-31..=31`.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn multiply_by_quantized_multiplier(x: I32s, multiplier: i32, shift: i32) -> I32s {
    let left = shift.max(0) as u32;
    let right = (-shift).max(0) as u32;
    let product = srdhm_by_nonneg(x << left, splat(multiplier));
    if right == 0 {
        product
    } else {
        rounding_divide_by_pot(product, right)
    }
}

/// `exp(-1/8)` in Q0.31: the Taylor polynomial's centre.
const EXP_MINUS_ONE_EIGHTH: i32 = 1895147668;
/// `1/3` in Q0.31.
const ONE_THIRD: i32 = 715827883;

/// `(bit, exp(-2^(bit - 26)))` in Q0.31: the factor of each whole-quarter
/// bit of a Q5.26 value (`exp(-1/4)` .. `exp(-16)`).
const BARREL_SHIFTER: [(u32, i32); 7] = [
    (24, 1672461947), // exp(-1/4)
    (25, 1302514674), // exp(-1/2)
    (26, 790015084),  // exp(-1)
    (27, 290630308),  // exp(-2)
    (28, 39332535),   // exp(-4)
    (29, 720401),     // exp(-8)
    (30, 242),        // exp(-16)
];

/// `exp(x)` for `x` in `[-1/4, 0)`, Q0.31 in and out: gemmlowp's Taylor
/// polynomial around `-1/8`.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: I32s) -> I32s {
    let constant_term = splat(EXP_MINUS_ONE_EIGHTH);
    let x = a + splat(1 << 28);
    // x is in [-1/8, 1/8): never MIN; x2, x4 and the constants are >= 0.
    let x2 = srdhm_wrapping(x, x);
    let x3 = srdhm_by_nonneg(x, x2);
    let x4 = srdhm_nonneg(x2, x2);
    let x4_over_4 = rounding_divide_by_pot_nonneg(x4, 2);
    let third = splat(ONE_THIRD);
    let poly = rounding_divide_by_pot(srdhm_by_nonneg(x4_over_4 + x3, third) + x2, 1);
    constant_term + srdhm_by_nonneg(x + poly, constant_term)
}

/// gemmlowp `exp_on_negative_values` for Q5.26 lanes, Q0.31 results:
/// the polynomial on the value modulo 1/4, then one multiplication by
/// `exp(-2^k)` (k = -2..=4) per set bit of the remaining whole quarters.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn exp_on_negative_values_q5(a: I32s) -> I32s {
    let one_quarter = splat(1 << 24);
    let a_mod_quarter_minus_one_quarter = (a & splat((1 << 24) - 1)) - one_quarter;
    // Rescale to Q0.31: `[-2^24, 0) * 32` never saturates.
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(a_mod_quarter_minus_one_quarter << 5);
    let remainder = a_mod_quarter_minus_one_quarter - a;
    for (bit, multiplier) in BARREL_SHIFTER {
        let clear = (remainder & splat(1 << bit)).simd_eq(splat(0));
        // The result stays an exp in [0, 1): both factors are >= 0.
        result = clear.select(result, srdhm_nonneg(result, splat(multiplier)));
    }
    a.simd_eq(splat(0)).select(splat(i32::MAX), result)
}

/// The per-row fixed-point steps on one i32 (not lanes): the reciprocal
/// of the sum of exps and the logarithm of log-softmax. Same arithmetic as
/// the lane functions above, written for a single value.
pub(crate) mod scalar {
    /// `SaturatingRoundingDoublingHighMul` of one pair: `floor((a * b +
    /// 2^30) / 2^31)`, only `MIN * MIN` (2^31) exceeds i32 and saturates.
    #[inline(always)]
    pub(crate) fn srdhm(a: i32, b: i32) -> i32 {
        let product = i64::from(a) * i64::from(b);
        ((product + (1 << 30)) >> 31).min(i64::from(i32::MAX)) as i32
    }

    /// SRDHM of a pair that is never `(MIN, MIN)`: no saturation (what the
    /// lanes' `srdhm_wrapping` computes).
    #[inline(always)]
    pub(crate) fn srdhm_wrapping(a: i32, b: i32) -> i32 {
        ((i64::from(a) * i64::from(b) + (1 << 30)) >> 31) as i32
    }

    /// [`rounding_divide_by_pot`] of `x >= 0`: `(x >> e) + bit e-1 of x`.
    #[inline(always)]
    pub(crate) fn rounding_divide_by_pot_nonneg(x: i32, exponent: u32) -> i32 {
        match exponent {
            0 => x,
            e => (x >> e.min(31)) + ((x >> (e - 1).min(31)) & 1),
        }
    }

    /// The lanes' [`exp_on_negative_values_q5`](super::exp_on_negative_values_q5)
    /// on one Q5.26 value `a <= 0`, step for step: Q0.31 result.
    pub(crate) fn exp_on_negative_values_q5(a: i32) -> i32 {
        if a == 0 {
            return i32::MAX;
        }
        let a_mod_quarter_minus_one_quarter = (a & ((1 << 24) - 1)) - (1 << 24);
        // The polynomial on [-1/4, 0) in Q0.31, around -1/8: x in [-1/8, 1/8).
        let x = (a_mod_quarter_minus_one_quarter << 5) + (1 << 28);
        let x2 = srdhm_wrapping(x, x);
        let x3 = srdhm_wrapping(x, x2);
        let x4 = srdhm_wrapping(x2, x2);
        let x4_over_4 = rounding_divide_by_pot_nonneg(x4, 2);
        let poly = srdhm_wrapping(x4_over_4.wrapping_add(x3), super::ONE_THIRD).wrapping_add(x2);
        let poly = rounding_divide_by_pot(poly, 1);
        let c = super::EXP_MINUS_ONE_EIGHTH;
        let mut result = c.wrapping_add(srdhm_wrapping(x.wrapping_add(poly), c));
        let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
        for (bit, multiplier) in super::BARREL_SHIFTER {
            if remainder & (1 << bit) != 0 {
                result = srdhm_wrapping(result, multiplier);
            }
        }
        result
    }

    /// `RoundingDivideByPOT`, halves away from zero, `exponent` in `0..=31`.
    #[inline(always)]
    pub(crate) fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
        let exponent = exponent.min(31);
        let mask = ((1u64 << exponent) - 1) as i32;
        let threshold = (mask >> 1) + i32::from(x < 0);
        (x >> exponent) + i32::from(x & mask > threshold)
    }

    /// `x * 2^exponent` saturated, `exponent` in `0..=31`.
    #[inline(always)]
    fn saturating_shl(x: i32, exponent: u32) -> i32 {
        let limit = i32::MAX >> exponent.min(31);
        if x > limit {
            i32::MAX
        } else if x < -limit {
            i32::MIN
        } else {
            x << exponent.min(31)
        }
    }

    /// `MultiplyByQuantizedMultiplier` of one value: see the lane version.
    pub(crate) fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
        let left = shift.clamp(0, 31) as u32;
        let right = (-shift).clamp(0, 31) as u32;
        rounding_divide_by_pot(srdhm(x.wrapping_shl(left), multiplier), right)
    }

    /// gemmlowp `one_over_one_plus_x_for_x_in_0_1` (Q0.31 in and out):
    /// Newton-Raphson on the half denominator `(1 + a) / 2` in Q2.29, from
    /// `48/17 - 32/17 d`, three steps.
    pub(crate) fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
        // RoundingHalfSum(a, i32::MAX): floor((a + 2^31) / 2), or -1 at MIN.
        let d = if a == i32::MIN { -1 } else { (a >> 1) + (1 << 30) };
        let mut x = 1515870810i32.wrapping_add(srdhm(d, -1010580540));
        for _ in 0..3 {
            let e = (1i32 << 29).wrapping_sub(srdhm(d, x));
            x = x.wrapping_add(saturating_shl(srdhm(x, e), 2));
        }
        saturating_shl(x, 1)
    }

    /// TFLite `log_x_for_x_greater_than_or_equal_to_1_impl<5, bits>`:
    /// `log(x)` in Q5.26 for `x > 0` in Q`bits`. The argument is scaled
    /// two ways (by its headroom, and by that of `x / sqrt 2`) into
    /// `[sqrt 1/2, sqrt 2)`; the closer one feeds a Pade-style rational
    /// approximation in Q6.25, plus the power of two times `ln 2`.
    pub(crate) fn log_x_for_x_ge_1_q5(x: i32, bits: i32) -> i32 {
        const LOG_2: i32 = 1488522236;
        const SQRT_SQRT_HALF: i32 = 1805811301;
        const SQRT_HALF: i32 = 1518500250;
        // Rescale<6>(1/4): a quarter in Q6.25.
        const QUARTER_Q6: i32 = 1 << 23;
        let pow2_q6 = |p: i32| saturating_shl(p, 25);
        let shl_keep = |v: i32, e: u32| if e == 0 { v } else { saturating_shl(v, e) };

        let lz_a = (x as u32).leading_zeros();
        let r_a = shl_keep(srdhm(shl_keep(x, lz_a.saturating_sub(1)), SQRT_HALF), 1);
        let adj_a = pow2_q6(bits.wrapping_sub(lz_a as i32)).saturating_add(QUARTER_Q6);
        let lz_b = (srdhm(x, SQRT_HALF) as u32).leading_zeros().saturating_sub(1);
        let r_b = shl_keep(x, lz_b);
        let adj_b = pow2_q6(bits.wrapping_sub(lz_b as i32)).saturating_sub(QUARTER_Q6);

        let r = r_a.min(r_b);
        // RoundingHalfSum(r, SQRT_SQRT_HALF), both positive: the halves fit.
        let p = (r >> 1).wrapping_add(SQRT_SQRT_HALF >> 1) + ((r | SQRT_SQRT_HALF) & 1);
        let q = r.wrapping_sub(SQRT_SQRT_HALF).wrapping_shl(1);
        let q2 = srdhm(q, q);
        let num = srdhm(q, r).wrapping_add(srdhm(srdhm(q, q2), 117049297));
        let den = 1057819769i32.wrapping_add(q).wrapping_add(srdhm(127690142, q2));
        let denom_minus_one = srdhm(p, den).wrapping_add(srdhm(638450708, q));
        let ratio = srdhm(
            rounding_divide_by_pot(num, 6),
            one_over_one_plus_x_for_x_in_0_1(denom_minus_one),
        );
        saturating_shl(srdhm(adj_a.max(adj_b), LOG_2).wrapping_add(ratio), 1)
    }
}

/// Runs a lane function on eight i32 values, whatever [`LANES`] is: as two
/// halves with 4 lanes, as is with 8, in the low half of a vector with 16.
/// For kernels whose data comes eight at a time (int16 rows as `i16x8`).
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn on_x8(v: wide::i32x8, f: impl Fn(I32s) -> I32s) -> wide::i32x8 {
    #[cfg(not(target_feature = "avx512f"))]
    {
        let mut parts: [I32s; 8 / LANES] = wide::bytemuck::cast(v);
        for p in &mut parts {
            *p = f(*p);
        }
        wide::bytemuck::cast(parts)
    }
    #[cfg(target_feature = "avx512f")]
    {
        let [low, _]: [wide::i32x8; 2] = wide::bytemuck::cast(f(wide::bytemuck::cast([v, v])));
        low
    }
}
