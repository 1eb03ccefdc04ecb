use super::logsumexp::rest_sum;
use super::row::{Row, inf_log_share, scan};
use crate::Error;

/// Reference [`log_softmax`](crate::log_softmax): `(x_i - m) - log1p(S - 1)`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    if out.len() != x.len() {
        return Err(Error::LengthMismatch {
            expected: x.len(),
            found: out.len(),
        });
    }
    out.copy_from_slice(x);
    log_softmax_in_place(out);
    Ok(())
}

/// Reference [`log_softmax_in_place`](crate::log_softmax_in_place).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_in_place(x: &mut [f32]) {
    log_softmax_row(x, 1.0);
}

/// `log_softmax(beta * x)` in place as `beta * (x_i - m) - log1p(S - 1)`.
pub(super) fn log_softmax_row(x: &mut [f32], beta: f32) {
    match scan(x) {
        Row::Nan => x.fill(f32::NAN),
        Row::Masked => x.fill(f32::NEG_INFINITY),
        Row::PosInf { k } => x.iter_mut().for_each(|v| *v = inf_log_share(*v, k)),
        Row::Finite { m, arg } => {
            let l = libm::log1pf(rest_sum(x, m, arg, beta));
            for v in x.iter_mut() {
                *v = beta * (*v - m) - l;
            }
        }
    }
}
