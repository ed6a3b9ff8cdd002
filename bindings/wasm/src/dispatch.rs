//! `Dispatcher`: departments, assets and live resources of a city, built from in-memory text.

use crate::city::City;
use crate::convert::{
    crs as parse_crs, crs_name, index_arg, js_err, options, range_error, string_arg, strings_arg,
    to_js, type_error, JsResult,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use wangge::assets::{Asset, AssetFilter};
use wangge::dispatch::{DispatchOptions, Dispatcher as CoreDispatcher};
use wangge::io::dispatch_spec::DispatchSpec;
use wangge::io::manifest::Manifest;
use wangge::Error;
use wasm_bindgen::prelude::*;

/// Code table, departments, assets and live resources of a city, ready to dispatch reports.
///
/// Lives in WebAssembly memory: call `free()` (or `using`) when done. Its `city` is shared,
/// not copied; freeing one does not invalidate the other.
#[wasm_bindgen]
pub struct Dispatcher {
    pub(crate) inner: CoreDispatcher,
}

/// `DispatchOptions` in the `.d.ts`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DispatchOptionsJs {
    #[serde(default)]
    crs: Option<String>,
    #[serde(default)]
    asset_id: Option<String>,
    #[serde(default)]
    workers: Option<usize>,
}

/// `AssetQueryOptions` in the `.d.ts`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssetQueryJs {
    #[serde(default)]
    crs: Option<String>,
    #[serde(default)]
    classes: Option<OneOrMany>,
    #[serde(default)]
    max_distance_m: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `AssetHit` in the `.d.ts`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssetJs<'a> {
    id: &'a str,
    class: &'a str,
    name: &'a str,
    state: &'a str,
    lng: f64,
    lat: f64,
    distance_m: f64,
    main_dept: Option<&'a str>,
    region: Option<&'a str>,
}

/// `ResourceInfo` in the `.d.ts`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceJs<'a> {
    id: &'a str,
    kind: &'a str,
    lng: f64,
    lat: f64,
    on_duty: bool,
    home_grid: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkerHitJs<'a> {
    id: &'a str,
    distance_m: f64,
    same_grid: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssetHitJs<'a> {
    id: &'a str,
    class: &'a str,
    state: &'a str,
    distance_m: f64,
}

/// `DispatchResult` in the `.d.ts`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DispatchJs<'a> {
    lng: f64,
    lat: f64,
    chain: &'a [wangge::dispatch::RegionRef],
    category: &'a str,
    category_name: &'a str,
    departments: &'a [wangge::dispatch::DepartmentMatch],
    department: Option<&'a str>,
    workers: Vec<WorkerHitJs<'a>>,
    assets: Vec<AssetHitJs<'a>>,
    nearby: BTreeMap<&'a str, Vec<AssetHitJs<'a>>>,
}

fn asset_hits(hits: &[wangge::dispatch::AssetHit]) -> Vec<AssetHitJs<'_>> {
    hits.iter()
        .map(|h| AssetHitJs {
            id: &h.id,
            class: &h.class,
            state: &h.state,
            distance_m: h.distance_m,
        })
        .collect()
}

/// Reads the spec's files from a JS object `{path: text}`.
fn file_reader(files: &JsValue) -> JsResult<BTreeMap<String, String>> {
    if files.is_undefined() || files.is_null() {
        return Ok(BTreeMap::new());
    }
    if !files.is_object() {
        return Err(type_error("files must be an object {path: text}"));
    }
    let mut out = BTreeMap::new();
    for entry in js_sys::Object::entries(files.unchecked_ref()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let text = pair
            .get(1)
            .as_string()
            .ok_or_else(|| type_error(&format!("files[{key:?}] must be a string")))?;
        out.insert(key, text);
    }
    Ok(out)
}

fn load(spec: &DispatchSpec, city: &City, files: &JsValue) -> JsResult<Dispatcher> {
    let files = file_reader(files)?;
    let inner = spec
        .load_with(city.inner.clone(), &mut |p: &Path| {
            let key = p.to_string_lossy();
            match files.get(key.as_ref()) {
                Some(text) => Ok((key.to_string(), text.clone())),
                None => Err(Error::Io {
                    path: key.to_string(),
                    reason: format!(
                        "not among the given files ({:?})",
                        files.keys().collect::<Vec<_>>()
                    ),
                }),
            }
        })
        .map_err(js_err)?;
    Ok(Dispatcher { inner })
}

impl Dispatcher {
    fn asset_js<'a>(&'a self, a: &'a Asset, distance_m: f64) -> AssetJs<'a> {
        AssetJs {
            id: &a.id,
            class: &a.class,
            name: &a.name,
            state: a.state.english(),
            lng: a.lon,
            lat: a.lat,
            distance_m,
            main_dept: a.main_dept.as_deref(),
            region: a.region.map(|r| self.inner.city().region(r).code.as_str()),
        }
    }

    fn asset_query(
        &self,
        lng: f64,
        lat: f64,
        opts: Option<&JsValue>,
    ) -> JsResult<(f64, f64, AssetFilter, Option<f64>)> {
        let o: AssetQueryJs = options(opts, "options")?;
        let crs = crs_name(o.crs.as_deref())?;
        wangge::crs::check_point(0, lng, lat, "query point").map_err(js_err)?;
        let (x, y) = self.inner.city().converter().to_wgs84(crs, lng, lat);
        let filter = match o.classes {
            None => AssetFilter::default(),
            Some(OneOrMany::One(c)) => AssetFilter::classes([c]),
            Some(OneOrMany::Many(cs)) => AssetFilter::classes(cs),
        };
        Ok((x, y, filter, o.max_distance_m))
    }
}

#[wasm_bindgen]
impl Dispatcher {
    /// Builds a dispatcher for `city` from a manifest's `[dispatch]` section given as an object
    /// (the manifest's keys: `departments`, `codes`, `assets`, `workers`; e.g.
    /// `{departments: "departments.toml", workers: {file: "workers.csv"}, assets: {generate:
    /// {per_region: 3, seed: 1}}}`), with the files it names supplied as text in `files`
    /// (`{"departments.toml": "...", "workers.csv": "..."}`).
    #[wasm_bindgen(js_name = fromSpec)]
    pub fn from_spec(
        city: &City,
        #[wasm_bindgen(unchecked_param_type = "object")] spec: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] files: JsValue,
    ) -> JsResult<Dispatcher> {
        if !spec.is_object() {
            return Err(type_error(
                "spec must be an object (a manifest's [dispatch] section)",
            ));
        }
        let text = crate::convert::json_text(&spec, "spec")?.unwrap_or_default();
        // Read as the manifest's [dispatch] section would be: a ManifestError as in `fromManifest`.
        let spec: DispatchSpec = serde_json::from_str(&text).map_err(|e| {
            js_err(Error::Manifest {
                path: "spec".into(),
                reason: e.to_string(),
            })
        })?;
        load(&spec, city, &files)
    }

    /// Builds a dispatcher for `city` from the `[dispatch]` section of a manifest given as TOML
    /// text (e.g. `data/wuhan.toml`), with the files it names supplied as text in `files`.
    /// The manifest's levels are not built: the city is given.
    #[wasm_bindgen(js_name = fromManifest)]
    pub fn from_manifest(
        city: &City,
        #[wasm_bindgen(unchecked_param_type = "string")] manifest: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] files: JsValue,
    ) -> JsResult<Dispatcher> {
        let manifest = string_arg(&manifest, "manifest")?;
        let path = Path::new("manifest.toml");
        let m = Manifest::parse(path, &manifest).map_err(js_err)?;
        let spec = m.dispatch.ok_or_else(|| {
            js_err(Error::Manifest {
                path: path.display().to_string(),
                reason: "no [dispatch] section".into(),
            })
        })?;
        load(&spec, city, &files)
    }

    /// The city (shared, not copied).
    #[wasm_bindgen(getter)]
    pub fn city(&self) -> City {
        City::from_arc(self.inner.city().clone())
    }

    /// Dispatches one report of `category` (a component class or event code, e.g. "0103")
    /// at (`lng`, `lat`): chain, departments with reasons, workers, assets, nearby lists.
    #[wasm_bindgen(unchecked_return_type = "DispatchResult")]
    pub fn dispatch(
        &self,
        lng: f64,
        lat: f64,
        #[wasm_bindgen(unchecked_param_type = "string")] category: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DispatchOptions")] opts: Option<JsValue>,
    ) -> JsResult<JsValue> {
        let category = string_arg(&category, "category")?;
        let o: DispatchOptionsJs = options(opts.as_ref(), "options")?;
        let defaults = DispatchOptions::default();
        let options = DispatchOptions {
            crs: crs_name(o.crs.as_deref())?,
            asset_id: o.asset_id,
            workers: o.workers.unwrap_or(defaults.workers),
            ..defaults
        };
        let r = self
            .inner
            .dispatch(lng, lat, &category, &options)
            .map_err(js_err)?;
        to_js(&DispatchJs {
            lng: r.lon,
            lat: r.lat,
            chain: &r.chain,
            category: &r.category,
            category_name: &r.category_name,
            departments: &r.departments,
            department: r.departments.first().map(|d| d.code.as_str()),
            workers: r
                .workers
                .iter()
                .map(|w| WorkerHitJs {
                    id: &w.id,
                    distance_m: w.distance_m,
                    same_grid: w.same_grid,
                })
                .collect(),
            assets: asset_hits(&r.assets),
            nearby: r
                .nearby
                .iter()
                .map(|(label, hits)| (label.as_str(), asset_hits(hits)))
                .collect(),
        })
    }

    /// The `k` nearest assets to (`lng`, `lat`) (exact geodesic order, ties by id), optionally
    /// only of some classes and within `maxDistanceM`.
    #[wasm_bindgen(unchecked_return_type = "AssetHit[]")]
    pub fn nearest(
        &self,
        lng: f64,
        lat: f64,
        #[wasm_bindgen(unchecked_param_type = "number")] k: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "AssetQueryOptions")] opts: Option<JsValue>,
    ) -> JsResult<JsValue> {
        let k = index_arg(&k, "k")?;
        let (x, y, filter, max) = self.asset_query(lng, lat, opts.as_ref())?;
        let hits = self.inner.assets().nearest(x, y, k as usize, max, &filter);
        let out: Vec<AssetJs<'_>> = hits.iter().map(|(a, d)| self.asset_js(a, *d)).collect();
        to_js(&out)
    }

    /// Every asset within `radiusM` metres (geodesic) of (`lng`, `lat`), nearest first, ties by
    /// id, optionally only of some classes.
    #[wasm_bindgen(unchecked_return_type = "AssetHit[]")]
    pub fn within(
        &self,
        lng: f64,
        lat: f64,
        radius_m: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "AssetQueryOptions")] opts: Option<JsValue>,
    ) -> JsResult<JsValue> {
        let (x, y, filter, _) = self.asset_query(lng, lat, opts.as_ref())?;
        if !radius_m.is_finite() || radius_m < 0.0 {
            return Err(range_error(&format!(
                "radiusM must be a finite number ≥ 0, got {radius_m}"
            )));
        }
        let hits = self.inner.assets().within(x, y, radius_m, &filter);
        let out: Vec<AssetJs<'_>> = hits.iter().map(|(a, d)| self.asset_js(a, *d)).collect();
        to_js(&out)
    }

    /// Number of assets.
    #[wasm_bindgen(getter, js_name = assetCount)]
    pub fn asset_count(&self) -> u32 {
        self.inner.assets().len() as u32
    }

    /// Moves live resources: `ids[i]` to (`lngs[i]`, `lats[i]`) in `crs` (default WGS84).
    /// All-or-nothing: an unknown id or a bad coordinate throws and changes nothing. Returns the
    /// new resource version.
    #[wasm_bindgen(js_name = updatePositions)]
    pub fn update_positions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        lngs: &[f64],
        lats: &[f64],
        #[wasm_bindgen(unchecked_optional_param_type = "CrsName")] crs: Option<JsValue>,
    ) -> JsResult<f64> {
        let ids = strings_arg(&ids, "ids")?;
        let crs = parse_crs(crs.as_ref())?;
        Error::check_lengths(lngs, lats).map_err(js_err)?;
        if ids.len() != lngs.len() {
            return Err(js_err(Error::LengthMismatch {
                left_name: "ids",
                left: ids.len(),
                right_name: "lngs",
                right: lngs.len(),
            }));
        }
        let (mut x, mut y) = (lngs.to_vec(), lats.to_vec());
        self.inner
            .city()
            .converter()
            .to_wgs84_in_place(crs, &mut x, &mut y)
            .map_err(js_err)?;
        let updates: Vec<(&str, f64, f64)> = ids
            .iter()
            .zip(x.iter().zip(&y))
            .map(|(id, (&a, &b))| (id.as_str(), a, b))
            .collect();
        let version = self
            .inner
            .resources()
            .update_positions(&updates)
            .map_err(js_err)?;
        Ok(version as f64)
    }

    /// Current version of the live resources (0 when built, +1 per update batch).
    #[wasm_bindgen(getter, js_name = resourceVersion)]
    pub fn resource_version(&self) -> f64 {
        self.inner.resources().snapshot().version() as f64
    }

    /// All live resources (sorted by id), positions in WGS84.
    #[wasm_bindgen(unchecked_return_type = "ResourceInfo[]")]
    pub fn resources(&self) -> JsResult<JsValue> {
        let snap = self.inner.resources().snapshot();
        let out: Vec<ResourceJs<'_>> = snap
            .resources()
            .iter()
            .map(|r| ResourceJs {
                id: &r.id,
                kind: &r.kind,
                lng: r.lon,
                lat: r.lat,
                on_duty: r.on_duty,
                home_grid: r.home_grid.as_deref(),
            })
            .collect();
        to_js(&out)
    }
}
