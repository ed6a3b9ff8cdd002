//! Synthetic partition of a region into cells of about a given area.
//!
//! Chinese cities publish no open boundaries for streets (街道), communities (社区) or unit grids
//! (单元网格), so wangge synthesises them: a real district polygon is cut into streets, each street
//! into communities, each community into grids. This module is the single-level primitive,
//! [`partition`]; composing levels and assigning codes happens elsewhere.
//!
//! # Method
//!
//! 1. **Local isotropic plane.** Longitude and latitude degrees are not isotropic (a degree of
//!    longitude shrinks with `cos(lat)`), so seeds and the Voronoi diagram live in the plane
//!    `x = (lon − lon₀)·cos(lat₀)`, `y = lat − lat₀`, where `(lon₀, lat₀)` is the centre of the
//!    parent's bounding box. Around a district (tens of kilometres) this plane is a good local
//!    equal-scale map. Lengths are converted with a **spherical** Earth of mean radius
//!    6 371 008.8 m (one degree of `y` = 111 195 m); the error against the WGS84 ellipsoid is below
//!    1 % of the cell side, which only nudges the lattice spacing, never the cover.
//! 2. **Seeds.** A square lattice with spacing `√target / metres-per-degree` is laid over the
//!    parent's bounding box, centred on it. Every lattice point is jittered by up to ±30 % of the
//!    spacing on each axis with a ChaCha8 random generator seeded from
//!    [`PartitionOptions::seed`]; the draws are made in lattice order, so the result depends on the
//!    seed and nothing else. Points that fall inside the parent (even–odd rule) become seeds and
//!    remember their lattice row (0 = northernmost) and column (0 = westernmost).
//! 3. **Voronoi cells.** The seeds are triangulated with spade's Delaunay triangulation together
//!    with eight far dummy seeds on a square around the bounding box (farther from the parent
//!    than any two parent points are from each other, so no dummy ever owns a piece of the
//!    parent and every real cell is bounded). A seed's cell is the polygon of the circumcentres of
//!    the triangles around it; each circumcentre is computed once, so neighbouring cells share
//!    their vertices bit for bit. Vertices are mapped back to longitude/latitude.
//! 4. **Clip.** A cell whose (slightly enlarged) bounding box is crossed by no parent edge — found
//!    with an R-tree over the parent's edges — lies wholly inside or wholly outside the parent and
//!    is used as is or dropped. Only the remaining boundary cells are intersected with the parent
//!    using geo's `BooleanOps`. To keep this fast and precise the parent is first cut down to a
//!    small rectangle around the cell with a Sutherland–Hodgman pass (which keeps the even–odd
//!    parity of every point inside the rectangle, and skips whole blocks of far vertices), so the
//!    boolean operation sees a few dozen vertices instead of thousands and its integer rounding
//!    grid is proportional to the cell, not to the district.
//! 5. **Lloyd relaxation** (optional, [`PartitionOptions::lloyd_iterations`] rounds). Each round
//!    moves every seed to the centroid of its clipped cell, which evens out cell sizes along the
//!    parent's boundary. Seeds keep their lattice row and column, so the reading order is stable.
//! 6. **Snap.** The boolean operation rounds every output vertex to a per-operation integer grid,
//!    so two neighbouring clipped cells would otherwise disagree in the last bits, and even the
//!    parent's own vertices come back perturbed. All output vertices are therefore snapped to a
//!    canonical vertex set built in priority order: first the parent's own vertices (kept exactly),
//!    then the Voronoi vertices, then any other output vertex (clustered first come, first
//!    served). Snapping picks the nearest canonical vertex within the tolerance
//!    (`max(1e-9°, extent·2⁻²⁶)`, about 0.1 mm for a district; a hash grid makes it O(1)).
//!    Consecutive duplicates and zero-width spikes are removed afterwards and rings that collapse
//!    below three corners are dropped.
//! 7. **T-junctions.** The boolean operation also drops vertices that are collinear on its grid
//!    (densified straight parent edges), and a cell's edge may run through a vertex that its
//!    neighbour has (a parent vertex on a Voronoi edge, say). Every cell edge therefore receives,
//!    in order along the edge, each canonical vertex used anywhere (or belonging to the parent)
//!    that lies within the tolerance of the edge's interior. After this pass the cells on the
//!    parent's boundary run through every parent vertex, and every interior edge is shared by
//!    exactly two cells with identical vertex sequences.
//!
//! # What remains approximate
//!
//! * Vertices where a Voronoi edge crosses a parent edge cannot lie exactly on the parent edge in
//!   floating point; they lie within the tolerance of it (both neighbours use the same point).
//! * Two parent vertices closer than the tolerance are both kept; a cell edge is not given a
//!   vertex that lies within the tolerance of one of its own end points.
//! * Features of the parent thinner than the tolerance (slits, hair-thin spikes) may be bridged
//!   or cut by up to the tolerance.
//! * Each call sees one parent only. When two neighbouring parents are partitioned separately,
//!   the crossing vertices of one parent's cells sit (within the tolerance) on the common border
//!   but are not vertices of the other parent's cells: across a parent border, children meet
//!   with T-junctions and sub-tolerance slivers. Exactness holds within each parent.
//!
//! The union of the cells therefore equals the parent, and cells overlap nowhere, up to the
//! snapping tolerance.

use std::collections::HashMap;

use geo::{BooleanOps, Centroid, Coord, LineString, MultiPolygon, Polygon};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rstar::primitives::GeomWithData;
use rstar::{RTree, RTreeObject, AABB};
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

use crate::error::{Error, Result};

/// Mean Earth radius (IUGG) used for the spherical metres-per-degree conversion.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Seed jitter as a fraction of the lattice spacing, on each axis.
const JITTER: f64 = 0.3;
/// Smallest snapping tolerance, in degrees (about 0.1 mm).
const BASE_TOL_DEG: f64 = 1e-9;
/// Refuse lattices larger than this (a mistake in the target area, most likely).
const MAX_LATTICE_POINTS: usize = 20_000_000;
/// Vertices per block of the parent's rings, for skipping far blocks when clipping.
const BLOCK: usize = 32;
/// 2⁴⁰.
const TWO_POW_40: f64 = 1_099_511_627_776.0;
/// 2⁻²⁶: the snapping tolerance grows with the parent's extent by this factor.
const TOL_PER_EXTENT: f64 = 1.0 / 67_108_864.0;
/// Marker for "no id".
const NONE: u32 = u32::MAX;

/// Options for one [`partition`].
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionOptions {
    /// Desired cell area in square metres (must be finite and positive). Seeds are laid on a
    /// square lattice whose spacing is the square root of this area, so cells away from the
    /// parent's boundary come out close to it; cells cut by the boundary are smaller or larger.
    pub target_area_m2: f64,
    /// Seed of the ChaCha8 generator that jitters the lattice. The same parent, options and seed
    /// always give bit-identical cells.
    pub seed: u64,
    /// Rounds of Lloyd relaxation: each moves every seed to the centroid of its clipped cell.
    /// `0` keeps the jittered lattice; `1` is the usual choice.
    pub lloyd_iterations: u32,
}

impl PartitionOptions {
    /// Options with the given target area, seed 0 and one Lloyd round.
    pub fn new(target_area_m2: f64) -> Self {
        Self {
            target_area_m2,
            seed: 0,
            lloyd_iterations: 1,
        }
    }
}

/// One generated cell of a [`partition`].
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The cell, in longitude/latitude degrees. A MultiPolygon because the parent's boundary may
    /// cut one Voronoi cell into several pieces. Exteriors are counter-clockwise, holes clockwise
    /// (except for the single-cell result, which is the parent exactly as given).
    /// Vertices on a border with another cell are bit-identical in both cells; vertices on the
    /// parent's boundary are the parent's own vertices or lie within the snapping tolerance of a
    /// parent edge.
    pub polygon: MultiPolygon<f64>,
    /// Lattice row of the cell's seed, 0 = northernmost.
    pub row: u32,
    /// Lattice column of the cell's seed, 0 = westernmost.
    pub col: u32,
}

/// Partition `parent` (longitude/latitude degrees, WGS84) into cells of about
/// `opts.target_area_m2` square metres.
///
/// The cells are clipped Voronoi cells of a jittered square lattice of seeds (see the
/// [module documentation](self) for the method). Together they cover the parent exactly up to a
/// sub-millimetre snapping tolerance, they do not overlap, neighbours share their border vertices
/// bit for bit and cells on the parent's boundary reuse the parent's own vertices.
///
/// Cells are returned in reading order — rows from north to south, and west to east within a
/// row (GB/T 30428.1: 从西向东、由北至南) — by the lattice position of their seeds. Seeds whose cell
/// turns out empty are skipped, so row/column numbers may have gaps.
///
/// If the parent is not larger than one cell, or no lattice point falls inside it (or only one
/// does), the result is a single cell equal to the parent, with row 0 and column 0.
///
/// # Errors
///
/// [`Error::Generate`] if the target area is not a finite positive number, if the parent is
/// empty, has non-finite or out-of-range coordinates or zero area, or if the lattice would be
/// absurdly large (more than twenty million points).
pub fn partition(parent: &MultiPolygon<f64>, opts: &PartitionOptions) -> Result<Vec<Cell>> {
    let target = opts.target_area_m2;
    if !(target.is_finite() && target > 0.0) {
        return Err(Error::Generate(format!(
            "target area must be a finite positive number of square metres, got {target}"
        )));
    }
    let prep = PreparedParent::new(parent)?;
    let frame = Frame::new(&prep.bbox)?;
    let metres_per_degree = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    // Area in the local plane (exteriors minus holes, whatever their winding).
    let parent_area = prep.local_area(&frame) * metres_per_degree * metres_per_degree;
    if parent_area.is_nan() || parent_area <= 1e-6 {
        return Err(Error::Generate(format!(
            "parent has no area ({parent_area} m²): its rings are degenerate"
        )));
    }
    if parent_area <= target {
        return Ok(single_cell(parent));
    }

    let spacing = target.sqrt() / metres_per_degree;
    let seeds = lattice_seeds(&prep, &frame, spacing, opts.seed)?;
    if seeds.len() <= 1 {
        return Ok(single_cell(parent));
    }

    let extent = (prep.bbox.max[0] - prep.bbox.min[0]).max(prep.bbox.max[1] - prep.bbox.min[1]);
    let tol = BASE_TOL_DEG.max(extent * TOL_PER_EXTENT);
    let params = Params {
        tol,
        delta: 8.0 * tol,
        rect_margin: (1000.0 * tol).max(1e-3 * spacing),
    };

    let mut sites: Vec<[f64; 2]> = seeds.iter().map(|s| s.uv).collect();
    for _ in 0..opts.lloyd_iterations {
        let diagram = voronoi(&sites, &frame, &prep, spacing)?;
        let pieces = clip_all(&prep, &diagram, &params);
        let mut moved = false;
        for (i, piece) in pieces.iter().enumerate() {
            if let Some(c) = piece_centroid(piece, &diagram, i) {
                let uv = frame.to_local(c);
                if uv[0].is_finite() && uv[1].is_finite() {
                    moved |= uv != sites[i];
                    sites[i] = uv;
                }
            }
        }
        if !moved {
            break;
        }
    }
    let diagram = voronoi(&sites, &frame, &prep, spacing)?;
    let pieces = clip_all(&prep, &diagram, &params);
    let polygons = finalize(&prep, &diagram, pieces, &params);

    let cells: Vec<Cell> = seeds
        .iter()
        .zip(polygons)
        .filter_map(|(seed, polygon)| {
            polygon.map(|polygon| Cell {
                polygon,
                row: seed.row,
                col: seed.col,
            })
        })
        .collect();
    if cells.is_empty() {
        // Cannot happen for a parent with area, but never return an empty cover.
        return Ok(single_cell(parent));
    }
    Ok(cells)
}

/// The fallback result: the parent itself as one cell.
fn single_cell(parent: &MultiPolygon<f64>) -> Vec<Cell> {
    vec![Cell {
        polygon: parent.clone(),
        row: 0,
        col: 0,
    }]
}

type Pt = [f64; 2];

/// Axis-aligned box.
#[derive(Debug, Clone, Copy)]
struct Bbox {
    min: Pt,
    max: Pt,
}

impl Bbox {
    fn empty() -> Self {
        Self {
            min: [f64::INFINITY; 2],
            max: [f64::NEG_INFINITY; 2],
        }
    }

    fn of(pts: impl IntoIterator<Item = Pt>) -> Self {
        let mut b = Self::empty();
        for p in pts {
            b.add(p);
        }
        b
    }

    fn add(&mut self, p: Pt) {
        self.min = [self.min[0].min(p[0]), self.min[1].min(p[1])];
        self.max = [self.max[0].max(p[0]), self.max[1].max(p[1])];
    }

    fn expand(&self, d: f64) -> Self {
        Self {
            min: [self.min[0] - d, self.min[1] - d],
            max: [self.max[0] + d, self.max[1] + d],
        }
    }

    fn intersect(&self, o: &Self) -> Self {
        Self {
            min: [self.min[0].max(o.min[0]), self.min[1].max(o.min[1])],
            max: [self.max[0].min(o.max[0]), self.max[1].min(o.max[1])],
        }
    }

    fn is_valid(&self) -> bool {
        self.min[0] <= self.max[0] && self.min[1] <= self.max[1]
    }

    fn intersects(&self, o: &Self) -> bool {
        self.min[0] <= o.max[0]
            && o.min[0] <= self.max[0]
            && self.min[1] <= o.max[1]
            && o.min[1] <= self.max[1]
    }

    fn contains(&self, p: Pt) -> bool {
        self.min[0] <= p[0] && p[0] <= self.max[0] && self.min[1] <= p[1] && p[1] <= self.max[1]
    }

    /// True if the whole box lies strictly outside one of `rect`'s four half-planes.
    fn outside_one_side_of(&self, rect: &Self) -> bool {
        self.max[0] < rect.min[0]
            || self.min[0] > rect.max[0]
            || self.max[1] < rect.min[1]
            || self.min[1] > rect.max[1]
    }

    fn aabb(&self) -> AABB<Pt> {
        AABB::from_corners(self.min, self.max)
    }
}

/// A parent edge in the R-tree.
struct Seg {
    a: Pt,
    b: Pt,
}

impl RTreeObject for Seg {
    type Envelope = AABB<Pt>;

    fn envelope(&self) -> AABB<Pt> {
        AABB::from_corners(self.a, self.b)
    }
}

/// A run of consecutive ring vertices with its bounding box.
struct Block {
    start: usize,
    end: usize,
    bbox: Bbox,
}

/// One parent ring, open (no repeated closing vertex).
struct Ring {
    pts: Vec<Pt>,
    hole: bool,
    bbox: Bbox,
    blocks: Vec<Block>,
}

/// The parent, indexed for point-in-polygon tests and local clipping.
struct PreparedParent {
    rings: Vec<Ring>,
    edges: RTree<Seg>,
    bbox: Bbox,
}

impl PreparedParent {
    fn new(parent: &MultiPolygon<f64>) -> Result<Self> {
        let mut rings = Vec::new();
        let mut segs = Vec::new();
        let mut bbox = Bbox::empty();
        for (pi, poly) in parent.0.iter().enumerate() {
            for (ri, ls) in std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .enumerate()
            {
                let mut pts: Vec<Pt> = Vec::with_capacity(ls.0.len());
                for (k, c) in ls.0.iter().enumerate() {
                    if !(c.x.is_finite() && c.y.is_finite()) {
                        return Err(Error::Generate(format!(
                            "parent polygon {pi} ring {ri} position {k} is not finite ({}, {})",
                            c.x, c.y
                        )));
                    }
                    if c.x.abs() > 180.0 || c.y.abs() > 90.0 {
                        return Err(Error::Generate(format!(
                            "parent polygon {pi} ring {ri} position {k} is out of range ({}, {})",
                            c.x, c.y
                        )));
                    }
                    let p = [c.x, c.y];
                    if pts.last() != Some(&p) {
                        pts.push(p);
                    }
                }
                while pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                if pts.len() < 3 {
                    continue;
                }
                let n = pts.len();
                for k in 0..n {
                    segs.push(Seg {
                        a: pts[k],
                        b: pts[(k + 1) % n],
                    });
                }
                let rb = Bbox::of(pts.iter().copied());
                bbox.add(rb.min);
                bbox.add(rb.max);
                let blocks = (0..n)
                    .step_by(BLOCK)
                    .map(|start| {
                        let end = (start + BLOCK).min(n);
                        Block {
                            start,
                            end,
                            bbox: Bbox::of(pts[start..end].iter().copied()),
                        }
                    })
                    .collect();
                rings.push(Ring {
                    pts,
                    hole: ri > 0,
                    bbox: rb,
                    blocks,
                });
            }
        }
        if rings.is_empty() {
            return Err(Error::Generate(
                "parent is empty (no ring with at least three distinct corners)".into(),
            ));
        }
        Ok(Self {
            rings,
            edges: RTree::bulk_load(segs),
            bbox,
        })
    }

    /// Area in square degrees of the local plane: exteriors minus holes.
    fn local_area(&self, frame: &Frame) -> f64 {
        self.rings
            .iter()
            .map(|r| {
                let n = r.pts.len();
                let o = frame.to_local(r.pts[0]);
                let twice: f64 = (1..n - 1)
                    .map(|i| {
                        let a = frame.to_local(r.pts[i]);
                        let b = frame.to_local(r.pts[i + 1]);
                        (a[0] - o[0]) * (b[1] - o[1]) - (b[0] - o[0]) * (a[1] - o[1])
                    })
                    .sum();
                let a = 0.5 * twice.abs();
                if r.hole {
                    -a
                } else {
                    a
                }
            })
            .sum()
    }

    /// Even–odd point-in-parent test by ray casting towards +x over the edge index.
    fn contains(&self, p: Pt) -> bool {
        if !self.bbox.contains(p) {
            return false;
        }
        let ray = AABB::from_corners(p, [self.bbox.max[0], p[1]]);
        let mut inside = false;
        for s in self.edges.locate_in_envelope_intersecting(&ray) {
            let (a, b) = (s.a, s.b);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Does any parent edge touch the box?
    fn edges_touch(&self, bx: &Bbox) -> bool {
        self.edges
            .locate_in_envelope_intersecting(&bx.aabb())
            .any(|s| segment_touches_box(s.a, s.b, bx))
    }

    /// The parent cut down to `rect` (even–odd parity preserved inside `rect`), as polygons
    /// whose exteriors are the clipped rings.
    fn clipped_to(&self, rect: &Bbox) -> Vec<Polygon<f64>> {
        let mut out = Vec::new();
        let mut reduced = Vec::new();
        let mut tmp = Vec::new();
        for ring in &self.rings {
            if !ring.bbox.intersects(rect) {
                continue;
            }
            reduced.clear();
            for b in &ring.blocks {
                if b.bbox.outside_one_side_of(rect) {
                    // Every vertex of the block is outside the same half-plane of the rectangle:
                    // the clip against that half-plane only sees the block's first and last
                    // vertices (the edges into and out of it), so the others can go.
                    reduced.push(ring.pts[b.start]);
                    if b.end - 1 > b.start {
                        reduced.push(ring.pts[b.end - 1]);
                    }
                } else {
                    reduced.extend_from_slice(&ring.pts[b.start..b.end]);
                }
            }
            clip_to_rect(&mut reduced, &mut tmp, rect);
            if reduced.len() >= 3 {
                out.push(polygon_from_pts(&reduced));
            }
        }
        out
    }
}

/// Separating-axis test of a segment against a box (their bounding boxes already overlap).
fn segment_touches_box(a: Pt, b: Pt, bx: &Bbox) -> bool {
    let n = [b[1] - a[1], a[0] - b[0]];
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for p in [
        bx.min,
        [bx.max[0], bx.min[1]],
        bx.max,
        [bx.min[0], bx.max[1]],
    ] {
        let d = (p[0] - a[0]) * n[0] + (p[1] - a[1]) * n[1];
        lo = lo.min(d);
        hi = hi.max(d);
    }
    lo <= 0.0 && hi >= 0.0
}

/// Sutherland–Hodgman clip of a closed ring (open vertex list) to a rectangle, in place.
fn clip_to_rect(ring: &mut Vec<Pt>, tmp: &mut Vec<Pt>, rect: &Bbox) {
    for (axis, bound, keep_ge) in [
        (0, rect.min[0], true),
        (0, rect.max[0], false),
        (1, rect.min[1], true),
        (1, rect.max[1], false),
    ] {
        clip_half_plane(ring, tmp, axis, bound, keep_ge);
        std::mem::swap(ring, tmp);
        if ring.is_empty() {
            return;
        }
    }
}

fn clip_half_plane(input: &[Pt], out: &mut Vec<Pt>, axis: usize, bound: f64, keep_ge: bool) {
    out.clear();
    let Some(&last) = input.last() else {
        return;
    };
    let inside = |p: &Pt| {
        if keep_ge {
            p[axis] >= bound
        } else {
            p[axis] <= bound
        }
    };
    let cross = |a: Pt, b: Pt| {
        let t = (bound - a[axis]) / (b[axis] - a[axis]);
        let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        p[axis] = bound;
        p
    };
    let mut prev = last;
    let mut prev_in = inside(&prev);
    for &cur in input {
        let cur_in = inside(&cur);
        if cur_in {
            if !prev_in {
                out.push(cross(prev, cur));
            }
            out.push(cur);
        } else if prev_in {
            out.push(cross(prev, cur));
        }
        prev = cur;
        prev_in = cur_in;
    }
}

fn polygon_from_pts(pts: &[Pt]) -> Polygon<f64> {
    let mut coords: Vec<Coord<f64>> = pts.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    coords.push(coords[0]);
    Polygon::new(LineString(coords), vec![])
}

/// The local isotropic plane: `u = (lon − lon₀)·cos(lat₀)`, `v = lat − lat₀`.
struct Frame {
    lon0: f64,
    lat0: f64,
    k: f64,
}

impl Frame {
    fn new(bbox: &Bbox) -> Result<Self> {
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

    fn to_local(&self, p: Pt) -> Pt {
        [(p[0] - self.lon0) * self.k, p[1] - self.lat0]
    }

    fn to_lonlat(&self, q: Pt) -> Pt {
        [self.lon0 + q[0] / self.k, self.lat0 + q[1]]
    }
}

/// A seed in the local plane with its lattice position.
struct Seed {
    uv: Pt,
    row: u32,
    col: u32,
}

fn lattice_seeds(prep: &PreparedParent, frame: &Frame, s: f64, seed: u64) -> Result<Vec<Seed>> {
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

/// A Delaunay site: position in the local plane and seed index (`usize::MAX` for dummies).
struct Site {
    p: Point2<f64>,
    id: usize,
}

impl HasPosition for Site {
    type Scalar = f64;

    fn position(&self) -> Point2<f64> {
        self.p
    }
}

/// Voronoi cells of the seeds: shared vertices (lon/lat) and, per seed, its ring of vertex ids
/// (counter-clockwise; empty if the seed was merged with an identical one).
struct Diagram {
    verts: Vec<Pt>,
    cells: Vec<Vec<u32>>,
}

fn voronoi(sites: &[Pt], frame: &Frame, prep: &PreparedParent, spacing: f64) -> Result<Diagram> {
    let lo = frame.to_local(prep.bbox.min);
    let hi = frame.to_local(prep.bbox.max);
    let diag = ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2)).sqrt();
    let m = 2.0 * diag + 4.0 * spacing;
    let (x0, x1, y0, y1) = (lo[0] - m, hi[0] + m, lo[1] - m, hi[1] + m);
    let (xm, ym) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    let dummies = [
        [x0, y0],
        [xm, y0],
        [x1, y0],
        [x1, ym],
        [x1, y1],
        [xm, y1],
        [x0, y1],
        [x0, ym],
    ];
    let mut all: Vec<Site> = sites
        .iter()
        .enumerate()
        .map(|(id, p)| Site {
            p: Point2::new(p[0], p[1]),
            id,
        })
        .collect();
    all.extend(dummies.iter().map(|p| Site {
        p: Point2::new(p[0], p[1]),
        id: usize::MAX,
    }));
    let tri: DelaunayTriangulation<Site> = DelaunayTriangulation::bulk_load(all)
        .map_err(|e| Error::Generate(format!("Delaunay triangulation failed: {e:?}")))?;

    let mut handle_of = vec![None; sites.len()];
    for v in tri.vertices() {
        let id = v.data().id;
        if id < sites.len() {
            handle_of[id] = Some(v.fix());
        }
    }
    let mut face_vert = vec![NONE; tri.num_all_faces()];
    let mut verts: Vec<Pt> = Vec::new();
    let mut cells = Vec::with_capacity(sites.len());
    for h in handle_of {
        let mut ring: Vec<u32> = Vec::new();
        if let Some(h) = h {
            for e in tri.vertex(h).out_edges() {
                let Some(face) = e.face().as_inner() else {
                    return Err(Error::Generate(
                        "internal: a seed lies on the hull of the triangulation".into(),
                    ));
                };
                let fi = face.fix().index();
                if face_vert[fi] == NONE {
                    let c = face.circumcenter();
                    face_vert[fi] = verts.len() as u32;
                    verts.push(frame.to_lonlat([c.x, c.y]));
                }
                let id = face_vert[fi];
                if ring
                    .last()
                    .is_none_or(|&l| verts[l as usize] != verts[id as usize])
                {
                    ring.push(id);
                }
            }
            while ring.len() > 1 && verts[ring[0] as usize] == verts[*ring.last().unwrap() as usize]
            {
                ring.pop();
            }
            if ring.len() < 3 {
                ring.clear();
            }
        }
        cells.push(ring);
    }
    Ok(Diagram { verts, cells })
}

/// Tolerances of one partition, in degrees.
struct Params {
    /// Snapping tolerance.
    tol: f64,
    /// Enlargement of a cell's box when looking for parent edges near it.
    delta: f64,
    /// Margin of the clipping rectangle around `cell box ∩ parent box`.
    rect_margin: f64,
}

/// A cell after clipping.
enum Piece {
    /// Nothing of the parent.
    Empty,
    /// Wholly inside the parent: the Voronoi polygon itself.
    Inside,
    /// Cut by the parent's boundary (raw boolean-operation output, not yet snapped).
    Clipped(MultiPolygon<f64>),
}

fn clip_all(prep: &PreparedParent, diagram: &Diagram, params: &Params) -> Vec<Piece> {
    (0..diagram.cells.len())
        .map(|i| clip_cell(prep, diagram, i, params))
        .collect()
}

fn clip_cell(prep: &PreparedParent, diagram: &Diagram, i: usize, params: &Params) -> Piece {
    let ids = &diagram.cells[i];
    if ids.len() < 3 {
        return Piece::Empty;
    }
    let pts: Vec<Pt> = ids.iter().map(|&j| diagram.verts[j as usize]).collect();
    let bbox = Bbox::of(pts.iter().copied());
    if !prep.edges_touch(&bbox.expand(params.delta)) {
        // The box holds no parent edge, so it is wholly inside or wholly outside the parent.
        return if prep.contains(pts[0]) {
            Piece::Inside
        } else {
            Piece::Empty
        };
    }
    let rect = bbox.intersect(&prep.bbox);
    if !rect.is_valid() {
        return Piece::Empty;
    }
    let rect = rect.expand(params.rect_margin);
    let parts = prep.clipped_to(&rect);
    if parts.is_empty() {
        return Piece::Empty;
    }
    let mut cell = pts;
    let mut tmp = Vec::new();
    clip_to_rect(&mut cell, &mut tmp, &rect);
    if cell.len() < 3 {
        return Piece::Empty;
    }
    let out = polygon_from_pts(&cell).intersection(&MultiPolygon(parts));
    if out.0.is_empty() {
        Piece::Empty
    } else {
        Piece::Clipped(out)
    }
}

fn piece_centroid(piece: &Piece, diagram: &Diagram, i: usize) -> Option<Pt> {
    let p = match piece {
        Piece::Empty => return None,
        Piece::Inside => {
            let pts: Vec<Pt> = diagram.cells[i]
                .iter()
                .map(|&j| diagram.verts[j as usize])
                .collect();
            polygon_from_pts(&pts).centroid()?
        }
        Piece::Clipped(mp) => mp.centroid()?,
    };
    Some([p.x(), p.y()])
}

/// Canonical vertex set with a hash grid for "nearest within tolerance" look-ups. Only look-ups
/// touch the hash map (never its iteration order), so results are deterministic.
struct Canon {
    pts: Vec<Pt>,
    head: HashMap<(i64, i64), u32>,
    next: Vec<u32>,
    inv_h: f64,
    tol2: f64,
}

impl Canon {
    fn new(tol: f64) -> Self {
        Self {
            pts: Vec::new(),
            head: HashMap::new(),
            next: Vec::new(),
            inv_h: 1.0 / tol,
            tol2: tol * tol,
        }
    }

    fn key(&self, p: Pt) -> (i64, i64) {
        (
            (p[0] * self.inv_h).floor() as i64,
            (p[1] * self.inv_h).floor() as i64,
        )
    }

    fn add(&mut self, p: Pt) -> u32 {
        let id = self.pts.len() as u32;
        self.pts.push(p);
        let prev = self.head.insert(self.key(p), id).unwrap_or(NONE);
        self.next.push(prev);
        id
    }

    fn chain(&self, key: (i64, i64)) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.head.get(&key).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            if cur == NONE {
                None
            } else {
                let id = cur;
                cur = self.next[id as usize];
                Some(id)
            }
        })
    }

    fn exact(&mut self, p: Pt) -> u32 {
        let found = self
            .chain(self.key(p))
            .find(|&id| self.pts[id as usize] == p);
        match found {
            Some(id) => id,
            None => self.add(p),
        }
    }

    /// The nearest canonical vertex within the tolerance (ties: lowest id), else a new one.
    fn snap(&mut self, p: Pt) -> u32 {
        let (kx, ky) = self.key(p);
        let mut best: Option<(f64, u32)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for id in self.chain((kx + dx, ky + dy)) {
                    let q = self.pts[id as usize];
                    let d2 = (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2);
                    if d2 <= self.tol2 && best.is_none_or(|(bd, bid)| (d2, id) < (bd, bid)) {
                        best = Some((d2, id));
                    }
                }
            }
        }
        match best {
            Some((_, id)) => id,
            None => self.add(p),
        }
    }
}

/// Polygons of one cell as rings of canonical ids (exterior first, open rings).
type IdShape = Vec<Vec<Vec<u32>>>;

fn finalize(
    prep: &PreparedParent,
    diagram: &Diagram,
    pieces: Vec<Piece>,
    params: &Params,
) -> Vec<Option<MultiPolygon<f64>>> {
    let tol = params.tol;
    let mut canon = Canon::new(tol);
    let mut parent_ids = Vec::new();
    for ring in &prep.rings {
        for &p in &ring.pts {
            parent_ids.push(canon.exact(p));
        }
    }
    let near_parent = prep.bbox.expand(params.rect_margin);
    let mut vmap = vec![NONE; diagram.verts.len()];
    for (j, &v) in diagram.verts.iter().enumerate() {
        if near_parent.contains(v) {
            vmap[j] = canon.snap(v);
        }
    }

    let mut shapes: Vec<IdShape> = Vec::with_capacity(pieces.len());
    for (i, piece) in pieces.into_iter().enumerate() {
        let shape = match piece {
            Piece::Empty => Vec::new(),
            Piece::Inside => {
                let ring = diagram.cells[i]
                    .iter()
                    .map(|&j| {
                        if vmap[j as usize] == NONE {
                            vmap[j as usize] = canon.snap(diagram.verts[j as usize]);
                        }
                        vmap[j as usize]
                    })
                    .collect();
                vec![vec![ring]]
            }
            Piece::Clipped(mp) => {
                mp.0.iter()
                    .map(|poly| {
                        std::iter::once(poly.exterior())
                            .chain(poly.interiors())
                            .map(|ls| {
                                let n = ls.0.len();
                                let open = if n > 1 && ls.0[0] == ls.0[n - 1] {
                                    &ls.0[..n - 1]
                                } else {
                                    &ls.0[..]
                                };
                                open.iter().map(|c| canon.snap([c.x, c.y])).collect()
                            })
                            .collect()
                    })
                    .collect()
            }
        };
        shapes.push(clean_shape(shape));
    }

    // T-junction pass: give every edge the canonical vertices lying on its interior.
    let mut used: Vec<u32> = parent_ids;
    for shape in &shapes {
        for ring in shape.iter().flatten() {
            used.extend_from_slice(ring);
        }
    }
    used.sort_unstable();
    used.dedup();
    let tree = RTree::bulk_load(
        used.iter()
            .map(|&id| GeomWithData::new(canon.pts[id as usize], id))
            .collect(),
    );
    let mut found: Vec<(f64, u32)> = Vec::new();
    let shapes: Vec<IdShape> = shapes
        .into_iter()
        .map(|shape| {
            let shape = shape
                .into_iter()
                .map(|rings| {
                    rings
                        .into_iter()
                        .map(|ring| {
                            let n = ring.len();
                            let mut out = Vec::with_capacity(n + 4);
                            for k in 0..n {
                                let (a, b) = (ring[k], ring[(k + 1) % n]);
                                out.push(a);
                                on_edge(&canon.pts, &tree, a, b, tol, &mut found);
                                out.extend(found.iter().map(|&(_, id)| id));
                            }
                            out
                        })
                        .collect()
                })
                .collect();
            clean_shape(shape)
        })
        .collect();

    shapes
        .into_iter()
        .map(|shape| {
            if shape.is_empty() {
                return None;
            }
            let to_ls = |ring: &Vec<u32>| {
                let mut coords: Vec<Coord<f64>> = ring
                    .iter()
                    .map(|&id| {
                        let p = canon.pts[id as usize];
                        Coord { x: p[0], y: p[1] }
                    })
                    .collect();
                coords.push(coords[0]);
                LineString(coords)
            };
            Some(MultiPolygon(
                shape
                    .iter()
                    .map(|rings| {
                        Polygon::new(to_ls(&rings[0]), rings[1..].iter().map(to_ls).collect())
                    })
                    .collect(),
            ))
        })
        .collect()
}

/// Canonical vertices within `tol` of the interior of edge `a → b` (farther than `tol` from both
/// ends), in order from `a` to `b`. Computed on the edge oriented from the lower id to the higher
/// one, so both cells sharing an edge get exactly the same answer.
fn on_edge(
    pts: &[Pt],
    tree: &RTree<GeomWithData<Pt, u32>>,
    a: u32,
    b: u32,
    tol: f64,
    found: &mut Vec<(f64, u32)>,
) {
    found.clear();
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let (p, q) = (pts[lo as usize], pts[hi as usize]);
    let d = [q[0] - p[0], q[1] - p[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    if len2 <= 4.0 * tol * tol {
        return;
    }
    let env = Bbox::of([p, q]).expand(tol);
    let tol2 = tol * tol;
    for g in tree.locate_in_envelope(&env.aabb()) {
        let c = g.data;
        if c == lo || c == hi {
            continue;
        }
        let w = [g.geom()[0] - p[0], g.geom()[1] - p[1]];
        let along = w[0] * d[0] + w[1] * d[1];
        if along * along <= tol2 * len2 || along <= 0.0 || along >= len2 {
            continue;
        }
        let back = len2 - along;
        if back * back <= tol2 * len2 {
            continue;
        }
        let cross = w[0] * d[1] - w[1] * d[0];
        if cross * cross > tol2 * len2 {
            continue;
        }
        found.push((along / len2, c));
    }
    found.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    if a != lo {
        found.reverse();
    }
}

/// Clean every ring of a shape; drop polygons whose exterior collapsed.
fn clean_shape(shape: IdShape) -> IdShape {
    shape
        .into_iter()
        .filter_map(|rings| {
            let mut rings = rings.into_iter();
            let exterior = clean_ring(rings.next()?)?;
            let mut out = vec![exterior];
            out.extend(rings.filter_map(clean_ring));
            Some(out)
        })
        .collect()
}

/// Remove consecutive duplicates and zero-width spikes (`x y x`), cyclically; `None` if fewer
/// than three corners remain.
fn clean_ring(ring: Vec<u32>) -> Option<Vec<u32>> {
    let mut st: Vec<u32> = Vec::with_capacity(ring.len());
    for id in ring {
        if st.last() == Some(&id) {
            continue;
        }
        if st.len() >= 2 && st[st.len() - 2] == id {
            st.pop();
            continue;
        }
        st.push(id);
    }
    // Wrap-around: the ring is cyclic.
    let mut start = 0;
    loop {
        let len = st.len() - start;
        if len < 3 {
            return None;
        }
        let last = st.len() - 1;
        if st[last] == st[start] {
            st.pop();
        } else if st[last - 1] == st[start] {
            // … x y | x …: spike at the last vertex.
            st.pop();
        } else if st[last] == st[start + 1] {
            // … y | x y …: spike at the first vertex.
            start += 1;
        } else {
            break;
        }
    }
    Some(st.split_off(start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, GeodesicArea, Intersects, Point};
    use std::collections::HashSet;
    use std::time::Instant;

    const LON0: f64 = 114.27;
    const LAT0: f64 = 30.58;

    /// Local kilometres → lon/lat around Wuhan.
    fn km(x: f64, y: f64) -> Coord<f64> {
        Coord {
            x: LON0 + x / (111.195 * LAT0.to_radians().cos()),
            y: LAT0 + y / 111.195,
        }
    }

    /// A closed ring through `pts` (km), every edge split into collinear pieces of at most
    /// 40 m. Short edges keep the difference between a geodesic edge and a straight lon/lat edge
    /// (the crate's model) far below the 1e-6 area check; the extra vertices are collinear, which
    /// also exercises the re-insertion of vertices the boolean operation drops.
    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        let n = pts.len();
        let mut c = Vec::new();
        for i in 0..n {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            let pieces = ((b.0 - a.0).hypot(b.1 - a.1) / 0.04).ceil().max(1.0) as usize;
            for k in 0..pieces {
                let t = k as f64 / pieces as f64;
                c.push(km(a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
            }
        }
        c.push(c[0]);
        LineString(c)
    }

    /// An L-shape (about 1 km across) with a hole and a wiggly side.
    fn l_shape() -> MultiPolygon<f64> {
        let mut outer = vec![(0.0, 0.0), (1.0, 0.0), (1.0, 0.45), (0.45, 0.45)];
        for i in 0..24 {
            let y = 0.45 + 0.55 * i as f64 / 24.0;
            outer.push((0.45 + 0.03 * (y * 40.0).sin(), y));
        }
        outer.extend([(0.45, 1.0), (0.0, 1.0)]);
        let hole = [
            (0.15, 0.12),
            (0.17, 0.3),
            (0.3, 0.28),
            (0.33, 0.2),
            (0.25, 0.1),
        ];
        MultiPolygon(vec![Polygon::new(ring(&outer), vec![ring(&hole)])])
    }

    /// Three islands: one with a hole, a round one and one smaller than a cell.
    fn islands() -> MultiPolygon<f64> {
        let a = Polygon::new(
            ring(&[
                (0.0, 0.0),
                (0.6, 0.05),
                (0.55, 0.5),
                (0.3, 0.7),
                (-0.05, 0.45),
            ]),
            vec![ring(&[(0.2, 0.2), (0.22, 0.35), (0.38, 0.3), (0.35, 0.18)])],
        );
        let circle: Vec<(f64, f64)> = (0..40)
            .map(|i| {
                let t = std::f64::consts::TAU * i as f64 / 40.0;
                (1.1 + 0.3 * t.cos(), 0.4 + 0.25 * t.sin())
            })
            .collect();
        let b = Polygon::new(ring(&circle), vec![]);
        let c = Polygon::new(
            ring(&[(0.7, 0.6), (0.73, 0.6), (0.74, 0.63), (0.7, 0.62)]),
            vec![],
        );
        MultiPolygon(vec![a, b, c])
    }

    /// A blob of radius ≈ `r_km` with `n` vertices and a lake.
    fn blob(r_km: f64, n: usize) -> MultiPolygon<f64> {
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = std::f64::consts::TAU * i as f64 / n as f64;
                let r = r_km
                    * (1.0
                        + 0.15 * (3.0 * t).sin()
                        + 0.05 * (17.0 * t).cos()
                        + 0.01 * (131.0 * t).sin());
                (r * t.cos(), r * t.sin())
            })
            .collect();
        let lake: Vec<(f64, f64)> = (0..60)
            .map(|i| {
                let t = -std::f64::consts::TAU * i as f64 / 60.0;
                (0.3 * r_km + 0.1 * r_km * t.cos(), 0.08 * r_km * t.sin())
            })
            .collect();
        MultiPolygon(vec![Polygon::new(ring(&pts), vec![ring(&lake)])])
    }

    fn opts(target: f64) -> PartitionOptions {
        PartitionOptions {
            target_area_m2: target,
            seed: 7,
            lloyd_iterations: 1,
        }
    }

    /// A directed edge by the bits of its end points.
    type EdgeKey = ((u64, u64), (u64, u64));

    fn key(c: Coord<f64>) -> (u64, u64) {
        (c.x.to_bits(), c.y.to_bits())
    }

    fn parent_edges(parent: &MultiPolygon<f64>) -> Vec<(Coord<f64>, Coord<f64>)> {
        let mut e = Vec::new();
        for poly in &parent.0 {
            for ls in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for w in ls.0.windows(2) {
                    e.push((w[0], w[1]));
                }
            }
        }
        e
    }

    fn seg_dist(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let d = b - a;
        let len2 = d.x * d.x + d.y * d.y;
        let t = if len2 > 0.0 {
            (((p.x - a.x) * d.x + (p.y - a.y) * d.y) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (p.x - a.x - t * d.x).hypot(p.y - a.y - t * d.y)
    }

    fn boundary_dist(edges: &[(Coord<f64>, Coord<f64>)], p: Coord<f64>) -> f64 {
        edges
            .iter()
            .map(|&(a, b)| seg_dist(p, a, b))
            .fold(f64::INFINITY, f64::min)
    }

    fn rings_of(cell: &Cell) -> impl Iterator<Item = &LineString<f64>> {
        cell.polygon
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
    }

    fn area(mp: &MultiPolygon<f64>) -> f64 {
        mp.geodesic_area_unsigned()
    }

    /// The exact-topology checks shared by the L-shape and island tests.
    fn check_topology(parent: &MultiPolygon<f64>, cells: &[Cell]) {
        const TOL: f64 = 1e-9;
        let edges = parent_edges(parent);
        let parent_vertices: HashSet<(u64, u64)> = edges.iter().map(|e| key(e.0)).collect();

        // 1. Every directed edge appears once; its reverse appears once in another cell, or the
        //    edge runs along the parent's boundary.
        let mut owner: HashMap<EdgeKey, usize> = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            for ls in rings_of(cell) {
                assert!(ls.0.len() >= 4, "ring with fewer than 4 positions");
                assert_eq!(ls.0.first(), ls.0.last(), "ring not closed");
                for w in ls.0.windows(2) {
                    assert_ne!(key(w[0]), key(w[1]), "repeated vertex");
                    let prev = owner.insert((key(w[0]), key(w[1])), i);
                    assert!(prev.is_none(), "directed edge used twice (overlap)");
                }
            }
        }
        let mut shared = 0;
        let mut on_boundary = 0;
        for cell in cells {
            for ls in rings_of(cell) {
                for w in ls.0.windows(2) {
                    if owner.contains_key(&(key(w[1]), key(w[0]))) {
                        shared += 1;
                        continue;
                    }
                    on_boundary += 1;
                    let mid = Coord {
                        x: 0.5 * (w[0].x + w[1].x),
                        y: 0.5 * (w[0].y + w[1].y),
                    };
                    for p in [w[0], w[1], mid] {
                        let d = boundary_dist(&edges, p);
                        assert!(
                            d <= 2.0 * TOL,
                            "unshared edge {:?} -> {:?} is {d:e}° off the parent boundary",
                            w[0],
                            w[1]
                        );
                    }
                }
            }
        }
        assert!(shared > 0 && on_boundary > 0);

        // 2. Cell vertices on the parent boundary are parent vertices or lie on parent edges.
        let mut cell_vertices = HashSet::new();
        for cell in cells {
            for ls in rings_of(cell) {
                for &c in &ls.0 {
                    cell_vertices.insert(key(c));
                    let d = boundary_dist(&edges, c);
                    if d < 1e-7 {
                        assert!(
                            parent_vertices.contains(&key(c)) || d <= TOL,
                            "vertex {c:?} near the boundary is neither a parent vertex nor on an edge ({d:e}°)"
                        );
                    }
                }
            }
        }
        // 3. Every parent vertex (including collinear ones) is used, bit for bit, by some cell.
        for v in &parent_vertices {
            assert!(
                cell_vertices.contains(v),
                "parent vertex not used by any cell"
            );
        }

        // 4. Sampling (geo `Contains` for the parent's open interior, `Intersects` for the closed
        //    cells): random points, plus points within 1e-8° of every cell vertex, where micro
        //    gaps or overlaps would show.
        let bb = Bbox::of(edges.iter().map(|e| [e.0.x, e.0.y]));
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut samples: Vec<Coord<f64>> = (0..4000)
            .map(|_| Coord {
                x: rng.random_range(bb.min[0]..bb.max[0]),
                y: rng.random_range(bb.min[1]..bb.max[1]),
            })
            .collect();
        let mut verts: Vec<(u64, u64)> = cell_vertices.into_iter().collect();
        verts.sort_unstable();
        for (x, y) in verts {
            for _ in 0..3 {
                samples.push(Coord {
                    x: f64::from_bits(x) + rng.random_range(-1e-8..1e-8),
                    y: f64::from_bits(y) + rng.random_range(-1e-8..1e-8),
                });
            }
        }
        let (mut inside, mut outside) = (0, 0);
        for c in samples {
            if boundary_dist(&edges, c) <= 2.0 * TOL {
                continue;
            }
            let p = Point(c);
            let n = cells
                .iter()
                .filter(|cell| cell.polygon.intersects(&p))
                .count();
            if parent.contains(&p) {
                inside += 1;
                assert_eq!(n, 1, "point {c:?} inside the parent is in {n} cells");
            } else {
                outside += 1;
                assert_eq!(n, 0, "point {c:?} outside the parent is in {n} cells");
            }
        }
        assert!(inside > 1000 && outside > 100);
    }

    /// Cover check: the cells' areas add up to the parent's, both in the crate's model (edges
    /// straight in lon/lat: planar area in square degrees, within 1e-9) and geodesically
    /// (within 1e-6; geodesic edges bulge away from straight lon/lat edges, which is why the
    /// test parents have short edges).
    fn check_area(parent: &MultiPolygon<f64>, cells: &[Cell], target: f64) {
        use geo::Area;
        let planar: f64 = cells.iter().map(|c| c.polygon.unsigned_area()).sum();
        let pp = parent.unsigned_area();
        assert!(
            ((planar - pp) / pp).abs() < 1e-9,
            "cells cover {planar} deg² of a {pp} deg² parent"
        );
        let total: f64 = cells.iter().map(|c| area(&c.polygon)).sum();
        let pa = area(parent);
        assert!(
            ((total - pa) / pa).abs() < 1e-6,
            "cells cover {total} m² of a {pa} m² parent"
        );
        let mean = total / cells.len() as f64;
        assert!(
            (mean / target - 1.0).abs() < 0.3,
            "mean cell area {mean} m² vs target {target} m²"
        );
    }

    fn check_order(cells: &[Cell]) {
        for w in cells.windows(2) {
            assert!(
                (w[0].row, w[0].col) < (w[1].row, w[1].col),
                "not in reading order: {:?} then {:?}",
                (w[0].row, w[0].col),
                (w[1].row, w[1].col)
            );
        }
    }

    #[test]
    fn deterministic_and_in_reading_order() {
        let parent = l_shape();
        let a = partition(&parent, &opts(10_000.0)).unwrap();
        let b = partition(&parent, &opts(10_000.0)).unwrap();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((x.row, x.col), (y.row, y.col));
            let kx: Vec<_> = rings_of(x)
                .flat_map(|l| l.0.iter().map(|&c| key(c)))
                .collect();
            let ky: Vec<_> = rings_of(y)
                .flat_map(|l| l.0.iter().map(|&c| key(c)))
                .collect();
            assert_eq!(kx, ky);
        }
        check_order(&a);
        assert!(a.windows(2).any(|w| w[0].row < w[1].row), "only one row");
        let mut o = opts(10_000.0);
        o.seed = 8;
        let c = partition(&parent, &o).unwrap();
        assert_ne!(a, c, "the seed has no effect");
    }

    #[test]
    fn l_shape_with_hole_area_and_topology() {
        let parent = l_shape();
        for lloyd in [0, 1, 3] {
            let mut o = opts(10_000.0);
            o.lloyd_iterations = lloyd;
            let cells = partition(&parent, &o).unwrap();
            assert!(cells.len() > 40, "{} cells", cells.len());
            check_order(&cells);
            check_topology(&parent, &cells);
            check_area(&parent, &cells, 10_000.0);
        }
    }

    #[test]
    fn multipolygon_area_and_topology() {
        let parent = islands();
        let cells = partition(&parent, &opts(10_000.0)).unwrap();
        check_order(&cells);
        check_topology(&parent, &cells);
        check_area(&parent, &cells, 10_000.0);
        // The islands are separate, so some cell must be cut into several pieces or the small
        // island must be absorbed: at least one cell is a MultiPolygon of 2+ parts.
        assert!(cells.iter().any(|c| c.polygon.0.len() > 1));
    }

    #[test]
    fn larger_blob_mean_area() {
        let parent = blob(1.5, 700);
        let cells = partition(&parent, &opts(20_000.0)).unwrap();
        check_area(&parent, &cells, 20_000.0);
        check_order(&cells);
        // Most cells are untouched Voronoi polygons away from the boundary.
        let mean = cells.iter().map(|c| area(&c.polygon)).sum::<f64>() / cells.len() as f64;
        assert!((mean / 20_000.0 - 1.0).abs() < 0.1, "mean {mean}");
    }

    #[test]
    fn ring_orientation_does_not_matter() {
        use geo::Area;
        let mut parent = l_shape();
        parent.0[0].exterior_mut(|ls| ls.0.reverse());
        parent.0[0].interiors_mut(|rings| rings[0].0.reverse());
        let cells = partition(&parent, &opts(10_000.0)).unwrap();
        check_topology(&parent, &cells);
        let planar: f64 = cells.iter().map(|c| c.polygon.unsigned_area()).sum();
        let expected = l_shape().unsigned_area();
        assert!(((planar - expected) / expected).abs() < 1e-9);
    }

    #[test]
    fn small_parent_is_one_cell() {
        let parent = MultiPolygon(vec![Polygon::new(
            ring(&[(0.0, 0.0), (0.05, 0.0), (0.05, 0.05), (0.0, 0.05)]),
            vec![],
        )]);
        let cells = partition(&parent, &opts(10_000.0)).unwrap();
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].polygon, parent);
        assert_eq!((cells[0].row, cells[0].col), (0, 0));
    }

    #[test]
    fn bad_input_is_rejected() {
        let parent = l_shape();
        for t in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                partition(&parent, &opts(t)),
                Err(Error::Generate(_))
            ));
        }
        assert!(matches!(
            partition(&MultiPolygon(vec![]), &opts(10_000.0)),
            Err(Error::Generate(_))
        ));
        let degenerate = MultiPolygon(vec![Polygon::new(
            ring(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]),
            vec![],
        )]);
        assert!(matches!(
            partition(&degenerate, &opts(10_000.0)),
            Err(Error::Generate(_))
        ));
        let mut nan = l_shape();
        nan.0[0].exterior_mut(|ls| ls.0[3].x = f64::NAN);
        assert!(matches!(
            partition(&nan, &opts(10_000.0)),
            Err(Error::Generate(_))
        ));
    }

    #[test]
    fn ring_cleaning() {
        assert_eq!(clean_ring(vec![1, 2, 2, 3, 1]), Some(vec![1, 2, 3]));
        assert_eq!(clean_ring(vec![1, 2, 3, 2, 4]), Some(vec![1, 2, 4]));
        assert_eq!(clean_ring(vec![5, 1, 2, 3, 1]), Some(vec![1, 2, 3]));
        assert_eq!(clean_ring(vec![1, 2, 1]), None);
        assert_eq!(clean_ring(vec![1, 2, 3, 4, 2]), Some(vec![2, 3, 4]));
    }

    /// Timing in release mode:
    /// `cargo test --release -p wangge --lib generate -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        let district = blob(3.1, 2000);
        println!("parent {:.1} km²", area(&district) / 1e6);
        let t = Instant::now();
        let cells = partition(&district, &opts(10_000.0)).unwrap();
        println!(
            "30 km² → {} cells of 10 000 m²: {:?}",
            cells.len(),
            t.elapsed()
        );
        check_area(&district, &cells, 10_000.0);

        let big = blob(12.6, 5000);
        println!("parent {:.1} km²", area(&big) / 1e6);
        for target in [5e6, 5e5, 1e4] {
            let t = Instant::now();
            let cells = partition(&big, &opts(target)).unwrap();
            println!(
                "{:.0} km² → {} cells of {target} m²: {:?}",
                area(&big) / 1e6,
                cells.len(),
                t.elapsed()
            );
            check_area(&big, &cells, target);
        }
    }
    /// Loads the bundled real districts of Wuhan (GCJ-02; the datum does not matter here).
    fn wuhan_districts() -> Option<Vec<(String, MultiPolygon<f64>)>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/wuhan/districts_gcj02.geojson"
        );
        let text = std::fs::read_to_string(path).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let ring = |r: &serde_json::Value| -> LineString<f64> {
            LineString(
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| Coord {
                        x: c[0].as_f64().unwrap(),
                        y: c[1].as_f64().unwrap(),
                    })
                    .collect(),
            )
        };
        let poly = |p: &serde_json::Value| -> Polygon<f64> {
            let rings = p.as_array().unwrap();
            Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
        };
        let mut out = Vec::new();
        for f in v["features"].as_array()? {
            let g = &f["geometry"];
            let mp = match g["type"].as_str()? {
                "Polygon" => MultiPolygon(vec![poly(&g["coordinates"])]),
                _ => MultiPolygon(g["coordinates"].as_array()?.iter().map(poly).collect()),
            };
            out.push((f["properties"]["adcode"].as_str()?.to_string(), mp));
        }
        Some(out)
    }

    /// A faster version of the topology check for large inputs: directed edges unique, unshared
    /// edges on the parent's boundary (within the partition's tolerance), planar cover.
    fn fast_check(parent: &MultiPolygon<f64>, cells: &[Cell]) {
        use geo::Area;
        let prep = PreparedParent::new(parent).unwrap();
        let extent = (prep.bbox.max[0] - prep.bbox.min[0]).max(prep.bbox.max[1] - prep.bbox.min[1]);
        let tol = BASE_TOL_DEG.max(extent * TOL_PER_EXTENT);
        let dist = |p: Coord<f64>| {
            let env = Bbox::of([[p.x, p.y]]).expand(4.0 * tol);
            prep.edges
                .locate_in_envelope_intersecting(&env.aabb())
                .map(|s| {
                    seg_dist(
                        p,
                        Coord {
                            x: s.a[0],
                            y: s.a[1],
                        },
                        Coord {
                            x: s.b[0],
                            y: s.b[1],
                        },
                    )
                })
                .fold(f64::INFINITY, f64::min)
        };
        let mut owner: HashMap<EdgeKey, usize> = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            for ls in rings_of(cell) {
                for w in ls.0.windows(2) {
                    assert!(owner.insert((key(w[0]), key(w[1])), i).is_none(), "overlap");
                }
            }
        }
        for cell in cells {
            for ls in rings_of(cell) {
                for w in ls.0.windows(2) {
                    if owner.contains_key(&(key(w[1]), key(w[0]))) {
                        continue;
                    }
                    let mid = Coord {
                        x: 0.5 * (w[0].x + w[1].x),
                        y: 0.5 * (w[0].y + w[1].y),
                    };
                    for p in [w[0], w[1], mid] {
                        assert!(
                            dist(p) <= 2.0 * tol,
                            "unshared edge off the boundary at {p:?}"
                        );
                    }
                }
            }
        }
        let planar: f64 = cells.iter().map(|c| c.polygon.unsigned_area()).sum();
        let pp = parent.unsigned_area();
        assert!(((planar - pp) / pp).abs() < 1e-9, "cover {planar} vs {pp}");
    }

    /// Real districts of Wuhan: every district into streets, and 江汉区 through the whole
    /// hierarchy. `cargo test --release -p wangge --lib generate -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn wuhan_real_districts() {
        let Some(districts) = wuhan_districts() else {
            println!("data/wuhan/districts_gcj02.geojson not found; skipped");
            return;
        };
        for (code, d) in &districts {
            let t = Instant::now();
            let streets = partition(d, &opts(5e6)).unwrap();
            let el = t.elapsed();
            let prep = PreparedParent::new(d).unwrap();
            let frame = Frame::new(&prep.bbox).unwrap();
            let km2 = prep.local_area(&frame) * 111.195f64.powi(2);
            println!(
                "{code}: {km2:.0} km², {} vertices → {} streets in {el:?}",
                prep.rings.iter().map(|r| r.pts.len()).sum::<usize>(),
                streets.len()
            );
            fast_check(d, &streets);
        }
        let (_, jianghan) = districts.iter().find(|(c, _)| c == "420103").unwrap();
        let t = Instant::now();
        let streets = partition(jianghan, &opts(5e6)).unwrap();
        let mut communities = Vec::new();
        for s in &streets {
            let c = partition(&s.polygon, &opts(5e5)).unwrap();
            fast_check(&s.polygon, &c);
            communities.extend(c);
        }
        let mut grids = 0;
        for c in &communities {
            let g = partition(&c.polygon, &opts(1e4)).unwrap();
            fast_check(&c.polygon, &g);
            grids += g.len();
        }
        println!(
            "420103 hierarchy: {} streets, {} communities, {grids} grids in {:?} (with checks)",
            streets.len(),
            communities.len(),
            t.elapsed()
        );
        let (_, hongshan) = districts.iter().find(|(c, _)| c == "420111").unwrap();
        let t = Instant::now();
        let grids = partition(hongshan, &opts(1e4)).unwrap();
        println!(
            "420111 → {} grids of 10 000 m² in {:?}",
            grids.len(),
            t.elapsed()
        );
        fast_check(hongshan, &grids);
    }
}
