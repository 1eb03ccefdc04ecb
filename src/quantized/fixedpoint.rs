//! gemmlowp / TFLite fixed-point arithmetic on `wide` i32 lanes.
//!
//! Lane width follows the f32 kernels: `i32x16` where `avx512f` is enabled,
//! `i32x8` where `avx` is, `i32x4` elsewhere (SSE2, NEON, wasm simd128 and
//! plain arrays on Cortex-M). Every function is exact integer arithmetic,
//! lane by lane bit-identical with the scalar oracle in
//! `quantized::reference` (which shares no code with this file). The
//! per-row scalar steps (reciprocal, logarithm) run these same lane
//! functions on a splatted value and read lane 0.

#[cfg(not(target_feature = "avx"))]
pub(crate) use wide::i32x4 as I32s;
#[cfg(all(target_feature = "avx", not(target_feature = "avx512f")))]
pub(crate) use wide::i32x8 as I32s;
#[cfg(target_feature = "avx512f")]
pub(crate) use wide::i32x16 as I32s;

/// Number of i32 lanes in [`I32s`].
pub(crate) const LANES: usize = core::mem::size_of::<I32s>() / 4;

/// The lane array type of [`I32s`].
pub(crate) type Lanes = [i32; LANES];

#[inline(always)]
pub(crate) fn splat(v: i32) -> I32s {
    I32s::splat(v)
}

/// `SaturatingRoundingDoublingHighMul`, i.e. `floor((a * b + 2^30) / 2^31)`
/// (ARM `VQRDMULH`), with `i32::MIN * i32::MIN` saturated to `i32::MAX`.
///
/// Where `wide` has a native 32x32->64 lane multiply: from the 64-bit
/// product `hi * 2^32 + lo`, adding `2^30` only touches the two top bits
/// of `lo` and the carry out of them, so the result is
/// `2 * hi + ((lo >> 30) + 1) / 2`.
#[cfg(any(
    target_feature = "sse4.1",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
pub(crate) fn srdhm(a: I32s, b: I32s) -> I32s {
    let (lo, hi) = a.mul_keep_low_high(b);
    let lo: I32s = wide::bytemuck::cast(lo);
    let top2 = (lo >> 30) & splat(3);
    let r = (hi << 1) + ((top2 + splat(1)) >> 1);
    let overflow = a.simd_eq(splat(i32::MIN)) & b.simd_eq(splat(i32::MIN));
    overflow.select(splat(i32::MAX), r)
}

/// `SaturatingRoundingDoublingHighMul` where `wide` emulates 32-bit lane
/// multiplies one lane at a time anyway (x86 without SSE4.1, Cortex-M,
/// other plain-array targets): the 64-bit products directly, lane by lane,
/// which saves the low/high split. Only `MIN * MIN` exceeds i32, hence `min`.
#[cfg(not(any(
    target_feature = "sse4.1",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
)))]
#[inline(always)]
pub(crate) fn srdhm(a: I32s, b: I32s) -> I32s {
    let (a, b) = (a.to_array(), b.to_array());
    I32s::new(core::array::from_fn(|i| {
        let product = i64::from(a[i]) * i64::from(b[i]);
        ((product + (1 << 30)) >> 31).min(i64::from(i32::MAX)) as i32
    }))
}

/// `RoundingDivideByPOT(x, exponent)`: `x / 2^exponent` rounded half away
/// from zero, `exponent` in `0..=31`.
#[inline(always)]
pub(crate) fn rounding_divide_by_pot(x: I32s, exponent: u32) -> I32s {
    let mask = ((1u64 << exponent) - 1) as i32;
    let remainder = x & splat(mask);
    // `simd_lt` is all ones (-1) on negative lanes: threshold + 1 there.
    let threshold = splat(mask >> 1) - x.simd_lt(splat(0));
    // `simd_gt` is -1 where the remainder passes the threshold: add one.
    (x >> exponent) - remainder.simd_gt(threshold)
}

/// `x * 2^exponent` saturated to the i32 range (`SaturatingRoundingMultiplyByPOT`
/// for `exponent` in `1..=31`): gemmlowp's threshold-and-select.
#[inline(always)]
pub(crate) fn saturating_shl(x: I32s, exponent: u32) -> I32s {
    let threshold = ((1u64 << (31 - exponent)) - 1) as i32;
    let shifted = x << exponent;
    let hi = x.simd_gt(splat(threshold));
    let lo = x.simd_lt(splat(-threshold));
    lo.select(splat(i32::MIN), hi.select(splat(i32::MAX), shifted))
}

/// `MultiplyByQuantizedMultiplier(x, multiplier, shift)` (double rounding):
/// a wrapping left shift by `max(shift, 0)`, SRDHM, then a rounding right
/// shift by `max(-shift, 0)`. `shift` in `-31..=31`.
#[inline(always)]
pub(crate) fn multiply_by_quantized_multiplier(x: I32s, multiplier: i32, shift: i32) -> I32s {
    let left = shift.max(0) as u32;
    let right = (-shift).max(0) as u32;
    let product = srdhm(x << left, splat(multiplier));
    if right == 0 {
        product
    } else {
        rounding_divide_by_pot(product, right)
    }
}

/// `exp(x)` for `x` in `[-1/4, 0)`, Q0.31 in and out: gemmlowp's Taylor
/// polynomial around `-1/8`.
#[inline(always)]
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: I32s) -> I32s {
    let constant_term = splat(1895147668); // exp(-1/8) in Q0.31
    let x = a + splat(1 << 28);
    let x2 = srdhm(x, x);
    let x3 = srdhm(x2, x);
    let x4 = srdhm(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let third = splat(715827883); // 1/3 in Q0.31
    let poly = rounding_divide_by_pot(srdhm(x4_over_4 + x3, third) + x2, 1);
    constant_term + srdhm(constant_term, x + poly)
}

/// gemmlowp `exp_on_negative_values` for Q5.26 lanes, Q0.31 results:
/// the polynomial on the value modulo 1/4, then one multiplication by
/// `exp(-2^k)` (k = -2..=4) per set bit of the remaining whole quarters.
#[inline(always)]
pub(crate) fn exp_on_negative_values_q5(a: I32s) -> I32s {
    let one_quarter = splat(1 << 24);
    let a_mod_quarter_minus_one_quarter = (a & splat((1 << 24) - 1)) - one_quarter;
    let mut result =
        exp_on_interval_between_negative_one_quarter_and_0_excl(saturating_shl(a_mod_quarter_minus_one_quarter, 5));
    let remainder = a_mod_quarter_minus_one_quarter - a;
    let steps: [(u32, i32); 7] = [
        (24, 1672461947), // exp(-1/4)
        (25, 1302514674), // exp(-1/2)
        (26, 790015084),  // exp(-1)
        (27, 290630308),  // exp(-2)
        (28, 39332535),   // exp(-4)
        (29, 720401),     // exp(-8)
        (30, 242),        // exp(-16)
    ];
    for (bit, multiplier) in steps {
        let set = (remainder & splat(1 << bit)).simd_ne(splat(0));
        result = set.select(srdhm(result, splat(multiplier)), result);
    }
    a.simd_eq(splat(0)).select(splat(i32::MAX), result)
}

/// gemmlowp `one_over_one_plus_x_for_x_in_0_1` (Q0.31 in and out):
/// Newton-Raphson on the half denominator in Q2.29, three steps.
#[inline(always)]
pub(crate) fn one_over_one_plus_x_for_x_in_0_1(a: I32s) -> I32s {
    let half_denominator = rounding_half_sum_with_one(a);
    let mut x = splat(1515870810) + srdhm(half_denominator, splat(-1010580540)); // 48/17 - 32/17 * d
    for _ in 0..3 {
        let e = splat(1 << 29) - srdhm(half_denominator, x);
        x = x + saturating_shl(srdhm(x, e), 2);
    }
    saturating_shl(x, 1)
}

/// `RoundingHalfSum(a, One)` with `One = i32::MAX`: gemmlowp halves the
/// 64-bit `a + 2^31 - 1` plus its sign. For `a > i32::MIN` that is
/// `floor((a + 2^31) / 2) = (a >> 1) + 2^30`, which fits; `a = i32::MIN`
/// gives `-2 / 2 = -1`.
#[inline(always)]
fn rounding_half_sum_with_one(a: I32s) -> I32s {
    let r = (a >> 1) + splat(1 << 30);
    a.simd_eq(splat(i32::MIN)).select(splat(-1), r)
}

/// TFLite `log_x_for_x_greater_than_or_equal_to_1_impl<5, input_integer_bits>`:
/// `log(x)` in Q5.26 for `x > 0` in Q`input_integer_bits` (scalar, via lanes).
pub(crate) fn log_x_for_x_ge_1_q5(x: i32, input_integer_bits: i32) -> i32 {
    let log_2 = splat(1488522236);
    let sqrt_sqrt_half = splat(1805811301);
    let sqrt_half = splat(1518500250);
    // Rescale<6>(1/4): the quarter in Q6.25.
    let shifted_quarter = 1 << 23;
    let z_a = splat(x);
    let z_a_headroom_plus_1 = (x as u32).leading_zeros();
    let r_a_tmp = shl_saturating_or_keep(z_a, z_a_headroom_plus_1.saturating_sub(1));
    let r_a = shl_saturating_or_keep(srdhm(r_a_tmp, sqrt_half), 1);
    let pow2 = |bits: i32| saturating_shl(splat(bits), 25).to_array()[0];
    let z_a_pow_2_adj =
        pow2(input_integer_bits.wrapping_sub(z_a_headroom_plus_1 as i32)).saturating_add(shifted_quarter);
    let z_b = srdhm(z_a, sqrt_half);
    let z_b_headroom = (z_b.to_array()[0] as u32).leading_zeros().saturating_sub(1);
    let r_b = shl_saturating_or_keep(z_a, z_b_headroom);
    let z_b_pow_2_adj = pow2(input_integer_bits.wrapping_sub(z_b_headroom as i32)).saturating_sub(shifted_quarter);

    let r = r_a.min(r_b);
    let z_pow_2_adj = splat(z_a_pow_2_adj.max(z_b_pow_2_adj));
    // RoundingHalfSum(r, sqrt_sqrt_half), both operands positive here, in i64
    // lanes' stead: r and the constant are < 2^31, so the halves fit.
    let p = (r >> 1) + (sqrt_sqrt_half >> 1) + ((r | sqrt_sqrt_half) & splat(1));
    let q = (r - sqrt_sqrt_half) << 1;
    let common_sq = srdhm(q, q);
    let num = srdhm(q, r) + srdhm(srdhm(q, common_sq), splat(117049297));
    let denom_minus_one =
        srdhm(p, splat(1057819769) + q + srdhm(splat(127690142), common_sq)) + srdhm(splat(638450708), q);
    let recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
    let num_scaled = rounding_divide_by_pot(num, 6);
    saturating_shl(srdhm(z_pow_2_adj, log_2) + srdhm(num_scaled, recip_denom), 1).to_array()[0]
}

/// `SaturatingRoundingMultiplyByPOTParam` for `exponent >= 0`.
#[inline(always)]
fn shl_saturating_or_keep(x: I32s, exponent: u32) -> I32s {
    if exponent == 0 {
        x
    } else {
        saturating_shl(x, exponent.min(31))
    }
}
