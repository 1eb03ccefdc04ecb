//! Input generators for quickcheck: rows drawn from the distributions that
//! find numerical trouble (tiny, huge, subnormal, near-tie, wide-spread,
//! large offset, special values), with lengths that hit every tail of the
//! lane count and unroll.

use quickcheck::{Arbitrary, Gen};
use softmax_simd_checker::{self as shared, Bits};
pub use softmax_simd_checker::{DISTS, Dist};

/// quickcheck's generator as the shared checker's source of bits.
struct Qc<'a>(&'a mut Gen);
impl Bits for Qc<'_> {
    fn bits(&mut self) -> u32 {
        u32::arbitrary(self.0)
    }
}

/// One value from `dist` (the shared generator); `base` centres a near-tie row.
pub fn value(g: &mut Gen, dist: Dist, base: f32) -> f32 {
    shared::value(&mut Qc(g), dist, base)
}

pub fn len(g: &mut Gen) -> usize {
    let max = super::MAX_LEN;
    match u32::arbitrary(g) % 4 {
        0 => usize::arbitrary(g) % 70,
        1 => {
            // Around a multiple of 64 (every lane count times the unroll).
            let k = usize::arbitrary(g) % (max / 64 + 1);
            (k * 64 + usize::arbitrary(g) % 5).saturating_sub(2).min(max)
        }
        _ => usize::arbitrary(g) % (max + 1),
    }
}

/// A row of logits from one distribution.
#[derive(Clone)]
pub struct Row {
    pub dist: Dist,
    pub x: Vec<f32>,
}

/// Short: quickcheck prints failing arguments, and rows run to 4100 values.
impl core::fmt::Debug for Row {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let head: Vec<f32> = self.x.iter().copied().take(16).collect();
        write!(f, "Row {{ {:?}, n = {}, x[..16] = {head:?} }}", self.dist, self.x.len())
    }
}

impl Arbitrary for Row {
    fn arbitrary(g: &mut Gen) -> Self {
        let dist = *g.choose(&DISTS).unwrap();
        let n = len(g);
        let base = 10.0 * Qc(g).sym();
        Row {
            dist,
            x: (0..n).map(|_| value(g, dist, base)).collect(),
        }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let (dist, x) = (self.dist, self.x.clone());
        Box::new((1..=3).filter_map(move |k| {
            let n = x.len() * k / 4;
            (n < x.len()).then(|| Row {
                dist,
                x: x[..n].to_vec(),
            })
        }))
    }
}

/// Dense labels of a given length: one-hot, a probability vector, labels
/// that do not sum to 1, or arbitrary signs and zeros.
pub fn labels(g: &mut Gen, n: usize) -> Vec<f32> {
    let mut y = vec![0.0f32; n];
    shared::labels(&mut Qc(g), &mut y);
    y
}

/// A row with dense labels and a class index.
#[derive(Clone)]
pub struct Labelled {
    pub row: Row,
    pub y: Vec<f32>,
    pub label: usize,
}

impl Arbitrary for Labelled {
    fn arbitrary(g: &mut Gen) -> Self {
        let row = Row::arbitrary(g);
        let n = row.x.len();
        let y = labels(g, n);
        let label = if n == 0 { 0 } else { usize::arbitrary(g) % n };
        Labelled { row, y, label }
    }
}

impl core::fmt::Debug for Labelled {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let head: Vec<f32> = self.y.iter().copied().take(16).collect();
        write!(f, "{:?}, label {}, y[..16] = {head:?}", self.row, self.label)
    }
}
