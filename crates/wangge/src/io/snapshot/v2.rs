//! Format 2: raw little-endian sections, the built cell index included (layout in the module
//! docs of [`super`]).

use super::bytes::{f64_at, len32, u32_at, words, Reader, Writer};
use crate::error::SnapshotError;
use crate::locate::{CellLocator, CellParts, CheckedCellParts, PreparedRegion, MAX_CELLS};
use crate::model::{City, Region, RegionId};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Parent word of a top-level region.
const NO_PARENT: u32 = u32::MAX;
/// Run marker of the cell words' run-length code (the rest of the word is the run length).
const RUN: u32 = 1 << 31;
/// Longest run or literal stretch one control word describes.
const MAX_STRETCH: usize = (RUN - 1) as usize;

/// Writes the format-2 file (header included; the header's length and checksum are left for
/// the caller to fill in, at bytes 12..24).
pub(super) fn encode(city: &City, header_len: usize) -> Vec<u8> {
    let regions = city.regions();
    let text_bytes: usize = regions.iter().map(|r| r.code.len() + r.name.len()).sum();
    let points: usize = regions
        .iter()
        .flat_map(|r| rings(&r.geometry))
        .map(|ring| ring.0.len())
        .sum();
    let mut w = Writer {
        out: Vec::with_capacity(header_len + text_bytes + points * 16 + regions.len() * 40),
    };
    w.out.resize(header_len, 0);
    w.section(b"LEVL", |w| {
        w.u32(len32(city.levels().len()));
        for level in city.levels() {
            w.u32(len32(level.len()));
            w.out.extend_from_slice(level.as_bytes());
        }
    });
    w.section(b"REGN", |w| {
        w.u64(regions.len() as u64);
        let counts: Vec<u32> = city
            .level_ranges()
            .iter()
            .map(|r| r.end - r.start)
            .collect();
        w.u32s(&counts);
        let parents: Vec<u32> = regions
            .iter()
            .map(|r| r.parent.map_or(NO_PARENT, |p| p.0))
            .collect();
        w.u32s(&parents);
        w.f64s(regions.iter().map(|r| r.area_m2));
    });
    for (tag, text) in [
        (
            b"CODE",
            (|r: &Region| r.code.as_str()) as fn(&Region) -> &str,
        ),
        (b"NAME", |r: &Region| r.name.as_str()),
    ] {
        w.section(tag, |w| {
            let lens: Vec<u32> = regions.iter().map(|r| len32(text(r).len())).collect();
            w.u32s(&lens);
            w.u64(regions.iter().map(|r| text(r).len() as u64).sum());
            for r in regions {
                w.out.extend_from_slice(text(r).as_bytes());
            }
        });
    }
    w.section(b"GEOM", |w| {
        let polys: Vec<u32> = regions.iter().map(|r| len32(r.geometry.0.len())).collect();
        w.u32s(&polys);
        let per_poly: Vec<u32> = regions
            .iter()
            .flat_map(|r| &r.geometry.0)
            .map(|p| len32(1 + p.interiors().len()))
            .collect();
        w.u32s(&per_poly);
        let per_ring: Vec<u32> = regions
            .iter()
            .flat_map(|r| rings(&r.geometry))
            .map(|ring| len32(ring.0.len()))
            .collect();
        w.u32s(&per_ring);
        w.u64(points as u64);
        for c in regions
            .iter()
            .flat_map(|r| rings(&r.geometry))
            .flat_map(|r| &r.0)
        {
            w.out.extend_from_slice(&c.x.to_le_bytes());
            w.out.extend_from_slice(&c.y.to_le_bytes());
        }
    });
    let parts = city.locator().to_parts();
    w.section(b"CELL", |w| {
        w.u32(parts.nx);
        w.u32(parts.ny);
        w.u32s(&run_length(&parts.cells));
        w.u32s(&parts.offsets);
        w.u32s(&parts.candidates);
        w.u32s(&parts.blocks);
        w.points(&parts.vertices);
    });
    w.out
}

/// Every ring of a multipolygon, each polygon's exterior first.
fn rings(g: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    g.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// Cell words as control words: `RUN | n` then one word repeated `n` times, or `n` then `n`
/// words as they are. Runs of 3 or more become runs.
fn run_length(cells: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let literal = |out: &mut Vec<u32>, words: &[u32]| {
        for chunk in words.chunks(MAX_STRETCH) {
            out.push(chunk.len() as u32);
            out.extend_from_slice(chunk);
        }
    };
    let (mut i, mut pending) = (0, 0);
    while i < cells.len() {
        let mut j = i + 1;
        while j < cells.len() && cells[j] == cells[i] && j - i < MAX_STRETCH {
            j += 1;
        }
        if j - i >= 3 {
            literal(&mut out, &cells[pending..i]);
            out.extend([RUN | (j - i) as u32, cells[i]]);
            pending = j;
        }
        i = j;
    }
    literal(&mut out, &cells[pending..]);
    out
}

/// Expands [`run_length`]'s code into exactly `n` words.
fn expand(code: &[u8], n: usize) -> Result<Vec<u32>, String> {
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    while at < code.len() {
        let control = u32_at(code, at);
        at += 4;
        let count = (control & !RUN) as usize;
        if count == 0 || count > n - out.len() {
            return Err(format!(
                "cell word code at word {}: stretch of {count} words with {} cells left",
                at / 4 - 1,
                n - out.len()
            ));
        }
        let words_needed = if control & RUN != 0 { 1 } else { count };
        if code.len() - at < words_needed * 4 {
            return Err(format!("cell word code at word {}: cut off", at / 4 - 1));
        }
        if control & RUN != 0 {
            out.resize(out.len() + count, u32_at(code, at));
        } else {
            out.extend(words(&code[at..at + count * 4]));
        }
        at += words_needed * 4;
    }
    if out.len() != n {
        return Err(format!("cell word code gives {} of {n} cells", out.len()));
    }
    Ok(out)
}

/// Where each region's text starts and ends in a text section's blob.
struct Texts<'a> {
    blob: &'a str,
    ends: Vec<usize>,
}

impl<'a> Texts<'a> {
    fn read(r: &mut Reader<'a>, n: usize, what: &str) -> Result<Texts<'a>, SnapshotError> {
        let lens = r.array_of(n, 4, "text lengths")?;
        let blob = r.array(1, "text bytes")?;
        let blob =
            std::str::from_utf8(blob).map_err(|e| r.error(format!("{what}: not UTF-8 ({e})")))?;
        let mut ends = Vec::with_capacity(n + 1);
        ends.push(0usize);
        for i in 0..n {
            let end = ends[i] + u32_at(lens, 4 * i) as usize;
            if !blob.is_char_boundary(end) {
                return Err(r.error(format!(
                    "{what} of region {i} ends inside a character or past the text"
                )));
            }
            ends.push(end);
        }
        if ends[n] != blob.len() {
            return Err(r.error(format!(
                "{what}: lengths add up to {}, the text has {} bytes",
                ends[n],
                blob.len()
            )));
        }
        Ok(Texts { blob, ends })
    }

    fn get(&self, i: usize) -> String {
        self.blob[self.ends[i]..self.ends[i + 1]].to_string()
    }
}

/// The geometry section: prefix sums over the counts and the raw coordinate bytes.
struct Geometry<'a> {
    polys: Vec<usize>,
    rings: Vec<usize>,
    points: Vec<usize>,
    coords: &'a [u8],
}

/// Prefix sums of `u32` counts (`out[i + 1] - out[i] = counts[i]`).
fn prefix(counts: &[u8]) -> Vec<usize> {
    let mut out = Vec::with_capacity(counts.len() / 4 + 1);
    let mut sum = 0usize;
    out.push(0);
    for c in counts.chunks_exact(4) {
        sum += u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize;
        out.push(sum);
    }
    out
}

impl<'a> Geometry<'a> {
    fn read(r: &mut Reader<'a>, n: usize) -> Result<Geometry<'a>, SnapshotError> {
        let polys = prefix(r.array_of(n, 4, "polygons per region")?);
        let rings = prefix(r.array_of(polys[n], 4, "rings per polygon")?);
        let points = prefix(r.array_of(rings[polys[n]], 4, "points per ring")?);
        let total = points[points.len() - 1];
        let coords = r.array_of(total, 16, "coordinates")?;
        Ok(Geometry {
            polys,
            rings,
            points,
            coords,
        })
    }

    /// The first coordinate that is not a longitude and latitude, as an error.
    fn bad_coordinate(&self) -> Option<String> {
        let k = self.coords.chunks_exact(16).position(|c| !lon_lat(c))?;
        Some(format!(
            "section GEOM: coordinate {k} ({}, {}) is not a longitude and latitude",
            f64_at(self.coords, 16 * k),
            f64_at(self.coords, 16 * k + 8)
        ))
    }

    /// Region `i`'s geometry, and whether all its coordinates are longitudes and latitudes.
    fn region(&self, i: usize) -> (MultiPolygon<f64>, bool) {
        let points = &self.coords[16 * self.points[self.rings[self.polys[i]]]
            ..16 * self.points[self.rings[self.polys[i + 1]]]];
        let ok = points.chunks_exact(16).all(lon_lat);
        let ring = |k: usize| {
            LineString(
                self.coords[16 * self.points[k]..16 * self.points[k + 1]]
                    .chunks_exact(16)
                    .map(|c| Coord {
                        x: f64_at(c, 0),
                        y: f64_at(c, 8),
                    })
                    .collect(),
            )
        };
        let geometry = MultiPolygon(
            (self.polys[i]..self.polys[i + 1])
                .map(|p| {
                    let mut rings = (self.rings[p]..self.rings[p + 1]).map(ring);
                    let exterior = rings.next().unwrap_or_else(|| LineString(vec![]));
                    Polygon::new(exterior, rings.collect())
                })
                .collect(),
        );
        (geometry, ok)
    }
}

/// True when the 16 bytes are a longitude in [-180, 180] and a latitude in [-90, 90].
fn lon_lat(c: &[u8]) -> bool {
    let (x, y) = (f64_at(c, 0), f64_at(c, 8));
    x.abs() <= 180.0 && y.abs() <= 90.0
}

/// The cell index section, still as bytes.
struct Cells<'a> {
    nx: u32,
    ny: u32,
    code: &'a [u8],
    offsets: &'a [u8],
    candidates: &'a [u8],
    blocks: &'a [u8],
    vertices: &'a [u8],
}

impl<'a> Cells<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Cells<'a>, SnapshotError> {
        Ok(Cells {
            nx: r.u32("cells along x")?,
            ny: r.u32("cells along y")?,
            code: r.array(4, "cell words")?,
            offsets: r.array(4, "candidate list offsets")?,
            candidates: r.array(4, "candidates")?,
            blocks: r.array(4, "edge blocks")?,
            vertices: r.array(16, "block vertices")?,
        })
    }

    /// Decodes and checks the index for a city of `regions` regions.
    fn decode(&self, regions: usize) -> Result<CheckedCellParts, String> {
        let ncells = self.nx as u64 * self.ny as u64;
        if ncells > MAX_CELLS as u64 {
            return Err(format!("grid of {} × {} cells", self.nx, self.ny));
        }
        CellParts {
            nx: self.nx,
            ny: self.ny,
            cells: expand(self.code, ncells as usize)?,
            offsets: words(self.offsets),
            candidates: words(self.candidates),
            blocks: words(self.blocks),
            vertices: self
                .vertices
                .chunks_exact(16)
                .map(|c| [f64_at(c, 0), f64_at(c, 8)])
                .collect(),
        }
        .check(regions)
    }
}

/// A city from a format-2 payload (checksum already verified).
pub(super) fn decode(payload: &[u8]) -> crate::Result<City> {
    let mut r = Reader::new(payload);
    let levels = r.section("LEVL", |s| {
        let n = s.u32("level count")?;
        (0..n)
            .map(|_| {
                let len = s.u32("level name length")?;
                let bytes = s.take(len as u64, "level name")?;
                String::from_utf8(bytes.to_vec()).map_err(|_| s.error("level name is not UTF-8"))
            })
            .collect::<Result<Vec<String>, SnapshotError>>()
    })?;
    let (n, level_of, parents, areas) = r.section("REGN", |s| {
        let n = s.u64("region count")?;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n < u32::MAX as usize)
            .ok_or_else(|| s.error(format!("{n} regions")))?;
        let counts = s.array_of(levels.len(), 4, "regions per level")?;
        // The arrays of `n` items first: they bound `n` by the bytes present.
        let parents = s.array_of(n, 4, "parents")?;
        let areas = s.array_of(n, 8, "areas")?;
        let mut level_of = Vec::with_capacity(n);
        for (level, c) in counts.chunks_exact(4).enumerate() {
            let count = u32_at(c, 0) as usize;
            if count > n - level_of.len() {
                return Err(s.error(format!("more regions per level than the {n} regions")));
            }
            level_of.resize(level_of.len() + count, level);
        }
        if level_of.len() != n {
            return Err(s.error(format!(
                "regions per level add up to {}, not {n}",
                level_of.len()
            )));
        }
        Ok((n, level_of, parents, areas))
    })?;
    let codes = r.section("CODE", |s| Texts::read(s, n, "code"))?;
    let names = r.section("NAME", |s| Texts::read(s, n, "name"))?;
    let geometry = r.section("GEOM", |s| Geometry::read(s, n))?;
    let cells = r.section("CELL", Cells::read)?;
    r.finish()?;

    let bad_coordinates = AtomicBool::new(false);
    let ((regions, prepared), index): ((Vec<Region>, Vec<PreparedRegion>), _) = rayon::join(
        || {
            (0..n)
                .into_par_iter()
                .map(|i| {
                    let (geometry, ok) = geometry.region(i);
                    if !ok {
                        bad_coordinates.store(true, Ordering::Relaxed);
                    }
                    let prepared = PreparedRegion::new(&geometry);
                    let parent = u32_at(parents, 4 * i);
                    let region = Region {
                        code: codes.get(i),
                        name: names.get(i),
                        level: level_of[i],
                        parent: (parent != NO_PARENT).then_some(RegionId(parent)),
                        geometry,
                        area_m2: f64_at(areas, 8 * i),
                    };
                    (region, prepared)
                })
                .unzip()
        },
        || cells.decode(n),
    );
    if bad_coordinates.load(Ordering::Relaxed) {
        let e = geometry.bad_coordinate().unwrap_or_default();
        return Err(SnapshotError::Payload(e).into());
    }
    let index = index.map_err(|e| SnapshotError::Payload(format!("section CELL: {e}")))?;
    let prepared: Arc<[PreparedRegion]> = prepared.into();
    City::assemble_with(levels, regions, prepared, |prepared, _| {
        CellLocator::from_parts(prepared, index).map_err(|e| {
            crate::Error::Snapshot(SnapshotError::Payload(format!("section CELL: {e}")))
        })
    })
    .map_err(|e| match e {
        crate::Error::Snapshot(e) => e.into(),
        e => SnapshotError::Payload(e.to_string()).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_length_code_round_trips() {
        let cases: Vec<Vec<u32>> = vec![
            vec![],
            vec![7],
            vec![1, 1],
            vec![1, 1, 1],
            vec![1, 2, 3, 3, 3, 3, 4, 4, 5, 5, 5],
            (0..1000).map(|i| (i / 7) as u32 % 3).collect(),
            (0..1000).map(|i| i as u32 ^ RUN).collect(),
        ];
        for cells in cases {
            let code = run_length(&cells);
            let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
            assert_eq!(expand(&bytes, cells.len()).unwrap(), cells);
            if !cells.is_empty() {
                assert!(expand(&bytes, cells.len() - 1).is_err());
                assert!(expand(&bytes[..bytes.len() - 4], cells.len()).is_err());
            }
            assert!(expand(&bytes, cells.len() + 1).is_err());
        }
        // A long run is two words.
        assert_eq!(run_length(&[9; 5000]), vec![RUN | 5000, 9]);
        // A zero-length stretch is refused (it would describe nothing).
        assert!(expand(&[0, 0, 0, 0], 1).is_err());
    }
}
