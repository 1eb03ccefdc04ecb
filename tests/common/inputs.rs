//! Input generators for quickcheck: rows drawn from the distributions that
//! find numerical trouble (tiny, huge, subnormal, near-tie, wide-spread,
//! large offset, special values), with lengths that hit every tail of the
//! lane count and unroll.

use quickcheck::{Arbitrary, Gen};

fn unit(g: &mut Gen) -> f32 {
    (u32::arbitrary(g) >> 8) as f32 / (1u32 << 24) as f32
}
fn sym(g: &mut Gen) -> f32 {
    2.0 * unit(g) - 1.0
}

#[derive(Clone, Copy, Debug)]
pub enum Dist {
    Moderate,
    Tiny,
    Huge,
    Subnormal,
    NearTie,
    WideSpread,
    Offset,
    Specials,
    Masked,
}

const DISTS: [Dist; 9] = [
    Dist::Moderate,
    Dist::Tiny,
    Dist::Huge,
    Dist::Subnormal,
    Dist::NearTie,
    Dist::WideSpread,
    Dist::Offset,
    Dist::Specials,
    Dist::Masked,
];

pub fn value(g: &mut Gen, dist: Dist, base: f32) -> f32 {
    match dist {
        Dist::Moderate => 10.0 * sym(g),
        Dist::Tiny => 1e-30 * sym(g),
        Dist::Huge => 1e30 * sym(g),
        Dist::Subnormal => f32::from_bits((u32::arbitrary(g) % 0x0080_0000) | (u32::arbitrary(g) & 0x8000_0000)),
        Dist::NearTie => f32::from_bits(base.to_bits().wrapping_add(u32::arbitrary(g) % 4)),
        Dist::WideSpread => 120.0 * sym(g),
        Dist::Offset => 1e4 + 5.0 * sym(g),
        Dist::Specials => match u32::arbitrary(g) % 40 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2..=4 => f32::NEG_INFINITY,
            5 => -0.0,
            6 => f32::from_bits(u32::arbitrary(g)),
            _ => 10.0 * sym(g),
        },
        Dist::Masked => {
            if u32::arbitrary(g) % 16 == 0 {
                10.0 * sym(g)
            } else {
                f32::NEG_INFINITY
            }
        }
    }
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
        let base = 10.0 * sym(g);
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
    if n == 0 {
        return y;
    }
    match u32::arbitrary(g) % 4 {
        0 => y[usize::arbitrary(g) % n] = 1.0,
        1 => {
            for v in y.iter_mut() {
                *v = unit(g);
            }
            let s: f32 = y.iter().sum();
            if s > 0.0 {
                y.iter_mut().for_each(|v| *v /= s);
            }
        }
        2 => {
            for v in y.iter_mut() {
                *v = if u32::arbitrary(g) % 3 == 0 { 2.0 * unit(g) } else { 0.0 };
            }
        }
        _ => {
            for v in y.iter_mut() {
                *v = if u32::arbitrary(g) % 2 == 0 { 3.0 * sym(g) } else { 0.0 };
            }
        }
    }
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
