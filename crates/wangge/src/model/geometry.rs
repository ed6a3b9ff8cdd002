//! Raw input geometry: checks that name the offending ring and position, then conversion to geo.

use crate::error::{Error, Location, Result};
use geo::{Coord, LineString, MultiPolygon, Polygon};

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

/// Rejects self-intersecting rings, holes outside their shell, and overlapping parts
/// (geo's OGC validity check), naming what was found.
pub fn check_valid(at: &Location, geometry: &MultiPolygon<f64>) -> Result<()> {
    use geo::Validation;
    match geometry.validation_errors().into_iter().next() {
        None => Ok(()),
        Some(problem) => Err(Error::SelfIntersection {
            at: at.clone(),
            reason: problem.to_string(),
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
