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
///
/// Regions with more than [`BAND_MIN_EDGES`] edges also get a band index: the bbox is cut into
/// horizontal bands and each band lists the edges whose y-range meets it, so a test visits only
/// the edges near the point's latitude instead of all of them (district outlines have
/// thousands). Crossing parity adds up over edges, so mixing rings in one band is exact. The
/// bands keep at most 8 entries per edge in all (fewer, taller bands when the edges are tall),
/// so preparing a region takes memory linear in its size whatever its shape.
#[derive(Debug, Clone)]
pub struct PreparedRegion {
    bbox: BBox,
    rings: Vec<PreparedRing>,
    bands: Option<Bands>,
}

/// Regions with more edges than this get a band index (see [`PreparedRegion`]).
pub const BAND_MIN_EDGES: usize = 32;

/// Band entries allowed per edge: real outlines need about 2 (an edge spans its own band and
/// sometimes the next); a region whose edges span many bands gets fewer, taller bands.
const BAND_ENTRIES_PER_EDGE: u64 = 8;

/// Edges bucketed by horizontal band (compressed rows: `edges[offsets[i]..offsets[i + 1]]`).
#[derive(Debug, Clone)]
struct Bands {
    y0: f64,
    inv_height: f64,
    count: usize,
    offsets: Vec<u32>,
    edges: Vec<[[f64; 2]; 2]>,
}

impl Bands {
    fn new(rings: &[PreparedRing], bbox: BBox, edge_count: usize) -> Bands {
        let edges = || {
            rings
                .iter()
                .flat_map(|r| r.pts.windows(2).map(|w| [w[0], w[1]]))
        };
        // An edge is listed in every band it spans. Tall edges over many bands (a comb whose
        // teeth run the whole height) would make the lists quadratic in the edge count, so the
        // bands are made fewer until the entries fit [`BAND_ENTRIES_PER_EDGE`] per edge.
        let budget = (edge_count as u64).saturating_mul(BAND_ENTRIES_PER_EDGE);
        let mut count = (edge_count / 2).clamp(1, 1 << 16);
        let mut bands = loop {
            let height = (bbox[3] - bbox[1]) / count as f64;
            let inv_height = if height > 0.0 { 1.0 / height } else { 0.0 };
            let bands = Bands {
                y0: bbox[1],
                inv_height,
                count,
                offsets: vec![0; count + 1],
                edges: Vec::new(),
            };
            if count == 1 {
                break bands;
            }
            let mut entries: u64 = 0;
            for [a, b] in edges() {
                let (lo, hi) = bands.span(a[1], b[1]);
                entries += (hi - lo + 1) as u64;
                if entries > budget {
                    break;
                }
            }
            if entries <= budget {
                break bands;
            }
            count /= 2;
        };
        // Counting pass, prefix sums, then fill: one allocation of the exact size.
        for [a, b] in edges() {
            let (lo, hi) = bands.span(a[1], b[1]);
            for i in lo..=hi {
                bands.offsets[i + 1] += 1;
            }
        }
        for i in 0..count {
            bands.offsets[i + 1] += bands.offsets[i];
        }
        let mut next = bands.offsets.clone();
        bands.edges = vec![[[0.0; 2]; 2]; bands.offsets[count] as usize];
        for [a, b] in edges() {
            let (lo, hi) = bands.span(a[1], b[1]);
            for slot in &mut next[lo..=hi] {
                bands.edges[*slot as usize] = [a, b];
                *slot += 1;
            }
        }
        bands
    }

    /// The band of a latitude. Monotone in `y`, so an edge spanning `y` is in `y`'s band.
    #[inline]
    fn band(&self, y: f64) -> usize {
        (((y - self.y0) * self.inv_height) as usize).min(self.count - 1)
    }

    fn span(&self, ya: f64, yb: f64) -> (usize, usize) {
        (self.band(ya.min(yb)), self.band(ya.max(yb)))
    }

    #[inline]
    fn edges_near(&self, y: f64) -> &[[[f64; 2]; 2]] {
        let i = self.band(y);
        &self.edges[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
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
        let edge_count: usize = rings.iter().map(|r| r.pts.len() - 1).sum();
        let bands = (edge_count > BAND_MIN_EDGES).then(|| Bands::new(&rings, bbox, edge_count));
        PreparedRegion { bbox, rings, bands }
    }

    /// The region's bounding box.
    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    /// Calls `f(a, b)` for every edge of every ring.
    pub fn for_each_edge(&self, mut f: impl FnMut([f64; 2], [f64; 2])) {
        for ring in &self.rings {
            for w in ring.pts.windows(2) {
                f(w[0], w[1]);
            }
        }
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
        if let Some(bands) = &self.bands {
            return bands
                .edges_near(y)
                .iter()
                .fold(false, |odd, &[a, b]| odd ^ crosses(a, b, x, y));
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
    pts.windows(2)
        .fold(false, |odd, w| odd ^ crosses(w[0], w[1], x, y))
}

/// True when the ray from `p' = (x + ε, y + ε²)` towards +x crosses edge `a–b` (module docs).
#[inline]
fn crosses(a: [f64; 2], b: [f64; 2], x: f64, y: f64) -> bool {
    if (a[1] > y) == (b[1] > y) {
        return false; // both ends on the same side of the half-open band
    }
    if a[0] < x && b[0] < x {
        return false; // edge entirely left of p
    }
    if a[0] > x && b[0] > x {
        return true; // edge entirely right of p, and straddling
    }
    let (lo, hi) = if a[1] > y { (b, a) } else { (a, b) };
    orient2d(
        Coord { x: lo[0], y: lo[1] },
        Coord { x: hi[0], y: hi[1] },
        Coord { x, y },
    ) > 0.0
}

/// True when `p' = (x + ε, y + ε²)` lies strictly left of the directed line `a → b` (`a ≠ b`).
///
/// `orient(a, b, p') = orient(a, b, p) − (b.y − a.y)·ε + (b.x − a.x)·ε²`, so when `p` is on the
/// line the first non-zero coefficient decides. Never "on the line": `p'` is on no edge.
#[inline]
pub fn left_of(a: [f64; 2], b: [f64; 2], x: f64, y: f64) -> bool {
    let o = orient2d(
        Coord { x: a[0], y: a[1] },
        Coord { x: b[0], y: b[1] },
        Coord { x, y },
    );
    if o != 0.0 {
        return o > 0.0;
    }
    let dy = b[1] - a[1];
    if dy != 0.0 {
        dy < 0.0
    } else {
        b[0] > a[0]
    }
}

/// True when vertex `v` lies strictly left of the directed line `c' → p'` (both shifted by the
/// same `(ε, ε²)`; `c ≠ p`): `orient(c', p', v) = orient(c, p, v) + (p.y − c.y)·ε − (p.x − c.x)·ε²`.
#[inline]
fn vertex_left_of_shifted(c: [f64; 2], p: [f64; 2], v: [f64; 2]) -> bool {
    let o = orient2d(
        Coord { x: c[0], y: c[1] },
        Coord { x: p[0], y: p[1] },
        Coord { x: v[0], y: v[1] },
    );
    if o != 0.0 {
        return o > 0.0;
    }
    let dy = p[1] - c[1];
    if dy != 0.0 {
        dy > 0.0
    } else {
        p[0] < c[0]
    }
}

/// True when the segment `c' → p'` crosses edge `a–b`, where `c' = c + (ε, ε²)` and
/// `p' = p + (ε, ε²)`, `c ≠ p`, `a ≠ b`, and `c_left` is [`left_of`]`(a, b, c)` (callers that test
/// many points against one `c` compute it once).
///
/// Under the shift no three of `a, b, c', p'` are collinear (a common shift of `c` and `p` moves
/// the line `c'p'` off every vertex unless `c = p`), so the segments either cross properly or not
/// at all, and crossing each edge flips membership: a region contains `p'` exactly when it
/// contains `c'` and an even number of its edges cross `c'p'`. This is what lets a cell answer
/// from its centre's owners and the few edges inside it.
#[inline]
pub fn segment_crosses(a: [f64; 2], b: [f64; 2], c: [f64; 2], p: [f64; 2], c_left: bool) -> bool {
    left_of(a, b, p[0], p[1]) != c_left
        && vertex_left_of_shifted(c, p, a) != vertex_left_of_shifted(c, p, b)
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
    fn band_index_gives_the_same_answers_as_the_ring_scan() {
        // A star with 200 spikes and a hole, on a lattice of points that hits vertices exactly.
        let n = 200;
        let ring: Vec<(f64, f64)> = (0..=n)
            .map(|i| {
                let t = std::f64::consts::TAU * (i % n) as f64 / n as f64;
                let r = if i % 2 == 0 { 1.0 } else { 0.6 };
                (r * t.cos(), r * t.sin())
            })
            .collect();
        let hole: Vec<(f64, f64)> = vec![
            (-0.1, -0.1),
            (-0.1, 0.1),
            (0.1, 0.1),
            (0.1, -0.1),
            (-0.1, -0.1),
        ];
        let poly = geo::Polygon::new(ring.into(), vec![hole.into()]);
        let banded = PreparedRegion::new(&MultiPolygon(vec![poly]));
        assert!(banded.bands.is_some());
        let mut plain = banded.clone();
        plain.bands = None;
        let mut pts: Vec<(f64, f64)> = banded
            .rings
            .iter()
            .flat_map(|r| r.pts.iter().map(|p| (p[0], p[1])))
            .collect();
        for i in -60..=60 {
            for j in -60..=60 {
                pts.push((i as f64 / 50.0, j as f64 / 50.0));
            }
        }
        let mut inside = 0;
        for (x, y) in pts {
            assert_eq!(banded.contains(x, y), plain.contains(x, y), "({x}, {y})");
            inside += banded.contains(x, y) as usize;
        }
        assert!(inside > 1000);
    }

    /// The quadratic-memory case of region preparation: a comb whose teeth run the whole
    /// height puts every tooth edge in every band, so `n` teeth made about `n²/2` band entries
    /// (a 378 kB GeoJSON comb of 5,000 teeth took 2.9 GB). The bands now stay within 8
    /// entries per edge, with the same answers.
    #[test]
    fn tall_edges_keep_band_memory_linear() {
        let teeth = 5_000;
        let w = 1.0 / (2 * teeth) as f64;
        let mut ring = vec![(0.0, -0.1), (1.0, -0.1), (1.0, 1.0)];
        for i in 0..teeth {
            let (x0, x1) = (1.0 - (2 * i + 1) as f64 * w, 1.0 - (2 * i + 2) as f64 * w);
            ring.extend([(x0, 1.0), (x0, 0.0), (x1, 0.0), (x1, 1.0)]);
        }
        let comb = PreparedRegion::new(&MultiPolygon(vec![geo::Polygon::new(ring.into(), vec![])]));
        let bands = comb.bands.as_ref().unwrap();
        let edges = comb.vertex_count() - 1;
        assert!(
            bands.edges.len() <= 8 * edges,
            "{} band entries for {edges} edges",
            bands.edges.len()
        );
        let mut plain = comb.clone();
        plain.bands = None;
        for i in 0..=400 {
            for j in -2..=12 {
                let (x, y) = (i as f64 / 400.0 + w / 2.0, j as f64 / 10.0);
                assert_eq!(comb.contains(x, y), plain.contains(x, y), "({x}, {y})");
            }
        }
        assert!(comb.contains(1.0 - w / 2.0, 0.5) && !comb.contains(1.0 - 1.5 * w, 0.5));
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Membership of `p` equals membership of `c` flipped once per crossed edge, on small
        /// integer coordinates where collinear and on-vertex cases are everywhere.
        #[test]
        fn segment_parity_agrees_with_the_ray_rule(
            ring in proptest::collection::vec((-4i32..=4, -4i32..=4), 3..9),
            c in (-5i32..=5, -5i32..=5),
            ps in proptest::collection::vec((-10i32..=10, -10i32..=10), 1..40),
        ) {
            let ring: Vec<(f64, f64)> = ring.iter().map(|&(x, y)| (x as f64, y as f64)).collect();
            let region = PreparedRegion::new(&MultiPolygon(vec![geo::Polygon::new(ring.into(), vec![])]));
            let c = [c.0 as f64, c.1 as f64];
            for (px, py) in ps {
                let p = [px as f64 / 2.0, py as f64 / 2.0];
                if p == c {
                    continue;
                }
                let mut inside = region.contains(c[0], c[1]);
                region.for_each_edge(|a, b| {
                    if a != b && segment_crosses(a, b, c, p, left_of(a, b, c[0], c[1])) {
                        inside = !inside;
                    }
                });
                proptest::prop_assert_eq!(inside, region.contains(p[0], p[1]), "p = {:?}", p);
            }
        }
    }
}
