//! Planner tools: edit unit grids as transactions, preview what an edit set breaks and moves,
//! commit it as a new immutable version, diff and roll back versions.
//!
//! # Edits
//! [`Edit`] has five operations on the deepest level (unit grids): [`Edit::Split`] along a
//! polyline, [`Edit::Merge`] of adjacent grids of one community, [`Edit::Reshape`] of the
//! shared border of two grids onto a new polyline, [`Edit::Reassign`] of a grid to another
//! community (the ancestors' shapes follow), and [`Edit::Replace`] of a grid's shape. Edits
//! come as a set, applied in order; as JSON:
//!
//! ```json
//! [{"op": "split", "grid": "420103001001003", "line": [[114.27, 30.58], [114.28, 30.59]]},
//!  {"op": "merge", "grids": ["420103001001004", "420103001001005"]}]
//! ```
//!
//! # Preview, commit, versions
//! [`History::preview`] applies a set to the current version and returns a [`Preview`]: the
//! candidate city, the validation findings about the touched regions and their parents
//! ([`crate::validate`] rules: overlaps, gaps, parts outside the parent, slivers, area range,
//! codes), the code changes, and the impact ([`Preview::impact`] gathers it): [`Preview::diff`]
//! (areas before and after), [`Preview::moved_assets`], [`Preview::moved_resources`], [`Preview::home_grid_changes`]
//! and [`Preview::moved_points`] for a table of cases. [`History::commit`] makes a valid
//! preview the next version; [`History::rollback`] makes an old version's city current again
//! as a new version; [`crate::dispatch::Dispatcher::with_city`] moves a dispatcher onto it.
//! Versions are immutable `Arc`s: a reader holding one keeps it, and a
//! failed or invalid edit set changes nothing. [`diff`] compares any two cities by code;
//! [`History::save`] / [`History::load`] keep the versions as snapshots plus `history.json`.
//!
//! # Codes
//! New grids get standard codes: the community's code plus the next serial after every serial
//! in use or retired in that community (so a retired code is never handed out again unless
//! [`PlanOptions::reuse_retired_codes`]); parts of a split are numbered in reading order
//! (north→south, west→east). Codes may also be given in the edit. Cities with free-form codes
//! must give them.
//!
//! # Geometry
//! Cuts, unions and differences use i_overlay (through geo). Their output vertices are put back
//! exactly on the input vertices they came from, and each new vertex that lies on a border
//! shared with a neighbour (where a cut line meets it) is inserted into the neighbour's border
//! too ([`crate::synth::stitch`]), so the two sides stay identical and the one-owner rule holds
//! with no point falling between them. The candidate is then built with [`crate::City::build`]
//! (every build check) and a new point-location index.
//!
//! ```
//! use std::sync::Arc;
//! use wangge::plan::{Edit, History, PlanOptions};
//! use wangge::prelude::*;
//! # let square = |x0: f64, y0: f64, x1: f64, y1: f64| vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]];
//! # let region = |code: &str, parent: Option<&str>, g| RegionInput { code: code.into(), name: String::new(), parent: parent.map(Into::into), geometry: g };
//! // A community of two 0.001° × 0.001° grids (about 100 m × 110 m each).
//! let city = City::build(vec![
//!     LevelInput { name: "community".into(), regions: vec![
//!         region("420103001001", None, square(114.0, 30.0, 114.002, 30.001))] },
//!     LevelInput { name: "grid".into(), regions: vec![
//!         region("420103001001001", Some("420103001001"), square(114.0, 30.0, 114.001, 30.001)),
//!         region("420103001001002", Some("420103001001"), square(114.001, 30.0, 114.002, 30.001))] },
//! ], &BuildOptions::default())?;
//! let history = History::new(city, PlanOptions::default());
//! let held = history.current(); // a reader keeps version 1
//! let preview = history.preview(vec![Edit::Merge {
//!     grids: vec!["420103001001001".into(), "420103001001002".into()], code: None }])?;
//! assert!(preview.is_valid());
//! assert_eq!(preview.codes().created, ["420103001001003"]);
//! let v2 = history.commit(preview, "merge two quiet grids")?;
//! assert_eq!(v2.city().locate(114.0015, 30.0005).unwrap().leaf().code, "420103001001003");
//! assert_eq!(held.city().locate(114.0015, 30.0005).unwrap().leaf().code, "420103001001002");
//! # Ok::<(), wangge::Error>(())
//! ```

mod check;
mod diff;
mod draft;
mod edit;
mod history;
mod impact;
mod preview;
mod shapes;
#[cfg(test)]
mod tests;

pub use diff::{diff, Change, Diff, RegionDiff};
pub use edit::Edit;
pub use history::{History, Version};
pub use impact::{HomeGridChange, HomeGridEffect, ImpactReport, OwnerChange};
pub use preview::{CodeChanges, Preview};

use crate::validate::ValidateOptions;
use serde::{Deserialize, Serialize};

/// How edits are checked and codes handed out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanOptions {
    /// Allow new grids to take codes retired earlier (default false: a retired code is never
    /// used again, so old records cannot be confused with a new grid).
    pub reuse_retired_codes: bool,
    /// Thresholds of the validation run on the touched regions (the code scheme is the
    /// city's).
    pub validate: ValidateOptions,
    /// How far (m) a grid may stick out of its parent before the candidate fails to build
    /// (as [`crate::BuildOptions::parent_tolerance_m`]).
    pub parent_tolerance_m: f64,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            reuse_retired_codes: false,
            validate: ValidateOptions::default(),
            parent_tolerance_m: 1.0,
        }
    }
}
