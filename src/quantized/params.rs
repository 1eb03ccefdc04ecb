//! Quantization parameters of the kernels and TFLite's formulas for them
//! (`quantization_util.cc`, `activations.cc`; TFLM `softmax_common.cc`).

use crate::Error;

/// Integer bits of the Q5.26 scaled input differences (TFLite's
/// `kScaledDiffIntegerBits`).
const SCALED_DIFF_INTEGER_BITS: i32 = 5;

/// TFLite `QuantizeMultiplier`: `d = m * 2^(shift - 31)` with `m` in
/// `[2^30, 2^31)`, `m` rounded half away from zero; `(0, 0)` for `d == 0`
/// or when `shift < -31` (every product would shift out).
fn quantize_multiplier(d: f64) -> (i32, i32) {
    if d == 0.0 {
        return (0, 0);
    }
    let (q, mut shift) = libm::frexp(d);
    let mut m = libm::round(q * 2147483648.0) as i64;
    if m == 1i64 << 31 {
        m /= 2;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    // `q < 1` and the halving above keep `m <= i32::MAX`.
    (m as i32, shift)
}

/// TFLite `CalculateInputRadius(5, shift)` negated: the most negative input
/// difference whose Q5.26 rescaling still fits,
/// `-floor(31 * 2^26 / 2^shift)`.
fn diff_min_for_shift(shift: i32) -> i32 {
    let radius = 31.0 * 67108864.0 / libm::ldexp(1.0, shift);
    -(libm::floor(radius) as i32)
}

/// The multiplier of TFLite `PreprocessSoftmaxScaling(beta, scale, 5)`:
/// `min(beta * scale * 2^26, 2^31 - 1)` as a multiplier greater than one.
fn softmax_scaling(input_scale: f32, beta: f32) -> Result<(i32, i32), Error> {
    if !(input_scale.is_finite() && input_scale > 0.0) {
        return Err(Error::InvalidParameter("input_scale must be finite and > 0"));
    }
    if !(beta.is_finite() && beta > 0.0) {
        return Err(Error::InvalidParameter("beta must be finite and > 0"));
    }
    let real = (f64::from(beta) * f64::from(input_scale) * f64::from(1u32 << (31 - SCALED_DIFF_INTEGER_BITS)))
        .min(2147483647.0);
    // TFLite's QuantizeMultiplierGreaterThanOne aborts (TFLITE_CHECK) here.
    if real <= 1.0 {
        return Err(Error::InvalidParameter(
            "beta * input_scale must exceed 2^-26 (int8 softmax multiplier <= 1)",
        ));
    }
    let (multiplier, shift) = quantize_multiplier(real);
    Ok((multiplier, shift))
}

/// Parameters of [`softmax_s8`](super::softmax_s8) and
/// [`softmax_s8_s16`](super::softmax_s8_s16) (TFLite's `SoftmaxParams`
/// fields `input_multiplier`, `input_left_shift`, `diff_min`; CMSIS-NN's
/// `mult`, `shift`, `diff_min`).
///
/// A row's difference `d = x - max(row)` is rescaled to Q5.26 as
/// `SRDHM(d * 2^shift, multiplier)` (that is `d * beta * input_scale` in
/// Q5.26); differences below `diff_min` contribute nothing.
///
/// # Example
/// ```
/// use softmax_simd::quantized::{SoftmaxParams, softmax_s8};
///
/// // The values a converter bakes into a model (CMSIS-NN's `mult`,
/// // `shift`, `diff_min`) for input scale 1/16 and beta 1 ...
/// let baked = SoftmaxParams { multiplier: 1 << 30, shift: 23, diff_min: -248 };
/// // ... are what `new` computes from the scale and beta.
/// assert_eq!(SoftmaxParams::new(0.0625, 1.0)?, baked);
///
/// let mut probs = [0i8; 2];
/// softmax_s8(&[5, 5], 2, &baked, &mut probs)?;
/// assert_eq!(probs, [0, 0]); // (0 + 128) / 256 = 0.5 each
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftmaxParams {
    /// Q0.31 multiplier of `beta * input_scale * 2^26 / 2^shift`; must be `> 0`.
    pub multiplier: i32,
    /// Left shift applied to the difference first; must be in `0..=31`.
    pub shift: i32,
    /// Differences `x - max < diff_min` are skipped (output the type's
    /// minimum); must be `<= 0`. TFLite sets `-floor(31 * 2^26 / 2^shift)`.
    pub diff_min: i32,
}

impl SoftmaxParams {
    /// TFLite's parameters for an int8 input of scale `input_scale`:
    /// `real = min(f64(beta) * f64(input_scale) * 2^26, 2^31 - 1)`,
    /// `(multiplier, shift) = QuantizeMultiplierGreaterThanOne(real)`,
    /// `diff_min = -floor(31 * 2^26 / 2^shift)`.
    ///
    /// `Err(InvalidParameter)` when a value is not finite and positive or
    /// `beta * input_scale <= 2^-26` (TFLite aborts there). Large products
    /// cap the multiplier at `2^31 - 1`, shift 31, `diff_min` 0: only the
    /// row maxima then count (pitfall 5).
    ///
    /// # Example
    /// ```
    /// use softmax_simd::{Error, quantized::SoftmaxParams};
    ///
    /// // beta * input_scale * 2^26 = 2^22 = 0.5 * 2^23: multiplier 0.5 in Q0.31, shift 23,
    /// // and diff_min = -floor(31 * 2^26 / 2^23) = -248.
    /// let p = SoftmaxParams::new(0.0625, 1.0)?;
    /// assert_eq!((p.multiplier, p.shift, p.diff_min), (1 << 30, 23, -248));
    ///
    /// // Where TFLite aborts, an `Err`.
    /// assert!(matches!(SoftmaxParams::new(0.0, 1.0), Err(Error::InvalidParameter(_))));
    /// assert!(matches!(SoftmaxParams::new(0.0625, f32::NAN), Err(Error::InvalidParameter(_))));
    /// assert!(matches!(SoftmaxParams::new(1e-9, 1.0), Err(Error::InvalidParameter(_))));
    ///
    /// // A product too large for the multiplier is capped: only the row maxima count.
    /// let capped = SoftmaxParams::new(1.0, 100.0)?;
    /// assert_eq!((capped.multiplier, capped.shift, capped.diff_min), (i32::MAX, 31, 0));
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn new(input_scale: f32, beta: f32) -> Result<Self, Error> {
        let (multiplier, shift) = softmax_scaling(input_scale, beta)?;
        let params = SoftmaxParams {
            multiplier,
            shift,
            diff_min: diff_min_for_shift(shift),
        };
        params.validate()?;
        Ok(params)
    }

    /// The parameter contract every int8 softmax kernel checks first:
    /// `multiplier > 0`, `0 <= shift <= 31`, `diff_min <= 0`.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::{Error, quantized::{SoftmaxParams, softmax_s8}};
    ///
    /// let mut p = SoftmaxParams::new(0.0625, 1.0)?;
    /// assert_eq!(p.validate(), Ok(()));
    ///
    /// p.shift = 32;
    /// assert_eq!(p.validate(), Err(Error::InvalidParameter("shift must be in 0..=31")));
    /// // The kernels check it first: nothing is written.
    /// let mut out = [7i8; 3];
    /// assert_eq!(softmax_s8(&[1, 2, 3], 3, &p, &mut out), p.validate());
    /// assert_eq!(out, [7; 3]);
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn validate(&self) -> Result<(), Error> {
        if self.multiplier <= 0 {
            return Err(Error::InvalidParameter("multiplier must be > 0"));
        }
        if !(0..=31).contains(&self.shift) {
            return Err(Error::InvalidParameter("shift must be in 0..=31"));
        }
        if self.diff_min > 0 {
            return Err(Error::InvalidParameter("diff_min must be <= 0"));
        }
        Ok(())
    }
}

/// Parameters of [`softmax_s16`](super::softmax_s16) (TFLite's
/// `input_multiplier`, `input_left_shift` for int16).
///
/// A difference `d = x - max(row)` in `[-65535, 0]` is mapped to the exp
/// table's `[-10, 0]` domain as `MultiplyByQuantizedMultiplier(d,
/// multiplier, shift)`, i.e. `d * input_scale * beta * 65535 / 10`.
///
/// # Example
/// ```
/// use softmax_simd::quantized::{SoftmaxS16Params, softmax_s16};
///
/// // Baked into a model for input scale 1/1024 and beta 1: 6.3999 = 0.79999 * 2^3.
/// let baked = SoftmaxS16Params { multiplier: 1717960704, shift: 3 };
/// assert_eq!(SoftmaxS16Params::new(1.0 / 1024.0, 1.0)?, baked);
///
/// let mut q = [0i16; 2];
/// softmax_s16(&[100, 100], 2, &baked, &mut q)?;
/// assert_eq!(q, [16384, 16384]); // 0.5 each, in steps of 1/32768
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftmaxS16Params {
    /// Q0.31 multiplier; must be `> 0`.
    pub multiplier: i32,
    /// Power-of-two exponent: a left shift when positive, a rounding right
    /// shift when negative; must be in `-31..=31`. Left shifts wrap like
    /// TFLite's `x * (1 << shift)` on real hardware.
    pub shift: i32,
}

impl SoftmaxS16Params {
    /// TFLite's parameters (`activations.cc`): the product is formed in
    /// f32 as TFLite does, `real = f64(input_scale * beta) / (10 / 65535)`,
    /// `(multiplier, shift) = QuantizeMultiplier(real)`.
    ///
    /// `Err(InvalidParameter)` for a non-finite or non-positive value, a
    /// product so small that the multiplier underflows to 0, or so large
    /// that the shift exceeds 31.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::{Error, quantized::SoftmaxS16Params};
    ///
    /// // (2^-10 * 1) / (10 / 65535) = 6.3999 = 0.79999 * 2^3.
    /// let p = SoftmaxS16Params::new(1.0 / 1024.0, 1.0)?;
    /// assert_eq!((p.multiplier, p.shift), (1717960704, 3));
    ///
    /// assert!(matches!(SoftmaxS16Params::new(-0.5, 1.0), Err(Error::InvalidParameter(_))));
    /// assert!(matches!(SoftmaxS16Params::new(0.5, f32::INFINITY), Err(Error::InvalidParameter(_))));
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn new(input_scale: f32, beta: f32) -> Result<Self, Error> {
        Self::from_real(input_scale, beta, f64::from(input_scale * beta))
    }

    /// TFLite Micro's and CMSIS-NN's parameters: the same formula with the
    /// product formed in f64, `real = f64(input_scale) * f64(beta) / (10 /
    /// 65535)`. Differs from [`new`](Self::new) when `beta` is not a power
    /// of two (pitfall 4). Pair it with
    /// [`softmax_s16_tflm`](super::softmax_s16_tflm).
    ///
    /// # Example
    /// ```
    /// use softmax_simd::quantized::SoftmaxS16Params;
    ///
    /// // beta 0.7: 0.001 * 0.7 rounded to f32 (TFLite) is not the f64 product
    /// // (TFLite Micro), and the multipliers differ in their last bits.
    /// let tflm = SoftmaxS16Params::new_tflm(0.001, 0.7)?;
    /// let tflite = SoftmaxS16Params::new(0.001, 0.7)?;
    /// assert_eq!((tflm.multiplier, tflm.shift), (1231434270, 3));
    /// assert_eq!((tflite.multiplier, tflite.shift), (1231434291, 3));
    ///
    /// // beta 1: the f32 product is exact and both agree.
    /// assert_eq!(SoftmaxS16Params::new_tflm(0.001, 1.0)?, SoftmaxS16Params::new(0.001, 1.0)?);
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn new_tflm(input_scale: f32, beta: f32) -> Result<Self, Error> {
        Self::from_real(input_scale, beta, f64::from(input_scale) * f64::from(beta))
    }

    fn from_real(input_scale: f32, beta: f32, product: f64) -> Result<Self, Error> {
        if !(input_scale.is_finite() && input_scale > 0.0) {
            return Err(Error::InvalidParameter("input_scale must be finite and > 0"));
        }
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidParameter("beta must be finite and > 0"));
        }
        let (multiplier, shift) = quantize_multiplier(product / (10.0 / 65535.0));
        if multiplier == 0 {
            return Err(Error::InvalidParameter(
                "input_scale * beta too small: int16 multiplier underflows to 0",
            ));
        }
        let params = SoftmaxS16Params { multiplier, shift };
        params.validate()?;
        Ok(params)
    }

    /// The parameter contract of the int16 kernels: `multiplier > 0`,
    /// `-31 <= shift <= 31`.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::{Error, quantized::SoftmaxS16Params};
    ///
    /// // A negative shift is a rounding right shift: valid down to -31.
    /// assert_eq!(SoftmaxS16Params { multiplier: 1 << 30, shift: -31 }.validate(), Ok(()));
    /// assert_eq!(
    ///     SoftmaxS16Params { multiplier: 1 << 30, shift: -32 }.validate(),
    ///     Err(Error::InvalidParameter("shift must be in -31..=31"))
    /// );
    /// assert_eq!(
    ///     SoftmaxS16Params { multiplier: 0, shift: 0 }.validate(),
    ///     Err(Error::InvalidParameter("multiplier must be > 0"))
    /// );
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn validate(&self) -> Result<(), Error> {
        if self.multiplier <= 0 {
            return Err(Error::InvalidParameter("multiplier must be > 0"));
        }
        if !(-31..=31).contains(&self.shift) {
            return Err(Error::InvalidParameter("shift must be in -31..=31"));
        }
        Ok(())
    }
}

/// Parameters of [`log_softmax_s8`](super::log_softmax_s8) (TFLite's
/// `SoftmaxParams` for LOG_SOFTMAX; beta is fixed at 1).
///
/// # Example
/// ```
/// use softmax_simd::quantized::{LogSoftmaxParams, log_softmax_s8};
///
/// // Baked into a model for input scale 1/16.
/// let baked = LogSoftmaxParams {
///     multiplier: 1 << 30,
///     shift: 23,
///     reverse_scaling_divisor: 1 << 30,
///     reverse_scaling_right_shift: 21,
///     diff_min: -248,
/// };
/// assert_eq!(LogSoftmaxParams::new(0.0625)?, baked);
///
/// let mut out = [0i8; 2];
/// log_softmax_s8(&[5, 5], 2, &baked, &mut out)?;
/// assert_eq!(out, [116, 116]); // (116 - 127) / 16 = -0.6875, about -ln 2
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSoftmaxParams {
    /// Q0.31 multiplier of `input_scale * 2^26 / 2^shift`; must be `> 0`.
    pub multiplier: i32,
    /// Left shift of the difference; must be in `0..=31`.
    pub shift: i32,
    /// Q0.31 multiplier of `2^(31 - shift) / multiplier` (maps a Q5.26
    /// value back to input steps); must be `> 0`.
    pub reverse_scaling_divisor: i32,
    /// Rounding right shift applied after `reverse_scaling_divisor`; must be
    /// in `0..=31`.
    pub reverse_scaling_right_shift: i32,
    /// Differences below `diff_min` are skipped; must be `<= 0`.
    pub diff_min: i32,
}

impl LogSoftmaxParams {
    /// TFLite's parameters (`PreprocessLogSoftmaxScalingExp` with beta 1):
    /// `(multiplier, shift)` as for [`SoftmaxParams::new`] with beta 1,
    /// `(reverse_scaling_divisor, -reverse_scaling_right_shift) =
    /// QuantizeMultiplierSmallerThanOneExp(2^(31 - shift) / multiplier)`,
    /// `diff_min = -floor(31 * 2^26 / 2^shift)`.
    ///
    /// `Err(InvalidParameter)` where TFLite aborts: scale not finite and
    /// positive, `input_scale <= 2^-26`, or a reverse scaling that is not
    /// below one.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::{Error, quantized::LogSoftmaxParams};
    ///
    /// // Scale 1/16: multiplier 0.5 * 2^31, shift 23 (as `SoftmaxParams::new(0.0625, 1.0)`);
    /// // 2^(31 - 23) / 2^30 = 2^-22 = 0.5 * 2^-21: divisor 0.5 * 2^31, right shift 21.
    /// let p = LogSoftmaxParams::new(0.0625)?;
    /// assert_eq!((p.multiplier, p.shift, p.diff_min), (1 << 30, 23, -248));
    /// assert_eq!((p.reverse_scaling_divisor, p.reverse_scaling_right_shift), (1 << 30, 21));
    ///
    /// assert!(matches!(LogSoftmaxParams::new(f32::NAN), Err(Error::InvalidParameter(_))));
    /// assert!(matches!(LogSoftmaxParams::new(1e-9), Err(Error::InvalidParameter(_))));
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn new(input_scale: f32) -> Result<Self, Error> {
        let (multiplier, shift) = softmax_scaling(input_scale, 1.0)?;
        let reverse = f64::from(1u32 << (31 - shift).clamp(0, 31)) / f64::from(multiplier);
        if !(reverse > 0.0 && reverse < 1.0) {
            return Err(Error::InvalidParameter(
                "input_scale gives a reverse scaling divisor >= 1",
            ));
        }
        let (reverse_scaling_divisor, exponent) = quantize_multiplier(reverse);
        let params = LogSoftmaxParams {
            multiplier,
            shift,
            reverse_scaling_divisor,
            reverse_scaling_right_shift: -exponent,
            diff_min: diff_min_for_shift(shift),
        };
        params.validate()?;
        Ok(params)
    }

    /// The parameter contract of the log-softmax kernels: `multiplier > 0`,
    /// `0 <= shift <= 31`, `reverse_scaling_divisor > 0`,
    /// `0 <= reverse_scaling_right_shift <= 31`, `diff_min <= 0`.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::{Error, quantized::{LogSoftmaxParams, log_softmax_s8}};
    ///
    /// let mut p = LogSoftmaxParams::new(0.0625)?;
    /// assert_eq!(p.validate(), Ok(()));
    ///
    /// p.diff_min = 1;
    /// assert_eq!(p.validate(), Err(Error::InvalidParameter("diff_min must be <= 0")));
    /// // The kernel checks it first: nothing is written.
    /// let mut out = [7i8; 2];
    /// assert_eq!(log_softmax_s8(&[1, 2], 2, &p, &mut out), p.validate());
    /// assert_eq!(out, [7; 2]);
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn validate(&self) -> Result<(), Error> {
        if self.multiplier <= 0 {
            return Err(Error::InvalidParameter("multiplier must be > 0"));
        }
        if !(0..=31).contains(&self.shift) {
            return Err(Error::InvalidParameter("shift must be in 0..=31"));
        }
        if self.reverse_scaling_divisor <= 0 {
            return Err(Error::InvalidParameter("reverse_scaling_divisor must be > 0"));
        }
        if !(0..=31).contains(&self.reverse_scaling_right_shift) {
            return Err(Error::InvalidParameter("reverse_scaling_right_shift must be in 0..=31"));
        }
        if self.diff_min > 0 {
            return Err(Error::InvalidParameter("diff_min must be <= 0"));
        }
        Ok(())
    }
}

/// The shape contract shared by every quantized kernel: `output.len() ==
/// input.len()`, `row_size > 0`, and whole rows.
pub(crate) fn check_rows(input_len: usize, output_len: usize, row_size: usize) -> Result<(), Error> {
    if output_len != input_len {
        return Err(Error::LengthMismatch {
            expected: input_len,
            found: output_len,
        });
    }
    if row_size == 0 {
        return Err(Error::NoClasses);
    }
    // One row per call is common: skip the division then.
    if input_len != row_size && !input_len.is_multiple_of(row_size) {
        return Err(Error::NotMultipleOfClasses {
            len: input_len,
            classes: row_size,
        });
    }
    Ok(())
}

/// Calls `f` on each row of `input` and the matching row of `output`
/// (lengths checked by [`check_rows`]), splitting the slices as it goes:
/// no division, which a short single row would notice.
pub(crate) fn for_each_row<I, O>(
    mut input: &[I],
    mut output: &mut [O],
    row_size: usize,
    mut f: impl FnMut(&[I], &mut [O]),
) {
    if row_size == 0 {
        return;
    }
    while let (Some((row, input_rest)), Some((out, output_rest))) = (
        input.split_at_checked(row_size),
        core::mem::take(&mut output).split_at_mut_checked(row_size),
    ) {
        f(row, out);
        input = input_rest;
        output = output_rest;
    }
}
