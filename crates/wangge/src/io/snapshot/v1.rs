//! Format 1 (legacy): the payload is postcard-encoded levels and regions; the point-location
//! index is rebuilt on load. Still read, and written only on request ([`City::to_bytes_v1`]).

use crate::error::{Result, SnapshotError};
use crate::model::geometry::{to_raw, RawMultiPolygon};
use crate::model::{City, Region, RegionId};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Payload {
    levels: Vec<String>,
    regions: Vec<Record>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    code: String,
    name: String,
    level: u32,
    parent: Option<u32>,
    area_m2: f64,
    geometry: RawMultiPolygon,
}

/// The format-1 payload of a city.
pub(super) fn encode(city: &City) -> Vec<u8> {
    let payload = Payload {
        levels: city.levels().to_vec(),
        regions: city
            .regions()
            .iter()
            .map(|r| Record {
                code: r.code.clone(),
                name: r.name.clone(),
                level: r.level as u32,
                parent: r.parent.map(|p| p.0),
                area_m2: r.area_m2,
                geometry: to_raw(&r.geometry),
            })
            .collect(),
    };
    postcard::to_allocvec(&payload).expect("postcard encodes plain data into memory")
}

/// A city from a format-1 payload (checksum already verified); rebuilds every index.
pub(super) fn decode(body: &[u8]) -> Result<City> {
    let payload: Payload =
        postcard::from_bytes(body).map_err(|e| SnapshotError::Payload(e.to_string()))?;
    let regions = payload
        .regions
        .into_iter()
        .map(|r| Region {
            code: r.code,
            name: r.name,
            level: r.level as usize,
            parent: r.parent.map(RegionId),
            area_m2: r.area_m2,
            geometry: from_raw(r.geometry),
        })
        .collect();
    City::assemble(payload.levels, regions)
        .map_err(|e| SnapshotError::Payload(e.to_string()).into())
}

fn from_raw(raw: RawMultiPolygon) -> MultiPolygon<f64> {
    let ring = |r: Vec<[f64; 2]>| LineString(r.into_iter().map(|[x, y]| Coord { x, y }).collect());
    MultiPolygon(
        raw.into_iter()
            .map(|poly| {
                let mut rings = poly.into_iter().map(ring);
                let exterior = rings.next().unwrap_or_else(|| LineString(vec![]));
                Polygon::new(exterior, rings.collect())
            })
            .collect(),
    )
}
