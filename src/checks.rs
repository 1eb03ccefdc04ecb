//! Argument checks shared by the kernels and the reference: the one thing
//! besides [`Error`] the two may share, so both refuse the same arguments
//! with the same `Err`, in the same order, before anything is written.

use crate::{CrossEntropy, Error, Label};

/// `Ok` if `found == expected`, else [`Error::LengthMismatch`].
pub(crate) fn same_len(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}

/// The number of rows of `classes` values in a buffer of `len` values.
pub(crate) fn rows(len: usize, classes: usize) -> Result<usize, Error> {
    match len.checked_div(classes) {
        None => Err(Error::NoClasses),
        Some(_) if !len.is_multiple_of(classes) => Err(Error::NotMultipleOfClasses { len, classes }),
        Some(r) => Ok(r),
    }
}

/// `beta` (`1 / temperature`) must be finite and `> 0`.
pub(crate) fn beta(beta: f32) -> Result<(), Error> {
    if beta.is_finite() && beta > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidBeta)
    }
}

/// A backward pass's three slices must have one length.
pub(crate) fn backward(y: usize, dy: usize, dx: usize) -> Result<(), Error> {
    same_len(y, dy)?;
    same_len(y, dx)
}

/// A row-batched backward pass: whole rows, and one length for all three.
pub(crate) fn backward_rows(y: usize, dy: usize, dx: usize, classes: usize) -> Result<usize, Error> {
    let r = rows(y, classes)?;
    backward(y, dy, dx)?;
    Ok(r)
}

/// The class of one label: `Ok(None)` if it is the `ignore_index`,
/// `Ok(Some(c))` for a class `c < classes`, else the error.
pub(crate) fn class<L: Label>(label: L, classes: usize, ignore_index: Option<i64>) -> Result<Option<usize>, Error> {
    let v = label.value();
    if ignore_index.is_some_and(|i| i128::from(i) == v) {
        return Ok(None);
    }
    match usize::try_from(v) {
        Ok(c) if c < classes => Ok(Some(c)),
        Ok(c) => Err(Error::LabelOutOfRange { label: c, classes }),
        Err(_) => match i64::try_from(v) {
            Ok(label) if label < 0 => Err(Error::NegativeLabel { label, classes }),
            // Wider than usize (a u64 label on a 32-bit target).
            _ => Err(Error::LabelOutOfRange {
                label: usize::MAX,
                classes,
            }),
        },
    }
}

/// What a cross-entropy's targets are.
pub(crate) enum Targets<'a, L> {
    /// One class-index label per row.
    Labels(&'a [L]),
    /// Probability targets laid out as the logits: their length.
    Probabilities(usize),
}

/// Every check of both cross-entropies, in order: the shape
/// ([`Error::NoClasses`], [`Error::NotMultipleOfClasses`]), the smoothing
/// ([`Error::InvalidLabelSmoothing`]), for probability targets an
/// `ignore_index` ([`Error::IgnoreIndexWithProbabilities`]), then the
/// lengths ([`Error::LengthMismatch`]) of the weights, the labels or
/// targets, `losses` and `grad`, and last each label in turn
/// ([`Error::LabelOutOfRange`], [`Error::NegativeLabel`]). Returns the
/// number of rows.
pub(crate) fn cross_entropy<L: Label>(
    logits: usize,
    targets: Targets<'_, L>,
    classes: usize,
    options: &CrossEntropy<'_>,
    losses: Option<&[f32]>,
    grad: Option<&[f32]>,
) -> Result<usize, Error> {
    let r = rows(logits, classes)?;
    if !(0.0..=1.0).contains(&options.label_smoothing) {
        return Err(Error::InvalidLabelSmoothing);
    }
    if let (Targets::Probabilities(_), Some(_)) = (&targets, options.ignore_index) {
        return Err(Error::IgnoreIndexWithProbabilities);
    }
    options.weights.map_or(Ok(()), |w| same_len(classes, w.len()))?;
    match targets {
        Targets::Labels(labels) => same_len(r, labels.len()),
        Targets::Probabilities(len) => same_len(logits, len),
    }?;
    losses.map_or(Ok(()), |l| same_len(r, l.len()))?;
    grad.map_or(Ok(()), |g| same_len(logits, g.len()))?;
    if let Targets::Labels(labels) = targets {
        for &label in labels {
            class(label, classes, options.ignore_index)?;
        }
    }
    Ok(r)
}

/// A row-batched dense cross-entropy: whole rows, labels and gradient as
/// long as the logits, one loss per row.
pub(crate) fn dense_xent_rows(
    logits: usize,
    labels: usize,
    classes: usize,
    losses: usize,
    grad: Option<usize>,
) -> Result<(), Error> {
    let r = rows(logits, classes)?;
    same_len(logits, labels)?;
    same_len(r, losses)?;
    grad.map_or(Ok(()), |g| same_len(logits, g))
}

/// A row-batched sparse cross-entropy: whole rows, one label and one loss
/// per row, the gradient as long as the logits; then (lengths first) every
/// label a class index.
pub(crate) fn sparse_xent_rows(
    logits: usize,
    labels: &[usize],
    classes: usize,
    losses: usize,
    grad: Option<usize>,
) -> Result<(), Error> {
    let r = rows(logits, classes)?;
    same_len(r, labels.len())?;
    same_len(r, losses)?;
    grad.map_or(Ok(()), |g| same_len(logits, g))?;
    match labels.iter().find(|&&l| l >= classes) {
        Some(&label) => Err(Error::LabelOutOfRange { label, classes }),
        None => Ok(()),
    }
}

/// A dense cross-entropy row: classes, labels and gradient as long as the
/// logits.
pub(crate) fn dense_xent(logits: usize, labels: usize, grad: Option<usize>) -> Result<(), Error> {
    if logits == 0 {
        return Err(Error::NoClasses);
    }
    same_len(logits, labels)?;
    grad.map_or(Ok(()), |g| same_len(logits, g))
}

/// A sparse cross-entropy row: classes, a label among them, a gradient as
/// long as the logits.
pub(crate) fn sparse_xent(logits: usize, label: usize, grad: Option<usize>) -> Result<(), Error> {
    if logits == 0 {
        return Err(Error::NoClasses);
    }
    if label >= logits {
        return Err(Error::LabelOutOfRange { label, classes: logits });
    }
    grad.map_or(Ok(()), |g| same_len(logits, g))
}
