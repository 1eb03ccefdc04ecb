//! Quantized softmax for firmware: int8 / int16 softmax and int8
//! log-softmax, bit-exact with TensorFlow Lite's reference kernels (and so
//! with TFLite Micro and CMSIS-NN's `arm_softmax_s8`, `arm_softmax_s8_s16`,
//! which follow them).
//!
//! `input` holds whole rows of `row_size` values (the last dimension of the
//! tensor); each row is normalised on its own. No allocation, no panic, no
//! `unsafe`: a bad shape or parameter is an [`Error`](crate::Error).
//!
//! ```
//! use softmax_simd::quantized::{SoftmaxParams, softmax_s8};
//!
//! // Input scale and beta from the model (or the converter's baked
//! // multiplier / shift / diff_min as the public fields, CMSIS-NN style).
//! let params = SoftmaxParams::new(0.0625, 1.0)?;
//! let logits: [i8; 6] = [10, 20, 30, -5, 0, 5]; // two rows of 3 classes
//! let mut probs = [0i8; 6];
//! softmax_s8(&logits, 3, &params, &mut probs)?;
//! // probability = (q + 128) / 256: each row sums to 256 steps here.
//! assert_eq!(probs[..3].iter().map(|&q| i32::from(q) + 128).sum::<i32>(), 256);
//! assert_eq!(probs[3..].iter().map(|&q| i32::from(q) + 128).sum::<i32>(), 256);
//! # Ok::<(), softmax_simd::Error>(())
//! ```
//!
//! # Quantization the kernels assume
//!
//! The output quantization is fixed by the op (TFLite rejects any other):
//!
//! | kernel | input | output | output scale | output zero point |
//! |---|---|---|---|---|
//! | [`softmax_s8`] | int8, any scale / zero point | int8 | 1/256 | -128 |
//! | [`softmax_s8_s16`] | int8, any scale / zero point | int16 | 1/65536 | -32768 |
//! | [`softmax_s16`] | int16, any scale, zero point 0 | int16 | 1/32768 | 0 |
//! | [`log_softmax_s8`] | int8, any scale / zero point | int8 | 16/256 | 127 |
//!
//! The input zero point never matters (softmax is shift invariant), so the
//! kernels do not take it; int16 tensors must have zero point 0. The input
//! scale and `beta` enter only through the parameters, which firmware can
//! take from its converter (the public fields) or compute with `new`
//! ([`SoftmaxParams::new`], [`SoftmaxS16Params::new`],
//! [`LogSoftmaxParams::new`]), which reproduce TFLite's formulas exactly.
//!
//! # Algorithm (gemmlowp fixed point)
//!
//! int8: per row, `d = x - max`; `d >= diff_min` is rescaled to Q5.26 by
//! `SRDHM(d * 2^shift, multiplier)`; `exp_on_negative_values` gives
//! `exp(d * scale * beta)` in Q0.31; the exps, each divided by `2^12`
//! (rounding), are summed in Q12.19; the reciprocal of the sum comes from
//! `one_over_one_plus_x_for_x_in_0_1` (Newton-Raphson) with `n` bits of
//! headroom; the output is `RoundingDivideByPOT(SRDHM(1/sum, exp), n + 31 -
//! bits) + type::MIN`, clamped. log-softmax subtracts
//! `log_x_for_x_greater_than_or_equal_to_1(sum)` from the Q5.26 difference
//! and divides by `2^22` (output scale 1/16) plus 127. int16 uses TFLite's
//! two 513-entry interpolated tables ([`tables`]) for `exp` on `[-10, 0]`
//! and `1 / (1 + x)`.
//!
//! # Where TFLite's integers overflow (documented results)
//!
//! - **int8 -> int8, sum of exps >= 512** (e.g. 512 equal maxima): TFLite
//!   aborts (`RoundingDivideByPOT` with an exponent of 32 or more) and
//!   CMSIS-NN shifts out of range. Here the rounding division is extended
//!   exactly: every element of such a row is `-128`. That is the correctly
//!   rounded answer, since no probability can exceed `1/512`, half an
//!   output step (a row of exactly 512 equal values is `1/512` each, just
//!   under half a step in the fixed-point arithmetic).
//! - **Q12.19 sum at 4096 maxima and more**: TFLite's int32 sum wraps. Its
//!   reciprocal reads the sum as u32, so int8 -> int16 stays right up to
//!   8191 maxima; this crate sums in u64 and matches that bit for bit, and
//!   beyond 2^32 (8192 maxima) extends the same reciprocal exactly instead
//!   of wrapping again. For log-softmax, where TFLite's log of a negative
//!   sum is meaningless, a sum of 2^31 or more is shifted right by `k`
//!   bits and handed to the logarithm as Q(12+k): `log(sum)` stays right
//!   (the row's maxima get `127 - 16 ln(count)`, saturating at -128).
//! - **int16 sums of 2^31 and more** (rows over 65536 elements): TFLite's
//!   normalising shift goes negative; here the same rounding is extended.
//!
//! # TFLite, TFLite Micro and CMSIS-NN
//!
//! - int8 (both outputs) and int8 log-softmax: all three agree bit for bit
//!   with the default (double rounding) build of TFLite, which is what
//!   these kernels implement. A `TFLITE_SINGLE_ROUNDING` build computes a
//!   different multiplier when `beta * scale >= 16` (same outputs for int8)
//!   and different int16 outputs; it is not supported.
//! - int16: TFLite builds the `1/(1+x)` table in f64 and forms
//!   `input_scale * beta` in f32; TFLite Micro and CMSIS-NN build the table
//!   in f32 (entries 160 and 294 differ by one) and form the product in f64
//!   (a different multiplier when beta is not a power of two). Use
//!   [`SoftmaxS16Params::new`] with [`softmax_s16`] to match TFLite, and
//!   [`SoftmaxS16Params::new_tflm`] with [`softmax_s16_tflm`] to match
//!   TFLite Micro / CMSIS-NN. The exp tables agree.
//! - CMSIS-NN takes `(mult, shift, diff_min)` directly: they are
//!   [`SoftmaxParams`]'s fields.
//!
//! # Lanes
//!
//! The kernels run the fixed-point arithmetic on `wide` i32 lanes (16 with
//! AVX-512F, 8 with AVX, else 4). For int8 inputs, when the input is
//! long enough to pay for it, the `exp` of every possible difference
//! (at most 256) is computed once per call in lanes and looked up
//! afterwards. [`reference`](mod@reference) holds the plain scalar versions; both are
//! tested against TFLite's golden outputs.

mod fixedpoint;
mod log_softmax_s8;
mod params;
pub mod reference;
mod softmax_s16;
mod softmax_s8;
// softmax_s8 and softmax_s8_s16 on plain i32: what targets without SIMD
// lanes run (compiled everywhere, so the host tests check it too).
mod softmax_s8_plain;
pub mod tables;

pub use log_softmax_s8::log_softmax_s8;
pub use params::{LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params};
pub use softmax_s8::{softmax_s8, softmax_s8_s16};
pub use softmax_s16::{softmax_s16, softmax_s16_tflm};
