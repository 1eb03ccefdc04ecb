//! Every row of the special-value table in docs/SEMANTICS.md, and the error
//! contract, against one implementation. Expected values are the table's;
//! results that are limits (0, 1, 0.5, +-inf, NaN) must be exact, rounded
//! constants (ln 2, lse([0, -20])) within `EXACT_ULP`.

use crate::api::Api;
use crate::tally::Tally;
use softmax_simd::Error;

const INF: f32 = f32::INFINITY;
const NAN: f32 = f32::NAN;
const LN2: f32 = core::f32::consts::LN_2;
/// Tolerance for the table's rounded constants.
const EXACT_ULP: u32 = 2;
/// A value no kernel produces here: an output slot still holding it was
/// not written.
const UNTOUCHED: f32 = 7.25;

pub fn run(t: &mut Tally, a: &Api) {
    let n = a.name;
    let softmax = |x: &[f32], want: &[f32], name: &'static str, t: &mut Tally| {
        t.case(n, name, |c| {
            let mut out = [UNTOUCHED; 3];
            let out = &mut out[..x.len()];
            match (a.softmax)(x, out) {
                Ok(()) => c.all_near("softmax", out, want, 0),
                Err(e) => c.fail(format_args!("softmax: Err({e:?})")),
            }
            let mut y = [0f32; 3];
            let y = &mut y[..x.len()];
            y.copy_from_slice(x);
            (a.softmax_in_place)(y);
            c.all_near("softmax_in_place", y, want, 0);
        })
    };
    softmax(&[INF, 0.0], &[1.0, 0.0], "softmax([+inf, 0]) = [1, 0]", t);
    softmax(
        &[INF, INF, 0.0],
        &[0.5, 0.5, 0.0],
        "softmax([+inf, +inf, 0]) = [.5, .5, 0]",
        t,
    );
    softmax(&[NAN, 0.0], &[NAN, NAN], "softmax([NaN, 0]) = [NaN, NaN]", t);
    softmax(&[-INF, -INF], &[0.0, 0.0], "softmax([-inf, -inf]) = [0, 0]", t);
    softmax(&[-INF, 0.0], &[0.0, 1.0], "softmax([-inf, 0]) = [0, 1]", t);

    let log_softmax = |x: &[f32], want: &[f32], tol: u32, name: &'static str, t: &mut Tally| {
        t.case(n, name, |c| {
            let mut out = [UNTOUCHED; 3];
            let out = &mut out[..x.len()];
            match (a.log_softmax)(x, out) {
                Ok(()) => c.all_near("log_softmax", out, want, tol),
                Err(e) => c.fail(format_args!("log_softmax: Err({e:?})")),
            }
            let mut y = [0f32; 3];
            let y = &mut y[..x.len()];
            y.copy_from_slice(x);
            (a.log_softmax_in_place)(y);
            c.all_near("log_softmax_in_place", y, want, tol);
        })
    };
    log_softmax(&[INF, 0.0], &[0.0, -INF], 0, "log_softmax([+inf, 0]) = [0, -inf]", t);
    log_softmax(
        &[INF, INF, 0.0],
        &[-LN2, -LN2, -INF],
        EXACT_ULP,
        "log_softmax([+inf, +inf, 0]) = [-ln2, -ln2, -inf]",
        t,
    );
    log_softmax(
        &[-INF, -INF],
        &[-INF, -INF],
        0,
        "log_softmax([-inf, -inf]) = [-inf, -inf]",
        t,
    );
    log_softmax(
        &[1000.0, 1.0],
        &[0.0, -999.0],
        0,
        "log_softmax([1000, 1]) = [0, -999]",
        t,
    );
    log_softmax(&[NAN, 0.0], &[NAN, NAN], 0, "log_softmax([NaN, 0]) = [NaN, NaN]", t);

    t.case(n, "empty rows: Ok(()), nothing written", |c| {
        let mut out: [f32; 0] = [];
        c.expect((a.softmax)(&[], &mut out) == Ok(()), format_args!("softmax([])"));
        c.expect(
            (a.log_softmax)(&[], &mut out) == Ok(()),
            format_args!("log_softmax([])"),
        );
        c.expect((a.exp)(&[], &mut out) == Ok(()), format_args!("exp([])"));
        (a.softmax_in_place)(&mut out);
        (a.log_softmax_in_place)(&mut out);
        c.near("max([])", 0, (a.max)(&[]), -INF, 0);
    });

    let lse = |x: &[f32], want: f32, tol: u32, name: &'static str, t: &mut Tally| {
        t.case(n, name, |c| c.near("logsumexp", 0, (a.logsumexp)(x), want, tol))
    };
    lse(&[], -INF, 0, "logsumexp([]) = -inf", t);
    lse(&[-INF, -INF], -INF, 0, "logsumexp([-inf, -inf]) = -inf", t);
    lse(&[INF, 0.0], INF, 0, "logsumexp([+inf, 0]) = +inf", t);
    lse(&[INF, -INF], INF, 0, "logsumexp([+inf, -inf]) = +inf", t);
    lse(&[NAN, 0.0], NAN, 0, "logsumexp([NaN, 0]) = NaN", t);
    lse(&[NAN, INF], NAN, 0, "logsumexp([NaN, +inf]) = NaN", t);
    lse(
        &[0.0, -20.0],
        2.0611537e-9,
        EXACT_ULP,
        "logsumexp([0, -20]) = 2.0611537e-9",
        t,
    );

    let dense = |x: &[f32], y: &[f32], loss: f32, grad: &[f32], name: &'static str, t: &mut Tally| {
        t.case(n, name, |c| {
            let mut g = [UNTOUCHED; 3];
            let g = &mut g[..x.len()];
            match (a.dense)(x, y, Some(g)) {
                Ok(l) => {
                    c.near("loss", 0, l, loss, EXACT_ULP);
                    c.all_near("grad", g, grad, EXACT_ULP);
                }
                Err(e) => c.fail(format_args!("Err({e:?})")),
            }
            match (a.dense)(x, y, None) {
                Ok(l) => c.near("loss without grad", 0, l, loss, EXACT_ULP),
                Err(e) => c.fail(format_args!("Err({e:?}) without grad")),
            }
        })
    };
    dense(
        &[-INF, 0.0, 0.0],
        &[0.0, 1.0, 0.0],
        LN2,
        &[0.0, -0.5, 0.5],
        "dense xent [-inf, 0, 0], [0, 1, 0]: ln 2",
        t,
    );
    dense(
        &[-INF, -INF],
        &[0.0, 1.0],
        INF,
        &[0.0, -1.0],
        "dense xent on a fully -inf row: +inf",
        t,
    );
    dense(
        &[NAN, 0.0],
        &[0.0, 1.0],
        NAN,
        &[NAN, NAN],
        "dense xent, NaN logit: NaN",
        t,
    );
    dense(
        &[INF, 0.0],
        &[1.0, 0.0],
        0.0,
        &[0.0, 0.0],
        "dense xent [+inf, 0], [1, 0]: 0",
        t,
    );
    dense(
        &[INF, 0.0],
        &[0.0, 1.0],
        INF,
        &[1.0, -1.0],
        "dense xent [+inf, 0], [0, 1]: +inf",
        t,
    );
    dense(
        &[INF, 0.0],
        &[0.5, 0.5],
        INF,
        &[0.5, -0.5],
        "dense xent [+inf, 0], [.5, .5]: +inf",
        t,
    );

    let sparse = |x: &[f32], label: usize, loss: f32, grad: &[f32], name: &'static str, t: &mut Tally| {
        t.case(n, name, |c| {
            let mut g = [UNTOUCHED; 3];
            let g = &mut g[..x.len()];
            match (a.sparse)(x, label, Some(g)) {
                Ok(l) => {
                    c.near("loss", 0, l, loss, EXACT_ULP);
                    c.all_near("grad", g, grad, EXACT_ULP);
                }
                Err(e) => c.fail(format_args!("Err({e:?})")),
            }
        })
    };
    sparse(
        &[-INF, 0.0, 0.0],
        0,
        INF,
        &[-1.0, 0.5, 0.5],
        "sparse xent, label on a -inf logit: +inf",
        t,
    );
    sparse(
        &[-INF, -INF],
        1,
        INF,
        &[0.0, -1.0],
        "sparse xent on a fully -inf row: +inf",
        t,
    );
    sparse(
        &[0.0, NAN, 1.0],
        2,
        NAN,
        &[NAN, NAN, NAN],
        "sparse xent, NaN logit: NaN",
        t,
    );
    sparse(
        &[0.0, 0.0],
        1,
        LN2,
        &[0.5, -0.5],
        "sparse xent [0, 0], label 1: ln 2",
        t,
    );

    errors(t, a);
}

/// Bad arguments give the documented `Err` and leave outputs untouched.
fn errors(t: &mut Tally, a: &Api) {
    let n = a.name;
    t.case(n, "errors: lengths, labels, classes; outputs untouched", |c| {
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let mut out = [UNTOUCHED; 5];
        let mm = |expected, found| Err(Error::LengthMismatch { expected, found });
        let mmf = |expected, found| Err::<f32, _>(Error::LengthMismatch { expected, found });
        c.expect((a.softmax)(&x, &mut out[..3]) == mm(4, 3), format_args!("softmax len"));
        c.expect(
            (a.log_softmax)(&x, &mut out[..5]) == mm(4, 5),
            format_args!("log_softmax len"),
        );
        c.expect((a.exp)(&x, &mut out[..2]) == mm(4, 2), format_args!("exp len"));
        c.expect(
            (a.dense)(&[], &[], None) == Err(Error::NoClasses),
            format_args!("dense no classes"),
        );
        c.expect(
            (a.sparse)(&[], 0, None) == Err(Error::NoClasses),
            format_args!("sparse no classes"),
        );
        c.expect(
            (a.dense)(&x, &x[..3], None) == mmf(4, 3),
            format_args!("dense labels len"),
        );
        c.expect(
            (a.dense)(&x, &x, Some(&mut out[..3])) == mmf(4, 3),
            format_args!("dense grad len"),
        );
        c.expect(
            (a.sparse)(&x, 4, None) == Err(Error::LabelOutOfRange { label: 4, classes: 4 }),
            format_args!("sparse label 4 of 4"),
        );
        c.expect(
            (a.sparse)(&x, 0, Some(&mut out[..5])) == mmf(4, 5),
            format_args!("sparse grad len"),
        );

        // rows: classes == 0, a ragged buffer, a short output
        let nm = Err(Error::NotMultipleOfClasses { len: 4, classes: 3 });
        c.expect(
            (a.softmax_rows)(&x, 0, &mut out[..4]) == Err(Error::NoClasses),
            format_args!("softmax_rows 0"),
        );
        c.expect(
            (a.softmax_rows)(&x, 3, &mut out[..4]) == nm,
            format_args!("softmax_rows 4/3"),
        );
        c.expect(
            (a.log_softmax_rows)(&x, 2, &mut out[..3]) == mm(4, 3),
            format_args!("log_softmax_rows out"),
        );
        c.expect(
            (a.logsumexp_rows)(&x, 2, &mut out[..4]) == mm(2, 4),
            format_args!("logsumexp_rows out"),
        );
        let mut y = x;
        c.expect(
            (a.softmax_rows_in_place)(&mut y, 3) == nm,
            format_args!("softmax_rows_in_place 4/3"),
        );
        c.expect(
            (a.log_softmax_rows_in_place)(&mut y, 0) == Err(Error::NoClasses),
            format_args!("lsm_rows_in_place 0"),
        );
        c.expect(y == x, format_args!("in-place rows changed on Err: {y:?}"));
        c.expect(
            (a.sparse_rows)(&x, &[0, 2], 2, &mut out[..2], None)
                == Err(Error::LabelOutOfRange { label: 2, classes: 2 }),
            format_args!("sparse_rows label"),
        );
        c.expect(
            (a.sparse_rows)(&x, &[0], 2, &mut out[..2], None) == mm(2, 1),
            format_args!("sparse_rows labels len"),
        );
        c.expect(
            (a.dense_rows)(&x, &x, 2, &mut out[..1], None) == mm(2, 1),
            format_args!("dense_rows losses len"),
        );
        c.expect(
            (a.dense_rows)(&x, &x, 0, &mut out[..1], None) == Err(Error::NoClasses),
            format_args!("dense_rows 0"),
        );
        c.expect(
            out.iter().all(|&v| v == UNTOUCHED),
            format_args!("an output was written on Err: {out:?}"),
        );
    });
}
