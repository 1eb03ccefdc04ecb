//! The one error type shared by every kernel (and by `reference`).

use core::fmt;

/// Why a kernel refused its arguments.
///
/// Every public entry point whose arguments can disagree returns
/// `Result<_, Error>`; none panics. The enum is `#[non_exhaustive]`: match
/// with a wildcard arm.
///
/// # Example
/// ```
/// use softmax_simd::Error;
///
/// let mut out = [0.0f32; 2];
/// let err = softmax_simd::softmax(&[1.0, 2.0, 3.0], &mut out).unwrap_err();
/// assert_eq!(err, Error::LengthMismatch { expected: 3, found: 2 });
/// assert_eq!(err.to_string(), "length mismatch: expected 3 elements, found 2");
///
/// // `#[non_exhaustive]`: a match needs a wildcard arm.
/// let what = match err {
///     Error::LengthMismatch { .. } => "lengths",
///     Error::LabelOutOfRange { .. } => "label",
///     _ => "other",
/// };
/// assert_eq!(what, "lengths");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Two slices that must have the same length (or an output sized from an
    /// input) do not: `expected` is the length the kernel needed, `found` the
    /// length it was given.
    LengthMismatch {
        /// The length the kernel needed.
        expected: usize,
        /// The length of the slice it was given.
        found: usize,
    },
    /// A sparse cross-entropy label is not a valid class index
    /// (`label >= classes`).
    LabelOutOfRange {
        /// The offending label.
        label: usize,
        /// The number of classes in the row.
        classes: usize,
    },
    /// A cross-entropy row with no classes (`logits` is empty), or a
    /// row-batched call with `classes == 0`.
    NoClasses,
    /// A row-batched buffer whose length is not a multiple of `classes`.
    NotMultipleOfClasses {
        /// The buffer length.
        len: usize,
        /// The row length it should be a multiple of.
        classes: usize,
    },
    /// A quantization parameter outside the range the fixed-point kernels
    /// accept (the message names it).
    InvalidParameter(&'static str),
    /// A temperature-scaled kernel's `beta` (`1 / temperature`) is not
    /// finite and `> 0` (NaN, zero, negative or infinite).
    InvalidBeta,
    /// A cross-entropy's `label_smoothing` is outside `[0, 1]` (or NaN).
    InvalidLabelSmoothing,
    /// A class-index label is negative and is not the `ignore_index`.
    NegativeLabel {
        /// The offending label.
        label: i64,
        /// The number of classes in the row.
        classes: usize,
    },
    /// `ignore_index` was set for probability (dense) targets, where
    /// PyTorch refuses it too: there is no class index to compare it with.
    IgnoreIndexWithProbabilities,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LengthMismatch { expected, found } => {
                write!(f, "length mismatch: expected {expected} elements, found {found}")
            }
            Error::LabelOutOfRange { label, classes } => {
                write!(f, "label {label} out of range for {classes} classes")
            }
            Error::NoClasses => f.write_str("a cross-entropy row needs at least one class"),
            Error::NotMultipleOfClasses { len, classes } => write!(
                f,
                "buffer of {len} values is not a whole number of rows of {classes} classes"
            ),
            Error::InvalidParameter(what) => write!(f, "invalid quantization parameter: {what}"),
            Error::InvalidBeta => f.write_str("beta (1 / temperature) must be finite and > 0"),
            Error::InvalidLabelSmoothing => f.write_str("label smoothing must be in [0, 1]"),
            Error::NegativeLabel { label, classes } => {
                write!(
                    f,
                    "negative label {label} for {classes} classes (and not the ignore_index)"
                )
            }
            Error::IgnoreIndexWithProbabilities => f.write_str("ignore_index cannot be used with probability targets"),
        }
    }
}

impl core::error::Error for Error {}
