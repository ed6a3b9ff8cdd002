//! Automatic dispatch (智能派单): for a report at a point with a category, the grid chain, the
//! responsible departments with the rule that chose each, and the nearest resources to push to
//! the handler.
//!
//! Worker preference: on-duty resources of the worker kind whose home grid is the report's grid
//! come first (nearest first), then the other on-duty workers by distance; `k` in total. For a
//! component category, the nearest assets of that class (in either code scheme, through the
//! crosswalk) help identify which one is broken. Extra "nearby" lists (hydrants by default) use
//! the same exact geodesic search.

pub mod departments;
pub mod resources;

pub use departments::{
    DepartmentInput, DepartmentMatch, DepartmentTable, JurisdictionInput, Reason, ReportFacts,
};
pub use resources::{Resource, ResourceFilter, ResourcePool, ResourceSnapshot};

use crate::assets::{Asset, AssetFilter, AssetInput, AssetSet};
use crate::catalog::{Catalog, ClassKind};
use crate::crs::{check_point, Crs};
use crate::error::{Error, Result};
use crate::model::City;
use serde::Serialize;
use std::sync::Arc;

/// A list of nearby assets to include in every dispatch (e.g. hydrants).
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyAssets {
    /// Label in the result, e.g. "hydrants".
    pub label: String,
    /// Class prefixes, e.g. `["0113", "01013"]` (消防设施 in both schemes).
    pub classes: Vec<String>,
    /// How many.
    pub k: usize,
    /// Farthest to list, metres.
    pub max_distance_m: Option<f64>,
}

/// Options of [`Dispatcher::dispatch`].
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchOptions {
    /// CRS of the report's point.
    pub crs: Crs,
    /// The reported asset's id, if the report names one.
    pub asset_id: Option<String>,
    /// Number of workers to return.
    pub workers: usize,
    /// Resource kind that counts as a worker.
    pub worker_kind: String,
    /// Farthest worker to return, metres (default 5 km).
    pub worker_max_distance_m: Option<f64>,
    /// Number of assets of the reported class to return.
    pub assets: usize,
    /// Farthest asset of the reported class to return, metres (default 500 m).
    pub asset_max_distance_m: Option<f64>,
    /// Extra nearby asset lists (default: the 2 nearest hydrants within 1 km).
    pub nearby: Vec<NearbyAssets>,
    /// Level whose region is the territorial owner (属地) when no department matches.
    pub territorial_level: String,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            crs: Crs::Wgs84,
            asset_id: None,
            workers: 3,
            worker_kind: "worker".into(),
            worker_max_distance_m: Some(5_000.0),
            assets: 3,
            asset_max_distance_m: Some(500.0),
            nearby: vec![NearbyAssets {
                label: "hydrants".into(),
                classes: vec!["0113".into(), "01013".into()],
                k: 2,
                max_distance_m: Some(1_000.0),
            }],
            territorial_level: "street".into(),
        }
    }
}

/// A region of the located chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRef {
    /// Level name.
    pub level: String,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A resource in a dispatch result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceHit {
    /// Resource id.
    pub id: String,
    /// Geodesic distance, metres.
    pub distance_m: f64,
    /// True when its home grid is the report's grid.
    pub same_grid: bool,
}

/// An asset in a dispatch result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetHit {
    /// Asset id.
    pub id: String,
    /// Class code.
    pub class: String,
    /// State (English name).
    pub state: String,
    /// Geodesic distance, metres.
    pub distance_m: f64,
}

/// Everything a handler needs for one report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DispatchResult {
    /// The report's point in WGS84.
    pub lon: f64,
    /// The report's point in WGS84.
    pub lat: f64,
    /// The owner chain, top level first (empty outside the city).
    pub chain: Vec<RegionRef>,
    /// The category code as given.
    pub category: String,
    /// Its name in the code table.
    pub category_name: String,
    /// Responsible departments first, then alternates; each with its reason.
    pub departments: Vec<DepartmentMatch>,
    /// Nearest on-duty workers (same grid first).
    pub workers: Vec<ResourceHit>,
    /// Nearest assets of the reported class (component categories only).
    pub assets: Vec<AssetHit>,
    /// Extra nearby lists, by label.
    pub nearby: Vec<(String, Vec<AssetHit>)>,
}

/// Code table, departments, assets and live resources of one city, ready to dispatch.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    city: Arc<City>,
    catalog: Catalog,
    department_inputs: Vec<DepartmentInput>,
    departments: DepartmentTable,
    assets: AssetSet,
    resources: Arc<ResourcePool>,
}

impl Dispatcher {
    /// Checks everything against the city and the code table.
    pub fn new(
        city: Arc<City>,
        catalog: Catalog,
        departments: Vec<DepartmentInput>,
        assets: Vec<AssetInput>,
        resources: Vec<Resource>,
    ) -> Result<Self> {
        let department_inputs = departments.clone();
        let departments = DepartmentTable::build(&city, &catalog, departments)?;
        let assets = AssetSet::build(Some(&city), &catalog, assets)?;
        let resources = Arc::new(ResourcePool::new(resources)?);
        Ok(Dispatcher {
            city,
            catalog,
            department_inputs,
            departments,
            assets,
            resources,
        })
    }

    /// The same dispatcher on another version of the city (e.g. [`crate::plan::Version::city`]
    /// after a commit): departments are checked again against the new regions (a jurisdiction
    /// naming a retired code is an error naming it), assets are located again, and the live
    /// resource pool is shared, so position updates reach both. `self` is unchanged.
    pub fn with_city(&self, city: Arc<City>) -> Result<Dispatcher> {
        let departments =
            DepartmentTable::build(&city, &self.catalog, self.department_inputs.clone())?;
        Ok(Dispatcher {
            assets: self.assets.relocate(&city),
            city,
            catalog: self.catalog.clone(),
            department_inputs: self.department_inputs.clone(),
            departments,
            resources: self.resources.clone(),
        })
    }

    /// The city.
    pub fn city(&self) -> &Arc<City> {
        &self.city
    }
    /// The code table.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
    /// The departments.
    pub fn departments(&self) -> &DepartmentTable {
        &self.departments
    }
    /// The assets.
    pub fn assets(&self) -> &AssetSet {
        &self.assets
    }
    /// The live resources (update positions through it).
    pub fn resources(&self) -> &Arc<ResourcePool> {
        &self.resources
    }

    /// Dispatches one report (module docs; department rule in [`departments`]).
    pub fn dispatch(
        &self,
        lon: f64,
        lat: f64,
        category: &str,
        options: &DispatchOptions,
    ) -> Result<DispatchResult> {
        check_point(0, lon, lat, "report location")?;
        let class = self.catalog.require("report category", category)?;
        let asset: Option<&Asset> = match &options.asset_id {
            Some(id) => Some(self.assets.get(id).ok_or_else(|| Error::UnknownId {
                kind: "asset",
                id: id.clone(),
            })?),
            None => None,
        };
        let (x, y) = self.city.converter().to_wgs84(options.crs, lon, lat);
        let hit = self.city.locate(x, y);
        let chain: Vec<RegionRef> = hit
            .map(|h| {
                h.chain()
                    .iter()
                    .map(|r| RegionRef {
                        level: self.city.levels()[r.level].clone(),
                        code: r.code.clone(),
                        name: r.name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let asset_main = asset.and_then(|a| a.main_dept.as_deref().map(|d| (a.id.as_str(), d)));
        let departments = self.departments.resolve(&ReportFacts {
            hit: hit.as_ref(),
            lon: x,
            lat: y,
            category: &class.code,
            fanout: class.fanout,
            asset_main,
            territorial_level: self.city.level_index(&options.territorial_level),
        });
        let grid = hit.map(|h| h.leaf().code.clone());
        let workers = self.nearest_workers(x, y, grid.as_deref(), options);
        let assets = if class.kind == ClassKind::Component && options.assets > 0 {
            let mut prefixes = vec![class.code.clone()];
            prefixes.extend(self.catalog.to_gb47678(&class.code).map(str::to_string));
            prefixes.extend(self.catalog.to_legacy(&class.code).map(str::to_string));
            self.asset_hits(
                x,
                y,
                options.assets,
                options.asset_max_distance_m,
                &AssetFilter::classes(prefixes),
            )
        } else {
            Vec::new()
        };
        let nearby = options
            .nearby
            .iter()
            .map(|n| {
                let filter = AssetFilter::classes(n.classes.clone());
                let hits = self.asset_hits(x, y, n.k, n.max_distance_m, &filter);
                (n.label.clone(), hits)
            })
            .collect();
        Ok(DispatchResult {
            lon: x,
            lat: y,
            chain,
            category: class.code.clone(),
            category_name: class.name.clone(),
            departments,
            workers,
            assets,
            nearby,
        })
    }

    /// Dispatches many reports over the rayon thread pool: entry `i` of the result is exactly
    /// what [`Dispatcher::dispatch`] returns for report `i` (its error included, so one bad
    /// report does not stop the others). Every report uses `options`, with `options.asset_id`
    /// replaced by `asset_ids[i]` when `asset_ids` is given.
    ///
    /// Fails as a whole only when `categories` or `asset_ids` and the coordinate slices differ
    /// in length ([`Error::LengthMismatch`]).
    pub fn dispatch_many<S: AsRef<str> + Sync>(
        &self,
        lons: &[f64],
        lats: &[f64],
        categories: &[S],
        asset_ids: Option<&[Option<S>]>,
        options: &DispatchOptions,
    ) -> Result<Vec<Result<DispatchResult>>> {
        use rayon::prelude::*;
        Error::check_lengths(lons, lats)?;
        let same = |name: &'static str, len: usize| {
            if len == lons.len() {
                Ok(())
            } else {
                Err(Error::LengthMismatch {
                    left_name: "lons",
                    left: lons.len(),
                    right_name: name,
                    right: len,
                })
            }
        };
        same("categories", categories.len())?;
        if let Some(ids) = asset_ids {
            same("asset_ids", ids.len())?;
        }
        Ok((0..lons.len())
            .into_par_iter()
            .with_min_len(32)
            .map(|i| {
                let category = categories[i].as_ref();
                match asset_ids {
                    None => self.dispatch(lons[i], lats[i], category, options),
                    Some(ids) => {
                        let row = DispatchOptions {
                            asset_id: ids[i].as_ref().map(|s| s.as_ref().to_string()),
                            ..options.clone()
                        };
                        self.dispatch(lons[i], lats[i], category, &row)
                    }
                }
            })
            .collect())
    }

    fn asset_hits(
        &self,
        x: f64,
        y: f64,
        k: usize,
        max: Option<f64>,
        filter: &AssetFilter,
    ) -> Vec<AssetHit> {
        self.assets
            .nearest(x, y, k, max, filter)
            .into_iter()
            .map(|(a, d)| AssetHit {
                id: a.id.clone(),
                class: a.class.clone(),
                state: a.state.english().into(),
                distance_m: d,
            })
            .collect()
    }

    fn nearest_workers(
        &self,
        x: f64,
        y: f64,
        grid: Option<&str>,
        o: &DispatchOptions,
    ) -> Vec<ResourceHit> {
        if o.workers == 0 {
            return Vec::new();
        }
        let snap = self.resources.snapshot();
        let mut filter = ResourceFilter {
            kind: Some(o.worker_kind.clone()),
            on_duty_only: true,
            home_grid: None,
        };
        let mut out: Vec<ResourceHit> = Vec::with_capacity(o.workers);
        if let Some(g) = grid {
            filter.home_grid = Some(g.to_string());
            for (r, d) in snap.nearest(x, y, o.workers, o.worker_max_distance_m, &filter) {
                out.push(ResourceHit {
                    id: r.id.clone(),
                    distance_m: d,
                    same_grid: true,
                });
            }
            filter.home_grid = None;
        }
        for (r, d) in snap.nearest(x, y, o.workers, o.worker_max_distance_m, &filter) {
            if out.len() == o.workers {
                break;
            }
            if !out.iter().any(|h| h.id == r.id) {
                out.push(ResourceHit {
                    id: r.id.clone(),
                    distance_m: d,
                    same_grid: false,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn wuhan() -> Dispatcher {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/wuhan.toml");
        Dispatcher::from_manifest(&path).unwrap()
    }

    #[test]
    fn dispatch_many_equals_dispatch_row_by_row() {
        let d = wuhan();
        let options = DispatchOptions {
            crs: Crs::Gcj02,
            ..DispatchOptions::default()
        };
        let asset = (d.assets().assets().iter())
            .find(|a| a.main_dept.is_some())
            .unwrap()
            .clone();
        let n = 300;
        let mut lons: Vec<f64> = (0..n).map(|i| 114.24 + 0.0002 * i as f64).collect();
        let mut lats: Vec<f64> = (0..n).map(|i| 30.57 + 0.0001 * (i % 97) as f64).collect();
        let mut categories: Vec<String> = (0..n)
            .map(|i| ["0103", "0113", "200501", "0301"][i % 4].to_string())
            .collect();
        let mut ids: Vec<Option<String>> = vec![None; n];
        lons[3] = f64::NAN; // a bad point
        categories[4] = "9999".into(); // an unknown category
        ids[5] = Some("4201030103999999".into()); // an unknown asset
        ids[6] = Some(asset.id.clone());
        categories[6] = asset.class.clone();
        lats[7] = 0.0; // outside the city: an empty chain, not an error
        let many = d
            .dispatch_many(&lons, &lats, &categories, Some(&ids), &options)
            .unwrap();
        assert_eq!(many.len(), n);
        for (i, got) in many.iter().enumerate() {
            let row = DispatchOptions {
                asset_id: ids[i].clone(),
                ..options.clone()
            };
            let expected = d.dispatch(lons[i], lats[i], &categories[i], &row);
            // Debug text, because an error holding a NaN coordinate is not equal to itself.
            assert_eq!(format!("{got:?}"), format!("{expected:?}"), "report {i}");
        }
        assert!(matches!(many[3], Err(Error::InvalidPoint { .. })));
        assert!(matches!(many[4], Err(Error::UnknownClass { .. })));
        assert!(matches!(many[5], Err(Error::UnknownId { .. })));
        let main = many[6].as_ref().unwrap();
        assert!(matches!(
            main.departments[0].reason,
            Reason::AssetMain { .. }
        ));
        assert!(many[7].as_ref().unwrap().chain.is_empty());
        assert!(many.iter().filter(|r| r.is_ok()).count() >= n - 3);
        // Without per-report asset ids, options.asset_id applies to every report.
        let plain = d
            .dispatch_many(&lons[..8], &lats[..8], &categories[..8], None, &options)
            .unwrap();
        assert_eq!(
            plain[0],
            d.dispatch(lons[0], lats[0], &categories[0], &options)
        );
    }

    #[test]
    fn dispatch_many_checks_lengths() {
        let d = wuhan();
        let o = DispatchOptions::default();
        let e = d
            .dispatch_many(&[114.27, 114.28], &[30.58, 30.58], &["0103"], None, &o)
            .unwrap_err();
        assert!(matches!(
            e,
            Error::LengthMismatch {
                right_name: "categories",
                left: 2,
                right: 1,
                ..
            }
        ));
        let ids: Vec<Option<&str>> = vec![None];
        let e = d
            .dispatch_many(
                &[114.27, 114.28],
                &[30.58, 30.58],
                &["0103", "0103"],
                Some(&ids),
                &o,
            )
            .unwrap_err();
        assert!(matches!(
            e,
            Error::LengthMismatch {
                right_name: "asset_ids",
                ..
            }
        ));
        assert!(d
            .dispatch_many(&[114.27], &[30.58, 30.59], &["0103"], None, &o)
            .is_err());
        let empty: [&str; 0] = [];
        assert!(d
            .dispatch_many(&[], &[], &empty, None, &o)
            .unwrap()
            .is_empty());
    }
}
