//! Every case of TFLite's golden vectors (tests/data/int8, produced by the
//! TFLite reference kernels of TensorFlow 2.21.0; format in README.md there):
//! the parameters `new` computes equal the recorded ones, and every output
//! of the lane kernels and of `quantized::reference` equals TFLite's,
//! whole buffers at once and row by row (so both the per-call exp table
//! and the direct lane path meet every case).

use softmax_simd::quantized::{self, LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params, reference, tables};

/// One parsed case; integers stay i32 until the kernel narrows them.
#[derive(Debug, Default)]
struct Case {
    id: u32,
    tag: String,
    input_scale_bits: u32,
    beta_bits: u32,
    mult: i32,
    shift: i32,
    diff_min: Option<i32>,
    reverse_scaling_divisor: Option<i32>,
    reverse_scaling_right_shift: Option<i32>,
    rows: usize,
    row_size: usize,
    input: Vec<i32>,
    output: Vec<i32>,
}

#[derive(Debug, Default)]
struct Golden {
    variant: String,
    exp_lut: Vec<i32>,
    one_over_one_plus_x_lut: Vec<i32>,
    cases: Vec<Case>,
}

fn int(tok: Option<&str>, line: usize) -> i32 {
    let tok = tok.unwrap_or_else(|| panic!("line {line}: missing integer"));
    tok.parse()
        .unwrap_or_else(|e| panic!("line {line}: bad integer {tok:?}: {e}"))
}

fn f32_bits(tok: Option<&str>, line: usize) -> u32 {
    let tok = tok.unwrap_or_else(|| panic!("line {line}: missing f32 bits"));
    let hex = tok
        .strip_prefix("0x")
        .unwrap_or_else(|| panic!("line {line}: {tok:?} is not 0x..."));
    u32::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("line {line}: {e}"))
}

fn parse(text: &str) -> Golden {
    let mut g = Golden::default();
    let mut declared_cases = None;
    let mut case: Option<Case> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let body = raw.split('#').next().unwrap_or("");
        let mut toks = body.split_whitespace();
        let Some(key) = toks.next() else { continue };
        let rest: Vec<&str> = toks.clone().collect();
        if let Some(c) = case.as_mut() {
            match key {
                "tag" => c.tag = rest.join(" "),
                "input_scale" => c.input_scale_bits = f32_bits(rest.get(1).copied(), line),
                "input_zero_point" => {
                    int(rest.first().copied(), line);
                }
                "beta" => c.beta_bits = f32_bits(rest.get(1).copied(), line),
                "mult" => c.mult = int(rest.first().copied(), line),
                "shift" => c.shift = int(rest.first().copied(), line),
                "diff_min" => c.diff_min = Some(int(rest.first().copied(), line)),
                "reverse_scaling_divisor" => c.reverse_scaling_divisor = Some(int(rest.first().copied(), line)),
                "reverse_scaling_right_shift" => c.reverse_scaling_right_shift = Some(int(rest.first().copied(), line)),
                "rows" => c.rows = int(rest.first().copied(), line) as usize,
                "row_size" => c.row_size = int(rest.first().copied(), line) as usize,
                "kinds" => assert_eq!(rest.len(), c.rows, "line {line}: one kind per row"),
                "in" | "out" => {
                    assert_eq!(rest.len(), c.row_size, "line {line}: row length");
                    let dst = if key == "in" { &mut c.input } else { &mut c.output };
                    dst.extend(rest.iter().map(|t| int(Some(t), line)));
                }
                "end" => {
                    let c = case.take().unwrap();
                    assert_eq!(c.input.len(), c.rows * c.row_size, "case {}: input rows", c.id);
                    assert_eq!(c.output.len(), c.rows * c.row_size, "case {}: output rows", c.id);
                    g.cases.push(c);
                }
                other => panic!("line {line}: unexpected key {other:?} inside a case"),
            }
            continue;
        }
        match key {
            "format" => assert_eq!(rest, ["softmax-golden-v1"], "line {line}"),
            "variant" => g.variant = rest.join(" "),
            "op" | "input_type" | "output_type" | "output_scale" | "output_zero_point" | "case_keys" => {}
            "exp_lut" | "one_over_one_plus_x_lut" => {
                let count = int(rest.first().copied(), line) as usize;
                let values: Vec<i32> = rest[1..].iter().map(|t| int(Some(t), line)).collect();
                assert_eq!(values.len(), count, "line {line}: table length");
                if key == "exp_lut" {
                    g.exp_lut = values
                } else {
                    g.one_over_one_plus_x_lut = values
                }
            }
            "cases" => declared_cases = Some(int(rest.first().copied(), line) as usize),
            "case" => {
                case = Some(Case {
                    id: int(rest.first().copied(), line) as u32,
                    ..Case::default()
                })
            }
            other => panic!("line {line}: unexpected key {other:?}"),
        }
    }
    assert!(case.is_none(), "unterminated case");
    assert_eq!(Some(g.cases.len()), declared_cases, "case count");
    g
}

fn narrow<T: TryFrom<i32>>(v: &[i32]) -> Vec<T> {
    v.iter()
        .map(|&x| T::try_from(x).ok().expect("golden value out of type range"))
        .collect()
}

type Kernel<I, O, P> = fn(&[I], usize, &P, &mut [O]) -> Result<(), softmax_simd::Error>;

/// Runs `kernel` on the whole case and on each row alone; returns a
/// message for the first output that differs from TFLite's.
fn check_outputs<I: Copy, O: Copy + Default + PartialEq + Into<i32>, P>(
    name: &str,
    case: &Case,
    params: &P,
    input: &[I],
    kernel: Kernel<I, O, P>,
) -> Result<(), String> {
    let rs = case.row_size;
    let mut out = vec![O::default(); input.len()];
    kernel(input, rs, params, &mut out).map_err(|e| format!("{name} case {}: {e}", case.id))?;
    let mut row_out = vec![O::default(); rs];
    for r in 0..case.rows {
        kernel(&input[r * rs..(r + 1) * rs], rs, params, &mut row_out)
            .map_err(|e| format!("{name} case {} row {r}: {e}", case.id))?;
        for i in 0..rs {
            let want = case.output[r * rs + i];
            for (how, got) in [("whole", out[r * rs + i]), ("row", row_out[i])] {
                if got.into() != want {
                    return Err(format!(
                        "{name} case {} ({}) row {r} index {i} ({how} call): got {}, TFLite {want}",
                        case.id,
                        case.tag,
                        got.into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn golden(text: &str, variant: &str) -> Golden {
    let g = parse(text);
    assert_eq!(g.variant, variant);
    assert!(!g.cases.is_empty());
    g
}

fn finish(errors: Vec<String>) {
    assert!(errors.is_empty(), "{} mismatches:\n{}", errors.len(), errors.join("\n"));
}

fn softmax_params(case: &Case) -> SoftmaxParams {
    let params = SoftmaxParams::new(f32::from_bits(case.input_scale_bits), f32::from_bits(case.beta_bits))
        .unwrap_or_else(|e| panic!("case {}: {e}", case.id));
    let recorded = SoftmaxParams {
        multiplier: case.mult,
        shift: case.shift,
        diff_min: case.diff_min.unwrap(),
    };
    assert_eq!(params, recorded, "case {}: parameters", case.id);
    params
}

#[test]
fn golden_softmax_s8() {
    let g = golden(include_str!("data/int8/softmax_s8.txt"), "softmax_s8");
    let mut errors = Vec::new();
    for case in &g.cases {
        let params = softmax_params(case);
        let input: Vec<i8> = narrow(&case.input);
        errors.extend(check_outputs("simd", case, &params, &input, quantized::softmax_s8).err());
        errors.extend(check_outputs("reference", case, &params, &input, reference::softmax_s8).err());
    }
    finish(errors);
}

#[test]
fn golden_softmax_s8_s16() {
    let g = golden(include_str!("data/int8/softmax_s8_s16.txt"), "softmax_s8_s16");
    let mut errors = Vec::new();
    for case in &g.cases {
        let params = softmax_params(case);
        let input: Vec<i8> = narrow(&case.input);
        errors.extend(check_outputs("simd", case, &params, &input, quantized::softmax_s8_s16).err());
        errors.extend(check_outputs("reference", case, &params, &input, reference::softmax_s8_s16).err());
    }
    finish(errors);
}

#[test]
fn golden_softmax_s16() {
    let g = golden(include_str!("data/int8/softmax_s16.txt"), "softmax_s16");
    let widen = |t: &[i16; 513]| t.iter().map(|&v| i32::from(v)).collect::<Vec<_>>();
    assert_eq!(g.exp_lut, widen(&tables::EXP_LUT), "exp table");
    assert_eq!(
        g.one_over_one_plus_x_lut,
        widen(&tables::ONE_OVER_ONE_PLUS_X_LUT),
        "1/(1+x) table"
    );
    let mut errors = Vec::new();
    for case in &g.cases {
        assert_eq!(case.diff_min, None);
        let params = SoftmaxS16Params::new(f32::from_bits(case.input_scale_bits), f32::from_bits(case.beta_bits))
            .unwrap_or_else(|e| panic!("case {}: {e}", case.id));
        assert_eq!(
            params,
            SoftmaxS16Params {
                multiplier: case.mult,
                shift: case.shift
            },
            "case {}",
            case.id
        );
        let input: Vec<i16> = narrow(&case.input);
        errors.extend(check_outputs("simd", case, &params, &input, quantized::softmax_s16).err());
        errors.extend(check_outputs("reference", case, &params, &input, reference::softmax_s16).err());
    }
    finish(errors);
}

#[test]
fn golden_log_softmax_s8() {
    let g = golden(include_str!("data/int8/log_softmax_s8.txt"), "log_softmax_s8");
    let mut errors = Vec::new();
    for case in &g.cases {
        assert_eq!(
            f32::from_bits(case.beta_bits),
            1.0,
            "case {}: log_softmax beta",
            case.id
        );
        let params = LogSoftmaxParams::new(f32::from_bits(case.input_scale_bits))
            .unwrap_or_else(|e| panic!("case {}: {e}", case.id));
        let recorded = LogSoftmaxParams {
            multiplier: case.mult,
            shift: case.shift,
            reverse_scaling_divisor: case.reverse_scaling_divisor.unwrap(),
            reverse_scaling_right_shift: case.reverse_scaling_right_shift.unwrap(),
            diff_min: case.diff_min.unwrap(),
        };
        assert_eq!(params, recorded, "case {}: parameters", case.id);
        let input: Vec<i8> = narrow(&case.input);
        errors.extend(check_outputs("simd", case, &params, &input, quantized::log_softmax_s8).err());
        errors.extend(check_outputs("reference", case, &params, &input, reference::log_softmax_s8).err());
    }
    finish(errors);
}
