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

/// Reference `argmax`: the first index of the max, for greedy decoding;
/// `None` for an empty row or any NaN (`+inf` is a max, and a row of only
/// `-inf` gives `Some(0)`).
///
/// ```
/// use softmax_simd::reference::argmax;
/// assert_eq!(argmax(&[1.0, 3.0, 3.0, -0.5]), Some(1));
/// assert_eq!(argmax(&[1.0, f32::NAN]), None);
/// assert_eq!(argmax(&[]), None);
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn argmax(x: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in x.iter().enumerate() {
        match best {
            _ if v.is_nan() => return None,
            Some((_, m)) if v <= m => {}
            _ => best = Some((i, v)),
        }
    }
    best.map(|(i, _)| i)
}
