//! Nearest-resource queries for dispatch: the closest on-duty grid workers, the nearest
//! hydrants, the nearest asset of a class, over up to millions of WGS84 points.
//!
//! Distances are **geodesic on the WGS84 ellipsoid, in metres** (Karney's algorithm, through
//! geographiclib-rs), and results come in the **exact geodesic order**: by distance, ties by the
//! smaller index. A planar R-tree on lon/lat cannot promise that order (a degree of longitude
//! shrinks with latitude, and the ellipsoid is not a sphere), so [`PointIndex`] searches on the
//! ellipsoid normals instead and checks every candidate with the exact distance.
//!
//! # Method
//!
//! Each point is indexed by its **n-vector**, the unit normal of the ellipsoid at the point:
//! for geodetic latitude φ and longitude λ, n = (cos φ cos λ, cos φ sin λ, sin φ). The unit
//! vectors sit in a 3-D kd-tree (below). For two points P, Q whose normals make an angle θ and
//! whose geodesic distance is s,
//!
//! ```text
//! M_min · θ  ≤  s  ≤  N_max · θ
//! M_min = a (1 − e²)   ≈ 6 335 439 m   (meridian radius of curvature at the equator)
//! N_max = a / √(1 − e²) ≈ 6 399 594 m   (radius of curvature at the poles)
//! ```
//!
//! These are the smallest and largest radii of curvature of the WGS84 ellipsoid: the meridian
//! radius M = a(1 − e²)/(1 − e² sin²φ)^{3/2} and the prime-vertical radius
//! N = a/(1 − e² sin²φ)^{1/2} both grow from the equator to the poles, M ≤ N everywhere, so
//! the overall minimum is M at the equator and the overall maximum is M = N at the poles.
//!
//! *Lower bound.* Walk along the geodesic from P to Q at unit speed. The normal moves on the
//! unit sphere at speed |S t|, where S is the shape operator (the derivative of the Gauss map)
//! and t the unit tangent. S is symmetric with eigenvalues 1/M and 1/N, the principal
//! curvatures, so that speed never exceeds 1/M_min. The normal thus travels a path of length at
//! most s / M_min from n(P) to n(Q), and no path on the sphere between them is shorter than the
//! great-circle arc θ: θ ≤ s / M_min.
//!
//! *Upper bound.* The ellipsoid is strictly convex, so the Gauss map is a bijection onto the
//! sphere; its inverse has derivative S⁻¹, with eigenvalues M and N, and stretches any arc by
//! at most N_max. Pulling the great-circle arc between n(P) and n(Q) back to the ellipsoid
//! gives a curve from P to Q of length at most N_max θ, and the geodesic is no longer:
//! s ≤ N_max θ. (Only the lower bound is used for correctness; the upper bound says why the
//! search is short: every candidate examined is at most N_max / M_min ≈ 1.0101 times farther,
//! in angle, than the answer.)
//!
//! The chord between two unit vectors, c = |n(P) − n(Q)| = 2 sin(θ/2), is increasing in θ on
//! [0, π], so an order by chord is the order by θ, by the lower bound M_min θ and by the upper
//! bound N_max θ.
//!
//! *The kd-tree* (`kdtree.rs`) is flat and implicit: the n-vectors are permuted into tree order
//! (one array per axis), the tree has a fixed depth that leaves at most 32 points per leaf,
//! node `i` has children `2i + 1` and `2i + 2`, and each inner node stores only its split axis
//! (the widest of its cell) and value (the median, found with `select_nth_unstable`, the two
//! halves built in parallel on the rayon pool). A query walks it depth first, nearer child
//! first, with no allocation: each farther child is kept only if the squared chord from the
//! query to its cell is within the current threshold, and each leaf's squared chords are
//! computed in one vectorised loop. Cell distances are computed so that they never exceed, in
//! floating point, the squared chord of a point inside (per-axis differences round
//! monotonically and are summed in the same order), so pruning never loses a point.
//!
//! - [`PointIndex::nearest`] walks the tree collecting every point accepted by the filter
//!   within a threshold: first the squared chord of `max_distance_m` (widened as below), then,
//!   once k candidates are known, also the chord that the k-th smallest candidate chord can
//!   reach: any point no farther than those k candidates has s ≤ N_max θ_k, hence a chord at
//!   most that of (N_max / M_min) θ_k (widened). It then sorts the candidates by chord, computes
//!   their exact distances in that order, keeps the best k by (distance, index) and stops as
//!   soon as the next candidate's lower bound is **strictly** greater than the current k-th
//!   distance (equality goes on, so exact ties are all seen and resolved by index) or greater
//!   than the maximum distance. Every point not examined has a lower bound, hence a distance,
//!   beyond the k-th: the result is exact, and identical to the former R-tree's, which took
//!   candidates in increasing chord order from a best-first iterator (kept as
//!   `baseline::RTreePointIndex` for the tests and benches to compare with). Exact distances
//!   are computed for as few candidates as before: about k, plus those whose lower bound
//!   ties with the k-th distance.
//! - [`PointIndex::within`] walks the tree for every point within the chord of
//!   θ_max = radius / M_min (a superset of the answer, by the lower bound), then keeps those
//!   accepted by the filter whose exact distance is ≤ radius.
//!
//! *Rounding.* The angle is recovered as θ = 2 asin(c/2), which is accurate for small angles
//! (acos of a dot product is not). The lower bound is shaved by a relative 1e-12 and by
//! 1e-13 rad (≈ 0.6 µm), which covers the rounding of the n-vectors (a few ulps of 1, which
//! matters for points a few metres apart), of the chord and of Karney's algorithm (≈ 15 nm);
//! the radius of `within` is widened by the same margins, and the reach of the k-th chord
//! (N_max / M_min ≤ 1.0102, plus 3e-13 on the chord) covers both. Rounding can therefore make
//! the search look at a few more candidates, never skip a true neighbour.
//!
//! # Filters
//!
//! Both queries take a filter `Fn(u32) -> bool` (class prefix, state, on duty, …, decided by
//! the caller); rejected points cost one filter call and no distance. The filter is called
//! only for points the walk reaches within its threshold, in no particular order. A filter
//! that rejects most points near the query makes `nearest` walk further; without a
//! `max_distance_m`, a filter that rejects every point walks the whole index. When one class
//! is queried often and is a small part of the points, build a separate [`PointIndex`] for it.

#[doc(hidden)]
pub mod baseline;
mod bound;
mod kdtree;
mod kth;
mod point_set;

pub use point_set::{PointSet, Positioned};
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::Arc;

use geographiclib_rs::InverseGeodesic;
use rayon::prelude::*;

use crate::crs::coordinate_problem;
use crate::error::{Error, Result};

use bound::{chord2_bound, lower_bound_m, n_vector, reach_chord2, wgs84};
use kdtree::{Item, KdTree};
use kth::KthChord;

/// The geodesic distance in metres between two WGS84 points (degrees), on the ellipsoid, by
/// Karney's algorithm (geographiclib-rs); accurate to about 15 nanometres.
///
/// Returns NaN when a coordinate is NaN or a latitude lies outside ±90°. Longitudes are taken
/// modulo 360°.
///
/// ```
/// use wangge::nearest::geodesic_distance_m;
/// // One degree of latitude at the equator: 110 574.4 m.
/// let d = geodesic_distance_m(0.0, 0.0, 0.0, 1.0);
/// assert!((d - 110_574.389).abs() < 1e-3);
/// ```
pub fn geodesic_distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let s: f64 = wgs84().inverse(lat1, lon1, lat2, lon2);
    // Normalise −0 so that distances order the same way under `total_cmp`.
    if s == 0.0 {
        0.0
    } else {
        s
    }
}

/// One result of a query: the point's index (its position in the input of
/// [`PointIndex::new`]) and its geodesic distance from the query point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// Index of the point: its position in the arrays given to [`PointIndex::new`].
    pub index: u32,
    /// Geodesic distance from the query point on the WGS84 ellipsoid, metres.
    pub distance_m: f64,
}

/// An immutable index of WGS84 points for exact geodesic nearest-neighbour and radius queries.
///
/// Point `i` is the `i`-th position of the input. Results are sorted by geodesic distance
/// (Karney, WGS84, metres), ties by the smaller index, and are exactly what a brute-force scan
/// with [`geodesic_distance_m`] over every point would give. Cloning is cheap (the index is
/// shared), and the index is `Send + Sync`. See the [module docs](self) for the method.
///
/// ```
/// use wangge::nearest::{geodesic_distance_m, PointIndex};
///
/// // Hydrants in Wuhan (WGS84); hydrant 2 was entered twice (same position as hydrant 0).
/// let lons = [114.2650, 114.3050, 114.2650, 114.2700];
/// let lats = [30.5850, 30.6000, 30.5850, 30.5900];
/// let hydrants = PointIndex::new(&lons, &lats)?;
///
/// // The two nearest hydrants to a fire at (114.2660, 30.5850): 0 and 2 tie, 0 comes first.
/// let near = hydrants.nearest(114.2660, 30.5850, 2, None, |_| true);
/// assert_eq!(near.iter().map(|n| n.index).collect::<Vec<_>>(), [0, 2]);
/// assert_eq!(near[0].distance_m, geodesic_distance_m(114.2660, 30.5850, 114.2650, 30.5850));
/// assert!((near[0].distance_m - 95.9).abs() < 0.1);
///
/// // Within 1 km, leaving out hydrant 2 (e.g. out of service).
/// let close = hydrants.within(114.2660, 30.5850, 1_000.0, |i| i != 2);
/// assert_eq!(close.iter().map(|n| n.index).collect::<Vec<_>>(), [0, 3]);
///
/// // Nothing within 50 m.
/// assert!(hydrants.nearest(114.2660, 30.5850, 5, Some(50.0), |_| true).is_empty());
/// # Ok::<(), wangge::Error>(())
/// ```
#[derive(Clone)]
pub struct PointIndex {
    inner: Arc<Inner>,
}

struct Inner {
    lons: Vec<f64>,
    lats: Vec<f64>,
    tree: KdTree,
}

impl fmt::Debug for PointIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PointIndex")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// A (distance, index) pair ordered by distance then index: the order of every result.
#[derive(Clone, Copy)]
struct Entry {
    distance_m: f64,
    index: u32,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance_m
            .total_cmp(&other.distance_m)
            .then(self.index.cmp(&other.index))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl From<Entry> for Neighbor {
    fn from(e: Entry) -> Self {
        Neighbor {
            index: e.index,
            distance_m: e.distance_m,
        }
    }
}

/// Checks the input of [`PointIndex::new`]: equal lengths, usable coordinates, indices that
/// fit in `u32`.
fn check_points(lons: &[f64], lats: &[f64]) -> Result<()> {
    Error::check_lengths(lons, lats)?;
    for (i, (&lon, &lat)) in lons.iter().zip(lats).enumerate() {
        let reason = match (coordinate_problem(lon, lat), u32::try_from(i)) {
            (None, Ok(_)) => continue,
            (Some(problem), _) => problem,
            (None, Err(_)) => "index does not fit in u32 (too many points)",
        };
        return Err(Error::InvalidPoint {
            index: i,
            lon,
            lat,
            reason: reason.to_string(),
        });
    }
    Ok(())
}

/// Whether a query answers with nothing: an unusable point (NaN, infinite, out of range) or a
/// distance bound that is NaN or negative.
fn unusable_query(lon: f64, lat: f64, distance_m: f64) -> bool {
    coordinate_problem(lon, lat).is_some() || distance_m.is_nan() || distance_m < 0.0
}

/// The result order: by (distance, index).
fn by_distance(mut found: Vec<Entry>) -> Vec<Neighbor> {
    found.sort_unstable();
    found.into_iter().map(Neighbor::from).collect()
}

/// Phase 2 of a k-NN search: `candidates` (squared chord, index), sorted by chord, hold every
/// point that can make the answer. Computes exact distances in that order, keeps the best `k`
/// by (distance, index) within `max_d`, and stops as soon as the next candidate's lower bound
/// is strictly beyond the current k-th distance (equality goes on, so exact ties are all seen)
/// or beyond `max_d`.
fn rank(
    candidates: impl IntoIterator<Item = (f64, u32)>,
    k: usize,
    max_d: f64,
    distance: impl Fn(u32) -> f64,
) -> Vec<Neighbor> {
    // A max-heap of the best k so far: the top is the current k-th.
    let candidates = candidates.into_iter();
    let mut best: BinaryHeap<Entry> =
        BinaryHeap::with_capacity(k.min(candidates.size_hint().0) + 1);
    for (c2, index) in candidates {
        let lower = lower_bound_m(c2);
        if lower > max_d {
            break;
        }
        if best.len() == k && best.peek().is_some_and(|kth| lower > kth.distance_m) {
            break;
        }
        let distance_m = distance(index);
        if distance_m > max_d {
            continue;
        }
        let entry = Entry { distance_m, index };
        if best.len() < k {
            best.push(entry);
        } else if let Some(mut kth) = best.peek_mut() {
            if entry < *kth {
                *kth = entry;
            }
        }
    }
    best.into_sorted_vec()
        .into_iter()
        .map(Neighbor::from)
        .collect()
}

impl PointIndex {
    /// Builds the index over points `(lons[i], lats[i])`, WGS84 degrees; point `i` gets index
    /// `i`. Duplicate positions are allowed (they come back ordered by index).
    ///
    /// Builds the kd-tree on the rayon pool: about 0.2 s for two million points in a release
    /// build on two cores (`cargo bench -p wangge-benches --bench nearest`, `index_build`).
    ///
    /// # Errors
    /// - [`Error::LengthMismatch`] when `lons` and `lats` differ in length;
    /// - [`Error::InvalidPoint`], naming the first bad index, for a NaN or infinite coordinate,
    ///   a longitude outside ±180° or a latitude outside ±90° (also for a point beyond index
    ///   `u32::MAX`, since indices are `u32`).
    pub fn new(lons: &[f64], lats: &[f64]) -> Result<PointIndex> {
        check_points(lons, lats)?;
        let items: Vec<Item> = lons
            .par_iter()
            .zip(lats)
            .enumerate()
            .map(|(i, (&lon, &lat))| Item {
                p: n_vector(lon, lat),
                index: i as u32, // checked above: every index fits in u32
            })
            .collect();
        Ok(PointIndex {
            inner: Arc::new(Inner {
                lons: lons.to_vec(),
                lats: lats.to_vec(),
                tree: KdTree::new(items),
            }),
        })
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.inner.lons.len()
    }

    /// Whether the index holds no point.
    pub fn is_empty(&self) -> bool {
        self.inner.lons.is_empty()
    }

    /// The position `(lon, lat)` of point `index`, exactly as given to [`PointIndex::new`].
    ///
    /// # Panics
    /// When `index >= self.len()`.
    pub fn position(&self, index: u32) -> (f64, f64) {
        let i = index as usize;
        (self.inner.lons[i], self.inner.lats[i])
    }

    /// Exact geodesic distance from (lon, lat) to point `index`.
    fn distance_to(&self, index: u32, lon: f64, lat: f64) -> f64 {
        let (plon, plat) = self.position(index);
        geodesic_distance_m(lon, lat, plon, plat)
    }

    /// The `k` points nearest to (lon, lat) (WGS84 degrees) among those for which
    /// `filter(index)` is true, and no farther than `max_distance_m` when given (a point
    /// exactly at that distance is included).
    ///
    /// Sorted by (distance, index): exactly the first `k` of a brute-force scan over all points
    /// accepted by the filter. Fewer than `k` when fewer points qualify.
    ///
    /// Returns an empty `Vec` when `k` is 0, when the query point is unusable (a NaN or
    /// infinite coordinate, a longitude outside ±180° or a latitude outside ±90°), or when
    /// `max_distance_m` is negative or NaN.
    ///
    /// The filter is called only for candidates the search reaches (at most once each, in no
    /// particular order); see the module docs about very selective filters.
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
        // Phase 1: every point accepted by the filter whose squared chord is within the
        // threshold. Once k candidates are known, the k-th smallest chord bounds the k-th
        // distance from above (N_max θ), hence the chord of every point that can still make
        // the answer; the threshold shrinks with it.
        let mut candidates: Vec<(f64, u32)> = Vec::with_capacity(k.min(1024) + 32);
        let mut kth = KthChord::new(k);
        let threshold =
            self.inner
                .tree
                .walk(&query, chord2_bound(max_d), |chords, ids, mut threshold| {
                    for (&c2, &index) in chords.iter().zip(ids) {
                        if c2 <= threshold && filter(index) {
                            candidates.push((c2, index));
                            if let Some(t) = kth.offer(&mut candidates, reach_chord2) {
                                threshold = threshold.min(t);
                            }
                        }
                    }
                    threshold
                });
        candidates.retain(|c| c.0 <= threshold);
        candidates.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        rank(candidates, k, max_d, |index| {
            self.distance_to(index, lon, lat)
        })
    }

    /// Every point within `radius_m` metres (geodesic, inclusive) of (lon, lat) (WGS84
    /// degrees) for which `filter(index)` is true, sorted by (distance, index).
    ///
    /// Returns an empty `Vec` when the query point is unusable (a NaN or infinite coordinate,
    /// a longitude outside ±180° or a latitude outside ±90°) or when `radius_m` is negative or
    /// NaN. An infinite radius returns every accepted point.
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
        let mut found: Vec<Entry> = Vec::with_capacity(64);
        self.inner
            .tree
            .walk(&query, chord2_bound(radius_m), |chords, ids, threshold| {
                for (&c2, &index) in chords.iter().zip(ids) {
                    if c2 <= threshold && filter(index) {
                        let distance_m = self.distance_to(index, lon, lat);
                        if distance_m <= radius_m {
                            found.push(Entry { distance_m, index });
                        }
                    }
                }
                threshold
            });
        by_distance(found)
    }
}
