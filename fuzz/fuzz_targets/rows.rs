//! `rows`: every row-batched kernel (softmax / log_softmax out-of-place and
//! in place, logsumexp, dense and sparse cross-entropy with and without a
//! gradient) with arbitrary `classes` (0, lane multiples and their
//! neighbours, huge) and buffer lengths. Every input goes through the shared
//! checker (row-by-row identity with the single-row kernels, or its `Err`
//! contract for the shape and the labels); on top of that, inconsistent
//! arguments of every kind (`classes == 0`, a length that is
//! not a whole number of rows, any output, label or gradient buffer of the
//! wrong length, a sparse label past the end) must give the same `Err` from
//! the SIMD kernel and the reference, name a real problem, and leave every
//! output (and, in place, the input) untouched.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd::{
    Error, reference, softmax_cross_entropy_with_logits_rows as dense_rows,
    sparse_softmax_cross_entropy_with_logits_rows as sparse_rows,
};
use softmax_simd_fuzz::{
    Allowed, BufLen, Labels, MAX_LEN, On, Row, SparseLabel, check_err_call, check_errors, or_panic,
};

#[path = "../../tests/common/check.rs"]
mod check;

/// The row length.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Classes {
    Zero,
    /// `1..=256`, every lane tail.
    Small(u8),
    /// `unit * k + delta` around lane widths and unroll sizes.
    Around {
        unit: u8,
        k: u8,
        delta: i8,
    },
    /// Anything, including `usize::MAX`.
    Any(usize),
}

impl Classes {
    fn get(self) -> usize {
        match self {
            Classes::Zero => 0,
            Classes::Small(c) => usize::from(c) + 1,
            Classes::Around { unit, k, delta } => {
                let unit = [4usize, 8, 16, 32, 64, 256][usize::from(unit) % 6];
                (unit * (usize::from(k) % 17)).saturating_add_signed(isize::from(delta % 4))
            }
            Classes::Any(c) => c,
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    x: Row,
    classes: Classes,
    /// Number of rows (bounded so the buffer stays under `MAX_LEN`).
    rows: u8,
    /// `Some(k)`: `k % classes` extra values, a buffer that is not a whole
    /// number of rows when non-zero.
    extra: Option<u16>,
    out: BufLen,
    row_out: BufLen,
    grad: BufLen,
    dense: Labels,
    dense_len: BufLen,
    sparse: Vec<SparseLabel>,
    sparse_len: BufLen,
}

type RowsOut = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
type RowsInPlace = fn(&mut [f32], usize) -> Result<(), Error>;

fuzz_target!(|on: On<Input>| {
    let input = on.apply();
    let classes = input.classes.get();
    let n = if classes == 0 || classes > MAX_LEN {
        input.x.len.get(input.x.pattern.len())
    } else {
        let rows = usize::from(input.rows).min(MAX_LEN / classes);
        let extra = input.extra.map_or(0, |e| usize::from(e) % classes);
        rows * classes + extra
    };
    let x = input.x.build_len(n);

    // The shape: with a bad one the row count (and so every per-row buffer
    // length) is undefined.
    let mut shape = Allowed::default();
    if classes == 0 {
        shape.push(Error::NoClasses);
    } else if n % classes != 0 {
        shape.push(Error::NotMultipleOfClasses { len: n, classes });
    }
    let rows = if shape.is_ok() { n / classes } else { 0 };

    // Per-row buffers are sized from the row count the caller would compute
    // when the shape is valid, else from `n / classes` (any length is wrong).
    let rows_guess = n.checked_div(classes).unwrap_or(0);
    let out_len = input.out.get(n);
    let row_out_len = input.row_out.get(rows_guess);
    let grad_len = input.grad.get(n);
    let dense = input.dense.build(input.dense_len.get(n));
    let sparse_len = input.sparse_len.get(rows_guess);
    let sparse: Vec<usize> = (0..sparse_len)
        .map(|i| input.sparse.get(i).map_or(0, |l| l.get(classes)))
        .collect();

    // What each argument contributes when wrong. A length check against a
    // per-row count is only meaningful when the shape is valid; otherwise
    // any `LengthMismatch` naming that buffer is acceptable too.
    let with_shape = |extra: &[(usize, usize)]| {
        let mut a = Allowed {
            errors: shape.errors.clone(),
            any_length_of: Vec::new(),
        };
        for &(expected, found) in extra {
            if shape.is_ok() {
                if expected != found {
                    a.push(Error::LengthMismatch { expected, found });
                }
            } else {
                a.any_length_of.push(found);
            }
        }
        a
    };

    // softmax_rows / log_softmax_rows, out-of-place.
    let pairs: [(&str, RowsOut, RowsOut); 2] = [
        ("softmax_rows", softmax_simd::softmax_rows, reference::softmax_rows),
        (
            "log_softmax_rows",
            softmax_simd::log_softmax_rows,
            reference::log_softmax_rows,
        ),
    ];
    let allowed = with_shape(&[(n, out_len)]);
    if !allowed.is_ok() {
        for (name, simd_fn, ref_fn) in pairs {
            or_panic(check_err_call(
                name,
                &allowed,
                (out_len, 0),
                |o, _| simd_fn(&x, classes, o),
                |o, _| ref_fn(&x, classes, o),
            ));
        }
    }

    // In place: only the shape can be wrong; the input must stay bit-identical.
    if !shape.is_ok() {
        let pairs: [(&str, RowsInPlace, RowsInPlace); 2] = [
            (
                "softmax_rows_in_place",
                softmax_simd::softmax_rows_in_place,
                reference::softmax_rows_in_place,
            ),
            (
                "log_softmax_rows_in_place",
                softmax_simd::log_softmax_rows_in_place,
                reference::log_softmax_rows_in_place,
            ),
        ];
        for (name, simd_fn, ref_fn) in pairs {
            let (mut a, mut b) = (x.clone(), x.clone());
            let (s, r) = (simd_fn(&mut a, classes), ref_fn(&mut b, classes));
            let same = |v: &[f32]| v.iter().zip(&x).all(|(p, q)| p.to_bits() == q.to_bits());
            or_panic(check_errors(name, &shape, s, r, same(&a) && same(&b)));
        }
    }

    // logsumexp_rows: one output per row.
    let allowed = with_shape(&[(rows, row_out_len)]);
    if !allowed.is_ok() {
        or_panic(check_err_call(
            "logsumexp_rows",
            &allowed,
            (row_out_len, 0),
            |o, _| softmax_simd::logsumexp_rows(&x, classes, o),
            |o, _| reference::logsumexp_rows(&x, classes, o),
        ));
    }

    // Cross-entropy rows, dense and sparse, without and with a gradient.
    let out_of_range = sparse.iter().filter(|&&label| classes > 0 && label >= classes);
    let label_errors: Vec<Error> = out_of_range
        .map(|&label| Error::LabelOutOfRange { label, classes })
        .collect();
    for with_grad in [false, true] {
        let lens = (row_out_len, if with_grad { grad_len } else { 0 });
        let mut common = vec![(rows, row_out_len)];
        if with_grad {
            common.push((n, grad_len));
        }

        let allowed = with_shape(&[common.as_slice(), &[(n, dense.len())]].concat());
        if !allowed.is_ok() {
            or_panic(check_err_call(
                if with_grad {
                    "dense xent rows (grad)"
                } else {
                    "dense xent rows"
                },
                &allowed,
                lens,
                |l, g| dense_rows(&x, &dense, classes, l, with_grad.then_some(g)),
                |l, g| {
                    reference::softmax_cross_entropy_with_logits_rows(&x, &dense, classes, l, with_grad.then_some(g))
                },
            ));
        }

        let mut allowed = with_shape(&[common.as_slice(), &[(rows, sparse.len())]].concat());
        allowed.errors.extend(label_errors.iter().cloned());
        if !allowed.is_ok() {
            or_panic(check_err_call(
                if with_grad {
                    "sparse xent rows (grad)"
                } else {
                    "sparse xent rows"
                },
                &allowed,
                lens,
                |l, g| sparse_rows(&x, &sparse, classes, l, with_grad.then_some(g)),
                |l, g| {
                    reference::sparse_softmax_cross_entropy_with_logits_rows(
                        &x,
                        &sparse,
                        classes,
                        l,
                        with_grad.then_some(g),
                    )
                },
            ));
        }
    }

    // The shared checker: with a bad shape or bad labels the same `Err` from
    // SIMD and reference and nothing written; otherwise every row
    // bit-identical to the single-row kernels (which the other targets hold
    // to the reference).
    or_panic(check::check_rows(&x, classes, &dense, &sparse));
});
