//! Softmax, log-softmax, logsumexp, both cross-entropy losses and their
//! gradients for logits given on the command line, with the scalar
//! reference's answer under any result whose bits differ from it.
//!
//! ```text
//! cargo run --release --example softmax                      # a default row
//! cargo run --release --example softmax -- 2.0 1.0 0.1       # your logits
//! cargo run --release --example softmax -- 2.0 1.0 0.1 --label 0
//! cargo run --release --example softmax -- 2 1 0.1 --labels 0.7 0.2 0.1
//! cargo run --release --example softmax -- inf 0 -inf        # special values
//! ```
//! Logits and label values accept `inf`, `-inf` and `NaN`. Every argument
//! is checked before anything is printed: a wrong one gives one line on
//! stderr that names it, and exit status 2 (tests/cli.rs runs these cases).

use softmax_simd as ss;
use std::process::ExitCode;

/// The output layer of a small digit classifier on one image (class 3 is
/// the true digit): a typical row for these kernels.
const DEFAULT_LOGITS: [f32; 10] = [-1.2, 0.4, 2.1, 6.3, -3.0, 1.9, -0.7, 0.2, 3.4, -2.2];
const DEFAULT_LABEL: usize = 3;

const USAGE: &str = "usage: softmax [LOGIT ...] [--label K] [--labels Y ...] \
                     (numbers, inf, -inf, NaN; K: a class index from 0)";

/// Validated arguments: `label < logits.len()`, `labels.len() == logits.len()`.
struct Args {
    logits: Vec<f32>,
    labels: Option<Vec<f32>>,
    label: Option<usize>,
}

enum Command {
    Run(Args),
    Help,
}

/// Reads and checks every argument; the error names the argument at fault.
fn parse(args: &[String]) -> Result<Command, String> {
    let mut logits = Vec::new();
    let mut labels: Option<Vec<f32>> = None;
    let mut label = None;
    // Numbers after `--labels` are label values until the next flag.
    let mut in_labels = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--label" => {
                in_labels = false;
                let v = it.next().ok_or("--label: needs a class index")?;
                if label.is_some() {
                    return Err("--label: given twice".into());
                }
                let k = v
                    .parse::<usize>()
                    .map_err(|_| format!("--label: '{v}' is not a class index (0, 1, 2, ...)"))?;
                label = Some(k);
            }
            "--labels" => {
                if labels.is_some() {
                    return Err("--labels: given twice".into());
                }
                labels = Some(Vec::new());
                in_labels = true;
            }
            v => match (v.parse::<f32>(), labels.as_mut().filter(|_| in_labels)) {
                (Ok(x), Some(l)) => l.push(x),
                (Ok(x), None) => logits.push(x),
                // `-1.5` and `-inf` are numbers; any other word with a dash is a flag.
                (Err(_), _) if v.starts_with('-') => return Err(format!("{v}: unknown flag; {USAGE}")),
                (Err(_), Some(l)) => return Err(format!("--labels value {}: '{v}' is not a number", l.len())),
                (Err(_), None) => return Err(format!("logit {}: '{v}' is not a number", logits.len())),
            },
        }
    }
    if logits.is_empty() {
        logits = DEFAULT_LOGITS.to_vec();
        if label.is_none() && labels.is_none() {
            label = Some(DEFAULT_LABEL);
        }
    }
    let n = logits.len();
    if let Some(k) = label.filter(|&k| k >= n) {
        return Err(format!("--label: {k} is out of range for {n} classes"));
    }
    if let Some(m) = labels.as_ref().map(Vec::len).filter(|&m| m != n) {
        let values = if m == 1 { "value" } else { "values" };
        return Err(format!("--labels: {m} {values} given for {n} logits"));
    }
    Ok(Command::Run(Args { logits, labels, label }))
}

/// Distance in representable f32 values (ULP) between two floats of the
/// same sign class; `None` when one is NaN and the other is not.
fn ulps(a: f32, b: f32) -> Option<u64> {
    if a.is_nan() || b.is_nan() {
        return (a.is_nan() && b.is_nan()).then_some(0);
    }
    // Bits mapped to a line on which neighbouring floats are neighbours.
    let key = |x: f32| {
        let bits = i64::from(x.to_bits() & 0x7fff_ffff);
        if x.is_sign_negative() { -bits } else { bits }
    };
    Some(key(a).abs_diff(key(b)))
}

/// Prints a result; under it the reference's, when the bits differ.
/// Returns whether a reference line was printed.
fn show(name: &str, simd: &[f32], reference: &[f32]) -> bool {
    println!("{name:<22} {simd:?}");
    let apart = simd.iter().zip(reference).map(|(&a, &b)| ulps(a, b));
    let (mut most, mut nan) = (0, false);
    for d in apart {
        match d {
            Some(d) => most = most.max(d),
            None => nan = true,
        }
    }
    if most == 0 && !nan {
        return false;
    }
    let note = if nan {
        "NaN against a number".to_string()
    } else {
        format!("up to {most} ULP apart")
    };
    println!("{:<22} {reference:?} ({note})", "  reference");
    true
}

fn run(args: &Args) -> Result<(), ss::Error> {
    let x = &args.logits;
    let n = x.len();
    println!(
        "lanes: {} (chosen for this CPU at run time; the build's baseline: {})",
        ss::backend(),
        ss::BACKEND
    );
    println!("{:<22} {x:?}", "logits");
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    let mut differs = false;
    ss::softmax(x, &mut a)?;
    ss::reference::softmax(x, &mut b)?;
    differs |= show("softmax", &a, &b);
    ss::log_softmax(x, &mut a)?;
    ss::reference::log_softmax(x, &mut b)?;
    differs |= show("log_softmax", &a, &b);
    differs |= show("logsumexp", &[ss::logsumexp(x)], &[ss::reference::logsumexp(x)]);
    if let Some(k) = args.label {
        let la = ss::sparse_softmax_cross_entropy_with_logits(x, k, Some(&mut a))?;
        let lb = ss::reference::sparse_softmax_cross_entropy_with_logits(x, k, Some(&mut b))?;
        differs |= show(&format!("sparse loss (label {k})"), &[la], &[lb]);
        differs |= show("sparse gradient", &a, &b);
    }
    if let Some(y) = &args.labels {
        let la = ss::softmax_cross_entropy_with_logits(x, y, Some(&mut a))?;
        let lb = ss::reference::softmax_cross_entropy_with_logits(x, y, Some(&mut b))?;
        println!("{:<22} {y:?}", "labels");
        differs |= show("dense loss", &[la], &[lb]);
        differs |= show("dense gradient", &a, &b);
    }
    println!();
    if differs {
        println!("A \"reference\" line shows the scalar reference's result (libm's expf and log1pf, one element");
        println!("at a time), printed only where its bits differ from the SIMD result above it: the SIMD kernels");
        println!("use their own exp and sum in another order. The bounds: 8 ULP for softmax, 8 eps of the");
        println!("magnitudes summed for the rest, so a small entry computed as a difference of larger terms (a");
        println!("gradient) can be many ULP apart.");
    } else {
        println!("The scalar reference returns the same bits for every result here, so no reference line is shown.");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(Command::Run(a)) => a,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // The arguments are checked above, so no kernel can return an error;
    // one would be a bug, reported as such.
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("softmax: a kernel rejected checked arguments (a bug): {e}");
            ExitCode::from(1)
        }
    }
}
