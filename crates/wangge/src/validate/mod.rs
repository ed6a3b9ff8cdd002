//! Validation report for a partition: everything wrong with a set of levels, not just the first
//! problem.
//!
//! [`City::build`](crate::City::build) stops at the first error. Planners redrawing grid
//! boundaries need the whole list before they commit, so [`validate_levels`] works on the raw
//! [`LevelInput`]s (messy data included), never fails, and returns a [`Report`] of
//! [`Finding`]s, each with a [`Severity`], the codes involved, the level, the feature index and
//! a geometry that shows where the problem is (drawn by [`Report::to_geojson`]).
//!
//! # Findings
//! | kind | severity | rule (defaults in [`ValidateOptions`]) |
//! |---|---|---|
//! | [`FindingKind::BadCoordinate`] | error | NaN/∞ or outside ±180°/±90° (feature skipped afterwards) |
//! | [`FindingKind::RingTooShort`] | error | a ring with fewer than 4 positions (feature skipped afterwards) |
//! | [`FindingKind::RingNotClosed`] | error | first position ≠ last (closed for the later checks) |
//! | [`FindingKind::Spike`] | error / warning | error: the ring turns back on itself exactly (a→b→a, collinear reversal); warning: an interior angle under `spike_angle_deg` (1°) |
//! | [`FindingKind::SelfIntersection`] | error | geo's OGC validity check (self-intersection, hole outside shell, overlapping parts); not run on features with an exact spike |
//! | [`FindingKind::Overlap`] | error | two features of one level (siblings or not) share more than `overlap_min_area_m2` (0.1 m²); geometry = the overlap |
//! | [`FindingKind::Gap`] | error | part of a parent with children that no child covers, over `gap_min_area_m2` (0.1 m²); parents without any child are not subdivided and not checked |
//! | [`FindingKind::OutsideParent`] | error | part of the children's union outside their parent, over `gap_min_area_m2` |
//! | [`FindingKind::UnknownParent`] | error | a named parent code missing from the level above |
//! | [`FindingKind::NoParent`] | error | no parent named and no region of the level above contains the feature's interior point |
//! | [`FindingKind::Sliver`] | warning | a polygon part under `sliver_area_m2` (1 m²) or with Polsby–Popper thinness 4πA/P² under `sliver_thinness` (0.1; a 1:30 rectangle) |
//! | [`FindingKind::AreaOutOfRange`] | warning / error | unit grids only (standard scheme: 15- or 14-digit codes; free scheme: the deepest level): area outside `area_warn_m2` (2,500–40,000 m², a factor 4 around the standard's ~10,000 m²) warns, outside `area_error_m2` (500–250,000 m²) is an error |
//! | [`FindingKind::CodeFormat`] | error | empty code; with [`CodeScheme::Standard`], not a GB/T 30428.1 code ([`CodeKind::of`](crate::codes::CodeKind::of)) |
//! | [`FindingKind::DuplicateCode`] | error | a code used before (anywhere in the city) |
//! | [`FindingKind::CodePrefix`] | error | standard scheme: the code does not extend its parent's ([`check_extends`](crate::codes::check_extends)) |
//! | [`FindingKind::SerialOrder`] | warning | standard scheme, see below |
//! | [`FindingKind::CheckStopped`] | error | the validity checks of a level used up its work budget ([`ValidityBudget`](crate::model::geometry::ValidityBudget), the one [`City::build`](crate::City::build) has): contrived geometry such as thousands of thin rings whose boxes overlap; one finding per level, naming the feature it stopped in; features checked after it get no `self_intersection` finding |
//!
//! # Serial order
//! GB/T 30428.1 numbers siblings west→east, north→south (reading order). Siblings are the
//! standard codes of one level with the same code minus the last 3 digits (streets of a
//! district, communities of a street, grids of a community). Sorted by serial, each consecutive
//! pair `a` (smaller serial) and `b` is out of order when `b` reads clearly before `a`:
//! `b`'s centroid lies north of `a`'s whole bounding box, or the two are in one row (each
//! centroid within the other's latitude range) and `b`'s centroid lies west of `a`'s whole
//! bounding box. The geometry is the line from `a`'s centroid to `b`'s. Boundaries of real
//! cells are irregular, so this is a warning, never an error.
//!
//! # Speed
//! Candidate overlapping pairs come from an R-tree over bounding boxes; overlaps, gaps and
//! parts outside parents are computed with geo's boolean operations (i_overlay) on the pairs
//! and, per parent, on the union of its children; features are checked in parallel (rayon).

mod codes;
mod coverage;
mod overlaps;
mod render;
mod rings;
mod sizes;
#[cfg(test)]
mod tests;

use crate::model::{CodeScheme, LevelInput};
use geo::{BoundingRect, Geometry, MultiPolygon, Rect};
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The partition is not valid under the standard; `wangge validate` exits non-zero.
    Error,
    /// Worth a look; the partition is still valid.
    Warning,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What kind of problem a finding is (see the module docs for each rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A NaN, infinite or out-of-range coordinate.
    BadCoordinate,
    /// A ring with fewer than 4 positions.
    RingTooShort,
    /// A ring whose last position differs from its first.
    RingNotClosed,
    /// A ring turning back on itself, or a needle-sharp angle.
    Spike,
    /// An invalid polygon: self-intersection, hole outside its shell, overlapping parts.
    SelfIntersection,
    /// Two features of one level overlap.
    Overlap,
    /// Part of a parent covered by none of its children.
    Gap,
    /// Part of a child outside its parent.
    OutsideParent,
    /// A named parent code that the level above does not have.
    UnknownParent,
    /// No parent named and none contains the feature.
    NoParent,
    /// A tiny or very thin polygon part.
    Sliver,
    /// A unit grid's area outside the configured range.
    AreaOutOfRange,
    /// A malformed code.
    CodeFormat,
    /// A code used twice.
    DuplicateCode,
    /// A code that does not extend its parent's.
    CodePrefix,
    /// Serials not in west→east, north→south order.
    SerialOrder,
    /// The polygon validity check of a level ran out of its work budget (contrived geometry);
    /// the feature it stopped in, and any later one, is not checked for self-intersection.
    CheckStopped,
}

impl FindingKind {
    /// The snake_case name used in the text, JSON and GeoJSON output.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::BadCoordinate => "bad_coordinate",
            FindingKind::RingTooShort => "ring_too_short",
            FindingKind::RingNotClosed => "ring_not_closed",
            FindingKind::Spike => "spike",
            FindingKind::SelfIntersection => "self_intersection",
            FindingKind::Overlap => "overlap",
            FindingKind::Gap => "gap",
            FindingKind::OutsideParent => "outside_parent",
            FindingKind::UnknownParent => "unknown_parent",
            FindingKind::NoParent => "no_parent",
            FindingKind::Sliver => "sliver",
            FindingKind::AreaOutOfRange => "area_out_of_range",
            FindingKind::CodeFormat => "code_format",
            FindingKind::DuplicateCode => "duplicate_code",
            FindingKind::CodePrefix => "code_prefix",
            FindingKind::SerialOrder => "serial_order",
            FindingKind::CheckStopped => "check_stopped",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What is wrong.
    pub kind: FindingKind,
    /// How bad it is.
    pub severity: Severity,
    /// The codes involved (the feature's own first; both for overlaps and serial pairs; the
    /// parent for gaps).
    pub codes: Vec<String>,
    /// The level's name.
    pub level: String,
    /// Index of the feature in its level's input, when one feature is concerned.
    pub feature: Option<usize>,
    /// A human-readable explanation.
    pub message: String,
    /// Where: the overlap, the gap, the offending ring or vertex, the feature (WGS84).
    #[serde(serialize_with = "render::serialize_geometry")]
    pub geometry: Option<Geometry<f64>>,
    /// The measured quantity when there is one (area in m², thinness, angle in degrees).
    pub value: Option<f64>,
}

/// Thresholds of the checks. The defaults are documented on each field and in the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidateOptions {
    /// Standard: GB/T 30428.1 code format, prefix of the parent and serial order are checked.
    /// Free: only non-empty and unique codes.
    pub code_scheme: CodeScheme,
    /// Overlaps of at most this area (m²) are ignored. Default 0.1.
    pub overlap_min_area_m2: f64,
    /// Gaps and parts outside the parent of at most this area (m²) are ignored. Default 0.1.
    pub gap_min_area_m2: f64,
    /// A polygon part smaller than this (m²) is a sliver. Default 1.
    pub sliver_area_m2: f64,
    /// A polygon part with Polsby–Popper thinness 4πA/P² below this is a sliver (1 = disc,
    /// ≈ 0.785 square, ≈ 0.1 a 1:30 rectangle). Default 0.1.
    pub sliver_thinness: f64,
    /// Unit grids (the deepest level) outside `[min, max]` m² get a warning. Default
    /// 2,500–40,000.
    pub area_warn_m2: (f64, f64),
    /// Unit grids outside `[min, max]` m² get an error. Default 500–250,000.
    pub area_error_m2: (f64, f64),
    /// An interior angle (degrees, measured in a local metric frame) below this is a spike
    /// warning. Default 1.
    pub spike_angle_deg: f64,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            code_scheme: CodeScheme::Standard,
            overlap_min_area_m2: 0.1,
            gap_min_area_m2: 0.1,
            sliver_area_m2: 1.0,
            sliver_thinness: 0.1,
            area_warn_m2: (2_500.0, 40_000.0),
            area_error_m2: (500.0, 250_000.0),
            spike_angle_deg: 1.0,
        }
    }
}

/// Everything found, errors first, then by level, kind and codes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Level names, top first.
    pub levels: Vec<String>,
    /// Number of features checked per level.
    pub features: Vec<usize>,
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// True when some finding is an error (the partition is not valid).
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// The findings of one kind.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }
}

/// One input feature after the ring checks: its usable geometry (if any) and its place.
pub(crate) struct Feature {
    pub level: usize,
    pub index: usize,
    pub code: String,
    /// Checked geometry (rings closed, exteriors counter-clockwise); `None` when unusable.
    pub geometry: Option<MultiPolygon<f64>>,
    pub bbox: Option<Rect<f64>>,
    /// Index (in the level above) of the parent, when found.
    pub parent: Option<usize>,
}

impl Feature {
    fn new(level: usize, index: usize, code: String, geometry: Option<MultiPolygon<f64>>) -> Self {
        let bbox = geometry.as_ref().and_then(|g| g.bounding_rect());
        Feature {
            level,
            index,
            code,
            geometry,
            bbox,
            parent: None,
        }
    }
}

/// Collects findings with the level names at hand.
pub(crate) struct Sink<'a> {
    names: &'a [String],
    findings: Vec<Finding>,
}

impl Sink<'_> {
    /// A finding about one feature.
    #[allow(clippy::too_many_arguments)]
    pub fn feature(
        &mut self,
        f: &Feature,
        kind: FindingKind,
        severity: Severity,
        codes: Vec<String>,
        message: String,
        geometry: Option<Geometry<f64>>,
        value: Option<f64>,
    ) {
        self.findings.push(Finding {
            kind,
            severity,
            codes,
            level: self.names[f.level].clone(),
            feature: Some(f.index),
            message,
            geometry,
            value,
        });
    }

    /// Adds findings built elsewhere.
    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.findings.extend(findings);
    }

    /// The level's name.
    pub fn level_name(&self, level: usize) -> &str {
        &self.names[level]
    }
}

/// Validates levels given top first (the inputs of [`City::build`](crate::City::build)) and
/// reports every problem found; never fails. See the module docs for the checks.
pub fn validate_levels(levels: &[LevelInput], options: &ValidateOptions) -> Report {
    let names: Vec<String> = levels.iter().map(|l| l.name.clone()).collect();
    let mut sink = Sink {
        names: &names,
        findings: Vec::new(),
    };
    let mut features: Vec<Vec<Feature>> = Vec::with_capacity(levels.len());
    for (level, input) in levels.iter().enumerate() {
        let (feats, found) = rings::check_level(level, input, options);
        sink.extend(found);
        features.push(feats);
    }
    for level in 1..levels.len() {
        let (above, this) = features.split_at_mut(level);
        coverage::assign_parents(
            &levels[level],
            &above[level - 1],
            this[0].as_mut_slice(),
            &mut sink,
        );
    }
    codes::check(&features, options, &mut sink);
    for (level, level_features) in features.iter().enumerate() {
        sink.extend(overlaps::check(level_features, &names, options));
        sizes::check(
            level_features,
            level + 1 == levels.len(),
            options,
            &mut sink,
        );
    }
    for level in 1..levels.len() {
        sink.extend(coverage::check(
            &features[level - 1],
            &features[level],
            &names,
            options,
        ));
    }
    let mut findings = sink.findings;
    findings.sort_by(|a, b| {
        (
            a.severity,
            levels_pos(&names, &a.level),
            a.kind,
            &a.codes,
            a.feature,
        )
            .cmp(&(
                b.severity,
                levels_pos(&names, &b.level),
                b.kind,
                &b.codes,
                b.feature,
            ))
    });
    Report {
        levels: names.clone(),
        features: levels.iter().map(|l| l.regions.len()).collect(),
        findings,
    }
}

fn levels_pos(names: &[String], level: &str) -> usize {
    names.iter().position(|n| n == level).unwrap_or(usize::MAX)
}
