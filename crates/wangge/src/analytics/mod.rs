//! Case analytics (案卷统计): counts and evaluation indicators per region of every level and per
//! department, and H3 hexagon counts, from a case table of any length.
//!
//! - [`cases`]: the case table's columns (which figure needs which), row checks with line
//!   numbers, a streaming CSV reader.
//! - [`join`]: [`Analyst::case_stats`] reads the table in chunks; each chunk is converted to
//!   WGS84, located with [`crate::City::locate_many_parallel`] and tallied over the rayon pool;
//!   each case's department is its `department` value or, with a [`crate::dispatch::Dispatcher`],
//!   the dispatch rule's ([`crate::dispatch::DepartmentTable::resolve`]). Region tallies are
//!   kept per owner and added up the chain once at the end.
//! - [`indicators`]: 处置率, 按期处置率, 超期处置数, 返工率, 结案率 with their formulas.
//! - [`h3`]: H3 cell counts, GeoJSON hexagons, region covers.
//! - [`hotspots`]: repeat-case hot spots (反复发生案件): cases of one category within R metres
//!   (geodesic) and T days of each other, linked into clusters, ranked with the regions of
//!   every level and the assets they repeat at.
//! - [`svg`]: a choropleth map of one level.
//! - [`time`]: the timestamp formats.
//!
//! ```
//! use wangge::analytics::{Analyst, StatsOptions, Indicator};
//! use wangge::prelude::*;
//! let square = vec![vec![vec![[114.25, 30.55], [114.26, 30.55], [114.26, 30.56],
//!     [114.25, 30.56], [114.25, 30.55]]]];
//! let city = City::build(vec![LevelInput { name: "district".into(), regions: vec![
//!     RegionInput { code: "420103".into(), name: "江汉区".into(), parent: None,
//!                   geometry: square }] }], &BuildOptions::default())?;
//! let csv = "lon,lat,status,closed_at\n114.255,30.555,结案,2025-06-01 10:00\n\
//!            114.255,30.556,处理中,\n0,0,6,2025-06-02\n";
//! let stats = Analyst::new(&city).case_stats("cases.csv", csv.as_bytes(), &StatsOptions::default())?;
//! assert_eq!(stats.regions[0].cases, 2);
//! assert_eq!(stats.outside.cases, 1);
//! assert_eq!(Indicator::HandlingRate.value(&stats.regions[0]), Some(0.5));
//! # Ok::<(), wangge::Error>(())
//! ```

pub mod cases;
pub mod h3;
pub mod hotspots;
pub mod indicators;
pub mod join;
pub mod svg;
pub mod time;

#[cfg(test)]
mod hotspots_tests;
#[cfg(test)]
mod tests;

pub use cases::{CaseColumns, RowProblem, Status};
pub use hotspots::{Cluster, HotspotFinder, HotspotOptions, HotspotReport, Linkage};
pub use indicators::{Indicator, Tally};
pub use join::{Analyst, CaseStats, DepartmentStats, StatsOptions};
