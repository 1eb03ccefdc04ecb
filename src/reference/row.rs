//! One scalar scan of a row that classifies it for the special-value rules.

/// What a row is, for docs/SEMANTICS.md's special-value table.
pub(super) enum Row {
    /// Some element is NaN: every output is NaN.
    Nan,
    /// No NaN, `k >= 1` elements are `+inf`: they share the mass.
    PosInf { k: usize },
    /// Empty, or every element `-inf` (a masked row).
    Masked,
    /// The ordinary case: finite max `m` at index `arg` (its first occurrence).
    Finite { m: f32, arg: usize },
}

pub(super) fn scan(x: &[f32]) -> Row {
    let mut k = 0usize;
    let mut best: Option<(f32, usize)> = None;
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            return Row::Nan;
        }
        if v == f32::INFINITY {
            k += 1;
        }
        match best {
            Some((m, _)) if v <= m => {}
            _ => best = Some((v, i)),
        }
    }
    match best {
        _ if k > 0 => Row::PosInf { k },
        Some((m, arg)) if m != f32::NEG_INFINITY => Row::Finite { m, arg },
        _ => Row::Masked,
    }
}

/// The `log_softmax` limit of an element of a `+inf` row.
pub(super) fn inf_log_share(x: f32, k: usize) -> f32 {
    if x == f32::INFINITY {
        0.0 - libm::logf(k as f32) // +0, not -0, for k = 1
    } else {
        f32::NEG_INFINITY
    }
}

/// The `softmax` limit of an element of a `+inf` row.
pub(super) fn inf_share(x: f32, k: usize) -> f32 {
    if x == f32::INFINITY { 1.0 / k as f32 } else { 0.0 }
}
