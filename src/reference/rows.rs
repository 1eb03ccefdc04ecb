//! Reference row-batched forms: the single-row references on each row.

use super::{
    log_softmax_in_place, logsumexp, softmax_cross_entropy_with_logits, softmax_in_place,
    sparse_softmax_cross_entropy_with_logits,
};
use crate::Error;
use crate::checks::{dense_xent_rows, rows as row_count, same_len as expect_len, sparse_xent_rows};

/// Reference [`softmax_rows`](crate::softmax_rows).
///
/// # Errors
/// As the SIMD kernel.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    row_count(x.len(), classes)?;
    expect_len(x.len(), out.len())?;
    out.copy_from_slice(x);
    out.chunks_exact_mut(classes).for_each(softmax_in_place);
    Ok(())
}

/// Reference [`softmax_rows_in_place`](crate::softmax_rows_in_place).
///
/// # Errors
/// As the SIMD kernel.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> {
    row_count(x.len(), classes)?;
    x.chunks_exact_mut(classes).for_each(softmax_in_place);
    Ok(())
}

/// Reference [`log_softmax_rows`](crate::log_softmax_rows).
///
/// # Errors
/// As the SIMD kernel.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    row_count(x.len(), classes)?;
    expect_len(x.len(), out.len())?;
    out.copy_from_slice(x);
    out.chunks_exact_mut(classes).for_each(log_softmax_in_place);
    Ok(())
}

/// Reference [`log_softmax_rows_in_place`](crate::log_softmax_rows_in_place).
///
/// # Errors
/// As the SIMD kernel.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> {
    row_count(x.len(), classes)?;
    x.chunks_exact_mut(classes).for_each(log_softmax_in_place);
    Ok(())
}

/// Reference [`logsumexp_rows`](crate::logsumexp_rows).
///
/// # Errors
/// As the SIMD kernel.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn logsumexp_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> {
    let rows = row_count(x.len(), classes)?;
    expect_len(rows, out.len())?;
    for (o, row) in out.iter_mut().zip(x.chunks_exact(classes)) {
        *o = logsumexp(row);
    }
    Ok(())
}

/// Reference [`softmax_cross_entropy_with_logits_rows`](crate::softmax_cross_entropy_with_logits_rows).
///
/// # Errors
/// As the SIMD kernel.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_cross_entropy_with_logits_rows(
    logits: &[f32],
    labels: &[f32],
    classes: usize,
    losses: &mut [f32],
    grad: Option<&mut [f32]>,
) -> Result<(), Error> {
    dense_xent_rows(
        logits.len(),
        labels.len(),
        classes,
        losses.len(),
        grad.as_ref().map(|g| g.len()),
    )?;
    let mut grad_rows = grad.map(|g| g.chunks_exact_mut(classes));
    let rows = logits.chunks_exact(classes).zip(labels.chunks_exact(classes));
    for ((x, y), loss) in rows.zip(losses.iter_mut()) {
        let g = grad_rows.as_mut().and_then(|it| it.next());
        *loss = softmax_cross_entropy_with_logits(x, y, g)?;
    }
    Ok(())
}

/// Reference [`sparse_softmax_cross_entropy_with_logits_rows`](crate::sparse_softmax_cross_entropy_with_logits_rows).
///
/// # Errors
/// As the SIMD kernel (labels are all checked before anything is written).
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn sparse_softmax_cross_entropy_with_logits_rows(
    logits: &[f32],
    labels: &[usize],
    classes: usize,
    losses: &mut [f32],
    grad: Option<&mut [f32]>,
) -> Result<(), Error> {
    sparse_xent_rows(
        logits.len(),
        labels,
        classes,
        losses.len(),
        grad.as_ref().map(|g| g.len()),
    )?;
    let mut grad_rows = grad.map(|g| g.chunks_exact_mut(classes));
    for ((loss, &label), row) in losses.iter_mut().zip(labels).zip(logits.chunks_exact(classes)) {
        let g = grad_rows.as_mut().and_then(|it| it.next());
        *loss = sparse_softmax_cross_entropy_with_logits(row, label, g)?;
    }
    Ok(())
}
