use super::row::{Row, inf_share, scan};
use super::sum::neumaier;
use crate::Error;

/// Reference [`softmax`](crate::softmax): `expf(x_i - m) / S`, `S` a
/// compensated sum, divided (not multiplied by `1/S`).
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    if out.len() != x.len() {
        return Err(Error::LengthMismatch {
            expected: x.len(),
            found: out.len(),
        });
    }
    out.copy_from_slice(x);
    softmax_in_place(out);
    Ok(())
}

/// Reference [`softmax_in_place`](crate::softmax_in_place).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_in_place(x: &mut [f32]) {
    softmax_row(x, 1.0);
}

/// `softmax(beta * x)` in place as `expf(beta * (x_i - m)) / S` (with
/// `beta = 1`, bit for bit the unscaled reference: `1 * d == d`).
pub(super) fn softmax_row(x: &mut [f32], beta: f32) {
    match scan(x) {
        Row::Nan => x.fill(f32::NAN),
        Row::Masked => x.fill(0.0),
        Row::PosInf { k } => x.iter_mut().for_each(|v| *v = inf_share(*v, k)),
        Row::Finite { m, .. } => {
            let s = neumaier(x.iter().map(|&v| libm::expf(beta * (v - m))));
            for v in x.iter_mut() {
                *v = libm::expf(beta * (*v - m)) / s;
            }
        }
    }
}
