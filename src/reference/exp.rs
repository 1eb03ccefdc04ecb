use crate::Error;

/// Reference [`exp`](crate::exp): `libm::expf` on each element (correctly
/// rounded in practice, and it keeps subnormal results, which the SIMD
/// kernel flushes to zero below `-87.33654`).
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn exp(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    if out.len() != x.len() {
        return Err(Error::LengthMismatch {
            expected: x.len(),
            found: out.len(),
        });
    }
    for (o, &v) in out.iter_mut().zip(x) {
        *o = libm::expf(v);
    }
    Ok(())
}
