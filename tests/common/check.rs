//! The one agreement tester (XNNPACK style): each `check_*` runs a SIMD
//! kernel and its `reference` twin on the same input and returns `Err` with
//! a message on any disagreement beyond the documented bounds, any
//! special-value contract violation (docs/SEMANTICS.md), or any difference
//! between the out-of-place, in-place and row-batched forms.
//!
//! Used by the property tests, the special-value tests and the fuzz
//! targets (`#[path = "../../tests/common/check.rs"] mod check;`).
#![allow(dead_code)]

use softmax_simd as simd;
use softmax_simd::{Error, reference};

/// `exp`: SIMD vs `libm::expf` (SIMD <= 1 ULP, libm < 1 ULP from the
/// correctly rounded value).
pub const EXP_ULP: u32 = 2;
/// `softmax` outputs: SIMD vs reference, in ULP of the reference output.
pub const SOFTMAX_ULP: u32 = 8;
/// `log_softmax`, `logsumexp` and losses: in units of `eps * scale`, where
/// `scale` is the sum of the magnitudes of the terms (`|d_i| + log1p(S-1)`).
pub const LOG_EPS: f64 = 8.0;
/// Gradients: in units of `eps * (|Y softmax_i| + |y_i|)`.
pub const GRAD_EPS: f64 = 8.0;

/// Below `exp`'s flush threshold the SIMD kernels return 0 where `libm`
/// keeps a subnormal: values this small are equal for agreement purposes.
pub const FLUSH_ABS: f64 = f32::MIN_POSITIVE as f64;
pub const FLUSH: f64 = FLUSH_ABS;
pub const EPS: f64 = f32::EPSILON as f64;

/// The most that flushing can move a sum of `n` exps: each term below
/// `f32::MIN_POSITIVE` may be 0 in one implementation and not the other.
pub fn flushed(n: usize) -> f64 {
    n.max(1) as f64 * FLUSH
}

/// Distance in ULP between two finite floats of any sign.
pub fn ulp_diff(a: f32, b: f32) -> u32 {
    fn key(x: f32) -> i64 {
        let b = x.to_bits() as i32 as i64;
        if b < 0 { i64::from(i32::MIN) - b } else { b }
    }
    (key(a) - key(b)).unsigned_abs().min(u32::MAX as u64) as u32
}

/// Same value (NaN == NaN, -0 == +0), or within `ulps` ULP, or within `abs`.
pub fn close(a: f32, b: f32, ulps: u32, abs: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    if a.is_infinite() || b.is_infinite() {
        return false;
    }
    ((a as f64) - (b as f64)).abs() <= abs || ulp_diff(a, b) <= ulps
}

pub fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

pub fn fail<T>(what: &str, x: &[f32], detail: String) -> Result<T, String> {
    let shown: Vec<f32> = x.iter().copied().take(12).collect();
    Err(format!("{what} (n = {}, x[..12] = {shown:?}): {detail}", x.len()))
}

pub fn has_nan(x: &[f32]) -> bool {
    x.iter().any(|v| v.is_nan())
}
pub fn inf_count(x: &[f32]) -> usize {
    x.iter().filter(|&&v| v == f32::INFINITY).count()
}
pub fn max_f32(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// `log1p(S - 1)` of a finite row, from the reference `log_softmax` at the
/// arg-max (`lse - m` in f32 would lose it when `m` is large).
fn log_normaliser(x: &[f32]) -> f64 {
    let mut lb = vec![0.0; x.len()];
    reference::log_softmax(x, &mut lb).unwrap();
    let m = max_f32(x);
    x.iter().position(|&v| v == m).map_or(0.0, |arg| -(lb[arg] as f64))
}

pub fn check_exp(x: &[f32]) -> Result<(), String> {
    let mut a = vec![0.0; x.len()];
    let mut b = vec![0.0; x.len()];
    simd::exp(x, &mut a).map_err(|e| e.to_string())?;
    reference::exp(x, &mut b).map_err(|e| e.to_string())?;
    for (i, ((&v, &p), &q)) in x.iter().zip(&a).zip(&b).enumerate() {
        let ok = if v.is_nan() {
            p.is_nan() && q.is_nan()
        } else if v > 88.72283 {
            p == f32::INFINITY
        } else if v < -87.33654 {
            p.to_bits() == 0
        } else {
            close(p, q, EXP_ULP, 0.0)
        };
        if !ok {
            return fail("exp", x, format!("x[{i}] = {v:e}: simd {p:e}, reference {q:e}"));
        }
    }
    if simd::exp(x, &mut vec![0.0; x.len() + 1])
        != Err(Error::LengthMismatch {
            expected: x.len(),
            found: x.len() + 1,
        })
    {
        return fail("exp", x, "no LengthMismatch for a longer output".into());
    }
    Ok(())
}

/// What docs/SEMANTICS.md says of a row whose max is not finite (`None`: finite).
pub enum Special {
    Nan,
    Inf(usize),
    Masked,
}
pub fn special(x: &[f32]) -> Option<Special> {
    if has_nan(x) {
        Some(Special::Nan)
    } else if inf_count(x) > 0 {
        Some(Special::Inf(inf_count(x)))
    } else if x.iter().all(|&v| v == f32::NEG_INFINITY) {
        Some(Special::Masked)
    } else {
        None
    }
}

pub fn check_reduce(x: &[f32]) -> Result<(), String> {
    let (m, mr) = (simd::max(x), reference::max(x));
    let want_max = if has_nan(x) { f32::NAN } else { max_f32(x) };
    if !(m == want_max || m.is_nan() && want_max.is_nan()) || !(mr == want_max || mr.is_nan() && want_max.is_nan()) {
        return fail("max", x, format!("simd {m}, reference {mr}, want {want_max}"));
    }
    let (l, lr) = (simd::logsumexp(x), reference::logsumexp(x));
    let want = match special(x) {
        Some(Special::Nan) => Some(f32::NAN),
        Some(Special::Inf(_)) => Some(f32::INFINITY),
        Some(Special::Masked) => Some(f32::NEG_INFINITY),
        None => None,
    };
    match want {
        Some(w) => {
            if !close(l, w, 0, 0.0) || !close(lr, w, 0, 0.0) {
                return fail("logsumexp special", x, format!("simd {l}, reference {lr}, want {w}"));
            }
        }
        None => {
            let scale = (want_max as f64).abs() + ((lr - want_max) as f64).abs();
            let tol = LOG_EPS * EPS * scale + flushed(x.len());
            if !close(l, lr, 0, tol) {
                return fail(
                    "logsumexp",
                    x,
                    format!("simd {l:e}, reference {lr:e}, tolerance {tol:e}"),
                );
            }
        }
    }
    Ok(())
}

pub fn check_softmax(x: &[f32]) -> Result<(), String> {
    let n = x.len();
    let mut a = vec![0.0; n];
    let mut b = vec![0.0; n];
    simd::softmax(x, &mut a).map_err(|e| e.to_string())?;
    reference::softmax(x, &mut b).map_err(|e| e.to_string())?;
    let mut c = x.to_vec();
    simd::softmax_in_place(&mut c);
    if !same_bits(&a, &c) {
        return fail("softmax", x, "softmax_in_place differs from softmax".into());
    }
    let mut c = x.to_vec();
    reference::softmax_in_place(&mut c);
    if !same_bits(&b, &c) {
        return fail(
            "reference softmax",
            x,
            "reference::softmax_in_place differs from reference::softmax".into(),
        );
    }
    let mut la = vec![0.0; n];
    let mut lb = vec![0.0; n];
    simd::log_softmax(x, &mut la).map_err(|e| e.to_string())?;
    reference::log_softmax(x, &mut lb).map_err(|e| e.to_string())?;
    let mut c = x.to_vec();
    simd::log_softmax_in_place(&mut c);
    if !same_bits(&la, &c) {
        return fail("log_softmax", x, "log_softmax_in_place differs from log_softmax".into());
    }
    let mut c = x.to_vec();
    reference::log_softmax_in_place(&mut c);
    if !same_bits(&lb, &c) {
        return fail("reference log_softmax", x, "in place differs".into());
    }
    match special(x) {
        Some(s) if n > 0 => {
            for (i, &v) in x.iter().enumerate() {
                let (p, lp) = match s {
                    Special::Nan => (f32::NAN, f32::NAN),
                    Special::Masked => (0.0, f32::NEG_INFINITY),
                    Special::Inf(k) if v == f32::INFINITY => (1.0 / k as f32, -(k as f32).ln()),
                    Special::Inf(_) => (0.0, f32::NEG_INFINITY),
                };
                for (what, got, want) in [
                    ("softmax", a[i], p),
                    ("reference softmax", b[i], p),
                    ("log_softmax", la[i], lp),
                    ("reference log_softmax", lb[i], lp),
                ] {
                    if !close(got, want, 1, 0.0) {
                        return fail(what, x, format!("special row, [{i}] = {got}, want {want}"));
                    }
                }
            }
        }
        Some(_) => {}
        None => {
            let m = max_f32(x);
            let l = log_normaliser(x);
            for i in 0..n {
                if !close(a[i], b[i], SOFTMAX_ULP, FLUSH) {
                    return fail(
                        "softmax",
                        x,
                        format!(
                            "[{i}]: simd {:e}, reference {:e}, {} ULP",
                            a[i],
                            b[i],
                            ulp_diff(a[i], b[i])
                        ),
                    );
                }
                let d = (x[i] - m) as f64;
                let tol = LOG_EPS * EPS * (d.abs() + l.abs()) + flushed(n);
                if !close(la[i], lb[i], 0, tol) {
                    return fail(
                        "log_softmax",
                        x,
                        format!("[{i}]: simd {:e}, reference {:e}, tolerance {tol:e}", la[i], lb[i]),
                    );
                }
            }
            // Each output is within SOFTMAX_ULP of a reference that is itself
            // within a few ULP of exact, so the sum is 1 within about that.
            let sum: f64 = a.iter().map(|&v| v as f64).sum();
            let bound = (SOFTMAX_ULP + 2) as f64 * EPS;
            if (sum - 1.0).abs() > bound {
                return fail("softmax", x, format!("sums to {sum}, |sum - 1| > {bound:e}"));
            }
        }
    }
    for (what, r) in [
        ("softmax", simd::softmax(x, &mut vec![0.0; n + 1])),
        ("log_softmax", simd::log_softmax(x, &mut vec![0.0; n + 1])),
        ("reference softmax", reference::softmax(x, &mut vec![0.0; n + 1])),
    ] {
        if r != Err(Error::LengthMismatch {
            expected: n,
            found: n + 1,
        }) {
            return fail(what, x, format!("longer output gave {r:?}"));
        }
    }
    Ok(())
}

/// The four results of a loss kernel (SIMD and reference, without and with
/// a gradient): all the expected `Err` with both gradients untouched
/// (`Ok(None)`), or all `Ok` with the loss independent of the gradient
/// (`Ok(Some((simd, reference)))`).
fn loss_results(
    what: &str,
    logits: &[f32],
    results: [Result<f32, Error>; 4],
    want_err: Option<Error>,
    grads: [&[f32]; 2],
) -> Result<Option<(f32, f32)>, String> {
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
    if !close(l[0], l[2], 0, 0.0) || !close(l[1], l[3], 0, 0.0) {
        return fail(what, logits, format!("loss depends on grad: {l:?}"));
    }
    Ok(Some((l[0], l[1])))
}

/// The f64 scale of the loss terms, `sum |y_i| (|L| + |d_i|)`, over terms
/// with `y_i != 0`.
fn loss_scale(x: &[f32], y: &[f32]) -> f64 {
    let m = max_f32(x);
    if m == f32::INFINITY && !has_nan(x) {
        // The +inf limit: `-log_softmax` is `ln k` on the k infinite
        // logits and +inf elsewhere (then the loss is infinite too).
        let ln_k = (inf_count(x) as f64).ln();
        let terms = x.iter().zip(y).filter(|&(_, &y)| y != 0.0);
        return terms
            .map(|(&x, &y)| (y as f64).abs() * if x == f32::INFINITY { ln_k } else { f64::INFINITY })
            .sum();
    }
    let l = log_normaliser(x);
    x.iter()
        .zip(y)
        .filter(|&(_, &y)| y != 0.0)
        .map(|(&x, &y)| (y as f64).abs() * (l.abs() + ((x - m) as f64).abs()))
        .sum()
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
    let Some((l1, l2)) = loss_results("dense xent", logits, [r1, r2, r3, r4], want_err, [&ga, &gb])? else {
        return Ok(());
    };
    let scale = loss_scale(logits, labels);
    let y_abs: f64 = labels.iter().map(|&y| (y as f64).abs()).sum();
    if y_abs > f32::MAX as f64 || (scale.is_finite() && scale > f32::MAX as f64) {
        // The labels' (or the loss terms') partial sums can overflow f32:
        // where they do depends
        // on the summation order (lanes vs one compensated chain), so the
        // two implementations may legitimately reach inf, -inf or NaN
        // differently. Only the contract checks above apply.
        return Ok(());
    }
    let tol = if scale.is_finite() {
        LOG_EPS * EPS * scale + flushed(n) * (1.0 + y_abs)
    } else {
        0.0
    };
    if !close(l1, l2, 0, tol) {
        return fail(
            "dense xent",
            logits,
            format!(
                "loss simd {l1:e}, reference {l2:e}, tolerance {tol:e} (labels[..8] {:?})",
                &labels[..n.min(8)]
            ),
        );
    }
    // Y = sum(y) is itself only as accurate as sum |y|.
    let mut p = vec![0.0; n];
    reference::softmax(logits, &mut p).unwrap();
    for i in 0..n {
        let g_tol = GRAD_EPS * EPS * (y_abs * p[i] as f64 + (labels[i] as f64).abs()) + FLUSH * (1.0 + y_abs);
        let g_tol = if g_tol.is_finite() { g_tol } else { 0.0 };
        if !close(ga[i], gb[i], 0, g_tol) {
            return fail(
                "dense xent grad",
                logits,
                format!("[{i}]: simd {:e}, reference {:e}, tolerance {g_tol:e}", ga[i], gb[i]),
            );
        }
    }
    Ok(())
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
    let Some((l1, l2)) = loss_results("sparse xent", logits, [r1, r2, r3, r4], want_err, [&ga, &gb])? else {
        return Ok(());
    };
    let mut onehot = vec![0.0; n];
    onehot[label] = 1.0;
    let scale = loss_scale(logits, &onehot);
    let tol = if scale.is_finite() {
        LOG_EPS * EPS * scale + flushed(n)
    } else {
        0.0
    };
    if !close(l1, l2, 0, tol) {
        return fail(
            "sparse xent",
            logits,
            format!("label {label}: loss simd {l1:e}, reference {l2:e}, tolerance {tol:e}"),
        );
    }
    // The sparse gradient is the dense one with one-hot labels.
    let mut gd = vec![0.0; n];
    let ld = simd::softmax_cross_entropy_with_logits(logits, &onehot, Some(&mut gd)).unwrap();
    if !close(ld, l1, 0, tol) {
        return fail(
            "sparse xent",
            logits,
            format!("label {label}: loss {l1:e}, dense one-hot {ld:e}"),
        );
    }
    for i in 0..n {
        // Both compute the label's entry without cancellation, as
        // -(S - e_label) / S: relative accuracy everywhere.
        if !close(ga[i], gb[i], SOFTMAX_ULP, flushed(n)) {
            return fail(
                "sparse xent grad",
                logits,
                format!("label {label}, [{i}]: simd {:e}, reference {:e}", ga[i], gb[i]),
            );
        }
        if !close(ga[i], gd[i], 0, GRAD_EPS * EPS + flushed(n)) {
            return fail(
                "sparse xent grad",
                logits,
                format!("label {label}, [{i}]: {:e}, dense one-hot {:e}", ga[i], gd[i]),
            );
        }
    }
    Ok(())
}

/// Row-batched forms: the same `Err` from SIMD and reference (and nothing
/// written), or every row bit-identical to the single-row kernel's result.
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

    // softmax / log_softmax, out of place and in place.
    type OutFn = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
    type InFn = fn(&mut [f32], usize) -> Result<(), Error>;
    type RowFn = fn(&mut [f32]);
    let forms: [(&str, OutFn, InFn, RowFn); 4] = [
        (
            "softmax_rows",
            simd::softmax_rows,
            simd::softmax_rows_in_place,
            simd::softmax_in_place,
        ),
        (
            "log_softmax_rows",
            simd::log_softmax_rows,
            simd::log_softmax_rows_in_place,
            simd::log_softmax_in_place,
        ),
        (
            "reference::softmax_rows",
            reference::softmax_rows,
            reference::softmax_rows_in_place,
            reference::softmax_in_place,
        ),
        (
            "reference::log_softmax_rows",
            reference::log_softmax_rows,
            reference::log_softmax_rows_in_place,
            reference::log_softmax_in_place,
        ),
    ];
    for (what, out_fn, in_fn, row_fn) in forms {
        let mut out = vec![sentinel; n];
        let r = out_fn(x, classes, &mut out);
        let mut inp = x.to_vec();
        let ri = in_fn(&mut inp, classes);
        match &shape_err {
            Some(e) => {
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
            None => {
                r.map_err(|e| format!("{what}: {e}"))?;
                ri.map_err(|e| format!("{what} in place: {e}"))?;
                let mut want = x.to_vec();
                want.chunks_exact_mut(classes).for_each(row_fn);
                if !same_bits(&out, &want) || !same_bits(&inp, &want) {
                    return fail(
                        what,
                        x,
                        format!("classes {classes}: rows differ from the single-row kernel"),
                    );
                }
                let bad = out_fn(x, classes, &mut vec![0.0; n + 1]);
                if bad
                    != Err(Error::LengthMismatch {
                        expected: n,
                        found: n + 1,
                    })
                {
                    return fail(what, x, format!("longer output gave {bad:?}"));
                }
            }
        }
    }

    // logsumexp_rows
    type LseRows = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
    for (what, f, single) in [
        (
            "logsumexp_rows",
            simd::logsumexp_rows as LseRows,
            simd::logsumexp as fn(&[f32]) -> f32,
        ),
        (
            "reference::logsumexp_rows",
            reference::logsumexp_rows,
            reference::logsumexp,
        ),
    ] {
        let mut out = vec![sentinel; rows];
        let r = f(x, classes, &mut out);
        match &shape_err {
            Some(e) if r.as_ref().err() != Some(e) => return fail(what, x, format!("want {e:?}, got {r:?}")),
            Some(_) => {}
            None => {
                r.map_err(|e| format!("{what}: {e}"))?;
                let want: Vec<f32> = x.chunks_exact(classes).map(single).collect();
                if !same_bits(&out, &want) {
                    return fail(what, x, "rows differ from logsumexp".into());
                }
                let bad = f(x, classes, &mut vec![0.0; rows + 1]);
                if bad
                    != Err(Error::LengthMismatch {
                        expected: rows,
                        found: rows + 1,
                    })
                {
                    return fail(what, x, format!("longer output gave {bad:?}"));
                }
            }
        }
    }

    // Dense cross-entropy rows.
    type DenseRows = fn(&[f32], &[f32], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
    type DenseRow = fn(&[f32], &[f32], Option<&mut [f32]>) -> Result<f32, Error>;
    let dense: [(&str, DenseRows, DenseRow); 2] = [
        (
            "xent_rows",
            simd::softmax_cross_entropy_with_logits_rows,
            simd::softmax_cross_entropy_with_logits,
        ),
        (
            "reference::xent_rows",
            reference::softmax_cross_entropy_with_logits_rows,
            reference::softmax_cross_entropy_with_logits,
        ),
    ];
    for (what, f, single) in dense {
        let want_err = shape_err.clone().or(if dense_labels.len() != n {
            Some(Error::LengthMismatch {
                expected: n,
                found: dense_labels.len(),
            })
        } else {
            None
        });
        let mut losses = vec![sentinel; rows];
        let mut grad = vec![sentinel; n];
        let r = f(x, dense_labels, classes, &mut losses, Some(&mut grad));
        let mut losses2 = vec![sentinel; rows];
        let r2 = f(x, dense_labels, classes, &mut losses2, None);
        match want_err {
            Some(e) => {
                if r.as_ref().err() != Some(&e)
                    || r2.as_ref().err() != Some(&e)
                    || losses.iter().chain(&grad).chain(&losses2).any(|&v| v != sentinel)
                {
                    return fail(what, x, format!("want {e:?} and nothing written, got {r:?} / {r2:?}"));
                }
            }
            None => {
                r.map_err(|e| format!("{what}: {e}"))?;
                r2.map_err(|e| format!("{what}: {e}"))?;
                for (k, (xr, yr)) in x
                    .chunks_exact(classes)
                    .zip(dense_labels.chunks_exact(classes))
                    .enumerate()
                {
                    let mut g = vec![0.0; classes];
                    let l = single(xr, yr, Some(&mut g)).map_err(|e| e.to_string())?;
                    if !same_bits(&[l, l], &[losses[k], losses2[k]])
                        || !same_bits(&g, &grad[k * classes..(k + 1) * classes])
                    {
                        return fail(what, x, format!("row {k} differs from the single-row kernel"));
                    }
                }
                let bad = f(x, dense_labels, classes, &mut vec![0.0; rows + 1], None);
                if bad
                    != Err(Error::LengthMismatch {
                        expected: rows,
                        found: rows + 1,
                    })
                {
                    return fail(what, x, format!("longer losses gave {bad:?}"));
                }
            }
        }
    }

    // Sparse cross-entropy rows.
    type SparseRows = fn(&[f32], &[usize], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
    type SparseRow = fn(&[f32], usize, Option<&mut [f32]>) -> Result<f32, Error>;
    let sparse: [(&str, SparseRows, SparseRow); 2] = [
        (
            "sparse_xent_rows",
            simd::sparse_softmax_cross_entropy_with_logits_rows,
            simd::sparse_softmax_cross_entropy_with_logits,
        ),
        (
            "reference::sparse_xent_rows",
            reference::sparse_softmax_cross_entropy_with_logits_rows,
            reference::sparse_softmax_cross_entropy_with_logits,
        ),
    ];
    for (what, f, single) in sparse {
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
        let mut losses = vec![sentinel; rows];
        let mut grad = vec![sentinel; n];
        let r = f(x, sparse_labels, classes, &mut losses, Some(&mut grad));
        let mut losses2 = vec![sentinel; rows];
        let r2 = f(x, sparse_labels, classes, &mut losses2, None);
        match want_err {
            Some(e) => {
                if r.as_ref().err() != Some(&e)
                    || r2.as_ref().err() != Some(&e)
                    || losses.iter().chain(&grad).chain(&losses2).any(|&v| v != sentinel)
                {
                    return fail(what, x, format!("want {e:?} and nothing written, got {r:?} / {r2:?}"));
                }
            }
            None => {
                r.map_err(|e| format!("{what}: {e}"))?;
                r2.map_err(|e| format!("{what}: {e}"))?;
                for (k, (xr, &c)) in x.chunks_exact(classes).zip(sparse_labels).enumerate() {
                    let mut g = vec![0.0; classes];
                    let l = single(xr, c, Some(&mut g)).map_err(|e| e.to_string())?;
                    if !same_bits(&[l, l], &[losses[k], losses2[k]])
                        || !same_bits(&g, &grad[k * classes..(k + 1) * classes])
                    {
                        return fail(what, x, format!("row {k} differs from the single-row kernel"));
                    }
                }
            }
        }
    }
    Ok(())
}
