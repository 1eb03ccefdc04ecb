//! int16 -> int16 softmax on i32 lanes (TFLite `SoftmaxInt16`).

use super::fixedpoint::{I32s, LANES, Lanes, multiply_by_quantized_multiplier, splat};
use super::params::{SoftmaxS16Params, check_rows};
use super::tables::{EXP_LUT, ONE_OVER_ONE_PLUS_X_LUT, ONE_OVER_ONE_PLUS_X_LUT_TFLM};
use crate::Error;

/// TFLite's interpolation inside a table segment: `base + (slope * offset
/// + 64) >> 7`, added in int16 as TFLite does (the tables never wrap).
#[inline(always)]
fn interpolate(base: I32s, next: I32s, offset: I32s) -> I32s {
    let delta = ((next - base) * offset + splat(1 << 6)) >> 7;
    ((base + delta) << 16) >> 16
}

/// Interpolated lookup in a 513-entry Q0.15 table of symmetric Q0.15
/// inputs `v` (lanes already clamped to the i16 range): segment
/// `256 + (v >> 7)`, offset `v & 127`.
#[inline(always)]
fn table_lookup(v: I32s, lut: &[i16; 513]) -> I32s {
    let index: I32s = (v >> 7) + splat(256);
    let mut base: Lanes = [0; LANES];
    let mut next: Lanes = [0; LANES];
    for ((b, n), &i) in base.iter_mut().zip(next.iter_mut()).zip(index.as_array()) {
        // `i` is in 0..=511 for clamped lanes; the mask only spares a bounds check.
        let i = (i as usize) & 511;
        *b = i32::from(lut[i]);
        *n = i32::from(lut[i + 1]);
    }
    interpolate(I32s::new(base), I32s::new(next), v & splat(0x7f))
}

/// [`EXP_LUT`] by segment: entry `i` holds `EXP_LUT[i]` in its low and
/// `EXP_LUT[i + 1]` in its high 16 bits, so a lookup loads once.
static EXP_SEGMENTS: [i32; 512] = segments(&EXP_LUT);

const fn segments(lut: &[i16; 513]) -> [i32; 512] {
    let mut out = [0i32; 512];
    let mut i = 0;
    while i < 512 {
        out[i] = (lut[i] as u16 as i32) | ((lut[i + 1] as i32) << 16);
        i += 1;
    }
    out
}

/// [`table_lookup`] in [`EXP_LUT`] through [`EXP_SEGMENTS`].
#[inline(always)]
fn exp_lookup(v: I32s) -> I32s {
    let index: I32s = (v >> 7) + splat(256);
    let mut packed: Lanes = [0; LANES];
    for (p, &i) in packed.iter_mut().zip(index.as_array()) {
        *p = EXP_SEGMENTS[(i as usize) & 511];
    }
    let packed = I32s::new(packed);
    interpolate((packed << 16) >> 16, packed >> 16, v & splat(0x7f))
}

fn row_max_i16(row: &[i16]) -> i16 {
    let (chunks, tail) = row.as_chunks::<8>();
    let mut acc = wide::i16x8::splat(i16::MIN);
    for chunk in chunks {
        acc = acc.max(wide::i16x8::new(*chunk));
    }
    tail.iter().fold(acc.reduce_max(), |m, &x| m.max(x))
}

/// Lanes of an i16 chunk, missing lanes `fill`.
#[inline(always)]
fn load(chunk: &[i16], fill: i32) -> I32s {
    if let Ok(full) = <&[i16; LANES]>::try_from(chunk) {
        return I32s::new(full.map(i32::from));
    }
    let mut lanes: Lanes = [fill; LANES];
    for (lane, &x) in lanes.iter_mut().zip(chunk) {
        *lane = i32::from(x);
    }
    I32s::new(lanes)
}

/// Stores the low 16 bits of each lane (values already in the i16 range).
#[inline(always)]
fn store(out: &mut [i16], v: I32s) {
    let v = v.to_array();
    if let Ok(full) = <&mut [i16; LANES]>::try_from(&mut *out) {
        *full = v.map(|x| x as i16);
    } else {
        for (o, &x) in out.iter_mut().zip(&v) {
            *o = x as i16;
        }
    }
}

/// Adds the lanes (all in `0..2^31`) exactly.
fn lane_sum(v: I32s) -> u64 {
    v.to_array().iter().map(|&x| u64::from(x as u32)).sum()
}

/// The exps of one row go to `out`; returns their exact sum.
fn exps_to_output(row: &[i16], out: &mut [i16], params: &SoftmaxS16Params) -> u64 {
    let max = row_max_i16(row);
    let max_lanes = splat(i32::from(max));
    let mut sum = 0u64;
    let mut acc = splat(0);
    for (i, (chunk, out_chunk)) in row.chunks(LANES).zip(out.chunks_mut(LANES)).enumerate() {
        // Padding lanes are maxima here and are masked off the sum below.
        let diff = load(chunk, i32::from(max)) - max_lanes;
        let scaled = multiply_by_quantized_multiplier(diff, params.multiplier, params.shift);
        // Recentre [-65535, 0] to the table's symmetric [-32768, 32767].
        let sym = (scaled + splat(32767)).max(splat(-32768)).min(splat(32767));
        // The sum reads the int16 exps as u16 (they are all positive).
        let exp = exp_lookup(sym) & splat(0xffff);
        store(out_chunk, exp);
        if chunk.len() == LANES {
            acc += exp;
        } else {
            let mut lanes = exp.to_array();
            lanes[chunk.len().min(LANES)..].fill(0);
            acc += I32s::new(lanes);
        }
        // A lane gains < 2^16 per chunk: flush every 2^14 chunks.
        if i % (1 << 14) == (1 << 14) - 1 {
            sum += lane_sum(acc);
            acc = splat(0);
        }
    }
    sum + lane_sum(acc)
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
        let sum = exps_to_output(row, out, params);
        // The sum's top bit `t` (>= 14: the maximum alone gives 32767).
        // TFLite scales the sum to 17 bits, rounding half up, takes
        // 1 / (1 + x) of its fraction from the table, and shifts the
        // products right by `t`.
        let t = 63 - sum.leading_zeros().min(63);
        let shifted_sum = if t > 16 {
            let drop = t - 16;
            (sum >> drop) + ((sum >> (drop - 1)) & 1)
        } else {
            sum << (16 - t)
        };
        let x = (shifted_sum as i32 - (3 << 15)).clamp(-32768, 32767);
        let reciprocal = table_lookup(splat(x), one_over_one_plus_x);
        for out_chunk in out.chunks_mut(LANES) {
            // exp and reciprocal are in [0, 32767]: the product and the
            // rounding bit fit in i32, and for t >= 31 the result is 0.
            let v = if t <= 30 {
                let product = load(out_chunk, 0) * reciprocal;
                ((product + splat(1 << (t.max(1) - 1))) >> t)
                    .max(splat(0))
                    .min(splat(32767))
            } else {
                splat(0)
            };
            store(out_chunk, v);
        }
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
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_s16_tflm(
    input: &[i16],
    row_size: usize,
    params: &SoftmaxS16Params,
    output: &mut [i16],
) -> Result<(), Error> {
    softmax_s16_with(input, row_size, params, output, &ONE_OVER_ONE_PLUS_X_LUT_TFLM)
}
