//! The crate's exp approximation, `rr2_p6`, over any [`Lanes`] backend
//! (the public [`exp`](crate::exp) kernel is in `kernels`).
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

use crate::lanes::Lanes;

/// `log2(e)`.
const LOG2E: f32 = core::f32::consts::LOG2_E;
/// `1.5 * 2^23 + 127` (`0x1.8000FEp23`).
const MAGIC: f32 = f32::from_bits(0x4B40_007F);
/// `MAGIC - 1`: builds `2^(n-1)` for positive arguments.
const MAGIC_POS: f32 = f32::from_bits(0x4B40_007E);
/// `-ln(2)` split: the high part `-0x1.62E400p-1` has 14 significant bits.
const MINUS_LN2_HI: f32 = f32::from_bits(0xBF31_7200);
/// `-0x1.7F7D1Cp-20`, the rest of `-ln(2)`.
const MINUS_LN2_LO: f32 = f32::from_bits(0xB5BF_BE8E);
const C6: f32 = f32::from_bits(0x3AB8_0C26); // 0x1.70184cp-10
const C5: f32 = f32::from_bits(0x3C09_32AF); // 0x1.12655ep-7
const C4: f32 = f32::from_bits(0x3D2A_A966); // 0x1.5552ccp-5
const C3: f32 = f32::from_bits(0x3E2A_AA29); // 0x1.555452p-3
/// `-0x1.5D589Ep6 = -87.33654`: below it `expf` is subnormal; we return 0.
pub(crate) const FLUSH_BELOW: f32 = f32::from_bits(0xC2AE_AC4F);
/// `88.72283`: the largest f32 whose `expf` is finite.
pub(crate) const OVERFLOW_ABOVE: f32 = f32::from_bits(0x42B1_7217);

/// Steps 2 to 4: `2^n * e^t` from the rounded `n` (still biased by `magic`).
#[inline(always)]
fn reconstruct<L: Lanes<Elem = f32>>(x: L, n_biased: L, magic: L) -> L {
    let s = n_biased.shl23();
    let n = n_biased - magic;
    let t = n.mul_add(L::splat(MINUS_LN2_HI), x);
    let t = n.mul_add(L::splat(MINUS_LN2_LO), t);
    if L::DESTRUCTIVE_MUL_ADD {
        // `e^t = 1 + t + t^2 h`, `h = (1/2 + C3 t) + t^2 (C4 + C5 t + C6 t^2)`:
        // the same polynomial with each multiply-add accumulating into a
        // coefficient pair or a value that dies, 9 instructions where
        // Horner's 7 steps on copied constants take 12 (VFP's `VMLA`).
        let t2 = t * t;
        let a = t.mul_add(L::splat(C3), L::splat(0.5));
        let b = t.mul_add(L::splat(C5), L::splat(C4));
        let b = t2.mul_add(L::splat(C6), b);
        let h = t2.mul_add(b, a);
        let w = t2.mul_add(h, t);
        return s.mul_add(w, s);
    }
    let q = L::splat(C6).mul_add(t, L::splat(C5));
    let q = q.mul_add(t, L::splat(C4));
    let q = q.mul_add(t, L::splat(C3));
    let p = q.mul_add(t, L::splat(0.5));
    let p = p.mul_add(t, L::splat(1.0));
    (t * s).mul_add(p, s)
}

/// `exp(x)` for `x <= 0`, NaN or `-inf` (the softmax domain: `x - max`).
///
/// At most 1 ULP from the correctly rounded value on `[-87.33654, 0]`,
/// `+0` below (and for `-inf`), NaN for NaN. Positive `x` is outside its
/// contract (results above `2^127` are garbage); use [`exp_any`] there.
#[inline(always)]
pub(crate) fn exp_neg<L: Lanes<Elem = f32>>(x: L) -> L {
    let magic = L::splat(MAGIC);
    let f = reconstruct(x, x.mul_add(L::splat(LOG2E), magic), magic);
    L::zero_where(x.lt(L::splat(FLUSH_BELOW)), f)
}

/// [`exp_neg`] with the lanes set in `mask` (a lane comparison) forced to
/// `+0`: the flush and the caller's mask cost one and-not together.
#[inline(always)]
pub(crate) fn exp_neg_unless<L: Lanes<Elem = f32>>(x: L, mask: L::Mask) -> L {
    let magic = L::splat(MAGIC);
    let f = reconstruct(x, x.mul_add(L::splat(LOG2E), magic), magic);
    L::zero_where(x.lt(L::splat(FLUSH_BELOW)) | mask, f)
}

/// `exp(x)` for every f32: [`exp_neg`]'s accuracy on `[-87.33654, 88.72283]`,
/// `+inf` above, `+0` below, NaN for NaN.
#[inline(always)]
pub(crate) fn exp_any<L: Lanes<Elem = f32>>(x: L) -> L {
    let pos = x.gt(L::splat(0.0));
    let magic = L::select(pos, L::splat(MAGIC_POS), L::splat(MAGIC));
    let f = reconstruct(x, x.mul_add(L::splat(LOG2E), magic), magic) * L::select(pos, L::splat(2.0), L::splat(1.0));
    let f = L::zero_where(x.lt(L::splat(FLUSH_BELOW)), f);
    L::select(x.gt(L::splat(OVERFLOW_ABOVE)), L::splat(f32::INFINITY), f)
}

/// The one-lane backend's exp (its own polynomial evaluation, see
/// [`Lanes::DESTRUCTIVE_MUL_ADD`]) held to the public `exp`'s contract
/// over every f32, as `tests/exp_exhaustive.rs` holds the build's SIMD
/// lanes: no host runs the one-lane backend through the public API.
#[cfg(test)]
mod tests {
    extern crate std;
    use super::{FLUSH_BELOW, OVERFLOW_ABOVE, exp_any, exp_neg};
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    /// The largest distance in ULP from the correctly rounded value over
    /// every `step`-th bit pattern of `[start, end)`, or the first contract
    /// violation.
    fn check(start: u32, end: u32, step: usize) -> Result<u32, String> {
        let mut worst = 0;
        for bits in (start..end).step_by(step) {
            let x = f32::from_bits(bits);
            let y = exp_any::<f32>(x);
            if x <= 0.0 && exp_neg::<f32>(x).to_bits() != y.to_bits() {
                return Err(format!("exp_neg({x:e}) differs from exp_any"));
            }
            if x.is_nan() {
                if !y.is_nan() {
                    return Err(format!("exp(NaN) = {y}"));
                }
            } else if x > OVERFLOW_ABOVE {
                if y != f32::INFINITY {
                    return Err(format!("exp({x:e}) = {y:e}, want +inf"));
                }
            } else if x < FLUSH_BELOW {
                if y.to_bits() != 0 {
                    return Err(format!("exp({x:e}) = {y:e}, want +0"));
                }
            } else {
                let want = (x as f64).exp() as f32;
                let d = want.to_bits().abs_diff(y.to_bits());
                if d > 1 {
                    return Err(format!("exp({x:e}) = {y:e}, correctly rounded {want:e}: {d} ULP"));
                }
                worst = worst.max(d);
            }
        }
        Ok(worst)
    }

    // x86_64 only: the one-lane exp is plain f32 arithmetic, which Rust
    // rounds alike on every IEEE target (no contraction into FMA), and
    // wasm32-wasip1 cannot spawn the threads this walk uses.
    #[test]
    #[cfg_attr(
        any(
            debug_assertions,
            softmax_simd_backend = "avx512f",
            softmax_simd_backend = "avx2+fma",
            softmax_simd_backend = "portable",
            softmax_simd_structure = "short",
            softmax_simd_structure = "long",
            softmax_simd_no_panic,
            target_feature = "avx512f",
            not(target_arch = "x86_64")
        ),
        ignore = "exhaustive: runs once, in the default release test run (`cargo test --release`) on x86_64"
    )]
    fn one_lane_exp_every_f32() {
        // Every pattern of the finite-result domain `[-87.33654, 88.72283]`
        // (both signs from zero), every 61st elsewhere (the flush, the
        // overflow, infinities and NaNs take one branch each).
        let (lo, hi) = (FLUSH_BELOW.to_bits(), OVERFLOW_ABOVE.to_bits());
        let parts = [
            (0, hi + 1, 1),
            (1 << 31, lo + 1, 1),
            (hi + 1, 1 << 31, 61),
            (lo + 1, u32::MAX, 61),
        ];
        let worst: Vec<Result<u32, String>> = std::thread::scope(|s| {
            let hs: Vec<_> = parts
                .into_iter()
                .map(|(a, b, step)| s.spawn(move || check(a, b, step)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for w in worst {
            assert!(w.unwrap() <= 1);
        }
    }
}
