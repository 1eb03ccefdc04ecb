//! Forcing a backend or a pass structure from the environment:
//! `SOFTMAX_SIMD_BACKEND=portable cargo test` sets the same cfg as
//! `RUSTFLAGS='--cfg softmax_simd_backend="portable"'`, but for this crate
//! alone. RUSTFLAGS reaches every dependency, so each forced build
//! recompiled them all; CI's forced builds share one target directory
//! this way (docs/ARCHITECTURE.md, "Reaching every backend and
//! structure in tests"). Nothing is emitted when the variables are unset.

use std::env;
use std::process::exit;

/// `(variable, cfg name, accepted values)`.
const FORCED: [(&str, &str, &[&str]); 2] = [
    (
        "SOFTMAX_SIMD_BACKEND",
        "softmax_simd_backend",
        &["avx512f", "avx2+fma", "portable", "scalar"],
    ),
    ("SOFTMAX_SIMD_STRUCTURE", "softmax_simd_structure", &["short", "long"]),
];

fn main() {
    for (var, cfg, values) in FORCED {
        println!("cargo::rerun-if-env-changed={var}");
        match env::var(var) {
            Err(env::VarError::NotPresent) => {}
            Ok(v) if values.contains(&v.as_str()) => {
                println!("cargo::rustc-cfg={cfg}=\"{v}\"");
            }
            Ok(v) => fail(var, &v, values),
            Err(env::VarError::NotUnicode(v)) => fail(var, &v.to_string_lossy(), values),
        }
    }
}

fn fail(var: &str, value: &str, values: &[&str]) -> ! {
    eprintln!("error: {var}={value:?} is not one of {values:?}");
    exit(1);
}
