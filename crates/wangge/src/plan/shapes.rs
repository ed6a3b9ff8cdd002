//! Polygon operations behind the edits: cutting by a polyline, union, difference, and snapping
//! the results back onto the input vertices.
//!
//! The boolean operations (i_overlay, through geo's `BooleanOps` and i_overlay's `slice_by`)
//! round every coordinate to an integer grid fitted to the operands. A vertex that was in an
//! input comes back moved by up to one grid step (≈ 1e-11° for a grid-sized shape), which
//! would open micro-gaps against the untouched neighbours. [`Snapper`] puts every output vertex
//! lying within [`STITCH_TOLERANCE_DEG`] of an input vertex back on that exact input vertex.

use crate::synth::STITCH_TOLERANCE_DEG;
use geo::{Area, BooleanOps, BoundingRect, Centroid, Coord, LineString, MultiPolygon, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::slice::FloatSlice;
use rstar::RTree;

/// A shape as i_overlay takes it: contours (outer first) of open paths.
type Shape = Vec<Vec<[f64; 2]>>;

fn to_shapes(g: &MultiPolygon<f64>) -> Vec<Shape> {
    g.iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|ring| {
                    let mut path: Vec<[f64; 2]> = ring.0.iter().map(|c| [c.x, c.y]).collect();
                    if path.len() > 1 && path.first() == path.last() {
                        path.pop();
                    }
                    path
                })
                .collect()
        })
        .collect()
}

fn closed_ring(path: &[[f64; 2]]) -> LineString<f64> {
    let mut coords: Vec<Coord<f64>> = path.iter().map(|&[x, y]| Coord { x, y }).collect();
    if let Some(&first) = coords.first() {
        coords.push(first);
    }
    LineString(coords)
}

/// Cuts `g` along the polyline `line`; returns the pieces (one polygon each, holes kept).
/// A line that misses `g` or ends inside it without crossing returns `g`'s own parts.
pub(crate) fn slice(g: &MultiPolygon<f64>, line: &[[f64; 2]]) -> Vec<Polygon<f64>> {
    let path: Vec<[f64; 2]> = line.to_vec();
    to_shapes(g)
        .slice_by(&path, FillRule::NonZero)
        .into_iter()
        .filter_map(|shape| {
            let mut contours = shape.iter().map(|c| closed_ring(c));
            let exterior = contours.next()?;
            Some(Polygon::new(exterior, contours.collect()))
        })
        .collect()
}

/// The union of several shapes.
pub(crate) fn union_all<'a>(
    shapes: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
) -> MultiPolygon<f64> {
    shapes
        .into_iter()
        .fold(MultiPolygon(Vec::new()), |acc, g| acc.union(g))
}

/// `a` minus `b`.
pub(crate) fn difference(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    a.difference(b)
}

/// Planar area (degrees²) of `a ∩ b`: only used to compare overlaps.
pub(crate) fn overlap_area(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    a.intersection(b).unsigned_area()
}

/// Puts output vertices back on the input vertices they came from.
pub(crate) struct Snapper {
    tree: RTree<[f64; 2]>,
}

impl Snapper {
    /// A snapper onto every vertex of `inputs` and of the `lines`.
    pub fn new<'a>(
        inputs: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
        lines: &[&[[f64; 2]]],
    ) -> Self {
        let mut points: Vec<[f64; 2]> = inputs
            .into_iter()
            .flat_map(|g| g.iter())
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.0.iter().map(|c| [c.x, c.y]))
            .chain(lines.iter().flat_map(|l| l.iter().copied()))
            .collect();
        points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        points.dedup();
        Snapper {
            tree: RTree::bulk_load(points),
        }
    }

    fn snap_point(&self, c: Coord<f64>) -> Coord<f64> {
        let tol2 = STITCH_TOLERANCE_DEG * STITCH_TOLERANCE_DEG;
        match self.tree.nearest_neighbor(&[c.x, c.y]) {
            Some(&[x, y]) if (x - c.x).powi(2) + (y - c.y).powi(2) <= tol2 => Coord { x, y },
            _ => c,
        }
    }

    fn snap_ring(&self, ring: &LineString<f64>) -> Option<LineString<f64>> {
        let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
        for &c in &ring.0 {
            let s = self.snap_point(c);
            if out.last() != Some(&s) {
                out.push(s);
            }
        }
        if out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        if out.len() < 3 {
            return None;
        }
        out.push(out[0]);
        Some(LineString(out))
    }

    /// The polygon with its vertices snapped; `None` when the exterior collapses.
    pub fn polygon(&self, p: &Polygon<f64>) -> Option<Polygon<f64>> {
        let exterior = self.snap_ring(p.exterior())?;
        let holes = p
            .interiors()
            .iter()
            .filter_map(|r| self.snap_ring(r))
            .collect();
        Some(Polygon::new(exterior, holes))
    }

    /// Every polygon snapped; collapsed ones dropped.
    pub fn multi(&self, g: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(g.iter().filter_map(|p| self.polygon(p)).collect())
    }
}

/// Orders polygons as GB/T 30428.1 numbers siblings: north→south rows, west→east in a row.
/// Two polygons are in one row when each centroid lies within the other's latitude range.
/// (An insertion sort: the row relation is not transitive, so no library sort may be given it.)
pub(crate) fn reading_order(mut polys: Vec<Polygon<f64>>) -> Vec<Polygon<f64>> {
    let key = |p: &Polygon<f64>| {
        let c = p.centroid().map(|c| (c.x(), c.y())).unwrap_or((0.0, 0.0));
        let r = p
            .bounding_rect()
            .map(|r| (r.min().y, r.max().y))
            .unwrap_or((c.1, c.1));
        (c, r)
    };
    let before = |a: &Polygon<f64>, b: &Polygon<f64>| {
        let ((ax, ay), (a0, a1)) = key(a);
        let ((bx, by), (b0, b1)) = key(b);
        let same_row = (b0..=b1).contains(&ay) && (a0..=a1).contains(&by);
        if same_row {
            ax < bx
        } else {
            ay > by
        }
    };
    for i in 1..polys.len() {
        let mut j = i;
        while j > 0 && before(&polys[j], &polys[j - 1]) {
            polys.swap(j, j - 1);
            j -= 1;
        }
    }
    polys
}
