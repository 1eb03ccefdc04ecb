//! int8-input softmax on i32 lanes: [`softmax_s8`] and [`softmax_s8_s16`],
//! plus the int8 helpers [`log_softmax_s8`](super::log_softmax_s8) shares.
//! Targets without SIMD lanes run the row loop of
//! [`softmax_s8_plain`](super::softmax_s8_plain) instead.

use super::fixedpoint::scalar;
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use super::fixedpoint::{I32s, LANES, Lanes, splat, srdhm_by_nonneg};
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use super::fixedpoint::{exp_on_negative_values_q5, rounding_divide_by_pot_nonneg, srdhm_nonneg};
use super::params::SoftmaxParams;
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use super::params::{check_rows, for_each_row};
// Targets without SIMD lanes run the int8 softmax on plain i32.
#[cfg(not(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
)))]
use super::softmax_s8_plain::softmax_s8_any;
use crate::Error;

/// Q12.19: the sum of exps keeps 12 integer bits (`kAccumulationIntegerBits`).
pub(crate) const ACCUM_SHIFT: u32 = 12;

/// Every difference `max - x` an int8 row can have, `0..=255`.
pub(crate) const SPAN: usize = 256;

/// A per-call table over the 256 possible differences, indexed by `max - x`.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) type DiffTable = [i32; SPAN];

/// How many table entries can be non-zero: differences down to `diff_min`.
pub(crate) fn table_len(diff_min: i32) -> usize {
    (diff_min.unsigned_abs() as usize).saturating_add(1).min(SPAN)
}

/// Rows on the direct path keep their exps on the stack: at most this many.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) const STASH: usize = 128;

/// The stash of rows up to this long: less to zero per row.
pub(crate) const SMALL_STASH: usize = 16;

/// The table pays for itself once the passes over the input would evaluate
/// about as many exps as it holds. Inputs of `STASH` values or more always
/// take it, so a direct-path row always fits the stash.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn use_table(input_len: usize, diff_min: i32) -> bool {
    input_len >= (table_len(diff_min) / 2).min(STASH)
}

/// The lane vector of `k, k+1, ..`: the differences `-k..` of a table chunk.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn negated_iota(base: usize) -> I32s {
    let mut lanes: Lanes = [0; LANES];
    for (i, lane) in lanes.iter_mut().enumerate() {
        *lane = -((base + i) as i32);
    }
    I32s::new(lanes)
}

/// The maximum of an int8 row (`i8::MIN` for an empty one), 16 at a time.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
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
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn load_diffs(chunk: &[i8], max: i8) -> I32s {
    if let Ok(full) = <&[i8; LANES]>::try_from(chunk) {
        // A whole vector: a plain widening the compiler vectorises.
        return I32s::new(full.map(i32::from)) - splat(i32::from(max));
    }
    let mut lanes: Lanes = [0; LANES];
    for (lane, &x) in lanes.iter_mut().zip(chunk) {
        *lane = i32::from(x) - i32::from(max);
    }
    I32s::new(lanes)
}

/// `table[max - x]` for up to `LANES` values.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
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
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn scaled_diff(diff: I32s, multiplier: i32, shift: i32) -> I32s {
    srdhm_by_nonneg(diff << (shift as u32), splat(multiplier))
}

/// `exp` of the scaled difference, 0 where `diff < diff_min`.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
fn masked_exp(diff: I32s, params: &SoftmaxParams) -> I32s {
    let e = exp_on_negative_values_q5(scaled_diff(diff, params.multiplier, params.shift));
    diff.simd_lt(splat(params.diff_min)).select(splat(0), e)
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
/// The exps (Q0.31) and their Q12.19 summands of every difference.
struct ExpTables {
    exp: DiffTable,
    summand: DiffTable,
    /// Entries from here on are 0 (differences below `diff_min`).
    len: usize,
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
impl ExpTables {
    fn new(params: &SoftmaxParams) -> Self {
        let len = table_len(params.diff_min);
        let mut tables = ExpTables {
            exp: [0; SPAN],
            summand: [0; SPAN],
            len,
        };
        let exp_chunks = tables.exp.as_chunks_mut::<LANES>().0;
        let sum_chunks = tables.summand.as_chunks_mut::<LANES>().0;
        for (i, (e, s)) in exp_chunks.iter_mut().zip(sum_chunks.iter_mut()).enumerate() {
            if i * LANES >= len {
                break;
            }
            let exp = masked_exp(negated_iota(i * LANES), params);
            *e = exp.to_array();
            *s = rounding_divide_by_pot_nonneg(exp, ACCUM_SHIFT).to_array();
        }
        tables
    }
}

/// The last load of a short row of `len` values that is not a multiple of
/// `LANES`, as `(start, skip)`: the last `LANES` values, whose first
/// `skip` lanes overlap the last whole vector (no partial load, no padding
/// to mask), or, under `LANES` values, the whole row, partially.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn last_piece(len: usize) -> Option<(usize, usize)> {
    let tail = len % LANES;
    (tail != 0).then(|| match len.checked_sub(LANES) {
        Some(start) => (start, LANES - tail),
        None => (0, 0),
    })
}

/// The up to `LANES` values of `s` from `start`.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn piece<T>(s: &[T], start: usize) -> &[T] {
    let rest = s.get(start..).unwrap_or_default();
    rest.get(..LANES).unwrap_or(rest)
}

/// [`piece`] of a mutable slice.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn piece_mut<T>(s: &mut [T], start: usize) -> &mut [T] {
    let rest = s.get_mut(start..).unwrap_or_default();
    let n = rest.len().min(LANES);
    rest.split_at_mut_checked(n).map_or(&mut [], |(head, _)| head)
}

/// Keeps lanes `skip..valid` of a load (see [`pieces`]), zeroes the rest:
/// lanes counted by the previous load, or past a partial load's values.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn keep_lanes(v: I32s, skip: usize, valid: usize) -> I32s {
    if skip == 0 && valid >= LANES {
        return v;
    }
    // `negated_iota(0)` holds `-i` in lane `i`: `i >= skip` and `i < valid`.
    let lane = negated_iota(0);
    v & lane.simd_lt(splat(1 - skip as i32)) & lane.simd_gt(splat(-(valid.min(LANES) as i32)))
}

/// The exact sum of lanes in `0..2^31`. Direct-path rows (under `STASH`
/// values) add summands of at most 2^19 lane-wise first: no i32 overflow.
/// TFLite's int32 sum wraps at 4096 maxima; below 2^32 the u32 reading its
/// reciprocal uses and this sum agree.
#[inline(always)]
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
pub(crate) fn lane_sum(v: I32s) -> u64 {
    v.to_array().iter().map(|&s| u64::from(s as u32)).sum()
}

/// TFLite `GetReciprocal` on the exact sum: `1 / (sum / 2^n)` in Q0.31 and
/// `n`, the bits of the Q12.19 sum above its unit (`n = 44 - lz64(sum)`).
pub(crate) fn reciprocal(sum: u64) -> (i32, i32) {
    let lz = sum.leading_zeros();
    // The top 32 bits of the normalised sum: its top bit is set.
    let top = (sum.wrapping_shl(lz) >> 32) as u32;
    let x = top.wrapping_sub(1 << 31) as i32;
    let scale = scalar::one_over_one_plus_x_for_x_in_0_1(x);
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

/// The per-row scale: `(1/sum in Q0.31, RoundingDivideByPOT exponent)`,
/// or `None` when the exponent is 32 or more: `SRDHM(1/sum, exp)` is in
/// `[0, 2^31)`, so every output rounds to the minimum (pitfall 1, where
/// TFLite aborts).
#[inline(always)]
pub(crate) fn output_shift<O: SoftmaxOut>(sum: u64) -> Option<(i32, u32)> {
    let (scale, num_bits_over_unit) = reciprocal(sum);
    let exponent = num_bits_over_unit + 31 - O::BITS;
    (exponent < 32).then(|| (scale, exponent.max(0) as u32))
}

/// [`output_shift`] with the scale in every lane.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
fn output_scale<O: SoftmaxOut>(sum: u64) -> Option<(I32s, u32)> {
    output_shift::<O>(sum).map(|(scale, exponent)| (splat(scale), exponent))
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
/// `clamp(RoundingDivideByPOT(SRDHM(scale, exp), exponent) + MIN)` to `out`.
#[inline(always)]
fn emit<O: SoftmaxOut>(out: &mut [O], exp: I32s, (scale, exponent): (I32s, u32)) {
    // The reciprocal and the exps are >= 0.
    let v = rounding_divide_by_pot_nonneg(srdhm_nonneg(scale, exp), exponent) + splat(O::MIN);
    let v = v.max(splat(O::MIN)).min(splat(O::MAX)).to_array();
    if let Ok(full) = <&mut [O; LANES]>::try_from(&mut *out) {
        *full = v.map(O::narrow);
    } else {
        for (o, &x) in out.iter_mut().zip(&v) {
            *o = O::narrow(x);
        }
    }
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
/// A row of a long input: exps looked up in the per-call tables.
fn softmax_row_table<O: SoftmaxOut>(row: &[i8], out: &mut [O], tables: &ExpTables) {
    let max = row_max_i8(row);
    let index = |x: i8| (i32::from(max) - i32::from(x)) as usize & (SPAN - 1);
    let sum = row.iter().map(|&x| u64::from(tables.summand[index(x)] as u32)).sum();
    let Some(scale) = output_scale::<O>(sum) else {
        out.fill(O::narrow(O::MIN));
        return;
    };
    if row.len() >= tables.len {
        // A long row: map every possible difference once, then look up.
        let mut mapped = [O::narrow(O::MIN); SPAN];
        let pairs = mapped
            .as_chunks_mut::<LANES>()
            .0
            .iter_mut()
            .zip(tables.exp.as_chunks::<LANES>().0);
        for (m, exp) in pairs.take(tables.len.div_ceil(LANES)) {
            emit(m, I32s::new(*exp), scale);
        }
        for (o, &x) in out.iter_mut().zip(row) {
            *o = mapped[index(x)];
        }
    } else {
        for (chunk, out_chunk) in row.chunks(LANES).zip(out.chunks_mut(LANES)) {
            emit(out_chunk, gather(&tables.exp, chunk, max), scale);
        }
    }
}

/// A row of a short input (at most `N` values, `N` a multiple of `LANES`):
/// exps computed in lanes once and kept on the stack for the output pass.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
fn softmax_row_direct<O: SoftmaxOut, const N: usize>(row: &[i8], out: &mut [O], params: &SoftmaxParams) {
    let max = row_max_i8(row);
    let mut stash = [0i32; N];
    let mut acc = splat(0);
    let (chunks, _) = row.as_chunks::<LANES>();
    let (slots, _) = stash.as_chunks_mut::<LANES>();
    // The Q12.19 summand of each exp: `RoundingDivideByPOT(exp, 12)`.
    let summand = |exp| rounding_divide_by_pot_nonneg(exp, ACCUM_SHIFT);
    for (chunk, slot) in chunks.iter().zip(slots.iter_mut()) {
        let exp = masked_exp(load_diffs(chunk, max), params);
        *slot = exp.to_array();
        acc += summand(exp);
    }
    let last = last_piece(row.len());
    if let (Some((start, skip)), Some(slot)) = (last, slots.get_mut(chunks.len())) {
        let chunk = piece(row, start);
        let exp = masked_exp(load_diffs(chunk, max), params);
        *slot = exp.to_array();
        acc += keep_lanes(summand(exp), skip, chunk.len());
    }
    let Some(scale) = output_scale::<O>(lane_sum(acc)) else {
        out.fill(O::narrow(O::MIN));
        return;
    };
    let slots = stash.as_chunks::<LANES>().0;
    for (out_chunk, slot) in out.as_chunks_mut::<LANES>().0.iter_mut().zip(slots) {
        emit(out_chunk, I32s::new(*slot), scale);
    }
    if let (Some((start, _)), Some(slot)) = (last, slots.get(chunks.len())) {
        // An overlapping last load writes its first lanes again, unchanged.
        emit(piece_mut(out, start), I32s::new(*slot), scale);
    }
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
fn softmax_s8_any<O: SoftmaxOut>(
    input: &[i8],
    row_size: usize,
    params: &SoftmaxParams,
    output: &mut [O],
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    params.validate()?;
    if use_table(input.len(), params.diff_min) {
        let tables = ExpTables::new(params);
        for_each_row(input, output, row_size, |row, out| softmax_row_table(row, out, &tables));
    } else {
        // Here `row_size <= input.len() < STASH`.
        if row_size <= SMALL_STASH {
            for_each_row(input, output, row_size, |row, out| {
                softmax_row_direct::<O, SMALL_STASH>(row, out, params)
            });
        } else {
            for_each_row(input, output, row_size, |row, out| {
                softmax_row_direct::<O, STASH>(row, out, params)
            });
        }
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
///
/// # Example
/// ```
/// use softmax_simd::{Error, quantized::{SoftmaxParams, softmax_s8}};
///
/// // Two rows of three classes, input scale 1/16: the first row is
/// // [0.625, 1.25, 1.875] in real numbers.
/// let params = SoftmaxParams::new(0.0625, 1.0)?;
/// let logits: [i8; 6] = [10, 20, 30, -5, 0, 5];
/// let mut probs = [0i8; 6];
/// softmax_s8(&logits, 3, &params, &mut probs)?;
/// assert_eq!(probs, [-88, -53, 13, -68, -45, -15]);
///
/// // A probability is (q + 128) / 256, within half a step of the real softmax.
/// let real = [0.625f32, 1.25, 1.875];
/// let sum: f32 = real.iter().map(|r| r.exp()).sum();
/// for (q, r) in probs.iter().zip(real) {
///     assert!(((f32::from(*q) + 128.0) / 256.0 - r.exp() / sum).abs() <= 0.5 / 256.0);
/// }
///
/// // Six values are not whole rows of four: an `Err`, and nothing written.
/// assert_eq!(
///     softmax_s8(&logits, 4, &params, &mut probs),
///     Err(Error::NotMultipleOfClasses { len: 6, classes: 4 })
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
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
///
/// # Example
/// ```
/// use softmax_simd::{Error, quantized::{SoftmaxParams, softmax_s8_s16}};
///
/// // The rows of the `softmax_s8` example, with 256 times finer outputs.
/// let params = SoftmaxParams::new(0.0625, 1.0)?;
/// let logits: [i8; 6] = [10, 20, 30, -5, 0, 5];
/// let mut probs = [0i16; 6];
/// softmax_s8_s16(&logits, 3, &params, &mut probs)?;
/// assert_eq!(probs, [-22461, -13513, 3206, -17293, -11617, -3858]);
///
/// // A probability is (q + 32768) / 65536.
/// let real = [0.625f32, 1.25, 1.875];
/// let sum: f32 = real.iter().map(|r| r.exp()).sum();
/// for (q, r) in probs.iter().zip(real) {
///     assert!(((f32::from(*q) + 32768.0) / 65536.0 - r.exp() / sum).abs() < 1e-4);
/// }
///
/// // An output of the wrong length is an `Err`.
/// assert_eq!(
///     softmax_s8_s16(&logits, 3, &params, &mut [0i16; 5]),
///     Err(Error::LengthMismatch { expected: 6, found: 5 })
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s8_s16(input: &[i8], row_size: usize, params: &SoftmaxParams, output: &mut [i16]) -> Result<(), Error> {
    softmax_s8_any(input, row_size, params, output)
}
