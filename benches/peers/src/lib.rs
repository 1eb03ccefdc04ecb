//! tract-linalg's x86_64 softmax, called the way tract's softmax op calls
//! its per-row kernels: the best `ReduceMax` kernel for this CPU, then the
//! `Softmax2` map-reduce (stores `exp(x - max)` in place and returns the
//! sum), then `MulByScalar` by `1 / sum`. All three are picked at run time
//! from the CPU's features (AVX2+FMA here, AVX-512 where present).

use tract_linalg::Func;
use tract_linalg::element_wise::ElementWise;
use tract_linalg::reduce::{MapReduce, Reduce};

/// The three kernels behind tract's in-place f32 softmax on this host.
pub struct TractSoftmax {
    max: Box<dyn Reduce<f32>>,
    softmax2: Box<dyn MapReduce<f32, f32>>,
    scale: Box<dyn ElementWise<f32, f32>>,
}

impl TractSoftmax {
    /// Looks the kernels up once (outside the timed loop, as tract's op does).
    ///
    /// # Errors
    /// When tract has no f32 kernel for one of the three steps on this CPU.
    pub fn new() -> Result<Self, String> {
        Ok(TractSoftmax {
            max: Func::ReduceMax.reduce_f32().map_err(|e| e.to_string())?,
            softmax2: Func::Softmax2.map_reduce_f32().map_err(|e| e.to_string())?,
            scale: Func::MulByScalar.ew_f32_param().map_err(|e| e.to_string())?,
        })
    }

    /// The names of the kernels tract picked here (for the report).
    pub fn kernel_names(&self) -> [&'static str; 3] {
        [self.max.name(), self.softmax2.name(), self.scale.name()]
    }

    /// `x = softmax(x)` for one row.
    ///
    /// # Errors
    /// Whatever tract's kernels report.
    pub fn run(&self, x: &mut [f32]) -> Result<(), String> {
        let m = self.max.run(x).map_err(|e| e.to_string())?;
        let s = self.softmax2.run_with_params(x, m).map_err(|e| e.to_string())?;
        self.scale.run_with_params(x, 1.0 / s).map_err(|e| e.to_string())
    }
}

#[path = "../../support/data.rs"]
mod data;
pub use data::{Apart, logits};

#[cfg(test)]
mod tests {
    use super::*;

    /// tract's kernels and ours compute the same softmax (so the benchmark
    /// compares equal work), within tract's own exp accuracy.
    #[test]
    fn tract_agrees_with_softmax_simd() {
        let t = TractSoftmax::new().unwrap();
        for n in [16usize, 100, 1000, 4097] {
            let x = logits(n, n as u32);
            let mut a = x.clone();
            let mut b = x.clone();
            t.run(&mut a).unwrap();
            softmax_simd::softmax_in_place(&mut b);
            for (p, q) in a.iter().zip(&b) {
                assert!((p - q).abs() <= 1e-6 * q.abs() + 1e-12, "n={n}: tract {p} ours {q}");
            }
        }
    }
}
