use super::row::{Row, scan};
use super::sum::neumaier;

/// Reference [`logsumexp`](crate::logsumexp): `m + log1p(sum over i != arg of
/// expf(x_i - m))`, the sum compensated.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp(x: &[f32]) -> f32 {
    logsumexp_row(x, 1.0)
}

/// `logsumexp(beta * x)` as `beta * m + log1p(S - 1)`.
pub(super) fn logsumexp_row(x: &[f32], beta: f32) -> f32 {
    match scan(x) {
        Row::Nan => f32::NAN,
        Row::PosInf { .. } => f32::INFINITY,
        Row::Masked => f32::NEG_INFINITY,
        Row::Finite { m, arg } => beta * m + libm::log1pf(rest_sum(x, m, arg, beta)),
    }
}

/// `S - 1`: the compensated sum of `expf(beta * (x_i - m))` over every `i`
/// but `arg`.
pub(super) fn rest_sum(x: &[f32], m: f32, arg: usize, beta: f32) -> f32 {
    neumaier(
        x.iter()
            .enumerate()
            .filter(|&(i, _)| i != arg)
            .map(|(_, &v)| libm::expf(beta * (v - m))),
    )
}
