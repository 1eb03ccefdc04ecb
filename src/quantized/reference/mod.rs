//! Plain scalar versions of the quantized kernels: one element at a time,
//! a line-by-line transliteration of TFLite's reference kernels
//! (`reference/softmax.h`, `reference/log_softmax.h`) on the scalar
//! fixed-point primitives of the private `fixedpoint` module. They share no arithmetic with
//! the lane kernels of the parent module (only the parameter types, their
//! `validate` contract, the shape check and the int16 tables, which are
//! data) and serve as their oracle in tests and fuzzing.
//!
//! Same signatures, same `Err`s and the same outputs, bit for bit, as
//! [`softmax_s8`](super::softmax_s8), [`softmax_s8_s16`](super::softmax_s8_s16),
//! [`softmax_s16`](super::softmax_s16), [`softmax_s16_tflm`](super::softmax_s16_tflm)
//! and [`log_softmax_s8`](super::log_softmax_s8); see those for the formulas.

mod fixedpoint;

use self::fixedpoint::{
    exp_on_negative_values_q5, log_x_for_x_ge_1_q5, multiply_by_quantized_multiplier, one_over_one_plus_x_for_x_in_0_1,
    rounding_divide_by_pot, srdhm,
};
use super::params::check_rows;
use super::tables::{EXP_LUT, ONE_OVER_ONE_PLUS_X_LUT, ONE_OVER_ONE_PLUS_X_LUT_TFLM};
use super::{LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params};
use crate::Error;

/// Integer bits of the sum of exps (Q12.19), TFLite's `kAccumulationIntegerBits`.
const ACCUM_INTEGER_BITS: i32 = 12;

/// An int8 softmax output type: its minimum (the zero point) and bit width.
trait OutputInt: Copy {
    const LO: i32;
    const HI: i32;
    const BITS: i32;
    fn from_clamped(v: i32) -> Self;
}

impl OutputInt for i8 {
    const LO: i32 = i8::MIN as i32;
    const HI: i32 = i8::MAX as i32;
    const BITS: i32 = 8;
    fn from_clamped(v: i32) -> Self {
        v.clamp(Self::LO, Self::HI) as i8
    }
}

impl OutputInt for i16 {
    const LO: i32 = i16::MIN as i32;
    const HI: i32 = i16::MAX as i32;
    const BITS: i32 = 16;
    fn from_clamped(v: i32) -> Self {
        v.clamp(Self::LO, Self::HI) as i16
    }
}

/// The row's Q5.26 scaled difference, or `None` below `diff_min`.
fn scaled_diff(x: i8, max: i8, params: &SoftmaxParams) -> Option<i32> {
    let diff = i32::from(x) - i32::from(max);
    if diff >= params.diff_min {
        // MultiplyByQuantizedMultiplierGreaterThanOne: shift >= 0, no right shift.
        Some(srdhm(
            diff.wrapping_mul(1i32.wrapping_shl(params.shift as u32)),
            params.multiplier,
        ))
    } else {
        None
    }
}

/// The sum of `Rescale<12>(exp)` over the row, in Q12.19, exact in u64.
/// TFLite keeps it in an int32 that wraps at 4096 maxima and reads it back
/// as u32 (pitfall 2): identical below 2^32, and exact beyond.
fn sum_of_exps(row: &[i8], max: i8, params: &SoftmaxParams) -> u64 {
    let mut sum = 0u64;
    for &x in row {
        if let Some(d) = scaled_diff(x, max, params) {
            let e = rounding_divide_by_pot(exp_on_negative_values_q5(d), ACCUM_INTEGER_BITS as u32);
            // `e` is in [0, 2^19]: the exp of a non-positive Q5.26 value.
            sum += u64::from(e as u32);
        }
    }
    sum
}

fn row_max<T: Copy + Ord>(row: &[T], lowest: T) -> T {
    let mut max = lowest;
    for &x in row {
        if x > max {
            max = x;
        }
    }
    max
}

/// TFLite `GetReciprocal(sum, 12)` on the u64 sum: `(1 / (sum / 2^n))` in
/// Q0.31 and `n`, the number of bits of `sum` above Q12.19's unit. For
/// sums below 2^32 this is exactly TFLite's u32 computation.
fn reciprocal(sum: u64) -> (i32, i32) {
    let headroom_plus_one = sum.leading_zeros() as i32 - 32; // < 0 past u32
    let num_bits_over_unit = ACCUM_INTEGER_BITS - headroom_plus_one;
    let normalized = if headroom_plus_one >= 0 {
        (sum << headroom_plus_one) as u32
    } else {
        (sum >> -headroom_plus_one) as u32
    };
    let shifted_sum_minus_one = normalized.wrapping_sub(1 << 31) as i32;
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one),
        num_bits_over_unit,
    )
}

fn softmax_s8_any<O: OutputInt>(
    input: &[i8],
    row_size: usize,
    params: &SoftmaxParams,
    output: &mut [O],
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    params.validate()?;
    for (row, out) in input.chunks_exact(row_size).zip(output.chunks_exact_mut(row_size)) {
        let max = row_max(row, i8::MIN);
        let sum = sum_of_exps(row, max, params);
        let (shifted_scale, num_bits_over_unit) = reciprocal(sum);
        let exponent = (num_bits_over_unit + 31 - O::BITS).max(0) as u32;
        for (&x, o) in row.iter().zip(out.iter_mut()) {
            *o = match scaled_diff(x, max, params) {
                Some(d) => {
                    let e = exp_on_negative_values_q5(d);
                    let unsat = rounding_divide_by_pot(srdhm(shifted_scale, e), exponent);
                    O::from_clamped(unsat.wrapping_add(O::LO))
                }
                None => O::from_clamped(O::LO),
            };
        }
    }
    Ok(())
}

/// Scalar reference of [`softmax_s8`](super::softmax_s8).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s8(input: &[i8], row_size: usize, params: &SoftmaxParams, output: &mut [i8]) -> Result<(), Error> {
    softmax_s8_any(input, row_size, params, output)
}

/// Scalar reference of [`softmax_s8_s16`](super::softmax_s8_s16).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s8_s16(input: &[i8], row_size: usize, params: &SoftmaxParams, output: &mut [i16]) -> Result<(), Error> {
    softmax_s8_any(input, row_size, params, output)
}

/// TFLite `generic_int16_table_lookup`: linear interpolation in a 513-entry
/// table of the symmetric input `value` (`256 + value >> 7` the segment,
/// `value & 127` the offset, the slope rounded to Q0.15).
fn int16_table_lookup(value: i16, lut: &[i16; 513]) -> i16 {
    let index = (256 + (i32::from(value) >> 7)) as usize; // 0..=511
    let offset = i32::from(value) & 0x7f;
    let base = i32::from(lut[index]);
    let slope = i32::from(lut[index + 1]) - base;
    let delta = (slope * offset + (1 << 6)) >> 7;
    base.wrapping_add(delta) as i16
}

fn softmax_s16_with(
    input: &[i16],
    row_size: usize,
    params: &SoftmaxS16Params,
    output: &mut [i16],
    one_over_one_plus_x: &[i16; 513],
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    params.validate()?;
    for (row, out) in input.chunks_exact(row_size).zip(output.chunks_exact_mut(row_size)) {
        let max = row_max(row, i16::MIN);
        // Pass 1: the exps go to `out` (TFLite keeps them in a vector).
        let mut sum = 0u64;
        for (&x, o) in row.iter().zip(out.iter_mut()) {
            let diff = i32::from(x) - i32::from(max);
            let scaled = multiply_by_quantized_multiplier(diff, params.multiplier, params.shift);
            let sym = scaled.wrapping_add(32767).clamp(-32768, 32767) as i16;
            *o = int16_table_lookup(sym, &EXP_LUT);
            // The tables hold positive values, so `*o` is too.
            sum += u64::from(*o as u16);
        }
        // The reciprocal: TFLite normalises the int32 sum to bit 30 and keeps
        // 17 bits, rounding; for sums of 2^31 and more (over 65536
        // elements, where TFLite's shift goes negative) the same rounding
        // is extended exactly.
        let top_bit = 63 - sum.leading_zeros() as i32; // sum >= 32767: top_bit >= 14
        let shifted_sum = if top_bit >= 17 {
            let s = (top_bit - 16) as u32;
            ((sum + (1u64 << (s - 1))) >> s) as i32
        } else {
            (sum << (16 - top_bit).max(0)) as i32
        };
        let sym_shifted_sum = shifted_sum - ((1 << 15) + (1 << 16));
        let reciprocal = int16_table_lookup(sym_shifted_sum.clamp(-32768, 32767) as i16, one_over_one_plus_x);
        // TFLite's `right_shift = 31 - headroom_plus_one` is the sum's top bit.
        let right_shift = top_bit.max(1) as u32;
        for o in out.iter_mut() {
            let product = i64::from(*o) * i64::from(reciprocal);
            let result = (product + (1i64 << (right_shift - 1))) >> right_shift;
            *o = result.clamp(0, 32767) as i16;
        }
    }
    Ok(())
}

/// Scalar reference of [`softmax_s16`](super::softmax_s16) (TFLite tables).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s16(input: &[i16], row_size: usize, params: &SoftmaxS16Params, output: &mut [i16]) -> Result<(), Error> {
    softmax_s16_with(input, row_size, params, output, &ONE_OVER_ONE_PLUS_X_LUT)
}

/// Scalar reference of [`softmax_s16_tflm`](super::softmax_s16_tflm)
/// (TFLite Micro / CMSIS-NN 1/(1+x) table).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s16_tflm(
    input: &[i16],
    row_size: usize,
    params: &SoftmaxS16Params,
    output: &mut [i16],
) -> Result<(), Error> {
    softmax_s16_with(input, row_size, params, output, &ONE_OVER_ONE_PLUS_X_LUT_TFLM)
}

/// Scalar reference of [`log_softmax_s8`](super::log_softmax_s8).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_s8(
    input: &[i8],
    row_size: usize,
    params: &LogSoftmaxParams,
    output: &mut [i8],
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    params.validate()?;
    let q5 = |diff: i32| multiply_by_quantized_multiplier(diff, params.multiplier, params.shift);
    for (row, out) in input.chunks_exact(row_size).zip(output.chunks_exact_mut(row_size)) {
        let max = i32::from(row_max(row, i8::MIN));
        let mut sum = 0u64;
        for &x in row {
            let diff = i32::from(x) - max;
            if diff >= params.diff_min {
                let e = rounding_divide_by_pot(exp_on_negative_values_q5(q5(diff)), ACCUM_INTEGER_BITS as u32);
                sum += u64::from(e as u32);
            }
        }
        // Below 2^31 this is TFLite's Q12.19 int32 sum. Beyond (4096 and
        // more maxima, where TFLite's sum wraps negative) drop the low bits
        // and count them as integer bits instead: log stays exact in form.
        let extra_bits = (64 - sum.leading_zeros() as i32 - 31).max(0);
        let log_sum = log_x_for_x_ge_1_q5((sum >> extra_bits) as i32, ACCUM_INTEGER_BITS + extra_bits);
        let shifted_log_sum = log_sum.wrapping_add(i32::MIN);
        let adjusted_diff_min = params.diff_min.saturating_sub(1).max(multiply_by_quantized_multiplier(
            shifted_log_sum,
            params.reverse_scaling_divisor,
            -params.reverse_scaling_right_shift,
        ));
        for (&x, o) in row.iter().zip(out.iter_mut()) {
            let diff = i32::from(x) - max;
            *o = if diff > adjusted_diff_min {
                let unsat = rounding_divide_by_pot(q5(diff).wrapping_sub(log_sum), 31 - 5 - 4).wrapping_add(127);
                unsat.clamp(-128, 127) as i8
            } else {
                i8::MIN
            };
        }
    }
    Ok(())
}
