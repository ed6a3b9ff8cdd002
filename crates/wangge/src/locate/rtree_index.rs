//! An R-tree over region bounding boxes per level, followed by the exact test.

use super::{Locator, PreparedRegion};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use std::ops::Range;
use std::sync::Arc;

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Point locator: one R-tree of bounding boxes per level (deepest searched first), candidates
/// confirmed by the exact predicate.
#[derive(Clone)]
pub struct RTreeLocator {
    prepared: Arc<[PreparedRegion]>,
    trees: Vec<RTree<Entry>>,
}

impl std::fmt::Debug for RTreeLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RTreeLocator")
            .field("regions", &self.prepared.len())
            .field("levels", &self.trees.len())
            .finish()
    }
}

impl RTreeLocator {
    /// Bulk-loads one tree per level range.
    pub fn new(prepared: Arc<[PreparedRegion]>, levels: &[Range<u32>]) -> Self {
        let trees = levels
            .iter()
            .map(|range| {
                let entries = range
                    .clone()
                    .filter_map(|i| {
                        let b = prepared[i as usize].bbox();
                        // Empty or non-finite boxes can never contain a point.
                        (b[0] <= b[2] && b[1] <= b[3]).then(|| {
                            Entry::new(Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]), i)
                        })
                    })
                    .collect();
                RTree::bulk_load(entries)
            })
            .collect();
        RTreeLocator { prepared, trees }
    }
}

impl Locator for RTreeLocator {
    fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        if !(lon.is_finite() && lat.is_finite()) {
            return None;
        }
        let p = [lon, lat];
        self.trees.iter().rev().find_map(|tree| {
            tree.locate_all_at_point(&p)
                .map(|e| e.data)
                .filter(|&i| self.prepared[i as usize].contains(lon, lat))
                .min()
        })
    }
}
