//! Softmax, log-softmax, logsumexp, both cross-entropy losses and their
//! gradients for logits given on the command line, with the scalar
//! reference beside each result.
//!
//! ```text
//! cargo run --release --example softmax                      # a default row
//! cargo run --release --example softmax -- 2.0 1.0 0.1       # your logits
//! cargo run --release --example softmax -- 2.0 1.0 0.1 --label 0
//! cargo run --release --example softmax -- 2 1 0.1 --labels 0.7 0.2 0.1
//! cargo run --release --example softmax -- inf 0 -inf        # special values
//! ```
//! Logits accept `inf`, `-inf` and `NaN`.

use softmax_simd as ss;
use std::process::ExitCode;

/// The output layer of a small digit classifier on one image (class 3 is
/// the true digit): a typical row for these kernels.
const DEFAULT_LOGITS: [f32; 10] = [-1.2, 0.4, 2.1, 6.3, -3.0, 1.9, -0.7, 0.2, 3.4, -2.2];
const DEFAULT_LABEL: usize = 3;

struct Args {
    logits: Vec<f32>,
    labels: Option<Vec<f32>>,
    label: Option<usize>,
}

fn parse() -> Result<Args, String> {
    let mut logits = Vec::new();
    let mut labels = None;
    let mut label = None;
    let mut it = std::env::args().skip(1);
    let mut target = 0; // 0: logits, 1: dense labels
    while let Some(a) = it.next() {
        match a.as_str() {
            "--label" => {
                let v = it.next().ok_or("--label needs a class index")?;
                label = Some(v.parse::<usize>().map_err(|e| format!("--label {v}: {e}"))?);
            }
            "--labels" => {
                labels = Some(Vec::new());
                target = 1;
            }
            "-h" | "--help" => return Err("usage: softmax [LOGIT ...] [--label K] [--labels Y ...]".into()),
            v => {
                let x = v.parse::<f32>().map_err(|e| format!("{v}: {e}"))?;
                match (target, labels.as_mut()) {
                    (1, Some(l)) => l.push(x),
                    _ => logits.push(x),
                }
            }
        }
    }
    if logits.is_empty() {
        logits = DEFAULT_LOGITS.to_vec();
        if label.is_none() && labels.is_none() {
            label = Some(DEFAULT_LABEL);
        }
    }
    Ok(Args { logits, labels, label })
}

fn show(name: &str, simd: &[f32], reference: &[f32]) {
    println!("{name:<22} {simd:?}");
    if simd
        .iter()
        .zip(reference)
        .any(|(a, b)| a.to_bits() != b.to_bits() && !(a.is_nan() && b.is_nan()))
    {
        println!("{:<22} {reference:?}", "  (reference)");
    }
}

fn run(args: &Args) -> Result<(), ss::Error> {
    let x = &args.logits;
    let n = x.len();
    println!(
        "lanes: {} ({} f32 per vector, {} vectors per loop step)",
        ss::BACKEND,
        ss::LANE_COUNT,
        ss::UNROLL
    );
    println!("{:<22} {x:?}", "logits");
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    ss::softmax(x, &mut a)?;
    ss::reference::softmax(x, &mut b)?;
    show("softmax", &a, &b);
    ss::log_softmax(x, &mut a)?;
    ss::reference::log_softmax(x, &mut b)?;
    show("log_softmax", &a, &b);
    show("logsumexp", &[ss::logsumexp(x)], &[ss::reference::logsumexp(x)]);
    if let Some(k) = args.label {
        let la = ss::sparse_softmax_cross_entropy_with_logits(x, k, Some(&mut a))?;
        let lb = ss::reference::sparse_softmax_cross_entropy_with_logits(x, k, Some(&mut b))?;
        show(&format!("sparse loss (label {k})"), &[la], &[lb]);
        show("sparse gradient", &a, &b);
    }
    if let Some(y) = &args.labels {
        let la = ss::softmax_cross_entropy_with_logits(x, y, Some(&mut a))?;
        let lb = ss::reference::softmax_cross_entropy_with_logits(x, y, Some(&mut b))?;
        println!("{:<22} {y:?}", "labels");
        show("dense loss", &[la], &[lb]);
        show("dense gradient", &a, &b);
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
