//! H3 hexagons (via `h3o`, a Rust port of Uber's H3 whose cell ids equal the reference
//! library's): points to cells at a resolution, counts (optionally weighted or per category),
//! GeoJSON hexagons, and a region's cover.
//!
//! Coordinates are WGS84 degrees; convert GCJ-02 / BD-09 first ([`crate::crs`]).

use crate::error::{Error, Result};
use crate::model::Region;
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// A resolution from 0 to 15, else an [`Error::Table`] naming the value.
pub fn resolution(res: u8) -> Result<Resolution> {
    Resolution::try_from(res).map_err(|_| Error::Table {
        source_name: "H3 resolution".into(),
        reason: format!("{res} is not a resolution (0 to 15)"),
    })
}

/// The cell of a WGS84 point, `None` for NaN, infinite or out-of-range coordinates.
pub fn cell_of(lon: f64, lat: f64, res: Resolution) -> Option<CellIndex> {
    if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return None;
    }
    LatLng::new(lat, lon).ok().map(|p| p.to_cell(res))
}

/// Cells of many points, in parallel (`None` where [`cell_of`] gives none).
pub fn cells_of(lons: &[f64], lats: &[f64], res: Resolution) -> Result<Vec<Option<CellIndex>>> {
    Error::check_lengths(lons, lats)?;
    Ok(lons
        .par_iter()
        .zip(lats.par_iter())
        .with_min_len(4_096)
        .map(|(&x, &y)| cell_of(x, y, res))
        .collect())
}

/// Sum of `weights` (1 each without weights) per cell, sorted by cell id; points without a
/// cell are left out.
pub fn aggregate(
    lons: &[f64],
    lats: &[f64],
    weights: Option<&[f64]>,
    res: Resolution,
) -> Result<Vec<(CellIndex, f64)>> {
    if let Some(w) = weights {
        if w.len() != lons.len() {
            return Err(Error::LengthMismatch {
                left_name: "lons",
                left: lons.len(),
                right_name: "weights",
                right: w.len(),
            });
        }
    }
    let cells = cells_of(lons, lats, res)?;
    let sums = cells
        .par_iter()
        .enumerate()
        .with_min_len(4_096)
        .fold(HashMap::<CellIndex, f64>::new, |mut m, (i, c)| {
            if let Some(c) = c {
                *m.entry(*c).or_default() += weights.map_or(1.0, |w| w[i]);
            }
            m
        })
        .reduce(HashMap::new, merge_sum);
    let mut out: Vec<(CellIndex, f64)> = sums.into_iter().collect();
    out.sort_unstable_by_key(|(c, _)| *c);
    Ok(out)
}

fn merge_sum<K: std::hash::Hash + Eq, V: std::ops::AddAssign + Copy>(
    mut a: HashMap<K, V>,
    b: HashMap<K, V>,
) -> HashMap<K, V> {
    if a.len() < b.len() {
        return merge_sum(b, a);
    }
    for (k, v) in b {
        a.entry(k).and_modify(|x| *x += v).or_insert(v);
    }
    a
}

/// Case counts per cell, and per category within each cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellCounts {
    /// Count per cell.
    pub counts: HashMap<CellIndex, u64>,
    /// Count per (cell, category id).
    pub by_category: HashMap<(CellIndex, u32), u64>,
}

impl CellCounts {
    /// Adds another set of counts.
    pub fn merge(&mut self, other: CellCounts) {
        let a = std::mem::take(&mut self.counts);
        self.counts = merge_sum(a, other.counts);
        let b = std::mem::take(&mut self.by_category);
        self.by_category = merge_sum(b, other.by_category);
    }

    /// Counts one batch of WGS84 points with their category ids (`u32::MAX` = none).
    pub fn count(
        lons: &[f64],
        lats: &[f64],
        categories: &[u32],
        res: Resolution,
    ) -> Result<CellCounts> {
        let cells = cells_of(lons, lats, res)?;
        Ok(cells
            .par_iter()
            .zip(categories.par_iter())
            .with_min_len(4_096)
            .fold(CellCounts::default, |mut m, (c, &cat)| {
                if let Some(c) = c {
                    *m.counts.entry(*c).or_default() += 1;
                    if cat != u32::MAX {
                        *m.by_category.entry((*c, cat)).or_default() += 1;
                    }
                }
                m
            })
            .reduce(CellCounts::default, |mut a, b| {
                a.merge(b);
                a
            }))
    }

    /// The cells sorted by id with their counts.
    pub fn sorted(&self) -> Vec<(CellIndex, u64)> {
        let mut v: Vec<_> = self.counts.iter().map(|(c, n)| (*c, *n)).collect();
        v.sort_unstable_by_key(|(c, _)| *c);
        v
    }

    /// A GeoJSON FeatureCollection of hexagons: properties `h3` (the id as the reference
    /// library writes it), `count`, and `by_category` (category name → count) when categories
    /// were given; `category_names[id]` names category ids.
    pub fn to_geojson(&self, category_names: &[String]) -> Value {
        let mut per_cell: HashMap<CellIndex, Map<String, Value>> = HashMap::new();
        for (&(c, cat), &n) in &self.by_category {
            if let Some(name) = category_names.get(cat as usize) {
                per_cell
                    .entry(c)
                    .or_default()
                    .insert(name.clone(), json!(n));
            }
        }
        let features = self
            .sorted()
            .into_iter()
            .map(|(c, n)| {
                let mut props = Map::new();
                props.insert("h3".into(), json!(c.to_string()));
                props.insert("count".into(), json!(n));
                if let Some(m) = per_cell.remove(&c) {
                    let sorted: std::collections::BTreeMap<_, _> = m.into_iter().collect();
                    props.insert("by_category".into(), json!(sorted));
                }
                hexagon_feature(c, props)
            })
            .collect::<Vec<_>>();
        json!({"type": "FeatureCollection", "features": features})
    }
}

/// One hexagon (or pentagon) as a GeoJSON Feature: its boundary as a closed, counter-clockwise
/// ring of [lon, lat] (h3o's vertex order), and `properties`.
pub fn hexagon_feature(cell: CellIndex, properties: Map<String, Value>) -> Value {
    let mut ring: Vec<[f64; 2]> = cell.boundary().iter().map(|p| [p.lng(), p.lat()]).collect();
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    json!({
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": properties,
    })
}

/// The cells of resolution `res` whose centres lie in the region (h3o's tiler,
/// `ContainsCentroid`: regions that share a border share no cell), sorted by id. Regions
/// smaller than a cell may get none; see `h3o::geom::ContainmentMode` for other rules.
pub fn cover(region: &Region, res: Resolution) -> Result<Vec<CellIndex>> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    for polygon in &region.geometry.0 {
        tiler.add(polygon.clone()).map_err(|e| Error::Table {
            source_name: format!("H3 cover of {}", region.code),
            reason: e.to_string(),
        })?;
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    cells.dedup();
    Ok(cells)
}

/// [`cover`] of every region of one level, in parallel, in id order.
pub fn cover_level(
    city: &crate::City,
    level: usize,
    res: Resolution,
) -> Result<Vec<(crate::RegionId, Vec<CellIndex>)>> {
    let regions: Vec<_> = city.level_regions(level).collect();
    regions
        .par_iter()
        .map(|(id, r)| cover(r, res).map(|cells| (*id, cells)))
        .collect()
}
