//! Building a [`City`] from per-level inputs, with every check that names feature and code.

use super::geometry::{
    check_valid_within, repair, to_multipolygon, RawMultiPolygon, ValidityBudget,
};
use super::{City, Region, RegionId};
use crate::codes::{check_extends, CodeKind};
use crate::error::{Error, Location, Result};
use crate::locate::{Locator, PreparedRegion, RTreeLocator};
use geo::orient::{Direction, Orient};
use geo::{Distance, Geodesic, GeodesicArea, InteriorPoint, MultiPolygon, Point};
use rayon::prelude::*;
use rstar::RTree;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// How region codes are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeScheme {
    /// GB/T 30428.1 codes: 6/9/12/14/15 digits, each child's code extends its parent's.
    #[default]
    Standard,
    /// Any non-empty string; only uniqueness is checked (non-Chinese data).
    #[serde(alias = "free-form", alias = "freeform")]
    Free,
}

impl CodeScheme {
    /// `Standard` when every code is a valid GB/T 30428.1 code, `Free` otherwise.
    pub fn infer<'a>(mut codes: impl Iterator<Item = &'a str>) -> CodeScheme {
        if codes.all(|c| CodeKind::of(c).is_ok()) {
            CodeScheme::Standard
        } else {
            CodeScheme::Free
        }
    }
}

/// Options for [`City::build`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BuildOptions {
    /// How codes are checked.
    pub code_scheme: CodeScheme,
    /// How far (metres) a child's vertex may lie outside its parent before the build fails.
    pub parent_tolerance_m: f64,
    /// Run the (quadratic in ring size) OGC validity check on every polygon.
    pub check_validity: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            code_scheme: CodeScheme::Standard,
            parent_tolerance_m: 1.0,
            check_validity: true,
        }
    }
}

/// One input feature: a region before it is checked and placed in the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionInput {
    /// Code (unique across the whole city).
    pub code: String,
    /// Name (may be empty).
    pub name: String,
    /// Code of the parent in the level above; `None` = find the parent by containment.
    pub parent: Option<String>,
    /// Shape in WGS84 lon/lat.
    pub geometry: RawMultiPolygon,
}

/// One level's name and features, in input order (feature indices in errors refer to it).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelInput {
    /// Level name, e.g. "district".
    pub name: String,
    /// The level's features.
    pub regions: Vec<RegionInput>,
}

/// A checked feature waiting for ids.
struct Pending {
    code: String,
    name: String,
    parent: Option<String>,
    geometry: MultiPolygon<f64>,
}

impl City {
    /// Checks and builds a city from levels given top first (e.g. district, street, community,
    /// grid; any number ≥ 1 works).
    ///
    /// Each feature is checked in this order, and the first problem is returned as a typed
    /// [`Error`] naming level, feature index and code: ring length and closure, finite and
    /// in-range coordinates, then the repairs of [`repair`](super::geometry::repair()) (repeated
    /// positions merged, spikes removed; a ring left without area is
    /// [`Error::DegenerateRing`]), polygon validity (self-intersection; see
    /// [`check_valid`](super::geometry::check_valid()) for its cost, bounded per level by a
    /// [`ValidityBudget`]), code format (standard scheme),
    /// duplicate code, parent (named and unknown, or by containment and none found), code prefix
    /// of the parent (standard scheme), and vertices outside the parent beyond the tolerance.
    pub fn build(levels: Vec<LevelInput>, options: &BuildOptions) -> Result<City> {
        if levels.is_empty() {
            return Err(Error::Hierarchy("a city needs at least one level".into()));
        }
        let mut names: Vec<String> = Vec::with_capacity(levels.len());
        for l in &levels {
            if l.name.is_empty() || names.contains(&l.name) {
                return Err(Error::Hierarchy(format!(
                    "level names must be non-empty and distinct; got {:?}",
                    levels.iter().map(|l| &l.name).collect::<Vec<_>>()
                )));
            }
            names.push(l.name.clone());
        }

        let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
        let mut done: Vec<Vec<Pending>> = Vec::with_capacity(levels.len());
        for (level, input) in levels.into_iter().enumerate() {
            let parents = done.last().map(|p: &Vec<Pending>| ParentLevel::new(p));
            let budget =
                ValidityBudget::for_regions(&input.name, input.regions.iter().map(|r| &r.geometry));
            // Features are checked in parallel; the first problem in feature order (and within
            // a feature in check order, the duplicate-code check included) is the one returned.
            let checked: Vec<(Location, Checked)> = input
                .regions
                .into_par_iter()
                .enumerate()
                .map(|(feature, r)| {
                    let at = Location {
                        level: input.name.clone(),
                        feature,
                        code: Some(r.code.clone()).filter(|c| !c.is_empty()),
                    };
                    let context = (parents.as_ref(), &budget, options);
                    let checked = check_feature(&at, r, level, &names, context);
                    (at, checked)
                })
                .collect();
            let mut out = Vec::with_capacity(checked.len());
            for (at, checked) in checked {
                let (code, late) = match checked {
                    Checked::Early(e) => return Err(e),
                    Checked::Late(code, late) => (code, late),
                };
                if let Some(&(first_level, first_feature)) = seen.get(&code) {
                    return Err(Error::DuplicateCode {
                        at,
                        code,
                        first_level: names[first_level].clone(),
                        first_feature,
                    });
                }
                seen.insert(code, (level, at.feature));
                out.push(late?);
            }
            out.sort_by(|a, b| a.code.cmp(&b.code));
            done.push(out);
        }

        // geo's geodesic area needs exterior rings counter-clockwise; input may wind either way.
        let areas: Vec<f64> = done
            .par_iter()
            .flatten()
            .map(|p| {
                p.geometry
                    .orient(Direction::Default)
                    .geodesic_area_unsigned()
            })
            .collect();
        let mut ids: HashMap<String, RegionId> = HashMap::new();
        let mut regions = Vec::with_capacity(areas.len());
        for (level, pending) in done.into_iter().enumerate() {
            for p in pending {
                ids.insert(p.code.clone(), RegionId(regions.len() as u32));
                regions.push(Region {
                    parent: p.parent.as_ref().map(|c| ids[c]),
                    code: p.code,
                    name: p.name,
                    level,
                    geometry: p.geometry,
                    area_m2: areas[regions.len()],
                });
            }
        }
        City::assemble(names, regions)
    }
}

/// The level above, indexed for containment and lookup by code.
struct ParentLevel<'a> {
    pending: &'a [Pending],
    by_code: HashMap<&'a str, usize>,
    prepared: Arc<[PreparedRegion]>,
    locator: RTreeLocator,
    /// Each parent's boundary segments in an R-tree, built the first time a child has a vertex
    /// outside it (so that the distance of each such vertex costs a logarithm, not a pass over
    /// the parent's boundary: a large child hugging a large parent was quadratic).
    segments: Vec<OnceLock<RTree<Segment>>>,
}

/// A boundary segment of a parent, for nearest-segment queries.
type Segment = rstar::primitives::Line<[f64; 2]>;

impl<'a> ParentLevel<'a> {
    fn new(pending: &'a [Pending]) -> Self {
        let prepared: Arc<[PreparedRegion]> = pending
            .iter()
            .map(|p| PreparedRegion::new(&p.geometry))
            .collect();
        let locator = RTreeLocator::new(
            prepared.clone(),
            std::slice::from_ref(&(0..pending.len() as u32)),
        );
        ParentLevel {
            pending,
            by_code: pending
                .iter()
                .enumerate()
                .map(|(i, p)| (p.code.as_str(), i))
                .collect(),
            prepared,
            locator,
            segments: (0..pending.len()).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The boundary segments of parent `index`, in an R-tree.
    fn segments(&self, index: usize) -> &RTree<Segment> {
        self.segments[index].get_or_init(|| {
            let mut lines = Vec::new();
            self.prepared[index].for_each_edge(|a, b| lines.push(Segment::new(a, b)));
            RTree::bulk_load(lines)
        })
    }
}

/// One feature's checks: a problem found before the duplicate-code check (which needs every
/// earlier feature and runs afterwards, in order), or the code and the outcome of the checks after.
enum Checked {
    Early(Error),
    Late(String, Result<Pending>),
}

fn check_feature(
    at: &Location,
    r: RegionInput,
    level: usize,
    names: &[String],
    (parents, budget, options): (Option<&ParentLevel>, &ValidityBudget, &BuildOptions),
) -> Checked {
    match check_shape_and_code(at, &r, budget, options) {
        Err(e) => Checked::Early(e),
        Ok(geometry) => Checked::Late(
            r.code.clone(),
            check_parent(at, r, geometry, level, names, parents, options),
        ),
    }
}

/// Rings, coordinates, validity and the code's format.
fn check_shape_and_code(
    at: &Location,
    r: &RegionInput,
    budget: &ValidityBudget,
    options: &BuildOptions,
) -> Result<MultiPolygon<f64>> {
    let mut geometry = to_multipolygon(at, &r.geometry)?;
    repair(at, &mut geometry)?;
    if options.check_validity {
        check_valid_within(at, &geometry, budget)?;
    }
    if r.code.is_empty() {
        return Err(Error::Property {
            at: at.clone(),
            property: "code".into(),
            problem: "is empty".into(),
        });
    }
    if options.code_scheme == CodeScheme::Standard {
        if let Err(Error::InvalidCode { reason, .. }) = CodeKind::of(&r.code) {
            return Err(Error::RegionCode {
                at: at.clone(),
                code: r.code.clone(),
                reason,
            });
        }
    }
    Ok(geometry)
}

/// The parent (named or by containment), the code prefix and the vertices outside the parent.
fn check_parent(
    at: &Location,
    r: RegionInput,
    geometry: MultiPolygon<f64>,
    level: usize,
    names: &[String],
    parents: Option<&ParentLevel>,
    options: &BuildOptions,
) -> Result<Pending> {
    let parent =
        match parents {
            None => None,
            Some(parents) => {
                let parent_level = names[level - 1].clone();
                let index =
                    match &r.parent {
                        Some(code) => *parents.by_code.get(code.as_str()).ok_or_else(|| {
                            Error::UnknownParent {
                                at: at.clone(),
                                parent: code.clone(),
                                parent_level: parent_level.clone(),
                            }
                        })?,
                        None => geometry
                            .interior_point()
                            .and_then(|p| parents.locator.locate(p.x(), p.y()))
                            .map(|i| i as usize)
                            .ok_or_else(|| Error::NoContainingParent {
                                at: at.clone(),
                                parent_level: parent_level.clone(),
                            })?,
                    };
                let parent = &parents.pending[index];
                if options.code_scheme == CodeScheme::Standard {
                    if let Err(reason) = check_extends(&parent.code, &r.code) {
                        return Err(Error::RegionCode {
                            at: at.clone(),
                            code: r.code,
                            reason,
                        });
                    }
                }
                check_inside_parent(at, &geometry, parent, parents, index, options)?;
                Some(parent.code.clone())
            }
        };
    Ok(Pending {
        code: r.code,
        name: r.name,
        parent,
        geometry,
    })
}

/// Fails when some vertex of the child lies farther than the tolerance outside the parent: the
/// geodesic distance from the vertex to the closest point of the parent's boundary (closest in
/// lon/lat, as geo's `ClosestPoint`), found in the parent's segment R-tree.
fn check_inside_parent(
    at: &Location,
    child: &MultiPolygon<f64>,
    parent: &Pending,
    parents: &ParentLevel,
    index: usize,
    options: &BuildOptions,
) -> Result<()> {
    let prepared = &parents.prepared[index];
    let mut worst: Option<(f64, Point<f64>)> = None;
    for c in child.iter().flat_map(|p| p.exterior().0.iter()) {
        if prepared.contains(c.x, c.y) {
            continue;
        }
        let p = Point::from(*c);
        let d = match parents.segments(index).nearest_neighbor(&[c.x, c.y]) {
            Some(segment) => {
                let [x, y] = segment.nearest_point(&[c.x, c.y]);
                Geodesic.distance(p, Point::new(x, y))
            }
            None => f64::INFINITY,
        };
        if worst.is_none_or(|(w, _)| d > w) {
            worst = Some((d, p));
        }
    }
    match worst {
        Some((d, p)) if d > options.parent_tolerance_m => Err(Error::ChildOutsideParent {
            at: at.clone(),
            parent: parent.code.clone(),
            distance_m: d,
            tolerance_m: options.parent_tolerance_m,
            lon: p.x(),
            lat: p.y(),
        }),
        _ => Ok(()),
    }
}
