//! int16 -> int16 softmax on i32 lanes (TFLite `SoftmaxInt16`).

use super::fixedpoint::scalar;
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use super::fixedpoint::{multiply_by_quantized_multiplier, on_x8};
use super::params::{SoftmaxS16Params, check_rows};
use super::tables::{EXP_LUT, ONE_OVER_ONE_PLUS_X_LUT, ONE_OVER_ONE_PLUS_X_LUT_TFLM};
use crate::Error;
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
use wide::{bytemuck::cast, i16x8, i16x16, i32x8};

/// Interpolated lookup of one symmetric Q0.15 value `v` (in the i16
/// range) in a 513-entry Q0.15 table: segment `256 + (v >> 7)`, offset
/// `v & 127`, TFLite's `base + (slope * offset + 64) >> 7` added in int16
/// (the per-row `1/(1+x)`, and the exps of the last few values of a row).
fn lookup_one(v: i32, lut: &[i16; 513]) -> i32 {
    // `v >> 7` is in -256..=255; the mask only spares a bounds check.
    let i = ((v >> 7) + 256) as usize & 511;
    let base = i32::from(lut[i]);
    let delta = ((i32::from(lut[i + 1]) - base) * (v & 0x7f) + (1 << 6)) >> 7;
    i32::from((base + delta) as i16)
}

/// [`EXP_LUT`] by segment: entry `i` holds `EXP_LUT[i]` in its low and
/// `EXP_LUT[i + 1]` in its high 16 bits, so a lookup loads once.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
static EXP_SEGMENTS: [i32; 512] = segments(&EXP_LUT);

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
const fn segments(lut: &[i16; 513]) -> [i32; 512] {
    let mut out = [0i32; 512];
    let mut i = 0;
    while i < 512 {
        out[i] = (lut[i] as u16 as i32) | ((lut[i + 1] as i32) << 16);
        i += 1;
    }
    out
}

/// The Q0.15 exps of eight inputs: `EXP_LUT` interpolated at
/// `clamp(MultiplyByQuantizedMultiplier(x - max) + 32767)`. [`EXP_LUT`]
/// rises from 0 to 32767, so each interpolated value lies between its two
/// entries: in `0..=32767`, no int16 wrap to model.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
fn exps(x: i16x8, max: i16, params: &SoftmaxS16Params) -> i32x8 {
    let diff = i32x8::from_i16x8(x) - i32x8::splat(i32::from(max));
    let scaled = on_x8(diff, |d| {
        multiply_by_quantized_multiplier(d, params.multiplier, params.shift)
    });
    // Recentre [-65535, 0] to the table's symmetric range; the saturating
    // narrowing is the clamp to [-32768, 32767].
    let sym = i16x8::from_i32x8_saturate(scaled + i32x8::splat(32767));
    let index: i16x8 = (sym >> 7_u32) + i16x8::splat(256);
    // `index` is in 0..=511; the mask only spares a bounds check.
    let packed = i32x8::new(index.to_array().map(|i| EXP_SEGMENTS[i as usize & 511]));
    // `slope * offset = next * offset - base * offset`: one 16-bit
    // multiply-add of the (base, next) pairs with (-offset, offset).
    let offset = i32x8::from_i16x8(sym & i16x8::splat(0x7f));
    let weights: i16x16 = cast((offset << 16) | ((i32x8::splat(0) - offset) & i32x8::splat(0xffff)));
    let slope_times_offset = cast::<i32x8, i16x16>(packed).dot(weights);
    (packed & i32x8::splat(0xffff)) + ((slope_times_offset + i32x8::splat(1 << 6)) >> 7)
}

#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
fn row_max_i16(row: &[i16]) -> i16 {
    let (chunks, tail) = row.as_chunks::<8>();
    let mut acc = i16x8::splat(i16::MIN);
    for chunk in chunks {
        acc = acc.max(i16x8::new(*chunk));
    }
    match row.last_chunk::<8>() {
        // The last eight values cover the tail (and overlap, harmlessly).
        Some(last) => acc.max(i16x8::new(*last)).reduce_max(),
        None => tail.iter().fold(i16::MIN, |m, &x| m.max(x)),
    }
}

/// The exps of a few values (those that do not fill a vector) one at a
/// time to `out`; returns their sum.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
fn exps_one_by_one(values: &[i16], out: &mut [i16], max: i16, params: &SoftmaxS16Params) -> u64 {
    let mut sum = 0u64;
    for (o, &x) in out.iter_mut().zip(values) {
        let diff = i32::from(x) - i32::from(max);
        let scaled = scalar::multiply_by_quantized_multiplier(diff, params.multiplier, params.shift);
        let e = lookup_one(scaled.wrapping_add(32767).clamp(-32768, 32767), &EXP_LUT);
        *o = e as i16;
        sum += e as u64;
    }
    sum
}

/// The exps of a row's whole vectors go to `out_chunks`; returns their
/// exact sum.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
fn chunk_exps(chunks: &[[i16; 8]], out_chunks: &mut [[i16; 8]], max: i16, params: &SoftmaxS16Params) -> u64 {
    let mut sum = 0u64;
    // A lane gains at most 32767 per chunk: 2^15 chunks stay below 2^31.
    for (block, out_block) in chunks.chunks(1 << 15).zip(out_chunks.chunks_mut(1 << 15)) {
        let mut acc = i32x8::splat(0);
        for (chunk, out_chunk) in block.iter().zip(out_block) {
            let exp = exps(i16x8::new(*chunk), max, params);
            *out_chunk = i16x8::from_i32x8_saturate(exp).to_array();
            acc += exp;
        }
        sum += acc.to_array().iter().map(|&e| e as u64).sum::<u64>();
    }
    sum
}

/// `clamp((e * reciprocal + 2^(t-1)) >> t, 0, 32767)` of eight exps; the
/// product of two values in `0..=32767` fits i32 and is non-negative, and
/// the saturating narrowing is the clamp.
#[cfg(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
))]
#[inline(always)]
fn normalise(exp: [i16; 8], reciprocal: i16x8, round: i32x8, t: u32) -> [i16; 8] {
    let product = i16x8::new(exp).widening_mul(reciprocal);
    i16x8::from_i32x8_saturate((product + round) >> t).to_array()
}

/// [`normalise`] of one exp.
#[inline(always)]
fn normalise_one(exp: i16, reciprocal: i32, t: u32) -> i16 {
    ((i32::from(exp) * reciprocal + (1 << (t.max(1) - 1))) >> t).min(32767) as i16
}

/// The row's scaling from the sum of its exps: `(1 / (1 + x)` from the
/// table, `t`) with `t` the sum's top bit (>= 14: the maximum alone gives
/// 32767), or `None` when `t > 30` and every output rounds to 0. TFLite
/// scales the sum to 17 bits, rounding half up, takes `1 / (1 + x)` of its
/// fraction from the table, and shifts the products right by `t`.
fn row_scale(sum: u64, one_over_one_plus_x: &[i16; 513]) -> Option<(i16, u32)> {
    let t = 63 - sum.leading_zeros().min(63);
    if t > 30 {
        return None;
    }
    let shifted_sum = if t > 16 {
        let drop = t - 16;
        (sum >> drop) + ((sum >> (drop - 1)) & 1)
    } else {
        sum << (16 - t)
    };
    let x = (shifted_sum as i32 - (3 << 15)).clamp(-32768, 32767);
    Some((lookup_one(x, one_over_one_plus_x) as i16, t))
}

/// One row with AVX2: a row of eight values or more ends with one
/// vector of its last eight, overlapping the last whole one (measured
/// faster there than the scalar tail).
#[cfg(target_feature = "avx2")]
fn softmax_s16_row(row: &[i16], out: &mut [i16], params: &SoftmaxS16Params, one_over_one_plus_x: &[i16; 513]) {
    let max = row_max_i16(row);
    let (chunks, tail) = row.as_chunks::<8>();
    let last = row.last_chunk::<8>();
    let mut sum = chunk_exps(chunks, out.as_chunks_mut::<8>().0, max, params);
    match last {
        // Only the tail's lanes join the sum; the others are written twice.
        Some(last) if !tail.is_empty() => {
            let exp = exps(i16x8::new(*last), max, params);
            if let Some(out_last) = out.last_chunk_mut::<8>() {
                *out_last = i16x8::from_i32x8_saturate(exp).to_array();
            }
            sum += exp
                .to_array()
                .iter()
                .skip(8 - tail.len())
                .map(|&e| e as u64)
                .sum::<u64>();
        }
        Some(_) => {}
        None => sum += exps_one_by_one(row, out, max, params),
    }
    let Some((r, t)) = row_scale(sum, one_over_one_plus_x) else {
        out.fill(0);
        return;
    };
    let (reciprocal, round) = (i16x8::splat(r), i32x8::splat(1 << (t.max(1) - 1)));
    // The last eight from the exps before the overlap is overwritten.
    let last = match out.as_chunks::<8>().1 {
        [] => None,
        _ => out.last_chunk::<8>().map(|e| normalise(*e, reciprocal, round, t)),
    };
    let (chunks, tail) = out.as_chunks_mut::<8>();
    for chunk in chunks.iter_mut() {
        *chunk = normalise(*chunk, reciprocal, round, t);
    }
    if chunks.is_empty() {
        for o in tail {
            *o = normalise_one(*o, i32::from(r), t);
        }
    } else if let (Some(v), Some(out_last)) = (last, out.last_chunk_mut::<8>()) {
        *out_last = v;
    }
}

/// One row without AVX2: the last few values one at a time (measured
/// faster there than an overlapping vector).
#[cfg(all(
    not(target_feature = "avx2"),
    any(
        target_feature = "sse2",
        all(target_arch = "aarch64", target_feature = "neon"),
        target_feature = "simd128"
    )
))]
fn softmax_s16_row(row: &[i16], out: &mut [i16], params: &SoftmaxS16Params, one_over_one_plus_x: &[i16; 513]) {
    let max = row_max_i16(row);
    let (chunks, tail) = row.as_chunks::<8>();
    let (out_chunks, out_tail) = out.as_chunks_mut::<8>();
    let mut sum = chunk_exps(chunks, out_chunks, max, params);
    sum += exps_one_by_one(tail, out_tail, max, params);
    let Some((r, t)) = row_scale(sum, one_over_one_plus_x) else {
        out.fill(0);
        return;
    };
    let (chunks, tail) = out.as_chunks_mut::<8>();
    for chunk in chunks {
        *chunk = normalise(*chunk, i16x8::splat(r), i32x8::splat(1 << (t.max(1) - 1)), t);
    }
    for o in tail {
        *o = normalise_one(*o, i32::from(r), t);
    }
}

/// One row where the lanes are arrays (Cortex-M): every value one at a
/// time, in registers (the lane path would run the same arithmetic through
/// memory, with a 2 KiB table of segments besides `EXP_LUT`). Compiled
/// everywhere: the host tests check it against the reference.
#[cfg_attr(
    any(
        target_feature = "sse2",
        all(target_arch = "aarch64", target_feature = "neon"),
        target_feature = "simd128"
    ),
    allow(dead_code)
)]
fn softmax_s16_row_plain(row: &[i16], out: &mut [i16], params: &SoftmaxS16Params, one_over_one_plus_x: &[i16; 513]) {
    let mut max = i16::MIN;
    for &x in row {
        if x > max {
            max = x;
        }
    }
    // MultiplyByQuantizedMultiplier with the row's shifts and rounding
    // threshold hoisted: `srdhm(d << left, multiplier)` (never `MIN * MIN`:
    // the multiplier is > 0), then a rounding shift right by `right`.
    let left = params.shift.max(0) as u32;
    let right = (-params.shift).clamp(0, 31) as u32;
    let mask = ((1u64 << right) - 1) as i32;
    let half = mask >> 1;
    let mut sum = 0u64;
    for (o, &x) in out.iter_mut().zip(row) {
        let diff = i32::from(x) - i32::from(max);
        let p = scalar::srdhm_wrapping(diff.wrapping_shl(left), params.multiplier);
        let scaled = match right {
            0 => p, // shift >= 0, the usual case: no rounding shift
            _ => (p >> right) + i32::from(p & mask > half + i32::from(p < 0)),
        };
        let e = lookup_one(scaled.wrapping_add(32767).clamp(-32768, 32767), &EXP_LUT);
        *o = e as i16;
        sum += e as u64;
    }
    let Some((r, t)) = row_scale(sum, one_over_one_plus_x) else {
        out.fill(0);
        return;
    };
    for o in out.iter_mut() {
        *o = normalise_one(*o, i32::from(r), t);
    }
}

#[cfg(not(any(
    target_feature = "sse2",
    all(target_arch = "aarch64", target_feature = "neon"),
    target_feature = "simd128"
)))]
use self::softmax_s16_row_plain as softmax_s16_row;

fn softmax_s16_with(
    input: &[i16],
    row_size: usize,
    params: &SoftmaxS16Params,
    output: &mut [i16],
    one_over_one_plus_x: &[i16; 513],
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    params.validate()?;
    if input.len() == row_size {
        // One row: no division for `chunks_exact` to make.
        softmax_s16_row(input, output, params, one_over_one_plus_x);
        return Ok(());
    }
    // Rows by `chunks_exact`: splitting the slices as the int8 kernels do
    // measured slower on long SSE2 rows here.
    for (row, out) in input.chunks_exact(row_size).zip(output.chunks_exact_mut(row_size)) {
        softmax_s16_row(row, out, params, one_over_one_plus_x);
    }
    Ok(())
}

/// int16 -> int16 softmax of every row, bit-exact with TFLite's reference
/// `SOFTMAX` (input zero point 0; output scale 1/32768, zero point 0).
///
/// Per row: `e_i = EXP_LUT(clamp(MultiplyByQuantizedMultiplier(x_i - max,
/// multiplier, shift) + 32767))` in Q0.15 (the difference mapped to `[-10,
/// 0]`), `S = sum e_i` with top bit `t`, `r = ONE_OVER_ONE_PLUS_X_LUT(S`
/// scaled to 17 bits` - 98304)`, `output[i] = clamp((e_i * r + 2^(t-1)) >>
/// t, 0, 32767)`. The tables are [`tables::EXP_LUT`](super::tables::EXP_LUT)
/// and [`tables::ONE_OVER_ONE_PLUS_X_LUT`](super::tables::ONE_OVER_ONE_PLUS_X_LUT);
/// pair with [`SoftmaxS16Params::new`].
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NoClasses`],
/// [`Error::NotMultipleOfClasses`] as for [`softmax_s8`](super::softmax_s8);
/// [`Error::InvalidParameter`] when `params` breaks
/// [`SoftmaxS16Params::validate`]. Nothing is written on error.
///
/// # Example
/// ```
/// use softmax_simd::{Error, quantized::{SoftmaxS16Params, softmax_s16}};
///
/// // Input scale 1/1024, zero point 0: the row is [1, 0, -1, 2] in real numbers.
/// let params = SoftmaxS16Params::new(1.0 / 1024.0, 1.0)?;
/// let x: [i16; 4] = [1024, 0, -1024, 2048];
/// let mut q = [0i16; 4];
/// softmax_s16(&x, 4, &params, &mut q)?;
/// assert_eq!(q, [7763, 2855, 1051, 21098]);
///
/// // A probability is q / 32768.
/// let real = [1.0f32, 0.0, -1.0, 2.0];
/// let sum: f32 = real.iter().map(|r| r.exp()).sum();
/// for (q, r) in q.iter().zip(real) {
///     assert!((f32::from(*q) / 32768.0 - r.exp() / sum).abs() < 2e-4);
/// }
///
/// // Parameters that break `validate` are an `Err`.
/// let zero = SoftmaxS16Params { multiplier: 0, shift: 0 };
/// assert_eq!(
///     softmax_s16(&x, 4, &zero, &mut q),
///     Err(Error::InvalidParameter("multiplier must be > 0"))
/// );
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s16(input: &[i16], row_size: usize, params: &SoftmaxS16Params, output: &mut [i16]) -> Result<(), Error> {
    softmax_s16_with(input, row_size, params, output, &ONE_OVER_ONE_PLUS_X_LUT)
}

/// [`softmax_s16`] with TFLite Micro's and CMSIS-NN's `1/(1+x)` table
/// ([`tables::ONE_OVER_ONE_PLUS_X_LUT_TFLM`](super::tables::ONE_OVER_ONE_PLUS_X_LUT_TFLM),
/// built in f32); pair with [`SoftmaxS16Params::new_tflm`] to match
/// TFLite Micro bit for bit.
///
/// # Errors
/// As [`softmax_s16`].
///
/// # Example
/// ```
/// use softmax_simd::quantized::{SoftmaxS16Params, softmax_s16, softmax_s16_tflm};
///
/// // Input scale 0.001, beta 0.7: softmax of [0, 0, -0.4732] is
/// // [0.38124, 0.38124, 0.23752], 12492.54 and 7782.92 output steps of
/// // 1/32768. The parameters differ in the multiplier's last bits (TFLite
/// // Micro forms `input_scale * beta` in f64, TFLite in f32), enough to put
/// // the first two outputs on either side of 12492.5.
/// let x: [i16; 3] = [0, 0, -676];
/// let mut tflm = [0i16; 3];
/// softmax_s16_tflm(&x, 3, &SoftmaxS16Params::new_tflm(0.001, 0.7)?, &mut tflm)?;
/// assert_eq!(tflm, [12492, 12492, 7783]);
///
/// let mut tflite = [0i16; 3];
/// softmax_s16(&x, 3, &SoftmaxS16Params::new(0.001, 0.7)?, &mut tflite)?;
/// assert_eq!(tflite, [12493, 12493, 7783]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s16_tflm(
    input: &[i16],
    row_size: usize,
    params: &SoftmaxS16Params,
    output: &mut [i16],
) -> Result<(), Error> {
    softmax_s16_with(input, row_size, params, output, &ONE_OVER_ONE_PLUS_X_LUT_TFLM)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tables::{ONE_OVER_ONE_PLUS_X_LUT, ONE_OVER_ONE_PLUS_X_LUT_TFLM};
    use super::super::{SoftmaxS16Params, reference};
    use super::softmax_s16_row_plain;
    use std::vec;

    /// The plain row loop (what Cortex-M runs) equals the scalar reference
    /// on rows of 1 to 70000 values (sums past 2^31), narrow and wide
    /// spreads, both `1/(1+x)` tables and parameters from `new`/`new_tflm`
    /// and arbitrary valid ones.
    #[test]
    fn plain_softmax_s16_matches_reference() {
        let mut state = 0x2545_f491u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for round in 0..600u32 {
            let params = match round % 3 {
                0 => SoftmaxS16Params::new([1.0 / 2048.0, 0.01, 1.0, 1e-4][(round / 3 % 4) as usize], 1.0),
                1 => SoftmaxS16Params::new_tflm(1.0 / 4096.0, [1.0, 0.3, 2.5][(round / 3 % 3) as usize]),
                _ => Ok(SoftmaxS16Params {
                    multiplier: (next() >> 1).max(1) as i32,
                    shift: (next() % 63) as i32 - 31,
                }),
            }
            .expect("valid parameters");
            let n = match round % 4 {
                0 => 1 + next() as usize % 16,
                1 => 1 + next() as usize % 300,
                2 => 1 + next() as usize % 3000,
                _ => [65535, 65536, 65537, 70000][next() as usize % 4],
            };
            let spread = [1u32, 16, 1024, 65536][next() as usize % 4];
            let top = (next() % 65536) as i32 - 32768;
            let row: std::vec::Vec<i16> = (0..n)
                .map(|_| (top - (next() % spread) as i32).max(-32768) as i16)
                .collect();
            let tflm = round % 2 == 1;
            let lut = if tflm {
                &ONE_OVER_ONE_PLUS_X_LUT_TFLM
            } else {
                &ONE_OVER_ONE_PLUS_X_LUT
            };
            let mut plain = vec![0i16; n];
            let mut want = vec![0i16; n];
            softmax_s16_row_plain(&row, &mut plain, &params, lut);
            if tflm {
                reference::softmax_s16_tflm(&row, n, &params, &mut want).expect("valid call");
            } else {
                reference::softmax_s16(&row, n, &params, &mut want).expect("valid call");
            }
            assert_eq!(plain, want, "{params:?} n {n}");
        }
    }
}
