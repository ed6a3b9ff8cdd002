//! Ring checks on raw input: coordinates, length, closure, spikes and OGC validity, every
//! problem of every ring reported; the usable features go on to the other checks.

use super::{Feature, Finding, FindingKind, Severity, ValidateOptions};
use crate::error::{Error, Location};
use crate::model::geometry::{check_ring, check_valid_within, ValidityBudget};
use crate::model::{LevelInput, RegionInput};
use geo::orient::{Direction, Orient};
use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use rayon::prelude::*;

/// Checks every feature of one level; returns the features (in input order) and the findings.
pub(super) fn check_level(
    level: usize,
    input: &LevelInput,
    options: &ValidateOptions,
) -> (Vec<Feature>, Vec<Finding>) {
    let budget =
        ValidityBudget::for_regions(&input.name, input.regions.iter().map(|r| &r.geometry));
    let checked: Vec<(Feature, Vec<Finding>)> = input
        .regions
        .par_iter()
        .enumerate()
        .map(|(index, r)| check_feature(level, &input.name, index, r, options, &budget))
        .collect();
    let mut findings = Vec::new();
    let mut stopped = false;
    let features = checked
        .into_iter()
        .map(|(f, found)| {
            for finding in found {
                // Once the budget is out every later check stops too: report the first.
                let repeat = finding.kind == FindingKind::CheckStopped && stopped;
                stopped |= finding.kind == FindingKind::CheckStopped;
                if !repeat {
                    findings.push(finding);
                }
            }
            f
        })
        .collect();
    (features, findings)
}

fn check_feature(
    level: usize,
    level_name: &str,
    index: usize,
    r: &RegionInput,
    options: &ValidateOptions,
    budget: &ValidityBudget,
) -> (Feature, Vec<Finding>) {
    let at = Location {
        level: level_name.to_string(),
        feature: index,
        code: Some(r.code.clone()).filter(|c| !c.is_empty()),
    };
    let mut found = Vec::new();
    let mut push = |kind, severity, message: String, geometry: Option<Geometry<f64>>, value| {
        found.push(Finding {
            kind,
            severity,
            codes: vec![r.code.clone()],
            level: level_name.to_string(),
            feature: Some(index),
            message,
            geometry,
            value,
        })
    };
    let mut usable = !r.geometry.is_empty();
    if r.geometry.is_empty() {
        push(
            FindingKind::RingTooShort,
            Severity::Error,
            format!("{at}: the geometry has no polygons"),
            None,
            None,
        );
    }
    let mut exact_spike = false;
    let mut polygons = Vec::with_capacity(r.geometry.len());
    let mut ring_index = 0;
    for poly in &r.geometry {
        let mut rings: Vec<LineString<f64>> = Vec::with_capacity(poly.len());
        if poly.is_empty() {
            usable = false;
            push(
                FindingKind::RingTooShort,
                Severity::Error,
                format!("{at}: a polygon without rings"),
                None,
                None,
            );
        }
        for ring in poly {
            let this = ring_index;
            ring_index += 1;
            if let Err(e) = check_ring(&at, this, ring) {
                let (kind, geometry) = match &e {
                    Error::NonFiniteCoordinate { .. } => (FindingKind::BadCoordinate, None),
                    Error::CoordinateOutOfRange { lon, lat, .. } => (
                        FindingKind::BadCoordinate,
                        Some(Point::new(*lon, *lat).into()),
                    ),
                    Error::RingTooShort { .. } => (FindingKind::RingTooShort, line(ring)),
                    _ => (FindingKind::RingNotClosed, line(ring)),
                };
                push(kind, Severity::Error, e.to_string(), geometry, None);
                if kind == FindingKind::BadCoordinate {
                    usable = false;
                    continue;
                }
            }
            let mut pts: Vec<Coord<f64>> = ring.iter().map(|&[x, y]| Coord { x, y }).collect();
            if pts.first() != pts.last() {
                pts.push(pts[0]);
            }
            if pts.len() < 4 {
                usable = false;
                continue;
            }
            for spike in spikes(&pts, options.spike_angle_deg) {
                exact_spike |= spike.exact;
                push(
                    FindingKind::Spike,
                    if spike.exact {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    if spike.exact {
                        format!(
                            "{at}: ring {this} turns back on itself at vertex {} ({}, {})",
                            spike.vertex, spike.at.x, spike.at.y
                        )
                    } else {
                        format!(
                            "{at}: ring {this} has a {:.3}° spike at vertex {} ({}, {})",
                            spike.angle_deg, spike.vertex, spike.at.x, spike.at.y
                        )
                    },
                    Some(Point::from(spike.at).into()),
                    Some(spike.angle_deg),
                );
            }
            rings.push(LineString(pts));
        }
        let mut rings = rings.into_iter();
        if let Some(exterior) = rings.next() {
            polygons.push(Polygon::new(exterior, rings.collect()));
        }
    }
    let geometry = usable.then_some(MultiPolygon(polygons));
    if let Some(g) = &geometry {
        if !exact_spike {
            match check_valid_within(&at, g, budget) {
                Err(Error::SelfIntersection { reason, .. }) => push(
                    FindingKind::SelfIntersection,
                    Severity::Error,
                    format!("{at}: invalid polygon: {reason}"),
                    Some(g.clone().into()),
                    None,
                ),
                Err(e @ Error::Limit { .. }) => push(
                    FindingKind::CheckStopped,
                    Severity::Error,
                    format!("{e}; later features of the level are not checked for validity"),
                    None,
                    None,
                ),
                _ => {}
            }
        }
    }
    let geometry = geometry.map(|g| g.orient(Direction::Default));
    (Feature::new(level, index, r.code.clone(), geometry), found)
}

fn line(ring: &[[f64; 2]]) -> Option<Geometry<f64>> {
    (ring.len() >= 2 && ring.iter().flatten().all(|v| v.is_finite())).then(|| {
        LineString(
            ring.iter()
                .map(|&[x, y]| Coord { x, y })
                .collect::<Vec<_>>(),
        )
        .into()
    })
}

/// A spike at one vertex.
pub(super) struct Spike {
    pub vertex: usize,
    pub at: Coord<f64>,
    pub angle_deg: f64,
    /// The ring turns back exactly (collinear, opposite directions).
    pub exact: bool,
}

/// Vertices of a closed ring where it turns back exactly, or where the interior angle between
/// the two edges is below `max_angle_deg` (measured with longitudes scaled by cos(latitude)).
/// Repeated consecutive positions are skipped.
pub(super) fn spikes(closed: &[Coord<f64>], max_angle_deg: f64) -> Vec<Spike> {
    // Distinct consecutive positions with their index in the ring.
    let mut pts: Vec<(usize, Coord<f64>)> = Vec::with_capacity(closed.len());
    for (i, &c) in closed[..closed.len() - 1].iter().enumerate() {
        if pts.last().is_none_or(|&(_, p)| p != c) {
            pts.push((i, c));
        }
    }
    while pts.len() > 1 && pts.first().map(|p| p.1) == pts.last().map(|p| p.1) {
        pts.pop();
    }
    let n = pts.len();
    let mut out = Vec::new();
    if n < 3 {
        return out;
    }
    for i in 0..n {
        let a = pts[(i + n - 1) % n].1;
        let (vertex, b) = pts[i];
        let c = pts[(i + 1) % n].1;
        let cross = robust::orient2d(
            robust::Coord { x: a.x, y: a.y },
            robust::Coord { x: b.x, y: b.y },
            robust::Coord { x: c.x, y: c.y },
        );
        let k = b.y.to_radians().cos();
        let (ux, uy) = ((a.x - b.x) * k, a.y - b.y);
        let (vx, vy) = ((c.x - b.x) * k, c.y - b.y);
        let exact = cross == 0.0 && ux * vx + uy * vy > 0.0;
        let angle_deg = (ux * vy - uy * vx)
            .abs()
            .atan2(ux * vx + uy * vy)
            .to_degrees();
        if exact || angle_deg < max_angle_deg {
            out.push(Spike {
                vertex,
                at: b,
                angle_deg: if exact { 0.0 } else { angle_deg },
                exact,
            });
        }
    }
    out
}
