//! Synthetic case tables (案卷) for tests and benchmarks, deterministic for a seed.
//!
//! Points uniform in the bounding box of the city's top level, grown by 2 % on each side (so
//! some fall outside), categories drawn from a list, reports spread over 2025, a time limit in
//! hours, and a status mix: 5 % 待受理, 5 % 作废, 15 % 处理中 (open), 10 % 核查结案, 65 % 结案.
//! Handled cases get `closed_at` between half an hour and twice their limit after the report
//! (so about half are late) and 8 % of them a rework count of 1 or 2. Columns: `id, lon, lat,
//! category, reported_at, time_limit_h, closed_at, status, rework` (WGS84).

use super::super::analytics::time::format_timestamp;
use crate::error::{Error, Result};
use crate::model::City;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// How to generate cases.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSpec {
    /// Number of cases.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// Category codes to draw from (uniformly).
    pub categories: Vec<String>,
}

impl Default for CaseSpec {
    fn default() -> Self {
        CaseSpec {
            n: 1_000,
            seed: 1,
            categories: ["0103", "0102", "0118", "0114", "0305", "200501", "200103"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Writes `spec.n` cases as CSV (module docs) to `out`.
pub fn write_cases<W: Write>(city: &City, spec: &CaseSpec, out: W) -> Result<()> {
    let io = |e: &dyn std::fmt::Display| Error::Io {
        path: "synthetic cases".into(),
        reason: e.to_string(),
    };
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (_, r) in city.level_regions(0) {
        use geo::BoundingRect;
        if let Some(b) = r.geometry.bounding_rect() {
            x0 = x0.min(b.min().x);
            y0 = y0.min(b.min().y);
            x1 = x1.max(b.max().x);
            y1 = y1.max(b.max().y);
        }
    }
    if x0 > x1 || spec.categories.is_empty() {
        return Err(Error::Generate(
            "synthetic cases need a city with regions and at least one category".into(),
        ));
    }
    let (dx, dy) = ((x1 - x0) * 0.02, (y1 - y0) * 0.02);
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "lon",
        "lat",
        "category",
        "reported_at",
        "time_limit_h",
        "closed_at",
        "status",
        "rework",
    ])
    .map_err(|e| io(&e))?;
    let year_start = 1_735_689_600i64; // 2025-01-01 00:00:00
    let limits = [2u32, 4, 24, 72];
    for i in 0..spec.n {
        let lon = rng.random_range(x0 - dx..x1 + dx);
        let lat = rng.random_range(y0 - dy..y1 + dy);
        let category = &spec.categories[rng.random_range(0..spec.categories.len())];
        let reported = year_start + rng.random_range(0..365 * 86_400i64);
        let limit = limits[rng.random_range(0..limits.len())];
        let (status, handled) = match rng.random_range(0..100) {
            0..5 => ("待受理", false),
            5..10 => ("作废", false),
            10..25 => ("处理中", false),
            25..35 => ("核查结案", true),
            _ => ("结案", true),
        };
        let closed = if handled {
            let span = rng.random_range(1_800..=i64::from(limit) * 7_200);
            format_timestamp(reported + span)
        } else {
            String::new()
        };
        let rework = if handled && rng.random_range(0..100) < 8 {
            rng.random_range(1..=2u32)
        } else {
            0
        };
        w.write_record([
            format!("C{i:08}"),
            format!("{lon:.7}"),
            format!("{lat:.7}"),
            category.clone(),
            format_timestamp(reported),
            limit.to_string(),
            closed,
            status.to_string(),
            rework.to_string(),
        ])
        .map_err(|e| io(&e))?;
    }
    w.flush().map_err(|e| io(&e))
}
