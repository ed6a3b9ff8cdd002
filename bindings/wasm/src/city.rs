//! `City`: snapshots, GeoJSON levels, `locate`, `locateMany`, `region`, `regionsGeoJSON`.

use crate::convert::{
    crs as parse_crs, crs_name, index_arg, js_err, js_ids, json_text, options as parse_options,
    range_error, string_arg, to_js, type_error, JsResult, LimitsJs,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wangge::io::geojson::{level_to_geojson, LevelReader, PropertyNames};
use wangge::{BuildOptions, CodeScheme, LevelInput, RegionId};
use wasm_bindgen::prelude::*;

/// A built, immutable city: levels, regions and the exact point-to-owner index.
///
/// Lives in WebAssembly memory: call `free()` (or use `using`, which calls
/// `[Symbol.dispose]`) when done, or the memory is kept until the module is dropped.
#[wasm_bindgen]
pub struct City {
    pub(crate) inner: Arc<wangge::City>,
}

/// A region as a plain object (`RegionInfo` in the `.d.ts`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionJs<'a> {
    id: u32,
    code: &'a str,
    name: &'a str,
    level: usize,
    level_name: &'a str,
    parent: Option<u32>,
    area_m2: f64,
}

/// `Located` in the `.d.ts`.
#[derive(Serialize)]
struct LocatedJs<'a> {
    id: u32,
    codes: Vec<&'a str>,
    chain: Vec<RegionJs<'a>>,
}

/// One level of `City.fromGeoJSON` (`GeoJSONLevel` in the `.d.ts`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LevelJs {
    name: String,
    geojson: serde_json::Value,
    #[serde(default)]
    code_property: Option<String>,
    #[serde(default)]
    name_property: Option<String>,
    #[serde(default)]
    parent_property: Option<String>,
    #[serde(default)]
    crs: Option<String>,
}

/// `BuildOptions` in the `.d.ts`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BuildOptionsJs {
    #[serde(default)]
    code_scheme: Option<CodeScheme>,
    #[serde(default)]
    parent_tolerance_m: Option<f64>,
    #[serde(default)]
    check_validity: Option<bool>,
    #[serde(default)]
    limits: LimitsJs,
}

/// `GeoJSONLevel[]` (one FeatureCollection per level, top first) as the core's level inputs,
/// read by the core's GeoJSON reader under `limits` (errors name the level and feature).
pub(crate) fn levels_from_js(levels: &JsValue, limits: &LimitsJs) -> JsResult<Vec<LevelInput>> {
    let limits = limits.read_limits()?;
    if !js_sys::Array::is_array(levels) {
        return Err(type_error(
            "levels must be an array of {name, geojson, ...} objects",
        ));
    }
    let text = json_text(levels, "levels")?.unwrap_or_default();
    let specs: Vec<LevelJs> =
        serde_json::from_str(&text).map_err(|e| type_error(&format!("levels: {e}")))?;
    let converter = wangge::crs::Converter::default();
    let mut inputs = Vec::with_capacity(specs.len());
    for spec in specs {
        let names = PropertyNames {
            code: spec.code_property.unwrap_or_else(|| "code".into()),
            name: Some(spec.name_property.unwrap_or_else(|| "name".into())),
            parent: spec.parent_property,
        };
        let body = match &spec.geojson {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let source = format!("level {:?}", spec.name);
        let regions = LevelReader {
            level: &spec.name,
            props: &names,
            crs: crs_name(spec.crs.as_deref())?,
            converter: &converter,
            limits,
        }
        .read_str(&source, &body)
        .map_err(js_err)?;
        inputs.push(LevelInput {
            name: spec.name,
            regions,
        });
    }
    Ok(inputs)
}

impl City {
    pub(crate) fn from_arc(inner: Arc<wangge::City>) -> City {
        City { inner }
    }

    fn region_js(&self, id: RegionId) -> RegionJs<'_> {
        let city = &*self.inner;
        let r = city.region(id);
        RegionJs {
            id: id.0,
            code: &r.code,
            name: &r.name,
            level: r.level,
            level_name: &city.levels()[r.level],
            parent: r.parent.map(|p| p.0),
            area_m2: r.area_m2,
        }
    }

    /// A level given by name or index: a `RangeError` for an unknown name or an index out of
    /// range, a `TypeError` for anything else.
    fn level_index(&self, level: &JsValue) -> JsResult<usize> {
        let levels = self.inner.levels();
        if let Some(name) = level.as_string() {
            return self
                .inner
                .level_index(&name)
                .ok_or_else(|| range_error(&format!("no level {name:?}; levels are {levels:?}")));
        }
        match level.as_f64() {
            Some(i) if i >= 0.0 && i.fract() == 0.0 && (i as usize) < levels.len() => {
                Ok(i as usize)
            }
            Some(i) => Err(range_error(&format!(
                "level index {i} out of range ({} levels)",
                levels.len()
            ))),
            None => Err(type_error("level must be a level name or index")),
        }
    }
}

#[wasm_bindgen]
impl City {
    /// Rebuilds a city from snapshot bytes (`toBytes`, or `wangge build -o city.wgg`).
    /// Throws on corrupt, truncated or foreign bytes.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> JsResult<City> {
        let city = wangge::City::from_bytes(bytes).map_err(js_err)?;
        Ok(City::from_arc(Arc::new(city)))
    }

    /// Builds a city from one GeoJSON FeatureCollection per level, top level first, with every
    /// check of the core (errors name level, feature index and code).
    #[wasm_bindgen(js_name = fromGeoJSON)]
    pub fn from_geojson(
        #[wasm_bindgen(unchecked_param_type = "GeoJSONLevel[]")] levels: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "BuildOptions")] options: Option<JsValue>,
    ) -> JsResult<City> {
        let opts: BuildOptionsJs = parse_options(options.as_ref(), "options")?;
        let inputs = levels_from_js(&levels, &opts.limits)?;
        let defaults = BuildOptions::default();
        let build = BuildOptions {
            code_scheme: opts.code_scheme.unwrap_or(defaults.code_scheme),
            parent_tolerance_m: opts
                .parent_tolerance_m
                .unwrap_or(defaults.parent_tolerance_m),
            check_validity: opts.check_validity.unwrap_or(defaults.check_validity),
        };
        let city = wangge::City::build(inputs, &build).map_err(js_err)?;
        Ok(City::from_arc(Arc::new(city)))
    }

    /// The snapshot bytes (versioned, checksummed).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// Level names, top first.
    #[wasm_bindgen(getter)]
    pub fn levels(&self) -> Vec<String> {
        self.inner.levels().to_vec()
    }

    /// Number of regions (ids are `0 .. regionCount - 1`).
    #[wasm_bindgen(getter, js_name = regionCount)]
    pub fn region_count(&self) -> u32 {
        self.inner.len() as u32
    }

    /// Region codes by id (`codes[id]`).
    #[wasm_bindgen(getter)]
    pub fn codes(&self) -> Vec<String> {
        self.inner
            .regions()
            .iter()
            .map(|r| r.code.clone())
            .collect()
    }

    /// The owner of one point and its chain, or `null` when no region owns it.
    /// `lng`, `lat` in `crs` (default WGS84).
    #[wasm_bindgen(unchecked_return_type = "Located | null")]
    pub fn locate(
        &self,
        lng: f64,
        lat: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "CrsName")] crs: Option<JsValue>,
    ) -> JsResult<JsValue> {
        let crs = parse_crs(crs.as_ref())?;
        let Some(hit) = self.inner.locate_in(crs, lng, lat) else {
            return Ok(JsValue::NULL);
        };
        let mut chain: Vec<RegionJs<'_>> = hit.chain_ids().map(|id| self.region_js(id)).collect();
        chain.reverse(); // top level first
        to_js(&LocatedJs {
            id: hit.leaf_id().0,
            codes: chain.iter().map(|r| r.code).collect(),
            chain,
        })
    }

    /// Owners of many points as region ids (`Int32Array`), -1 where there is none (also for
    /// NaN or infinite coordinates). `lngs`, `lats` in `crs` (default WGS84). Throws when the
    /// arrays differ in length.
    #[wasm_bindgen(js_name = locateMany)]
    pub fn locate_many(
        &self,
        lngs: &[f64],
        lats: &[f64],
        #[wasm_bindgen(unchecked_optional_param_type = "CrsName")] crs: Option<JsValue>,
    ) -> JsResult<Vec<i32>> {
        let crs = parse_crs(crs.as_ref())?;
        let ids = self.inner.locate_many_in(crs, lngs, lats).map_err(js_err)?;
        Ok(js_ids(ids))
    }

    /// A region by id; a `RangeError` for an id outside `0 .. regionCount - 1`.
    #[wasm_bindgen(unchecked_return_type = "RegionInfo")]
    pub fn region(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] id: JsValue,
    ) -> JsResult<JsValue> {
        let id = index_arg(&id, "region id")?;
        if self.inner.get(RegionId(id)).is_none() {
            return Err(range_error(&format!(
                "region id {id} out of range (the city has {} regions)",
                self.inner.len()
            )));
        }
        to_js(&self.region_js(RegionId(id)))
    }

    /// The id of the region with this code, or `undefined`.
    #[wasm_bindgen(js_name = byCode)]
    pub fn by_code(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
    ) -> JsResult<Option<u32>> {
        let code = string_arg(&code, "code")?;
        Ok(self.inner.by_code(&code).map(|id| id.0))
    }

    /// Region ids of one level (by name or index), in code order.
    #[wasm_bindgen(js_name = levelIds)]
    pub fn level_ids(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | number")] level: JsValue,
    ) -> JsResult<Vec<u32>> {
        let index = self.level_index(&level)?;
        Ok(self.inner.level_ranges()[index].clone().collect())
    }

    /// One level (by name or index) as a GeoJSON FeatureCollection of MultiPolygons with
    /// properties `code`, `name`, `level`, `parent` (code or null) and `area_m2`; coordinates
    /// in `crs` (default WGS84). Ready for a MapLibre `geojson` source.
    #[wasm_bindgen(js_name = regionsGeoJSON, unchecked_return_type = "object")]
    pub fn regions_geojson(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | number")] level: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CrsName")] crs: Option<JsValue>,
    ) -> JsResult<JsValue> {
        let index = self.level_index(&level)?;
        let crs = parse_crs(crs.as_ref())?;
        let fc = level_to_geojson(&self.inner, index, crs, self.inner.converter());
        to_js(&fc)
    }
}
