//! The exact point-in-region test and the one-owner rule.
//!
//! # The rule
//! A point `p = (x, y)` belongs to a region when the point `p' = (x + ε, y + ε²)` lies inside it,
//! for an infinitesimally small ε > 0. `p'` never lies on a straight edge, so it is inside exactly
//! one tile of any partition whose neighbours share their boundary edges. Hence a point on an edge
//! shared by two grids, or on a vertex shared by many, has exactly one owner, and always the same
//! one; on the outer boundary of a partition it is owned on the right/upper side and unowned on
//! the left/lower side ("semi-open" tiles, as in S2 or in pixel rasterisation rules).
//!
//! # Evaluation
//! Even-odd crossing count of a horizontal ray from `p'` towards +x over every ring. An edge with
//! endpoints `lo` (lower) and `hi` (upper) is crossed iff `lo.y <= y < hi.y` (the ε² shift makes
//! the band half-open) and `p` lies strictly left of `lo → hi`, decided by Shewchuk's robust
//! `orient2d` (the ε shift makes collinear points count as "not left"). No division, no rounding:
//! the answer is exact for any f64 input.

use robust::{orient2d, Coord};

/// Axis-aligned bounding box `[min_x, min_y, max_x, max_y]`.
pub type BBox = [f64; 4];

/// A ring prepared for the crossing test: closed (last position equals the first) with its bbox.
#[derive(Debug, Clone)]
struct PreparedRing {
    bbox: BBox,
    pts: Vec<[f64; 2]>,
}

/// A region's rings (all polygons, exterior and holes) prepared for exact point tests.
#[derive(Debug, Clone)]
pub struct PreparedRegion {
    bbox: BBox,
    rings: Vec<PreparedRing>,
}

fn bbox_of(pts: &[[f64; 2]]) -> BBox {
    pts.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        },
    )
}

impl PreparedRegion {
    /// Prepares a multipolygon. Rings are closed here if they are not already.
    pub fn new(geometry: &geo::MultiPolygon<f64>) -> Self {
        let rings: Vec<PreparedRing> = geometry
            .iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .filter(|ring| ring.0.len() >= 2)
            .map(|ring| {
                let mut pts: Vec<[f64; 2]> = ring.0.iter().map(|c| [c.x, c.y]).collect();
                if pts.first() != pts.last() {
                    pts.push(pts[0]);
                }
                PreparedRing {
                    bbox: bbox_of(&pts),
                    pts,
                }
            })
            .collect();
        let bbox = rings.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |b, r| {
                [
                    b[0].min(r.bbox[0]),
                    b[1].min(r.bbox[1]),
                    b[2].max(r.bbox[2]),
                    b[3].max(r.bbox[3]),
                ]
            },
        );
        PreparedRegion { bbox, rings }
    }

    /// The region's bounding box.
    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    /// Number of vertices over all rings (closing positions included).
    pub fn vertex_count(&self) -> usize {
        self.rings.iter().map(|r| r.pts.len()).sum()
    }

    /// True when the point belongs to the region under the one-owner rule (module docs).
    #[inline]
    pub fn contains(&self, x: f64, y: f64) -> bool {
        // `p'` lies inside the bbox iff min <= p < max on both axes; NaN fails every comparison.
        let b = &self.bbox;
        if !(x >= b[0] && x < b[2] && y >= b[1] && y < b[3]) {
            return false;
        }
        let mut inside = false;
        for ring in &self.rings {
            let rb = &ring.bbox;
            // A ray that misses the ring's bbox, or starts right of it, crosses it an even number
            // of times, so skipping the ring keeps the parity.
            if y < rb[1] || y >= rb[3] || x >= rb[2] {
                continue;
            }
            if ring_crossings_odd(&ring.pts, x, y) {
                inside = !inside;
            }
        }
        inside
    }
}

/// Parity of the number of ring edges the ray from `p'` crosses.
#[inline]
fn ring_crossings_odd(pts: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut odd = false;
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > y) != (b[1] > y) {
            if a[0] < x && b[0] < x {
                continue; // edge entirely left of p: not crossed
            }
            if a[0] > x && b[0] > x {
                odd = !odd; // edge entirely right of p and straddling: crossed
                continue;
            }
            let (lo, hi) = if a[1] > y { (b, a) } else { (a, b) };
            let o = orient2d(
                Coord { x: lo[0], y: lo[1] },
                Coord { x: hi[0], y: hi[1] },
                Coord { x, y },
            );
            if o > 0.0 {
                odd = !odd;
            }
        }
    }
    odd
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    fn square(x0: f64, y0: f64, s: f64) -> PreparedRegion {
        PreparedRegion::new(&MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)
        ]]))
    }

    #[test]
    fn semi_open_square() {
        let s = square(0.0, 0.0, 1.0);
        assert!(s.contains(0.5, 0.5));
        assert!(s.contains(0.0, 0.0)); // lower-left corner owned
        assert!(s.contains(0.0, 0.5)); // left edge owned
        assert!(s.contains(0.5, 0.0)); // bottom edge owned
        assert!(!s.contains(1.0, 0.5)); // right edge not owned
        assert!(!s.contains(0.5, 1.0)); // top edge not owned
        assert!(!s.contains(1.0, 1.0));
        assert!(!s.contains(f64::NAN, 0.5));
    }

    #[test]
    fn shared_vertex_of_four_squares_has_one_owner() {
        let tiles = [
            square(0.0, 0.0, 1.0),
            square(1.0, 0.0, 1.0),
            square(0.0, 1.0, 1.0),
            square(1.0, 1.0, 1.0),
        ];
        let owners: Vec<usize> = (0..4).filter(|&i| tiles[i].contains(1.0, 1.0)).collect();
        assert_eq!(owners, vec![3]);
    }

    #[test]
    fn slanted_shared_edge_has_one_owner() {
        // Two triangles sharing the diagonal of a unit square; points exactly on the diagonal.
        let lower = PreparedRegion::new(&MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)
        ]]));
        let upper = PreparedRegion::new(&MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]));
        for t in [0.0, 0.125, 0.25, 0.5, 0.75] {
            let n = lower.contains(t, t) as u8 + upper.contains(t, t) as u8;
            assert_eq!(n, 1, "point ({t}, {t})");
        }
    }
}
