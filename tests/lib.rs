//! Shared helpers for the cross-cutting tests: the conformance case format and an independent
//! brute-force owner oracle.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use wangge::{City, Crs};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A conformance file: one dataset and the expected owners of some points.
#[derive(Debug, Deserialize)]
pub struct ConformanceFile {
    /// Dataset name.
    pub dataset: String,
    /// Manifest path relative to the repository root.
    pub manifest: String,
    /// What the file covers.
    pub description: String,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One point and its expected chain of codes (top level first), or `None` for no owner.
#[derive(Debug, Deserialize)]
pub struct Case {
    /// Longitude in `crs`.
    pub lon: f64,
    /// Latitude in `crs`.
    pub lat: f64,
    /// CRS of the point.
    pub crs: Crs,
    /// Expected chain.
    pub expect: Option<Vec<String>>,
    /// Why the case is there.
    pub note: String,
}

/// The chain of codes the city gives for a case.
pub fn chain_codes(city: &City, crs: Crs, lon: f64, lat: f64) -> Option<Vec<String>> {
    city.locate_in(crs, lon, lat)
        .map(|hit| hit.chain().iter().map(|r| r.code.clone()).collect())
}

/// Independent oracle: geo's own point-in-polygon (`Contains`, boundary excluded, so use it on
/// points off every boundary), deepest level first, lowest code first, over every region.
pub fn oracle_owner(city: &City, boxes: &[geo::Rect<f64>], lon: f64, lat: f64) -> Option<u32> {
    use geo::Contains;
    let p = geo::Point::new(lon, lat);
    city.level_ranges().iter().rev().find_map(|range| {
        range.clone().find(|&i| {
            let b = boxes[i as usize];
            b.min().x <= lon
                && lon <= b.max().x
                && b.min().y <= lat
                && lat <= b.max().y
                && city.regions()[i as usize].geometry.contains(&p)
        })
    })
}

/// Bounding boxes of every region, for [`oracle_owner`].
pub fn boxes(city: &City) -> Vec<geo::Rect<f64>> {
    use geo::BoundingRect;
    city.regions()
        .iter()
        .map(|r| r.geometry.bounding_rect().expect("regions are non-empty"))
        .collect()
}
