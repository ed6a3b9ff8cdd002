//! Departments (部门) and who is responsible for a category at a place.
//!
//! # Resolution rule
//! For a report at point `p` of category `c` (a component class or event code):
//! 1. If the report names an asset that has a 主管部门, that department comes first
//!    ([`Reason::AssetMain`]).
//! 2. Candidates are the departments whose jurisdiction contains `p` and one of whose
//!    responsibility prefixes matches `c` ("01" matches every 公用设施 class, "0103" only
//!    雨水井盖). They are ordered by: the longest matching prefix first (the most specific
//!    responsibility), then the smallest jurisdiction area (a district bureau before the city
//!    bureau), then the explicit `priority` (smaller first), then the department code.
//! 3. For a fan-out category (the code table flags it, e.g. 无主井盖: every utility must check),
//!    every candidate with the most specific prefix is responsible ([`Reason::Responsible`] with
//!    `fanout`). Otherwise the first candidate is responsible and the rest follow as alternates.
//! 4. With no candidate, the territorial owner (属地) of the point is responsible: its region
//!    at the configured level, by default the street, or the point's owner itself when the owner
//!    lies above that level (a point in a gap) ([`Reason::Territorial`]).
//!
//! A jurisdiction is the whole city, a list of region codes of the city (exact: the point's
//! located chain must contain one of them, so it agrees with `locate` on every border), or a
//! polygon of its own (tested with the same one-owner rule).

use crate::catalog::{prefix_matches, Catalog};
use crate::error::{Error, Location, Result};
use crate::locate::PreparedRegion;
use crate::model::geometry::{
    check_valid_within, to_multipolygon, RawMultiPolygon, ValidityBudget,
};
use crate::model::{City, Located, RegionId};
use geo::orient::{Direction, Orient};
use geo::GeodesicArea;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Where a department may act, as given in a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JurisdictionInput {
    /// `"city"`: everywhere in the city.
    City(String),
    /// Region codes of the city, e.g. `["420103"]`.
    Regions(Vec<String>),
    /// A polygon of its own (WGS84), e.g. a water authority's service area.
    Polygon {
        /// GeoJSON-style MultiPolygon coordinates.
        polygon: RawMultiPolygon,
    },
}

/// One department as given in a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInput {
    /// Department code (e.g. an 18-character USCC).
    pub code: String,
    /// Name.
    pub name: String,
    /// Administrative level, free text ("city", "district", "street", "utility", …).
    #[serde(default)]
    pub level: String,
    /// Where it may act.
    pub jurisdiction: JurisdictionInput,
    /// Category code prefixes it handles.
    pub handles: Vec<String>,
    /// Tie-break after specificity and jurisdiction size: smaller first.
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    department: Vec<DepartmentInput>,
}

/// Parses a department table (TOML: `[[department]]` entries with `code`, `name`, `level`,
/// `jurisdiction` = `"city"` | `["region code", …]` | `{ polygon = [[[[lon, lat], …]]] }`,
/// `handles` = `["01", "0103", …]`, `priority`).
pub fn parse_table(source_name: &str, text: &str) -> Result<Vec<DepartmentInput>> {
    toml::from_str::<TableFile>(text)
        .map(|t| t.department)
        .map_err(|e| Error::Table {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })
}

#[derive(Debug, Clone)]
enum Jurisdiction {
    City,
    Regions(Vec<RegionId>),
    Polygon(Box<PreparedRegion>),
}

/// A checked department.
#[derive(Debug, Clone)]
pub struct Department {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: String,
    /// Responsibility prefixes.
    pub handles: Vec<String>,
    /// Tie-break priority (smaller first).
    pub priority: i32,
    /// Area of the jurisdiction, m².
    pub jurisdiction_area_m2: f64,
    jurisdiction: Jurisdiction,
}

impl Department {
    /// True when the department's jurisdiction contains the located point.
    fn covers(&self, hit: Option<&Located>, lon: f64, lat: f64) -> bool {
        match &self.jurisdiction {
            Jurisdiction::City => hit.is_some(),
            Jurisdiction::Regions(ids) => {
                hit.is_some_and(|h| h.chain_ids().any(|id| ids.contains(&id)))
            }
            Jurisdiction::Polygon(p) => p.contains(lon, lat),
        }
    }

    /// The longest of its prefixes that matches `category`.
    fn specificity(&self, category: &str) -> Option<&str> {
        self.handles
            .iter()
            .filter(|p| prefix_matches(p, category))
            .max_by_key(|p| p.len())
            .map(String::as_str)
    }
}

/// Why a department was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Reason {
    /// The reported asset's 主管部门.
    AssetMain {
        /// The asset's id.
        asset: String,
    },
    /// A responsibility prefix matched and the jurisdiction contains the point.
    Responsible {
        /// The matching prefix.
        prefix: String,
        /// True when every department with this prefix is dispatched (fan-out category).
        fanout: bool,
        /// False for alternates after the responsible one(s).
        primary: bool,
    },
    /// No department matched: the territorial owner (属地) of the point.
    Territorial {
        /// The region's level name.
        level: String,
    },
}

/// A department chosen for a report, with the rule that chose it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentMatch {
    /// Department code (or, for [`Reason::Territorial`], the region code).
    pub code: String,
    /// Name.
    pub name: String,
    /// Why.
    pub reason: Reason,
}

/// What the department rule needs to know about a report.
#[derive(Debug, Clone, Copy)]
pub struct ReportFacts<'a> {
    /// The located owner of the point (`None` outside the city).
    pub hit: Option<&'a Located<'a>>,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Category code.
    pub category: &'a str,
    /// Whether the category fans out to every responsible department.
    pub fanout: bool,
    /// The reported asset's id and its 主管部门, if any.
    pub asset_main: Option<(&'a str, &'a str)>,
    /// Level whose region is the fallback (属地) owner; `None` = the owner's parent.
    pub territorial_level: Option<usize>,
}

/// The departments of a city, checked against it and the code table.
#[derive(Debug, Clone, Default)]
pub struct DepartmentTable {
    departments: Vec<Department>,
    by_code: HashMap<String, usize>,
}

impl DepartmentTable {
    /// Checks departments: unique codes, known region codes, valid polygons, and responsibility
    /// prefixes that match at least one class of the code table.
    pub fn build(city: &City, catalog: &Catalog, inputs: Vec<DepartmentInput>) -> Result<Self> {
        let mut departments: Vec<Department> = Vec::with_capacity(inputs.len());
        let mut by_code = HashMap::new();
        for (i, d) in inputs.into_iter().enumerate() {
            let context = format!("department {i} (code {:?})", d.code);
            let bad = |reason: String| Error::Table {
                source_name: context.clone(),
                reason,
            };
            if by_code.insert(d.code.clone(), departments.len()).is_some() {
                return Err(Error::DuplicateId {
                    context: context.clone(),
                    id: d.code,
                });
            }
            for p in &d.handles {
                if !catalog.knows_prefix(p) {
                    return Err(bad(format!(
                        "handles {p:?}, which is neither a major class nor matches a class of the code table"
                    )));
                }
            }
            let (jurisdiction, area) = match d.jurisdiction {
                JurisdictionInput::City(s) if s == "city" => (
                    Jurisdiction::City,
                    city.level_regions(0).map(|(_, r)| r.area_m2).sum(),
                ),
                JurisdictionInput::City(s) => {
                    return Err(bad(format!(
                    "jurisdiction {s:?}: expected \"city\", a list of region codes or a polygon"
                )))
                }
                JurisdictionInput::Regions(codes) => {
                    let ids = codes
                        .iter()
                        .map(|c| {
                            city.by_code(c).ok_or_else(|| {
                                bad(format!("jurisdiction names unknown region {c:?}"))
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    // A listed region inside another listed one adds no area.
                    let area = ids
                        .iter()
                        .filter(|&&r| {
                            let mut up = city.region(r).parent;
                            while let Some(p) = up {
                                if ids.contains(&p) {
                                    return false;
                                }
                                up = city.region(p).parent;
                            }
                            true
                        })
                        .map(|&r| city.region(r).area_m2)
                        .sum();
                    (Jurisdiction::Regions(ids), area)
                }
                JurisdictionInput::Polygon { polygon } => {
                    let at = Location {
                        level: "department".into(),
                        feature: i,
                        code: Some(d.code.clone()),
                    };
                    let mp = to_multipolygon(&at, &polygon)?;
                    let budget = ValidityBudget::for_regions("department", [&polygon]);
                    check_valid_within(&at, &mp, &budget)?;
                    let area = mp.orient(Direction::Default).geodesic_area_unsigned();
                    (
                        Jurisdiction::Polygon(Box::new(PreparedRegion::new(&mp))),
                        area,
                    )
                }
            };
            departments.push(Department {
                code: d.code,
                name: d.name,
                level: d.level,
                handles: d.handles,
                priority: d.priority,
                jurisdiction_area_m2: area,
                jurisdiction,
            });
        }
        Ok(DepartmentTable {
            departments,
            by_code,
        })
    }

    /// All departments in table order.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// A department by code.
    pub fn get(&self, code: &str) -> Option<&Department> {
        self.by_code.get(code).map(|&i| &self.departments[i])
    }

    /// Applies the resolution rule of the module docs to one report.
    pub fn resolve(&self, report: &ReportFacts) -> Vec<DepartmentMatch> {
        let ReportFacts {
            hit,
            lon,
            lat,
            category,
            fanout,
            asset_main,
            territorial_level,
        } = *report;
        let mut out: Vec<DepartmentMatch> = Vec::new();
        if let Some((asset, code)) = asset_main {
            out.push(DepartmentMatch {
                code: code.to_string(),
                name: self.get(code).map(|d| d.name.clone()).unwrap_or_default(),
                reason: Reason::AssetMain {
                    asset: asset.to_string(),
                },
            });
        }
        let mut candidates: Vec<(&Department, &str)> = self
            .departments
            .iter()
            .filter_map(|d| d.specificity(category).map(|p| (d, p)))
            .filter(|(d, _)| d.covers(hit, lon, lat))
            .collect();
        candidates.sort_by(|(a, pa), (b, pb)| {
            pb.len()
                .cmp(&pa.len())
                .then(a.jurisdiction_area_m2.total_cmp(&b.jurisdiction_area_m2))
                .then(a.priority.cmp(&b.priority))
                .then(a.code.cmp(&b.code))
        });
        let best = candidates.first().map_or(0, |(_, p)| p.len());
        for (rank, (d, prefix)) in candidates.into_iter().enumerate() {
            if out.iter().any(|m| m.code == d.code) {
                continue;
            }
            let primary = if fanout {
                prefix.len() == best
            } else {
                rank == 0
            };
            out.push(DepartmentMatch {
                code: d.code.clone(),
                name: d.name.clone(),
                reason: Reason::Responsible {
                    prefix: prefix.to_string(),
                    fanout: fanout && primary,
                    primary,
                },
            });
        }
        if out.is_empty() {
            if let Some(h) = hit {
                // The chain's region at the requested level; the owner itself when the owner
                // is above that level (a gap); without a level, the owner's parent.
                let chain = h.chain();
                let owner_level = chain.len() - 1;
                let level =
                    territorial_level.map_or(owner_level.saturating_sub(1), |l| l.min(owner_level));
                let region = chain.get(level);
                if let Some(r) = region {
                    out.push(DepartmentMatch {
                        code: r.code.clone(),
                        name: r.name.clone(),
                        reason: Reason::Territorial {
                            level: h.city().levels()[r.level].clone(),
                        },
                    });
                }
            }
        }
        out
    }
}
