use super::logsumexp::rest_sum;
use super::row::{Row, inf_log_share, inf_share, scan};
use super::sum::{neumaier, wide_sum};
use crate::Error;
use crate::checks::{dense_xent, sparse_xent};

/// Reference [`softmax_cross_entropy_with_logits`](crate::softmax_cross_entropy_with_logits):
/// `loss = sum over y_i != 0 of y_i * (log1p(S - 1) - d_i)` (compensated),
/// `grad_i = Y * (e_i / S) - y_i`, `Y = sum_j y_j`.
///
/// # Errors
/// [`Error::NoClasses`] for empty logits, [`Error::LengthMismatch`] for
/// `labels` or `grad` of another length.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_cross_entropy_with_logits(
    logits: &[f32],
    labels: &[f32],
    grad: Option<&mut [f32]>,
) -> Result<f32, Error> {
    let n = logits.len();
    dense_xent(n, labels.len(), grad.as_ref().map(|g| g.len()))?;
    let y_total = neumaier(labels.iter().copied());
    // The limits of a row whose max is not finite: `Some(k)` for `k`
    // entries at +inf, `None` for a masked row (every entry -inf).
    let inf_k = match scan(logits) {
        Row::Nan => {
            if let Some(g) = grad {
                g.fill(f32::NAN);
            }
            return Ok(f32::NAN);
        }
        Row::Finite { m, arg } => {
            let rest = rest_sum(logits, m, arg, 1.0);
            let l = libm::log1pf(rest);
            let terms = logits.iter().zip(labels).filter(|&(_, &y)| y != 0.0);
            let loss = wide_sum(terms.map(|(&x, &y)| f64::from(y) * (f64::from(l) - f64::from(x - m))));
            let s = 1.0 + rest;
            if let Some(g) = grad {
                for ((g, &x), &y) in g.iter_mut().zip(logits).zip(labels) {
                    *g = y_total * (libm::expf(x - m) / s) - y;
                }
            }
            return Ok(loss);
        }
        Row::PosInf { k } => Some(k),
        Row::Masked => None,
    };
    // (-log_softmax_i, softmax_i) in the limit.
    let limit = |x: f32| match inf_k {
        Some(k) => (-inf_log_share(x, k), inf_share(x, k)),
        None => (f32::INFINITY, 0.0),
    };
    let terms = logits.iter().zip(labels).filter(|&(_, &y)| y != 0.0);
    let loss = neumaier(terms.map(|(&x, &y)| y * limit(x).0));
    if let Some(g) = grad {
        for ((g, &x), &y) in g.iter_mut().zip(logits).zip(labels) {
            *g = y_total * limit(x).1 - y;
        }
    }
    Ok(loss)
}

/// Reference [`sparse_softmax_cross_entropy_with_logits`](crate::sparse_softmax_cross_entropy_with_logits):
/// `loss = log1p(S - 1) - d_label`, `grad_i = e_i / S` and, at the label,
/// `-(sum over i != label of e_i) / S`.
///
/// # Errors
/// [`Error::NoClasses`], [`Error::LabelOutOfRange`], [`Error::LengthMismatch`]
/// as the SIMD kernel.
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn sparse_softmax_cross_entropy_with_logits(
    logits: &[f32],
    label: usize,
    grad: Option<&mut [f32]>,
) -> Result<f32, Error> {
    let n = logits.len();
    sparse_xent(n, label, grad.as_ref().map(|g| g.len()))?;
    let Some(&x_label) = logits.get(label) else {
        return Err(Error::LabelOutOfRange { label, classes: n });
    };
    match scan(logits) {
        Row::Nan => {
            if let Some(g) = grad {
                g.fill(f32::NAN);
            }
            Ok(f32::NAN)
        }
        Row::Finite { m, arg } => {
            let rest = rest_sum(logits, m, arg, 1.0);
            let s = 1.0 + rest;
            if let Some(g) = grad {
                for (i, (g, &x)) in g.iter_mut().zip(logits).enumerate() {
                    *g = if i == label {
                        -rest_sum(logits, m, label, 1.0) / s
                    } else {
                        libm::expf(x - m) / s
                    };
                }
            }
            Ok(libm::log1pf(rest) - (x_label - m))
        }
        Row::PosInf { k } => {
            if let Some(g) = grad {
                for (i, (g, &x)) in g.iter_mut().zip(logits).enumerate() {
                    *g = inf_share(x, k) - if i == label { 1.0 } else { 0.0 };
                }
            }
            Ok(-inf_log_share(x_label, k))
        }
        Row::Masked => {
            if let Some(g) = grad {
                for (i, g) in g.iter_mut().enumerate() {
                    *g = if i == label { -1.0 } else { 0.0 };
                }
            }
            Ok(f32::INFINITY)
        }
    }
}
