//! The example CLI (`examples/softmax.rs`) on wrong arguments: one line on
//! stderr that names the argument, a non-zero exit, nothing on stdout (every
//! argument is checked before any output); and on good ones, output with the
//! reason for any reference line.
//!
//! The example's binary is the one `cargo test` builds beside this test
//! (`<profile dir>/examples/`), run through the target's runner when
//! `CARGO_TARGET_<TRIPLE>_RUNNER` names one (qemu-aarch64 in CI). A test run
//! that builds no examples (`cargo test --test cli`) after the example
//! changed finds no fresh binary and says how to build it.

// WASI can neither start a process nor name the running binary.
#![cfg(not(target_family = "wasm"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `<target dir>/[<triple>/]<profile>/examples/softmax`, beside `deps/` that holds this test.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("<profile>/deps/<test>");
    let bin = profile_dir
        .join("examples")
        .join(format!("softmax{}", std::env::consts::EXE_SUFFIX));
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/softmax.rs");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(&bin), modified(&source)) {
        (Some(b), Some(s)) if b >= s => bin,
        _ => panic!(
            "{} is missing or older than examples/softmax.rs: run the whole `cargo test` (it builds the \
             examples) or `cargo build --example softmax` with this test's profile and target first",
            bin.display()
        ),
    }
}

/// The runner cargo uses for this target, from `CARGO_TARGET_<TRIPLE>_RUNNER`
/// (a triple of this architecture and OS), split on whitespace as cargo does.
fn runner() -> Vec<String> {
    let arch = format!("CARGO_TARGET_{}_", std::env::consts::ARCH.to_uppercase());
    let os = format!("_{}", std::env::consts::OS.to_uppercase());
    std::env::vars()
        .find(|(k, _)| k.starts_with(&arch) && k.ends_with("_RUNNER") && k.contains(&os))
        .map(|(_, v)| v.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

fn run(args: &[&str]) -> Output {
    let bin = example_binary();
    let runner = runner();
    let mut cmd = match runner.split_first() {
        Some((prog, rest)) => {
            let mut c = Command::new(prog);
            c.args(rest).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    cmd.args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {} (runner {runner:?}): {e}", bin.display()))
}

/// Runs a bad command line; checks the failure's shape and returns its one stderr line.
fn fails(args: &[&str]) -> String {
    let out = run(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "{args:?}: exit status {} (expected a failure)",
        out.status
    );
    assert!(stdout.is_empty(), "{args:?}: printed before failing:\n{stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: stderr is not one line:\n{stderr}");
    lines[0].to_string()
}

#[test]
fn a_logit_that_is_not_a_number() {
    assert_eq!(fails(&["1", "2", "abc"]), "logit 2: 'abc' is not a number");
    assert_eq!(fails(&["abc"]), "logit 0: 'abc' is not a number");
}

#[test]
fn a_label_out_of_range() {
    assert_eq!(
        fails(&["1", "2", "3", "--label", "7"]),
        "--label: 7 is out of range for 3 classes"
    );
    // The default row has ten classes.
    assert_eq!(fails(&["--label", "10"]), "--label: 10 is out of range for 10 classes");
    assert_eq!(
        fails(&["1", "2", "--label", "-1"]),
        "--label: '-1' is not a class index (0, 1, 2, ...)"
    );
    assert_eq!(fails(&["1", "2", "--label"]), "--label: needs a class index");
}

#[test]
fn labels_of_the_wrong_length() {
    assert_eq!(
        fails(&["1", "2", "3", "--labels", "0.5", "0.5"]),
        "--labels: 2 values given for 3 logits"
    );
    assert_eq!(fails(&["1", "2", "--labels"]), "--labels: 0 values given for 2 logits");
    assert_eq!(
        fails(&["1", "2", "--labels", "0.5", "x"]),
        "--labels value 1: 'x' is not a number"
    );
}

#[test]
fn an_unknown_flag_prints_the_usage() {
    let line = fails(&["1", "2", "--lables", "0.5", "0.5"]);
    assert!(line.starts_with("--lables: unknown flag; usage: softmax "), "{line}");
    assert!(line.contains("--label K") && line.contains("--labels Y"), "{line}");
}

#[test]
fn a_wrong_argument_after_good_ones_still_prints_nothing() {
    // Logits and a label that would print a full report, then a bad value.
    assert_eq!(
        fails(&["2", "1", "0.1", "--label", "0", "--labels", "1", "0", "zero"]),
        "--labels value 2: 'zero' is not a number"
    );
}

#[test]
fn good_arguments_print_every_result_and_why_a_reference_line_appears() {
    for args in [
        &["2", "1", "0.1", "--label", "0", "--labels", "0.7", "0.2", "0.1"][..],
        &["-1.5", "-inf", "inf", "--label", "1"][..],
        &[][..],
    ] {
        let out = run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for name in ["softmax ", "log_softmax ", "logsumexp ", "sparse loss (label"] {
            assert!(
                stdout.lines().any(|l| l.starts_with(name)),
                "{args:?}: no {name:?} line:\n{stdout}"
            );
        }
        // Either the reference lines and why they are there, or why there are none.
        let reference_lines = stdout.lines().filter(|l| l.starts_with("  reference ")).count();
        let explained = if reference_lines > 0 {
            "printed only where its bits differ from the SIMD result"
        } else {
            "so no reference line is shown"
        };
        assert!(
            stdout.contains(explained),
            "{args:?}: {reference_lines} reference lines, unexplained:\n{stdout}"
        );
    }
}

#[test]
fn help_goes_to_stdout_and_succeeds() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("usage: softmax "));
    assert!(out.stderr.is_empty());
}
