//! Steps 1 and 2 of the method: the local isotropic plane and the jittered lattice of seeds.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::bbox::Bbox;
use super::parent::PreparedParent;
use super::Pt;
use crate::error::{Error, Result};

/// Seed jitter as a fraction of the lattice spacing, on each axis.
const JITTER: f64 = 0.3;
/// Refuse lattices larger than this (a mistake in the target area, most likely).
const MAX_LATTICE_POINTS: usize = 20_000_000;
/// 2⁴⁰.
const TWO_POW_40: f64 = 1_099_511_627_776.0;

/// The local isotropic plane: `u = (lon − lon₀)·cos(lat₀)`, `v = lat − lat₀`.
pub(super) struct Frame {
    lon0: f64,
    lat0: f64,
    k: f64,
}

impl Frame {
    pub(super) fn new(bbox: &Bbox) -> Result<Self> {
        let lon0 = 0.5 * (bbox.min[0] + bbox.max[0]);
        let lat0 = 0.5 * (bbox.min[1] + bbox.max[1]);
        // Rounded to 2⁻⁴⁰ so that a last-bit difference between platform `cos`
        // implementations does not change the seeds.
        let k = (lat0.to_radians().cos() * TWO_POW_40).round() / TWO_POW_40;
        if k < 1e-3 {
            return Err(Error::Generate(format!(
                "parent centre latitude {lat0} is too close to a pole"
            )));
        }
        Ok(Self { lon0, lat0, k })
    }

    pub(super) fn to_local(&self, p: Pt) -> Pt {
        [(p[0] - self.lon0) * self.k, p[1] - self.lat0]
    }

    pub(super) fn to_lonlat(&self, q: Pt) -> Pt {
        [self.lon0 + q[0] / self.k, self.lat0 + q[1]]
    }
}

/// A seed in the local plane with its lattice position.
pub(super) struct Seed {
    pub(super) uv: Pt,
    pub(super) row: u32,
    pub(super) col: u32,
}

pub(super) fn lattice_seeds(
    prep: &PreparedParent,
    frame: &Frame,
    s: f64,
    seed: u64,
) -> Result<Vec<Seed>> {
    let lo = frame.to_local(prep.bbox.min);
    let hi = frame.to_local(prep.bbox.max);
    let ncols = ((hi[0] - lo[0]) / s).ceil().max(1.0);
    let nrows = ((hi[1] - lo[1]) / s).ceil().max(1.0);
    if !(ncols * nrows).is_finite() || ncols * nrows > MAX_LATTICE_POINTS as f64 {
        return Err(Error::Generate(format!(
            "target area too small for this parent: the lattice would have {nrows} × {ncols} points"
        )));
    }
    let (ncols, nrows) = (ncols as u32, nrows as u32);
    let u0 = 0.5 * (lo[0] + hi[0]) - 0.5 * f64::from(ncols - 1) * s;
    let v0 = 0.5 * (lo[1] + hi[1]) + 0.5 * f64::from(nrows - 1) * s;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seeds = Vec::new();
    for row in 0..nrows {
        for col in 0..ncols {
            let ju: f64 = rng.random_range(-JITTER..JITTER);
            let jv: f64 = rng.random_range(-JITTER..JITTER);
            let uv = [
                u0 + (f64::from(col) + ju) * s,
                v0 - (f64::from(row) + jv) * s,
            ];
            if prep.contains(frame.to_lonlat(uv)) {
                seeds.push(Seed { uv, row, col });
            }
        }
    }
    Ok(seeds)
}
