//! The documented results where TFLite's integers overflow (pitfalls 1 and
//! 2 of tests/data/int8/README.md), the parameter and shape errors, and
//! `new` on bad scales. Every kernel is run in both implementations.

use softmax_simd::Error;
use softmax_simd::quantized::{self, LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params, reference};

fn s8(scale: f32) -> SoftmaxParams {
    SoftmaxParams::new(scale, 1.0).unwrap()
}

type Kernel<I, O, P> = fn(&[I], usize, &P, &mut [O]) -> Result<(), Error>;

/// Runs the lane kernel and its reference; they must agree exactly.
fn both<I, O: Copy + Default + PartialEq + core::fmt::Debug, P>(
    kernels: (Kernel<I, O, P>, Kernel<I, O, P>),
    input: &[I],
    row_size: usize,
    p: &P,
) -> Vec<O> {
    let mut a = vec![O::default(); input.len()];
    let mut b = vec![O::default(); input.len()];
    kernels.0(input, row_size, p, &mut a).unwrap();
    kernels.1(input, row_size, p, &mut b).unwrap();
    assert_eq!(a, b, "simd and reference disagree");
    a
}

const S8: (Kernel<i8, i8, SoftmaxParams>, Kernel<i8, i8, SoftmaxParams>) =
    (quantized::softmax_s8, reference::softmax_s8);
const S8_S16: (Kernel<i8, i16, SoftmaxParams>, Kernel<i8, i16, SoftmaxParams>) =
    (quantized::softmax_s8_s16, reference::softmax_s8_s16);
const LOG: (Kernel<i8, i8, LogSoftmaxParams>, Kernel<i8, i8, LogSoftmaxParams>) =
    (quantized::log_softmax_s8, reference::log_softmax_s8);
const S16: (Kernel<i16, i16, SoftmaxS16Params>, Kernel<i16, i16, SoftmaxS16Params>) =
    (quantized::softmax_s16, reference::softmax_s16);

/// Pitfall 1: TFLite aborts once a row's sum of exps reaches 512. Here
/// every output of such a row is -128; 511 equal values still give -127
/// (1/511 is just over half a step of 1/256).
#[test]
fn s8_rows_with_sum_of_exps_512_and_more_are_all_minus_128() {
    let p = s8(0.05);
    for (n, want) in [(511usize, -127i8), (512, -128), (513, -128), (4096, -128), (9000, -128)] {
        let out = both(S8, &vec![17i8; n], n, &p);
        assert!(out.iter().all(|&o| o == want), "{n} equal values: {:?}", &out[..4]);
    }
    // Not only equal values: 600 near-maxima and one maximum.
    let mut row = vec![126i8; 600];
    row[7] = 127;
    let out = both(S8, &row, row.len(), &SoftmaxParams::new(0.001, 1.0).unwrap());
    assert!(out.iter().all(|&o| o == -128));
}

/// Pitfall 2: TFLite's int32 Q12.19 sum wraps at 4096 maxima; its
/// reciprocal reads it as u32, so int8 -> int16 stays right; this crate
/// matches and keeps going past 2^32 (8192 maxima).
#[test]
fn s8_s16_rows_of_4096_and_more_maxima_stay_right() {
    let p = s8(0.1);
    for n in [4095usize, 4096, 4097, 6000, 8191, 8192, 8193, 20000] {
        let out = both(S8_S16, &vec![-3i8; n], n, &p);
        let want = (65536.0 / n as f64).round() as i32 - 32768;
        for &o in &out {
            assert!((i32::from(o) - want).abs() <= 1, "{n} maxima: got {o}, want {want}");
        }
    }
}

/// log-softmax with 4096 maxima or more: TFLite's log of a wrapped sum is
/// meaningless; here the maxima get `127 - 16 ln(n)` (saturating at -128).
#[test]
fn log_softmax_rows_of_4096_and_more_maxima_get_the_exact_log() {
    let p = LogSoftmaxParams::new(0.1).unwrap();
    for n in [100usize, 4095, 4096, 5000, 8192, 10000, 50000] {
        let out = both(LOG, &vec![40i8; n], n, &p);
        let want = ((127.0 - 16.0 * (n as f64).ln()).round() as i32).max(-128);
        for &o in &out {
            assert!((i32::from(o) - want).abs() <= 1, "{n} maxima: got {o}, want {want}");
        }
    }
}

/// int16 rows longer than 65536 (TFLite's int32 normalising shift goes
/// negative): each of n equal values gets about 32768 / n.
#[test]
fn s16_very_long_rows() {
    let p = SoftmaxS16Params::new(0.001, 1.0).unwrap();
    for n in [65536usize, 70000, 140000] {
        let a = both(S16, &vec![5i16; n], n, &p);
        let want = (32768.0 / n as f64).round() as i32;
        assert!(a.iter().all(|&o| (i32::from(o) - want).abs() <= 1), "{n}: {}", a[0]);
    }
}

/// Beta * scale large enough to cap the multiplier (pitfall 5): shift 31,
/// diff_min 0, only the maxima count.
#[test]
fn capped_multiplier_counts_only_maxima() {
    let p = SoftmaxParams::new(0.5, 100.0).unwrap();
    assert_eq!(
        p,
        SoftmaxParams {
            multiplier: i32::MAX,
            shift: 31,
            diff_min: 0
        }
    );
    let out = both(S8, &[3, 9, 9, -100], 4, &p);
    assert_eq!(out, [-128, 0, 0, -128]);
}

#[test]
fn shape_errors_write_nothing() {
    let p = s8(0.1);
    let lp = LogSoftmaxParams::new(0.1).unwrap();
    let sp = SoftmaxS16Params::new(0.001, 1.0).unwrap();
    let cases: [(usize, usize, usize, Error); 3] = [
        (6, 5, 3, Error::LengthMismatch { expected: 6, found: 5 }),
        (6, 6, 0, Error::NoClasses),
        (6, 6, 4, Error::NotMultipleOfClasses { len: 6, classes: 4 }),
    ];
    for (n, m, rs, want) in cases {
        let x8 = vec![1i8; n];
        let x16 = vec![1i16; n];
        let mut o8 = vec![99i8; m];
        let mut o16 = vec![99i16; m];
        assert_eq!(quantized::softmax_s8(&x8, rs, &p, &mut o8), Err(want.clone()));
        assert_eq!(reference::softmax_s8(&x8, rs, &p, &mut o8), Err(want.clone()));
        assert_eq!(quantized::log_softmax_s8(&x8, rs, &lp, &mut o8), Err(want.clone()));
        assert_eq!(reference::log_softmax_s8(&x8, rs, &lp, &mut o8), Err(want.clone()));
        assert_eq!(quantized::softmax_s8_s16(&x8, rs, &p, &mut o16), Err(want.clone()));
        assert_eq!(reference::softmax_s8_s16(&x8, rs, &p, &mut o16), Err(want.clone()));
        assert_eq!(quantized::softmax_s16(&x16, rs, &sp, &mut o16), Err(want.clone()));
        assert_eq!(reference::softmax_s16(&x16, rs, &sp, &mut o16), Err(want.clone()));
        assert_eq!(quantized::softmax_s16_tflm(&x16, rs, &sp, &mut o16), Err(want.clone()));
        assert!(o8.iter().all(|&v| v == 99) && o16.iter().all(|&v| v == 99));
    }
    // Empty input, any row size: nothing to do.
    assert_eq!(quantized::softmax_s8(&[], 3, &p, &mut []), Ok(()));
    assert_eq!(reference::log_softmax_s8(&[], 1, &lp, &mut []), Ok(()));
}

#[test]
fn invalid_parameters_are_errors() {
    let good = s8(0.1);
    let bad_s8 = [
        SoftmaxParams { multiplier: 0, ..good },
        SoftmaxParams { multiplier: -5, ..good },
        SoftmaxParams { shift: -1, ..good },
        SoftmaxParams { shift: 32, ..good },
        SoftmaxParams { diff_min: 1, ..good },
    ];
    let x = [1i8, 2, 3, 4];
    for p in bad_s8 {
        let mut o = [7i8; 4];
        assert!(
            matches!(
                quantized::softmax_s8(&x, 2, &p, &mut o),
                Err(Error::InvalidParameter(_))
            ),
            "{p:?}"
        );
        assert!(
            matches!(
                reference::softmax_s8(&x, 2, &p, &mut o),
                Err(Error::InvalidParameter(_))
            ),
            "{p:?}"
        );
        assert_eq!(o, [7; 4]);
    }
    let lgood = LogSoftmaxParams::new(0.1).unwrap();
    let bad_log = [
        LogSoftmaxParams { multiplier: 0, ..lgood },
        LogSoftmaxParams { shift: 40, ..lgood },
        LogSoftmaxParams {
            reverse_scaling_divisor: 0,
            ..lgood
        },
        LogSoftmaxParams {
            reverse_scaling_right_shift: -1,
            ..lgood
        },
        LogSoftmaxParams {
            reverse_scaling_right_shift: 32,
            ..lgood
        },
        LogSoftmaxParams { diff_min: 3, ..lgood },
    ];
    for p in bad_log {
        let mut o = [7i8; 4];
        assert!(
            matches!(
                quantized::log_softmax_s8(&x, 4, &p, &mut o),
                Err(Error::InvalidParameter(_))
            ),
            "{p:?}"
        );
        assert!(
            matches!(
                reference::log_softmax_s8(&x, 4, &p, &mut o),
                Err(Error::InvalidParameter(_))
            ),
            "{p:?}"
        );
    }
    let x16 = [1i16, 2];
    for p in [
        SoftmaxS16Params {
            multiplier: 0,
            shift: 0,
        },
        SoftmaxS16Params {
            multiplier: 1 << 30,
            shift: 32,
        },
        SoftmaxS16Params {
            multiplier: 1 << 30,
            shift: -32,
        },
    ] {
        let mut o = [7i16; 2];
        assert!(
            matches!(
                quantized::softmax_s16(&x16, 2, &p, &mut o),
                Err(Error::InvalidParameter(_))
            ),
            "{p:?}"
        );
        assert!(
            matches!(
                reference::softmax_s16(&x16, 2, &p, &mut o),
                Err(Error::InvalidParameter(_))
            ),
            "{p:?}"
        );
    }
}

#[test]
fn new_rejects_what_tflite_aborts_on() {
    for s in [0.0f32, -0.1, f32::NAN, f32::INFINITY, 1e-9] {
        assert!(SoftmaxParams::new(s, 1.0).is_err(), "scale {s}");
        assert!(LogSoftmaxParams::new(s).is_err(), "scale {s}");
    }
    for b in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
        assert!(SoftmaxParams::new(0.1, b).is_err(), "beta {b}");
        assert!(SoftmaxS16Params::new(0.1, b).is_err(), "beta {b}");
    }
    // int16: a product whose multiplier underflows, and one whose shift exceeds 31.
    assert!(SoftmaxS16Params::new(1e-30, 1e-10).is_err());
    assert!(SoftmaxS16Params::new(1e30, 1.0).is_err());
}

/// Pitfall 4: TFLite forms `scale * beta` in f32, TFLite Micro in f64.
#[test]
fn s16_tflite_and_tflm_products_differ_for_odd_beta() {
    let scale = 0.000_123_4f32;
    let beta = 0.3f32;
    let tflite = SoftmaxS16Params::new(scale, beta).unwrap();
    let tflm = SoftmaxS16Params::new_tflm(scale, beta).unwrap();
    assert_ne!(tflite, tflm);
    // A power-of-two beta gives the same product either way.
    assert_eq!(
        SoftmaxS16Params::new(scale, 2.0),
        SoftmaxS16Params::new_tflm(scale, 2.0)
    );
}
