//! Measures the accuracy figures docs/accuracy.md quotes: for rows drawn from
//! several distributions, the largest error of the SIMD kernels and of the
//! scalar reference against an f64 evaluation of the same formula, and of
//! the SIMD kernels against the reference.
//!
//! `cargo run --release --example accuracy [ROWS_PER_DISTRIBUTION]`
//!
//! softmax and the sparse gradient: in ULP of the f64 value rounded to f32.
//! log_softmax, logsumexp, losses: in units of `eps * scale` with `scale` the
//! sum of the magnitudes of the terms (`|d_i| + log1p(S-1)`; `|m|` for
//! logsumexp; `sum |y_i| (...)` for losses). Dense gradient: in units of
//! `eps * (sum|y| softmax_i + |y_i|)`.

#[path = "../tests/common/f64ref.rs"]
mod f64ref;

use softmax_simd as ss;

const EPS: f64 = f32::EPSILON as f64;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32) / (1u64 << 24) as f32
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as f64) * n as f64) as usize % n.max(1)
    }
}

fn ulps(got: f32, want: f64) -> f64 {
    let w = want as f32;
    if got == w || want.abs() < f32::MIN_POSITIVE as f64 && (got as f64).abs() < f32::MIN_POSITIVE as f64 {
        return 0.0;
    }
    let ulp = (f32::from_bits(w.abs().to_bits() + 1) - w.abs()) as f64;
    ((got as f64) - want).abs() / ulp
}

#[derive(Default, Clone, Copy)]
struct Worst([f64; 3]); // simd vs f64, reference vs f64, simd vs reference
impl Worst {
    fn put(&mut self, k: usize, v: f64) {
        if v > self.0[k] {
            self.0[k] = v;
        }
    }
}

fn main() {
    let rows: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(400);
    type Dist = fn(&mut Rng) -> f32;
    let dists: [(&str, Dist); 6] = [
        ("moderate [-10, 10]", |r| 20.0 * r.next() - 10.0),
        ("wide spread [-120, 120]", |r| 240.0 * r.next() - 120.0),
        ("offset 1e4 + [-5, 5]", |r| 1e4 + 10.0 * r.next() - 5.0),
        ("near-tie (1 +- 2 ULP)", |r| {
            f32::from_bits(1.0f32.to_bits() + (4.0 * r.next()) as u32)
        }),
        ("tiny (1e-30)", |r| 2e-30 * r.next() - 1e-30),
        ("huge (1e30)", |r| 2e30 * r.next() - 1e30),
    ];
    let names = [
        "softmax (ULP)",
        "log_softmax",
        "logsumexp",
        "dense loss",
        "dense grad",
        "sparse loss",
        "sparse grad (ULP)",
    ];
    let mut worst = [Worst::default(); 7];
    let mut rng = Rng(0x5EED);
    for (_, dist) in dists {
        for _ in 0..rows {
            let n = 1 + rng.below(4100);
            let x: Vec<f32> = (0..n).map(|_| dist(&mut rng)).collect();
            let y: Vec<f32> = (0..n)
                .map(|_| if rng.next() < 0.3 { rng.next() } else { 0.0 })
                .collect();
            let label = rng.below(n);
            let s = f64ref::split(&x).expect("finite rows");
            let l = s.l();
            let (p64, lp64) = (s.softmax(), s.log_softmax());
            let mut out = [vec![0.0; n], vec![0.0; n]];
            ss::softmax(&x, &mut out[0]).unwrap();
            ss::reference::softmax(&x, &mut out[1]).unwrap();
            for i in 0..n {
                worst[0].put(0, ulps(out[0][i], p64[i]));
                worst[0].put(1, ulps(out[1][i], p64[i]));
                worst[0].put(2, ulps(out[0][i], out[1][i] as f64));
            }
            ss::log_softmax(&x, &mut out[0]).unwrap();
            ss::reference::log_softmax(&x, &mut out[1]).unwrap();
            for i in 0..n {
                let scale = EPS * (s.d[i].abs() + l);
                worst[1].put(0, ((out[0][i] as f64) - lp64[i]).abs() / scale);
                worst[1].put(1, ((out[1][i] as f64) - lp64[i]).abs() / scale);
                worst[1].put(2, ((out[0][i] - out[1][i]) as f64).abs() / scale);
            }
            let scale = EPS * (s.m.abs() + l);
            let (a, b) = (ss::logsumexp(&x), ss::reference::logsumexp(&x));
            worst[2].put(0, ((a as f64) - s.lse()).abs() / scale);
            worst[2].put(1, ((b as f64) - s.lse()).abs() / scale);
            worst[2].put(2, ((a - b) as f64).abs() / scale);

            let (mut ga, mut gb) = (vec![0.0; n], vec![0.0; n]);
            let la = ss::softmax_cross_entropy_with_logits(&x, &y, Some(&mut ga)).unwrap();
            let lb = ss::reference::softmax_cross_entropy_with_logits(&x, &y, Some(&mut gb)).unwrap();
            let (l64, g64) = s.dense(&y);
            let scale = EPS
                * s.d
                    .iter()
                    .zip(&y)
                    .map(|(d, &y)| (y as f64) * (l + d.abs()))
                    .sum::<f64>();
            if scale > 0.0 {
                worst[3].put(0, ((la as f64) - l64).abs() / scale);
                worst[3].put(1, ((lb as f64) - l64).abs() / scale);
                worst[3].put(2, ((la - lb) as f64).abs() / scale);
            }
            let y_abs: f64 = y.iter().map(|&v| v as f64).sum();
            for i in 0..n {
                let scale = EPS * (y_abs * p64[i] + y[i] as f64) + f32::MIN_POSITIVE as f64 * y_abs.max(1.0);
                worst[4].put(0, ((ga[i] as f64) - g64[i]).abs() / scale);
                worst[4].put(1, ((gb[i] as f64) - g64[i]).abs() / scale);
                worst[4].put(2, ((ga[i] - gb[i]) as f64).abs() / scale);
            }
            let la = ss::sparse_softmax_cross_entropy_with_logits(&x, label, Some(&mut ga)).unwrap();
            let lb = ss::reference::sparse_softmax_cross_entropy_with_logits(&x, label, Some(&mut gb)).unwrap();
            let want = l - s.d[label];
            let scale = EPS * (l + s.d[label].abs());
            worst[5].put(0, ((la as f64) - want).abs() / scale);
            worst[5].put(1, ((lb as f64) - want).abs() / scale);
            worst[5].put(2, ((la - lb) as f64).abs() / scale);
            let total = 1.0 + s.rest;
            for i in 0..n {
                let want = if i == label {
                    -s.d.iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, d)| d.exp())
                        .sum::<f64>()
                        / total
                } else {
                    p64[i]
                };
                worst[6].put(0, ulps(ga[i], want));
                worst[6].put(1, ulps(gb[i], want));
                worst[6].put(2, ulps(ga[i], gb[i] as f64));
            }
        }
    }
    println!(
        "lanes: {}; {} rows of 1..=4100 values from each of:",
        ss::backend(),
        rows
    );
    for (name, _) in dists {
        println!("  {name}");
    }
    println!();
    println!("| kernel | SIMD vs f64 | reference vs f64 | SIMD vs reference |");
    println!("|---|---|---|---|");
    for (name, w) in names.iter().zip(worst) {
        println!("| {name} | {:.2} | {:.2} | {:.2} |", w.0[0], w.0[1], w.0[2]);
    }
}
