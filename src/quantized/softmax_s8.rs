//! int8-input softmax on i32 lanes: [`softmax_s8`] and [`softmax_s8_s16`],
//! plus the int8 helpers [`log_softmax_s8`](super::log_softmax_s8) shares.

use super::fixedpoint::{
    I32s, LANES, Lanes, exp_on_negative_values_q5, one_over_one_plus_x_for_x_in_0_1, rounding_divide_by_pot, splat,
    srdhm,
};
use super::params::{SoftmaxParams, check_rows};
use crate::Error;

/// Q12.19: the sum of exps keeps 12 integer bits (`kAccumulationIntegerBits`).
pub(crate) const ACCUM_SHIFT: u32 = 12;

/// Every difference `max - x` an int8 row can have, `0..=255`.
pub(crate) const SPAN: usize = 256;

/// A per-call table over the 256 possible differences, indexed by `max - x`.
pub(crate) type DiffTable = [i32; SPAN];

/// How many table entries can be non-zero: differences down to `diff_min`.
pub(crate) fn table_len(diff_min: i32) -> usize {
    (diff_min.unsigned_abs() as usize).saturating_add(1).min(SPAN)
}

/// The table pays for itself once the two passes over the input would
/// evaluate more exps than it holds.
pub(crate) fn use_table(input_len: usize, diff_min: i32) -> bool {
    input_len >= table_len(diff_min) / 2
}

/// The lane vector of `k, k+1, ..`: the differences `-k..` of a table chunk.
pub(crate) fn negated_iota(base: usize) -> I32s {
    let mut lanes: Lanes = [0; LANES];
    for (i, lane) in lanes.iter_mut().enumerate() {
        *lane = -((base + i) as i32);
    }
    I32s::new(lanes)
}

/// The maximum of an int8 row (`i8::MIN` for an empty one), 16 at a time.
pub(crate) fn row_max_i8(row: &[i8]) -> i8 {
    let (chunks, tail) = row.as_chunks::<16>();
    let mut acc = wide::i8x16::splat(i8::MIN);
    for chunk in chunks {
        acc = acc.max(wide::i8x16::new(*chunk));
    }
    tail.iter().fold(acc.reduce_max(), |m, &x| m.max(x))
}

/// `x - max` for up to `LANES` values; missing lanes get 0 (a maximum).
#[inline(always)]
pub(crate) fn load_diffs(chunk: &[i8], max: i8) -> I32s {
    let mut lanes: Lanes = [0; LANES];
    for (lane, &x) in lanes.iter_mut().zip(chunk) {
        *lane = i32::from(x) - i32::from(max);
    }
    I32s::new(lanes)
}

/// `table[max - x]` for up to `LANES` values.
#[inline(always)]
pub(crate) fn gather(table: &DiffTable, chunk: &[i8], max: i8) -> I32s {
    let mut lanes: Lanes = [0; LANES];
    for (lane, &x) in lanes.iter_mut().zip(chunk) {
        *lane = table[(i32::from(max) - i32::from(x)) as usize & (SPAN - 1)];
    }
    I32s::new(lanes)
}

/// `SRDHM(d * 2^shift, multiplier)`: the Q5.26 scaled difference (the left
/// shift wraps, as TFLite's `d * (1 << shift)` does on hardware).
#[inline(always)]
pub(crate) fn scaled_diff(diff: I32s, multiplier: i32, shift: i32) -> I32s {
    srdhm(diff << (shift as u32), splat(multiplier))
}

/// `exp` of the scaled difference, 0 where `diff < diff_min`.
#[inline(always)]
fn masked_exp(diff: I32s, params: &SoftmaxParams) -> I32s {
    let e = exp_on_negative_values_q5(scaled_diff(diff, params.multiplier, params.shift));
    diff.simd_lt(splat(params.diff_min)).select(splat(0), e)
}

/// The exps (Q0.31) and their Q12.19 summands of every difference.
struct ExpTables {
    exp: DiffTable,
    summand: DiffTable,
}

impl ExpTables {
    fn new(params: &SoftmaxParams) -> Self {
        let mut tables = ExpTables {
            exp: [0; SPAN],
            summand: [0; SPAN],
        };
        let len = table_len(params.diff_min);
        let exp_chunks = tables.exp.as_chunks_mut::<LANES>().0;
        let sum_chunks = tables.summand.as_chunks_mut::<LANES>().0;
        for (i, (e, s)) in exp_chunks.iter_mut().zip(sum_chunks.iter_mut()).enumerate() {
            if i * LANES >= len {
                break;
            }
            let exp = masked_exp(negated_iota(i * LANES), params);
            *e = exp.to_array();
            *s = rounding_divide_by_pot(exp, ACCUM_SHIFT).to_array();
        }
        tables
    }
}

/// The Q12.19 sum of a row's exps, exact in u64 (TFLite's int32 wraps at
/// 4096 maxima; below 2^32 the u32 reading TFLite's reciprocal uses and
/// this sum agree).
fn sum_of_exps(row: &[i8], max: i8, params: &SoftmaxParams, tables: Option<&ExpTables>) -> u64 {
    match tables {
        Some(t) => {
            let index = |x: i8| (i32::from(max) - i32::from(x)) as usize & (SPAN - 1);
            row.iter().map(|&x| u64::from(t.summand[index(x)] as u32)).sum()
        }
        None => row
            .chunks(LANES)
            .map(|chunk| {
                let mut exp = masked_exp(load_diffs(chunk, max), params);
                // Padding lanes are maxima: drop them from the sum.
                let mut lanes = exp.to_array();
                lanes[chunk.len()..].fill(0);
                exp = I32s::new(lanes);
                let summands = rounding_divide_by_pot(exp, ACCUM_SHIFT).to_array();
                summands.iter().map(|&s| u64::from(s as u32)).sum::<u64>()
            })
            .sum(),
    }
}

/// TFLite `GetReciprocal` on the exact sum: `1 / (sum / 2^n)` in Q0.31 and
/// `n`, the bits of the Q12.19 sum above its unit (`n = 44 - lz64(sum)`).
pub(crate) fn reciprocal(sum: u64) -> (i32, i32) {
    let lz = sum.leading_zeros();
    // The top 32 bits of the normalised sum: its top bit is set.
    let top = (sum.wrapping_shl(lz) >> 32) as u32;
    let x = top.wrapping_sub(1 << 31) as i32;
    let scale = one_over_one_plus_x_for_x_in_0_1(splat(x)).to_array()[0];
    (scale, 44 - lz as i32)
}

/// An output type of the int8 softmax: its range and width.
pub(crate) trait SoftmaxOut: Copy {
    const MIN: i32;
    const MAX: i32;
    const BITS: i32;
    /// Narrowing of a value already clamped to `MIN..=MAX`.
    fn narrow(v: i32) -> Self;
}

impl SoftmaxOut for i8 {
    const MIN: i32 = -128;
    const MAX: i32 = 127;
    const BITS: i32 = 8;
    fn narrow(v: i32) -> Self {
        v as i8
    }
}

impl SoftmaxOut for i16 {
    const MIN: i32 = -32768;
    const MAX: i32 = 32767;
    const BITS: i32 = 16;
    fn narrow(v: i32) -> Self {
        v as i16
    }
}

fn softmax_row<O: SoftmaxOut>(row: &[i8], out: &mut [O], params: &SoftmaxParams, tables: Option<&ExpTables>) {
    let max = row_max_i8(row);
    let (scale, num_bits_over_unit) = reciprocal(sum_of_exps(row, max, params, tables));
    let exponent = num_bits_over_unit + 31 - O::BITS;
    if exponent >= 32 {
        // `SRDHM(1/sum, exp)` is in [0, 2^31): dividing it by 2^32 or more
        // rounds to 0 (pitfall 1, where TFLite aborts).
        out.fill(O::narrow(O::MIN));
        return;
    }
    let exponent = exponent.max(0) as u32;
    let scale = splat(scale);
    for (chunk, out_chunk) in row.chunks(LANES).zip(out.chunks_mut(LANES)) {
        let exp = match tables {
            Some(t) => gather(&t.exp, chunk, max),
            None => masked_exp(load_diffs(chunk, max), params),
        };
        let v = rounding_divide_by_pot(srdhm(scale, exp), exponent) + splat(O::MIN);
        let v = v.max(splat(O::MIN)).min(splat(O::MAX)).to_array();
        for (o, &x) in out_chunk.iter_mut().zip(&v) {
            *o = O::narrow(x);
        }
    }
}

fn softmax_s8_any<O: SoftmaxOut>(
    input: &[i8],
    row_size: usize,
    params: &SoftmaxParams,
    output: &mut [O],
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    params.validate()?;
    let tables = use_table(input.len(), params.diff_min).then(|| ExpTables::new(params));
    for (row, out) in input.chunks_exact(row_size).zip(output.chunks_exact_mut(row_size)) {
        softmax_row(row, out, params, tables.as_ref());
    }
    Ok(())
}

/// int8 -> int8 softmax of every row, bit-exact with TFLite's reference
/// `SOFTMAX` (output scale 1/256, zero point -128).
///
/// `output[i] = clamp(RoundingDivideByPOT(SRDHM(1/sum, exp_i), n + 23) - 128)`
/// per row, `exp_i = exp(SRDHM((x_i - max) * 2^shift, multiplier))` in
/// Q0.31 for `x_i - max >= diff_min` (else the output is -128), `sum` the
/// Q12.19 sum of the exps and `n` its bits above one. A row whose sum of
/// exps reaches 512 (where TFLite aborts) outputs -128 everywhere: see the
/// [module docs](crate::quantized).
///
/// # Errors
/// [`Error::LengthMismatch`] when `output.len() != input.len()`,
/// [`Error::NoClasses`] when `row_size == 0`,
/// [`Error::NotMultipleOfClasses`] when `input.len() % row_size != 0`,
/// [`Error::InvalidParameter`] when `params` breaks
/// [`SoftmaxParams::validate`]. Nothing is written on error.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s8(input: &[i8], row_size: usize, params: &SoftmaxParams, output: &mut [i8]) -> Result<(), Error> {
    softmax_s8_any(input, row_size, params, output)
}

/// int8 -> int16 softmax of every row, bit-exact with TFLite's reference
/// `SOFTMAX` (output scale 1/65536, zero point -32768).
///
/// As [`softmax_s8`] with `RoundingDivideByPOT(.., n + 15) - 32768`. Rows of
/// 4096 to 8191 maxima (where TFLite's int32 sum wraps but its reciprocal
/// reads it as u32) match TFLite; longer ones are extended exactly.
///
/// # Errors
/// As [`softmax_s8`].
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s8_s16(input: &[i8], row_size: usize, params: &SoftmaxParams, output: &mut [i16]) -> Result<(), Error> {
    softmax_s8_any(input, row_size, params, output)
}
