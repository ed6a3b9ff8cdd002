//! Binary snapshots of a built city.
//!
//! Layout (little-endian): 8-byte magic `WANGGE\0S`, `u32` format version, `u64` payload length,
//! `u32` CRC-32 of the payload, then the payload (postcard-encoded levels and regions). Loading
//! checks each of these in turn and the payload's consistency (sorted codes, parents one level
//! up), so altered, truncated or foreign bytes give a [`SnapshotError`], never a panic. Loading
//! skips the geometry checks of [`City::build`]: the checksum vouches for bytes this crate wrote.

use crate::error::{Result, SnapshotError};
use crate::model::geometry::{to_raw, RawMultiPolygon};
use crate::model::{City, Region, RegionId};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"WANGGE\0S";
/// The snapshot format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 4;

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

/// True when the bytes start with the snapshot magic (used to tell snapshots from manifests).
pub fn is_snapshot(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

impl City {
    /// Serialises the city (levels, regions, geometry, areas) to snapshot bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = Payload {
            levels: self.levels().to_vec(),
            regions: self
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
        let body =
            postcard::to_allocvec(&payload).expect("postcard encodes plain data into memory");
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Rebuilds a city from [`City::to_bytes`] output.
    pub fn from_bytes(bytes: &[u8]) -> Result<City> {
        let header = bytes.get(..HEADER_LEN).ok_or(SnapshotError::Truncated {
            needed: HEADER_LEN,
            have: bytes.len(),
        })?;
        if !is_snapshot(header) {
            return Err(SnapshotError::BadMagic.into());
        }
        let word = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap_or([0; 4]));
        let version = word(8);
        if version != FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            }
            .into());
        }
        let len = u64::from_le_bytes(header[12..20].try_into().unwrap_or([0; 8]));
        let stored = word(20);
        let body = &bytes[HEADER_LEN..];
        if (body.len() as u64) < len {
            return Err(SnapshotError::Truncated {
                needed: HEADER_LEN.saturating_add(len as usize),
                have: bytes.len(),
            }
            .into());
        }
        if body.len() as u64 > len {
            return Err(SnapshotError::Payload(format!(
                "{} bytes after the payload",
                body.len() as u64 - len
            ))
            .into());
        }
        let computed = crc32fast::hash(body);
        if computed != stored {
            return Err(SnapshotError::ChecksumMismatch { stored, computed }.into());
        }
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
