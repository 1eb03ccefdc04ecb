//! Neumaier's compensated sum (Neumaier 1974, the improved Kahan-Babuska
//! sum): error at most `2u |sum| + O(n u^2) sum |v|`, independent of `n` to
//! first order.

pub(super) fn neumaier(values: impl IntoIterator<Item = f32>) -> f32 {
    let mut sum = 0.0f32;
    let mut comp = 0.0f32;
    let mut plain = 0.0f32;
    for v in values {
        plain += v;
        let t = sum + v;
        if libm::fabsf(sum) >= libm::fabsf(v) {
            comp += (sum - t) + v;
        } else {
            comp += (v - t) + sum;
        }
        sum = t;
    }
    // With an infinite (or NaN) term the compensation is inf - inf: the
    // plain sum is then the right answer.
    if plain.is_finite() { sum + comp } else { plain }
}
