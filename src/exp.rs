//! The crate's exp approximation, `rr2_p6`, and the public [`exp`](crate::exp) kernel.
//!
//! Algorithm (the range reduction of XNNPACK's `rr2_p5`, with a degree-6
//! polynomial fitted for this crate):
//!
//! 1. `n = fma(x, log2(e), MAGIC)`, `MAGIC = 1.5 * 2^23 + 127`: one add rounds
//!    `x * log2(e)` to an integer and puts `n + 127` in the low mantissa bits.
//! 2. `s = bits(n) << 23` is `2^n` (a normal float while `n >= -126`);
//!    `n -= MAGIC` recovers the integer.
//! 3. Cody-Waite: `t = x - n * LN2_HI - n * LN2_LO`, so `|t| <= ln(2)/2` (plus
//!    a hair without FMA). `LN2_HI` has 14 significant bits, so `n * LN2_HI` is
//!    exact even without a fused multiply-add.
//! 4. `exp(t) = 1 + t + t^2/2 + t^3 * (C3 + C4 t + C5 t^2 + C6 t^3)`: the cubic
//!    is a Remez fit of `(e^t - 1 - t - t^2/2) / t^3` on `[-0.354, 0.354]`
//!    minimising the relative error of `e^t` (5.0e-9 with the f32
//!    coefficients), evaluated by Horner as `1 + t * (1 + t * (1/2 + t * q))`.
//! 5. `f = fma(t * s, p, s)`; `f = 0` where `x < -87.33654` (`expf` is
//!    subnormal below it), which also maps `-inf` to `0`. NaN propagates.
//!
//! Error, measured exhaustively (tests/exp_exhaustive.rs): at most **1 ULP**
//! from the correctly rounded `expf` on every f32 in `[-87.33654, 88.72283]`,
//! with or without FMA (0.91 ULP max with FMA, 1.19 without, as real
//! numbers against an f64 `exp`). XNNPACK's degree-5 `rr2_p5` reaches 1.98
//! (2.26 without FMA) for one multiply-add less.
//!
//! For `x > 0` the scale is built as `2^(n-1)` (bias 126) and the result
//! doubled, so `n = 128` (results up to `f32::MAX`) needs no wider exponent;
//! above `88.72283` (`ln(f32::MAX)` rounded down) the result is `+inf`.

use crate::Error;
use crate::lanes::{V, map_groups, zero_where};

const LOG2E: V = V::splat(core::f32::consts::LOG2_E);
/// `1.5 * 2^23 + 127` (`0x1.8000FEp23`).
const MAGIC: V = V::splat(f32::from_bits(0x4B40_007F));
/// `MAGIC - 1`: builds `2^(n-1)` for positive arguments.
const MAGIC_POS: V = V::splat(f32::from_bits(0x4B40_007E));
/// `-ln(2)` split: the high part `-0x1.62E400p-1` has 14 significant bits.
const MINUS_LN2_HI: V = V::splat(f32::from_bits(0xBF31_7200));
/// `-0x1.7F7D1Cp-20`, the rest of `-ln(2)`.
const MINUS_LN2_LO: V = V::splat(f32::from_bits(0xB5BF_BE8E));
const C6: V = V::splat(f32::from_bits(0x3AB8_0C26)); // 0x1.70184cp-10
const C5: V = V::splat(f32::from_bits(0x3C09_32AF)); // 0x1.12655ep-7
const C4: V = V::splat(f32::from_bits(0x3D2A_A966)); // 0x1.5552ccp-5
const C3: V = V::splat(f32::from_bits(0x3E2A_AA29)); // 0x1.555452p-3
const HALF: V = V::splat(0.5);
const ONE: V = V::splat(1.0);
const TWO: V = V::splat(2.0);
const ZERO: V = V::splat(0.0);
const INF: V = V::splat(f32::INFINITY);
/// `-0x1.5D589Ep6 = -87.33654`: below it `expf` is subnormal; we return 0.
pub(crate) const FLUSH_BELOW: f32 = f32::from_bits(0xC2AE_AC4F);
/// `88.72283`: the largest f32 whose `expf` is finite.
pub(crate) const OVERFLOW_ABOVE: f32 = f32::from_bits(0x42B1_7217);

/// Steps 2 to 4: `2^n * e^t` from the rounded `n` (still biased by `magic`).
#[inline(always)]
fn reconstruct(x: V, n_biased: V, magic: V) -> V {
    let s = V::from_bits(n_biased.to_bits() << 23);
    let n = n_biased - magic;
    let t = n.mul_add(MINUS_LN2_HI, x);
    let t = n.mul_add(MINUS_LN2_LO, t);
    let q = C6.mul_add(t, C5);
    let q = q.mul_add(t, C4);
    let q = q.mul_add(t, C3);
    let p = q.mul_add(t, HALF);
    let p = p.mul_add(t, ONE);
    (t * s).mul_add(p, s)
}

/// `exp(x)` for `x <= 0`, NaN or `-inf` (the softmax domain: `x - max`).
///
/// At most 1 ULP from the correctly rounded value on `[-87.33654, 0]`,
/// `+0` below (and for `-inf`), NaN for NaN. Positive `x` is outside its
/// contract (results above `2^127` are garbage); use [`exp_any`] there.
#[inline(always)]
pub(crate) fn exp_neg(x: V) -> V {
    exp_neg_unless(x, ZERO)
}

/// [`exp_neg`] with the lanes set in `mask` (a lane comparison) forced to
/// `+0`: the flush and the caller's mask cost one and-not together.
#[inline(always)]
pub(crate) fn exp_neg_unless(x: V, mask: V) -> V {
    let f = reconstruct(x, x.mul_add(LOG2E, MAGIC), MAGIC);
    zero_where(x.simd_lt(V::splat(FLUSH_BELOW)) | mask, f)
}

/// `exp(x)` for every f32: [`exp_neg`]'s accuracy on `[-87.33654, 88.72283]`,
/// `+inf` above, `+0` below, NaN for NaN.
#[inline(always)]
pub(crate) fn exp_any(x: V) -> V {
    let pos = x.simd_gt(ZERO);
    let magic = pos.select(MAGIC_POS, MAGIC);
    let f = reconstruct(x, x.mul_add(LOG2E, magic), magic) * pos.select(TWO, ONE);
    let f = zero_where(x.simd_lt(V::splat(FLUSH_BELOW)), f);
    x.simd_gt(V::splat(OVERFLOW_ABOVE)).select(INF, f)
}

/// Element-wise `out[i] = exp(x[i])` with the crate's `rr2_p6` approximation.
///
/// Error: at most 1 ULP from the correctly rounded `expf` for every
/// `x` in `[-87.33654, 88.72283]` (proven exhaustively by the test suite on
/// every lane backend). Outside that range: `+inf` above `88.72283`
/// (`exp` overflows f32), `+0` below `-87.33654` (where `expf` would be
/// subnormal: results are **flushed to zero**, unlike `libm::expf`), `exp(-inf)
/// = 0`, `exp(+inf) = +inf`, NaN in gives NaN out. An empty `x` is `Ok(())`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// # Example
/// ```
/// let x = [0.0f32, 1.0, -1.0, -100.0, 100.0];
/// let mut out = [0.0f32; 5];
/// softmax_simd::exp(&x, &mut out)?;
/// assert_eq!(out[0], 1.0);
/// assert!((out[1] - core::f32::consts::E).abs() <= f32::EPSILON * 3.0);
/// assert_eq!(out[3], 0.0); // flushed: expf(-100) is subnormal
/// assert_eq!(out[4], f32::INFINITY);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn exp(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    if out.len() != x.len() {
        return Err(Error::LengthMismatch {
            expected: x.len(),
            found: out.len(),
        });
    }
    map_groups(x, out, 0.0, |g| g.map(exp_any));
    Ok(())
}
