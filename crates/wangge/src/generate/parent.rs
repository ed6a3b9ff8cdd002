//! The parent, prepared for step 4 of the method: its rings cut into blocks, an R-tree over its
//! edges for point-in-parent and edge-proximity tests, and Sutherland–Hodgman clipping of the
//! parent (or of a cell) to a rectangle.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use rstar::{RTree, RTreeObject, AABB};

use super::bbox::Bbox;
use super::frame::Frame;
use super::Pt;
use crate::error::{Error, Result};

/// Vertices per block of the parent's rings, for skipping far blocks when clipping.
const BLOCK: usize = 32;

/// A parent edge in the R-tree.
pub(super) struct Seg {
    pub(super) a: Pt,
    pub(super) b: Pt,
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
pub(super) struct Ring {
    pub(super) pts: Vec<Pt>,
    hole: bool,
    bbox: Bbox,
    blocks: Vec<Block>,
}

/// The parent, indexed for point-in-polygon tests and local clipping.
pub(super) struct PreparedParent {
    pub(super) rings: Vec<Ring>,
    pub(super) edges: RTree<Seg>,
    pub(super) bbox: Bbox,
}

impl PreparedParent {
    pub(super) fn new(parent: &MultiPolygon<f64>) -> Result<Self> {
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
    pub(super) fn local_area(&self, frame: &Frame) -> f64 {
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
    pub(super) fn contains(&self, p: Pt) -> bool {
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
    pub(super) fn edges_touch(&self, bx: &Bbox) -> bool {
        self.edges
            .locate_in_envelope_intersecting(&bx.aabb())
            .any(|s| segment_touches_box(s.a, s.b, bx))
    }

    /// The parent cut down to `rect` (even–odd parity preserved inside `rect`), as polygons
    /// whose exteriors are the clipped rings.
    pub(super) fn clipped_to(&self, rect: &Bbox) -> Vec<Polygon<f64>> {
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
pub(super) fn clip_to_rect(ring: &mut Vec<Pt>, tmp: &mut Vec<Pt>, rect: &Bbox) {
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

pub(super) fn polygon_from_pts(pts: &[Pt]) -> Polygon<f64> {
    let mut coords: Vec<Coord<f64>> = pts.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    coords.push(coords[0]);
    Polygon::new(LineString(coords), vec![])
}
