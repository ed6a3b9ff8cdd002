//! Items with unique ids and positions, kept sorted by id and indexed for geodesic queries.

use super::{Neighbor, PointIndex};
use crate::error::{Error, Result};

/// Something with a unique id and a WGS84 position.
pub trait Positioned {
    /// Unique id.
    fn id(&self) -> &str;
    /// (lon, lat), WGS84 degrees.
    fn lon_lat(&self) -> (f64, f64);
}

/// Items sorted by id (so index order is id order and query ties resolve by id), with lookup by
/// id (a binary search of the sorted items: no second copy of the ids) and exact geodesic
/// nearest / within queries.
#[derive(Debug, Clone)]
pub struct PointSet<T> {
    items: Vec<T>,
    index: PointIndex,
}

impl<T: Positioned> PointSet<T> {
    /// Sorts by id and indexes. A repeated id is a [`Error::DuplicateId`] naming `kind`.
    pub fn new(kind: &str, mut items: Vec<T>) -> Result<Self> {
        items.sort_by(|a, b| a.id().cmp(b.id()));
        if let Some(w) = items.windows(2).find(|w| w[0].id() == w[1].id()) {
            return Err(Error::DuplicateId {
                context: kind.to_string(),
                id: w[0].id().to_string(),
            });
        }
        let (lons, lats): (Vec<f64>, Vec<f64>) = items.iter().map(Positioned::lon_lat).unzip();
        let index = PointIndex::new(&lons, &lats)?;
        Ok(PointSet { items, index })
    }

    /// The same set with every item replaced by `f(item)`, which must keep each item's id
    /// and position (the index is reused, not rebuilt).
    pub(crate) fn map_items(&self, f: impl Fn(&T) -> T) -> Self
    where
        T: Clone,
    {
        let items: Vec<T> = self.items.iter().map(&f).collect();
        debug_assert!(items
            .iter()
            .zip(&self.items)
            .all(|(a, b)| a.id() == b.id() && a.lon_lat() == b.lon_lat()));
        PointSet {
            items,
            index: self.index.clone(),
        }
    }

    /// All items, sorted by id.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// An item by id.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.position_of(id).map(|i| &self.items[i])
    }

    /// The position of an id in [`PointSet::items`].
    pub fn position_of(&self, id: &str) -> Option<usize> {
        self.items.binary_search_by(|t| t.id().cmp(id)).ok()
    }

    /// The `k` nearest items passing `keep` (geodesic metres, exact order, ties by id).
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_distance_m: Option<f64>,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<(&T, f64)> {
        self.resolve(self.nearest_positions(lon, lat, k, max_distance_m, keep))
    }

    /// Like [`PointSet::nearest`], with positions in [`PointSet::items`] instead of references.
    pub fn nearest_positions(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_distance_m: Option<f64>,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<Neighbor> {
        self.index.nearest(lon, lat, k, max_distance_m, |i| {
            keep(&self.items[i as usize])
        })
    }

    /// Every item passing `keep` within `radius_m` (geodesic), nearest first, ties by id.
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<(&T, f64)> {
        let hits = self
            .index
            .within(lon, lat, radius_m, |i| keep(&self.items[i as usize]));
        self.resolve(hits)
    }

    fn resolve(&self, hits: Vec<Neighbor>) -> Vec<(&T, f64)> {
        hits.into_iter()
            .map(|n| (&self.items[n.index as usize], n.distance_m))
            .collect()
    }
}
