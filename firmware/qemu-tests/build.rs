//! Puts this crate's memory.x where cortex-m-rt's link.x looks for it, and
//! turns a subset of TFLite's int8/int16 golden vectors
//! (../../tests/data/int8/*.txt, format in the README there) into static
//! tables for src/quantized.rs: every fourth case whose buffer holds at
//! most `MAX_VALUES` values, so the subset spans the parameter grid.
use std::{env, fmt::Write as _, fs, path::PathBuf};

include!("../common/memory_x.rs");

const MAX_VALUES: usize = 1024;
const EVERY: usize = 4;

struct Case {
    id: u32,
    input_scale: u32,
    beta: u32,
    mult: i32,
    shift: i32,
    diff_min: i32,
    rsd: i32,
    rsrs: i32,
    row_size: usize,
    input: Vec<i32>,
    output: Vec<i32>,
}

fn bits(tok: &str) -> u32 {
    u32::from_str_radix(tok.trim_start_matches("0x"), 16).expect("f32 bits in hex")
}

fn parse(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut cur: Option<Case> = None;
    for raw in text.lines() {
        let body = raw.split('#').next().unwrap_or("");
        let toks: Vec<&str> = body.split_whitespace().collect();
        let Some((&key, rest)) = toks.split_first() else {
            continue;
        };
        let int = |i: usize| rest[i].parse::<i32>().expect("integer");
        if key == "case" {
            cur = Some(Case {
                id: rest[0].parse().expect("case id"),
                input_scale: 0,
                beta: 0,
                mult: 0,
                shift: 0,
                diff_min: 0,
                rsd: 0,
                rsrs: 0,
                row_size: 0,
                input: Vec::new(),
                output: Vec::new(),
            });
            continue;
        }
        let Some(c) = cur.as_mut() else { continue };
        match key {
            "input_scale" => c.input_scale = bits(rest[1]),
            "beta" => c.beta = bits(rest[1]),
            "mult" => c.mult = int(0),
            "shift" => c.shift = int(0),
            "diff_min" => c.diff_min = int(0),
            "reverse_scaling_divisor" => c.rsd = int(0),
            "reverse_scaling_right_shift" => c.rsrs = int(0),
            "row_size" => c.row_size = int(0) as usize,
            "in" => c.input.extend(rest.iter().map(|t| t.parse::<i32>().expect("input"))),
            "out" => c.output.extend(rest.iter().map(|t| t.parse::<i32>().expect("output"))),
            "end" => cases.push(cur.take().expect("case open")),
            _ => {}
        }
    }
    cases
}

fn emit(out: &mut String, name: &str, file: &str, input: &str, output: &str) {
    let path = format!("../../tests/data/int8/{file}");
    println!("cargo:rerun-if-changed={path}");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = parse(&text);
    assert!(!cases.is_empty(), "{path}: no cases");
    writeln!(out, "pub static {name}: &[Case<{input}, {output}>] = &[").unwrap();
    for c in cases
        .iter()
        .filter(|c| c.input.len() <= MAX_VALUES && c.input.len() == c.output.len())
        .step_by(EVERY)
    {
        writeln!(
            out,
            "    Case {{ id: {}, input_scale: {:#x}, beta: {:#x}, mult: {}, shift: {}, diff_min: {}, \
             reverse_scaling_divisor: {}, reverse_scaling_right_shift: {}, row_size: {}, input: &{:?}, output: &{:?}, out_type: core::marker::PhantomData }},",
            c.id, c.input_scale, c.beta, c.mult, c.shift, c.diff_min, c.rsd, c.rsrs, c.row_size, c.input, c.output
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
}

fn main() {
    link_memory_x();
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let mut src = String::new();
    emit(&mut src, "SOFTMAX_S8", "softmax_s8.txt", "i8", "i8");
    emit(&mut src, "SOFTMAX_S8_S16", "softmax_s8_s16.txt", "i8", "i16");
    emit(&mut src, "SOFTMAX_S16", "softmax_s16.txt", "i16", "i16");
    emit(&mut src, "LOG_SOFTMAX_S8", "log_softmax_s8.txt", "i8", "i8");
    fs::write(out.join("golden.rs"), src).expect("write golden.rs");
}
