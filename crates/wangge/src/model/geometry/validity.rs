//! geo's OGC validity rules for (Multi)Polygons, with the first problem found with less work.
//!
//! [`first_problem`] returns exactly the first problem `geo::Validation::validation_errors`
//! lists (tested against it), visiting the same checks in the same order:
//!
//! 1. per polygon, per ring (exterior, then holes): too few distinct points, then a
//!    self-intersection (two segments that touch, other than one's end being the other's
//!    start), then non-finite coordinates;
//! 2. per hole: the exterior contains it and their boundaries share no line; then per later
//!    hole: their interiors do not overlap and their boundaries share no line;
//! 3. per later polygon of a MultiPolygon: interiors do not overlap, boundaries share no line.
//!
//! The savings, none of which changes an answer: a ring's segments go in an R-tree and only
//! segments whose boxes meet are compared (geo compares all pairs); holes and polygons whose
//! boxes (of all their rings) are disjoint cannot intersect, so they are not related; a hole
//! whose box meets no segment of the exterior has no boundary point in common with it, so the
//! exterior contains it exactly when it contains one of its vertices (an exact crossing test)
//! and geo's full relate is skipped; and the check stops at the first problem.

use geo::algorithm::validation::{
    CoordIndex, GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole,
};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{Coord, Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry, Relate};
use robust::{orient2d, Coord as R};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::sync::atomic::{AtomicU64, Ordering};

/// Rings with at most this many segments are checked pair by pair, without an R-tree.
const SMALL_RING: usize = 32;

use super::RELATE_UNITS_PER_POSITION as RELATE_PER_POSITION;

/// The shared budget ran out ([`Meter::charge`]).
#[derive(Debug)]
pub(super) struct Exhausted {
    /// Units used when the budget ran out.
    pub used: u64,
}

/// Counts the work of the checks (one unit per pair of segments tested, or per position of a
/// relate) against a budget shared by the threads checking one level; flushes to the shared
/// counter in batches so that counting costs nothing noticeable.
pub(super) struct Meter<'a> {
    local: u64,
    shared: Option<(&'a AtomicU64, u64)>,
}

impl<'a> Meter<'a> {
    /// A meter charging `shared` up to `max` units; `None` counts nothing.
    pub fn new(shared: Option<(&'a AtomicU64, u64)>) -> Self {
        Meter { local: 0, shared }
    }

    #[inline]
    fn charge(&mut self, units: u64) -> Result<(), Exhausted> {
        self.local = self.local.saturating_add(units);
        if self.local >= 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds the units not yet flushed to the shared counter; fails when it is over budget.
    pub fn flush(&mut self) -> Result<(), Exhausted> {
        let Some((shared, max)) = self.shared else {
            return Ok(());
        };
        let units = std::mem::take(&mut self.local);
        let used = shared
            .fetch_add(units, Ordering::Relaxed)
            .saturating_add(units);
        if used > max {
            return Err(Exhausted { used });
        }
        Ok(())
    }
}

type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The first problem geo's validity check would report for `mp`, or `None` when it is valid;
/// [`Exhausted`] when `meter`'s budget runs out first.
pub(super) fn first_problem(
    mp: &MultiPolygon<f64>,
    meter: &mut Meter,
) -> Result<Option<InvalidMultiPolygon>, Exhausted> {
    let boxes: Vec<Option<[f64; 4]>> = mp
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .filter_map(ring_box)
                .reduce(union)
        })
        .collect();
    let tree = boxes_tree(&boxes);
    let positions = |p: &Polygon<f64>| {
        (p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()) as u64
    };
    for (i, polygon) in mp.iter().enumerate() {
        if let Some(problem) = polygon_problem(polygon, meter)? {
            return Ok(Some(InvalidMultiPolygon::InvalidPolygon(
                GeometryIndex(i),
                problem,
            )));
        }
        for j in later_overlapping(&tree, &boxes, i, meter)? {
            meter.charge(RELATE_PER_POSITION * (positions(polygon) + positions(&mp.0[j])))?;
            let im = polygon.relate(&mp.0[j]);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Ok(Some(InvalidMultiPolygon::ElementsOverlaps(
                    GeometryIndex(i),
                    GeometryIndex(j),
                )));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Ok(Some(InvalidMultiPolygon::ElementsTouchOnALine(
                    GeometryIndex(i),
                    GeometryIndex(j),
                )));
            }
        }
    }
    Ok(None)
}

fn polygon_problem(
    polygon: &Polygon<f64>,
    meter: &mut Meter,
) -> Result<Option<InvalidPolygon>, Exhausted> {
    if polygon.exterior().0.is_empty() && polygon.interiors().is_empty() {
        return Ok(None); // geo: an empty polygon is valid
    }
    let mut exterior_segments = None;
    for (k, ring) in std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .enumerate()
    {
        if ring.0.is_empty() {
            continue;
        }
        let role = if k == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(k - 1)
        };
        let mut distinct = ring.0.clone();
        distinct.dedup();
        if distinct.len() < 4 {
            return Ok(Some(InvalidPolygon::TooFewPointsInRing(role)));
        }
        let segments = Segments::new(ring);
        if segments.self_intersects(meter)? {
            return Ok(Some(InvalidPolygon::SelfIntersection(role)));
        }
        if let Some(i) = ring
            .0
            .iter()
            .position(|c| !(c.x.is_finite() && c.y.is_finite()))
        {
            return Ok(Some(InvalidPolygon::NonFiniteCoord(role, CoordIndex(i))));
        }
        if k == 0 {
            exterior_segments = Some(segments);
        }
    }
    let holes = polygon.interiors();
    if holes.iter().all(|h| h.0.is_empty()) {
        return Ok(None);
    }
    let exterior_poly = Polygon::new(polygon.exterior().clone(), vec![]);
    let mut prepared_exterior: Option<PreparedGeometry<'_, Polygon<f64>>> = None;
    let boxes: Vec<Option<[f64; 4]>> = holes.iter().map(ring_box).collect();
    let tree = boxes_tree(&boxes);
    for (k, hole) in holes.iter().enumerate() {
        let role = RingRole::Interior(k);
        if hole.0.is_empty() {
            continue;
        }
        // No exterior segment near the hole: the boundaries are disjoint, so the exterior
        // contains the hole exactly when it contains one of its vertices.
        let clear = match (&exterior_segments, boxes[k]) {
            (Some(ext), Some(b)) if !ext.any_box_meets(b, meter)? => {
                Some(ext.strictly_contains(hole.0[0], meter)?)
            }
            _ => None,
        };
        match clear {
            Some(true) => {}
            Some(false) => {
                return Ok(Some(
                    InvalidPolygon::InteriorRingNotContainedInExteriorRing(role),
                ))
            }
            None => {
                meter.charge(
                    RELATE_PER_POSITION * (polygon.exterior().0.len() + hole.0.len()) as u64,
                )?;
                let prepared = prepared_exterior
                    .get_or_insert_with(|| PreparedGeometry::from(exterior_poly.clone()));
                let hole_poly = Polygon::new(hole.clone(), vec![]);
                let im = prepared.relate(&hole_poly);
                if !im.is_contains() {
                    return Ok(Some(
                        InvalidPolygon::InteriorRingNotContainedInExteriorRing(role),
                    ));
                }
                if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
                {
                    return Ok(Some(InvalidPolygon::IntersectingRingsOnALine(
                        RingRole::Exterior,
                        role,
                    )));
                }
            }
        }
        let later = later_overlapping(&tree, &boxes, k, meter)?;
        if later.is_empty() {
            continue;
        }
        let hole_poly = Polygon::new(hole.clone(), vec![]);
        let prepared = PreparedGeometry::from(&hole_poly);
        for l in later {
            meter.charge(RELATE_PER_POSITION * (hole.0.len() + holes[l].0.len()) as u64)?;
            let other = Polygon::new(holes[l].clone(), vec![]);
            let im = prepared.relate(&other);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Ok(Some(InvalidPolygon::IntersectingRingsOnAnArea(
                    role,
                    RingRole::Interior(l),
                )));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Ok(Some(InvalidPolygon::IntersectingRingsOnALine(
                    role,
                    RingRole::Interior(l),
                )));
            }
        }
    }
    Ok(None)
}

/// `[min_x, min_y, max_x, max_y]` of a ring, `None` when it is empty.
fn ring_box(ring: &LineString<f64>) -> Option<[f64; 4]> {
    ring.0.iter().map(|c| [c.x, c.y, c.x, c.y]).reduce(union)
}

fn union(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

fn aabb(b: [f64; 4]) -> AABB<[f64; 2]> {
    AABB::from_corners([b[0], b[1]], [b[2], b[3]])
}

fn boxes_tree(boxes: &[Option<[f64; 4]>]) -> RTree<Boxed> {
    RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.map(|b| Boxed::new(Rectangle::from_aabb(aabb(b)), i)))
            .collect(),
    )
}

/// Indices `j > i` whose boxes meet box `i`, ascending (the order geo relates them in).
fn later_overlapping(
    tree: &RTree<Boxed>,
    boxes: &[Option<[f64; 4]>],
    i: usize,
    meter: &mut Meter,
) -> Result<Vec<usize>, Exhausted> {
    let Some(b) = boxes[i] else {
        return Ok(Vec::new());
    };
    let mut later = Vec::new();
    for g in tree.locate_in_envelope_intersecting(&aabb(b)) {
        meter.charge(1)?;
        if g.data > i {
            later.push(g.data);
        }
    }
    later.sort_unstable();
    Ok(later)
}

/// A ring's segments, in an R-tree when there are many.
struct Segments {
    lines: Vec<Line<f64>>,
    tree: Option<RTree<Boxed>>,
}

fn line_box(l: &Line<f64>) -> [f64; 4] {
    [
        l.start.x.min(l.end.x),
        l.start.y.min(l.end.y),
        l.start.x.max(l.end.x),
        l.start.y.max(l.end.y),
    ]
}

impl Segments {
    fn new(ring: &LineString<f64>) -> Segments {
        let lines: Vec<Line<f64>> = ring.lines().collect();
        let tree = (lines.len() > SMALL_RING).then(|| {
            RTree::bulk_load(
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| Boxed::new(Rectangle::from_aabb(aabb(line_box(l))), i))
                    .collect(),
            )
        });
        Segments { lines, tree }
    }

    /// geo's rule: two distinct segments touch, and neither one's end is the other's start.
    fn self_intersects(&self, meter: &mut Meter) -> Result<bool, Exhausted> {
        let bad =
            |a: &Line<f64>, b: &Line<f64>| a.intersects(b) && a.start != b.end && a.end != b.start;
        let Some(tree) = &self.tree else {
            let n = self.lines.len() as u64;
            meter.charge(n * n.saturating_sub(1) / 2)?;
            return Ok(self
                .lines
                .iter()
                .enumerate()
                .any(|(i, a)| self.lines[i + 1..].iter().any(|b| bad(a, b))));
        };
        for (i, a) in self.lines.iter().enumerate() {
            for g in tree.locate_in_envelope_intersecting(&aabb(line_box(a))) {
                meter.charge(1)?;
                if g.data > i && bad(a, &self.lines[g.data]) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// True when the box of some segment meets `b` (closed boxes).
    fn any_box_meets(&self, b: [f64; 4], meter: &mut Meter) -> Result<bool, Exhausted> {
        match &self.tree {
            Some(tree) => {
                meter.charge(1)?;
                Ok(tree
                    .locate_in_envelope_intersecting(&aabb(b))
                    .next()
                    .is_some())
            }
            None => {
                meter.charge(self.lines.len() as u64)?;
                Ok(self.lines.iter().any(|l| {
                    let s = line_box(l);
                    s[0] <= b[2] && b[0] <= s[2] && s[1] <= b[3] && b[1] <= s[3]
                }))
            }
        }
    }

    /// Whether the ring encloses `p`, for a point on no segment (crossing parity of a ray
    /// towards +x, exact with `orient2d`).
    fn strictly_contains(&self, p: Coord<f64>, meter: &mut Meter) -> Result<bool, Exhausted> {
        let crosses = |l: &Line<f64>| {
            let (lo, hi) = if l.start.y <= l.end.y {
                (l.start, l.end)
            } else {
                (l.end, l.start)
            };
            lo.y <= p.y
                && p.y < hi.y
                && orient2d(
                    R { x: lo.x, y: lo.y },
                    R { x: hi.x, y: hi.y },
                    R { x: p.x, y: p.y },
                ) > 0.0
        };
        let mut odd = false;
        match &self.tree {
            Some(tree) => {
                let ray = AABB::from_corners([p.x, p.y], [f64::MAX, p.y]);
                for g in tree.locate_in_envelope_intersecting(&ray) {
                    meter.charge(1)?;
                    odd ^= crosses(&self.lines[g.data]);
                }
            }
            None => {
                meter.charge(self.lines.len() as u64)?;
                odd = self.lines.iter().filter(|l| crosses(l)).count() % 2 == 1;
            }
        }
        Ok(odd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use rand::{RngExt, SeedableRng};

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        let mut v: Vec<(f64, f64)> = pts.to_vec();
        if v.first() != v.last() {
            v.push(v[0]);
        }
        v.into()
    }

    fn geo_first(mp: &MultiPolygon<f64>) -> Option<String> {
        mp.validation_errors()
            .into_iter()
            .next()
            .map(|e| e.to_string())
    }

    fn ours(mp: &MultiPolygon<f64>) -> Option<String> {
        first_problem(mp, &mut Meter::new(None))
            .unwrap()
            .map(|e| e.to_string())
    }

    /// Random polygons on a small integer lattice (so that touching, collinear overlaps,
    /// shared vertices and holes on the boundary are common), some with many segments so the
    /// R-tree path runs: the first problem must equal geo's.
    #[test]
    fn same_first_problem_as_geo() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut problems = std::collections::BTreeMap::<String, usize>::new();
        for case in 0..3000 {
            let rand_ring = |rng: &mut rand_chacha::ChaCha8Rng, n: usize, lo: i32, hi: i32| {
                let pts: Vec<(f64, f64)> = (0..n)
                    .map(|_| {
                        (
                            rng.random_range(lo..=hi) as f64,
                            rng.random_range(lo..=hi) as f64,
                        )
                    })
                    .collect();
                ring(&pts)
            };
            let parts = if case % 3 == 0 { 2 } else { 1 };
            let mut polys = Vec::new();
            for _ in 0..parts {
                let big = case % 5 == 0;
                let exterior = if case % 2 == 0 {
                    // A star: simple, with many segments when `big`.
                    let n = if big { 80 } else { 8 };
                    let cx = rng.random_range(-2..=2) as f64;
                    let pts: Vec<(f64, f64)> = (0..n)
                        .map(|i| {
                            let t = std::f64::consts::TAU * i as f64 / n as f64;
                            let r = if i % 2 == 0 {
                                10.0
                            } else {
                                rng.random_range(3..=9) as f64
                            };
                            ((cx + r * t.cos()).round(), (r * t.sin()).round())
                        })
                        .collect();
                    ring(&pts)
                } else {
                    let n = if big { 40 } else { rng.random_range(3..7) };
                    rand_ring(&mut rng, n, -10, 10)
                };
                let holes = (0..rng.random_range(0..4))
                    .map(|_| {
                        let n = rng.random_range(3..5);
                        rand_ring(&mut rng, n, -6, 6)
                    })
                    .collect();
                polys.push(Polygon::new(exterior, holes));
            }
            let mp = MultiPolygon(polys);
            let expected = geo_first(&mp);
            assert_eq!(ours(&mp), expected, "case {case}: {mp:?}");
            *problems
                .entry(expected.map_or("valid".into(), |e| {
                    e.split(':').next_back().unwrap_or_default().to_string()
                }))
                .or_default() += 1;
        }
        // The cases cover valid shapes and several kinds of problems.
        assert!(problems.len() >= 5, "{problems:?}");
    }

    #[test]
    fn holes_away_from_a_big_exterior_take_the_fast_path_and_agree() {
        // A 400-gon with holes inside, outside, crossing it and touching each other.
        let n = 400;
        let circle: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = std::f64::consts::TAU * i as f64 / n as f64;
                (100.0 * t.cos(), 100.0 * t.sin())
            })
            .collect();
        let square =
            |x: f64, y: f64, s: f64| ring(&[(x, y), (x + s, y), (x + s, y + s), (x, y + s)]);
        for holes in [
            vec![square(0.0, 0.0, 5.0), square(10.0, 10.0, 5.0)],
            vec![square(0.0, 0.0, 5.0), square(200.0, 0.0, 5.0)],
            vec![square(0.0, 0.0, 5.0), square(98.0, 0.0, 5.0)],
            vec![square(0.0, 0.0, 5.0), square(5.0, 0.0, 5.0)],
            vec![square(0.0, 0.0, 5.0), square(1.0, 1.0, 2.0)],
        ] {
            let mp = MultiPolygon(vec![Polygon::new(ring(&circle), holes)]);
            assert_eq!(ours(&mp), geo_first(&mp), "{mp:?}");
        }
    }
}
