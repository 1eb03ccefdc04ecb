//! int8 -> int8 log-softmax on i32 lanes (targets without SIMD lanes run
//! the row loop of [`softmax_s8_plain`](super::softmax_s8_plain) instead).

use super::fixedpoint::scalar;
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use super::fixedpoint::{
    I32s, LANES, exp_on_negative_values_q5, rounding_divide_by_pot, rounding_divide_by_pot_nonneg, splat,
};
use super::params::LogSoftmaxParams;
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use super::params::{check_rows, for_each_row};
use super::softmax_s8::ACCUM_SHIFT;
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use super::softmax_s8::{
    DiffTable, SMALL_STASH, SPAN, STASH, gather, keep_lanes, lane_sum, last_piece, load_diffs, negated_iota, piece,
    piece_mut, row_max_i8, scaled_diff, table_len, use_table,
};
// Targets without SIMD lanes run the int8 log-softmax on plain i32.
#[cfg(not(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
)))]
use super::softmax_s8_plain::log_softmax_s8_any;
use crate::Error;

/// Q5.26 to the output's Q4 (scale 1/16): `31 - 5 - 4` bits.
pub(crate) const OUTPUT_SHIFT: u32 = 22;

/// The Q5.26 scaled difference and the Q12.19 summand (0 below `diff_min`).
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
fn q5_and_summand(diff: I32s, params: &LogSoftmaxParams) -> (I32s, I32s) {
    let q5 = scaled_diff(diff, params.multiplier, params.shift);
    let summand = rounding_divide_by_pot_nonneg(exp_on_negative_values_q5(q5), ACCUM_SHIFT);
    (q5, diff.simd_lt(splat(params.diff_min)).select(splat(0), summand))
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
struct LogTables {
    q5: DiffTable,
    summand: DiffTable,
    /// Entries from here on are unused (differences below `diff_min`).
    len: usize,
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
impl LogTables {
    fn new(params: &LogSoftmaxParams) -> Self {
        let len = table_len(params.diff_min);
        let mut tables = LogTables {
            q5: [0; SPAN],
            summand: [0; SPAN],
            len,
        };
        let q5_chunks = tables.q5.as_chunks_mut::<LANES>().0;
        let sum_chunks = tables.summand.as_chunks_mut::<LANES>().0;
        for (i, (q, s)) in q5_chunks.iter_mut().zip(sum_chunks.iter_mut()).enumerate() {
            if i * LANES >= len {
                break;
            }
            let (q5, summand) = q5_and_summand(negated_iota(i * LANES), params);
            *q = q5.to_array();
            *s = summand.to_array();
        }
        tables
    }
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
/// The per-row output step: `log(sum)` and the cut-off difference.
struct RowScale {
    /// `log(sum of exps)` in Q5.26.
    log_sum: I32s,
    /// Differences up to this one output -128.
    adjusted_diff_min: I32s,
}

/// The per-row output step on plain i32: `(log(sum of exps) in Q5.26, the
/// cut-off difference)`; differences up to the cut-off output -128.
pub(crate) fn log_row_scale(sum: u64, params: &LogSoftmaxParams) -> (i32, i32) {
    // The sum holds at least the maximum's 2^19. Past i32 (4096 maxima,
    // where TFLite's sum wraps) keep its top 31 bits as Q(12 + k).
    let k = (64 - sum.leading_zeros()).saturating_sub(31);
    let log_sum = scalar::log_x_for_x_ge_1_q5((sum >> k) as i32, ACCUM_SHIFT as i32 + k as i32);
    let reverse = scalar::multiply_by_quantized_multiplier(
        log_sum.wrapping_add(i32::MIN),
        params.reverse_scaling_divisor,
        -params.reverse_scaling_right_shift,
    );
    (log_sum, params.diff_min.saturating_sub(1).max(reverse))
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
impl RowScale {
    fn new(sum: u64, params: &LogSoftmaxParams) -> Self {
        let (log_sum, adjusted_diff_min) = log_row_scale(sum, params);
        RowScale {
            log_sum: splat(log_sum),
            adjusted_diff_min: splat(adjusted_diff_min),
        }
    }

    /// The outputs of up to `LANES` differences and their Q5.26 values.
    #[inline(always)]
    fn emit(&self, out: &mut [i8], diff: I32s, q5: I32s) {
        let v = rounding_divide_by_pot(q5 - self.log_sum, OUTPUT_SHIFT) + splat(127);
        let v = v.max(splat(-128)).min(splat(127));
        let v = diff.simd_gt(self.adjusted_diff_min).select(v, splat(-128)).to_array();
        if let Ok(full) = <&mut [i8; LANES]>::try_from(&mut *out) {
            *full = v.map(|x| x as i8);
        } else {
            for (o, &x) in out.iter_mut().zip(&v) {
                *o = x as i8;
            }
        }
    }
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
/// A row of a long input: summands and Q5.26 values looked up in the
/// per-call tables.
fn log_softmax_row_table(row: &[i8], out: &mut [i8], params: &LogSoftmaxParams, t: &LogTables) {
    let max = row_max_i8(row);
    let sum = row
        .iter()
        .map(|&x| u64::from(gather_one(&t.summand, x, max) as u32))
        .sum();
    let scale = RowScale::new(sum, params);
    if row.len() >= t.len {
        // A long row: map every possible difference once, then look up.
        let mut mapped = [i8::MIN; SPAN];
        let pairs = mapped
            .as_chunks_mut::<LANES>()
            .0
            .iter_mut()
            .zip(t.q5.as_chunks::<LANES>().0);
        for (i, (m, q5)) in pairs.take(t.len.div_ceil(LANES)).enumerate() {
            scale.emit(m, negated_iota(i * LANES), I32s::new(*q5));
        }
        for (o, &x) in out.iter_mut().zip(row) {
            *o = gather_one(&mapped, x, max);
        }
    } else {
        for (chunk, out_chunk) in row.chunks(LANES).zip(out.chunks_mut(LANES)) {
            scale.emit(out_chunk, load_diffs(chunk, max), gather(&t.q5, chunk, max));
        }
    }
}

/// A row of a short input (at most `N` values, `N` a multiple of `LANES`):
/// exps computed in lanes,
/// the Q5.26 values kept on the stack for the output pass.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
fn log_softmax_row_direct<const N: usize>(row: &[i8], out: &mut [i8], params: &LogSoftmaxParams) {
    let max = row_max_i8(row);
    let mut stash = [0i32; N];
    let mut acc = splat(0);
    let (chunks, _) = row.as_chunks::<LANES>();
    let (slots, _) = stash.as_chunks_mut::<LANES>();
    for (chunk, slot) in chunks.iter().zip(slots.iter_mut()) {
        let (q5, summand) = q5_and_summand(load_diffs(chunk, max), params);
        *slot = q5.to_array();
        acc += summand;
    }
    let last = last_piece(row.len());
    if let (Some((start, skip)), Some(slot)) = (last, slots.get_mut(chunks.len())) {
        let chunk = piece(row, start);
        let (q5, summand) = q5_and_summand(load_diffs(chunk, max), params);
        *slot = q5.to_array();
        acc += keep_lanes(summand, skip, chunk.len());
    }
    let scale = RowScale::new(lane_sum(acc), params);
    let slots = stash.as_chunks::<LANES>().0;
    let out_chunks = out.as_chunks_mut::<LANES>().0.iter_mut();
    for ((chunk, out_chunk), slot) in chunks.iter().zip(out_chunks).zip(slots) {
        scale.emit(out_chunk, load_diffs(chunk, max), I32s::new(*slot));
    }
    if let (Some((start, _)), Some(slot)) = (last, slots.get(chunks.len())) {
        // An overlapping last load writes its first lanes again, unchanged.
        scale.emit(
            piece_mut(out, start),
            load_diffs(piece(row, start), max),
            I32s::new(*slot),
        );
    }
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
fn gather_one<T: Copy>(table: &[T; SPAN], x: i8, max: i8) -> T {
    table[(i32::from(max) - i32::from(x)) as usize & (SPAN - 1)]
}

/// int8 -> int8 log-softmax of every row, bit-exact with TFLite's reference
/// `LOG_SOFTMAX` (output scale 16/256, zero point 127).
///
/// Per row: `q_i = SRDHM((x_i - max) * 2^shift, multiplier)` (Q5.26),
/// `L = log(sum of exp(q_i) over x_i - max >= diff_min)` (Q5.26), and
/// `output[i] = clamp(RoundingDivideByPOT(q_i - L, 22) + 127, -128, 127)`
/// where `x_i - max > max(diff_min - 1, reverse(L - 2^31))`, else -128;
/// `reverse` maps Q5.26 back to input steps with `reverse_scaling_divisor`
/// and `reverse_scaling_right_shift`. Rows of 4096 maxima or more (where
/// TFLite's sum wraps) get the exact logarithm: see the [module docs](super).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`] as for [`softmax_s8`](super::softmax_s8);
/// [`Error::InvalidParameter`] when `params` breaks
/// [`LogSoftmaxParams::validate`]. Nothing is written on error.
///
/// # Example
/// ```
/// use softmax_simd::{Error, quantized::{LogSoftmaxParams, log_softmax_s8}};
///
/// // Two rows of three classes, input scale 1/16: the first row is
/// // [0.625, 1.25, 1.875] in real numbers.
/// let params = LogSoftmaxParams::new(0.0625)?;
/// let logits: [i8; 6] = [10, 20, 30, -5, 0, 5];
/// let mut out = [0i8; 6];
/// log_softmax_s8(&logits, 3, &params, &mut out)?;
/// assert_eq!(out, [97, 107, 117, 104, 109, 114]);
///
/// // A log-probability is (q - 127) / 16, within half a step of the real one.
/// let real = [0.625f32, 1.25, 1.875];
/// let lse = real.iter().map(|r| r.exp()).sum::<f32>().ln();
/// for (q, r) in out.iter().zip(real) {
///     assert!(((f32::from(*q) - 127.0) / 16.0 - (r - lse)).abs() <= 0.5 / 16.0);
/// }
///
/// // A row size of zero is an `Err`.
/// assert_eq!(log_softmax_s8(&logits, 0, &params, &mut out), Err(Error::NoClasses));
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_s8(
    input: &[i8],
    row_size: usize,
    params: &LogSoftmaxParams,
    output: &mut [i8],
) -> Result<(), Error> {
    log_softmax_s8_any(input, row_size, params, output)
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
fn log_softmax_s8_any(
    input: &[i8],
    row_size: usize,
    params: &LogSoftmaxParams,
    output: &mut [i8],
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    params.validate()?;
    if use_table(input.len(), params.diff_min) {
        let tables = LogTables::new(params);
        for_each_row(input, output, row_size, |row, out| {
            log_softmax_row_table(row, out, params, &tables)
        });
    } else {
        // Here `row_size <= input.len() < STASH`.
        if row_size <= SMALL_STASH {
            for_each_row(input, output, row_size, |row, out| {
                log_softmax_row_direct::<SMALL_STASH>(row, out, params)
            });
        } else {
            for_each_row(input, output, row_size, |row, out| {
                log_softmax_row_direct::<STASH>(row, out, params)
            });
        }
    }
    Ok(())
}
