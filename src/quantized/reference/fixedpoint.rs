//! Scalar gemmlowp / TFLite fixed-point primitives, written as a plain
//! transliteration of the C++ (64-bit intermediates, one value at a time).
//!
//! This file is the oracle for `quantized::fixedpoint` (the lane version):
//! it shares no code with it. Every operation is total: where the C++ has
//! signed overflow (undefined behaviour) we wrap, as the hardware the C++
//! runs on does, and where the C++ shifts out of range we use the exact
//! mathematical extension (documented at each function).

/// gemmlowp `SaturatingRoundingDoublingHighMul`: `round(a * b / 2^31)`,
/// halves rounded towards +inf, saturating the single overflow case
/// `a == b == i32::MIN` to `i32::MAX`.
pub(crate) fn srdhm(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // |ab| <= 2^62 - 2^31 here, so `ab + nudge` cannot overflow; the quotient
    // fits in i32 because the only case that would not was excluded above.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp `RoundingDivideByPOT`: `x / 2^exponent`, halves rounded away
/// from zero. gemmlowp allows `exponent <= 31`; larger exponents (reached by
/// int8 softmax when a row's sum of exps is >= 512, pitfall 1) get the exact
/// extension, computed in 64 bits, capped at 63 where every i32 gives 0.
pub(crate) fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let e = exponent.min(63);
    let x = i64::from(x);
    let mask: i64 = ((1u64 << e) - 1) as i64;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i64::from(x < 0);
    ((x >> e) + i64::from(remainder > threshold)) as i32
}

/// gemmlowp `SaturatingRoundingMultiplyByPOT` for a positive exponent:
/// `x * 2^exponent`, saturated to the i32 range (`exponent` in `1..=31`).
pub(crate) fn saturating_shl(x: i32, exponent: u32) -> i32 {
    let wide = i64::from(x) << exponent;
    wide.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// TFLite `MultiplyByQuantizedMultiplier` (double rounding, the default
/// build): `RoundingDivideByPOT(SRDHM(x * 2^max(shift,0), m), max(-shift,0))`.
/// The left shift wraps like the C++ `x * (1 << shift)` does on hardware.
pub(crate) fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift as u32 } else { 0 };
    let right = if shift > 0 { 0 } else { shift.unsigned_abs() };
    let shifted = x.wrapping_mul(1i32.wrapping_shl(left));
    rounding_divide_by_pot(srdhm(shifted, multiplier), right)
}

/// gemmlowp `RoundingHalfSum`: `(a + b) / 2`, halves away from zero.
fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = i64::from(a) + i64::from(b);
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// Q0.31 one, as gemmlowp's `FixedPoint<int32, 0>::One()` (saturated).
const Q0_ONE: i32 = i32::MAX;

/// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl`, Q0.31.
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const CONSTANT_TERM: i32 = 1895147668; // exp(-1/8)
    const CONSTANT_1_OVER_3: i32 = 715827883;
    let x = a.wrapping_add(1 << 28); // a + 1/8
    let x2 = srdhm(x, x);
    let x3 = srdhm(x2, x);
    let x4 = srdhm(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let poly = rounding_divide_by_pot(srdhm(x4_over_4.wrapping_add(x3), CONSTANT_1_OVER_3).wrapping_add(x2), 1);
    CONSTANT_TERM.wrapping_add(srdhm(CONSTANT_TERM, x.wrapping_add(poly)))
}

/// gemmlowp `exp_on_negative_values` for a Q5.26 input, Q0.31 result.
pub(crate) fn exp_on_negative_values_q5(a: i32) -> i32 {
    const FRACTIONAL_BITS: u32 = 26;
    const ONE_QUARTER: i32 = 1 << (FRACTIONAL_BITS - 2);
    let a_mod_quarter_minus_one_quarter = (a & (ONE_QUARTER - 1)).wrapping_sub(ONE_QUARTER);
    // Rescale<0> from Q5.26 to Q0.31: a saturating multiply by 2^5.
    let mut result =
        exp_on_interval_between_negative_one_quarter_and_0_excl(saturating_shl(a_mod_quarter_minus_one_quarter, 5));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(-2^k) for k = -2..=4, gemmlowp's barrel shifter constants.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1672461947),
        (-1, 1302514674),
        (0, 790015084),
        (1, 290630308),
        (2, 39332535),
        (3, 720401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        let bit = 1i32 << (FRACTIONAL_BITS as i32 + exponent);
        if remainder & bit != 0 {
            result = srdhm(result, multiplier);
        }
    }
    if a == 0 { Q0_ONE } else { result }
}

/// gemmlowp `one_over_one_plus_x_for_x_in_0_1`: Q0.31 in, Q0.31 out,
/// three Newton-Raphson steps in Q2.29.
pub(crate) fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    const CONSTANT_48_OVER_17: i32 = 1515870810;
    const CONSTANT_NEG_32_OVER_17: i32 = -1010580540;
    const Q2_ONE: i32 = 1 << 29;
    let half_denominator = rounding_half_sum(a, Q0_ONE);
    let mut x = CONSTANT_48_OVER_17.wrapping_add(srdhm(half_denominator, CONSTANT_NEG_32_OVER_17));
    for _ in 0..3 {
        let half_denominator_times_x = srdhm(half_denominator, x);
        let one_minus = Q2_ONE.wrapping_sub(half_denominator_times_x);
        // Q2 * Q2 = Q4, Rescale<2>: saturating multiply by 4.
        x = x.wrapping_add(saturating_shl(srdhm(x, one_minus), 2));
    }
    // ExactMulByPot<-1> (Q2 -> Q1, same raw) then Rescale<0>: times 2, saturating.
    saturating_shl(x, 1)
}

/// TFLite `SaturatingRoundingMultiplyByPOTParam`: `x * 2^exponent` with
/// saturation for `exponent >= 0` (the only case the kernels reach).
fn saturating_rounding_multiply_by_pot_param(x: i32, exponent: u32) -> i32 {
    if exponent == 0 { x } else { saturating_shl(x, exponent) }
}

/// TFLite `log_x_for_x_greater_than_or_equal_to_1_impl<5, input_integer_bits>`
/// with the input integer bits a run-time value: `log(x)` in Q5.26 of
/// `x` in Q`input_integer_bits`. TFLite instantiates it with 12 (the Q12.19
/// sum of exps); the kernels pass more bits only for sums TFLite cannot
/// represent (see `log_softmax_s8`). Requires `x > 0`.
pub(crate) fn log_x_for_x_ge_1_q5(x: i32, input_integer_bits: i32) -> i32 {
    const ACCUM_INTEGER_BITS: u32 = 6; // OutputIntegerBits + 1
    const LOG_2: i32 = 1488522236;
    const SQRT_SQRT_HALF: i32 = 1805811301;
    const SQRT_HALF: i32 = 1518500250;
    const ONE_QUARTER: i32 = 536870912;
    const ALPHA_N: i32 = 117049297;
    const ALPHA_D: i32 = 127690142;
    const ALPHA_I: i32 = 1057819769;
    const ALPHA_F: i32 = 638450708;

    let shifted_quarter = rounding_divide_by_pot(ONE_QUARTER, ACCUM_INTEGER_BITS);
    let z_a = x;
    let z_a_headroom_plus_1 = (z_a as u32).leading_zeros();
    let r_a_tmp = saturating_rounding_multiply_by_pot_param(z_a, z_a_headroom_plus_1.saturating_sub(1));
    let r_a_raw = saturating_rounding_multiply_by_pot_param(srdhm(r_a_tmp, SQRT_HALF), 1);
    let z_a_pow_2_adj = saturating_shl(
        input_integer_bits.wrapping_sub(z_a_headroom_plus_1 as i32),
        31 - ACCUM_INTEGER_BITS,
    )
    .saturating_add(shifted_quarter);

    let z_b = srdhm(z_a, SQRT_HALF);
    let z_b_headroom = (z_b as u32).leading_zeros().saturating_sub(1);
    let r_b_raw = saturating_rounding_multiply_by_pot_param(z_a, z_b_headroom);
    let z_b_pow_2_adj = saturating_shl(
        input_integer_bits.wrapping_sub(z_b_headroom as i32),
        31 - ACCUM_INTEGER_BITS,
    )
    .saturating_sub(shifted_quarter);

    let r = r_a_raw.min(r_b_raw);
    let z_pow_2_adj = z_a_pow_2_adj.max(z_b_pow_2_adj);

    let p = rounding_half_sum(r, SQRT_SQRT_HALF);
    let mut q = r.wrapping_sub(SQRT_SQRT_HALF);
    q = q.wrapping_add(q);

    let common_sq = srdhm(q, q);
    let num = srdhm(q, r).wrapping_add(srdhm(srdhm(q, common_sq), ALPHA_N));
    let denom_minus_one_0 =
        srdhm(p, ALPHA_I.wrapping_add(q).wrapping_add(srdhm(ALPHA_D, common_sq))).wrapping_add(srdhm(ALPHA_F, q));
    let recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0);

    let num_scaled = rounding_divide_by_pot(num, ACCUM_INTEGER_BITS);
    let sum = srdhm(z_pow_2_adj, LOG_2).wrapping_add(srdhm(num_scaled, recip_denom));
    // Rescale<5> from Q6: times 2, saturating.
    saturating_shl(sum, 1)
}
