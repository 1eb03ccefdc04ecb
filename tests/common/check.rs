//! The one agreement tester (XNNPACK style): each `check_*` runs a SIMD
//! kernel and its `reference` twin on the same input and returns `Err` with
//! a message on any disagreement beyond the documented bounds, any
//! special-value contract violation (docs/SEMANTICS.md), or any difference
//! between the out-of-place, in-place and row-batched forms.
//!
//! Used by the property tests, the special-value tests and the fuzz
//! targets (`#[path = "../../tests/common/check.rs"] mod check;`). The
//! bounds, the per-element predicates and the row-batched identity checks
//! are the shared no_std checker's (`checker/`, also run on the Cortex-M by
//! firmware/qemu-tests); this file adds the std conveniences (Vec buffers,
//! String messages) and the `Err` contract of wrong lengths and shapes.
#![allow(dead_code)]

use softmax_simd as simd;
use softmax_simd::{Error, reference};
use softmax_simd_checker::{self as shared, RowScratch};
// Re-exported for the property and training tests (unused by the fuzz targets).
#[allow(unused_imports)]
pub use softmax_simd_checker::{
    EPS, FLUSH, GRAD_EPS, LOG_EPS, SOFTMAX_ULP, Special, blocked_softmax_tol, close, flushed, has_nan, inf_count,
    max_f32, one_pass_may_differ, same_bits, special,
};

/// The bounds live in the shared no_std checker (checker/src/lib.rs).
pub const FLUSH_ABS: f64 = FLUSH;

pub fn fail<T>(what: &str, x: &[f32], detail: String) -> Result<T, String> {
    let shown: Vec<f32> = x.iter().copied().take(12).collect();
    Err(format!("{what} (n = {}, x[..12] = {shown:?}): {detail}", x.len()))
}

/// The shared checker's verdict as this file's `Result`.
fn judged(what: &str, x: &[f32], r: Result<(), impl std::fmt::Display>) -> Result<(), String> {
    r.or_else(|m| fail(what, x, m.to_string()))
}

/// A longer output gives `LengthMismatch` naming both lengths.
fn longer_rejected(what: &str, x: &[f32], expected: usize, r: Result<(), Error>) -> Result<(), String> {
    if r != Err(Error::LengthMismatch {
        expected,
        found: expected + 1,
    }) {
        return fail(what, x, format!("longer output gave {r:?}"));
    }
    Ok(())
}

pub fn check_exp(x: &[f32]) -> Result<(), String> {
    let mut a = vec![0.0; x.len()];
    let mut b = vec![0.0; x.len()];
    simd::exp(x, &mut a).map_err(|e| e.to_string())?;
    reference::exp(x, &mut b).map_err(|e| e.to_string())?;
    judged("exp", x, shared::exp_agrees(x, &a, &b))?;
    longer_rejected("exp", x, x.len(), simd::exp(x, &mut vec![0.0; x.len() + 1]))
}

pub fn check_reduce(x: &[f32]) -> Result<(), String> {
    let (m, mr) = (simd::max(x), reference::max(x));
    let (l, lr) = (simd::logsumexp(x), reference::logsumexp(x));
    judged("max / logsumexp", x, shared::reduce_agrees(x, m, mr, l, lr))
}

pub fn check_softmax(x: &[f32]) -> Result<(), String> {
    let n = x.len();
    let mut a = vec![0.0; n];
    let mut b = vec![0.0; n];
    let mut la = vec![0.0; n];
    let mut lb = vec![0.0; n];
    simd::softmax(x, &mut a).map_err(|e| e.to_string())?;
    reference::softmax(x, &mut b).map_err(|e| e.to_string())?;
    simd::log_softmax(x, &mut la).map_err(|e| e.to_string())?;
    reference::log_softmax(x, &mut lb).map_err(|e| e.to_string())?;
    type InPlace = fn(&mut [f32]);
    let in_place: [(&str, InPlace, &[f32]); 4] = [
        ("softmax_in_place", simd::softmax_in_place, &a),
        ("reference::softmax_in_place", reference::softmax_in_place, &b),
        ("log_softmax_in_place", simd::log_softmax_in_place, &la),
        ("reference::log_softmax_in_place", reference::log_softmax_in_place, &lb),
    ];
    for (what, f, want) in in_place {
        let mut c = x.to_vec();
        f(&mut c);
        if !same_bits(want, &c) {
            return fail(what, x, "differs from the out-of-place kernel".into());
        }
    }
    judged(
        "softmax",
        x,
        shared::softmax_agrees(x, &a, &b, &la, &lb, &mut vec![0.0; n]),
    )?;
    longer_rejected("softmax", x, n, simd::softmax(x, &mut vec![0.0; n + 1]))?;
    longer_rejected("log_softmax", x, n, simd::log_softmax(x, &mut vec![0.0; n + 1]))?;
    longer_rejected("reference softmax", x, n, reference::softmax(x, &mut vec![0.0; n + 1]))
}

/// The four results of a loss kernel (SIMD and reference, without and with
/// a gradient): all the expected `Err` with both gradients untouched
/// (`Ok(None)`), or all `Ok` (`Ok(Some(losses))`).
fn loss_results(
    what: &str,
    logits: &[f32],
    results: [Result<f32, Error>; 4],
    want_err: Option<Error>,
    grads: [&[f32]; 2],
) -> Result<Option<[f32; 4]>, String> {
    if let Some(e) = want_err {
        let all = results.iter().all(|r| r.as_ref().err() == Some(&e));
        if !all || grads.iter().any(|g| g.iter().any(|&v| v != 7.0)) {
            return fail(what, logits, format!("want {e:?} and nothing written: {results:?}"));
        }
        return Ok(None);
    }
    let mut l = [0.0f32; 4];
    for (l, r) in l.iter_mut().zip(&results) {
        *l = r.clone().map_err(|e| format!("{what}: unexpected {e:?}"))?;
    }
    Ok(Some(l))
}

pub fn check_dense_xent(logits: &[f32], labels: &[f32]) -> Result<(), String> {
    let n = logits.len();
    let r1 = simd::softmax_cross_entropy_with_logits(logits, labels, None);
    let r2 = reference::softmax_cross_entropy_with_logits(logits, labels, None);
    let mut ga = vec![7.0; n];
    let mut gb = vec![7.0; n];
    let r3 = simd::softmax_cross_entropy_with_logits(logits, labels, Some(&mut ga));
    let r4 = reference::softmax_cross_entropy_with_logits(logits, labels, Some(&mut gb));
    let want_err = if n == 0 {
        Some(Error::NoClasses)
    } else if labels.len() != n {
        Some(Error::LengthMismatch {
            expected: n,
            found: labels.len(),
        })
    } else {
        None
    };
    let Some(l) = loss_results("dense xent", logits, [r1, r2, r3, r4], want_err, [&ga, &gb])? else {
        return Ok(());
    };
    let mut p = vec![0.0; n];
    reference::softmax(logits, &mut p).unwrap();
    let r = shared::dense_agrees(logits, labels, l, &ga, &gb, &p, &mut vec![0.0; n]);
    r.or_else(|m| {
        fail(
            "dense xent",
            logits,
            format!("{m} (labels[..8] {:?})", &labels[..n.min(8)]),
        )
    })
}

pub fn check_sparse_xent(logits: &[f32], label: usize) -> Result<(), String> {
    let n = logits.len();
    let r1 = simd::sparse_softmax_cross_entropy_with_logits(logits, label, None);
    let r2 = reference::sparse_softmax_cross_entropy_with_logits(logits, label, None);
    let mut ga = vec![7.0; n];
    let mut gb = vec![7.0; n];
    let r3 = simd::sparse_softmax_cross_entropy_with_logits(logits, label, Some(&mut ga));
    let r4 = reference::sparse_softmax_cross_entropy_with_logits(logits, label, Some(&mut gb));
    let want_err = if n == 0 {
        Some(Error::NoClasses)
    } else if label >= n {
        Some(Error::LabelOutOfRange { label, classes: n })
    } else {
        None
    };
    let Some(l) = loss_results("sparse xent", logits, [r1, r2, r3, r4], want_err, [&ga, &gb])? else {
        return Ok(());
    };
    let mut onehot = vec![0.0; n];
    onehot[label] = 1.0;
    let mut gd = vec![0.0; n];
    let ld = simd::softmax_cross_entropy_with_logits(logits, &onehot, Some(&mut gd)).unwrap();
    let r = shared::sparse_agrees(logits, label, l, &ga, &gb, ld, &gd, &mut vec![0.0; n]);
    r.or_else(|m| fail("sparse xent", logits, format!("label {label}: {m}")))
}

/// A batched loss form `f(losses, grad)` returns `e`, with and without a
/// gradient, and writes nothing.
fn loss_rows_rejected(
    what: &str,
    x: &[f32],
    rows: usize,
    e: &Error,
    f: impl Fn(&mut [f32], Option<&mut [f32]>) -> Result<(), Error>,
) -> Result<(), String> {
    let sentinel = 3.0f32;
    let mut losses = vec![sentinel; rows];
    let mut grad = vec![sentinel; x.len()];
    let r = f(&mut losses, Some(&mut grad));
    let mut losses2 = vec![sentinel; rows];
    let r2 = f(&mut losses2, None);
    if r.as_ref().err() != Some(e)
        || r2.as_ref().err() != Some(e)
        || losses.iter().chain(&grad).chain(&losses2).any(|&v| v != sentinel)
    {
        return fail(what, x, format!("want {e:?} and nothing written, got {r:?} / {r2:?}"));
    }
    Ok(())
}

/// Row-batched forms: the same `Err` from SIMD and reference (and nothing
/// written), or every row bit-identical to the single-row kernel's result
/// (the shared checker's `*_rows_agree`).
pub fn check_rows(x: &[f32], classes: usize, dense_labels: &[f32], sparse_labels: &[usize]) -> Result<(), String> {
    let n = x.len();
    let shape_err = if classes == 0 {
        Some(Error::NoClasses)
    } else if !n.is_multiple_of(classes) {
        Some(Error::NotMultipleOfClasses { len: n, classes })
    } else {
        None
    };
    let rows = n.checked_div(classes).unwrap_or(0);
    let sentinel = 3.0f32;
    let (mut a, mut b, mut c, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut scratch = RowScratch {
        a: &mut a,
        b: &mut b,
        c: &mut c,
        d: &mut d,
    };

    // softmax / log_softmax (out of place and in place) and logsumexp.
    match &shape_err {
        Some(e) => {
            for (what, out_fn, in_fn, _) in shared::SOFTMAX_ROW_FORMS {
                let mut out = vec![sentinel; n];
                let r = out_fn(x, classes, &mut out);
                let mut inp = x.to_vec();
                let ri = in_fn(&mut inp, classes);
                if r.as_ref().err() != Some(e)
                    || ri.as_ref().err() != Some(e)
                    || out.iter().any(|&v| v != sentinel)
                    || !same_bits(&inp, x)
                {
                    return fail(
                        what,
                        x,
                        format!("classes {classes}: want {e:?}, got {r:?} / {ri:?}, or something was written"),
                    );
                }
            }
            for (what, f, _) in shared::LOGSUMEXP_ROW_FORMS {
                let r = f(x, classes, &mut vec![sentinel; rows]);
                if r.as_ref().err() != Some(e) {
                    return fail(what, x, format!("want {e:?}, got {r:?}"));
                }
            }
        }
        None => {
            judged("softmax rows", x, shared::softmax_rows_agree(x, classes, &mut scratch))?;
            for (what, out_fn, _, _) in shared::SOFTMAX_ROW_FORMS {
                longer_rejected(what, x, n, out_fn(x, classes, &mut vec![0.0; n + 1]))?;
            }
            for (what, f, _) in shared::LOGSUMEXP_ROW_FORMS {
                longer_rejected(what, x, rows, f(x, classes, &mut vec![0.0; rows + 1]))?;
            }
        }
    }

    // Dense cross-entropy rows.
    let want_err = shape_err.clone().or(if dense_labels.len() != n {
        Some(Error::LengthMismatch {
            expected: n,
            found: dense_labels.len(),
        })
    } else {
        None
    });
    match want_err {
        Some(e) => {
            for (what, f, _) in shared::DENSE_ROW_FORMS {
                loss_rows_rejected(what, x, rows, &e, |l, g| f(x, dense_labels, classes, l, g))?;
            }
        }
        None => {
            judged(
                "xent rows",
                x,
                shared::dense_rows_agree(x, dense_labels, classes, &mut scratch),
            )?;
            for (what, f, _) in shared::DENSE_ROW_FORMS {
                let r = f(x, dense_labels, classes, &mut vec![0.0; rows + 1], None);
                longer_rejected(what, x, rows, r)?;
            }
        }
    }

    // Sparse cross-entropy rows.
    let want_err = shape_err.clone().or(if sparse_labels.len() != rows {
        Some(Error::LengthMismatch {
            expected: rows,
            found: sparse_labels.len(),
        })
    } else {
        sparse_labels
            .iter()
            .find(|&&l| l >= classes)
            .map(|&label| Error::LabelOutOfRange { label, classes })
    });
    match want_err {
        Some(e) => {
            for (what, f, _) in shared::SPARSE_ROW_FORMS {
                loss_rows_rejected(what, x, rows, &e, |l, g| f(x, sparse_labels, classes, l, g))?;
            }
        }
        None => judged(
            "sparse xent rows",
            x,
            shared::sparse_rows_agree(x, sparse_labels, classes, &mut scratch),
        )?,
    }
    Ok(())
}
