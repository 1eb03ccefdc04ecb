//! Regenerates the int16 lookup tables from TFLite's `gen_lut` formula and
//! compares them with the checked-in constants of `quantized::tables`.

use softmax_simd::quantized::tables::{EXP_LUT, ONE_OVER_ONE_PLUS_X_LUT, ONE_OVER_ONE_PLUS_X_LUT_TFLM};

/// TFLite `gen_lut` for an int16 table on `[lo, hi]` with output range
/// `[-1, 1]`, in f64 (TFLite's kernels).
fn gen_lut_f64(f: fn(f64) -> f64, lo: f64, hi: f64) -> [i16; 513] {
    let step = (hi - lo) / 512.0;
    let half_step = step / 2.0;
    let scale = 65536.0 / 2.0;
    let mut lut = [0i16; 513];
    for (i, entry) in lut.iter_mut().take(512).enumerate() {
        let x = lo + i as f64 * step;
        let val = f(x);
        let val_midpoint = f(x + half_step);
        let val_next = f(lo + (i + 1) as f64 * step);
        let sample = libm::round(val * scale);
        let midpoint_interp = libm::round((val_next * scale + libm::round(val * scale)) / 2.0);
        let midpoint = libm::round(val_midpoint * scale);
        let bias = libm::round((midpoint_interp - midpoint) / 2.0);
        *entry = (sample - bias).clamp(-32768.0, 32767.0) as i16;
    }
    lut[512] = libm::round(f(hi) * scale).clamp(-32768.0, 32767.0) as i16;
    lut
}

/// The same formula in f32 throughout (TFLite Micro, CMSIS-NN).
fn gen_lut_f32(f: fn(f32) -> f32, lo: f32, hi: f32) -> [i16; 513] {
    let step = (hi - lo) / 512.0;
    let half_step = step / 2.0;
    let scale = 65536.0f32 / 2.0;
    let mut lut = [0i16; 513];
    for (i, entry) in lut.iter_mut().take(512).enumerate() {
        let x = lo + i as f32 * step;
        let val = f(x);
        let val_midpoint = f(x + half_step);
        let val_next = f(lo + (i + 1) as f32 * step);
        let sample = libm::roundf(val * scale);
        let midpoint_interp = libm::roundf((val_next * scale + libm::roundf(val * scale)) / 2.0);
        let midpoint = libm::roundf(val_midpoint * scale);
        let bias = libm::roundf((midpoint_interp - midpoint) / 2.0);
        *entry = (sample - bias).clamp(-32768.0, 32767.0) as i16;
    }
    lut[512] = libm::roundf(f(hi) * scale).clamp(-32768.0, 32767.0) as i16;
    lut
}

#[test]
fn exp_table_regenerates_in_f64_and_f32() {
    assert_eq!(gen_lut_f64(libm::exp, -10.0, 0.0), EXP_LUT);
    // TFLite Micro builds it in f32: the same table.
    assert_eq!(gen_lut_f32(libm::expf, -10.0, 0.0), EXP_LUT);
}

#[test]
fn one_over_one_plus_x_tables_regenerate() {
    assert_eq!(gen_lut_f64(|x| 1.0 / (1.0 + x), 0.0, 1.0), ONE_OVER_ONE_PLUS_X_LUT);
    assert_eq!(gen_lut_f32(|x| 1.0 / (1.0 + x), 0.0, 1.0), ONE_OVER_ONE_PLUS_X_LUT_TFLM);
}

#[test]
fn tflm_table_differs_exactly_at_160_and_294() {
    let diffs: Vec<(usize, i16, i16)> = (0..513)
        .filter(|&i| ONE_OVER_ONE_PLUS_X_LUT[i] != ONE_OVER_ONE_PLUS_X_LUT_TFLM[i])
        .map(|i| (i, ONE_OVER_ONE_PLUS_X_LUT_TFLM[i], ONE_OVER_ONE_PLUS_X_LUT[i]))
        .collect();
    assert_eq!(diffs, [(160, 24966, 24967), (294, 20816, 20815)]);
}
