//! Differences between two versions of a city, by code.

use crate::model::{City, Region};
use geo::MultiPolygon;
use geojson::{Feature, FeatureCollection, JsonObject};
use serde::Serialize;
use std::collections::BTreeSet;

/// How a region differs between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the newer version.
    Added,
    /// Only in the older version.
    Removed,
    /// In both, with another shape, parent or name.
    Changed,
}

/// One region that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionDiff {
    /// What happened.
    pub change: Change,
    /// Its code.
    pub code: String,
    /// Its level's name.
    pub level: String,
    /// Area in the older version, m².
    pub before_m2: Option<f64>,
    /// Area in the newer version, m².
    pub after_m2: Option<f64>,
    /// Changed: the shape differs (any vertex).
    pub shape: bool,
    /// Changed: parent code before, when it differs.
    pub parent_before: Option<String>,
    /// Changed: name before, when it differs.
    pub name_before: Option<String>,
    /// The newer shape (the older one for removed regions).
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
}

/// Every region that differs between two cities, by level then code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// The regions that differ.
    pub regions: Vec<RegionDiff>,
}

fn parent_code(city: &City, r: &Region) -> Option<String> {
    r.parent.map(|p| city.region(p).code.clone())
}

/// Compares `old` and `new` region by region (matched by code).
pub fn diff(old: &City, new: &City) -> Diff {
    let codes: BTreeSet<(usize, &str)> = old
        .regions()
        .iter()
        .chain(new.regions())
        .map(|r| (r.level, r.code.as_str()))
        .collect();
    let level_name = |city: &City, r: &Region| city.levels()[r.level].clone();
    let regions = codes
        .into_iter()
        .filter_map(|(_, code)| {
            let a = old.by_code(code).map(|id| old.region(id));
            let b = new.by_code(code).map(|id| new.region(id));
            let d = match (a, b) {
                (None, Some(b)) => RegionDiff {
                    change: Change::Added,
                    code: code.to_string(),
                    level: level_name(new, b),
                    before_m2: None,
                    after_m2: Some(b.area_m2),
                    shape: true,
                    parent_before: None,
                    name_before: None,
                    geometry: b.geometry.clone(),
                },
                (Some(a), None) => RegionDiff {
                    change: Change::Removed,
                    code: code.to_string(),
                    level: level_name(old, a),
                    before_m2: Some(a.area_m2),
                    after_m2: None,
                    shape: true,
                    parent_before: None,
                    name_before: None,
                    geometry: a.geometry.clone(),
                },
                (Some(a), Some(b)) => {
                    let (pa, pb) = (parent_code(old, a), parent_code(new, b));
                    let shape = a.geometry != b.geometry;
                    if !shape && pa == pb && a.name == b.name {
                        return None;
                    }
                    RegionDiff {
                        change: Change::Changed,
                        code: code.to_string(),
                        level: level_name(new, b),
                        before_m2: Some(a.area_m2),
                        after_m2: Some(b.area_m2),
                        shape,
                        parent_before: (pa != pb).then_some(pa).flatten(),
                        name_before: (a.name != b.name).then(|| a.name.clone()),
                        geometry: b.geometry.clone(),
                    }
                }
                (None, None) => return None,
            };
            Some(d)
        })
        .collect();
    Diff { regions }
}

impl Diff {
    /// Number of regions with this change.
    pub fn count(&self, change: Change) -> usize {
        self.regions.iter().filter(|r| r.change == change).count()
    }

    /// One line per region: change, level, code, areas.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} added, {} removed, {} changed\n",
            self.count(Change::Added),
            self.count(Change::Removed),
            self.count(Change::Changed)
        );
        let m2 = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{a:.1}"));
        for r in &self.regions {
            let change = match r.change {
                Change::Added => "added",
                Change::Removed => "removed",
                Change::Changed => "changed",
            };
            let delta = match (r.before_m2, r.after_m2) {
                (Some(a), Some(b)) => format!(" ({:+.1} m²)", b - a),
                _ => String::new(),
            };
            out.push_str(&format!(
                "{change:<8} {:<10} {:<16} {} → {} m²{delta}",
                r.level,
                r.code,
                m2(r.before_m2),
                m2(r.after_m2)
            ));
            if let Some(p) = &r.parent_before {
                out.push_str(&format!(" parent was {p}"));
            }
            out.push('\n');
        }
        out
    }

    /// The diff as pretty-printed JSON (without the shapes; see [`Diff::to_geojson`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A FeatureCollection: one feature per region with `change`, `code`, `level`,
    /// `before_m2`, `after_m2` (and `parent_before`) properties; removed regions carry their
    /// old shape.
    pub fn to_geojson(&self) -> FeatureCollection {
        let features = self
            .regions
            .iter()
            .map(|r| {
                let properties = match serde_json::to_value(r) {
                    Ok(serde_json::Value::Object(map)) => map,
                    _ => JsonObject::new(),
                };
                Feature {
                    bbox: None,
                    geometry: Some(geojson::Geometry::new(geojson::GeometryValue::from(
                        &r.geometry,
                    ))),
                    id: None,
                    properties: Some(properties),
                    foreign_members: None,
                }
            })
            .collect();
        FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        }
    }
}
