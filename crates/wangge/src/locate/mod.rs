//! Point-to-owner: which region owns a point.
//!
//! The answer is the region of the **deepest level** that contains the point under the exact
//! one-owner rule of [`predicate`]; if several regions of that level contain it (overlapping input),
//! the one with the lowest code wins, so the answer never depends on input order. A point inside a
//! community but in none of its grids (a gap) is owned by the community; a point in no region at
//! all has no owner.
//!
//! Every locator implements [`Locator`] and gives bit-identical answers; [`BruteForceLocator`]
//! tests every region and is the oracle the faster ones are checked against.

mod cell_index;
pub mod predicate;
mod rtree_index;

pub use cell_index::{CellLocator, CELLS_PER_VERTEX};
pub(crate) use cell_index::{CellParts, CheckedCellParts, MAX_CELLS};
pub use predicate::PreparedRegion;
pub use rtree_index::RTreeLocator;

/// Sentinel id for "no owner" in batch results.
pub const NO_OWNER: u32 = u32::MAX;

/// Something that answers "which region owns this point" (by region index).
///
/// Implementations see regions as `prepared[i]` for ids `i`, grouped by level: ids of level `k`
/// are the contiguous range `levels[k]`, and within a level ids are ordered by code.
pub trait Locator: Send + Sync {
    /// The owner of `(lon, lat)` (WGS84 degrees), or `None`.
    fn locate(&self, lon: f64, lat: f64) -> Option<u32>;

    /// Owners of many points; [`NO_OWNER`] where there is none. `out` must have the inputs' length.
    fn locate_into(&self, lons: &[f64], lats: &[f64], out: &mut [u32]) {
        for ((o, &x), &y) in out.iter_mut().zip(lons).zip(lats) {
            *o = self.locate(x, y).unwrap_or(NO_OWNER);
        }
    }
}

/// The reference locator: tests every region, deepest level first, lowest code first.
#[derive(Debug, Clone)]
pub struct BruteForceLocator<'a> {
    prepared: &'a [PreparedRegion],
    levels: &'a [std::ops::Range<u32>],
}

impl<'a> BruteForceLocator<'a> {
    /// Wraps prepared regions and their per-level id ranges.
    pub fn new(prepared: &'a [PreparedRegion], levels: &'a [std::ops::Range<u32>]) -> Self {
        BruteForceLocator { prepared, levels }
    }
}

impl Locator for BruteForceLocator<'_> {
    fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        self.levels.iter().rev().find_map(|range| {
            range
                .clone()
                .find(|&i| self.prepared[i as usize].contains(lon, lat))
        })
    }
}
