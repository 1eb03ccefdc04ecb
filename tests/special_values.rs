//! Every row of docs/SEMANTICS.md's special-value table (and the worked examples
//! in its notation section), stamped onto the SIMD kernels and the scalar
//! reference alike.

const INF: f32 = f32::INFINITY;
const NAN: f32 = f32::NAN;
const LN2: f32 = core::f32::consts::LN_2;

/// Equal, treating NaN as equal to NaN; `tol` absolute slack for the
/// rows whose value is a rounded transcendental (ln 2, 0.5 after exp).
fn same(got: &[f32], want: &[f32], tol: f32) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(&g, &w)| {
            (g.is_nan() && w.is_nan()) || g == w || (g.is_finite() && w.is_finite() && (g - w).abs() <= tol)
        })
}

macro_rules! special_values {
    ($name:ident, $k:path) => {
        mod $name {
            use super::*;
            use softmax_simd::Error;
            use $k as k;

            fn softmax(x: &[f32]) -> Vec<f32> {
                let mut out = vec![7.0; x.len()];
                k::softmax(x, &mut out).unwrap();
                let mut inp = x.to_vec();
                k::softmax_in_place(&mut inp);
                assert!(same(&out, &inp, 0.0), "in place differs: {out:?} {inp:?}");
                out
            }
            fn log_softmax(x: &[f32]) -> Vec<f32> {
                let mut out = vec![7.0; x.len()];
                k::log_softmax(x, &mut out).unwrap();
                let mut inp = x.to_vec();
                k::log_softmax_in_place(&mut inp);
                assert!(same(&out, &inp, 0.0), "in place differs: {out:?} {inp:?}");
                out
            }
            fn dense(x: &[f32], y: &[f32]) -> (f32, Vec<f32>) {
                let mut g = vec![7.0; x.len()];
                let loss = k::softmax_cross_entropy_with_logits(x, y, Some(&mut g)).unwrap();
                let loss2 = k::softmax_cross_entropy_with_logits(x, y, None).unwrap();
                assert!(same(&[loss], &[loss2], 0.0));
                (loss, g)
            }
            fn sparse(x: &[f32], label: usize) -> (f32, Vec<f32>) {
                let mut g = vec![7.0; x.len()];
                let loss = k::sparse_softmax_cross_entropy_with_logits(x, label, Some(&mut g)).unwrap();
                let loss2 = k::sparse_softmax_cross_entropy_with_logits(x, label, None).unwrap();
                assert!(same(&[loss], &[loss2], 0.0));
                (loss, g)
            }

            #[test]
            fn softmax_plus_inf_is_the_limit() {
                assert!(same(&softmax(&[INF, 0.0]), &[1.0, 0.0], 0.0));
                assert!(same(&softmax(&[INF, INF, 0.0]), &[0.5, 0.5, 0.0], 0.0));
                assert!(same(&softmax(&[0.0, INF, -INF, INF]), &[0.0, 0.5, 0.0, 0.5], 0.0));
            }

            #[test]
            fn softmax_nan_row_is_all_nan() {
                assert!(same(&softmax(&[NAN, 0.0]), &[NAN, NAN], 0.0));
                assert!(same(&softmax(&[0.0, 1.0, NAN]), &[NAN, NAN, NAN], 0.0));
                assert!(same(&softmax(&[NAN, INF]), &[NAN, NAN], 0.0));
                assert!(same(&softmax(&[-INF, NAN]), &[NAN, NAN], 0.0));
            }

            #[test]
            fn softmax_masked_row_is_zeros() {
                assert!(same(&softmax(&[-INF, -INF]), &[0.0, 0.0], 0.0));
                assert!(same(&softmax(&[-INF, 0.0]), &[0.0, 1.0], 0.0));
            }

            #[test]
            fn empty_rows_are_ok_and_write_nothing() {
                let mut out: [f32; 0] = [];
                assert_eq!(k::softmax(&[], &mut out), Ok(()));
                assert_eq!(k::log_softmax(&[], &mut out), Ok(()));
                assert_eq!(k::exp(&[], &mut out), Ok(()));
                k::softmax_in_place(&mut out);
                k::log_softmax_in_place(&mut out);
            }

            #[test]
            fn xent_without_classes_is_an_error() {
                assert_eq!(
                    k::softmax_cross_entropy_with_logits(&[], &[], None),
                    Err(Error::NoClasses)
                );
                assert_eq!(
                    k::sparse_softmax_cross_entropy_with_logits(&[], 0, None),
                    Err(Error::NoClasses)
                );
            }

            #[test]
            fn log_softmax_limits() {
                assert!(same(&log_softmax(&[INF, 0.0]), &[0.0, -INF], 0.0));
                assert_eq!(log_softmax(&[INF, 0.0])[0].to_bits(), 0, "+0, not -0");
                assert!(same(&log_softmax(&[INF, INF, 0.0]), &[-LN2, -LN2, -INF], 0.0));
                assert!(same(&log_softmax(&[-INF, -INF]), &[-INF, -INF], 0.0));
                assert!(same(&log_softmax(&[1000.0, 1.0]), &[0.0, -999.0], 0.0));
                assert!(same(&log_softmax(&[NAN, 1.0]), &[NAN, NAN], 0.0));
            }

            #[test]
            fn logsumexp_rows_of_the_table() {
                assert_eq!(k::logsumexp(&[]), -INF);
                assert_eq!(k::logsumexp(&[-INF, -INF]), -INF);
                assert_eq!(k::logsumexp(&[INF, 0.0]), INF);
                assert_eq!(k::logsumexp(&[INF, -INF]), INF);
                assert!(k::logsumexp(&[NAN, 0.0]).is_nan());
                assert!(k::logsumexp(&[NAN, INF]).is_nan());
                assert!(k::logsumexp(&[-INF, NAN]).is_nan());
                // PyTorch, JAX and TensorFlow give 0 here; the tail is kept.
                let lse = k::logsumexp(&[0.0, -20.0]);
                assert!(
                    (lse - 2.0611537e-9).abs() <= 2.0611537e-9 * 4.0 * f32::EPSILON,
                    "{lse:e}"
                );
            }

            #[test]
            fn max_rows() {
                assert_eq!(k::max(&[]), -INF);
                assert!(k::max(&[1.0, NAN, 3.0]).is_nan());
                assert!(k::max(&[NAN]).is_nan());
                assert_eq!(k::max(&[-INF, -INF]), -INF);
                assert_eq!(k::max(&[1.0, INF]), INF);
            }

            #[test]
            fn dense_xent_masked_entry_with_zero_label() {
                let (loss, g) = dense(&[-INF, 0.0, 0.0], &[0.0, 1.0, 0.0]);
                assert!((loss - LN2).abs() <= LN2 * f32::EPSILON, "{loss}");
                assert!(same(&g, &[0.0, -0.5, 0.5], 0.0), "{g:?}");
            }

            #[test]
            fn sparse_xent_label_on_minus_inf() {
                let (loss, g) = sparse(&[-INF, 0.0, 0.0], 0);
                assert_eq!(loss, INF);
                assert!(same(&g, &[-1.0, 0.5, 0.5], 0.0), "{g:?}");
            }

            #[test]
            fn sparse_xent_label_out_of_range() {
                let mut g = [7.0; 3];
                let r = k::sparse_softmax_cross_entropy_with_logits(&[0.0; 3], 3, Some(&mut g));
                assert_eq!(r, Err(Error::LabelOutOfRange { label: 3, classes: 3 }));
                assert_eq!(g, [7.0; 3]);
            }

            #[test]
            fn xent_on_a_fully_masked_row() {
                let (loss, g) = sparse(&[-INF, -INF], 1);
                assert_eq!(loss, INF);
                assert!(same(&g, &[0.0, -1.0], 0.0), "{g:?}");
                let (loss, g) = dense(&[-INF, -INF], &[0.25, 0.75]);
                assert_eq!(loss, INF);
                assert!(same(&g, &[-0.25, -0.75], 0.0), "{g:?}");
                // No positive weight on it: 0 * inf := 0.
                let (loss, _) = dense(&[-INF, -INF], &[0.0, 0.0]);
                assert_eq!(loss, 0.0);
            }

            #[test]
            fn xent_with_plus_inf_logits() {
                assert_eq!(dense(&[INF, 0.0], &[1.0, 0.0]).0, 0.0);
                assert_eq!(dense(&[INF, 0.0], &[0.0, 1.0]).0, INF);
                assert_eq!(dense(&[INF, 0.0], &[0.5, 0.5]).0, INF);
                assert!(same(&dense(&[INF, 0.0], &[1.0, 0.0]).1, &[0.0, 0.0], 0.0));
                let (loss, g) = sparse(&[INF, INF, 0.0], 0);
                assert!((loss - LN2).abs() <= LN2 * f32::EPSILON);
                assert!(same(&g, &[-0.5, 0.5, 0.0], 0.0), "{g:?}");
            }

            #[test]
            fn xent_nan_logit_gives_nan() {
                let (loss, g) = dense(&[NAN, 0.0, 1.0], &[0.0, 1.0, 0.0]);
                assert!(loss.is_nan() && g.iter().all(|v| v.is_nan()));
                let (loss, g) = sparse(&[0.0, NAN, 1.0], 0);
                assert!(loss.is_nan() && g.iter().all(|v| v.is_nan()));
                let (loss, g) = sparse(&[INF, NAN], 0);
                assert!(loss.is_nan() && g.iter().all(|v| v.is_nan()));
            }

            #[test]
            fn different_lengths_are_an_error() {
                let mut out = [0.0f32; 2];
                let e = Err(Error::LengthMismatch {
                    expected: 3,
                    found: 2,
                });
                assert_eq!(k::softmax(&[0.0; 3], &mut out), e);
                assert_eq!(k::log_softmax(&[0.0; 3], &mut out), e);
                assert_eq!(k::exp(&[0.0; 3], &mut out), e);
                assert_eq!(
                    k::softmax_cross_entropy_with_logits(&[0.0; 3], &[0.0; 2], None),
                    e.clone().map(|_| 0.0)
                );
                assert_eq!(
                    k::softmax_cross_entropy_with_logits(&[0.0; 3], &[0.0; 3], Some(&mut out)),
                    e.clone().map(|_| 0.0)
                );
                assert_eq!(
                    k::sparse_softmax_cross_entropy_with_logits(&[0.0; 3], 0, Some(&mut out)),
                    e.map(|_| 0.0)
                );
                assert_eq!(out, [0.0; 2]);
            }

            /// The true gradient, not TensorFlow's `softmax - y`, when the
            /// labels do not sum to 1 (docs/SEMANTICS.md's `[2, 0, 0]` example).
            #[test]
            fn dense_gradient_is_the_true_gradient() {
                let (_, g) = dense(&[0.0, 1.0, 2.0], &[2.0, 0.0, 0.0]);
                let want = [-1.8199387, 0.48945694, 1.3304818];
                assert!(same(&g, &want, 4e-7), "{g:?}");
            }

            /// A large common offset costs no accuracy: with exact offsets
            /// the losses are bit-identical.
            #[test]
            fn losses_ignore_a_large_offset() {
                let x = [0.0f32, 1.0, 2.0, -3.5];
                let off: Vec<f32> = x.iter().map(|v| v + 1e4).collect();
                let y = [0.25f32, 0.25, 0.5, 0.0];
                assert_eq!(dense(&x, &y).0.to_bits(), dense(&off, &y).0.to_bits());
                assert_eq!(sparse(&x, 1).0.to_bits(), sparse(&off, 1).0.to_bits());
            }

            #[test]
            fn row_batched_shape_errors() {
                let mut out = [7.0f32; 6];
                assert_eq!(k::softmax_rows(&[0.0; 6], 0, &mut out), Err(Error::NoClasses));
                assert_eq!(
                    k::softmax_rows(&[0.0; 6], 4, &mut out),
                    Err(Error::NotMultipleOfClasses { len: 6, classes: 4 })
                );
                assert_eq!(
                    k::log_softmax_rows_in_place(&mut out, 5),
                    Err(Error::NotMultipleOfClasses { len: 6, classes: 5 })
                );
                let mut losses = [7.0f32; 2];
                assert_eq!(
                    k::sparse_softmax_cross_entropy_with_logits_rows(&[0.0; 6], &[0, 3], 3, &mut losses, None),
                    Err(Error::LabelOutOfRange { label: 3, classes: 3 })
                );
                assert_eq!(
                    k::softmax_cross_entropy_with_logits_rows(&[0.0; 6], &[0.0; 6], 3, &mut losses[..1], None),
                    Err(Error::LengthMismatch {
                        expected: 2,
                        found: 1
                    })
                );
                assert_eq!(out, [7.0; 6]);
                assert_eq!(losses, [7.0; 2]);
            }
        }
    };
}

special_values!(simd, softmax_simd);
special_values!(reference, softmax_simd::reference);
