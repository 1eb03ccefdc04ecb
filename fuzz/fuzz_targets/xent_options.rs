//! `xent_options`: PyTorch's cross-entropy (`cross_entropy_rows` with u8,
//! usize and i64 labels, `cross_entropy_rows_dense`) with weights,
//! `ignore_index`, label smoothing and both reductions, on any logits,
//! labels (in range, ignored, negative, too large) and buffer lengths:
//! the f64 oracle, the reference, and every `Err` of docs/SEMANTICS.md with
//! nothing written, by the training suite's checker.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use softmax_simd::{CrossEntropy, Reduction};
use softmax_simd_fuzz::{BufLen, On, Row, Val, or_panic};

use softmax_simd_fuzz::check_training::{self, Targets};
use softmax_simd_fuzz::training::Simd;

/// The label type and values.
#[derive(Debug, Arbitrary)]
enum LabelType {
    U8,
    Usize,
    I64,
}

#[derive(Debug, Arbitrary)]
struct Input {
    logits: Row,
    classes: u8,
    /// Label values (taken modulo `classes + 2`, minus 1 when `signed`;
    /// `ignore` picks some of them to be the ignore index).
    labels: Vec<u16>,
    labels_len: BufLen,
    label_type: LabelType,
    /// Probability targets instead of labels.
    dense: Option<Row>,
    /// Class weights: a row (its length `classes`, or off).
    weights: Option<(Row, BufLen)>,
    /// The ignore index: a class, -100, or another value.
    ignore: Option<i16>,
    /// `u / 65535`, or any f32 (outside [0, 1] and NaN: `Err`).
    smoothing: Result<u16, Val>,
    sum: bool,
}

fuzz_target!(|on: On<Input>| {
    let input = on.apply();
    let x = input.logits.build();
    let classes = usize::from(input.classes);
    let rows = x.len().checked_div(classes).unwrap_or(0);
    let w = input.weights.as_ref().map(|(r, l)| r.build_len(l.get(classes)));
    let o = CrossEntropy {
        weights: w.as_deref(),
        ignore_index: input.ignore.map(i64::from),
        label_smoothing: match input.smoothing {
            Ok(u) => f32::from(u) / 65535.0,
            Err(v) => v.get(),
        },
        reduction: if input.sum { Reduction::Sum } else { Reduction::Mean },
    };
    if let Some(y) = &input.dense {
        let y = y.build_len(x.len());
        or_panic(check_training::check_xent::<Simd, u8>(
            &x,
            &Targets::Dense(&y),
            classes,
            &o,
        ));
        return;
    }
    let len = input.labels_len.get(rows);
    let value = |i: usize| -> i64 {
        let v = input.labels.get(i % input.labels.len().max(1)).copied().unwrap_or(0);
        i64::from(v) % (classes as i64 + 2) - 1
    };
    let vals: Vec<i64> = (0..len).map(value).collect();
    match input.label_type {
        LabelType::U8 => {
            let l: Vec<u8> = vals.iter().map(|&v| v as u8).collect();
            or_panic(check_training::check_xent::<Simd, u8>(
                &x,
                &Targets::Labels(&l),
                classes,
                &o,
            ));
        }
        LabelType::Usize => {
            let l: Vec<usize> = vals.iter().map(|&v| v as usize).collect();
            or_panic(check_training::check_xent::<Simd, usize>(
                &x,
                &Targets::Labels(&l),
                classes,
                &o,
            ));
        }
        LabelType::I64 => {
            or_panic(check_training::check_xent::<Simd, i64>(
                &x,
                &Targets::Labels(&vals),
                classes,
                &o,
            ));
        }
    }
});
