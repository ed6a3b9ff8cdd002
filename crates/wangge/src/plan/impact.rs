//! What a preview changes for the things placed in grids: area per region, and the owners of
//! assets, resources, workers' home grids and case points.

use super::diff::{diff, Diff};
use super::preview::CodeChanges;
use super::preview::Preview;
use crate::assets::AssetSet;
use crate::dispatch::Resource;
use crate::error::{Error, Result};
use crate::model::City;
use crate::validate::Report;
use serde::Serialize;

/// Everything a planner looks at before committing (see [`Preview::impact`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactReport {
    /// The version the edits apply to.
    pub base_version: u64,
    /// No error-severity finding: the edits can be committed.
    pub valid: bool,
    /// Codes created, retired, changed, stitched.
    pub codes: CodeChanges,
    /// Regions that differ, with areas before and after.
    pub regions: Diff,
    /// Assets whose grid changes.
    pub assets: Vec<OwnerChange>,
    /// Resources whose current position's grid changes.
    pub resources: Vec<OwnerChange>,
    /// Resources whose home grid is retired or reshaped.
    pub home_grids: Vec<HomeGridChange>,
    /// Case points whose grid changes.
    pub cases: Vec<OwnerChange>,
    /// Validation findings about the touched regions.
    pub report: Report,
}

impl ImpactReport {
    /// A readable summary: validity, codes, region changes, moved items, findings.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "edits on version {}: {}\n",
            self.base_version,
            if self.valid {
                "valid, can be committed"
            } else {
                "INVALID, cannot be committed"
            }
        );
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(", ")
            }
        };
        out.push_str(&format!("created: {}\n", list(&self.codes.created)));
        out.push_str(&format!("retired: {}\n", list(&self.codes.retired)));
        out.push_str(&format!("changed: {}\n", list(&self.codes.changed)));
        out.push_str(&self.regions.to_text());
        let moved = |name: &str, items: &[OwnerChange], out: &mut String| {
            out.push_str(&format!("{name} changing grid: {}\n", items.len()));
            for m in items {
                out.push_str(&format!(
                    "  {}: {} → {}\n",
                    m.id,
                    m.before.as_deref().unwrap_or("-"),
                    m.after.as_deref().unwrap_or("-")
                ));
            }
        };
        moved("assets", &self.assets, &mut out);
        moved("resources", &self.resources, &mut out);
        moved("cases", &self.cases, &mut out);
        out.push_str(&format!("home grids affected: {}\n", self.home_grids.len()));
        for h in &self.home_grids {
            let effect = match h.effect {
                HomeGridEffect::Retired => "retired",
                HomeGridEffect::Reshaped => "reshaped",
            };
            out.push_str(&format!("  {}: {} {effect}\n", h.id, h.grid));
        }
        out.push_str(&self.report.to_text());
        out
    }

    /// The report as pretty-printed JSON (finding geometries as GeoJSON geometry objects;
    /// region shapes are left to [`ImpactReport::to_geojson`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The region changes and the findings as one FeatureCollection (a `change` property on
    /// region features, a `kind` property on findings).
    pub fn to_geojson(&self) -> geojson::FeatureCollection {
        let mut fc = self.regions.to_geojson();
        fc.features.extend(self.report.to_geojson().features);
        fc
    }
}

/// A point (asset, resource, case) whose deepest owner differs between the two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerChange {
    /// The item's id.
    pub id: String,
    /// Owner code in the base version (`None`: outside every region).
    pub before: Option<String>,
    /// Owner code in the preview.
    pub after: Option<String>,
}

/// Why a resource's home grid is affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HomeGridEffect {
    /// The home grid's code was retired: the resource needs a new home grid.
    Retired,
    /// The home grid's shape changed.
    Reshaped,
}

/// A resource whose home grid the edits retire or reshape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeGridChange {
    /// The resource's id.
    pub id: String,
    /// Its home grid's code.
    pub grid: String,
    /// What happens to that grid.
    pub effect: HomeGridEffect,
}

fn owner(city: &City, lon: f64, lat: f64) -> Option<String> {
    city.locate(lon, lat).map(|l| l.leaf().code.clone())
}

impl Preview {
    /// How the candidate differs from the base, region by region (areas before and after).
    pub fn diff(&self) -> Diff {
        diff(self.base.city(), &self.city)
    }

    /// The whole impact report: validation, code changes, region changes, and the items that
    /// change grid (assets, resource positions, home grids, case points) for those given.
    pub fn impact<S: AsRef<str>>(
        &self,
        assets: Option<&AssetSet>,
        resources: &[Resource],
        cases: Option<(&[S], &[f64], &[f64])>,
    ) -> Result<ImpactReport> {
        Ok(ImpactReport {
            base_version: self.base.number(),
            valid: self.is_valid(),
            codes: self.codes.clone(),
            regions: self.diff(),
            assets: assets.map(|a| self.moved_assets(a)).unwrap_or_default(),
            resources: self.moved_resources(resources),
            home_grids: self.home_grid_changes(resources),
            cases: match cases {
                Some((ids, lons, lats)) => self.moved_points(ids, lons, lats)?,
                None => Vec::new(),
            },
            report: self.report.clone(),
        })
    }

    /// The points (WGS84, with ids) whose deepest owner changes, in input order. Only points
    /// inside [`Preview::envelope`] are located (twice); the rest cannot change.
    pub fn moved_points<S: AsRef<str>>(
        &self,
        ids: &[S],
        lons: &[f64],
        lats: &[f64],
    ) -> Result<Vec<OwnerChange>> {
        Error::check_lengths(lons, lats)?;
        if ids.len() != lons.len() {
            return Err(Error::LengthMismatch {
                left_name: "ids",
                left: ids.len(),
                right_name: "lons",
                right: lons.len(),
            });
        }
        Ok(self.moved((0..ids.len()).map(|i| (ids[i].as_ref(), lons[i], lats[i]))))
    }

    /// The assets whose grid changes.
    pub fn moved_assets(&self, assets: &AssetSet) -> Vec<OwnerChange> {
        self.moved(
            assets
                .assets()
                .iter()
                .map(|a| (a.id.as_str(), a.lon, a.lat)),
        )
    }

    /// The resources whose position's grid changes.
    pub fn moved_resources(&self, resources: &[Resource]) -> Vec<OwnerChange> {
        self.moved(resources.iter().map(|r| (r.id.as_str(), r.lon, r.lat)))
    }

    fn moved<'s>(&self, items: impl Iterator<Item = (&'s str, f64, f64)>) -> Vec<OwnerChange> {
        let base = self.base.city();
        items
            .filter(|&(_, lon, lat)| self.may_move(lon, lat))
            .filter_map(|(id, lon, lat)| {
                let before = owner(base, lon, lat);
                let after = owner(&self.city, lon, lat);
                (before != after).then(|| OwnerChange {
                    id: id.to_string(),
                    before,
                    after,
                })
            })
            .collect()
    }

    /// The resources (workers) whose home grid is retired or reshaped.
    pub fn home_grid_changes(&self, resources: &[Resource]) -> Vec<HomeGridChange> {
        resources
            .iter()
            .filter_map(|r| {
                let grid = r.home_grid.as_ref()?;
                let effect = if self.codes.retired.contains(grid) {
                    HomeGridEffect::Retired
                } else if self.codes.changed.contains(grid) {
                    HomeGridEffect::Reshaped
                } else {
                    return None;
                };
                Some(HomeGridChange {
                    id: r.id.clone(),
                    grid: grid.clone(),
                    effect,
                })
            })
            .collect()
    }
}
