//! A subset of TFLite's golden vectors for the int8/int16 kernels
//! (tests/data/int8, every fourth case up to 1024 values, tabled by
//! build.rs): the parameters `new` derives equal TFLite's, and the lane
//! kernels and `quantized::reference` reproduce TFLite's outputs exactly.

use crate::tally::{Case as TCase, Tally};
use softmax_simd::Error;
use softmax_simd::quantized::{self as q, LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params};

/// One golden case: TFLite's parameters, input and output.
pub struct Case<I: 'static, O: 'static> {
    pub id: u32,
    pub input_scale: u32,
    pub beta: u32,
    pub mult: i32,
    pub shift: i32,
    pub diff_min: i32,
    pub reverse_scaling_divisor: i32,
    pub reverse_scaling_right_shift: i32,
    pub row_size: usize,
    pub input: &'static [I],
    pub output: &'static [i32],
    #[allow(dead_code)]
    pub out_type: core::marker::PhantomData<O>,
}

mod golden {
    use super::Case;
    include!(concat!(env!("OUT_DIR"), "/golden.rs"));
}

type Kernel<I, O, P> = fn(&[I], usize, &P, &mut [O]) -> Result<(), Error>;

/// Runs both kernels on the whole buffer and compares with TFLite's output.
fn outputs<I: Copy, O: Copy + Default + Into<i32>, P>(
    c: &mut TCase<'_>,
    case: &Case<I, O>,
    params: &P,
    kernels: [(&str, Kernel<I, O, P>); 2],
) {
    let mut out = [O::default(); 1024];
    let out = &mut out[..case.input.len()];
    for (name, kernel) in kernels {
        if let Err(e) = kernel(case.input, case.row_size, params, out) {
            c.fail(format_args!("{name} case {}: Err({e:?})", case.id));
            continue;
        }
        if let Some(i) = out.iter().zip(case.output).position(|(&g, &w)| g.into() != w) {
            let got: i32 = out[i].into();
            c.fail(format_args!(
                "{name} case {} [{i}]: {got}, TFLite {}",
                case.id, case.output[i]
            ));
        }
    }
}

/// Every case of one kernel: its parameters from `params` (`None`, after
/// recording a failure, if they differ from TFLite's), then both kernels.
fn cases<I: Copy, O: Copy + Default + Into<i32>, P>(
    t: &mut Tally,
    name: &'static str,
    cases: &[Case<I, O>],
    params: fn(&mut TCase<'_>, &Case<I, O>) -> Option<P>,
    kernels: [(&str, Kernel<I, O, P>); 2],
) {
    for case in cases {
        t.case("quantized", name, |c| {
            if let Some(p) = params(c, case) {
                outputs(c, case, &p, kernels);
            }
        });
    }
}

pub fn run(t: &mut Tally) {
    let s8 = [
        ("simd", q::softmax_s8 as Kernel<i8, i8, _>),
        ("reference", q::reference::softmax_s8),
    ];
    cases(t, "softmax_s8 golden", golden::SOFTMAX_S8, softmax_params, s8);
    let s8_s16 = [
        ("simd", q::softmax_s8_s16 as Kernel<i8, i16, _>),
        ("reference", q::reference::softmax_s8_s16),
    ];
    cases(
        t,
        "softmax_s8_s16 golden",
        golden::SOFTMAX_S8_S16,
        softmax_params,
        s8_s16,
    );
    let s16 = [
        ("simd", q::softmax_s16 as Kernel<i16, i16, _>),
        ("reference", q::reference::softmax_s16),
    ];
    cases(t, "softmax_s16 golden", golden::SOFTMAX_S16, s16_params, s16);
    let log_s8 = [
        ("simd", q::log_softmax_s8 as Kernel<i8, i8, _>),
        ("reference", q::reference::log_softmax_s8),
    ];
    cases(t, "log_softmax_s8 golden", golden::LOG_SOFTMAX_S8, log_params, log_s8);
}

/// `Some(want)` if `got` is TFLite's parameters, else a recorded failure.
fn same<P: PartialEq + core::fmt::Debug>(c: &mut TCase<'_>, id: u32, got: Result<P, Error>, want: P) -> Option<P> {
    match got {
        Ok(p) if p == want => Some(p),
        other => {
            c.fail(format_args!("case {id}: params {other:?}, TFLite {want:?}"));
            None
        }
    }
}

fn softmax_params<I, O>(c: &mut TCase<'_>, case: &Case<I, O>) -> Option<SoftmaxParams> {
    let want = SoftmaxParams {
        multiplier: case.mult,
        shift: case.shift,
        diff_min: case.diff_min,
    };
    same(
        c,
        case.id,
        SoftmaxParams::new(f32::from_bits(case.input_scale), f32::from_bits(case.beta)),
        want,
    )
}

fn s16_params(c: &mut TCase<'_>, case: &Case<i16, i16>) -> Option<SoftmaxS16Params> {
    let want = SoftmaxS16Params {
        multiplier: case.mult,
        shift: case.shift,
    };
    same(
        c,
        case.id,
        SoftmaxS16Params::new(f32::from_bits(case.input_scale), f32::from_bits(case.beta)),
        want,
    )
}

fn log_params(c: &mut TCase<'_>, case: &Case<i8, i8>) -> Option<LogSoftmaxParams> {
    let want = LogSoftmaxParams {
        multiplier: case.mult,
        shift: case.shift,
        reverse_scaling_divisor: case.reverse_scaling_divisor,
        reverse_scaling_right_shift: case.reverse_scaling_right_shift,
        diff_min: case.diff_min,
    };
    same(
        c,
        case.id,
        LogSoftmaxParams::new(f32::from_bits(case.input_scale)),
        want,
    )
}
