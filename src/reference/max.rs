/// Reference [`max`](crate::max): a plain loop; NaN if any NaN, `-inf` if empty.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn max(x: &[f32]) -> f32 {
    let mut m = f32::NEG_INFINITY;
    for &v in x {
        if v.is_nan() {
            return f32::NAN;
        }
        if v > m {
            m = v;
        }
    }
    m
}
