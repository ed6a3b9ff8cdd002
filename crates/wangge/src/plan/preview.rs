//! An edit set applied to a version: the candidate city, its validation and its impact.

use super::check;
use super::draft::Draft;
use super::edit::Edit;
use super::history::Version;
use super::PlanOptions;
use crate::error::{Error, Result};
use crate::model::{BuildOptions, City};
use crate::validate::Report;
use geo::Rect;
use serde::Serialize;
use std::sync::Arc;

/// What an edit set does to the codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CodeChanges {
    /// New codes.
    pub created: Vec<String>,
    /// Codes removed (never handed out again unless
    /// [`PlanOptions::reuse_retired_codes`]).
    pub retired: Vec<String>,
    /// Codes kept whose shape or parent changed.
    pub changed: Vec<String>,
    /// Codes kept whose border only gained a vertex that a neighbour's edit put on it (the
    /// shape moves by less than 1e-9°).
    pub stitched: Vec<String>,
}

/// The result of [`super::History::preview`]: the city the edits would make, checked.
///
/// Nothing is committed: the version it was made from is unchanged, and readers keep seeing it
/// until [`super::History::commit`].
#[derive(Debug, Clone)]
pub struct Preview {
    pub(crate) base: Arc<Version>,
    pub(crate) city: City,
    pub(crate) edits: Vec<Edit>,
    pub(crate) report: Report,
    pub(crate) codes: CodeChanges,
    pub(crate) envelope: Option<Rect<f64>>,
}

impl Preview {
    /// Applies `edits` to `base` in order, builds the candidate city and validates the edits'
    /// neighbourhood.
    ///
    /// Errors (nothing changes anywhere): an edit that cannot be applied ([`Error::Edit`]:
    /// unknown code, a line that misses its grid, grids of different communities, a code in
    /// use…). A candidate that breaks the partition (overlaps, gaps, parts outside the parent,
    /// invalid rings, areas out of range…) is returned with those findings in
    /// [`Preview::report`] (its city is built without the build's own checks, for drawing);
    /// [`super::History::commit`] refuses it. A candidate without error findings must also
    /// pass every check of [`City::build`], else [`Error::Edit`] wraps the build error.
    pub fn new(base: Arc<Version>, edits: Vec<Edit>, options: &PlanOptions) -> Result<Preview> {
        let mut draft = Draft::new(base.city(), base.retired(), options);
        for (i, edit) in edits.iter().enumerate() {
            draft.apply(i, edit)?;
        }
        draft.stitch_neighbourhood()?;
        let report = check::check(base.city(), &draft, &options.validate);
        // A candidate with findings is built leniently, so the report reaches the planner; a
        // clean one must also pass every check of the build.
        let strict = !report.has_errors();
        let build = BuildOptions {
            code_scheme: draft.scheme,
            parent_tolerance_m: if strict {
                options.parent_tolerance_m
            } else {
                f64::INFINITY
            },
            check_validity: strict,
        };
        let mut city = City::build(draft.to_levels(), &build).map_err(|e| Error::Edit {
            edit: edits.len().saturating_sub(1),
            op: edits.last().map_or("edit", Edit::op),
            reason: format!("the edited city does not build: {e}"),
        })?;
        city.set_converter(*base.city().converter());
        let codes = CodeChanges {
            created: draft.created.iter().cloned().collect(),
            retired: draft.retired.iter().cloned().collect(),
            changed: draft.changed.iter().cloned().collect(),
            stitched: draft.stitched.iter().cloned().collect(),
        };
        let envelope = draft.envelope();
        Ok(Preview {
            base,
            city,
            edits,
            report,
            codes,
            envelope,
        })
    }

    /// The version the edits were applied to.
    pub fn base(&self) -> &Arc<Version> {
        &self.base
    }

    /// The candidate city.
    pub fn city(&self) -> &City {
        &self.city
    }

    /// The edits, in order.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Validation findings about the touched regions and their parents.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// True when the report has no error, so the preview can be committed.
    pub fn is_valid(&self) -> bool {
        !self.report.has_errors()
    }

    /// Codes created, retired, changed and stitched.
    pub fn codes(&self) -> &CodeChanges {
        &self.codes
    }

    /// Bounding box of everything the edits touched (old and new shapes); points outside it
    /// keep their owners.
    pub fn envelope(&self) -> Option<Rect<f64>> {
        self.envelope
    }

    /// Whether the point may change owner (inside the envelope).
    pub(crate) fn may_move(&self, lon: f64, lat: f64) -> bool {
        self.envelope.is_some_and(|r| {
            let tol = crate::synth::STITCH_TOLERANCE_DEG;
            lon >= r.min().x - tol
                && lon <= r.max().x + tol
                && lat >= r.min().y - tol
                && lat <= r.max().y + tol
        })
    }
}
