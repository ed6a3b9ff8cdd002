//! Not part of the API: what the benches (`benches/benches/nearest.rs`) measure
//! [`PointIndex`](super::PointIndex) against, and a second implementation for the tests.
//!
//! [`RTreePointIndex`] is the R-tree search that `PointIndex` used before its kd-tree: the
//! same bounds, the same answers, walked with rstar's best-first iterator. The bounds and
//! [`rank`] let a bench build the same exact search over another structure.

use rstar::primitives::GeomWithData;
use rstar::{RStarInsertionStrategy, RTree, RTreeParams};

pub use super::bound::{chord2_bound, lower_bound_m, n_vector, upper_bound_m};
use super::{by_distance, check_points, geodesic_distance_m, unusable_query, Entry, Neighbor};
use crate::error::Result;

/// R-tree node sizes: wider nodes than rstar's default bulk-load about twice as fast.
struct NodeParams;

impl RTreeParams for NodeParams {
    const MIN_SIZE: usize = 8;
    const MAX_SIZE: usize = 24;
    const REINSERTION_COUNT: usize = 6;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// The former R-tree `PointIndex`: same constructor, same queries, same answers.
pub struct RTreePointIndex {
    lons: Vec<f64>,
    lats: Vec<f64>,
    tree: RTree<GeomWithData<[f64; 3], u32>, NodeParams>,
}

impl RTreePointIndex {
    /// As [`PointIndex::new`](super::PointIndex::new).
    pub fn new(lons: &[f64], lats: &[f64]) -> Result<RTreePointIndex> {
        check_points(lons, lats)?;
        let items = lons
            .iter()
            .zip(lats)
            .enumerate()
            .map(|(i, (&lon, &lat))| GeomWithData::new(n_vector(lon, lat), i as u32))
            .collect();
        Ok(RTreePointIndex {
            lons: lons.to_vec(),
            lats: lats.to_vec(),
            tree: RTree::bulk_load_with_params(items),
        })
    }

    fn distance_to(&self, index: u32, lon: f64, lat: f64) -> f64 {
        let i = index as usize;
        geodesic_distance_m(lon, lat, self.lons[i], self.lats[i])
    }

    /// As [`PointIndex::nearest`](super::PointIndex::nearest).
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_distance_m: Option<f64>,
        filter: impl Fn(u32) -> bool,
    ) -> Vec<Neighbor> {
        let max_d = max_distance_m.unwrap_or(f64::INFINITY);
        if k == 0 || unusable_query(lon, lat, max_d) {
            return Vec::new();
        }
        let query = n_vector(lon, lat);
        let candidates = self
            .tree
            .nearest_neighbor_iter_with_distance_2(&query)
            .map(|(item, c2)| (c2, item.data))
            .take_while(|&(c2, _)| lower_bound_m(c2) <= max_d)
            .filter(|&(_, index)| filter(index));
        rank(candidates, k, max_d, |index| {
            self.distance_to(index, lon, lat)
        })
    }

    /// As [`PointIndex::within`](super::PointIndex::within).
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        filter: impl Fn(u32) -> bool,
    ) -> Vec<Neighbor> {
        if unusable_query(lon, lat, radius_m) {
            return Vec::new();
        }
        let query = n_vector(lon, lat);
        let found: Vec<Entry> = self
            .tree
            .locate_within_distance(query, chord2_bound(radius_m))
            .map(|item| item.data)
            .filter(|&index| filter(index))
            .map(|index| Entry {
                distance_m: self.distance_to(index, lon, lat),
                index,
            })
            .filter(|e| e.distance_m <= radius_m)
            .collect();
        by_distance(found)
    }
}

/// The exact k nearest among `candidates` (squared chord, index), given in increasing chord
/// order and holding every point that can make the answer: exact distances by `distance`, in
/// that order, until the lower bound passes the k-th distance or `max_d`. What
/// [`PointIndex::nearest`](super::PointIndex::nearest) does after its walk.
pub fn rank(
    candidates: impl IntoIterator<Item = (f64, u32)>,
    k: usize,
    max_d: f64,
    distance: impl Fn(u32) -> f64,
) -> Vec<Neighbor> {
    super::rank(candidates, k, max_d, distance)
}
