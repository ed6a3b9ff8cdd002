//! Raw input geometry: checks that name the offending ring and position, then conversion to geo.

use crate::error::{Error, Location, Result};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use std::sync::atomic::{AtomicU64, Ordering};

mod validity;

/// A MultiPolygon as nested coordinates: polygons → rings (exterior first) → `[lon, lat]`.
/// This is GeoJSON's layout; a Polygon is a one-element list.
pub type RawMultiPolygon = Vec<Vec<Vec<[f64; 2]>>>;

/// Checks every ring (length, closure, finite and in-range coordinates) and converts to geo.
/// Ring indices in errors count across all polygons of the feature.
pub fn to_multipolygon(at: &Location, raw: &RawMultiPolygon) -> Result<MultiPolygon<f64>> {
    let mut ring_index = 0;
    let mut polygons = Vec::with_capacity(raw.len());
    for poly in raw {
        let mut rings = Vec::with_capacity(poly.len());
        for ring in poly {
            check_ring(at, ring_index, ring)?;
            rings.push(LineString(
                ring.iter()
                    .map(|&[x, y]| Coord { x, y })
                    .collect::<Vec<_>>(),
            ));
            ring_index += 1;
        }
        let mut rings = rings.into_iter();
        match rings.next() {
            Some(exterior) => polygons.push(Polygon::new(exterior, rings.collect())),
            None => {
                return Err(Error::RingTooShort {
                    at: at.clone(),
                    ring: ring_index,
                    len: 0,
                })
            }
        }
    }
    if polygons.is_empty() {
        return Err(Error::UnsupportedGeometry {
            at: at.clone(),
            found: "an empty MultiPolygon".into(),
        });
    }
    Ok(MultiPolygon(polygons))
}

/// Checks one raw ring: finite and in-range coordinates, at least 4 positions, closed.
pub(crate) fn check_ring(at: &Location, ring: usize, pts: &[[f64; 2]]) -> Result<()> {
    for (position, &[lon, lat]) in pts.iter().enumerate() {
        if !(lon.is_finite() && lat.is_finite()) {
            return Err(Error::NonFiniteCoordinate {
                at: at.clone(),
                ring,
                position,
                lon,
                lat,
            });
        }
        if lon.abs() > 180.0 || lat.abs() > 90.0 {
            return Err(Error::CoordinateOutOfRange {
                at: at.clone(),
                ring,
                position,
                lon,
                lat,
            });
        }
    }
    if pts.len() < 4 {
        return Err(Error::RingTooShort {
            at: at.clone(),
            ring,
            len: pts.len(),
        });
    }
    if pts.first() != pts.last() {
        return Err(Error::RingNotClosed {
            at: at.clone(),
            ring,
        });
    }
    Ok(())
}

/// Repairs every ring of a checked MultiPolygon ([`repair_ring`]), or names the first ring left
/// without area ([`Error::DegenerateRing`]; ring indices count across polygons, as in
/// [`to_multipolygon`]).
pub fn repair(at: &Location, geometry: &mut MultiPolygon<f64>) -> Result<()> {
    let mut ring = 0;
    for polygon in geometry.iter_mut() {
        let mut bad = None;
        polygon.exterior_mut(|exterior| {
            let corners = repair_ring(&mut exterior.0);
            if corners < 3 {
                bad = Some((ring, corners));
            }
        });
        if bad.is_none() {
            polygon.interiors_mut(|holes| {
                for (k, hole) in holes.iter_mut().enumerate() {
                    let corners = repair_ring(&mut hole.0);
                    if corners < 3 && bad.is_none() {
                        bad = Some((ring + 1 + k, corners));
                    }
                }
            });
        }
        if let Some((ring, corners)) = bad {
            return Err(Error::DegenerateRing {
                at: at.clone(),
                ring,
                corners,
            });
        }
        ring += 1 + polygon.interiors().len();
    }
    Ok(())
}

/// Repairs one closed ring (first position equal to the last) in place: consecutive repeated
/// positions are merged and **spikes** are removed, a spike being a vertex where the ring turns
/// straight back along itself (it and its neighbours exactly on one line, the direction
/// reversing, e.g. `A → B → A`). Neither repair changes which points the ring encloses: a
/// repeated position adds a zero-length edge, and a spike's two edges overlap, so a ray crosses
/// both or neither and the crossing parity of the one-owner rule is the same. They remove
/// zero-area clutter before the validity check (where a pile of identical positions is the
/// worst case of a segment index) and the parent check (a spike's tip outside the parent claims
/// no area there). Runs in linear time.
///
/// Returns the number of distinct corners left; fewer than 3 means the ring encloses no area.
pub fn repair_ring(ring: &mut Vec<Coord<f64>>) -> usize {
    // The open cycle (without the closing position), kept free of repeats and spikes as it
    // grows; then the seam between its end and its start is repaired.
    let mut cycle: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
    for &p in ring.iter().take(ring.len().saturating_sub(1)) {
        if cycle.last() == Some(&p) {
            continue;
        }
        cycle.push(p);
        while let [.., a, b, c] = cycle[..] {
            if !is_spike(a, b, c) {
                break;
            }
            // Drop the tip `b`; `a` and `c` may now be equal: keep one.
            let n = cycle.len();
            cycle.remove(n - 2);
            if a == c {
                cycle.pop();
            }
        }
    }
    let mut start = 0;
    loop {
        let n = cycle.len() - start;
        let last = cycle.len().wrapping_sub(1);
        // The last position repeats the first, or is a spike tip before it: drop it.
        if (n >= 2 && cycle[last] == cycle[start])
            || (n >= 3 && is_spike(cycle[last - 1], cycle[last], cycle[start]))
        {
            cycle.pop();
        } else if n >= 3 && is_spike(cycle[last], cycle[start], cycle[start + 1]) {
            start += 1;
        } else {
            break;
        }
    }
    let corners = cycle.len() - start;
    ring.clear();
    ring.extend_from_slice(&cycle[start..]);
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    corners
}

/// True when `b` is a spike tip: `a`, `b`, `c` exactly on one line and the direction reversing
/// at `b`. Needs `a != b` and `b != c`.
fn is_spike(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    use robust::{orient2d, Coord as R};
    let on_line = orient2d(
        R { x: a.x, y: a.y },
        R { x: b.x, y: b.y },
        R { x: c.x, y: c.y },
    ) == 0.0;
    // On one line, with a ≠ b and b ≠ c, one coordinate decides the direction exactly: x
    // unless the line is vertical.
    on_line
        && if a.x != b.x {
            (b.x > a.x) != (c.x > b.x)
        } else {
            (b.y > a.y) != (c.y > b.y)
        }
}

/// Rejects self-intersecting rings, holes outside their shell, and overlapping parts with the
/// first problem of geo's OGC validity check ([`geo::Validation`]), naming what was found.
///
/// Same rules and the same first problem as geo's check, found with less work: geo compares
/// every pair of a ring's segments (quadratic in the ring's size: 0.8 s for a ring of 8,000
/// positions, hours for a million) and every pair of holes and of parts, and collects every
/// problem before the first is taken. Here a ring's segments go in an R-tree and only segments
/// whose boxes meet are compared, only holes and parts whose boxes meet are related, and the
/// check stops at the first problem: a ring of a million positions takes about a second. The
/// cost stays quadratic only for contrived shapes whose segments' or rings' boxes all overlap
/// (thousands of thin diagonal holes side by side); [`check_valid_within`] bounds it.
pub fn check_valid(at: &Location, geometry: &MultiPolygon<f64>) -> Result<()> {
    match validity::first_problem(geometry, &mut validity::Meter::new(None)) {
        Ok(problem) => problem_to_error(at, problem),
        Err(_) => unreachable!("an unmetered check has no budget to run out of"),
    }
}

fn problem_to_error(
    at: &Location,
    problem: Option<geo::algorithm::validation::InvalidMultiPolygon>,
) -> Result<()> {
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::SelfIntersection {
            at: at.clone(),
            reason: problem.to_string(),
        }),
    }
}

/// The work the validity checks of one level may do ([`check_valid_within`]): pair tests
/// (two segments, or a box query) plus [`RELATE_UNITS_PER_POSITION`] per position of the rings
/// geo's relate is run on, shared by all the level's features and threads.
///
/// The budget is [`ValidityBudget::FLOOR`] plus [`ValidityBudget::PER_ITEM`] per position and
/// ring of the level. Real partitions use 2.4 to 9.6 units per position (measured on every
/// level of the central-Wuhan and demo cities and on the district outlines of Wuhan, Beijing,
/// Shanghai and Shenzhen), so only contrived geometry reaches it, and then the build stops with
/// [`Error::Limit`] (limit `"validity_work"`) after time proportional to the level's size (the
/// floor is one to three seconds of checking) instead of running for hours.
#[derive(Debug)]
pub struct ValidityBudget {
    level: String,
    used: AtomicU64,
    max: u64,
}

/// See [`ValidityBudget`]: geo's relate costs about this many pair tests per position.
pub const RELATE_UNITS_PER_POSITION: u64 = 8;

impl ValidityBudget {
    /// Units every level may use whatever its size.
    pub const FLOOR: u64 = 50_000_000;
    /// Units allowed per position and per ring of the level.
    pub const PER_ITEM: u64 = 64;

    /// The budget of a level with `positions` positions in `rings` rings.
    pub fn new(level: &str, positions: u64, rings: u64) -> Self {
        ValidityBudget {
            level: level.to_string(),
            used: AtomicU64::new(0),
            max: Self::FLOOR
                .saturating_add(Self::PER_ITEM.saturating_mul(positions.saturating_add(rings))),
        }
    }

    /// The budget of one level of raw input.
    pub fn for_regions<'a>(
        level: &str,
        regions: impl IntoIterator<Item = &'a RawMultiPolygon>,
    ) -> Self {
        let (mut positions, mut rings) = (0u64, 0u64);
        for polygon in regions.into_iter().flatten() {
            rings += polygon.len() as u64;
            positions += polygon.iter().map(|r| r.len() as u64).sum::<u64>();
        }
        Self::new(level, positions, rings)
    }

    /// The units allowed.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The units used so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

/// [`check_valid`] charging its work to `budget`; [`Error::Limit`] when the level's budget
/// runs out (naming the level and the feature being checked).
pub fn check_valid_within(
    at: &Location,
    geometry: &MultiPolygon<f64>,
    budget: &ValidityBudget,
) -> Result<()> {
    let mut meter = validity::Meter::new(Some((&budget.used, budget.max)));
    let outcome = validity::first_problem(geometry, &mut meter).and_then(|problem| {
        meter.flush()?;
        Ok(problem)
    });
    match outcome {
        Ok(problem) => problem_to_error(at, problem),
        Err(exhausted) => Err(Error::Limit {
            source_name: format!("level {:?}", budget.level),
            what: format!(
                "units of work in the polygon validity checks, stopped in {at} (the geometry is \
                 contrived: e.g. thousands of thin rings whose bounding boxes overlap; build \
                 with check_validity = false only if you trust it)"
            ),
            limit: "validity_work",
            max: budget.max,
            found: exhausted.used,
        }),
    }
}

/// The MultiPolygon back as nested coordinates.
pub fn to_raw(geometry: &MultiPolygon<f64>) -> RawMultiPolygon {
    geometry
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::PreparedRegion;
    use rand::{RngExt, SeedableRng};

    fn coords(pts: &[(f64, f64)]) -> Vec<Coord<f64>> {
        pts.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn repeats_and_spikes_are_removed() {
        // A square with a repeated corner, a spike out of its top edge and one at the seam.
        let mut ring = coords(&[
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 0.0),
            (2.0, 2.0),
            (1.0, 2.0),
            (1.0, 5.0), // spike tip: 1,2 → 1,5 → 1,2
            (1.0, 2.0),
            (0.0, 2.0),
            (-3.0, 2.0), // spike along the top edge's line, past the corner
            (0.0, 2.0),
            (0.0, 0.0),
        ]);
        // (1, 2) stays: on the line of its neighbours, but not turning back.
        assert_eq!(repair_ring(&mut ring), 5);
        assert_eq!(
            ring,
            coords(&[
                (0.0, 0.0),
                (2.0, 0.0),
                (2.0, 2.0),
                (1.0, 2.0),
                (0.0, 2.0),
                (0.0, 0.0)
            ])
        );
        // The first position is a spike tip: the seam is repaired too.
        let mut ring = coords(&[
            (5.0, 0.0),
            (0.0, 0.0),
            (0.0, 1.0),
            (1.0, 1.0),
            (0.0, 0.0),
            (5.0, 0.0),
        ]);
        assert_eq!(repair_ring(&mut ring), 3);
        assert_eq!(
            ring,
            coords(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)])
        );
    }

    #[test]
    fn collinear_and_repeated_rings_collapse() {
        for pts in [
            vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.0, 0.0)],
            vec![(0.0, 0.0), (1.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 0.0)],
            vec![(3.0, 3.0), (3.0, 3.0), (3.0, 3.0), (3.0, 3.0)],
            vec![(0.0, 0.0), (0.0, 2.0), (0.0, 1.0), (0.0, 3.0), (0.0, 0.0)],
        ] {
            let mut ring = coords(&pts);
            assert!(repair_ring(&mut ring) < 3, "{pts:?} -> {ring:?}");
        }
        let at = Location {
            level: "grid".into(),
            feature: 4,
            code: Some("x".into()),
        };
        let mut mp = to_multipolygon(
            &at,
            &vec![
                vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
                vec![
                    vec![[5.0, 5.0], [9.0, 5.0], [9.0, 9.0], [5.0, 5.0]],
                    vec![[6.0, 6.0], [7.0, 6.0], [8.0, 6.0], [6.0, 6.0]],
                ],
            ],
        )
        .unwrap();
        assert_eq!(
            repair(&at, &mut mp),
            Err(Error::DegenerateRing {
                at,
                ring: 2,
                corners: 2
            })
        );
    }

    /// Random rings on a small lattice with spikes and repeats inserted: the repaired ring
    /// encloses exactly the same points (under the one-owner rule) as the raw one, on every
    /// lattice point, half point and vertex.
    #[test]
    fn repairs_change_no_owner() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for case in 0..500 {
            let n = rng.random_range(3..9);
            let mut pts: Vec<(f64, f64)> = Vec::new();
            for _ in 0..n {
                let p = (
                    rng.random_range(-4..=4) as f64,
                    rng.random_range(-4..=4) as f64,
                );
                pts.push(p);
                match rng.random_range(0..4) {
                    0 => pts.push(p),
                    1 => {
                        // A spike out and straight back, possibly overshooting along the line.
                        let d = (
                            rng.random_range(-2..=2) as f64,
                            rng.random_range(-2..=2) as f64,
                        );
                        pts.push((p.0 + d.0, p.1 + d.1));
                        pts.push(p);
                    }
                    _ => {}
                }
            }
            pts.push(pts[0]);
            let raw = coords(&pts);
            let mut repaired = raw.clone();
            let corners = repair_ring(&mut repaired);
            let region = |c: &Vec<Coord<f64>>| {
                PreparedRegion::new(&MultiPolygon(vec![Polygon::new(
                    LineString(c.clone()),
                    vec![],
                )]))
            };
            let (before, after) = (region(&raw), region(&repaired));
            for i in -18..=18 {
                for j in -18..=18 {
                    let (x, y) = (i as f64 / 4.0, j as f64 / 4.0);
                    assert_eq!(
                        before.contains(x, y),
                        after.contains(x, y),
                        "case {case} ({x}, {y}): {pts:?} -> {repaired:?}"
                    );
                }
            }
            if corners < 3 {
                assert!((-18..=18)
                    .all(|i| (-18..=18).all(|j| !before.contains(i as f64 / 4.0, j as f64 / 4.0))));
            }
            if corners >= 2 {
                assert!(repaired.windows(2).all(|w| w[0] != w[1]), "{repaired:?}");
            }
        }
    }
}
