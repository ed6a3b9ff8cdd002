//! Planner tools: `Planner` (versions of a city: preview, commit, rollback), `Preview` (the
//! candidate city, its findings and impact report), `validateGeoJSON` and `diffCities`.
//! Every rule is in `wangge::plan` and `wangge::validate`; this file converts.

use crate::city::{levels_from_js, City};
use crate::convert::{
    crs as parse_crs, js_err, json_text, optional_string_arg, options as parse_options, to_js,
    type_error, JsResult, LimitsJs,
};
use crate::dispatch::Dispatcher;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wangge::plan::{self, Edit, History, ImpactReport, PlanOptions};
use wangge::validate::{validate_levels, Report, Severity, ValidateOptions};
use wangge::CodeScheme;
use wasm_bindgen::prelude::*;

/// `ValidateOptions` in the `.d.ts` (every key optional; the core's defaults otherwise).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ValidateOptionsJs {
    #[serde(default)]
    code_scheme: Option<CodeScheme>,
    #[serde(default)]
    overlap_min_area_m2: Option<f64>,
    #[serde(default)]
    gap_min_area_m2: Option<f64>,
    #[serde(default)]
    sliver_area_m2: Option<f64>,
    #[serde(default)]
    sliver_thinness: Option<f64>,
    #[serde(default)]
    area_warn_m2: Option<(f64, f64)>,
    #[serde(default)]
    area_error_m2: Option<(f64, f64)>,
    #[serde(default)]
    spike_angle_deg: Option<f64>,
    #[serde(default)]
    limits: LimitsJs,
}

impl ValidateOptionsJs {
    fn into_core(self) -> ValidateOptions {
        let d = ValidateOptions::default();
        ValidateOptions {
            code_scheme: self.code_scheme.unwrap_or(d.code_scheme),
            overlap_min_area_m2: self.overlap_min_area_m2.unwrap_or(d.overlap_min_area_m2),
            gap_min_area_m2: self.gap_min_area_m2.unwrap_or(d.gap_min_area_m2),
            sliver_area_m2: self.sliver_area_m2.unwrap_or(d.sliver_area_m2),
            sliver_thinness: self.sliver_thinness.unwrap_or(d.sliver_thinness),
            area_warn_m2: self.area_warn_m2.unwrap_or(d.area_warn_m2),
            area_error_m2: self.area_error_m2.unwrap_or(d.area_error_m2),
            spike_angle_deg: self.spike_angle_deg.unwrap_or(d.spike_angle_deg),
        }
    }
}

/// `PlanOptions` in the `.d.ts`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanOptionsJs {
    #[serde(default)]
    reuse_retired_codes: Option<bool>,
    #[serde(default)]
    parent_tolerance_m: Option<f64>,
    #[serde(default)]
    validate: Option<ValidateOptionsJs>,
}

/// `ValidationReport` in the `.d.ts`: the core's report plus its verdict and counts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportJs<'a> {
    valid: bool,
    errors: usize,
    warnings: usize,
    #[serde(flatten)]
    report: &'a Report,
}

fn report_js(report: &Report) -> JsResult<JsValue> {
    to_js(&ReportJs {
        valid: !report.has_errors(),
        errors: report.count(Severity::Error),
        warnings: report.count(Severity::Warning),
        report,
    })
}

/// `VersionInfo` in the `.d.ts`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionJs<'a> {
    number: u64,
    parent: Option<u64>,
    note: &'a str,
    edits: &'a [Edit],
    region_count: usize,
    retired: Vec<&'a str>,
}

/// The versions of one city: preview an edit set, commit it as a new immutable version, roll
/// back. Cities handed out earlier (`city()`) keep answering for their version.
///
/// Lives in WebAssembly memory: call `free()` (or `using`) when done.
#[wasm_bindgen]
pub struct Planner {
    history: History,
}

#[wasm_bindgen]
impl Planner {
    /// A planner whose version 1 is `city` (copied: the given `City` stays valid and unchanged).
    /// `options`: `{reuseRetiredCodes?, parentToleranceM?, validate?: ValidateOptions}`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        city: &City,
        #[wasm_bindgen(unchecked_optional_param_type = "PlanOptions")] options: Option<JsValue>,
    ) -> JsResult<Planner> {
        let o: PlanOptionsJs = parse_options(options.as_ref(), "options")?;
        if o.validate.as_ref().is_some_and(|v| v.limits.is_set()) {
            return Err(type_error(
                "options.validate.limits: a planner reads no GeoJSON (limits are options of \
                 City.fromGeoJSON and validateGeoJSON)",
            ));
        }
        let d = PlanOptions::default();
        let options = PlanOptions {
            reuse_retired_codes: o.reuse_retired_codes.unwrap_or(d.reuse_retired_codes),
            parent_tolerance_m: o.parent_tolerance_m.unwrap_or(d.parent_tolerance_m),
            validate: o.validate.map_or(d.validate, ValidateOptionsJs::into_core),
        };
        // `History::new` takes the city by value; the JS `City` keeps its own copy.
        Ok(Planner {
            history: History::new((*city.inner).clone(), options),
        })
    }

    /// The current version's number (1 at the start, +1 per commit or rollback).
    #[wasm_bindgen(getter)]
    pub fn current(&self) -> f64 {
        self.history.current().number() as f64
    }

    /// The current version's city (shared, not copied). It keeps answering for this version
    /// after later commits; call `city()` again to see them.
    pub fn city(&self) -> City {
        City::from_arc(self.history.current().city().clone())
    }

    /// The city of version `number` (shared), or `undefined` when there is no such version.
    #[wasm_bindgen(js_name = cityAt)]
    pub fn city_at(&self, number: f64) -> Option<City> {
        if number < 1.0 || number.fract() != 0.0 {
            return None;
        }
        self.history
            .version(number as u64)
            .map(|v| City::from_arc(v.city().clone()))
    }

    /// Every version, oldest first: `{number, parent, note, edits, regionCount, retired}`.
    #[wasm_bindgen(unchecked_return_type = "VersionInfo[]")]
    pub fn versions(&self) -> JsResult<JsValue> {
        let versions = self.history.versions();
        let out: Vec<VersionJs<'_>> = versions
            .iter()
            .map(|v| VersionJs {
                number: v.number(),
                parent: v.parent(),
                note: v.note(),
                edits: v.edits(),
                region_count: v.city().len(),
                retired: v.retired().iter().map(String::as_str).collect(),
            })
            .collect();
        to_js(&out)
    }

    /// Applies an edit set to the current version without committing. `edits`: a list of
    /// edits (or one edit) as objects or JSON text, e.g. `[{op: "split", grid:
    /// "420103001001001", line: [[lng, lat], [lng, lat]]}]` (WGS84; ops split, merge,
    /// reshape, reassign, replace). Throws when an edit cannot be applied (unknown code, a line
    /// that misses its grid, …); a candidate that breaks the partition is returned with
    /// `valid === false` and its findings.
    pub fn preview(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EditSpec | EditSpec[] | string")] edits: JsValue,
    ) -> JsResult<Preview> {
        let text = json_text(&edits, "edits")?
            .ok_or_else(|| type_error("edits must be a list of edits or its JSON text"))?;
        let edits = Edit::parse_set("edits", &text).map_err(js_err)?;
        let inner = self.history.preview(edits).map_err(js_err)?;
        Ok(Preview {
            inner: Some(inner),
            committed: None,
        })
    }

    /// Makes a valid preview the next version and returns its number; the preview is used up.
    /// Throws, changing nothing, when the preview has error findings or was made on a version
    /// that is no longer current (preview again).
    pub fn commit(
        &self,
        preview: &mut Preview,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] note: Option<JsValue>,
    ) -> JsResult<f64> {
        let note = optional_string_arg(note.as_ref(), "note")?;
        let candidate = preview.get()?.clone();
        let version = self
            .history
            .commit(candidate, note.as_deref().unwrap_or(""))
            .map_err(js_err)?;
        preview.inner = None;
        preview.committed = Some(version.number());
        Ok(version.number() as f64)
    }

    /// Makes version `number`'s city current again as a new version (history is never
    /// rewritten) and returns the new number. Throws for an unknown version.
    pub fn rollback(
        &self,
        number: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] note: Option<JsValue>,
    ) -> JsResult<f64> {
        let note = optional_string_arg(note.as_ref(), "note")?;
        if number < 1.0 || number.fract() != 0.0 {
            return Err(js_err(wangge::Error::Version(format!(
                "no version {number}"
            ))));
        }
        let version = self
            .history
            .rollback(number as u64, note.as_deref().unwrap_or(""))
            .map_err(js_err)?;
        Ok(version.number() as f64)
    }

    /// Codes retired up to the current version (never handed out again unless
    /// `reuseRetiredCodes`).
    #[wasm_bindgen(getter)]
    pub fn retired(&self) -> Vec<String> {
        self.history.current().retired().iter().cloned().collect()
    }
}

/// An edit set applied to a version, not committed: the candidate city, its validation
/// findings, the code changes and the impact report. Pass it to `Planner.commit`.
///
/// Lives in WebAssembly memory: call `free()` (or `using`) when done.
#[wasm_bindgen]
pub struct Preview {
    inner: Option<plan::Preview>,
    committed: Option<u64>,
}

/// Case points for `Preview.impact`: `{ids?, lngs, lats, crs?}`.
struct Cases {
    ids: Vec<String>,
    lons: Vec<f64>,
    lats: Vec<f64>,
}

fn cases_from_js(value: Option<&JsValue>, city: &wangge::City) -> JsResult<Option<Cases>> {
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(None);
    };
    if !value.is_object() {
        return Err(type_error(
            "cases must be an object {ids?, lngs, lats, crs?}",
        ));
    }
    let get = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or_default();
    for key in js_sys::Reflect::own_keys(value).unwrap_or_default().iter() {
        let key = key.as_string().unwrap_or_default();
        if !["ids", "lngs", "lats", "crs"].contains(&key.as_str()) {
            return Err(type_error(&format!(
                "cases: unknown key {key:?} (expected ids, lngs, lats, crs)"
            )));
        }
    }
    let numbers = |key: &str| -> JsResult<Vec<f64>> {
        let v = get(key);
        if !(js_sys::Array::is_array(&v) || v.is_instance_of::<js_sys::Float64Array>()) {
            return Err(type_error(&format!(
                "cases.{key} must be an array or a Float64Array of numbers"
            )));
        }
        Ok(js_sys::Float64Array::new(&v).to_vec())
    };
    let mut lons = numbers("lngs")?;
    let mut lats = numbers("lats")?;
    let ids_value = get("ids");
    let ids: Vec<String> = if ids_value.is_undefined() || ids_value.is_null() {
        (0..lons.len()).map(|i| i.to_string()).collect()
    } else if js_sys::Array::is_array(&ids_value) {
        js_sys::Array::from(&ids_value)
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_string()
                    .or_else(|| v.as_f64().map(|x| x.to_string()))
                    .ok_or_else(|| {
                        type_error(&format!("cases.ids[{i}] must be a string or a number"))
                    })
            })
            .collect::<Result<_, _>>()?
    } else {
        return Err(type_error("cases.ids must be an array"));
    };
    let crs = parse_crs(Some(&get("crs")))?;
    city.converter()
        .to_wgs84_in_place(crs, &mut lons, &mut lats)
        .map_err(js_err)?;
    Ok(Some(Cases { ids, lons, lats }))
}

impl Preview {
    fn get(&self) -> JsResult<&plan::Preview> {
        self.inner.as_ref().ok_or_else(|| {
            js_err(wangge::Error::Version(match self.committed {
                Some(n) => format!("this preview was committed as version {n}"),
                None => "this preview is no longer available".to_string(),
            }))
        })
    }

    fn impact_report(
        &self,
        dispatcher: Option<&Dispatcher>,
        cases: Option<&JsValue>,
    ) -> JsResult<ImpactReport> {
        let p = self.get()?;
        let cases = cases_from_js(cases, p.base().city())?;
        let assets = dispatcher.map(|d| d.inner.assets());
        let snapshot = dispatcher.map(|d| d.inner.resources().snapshot());
        let resources = snapshot.as_ref().map_or(&[][..], |s| s.resources());
        p.impact(
            assets,
            resources,
            cases
                .as_ref()
                .map(|c| (&c.ids[..], &c.lons[..], &c.lats[..])),
        )
        .map_err(js_err)
    }
}

#[wasm_bindgen]
impl Preview {
    /// No error finding: `Planner.commit` accepts it.
    #[wasm_bindgen(getter)]
    pub fn valid(&self) -> JsResult<bool> {
        Ok(self.get()?.is_valid())
    }

    /// The version the edits were applied to.
    #[wasm_bindgen(getter, js_name = baseVersion)]
    pub fn base_version(&self) -> JsResult<f64> {
        Ok(self.get()?.base().number() as f64)
    }

    /// The version this preview became, once committed (else `undefined`).
    #[wasm_bindgen(getter, js_name = committedAs)]
    pub fn committed_as(&self) -> Option<f64> {
        self.committed.map(|n| n as f64)
    }

    /// Codes `{created, retired, changed, stitched}` (created: the new grids, in reading order
    /// for a split).
    #[wasm_bindgen(getter, unchecked_return_type = "CodeChanges")]
    pub fn codes(&self) -> JsResult<JsValue> {
        to_js(self.get()?.codes())
    }

    /// The edits, as parsed.
    #[wasm_bindgen(getter, unchecked_return_type = "EditSpec[]")]
    pub fn edits(&self) -> JsResult<JsValue> {
        to_js(self.get()?.edits())
    }

    /// The validation findings about the touched regions and their parents
    /// (`ValidationReport`).
    #[wasm_bindgen(unchecked_return_type = "ValidationReport")]
    pub fn report(&self) -> JsResult<JsValue> {
        report_js(self.get()?.report())
    }

    /// The impact report (`ImpactReport`, the same JSON as `wangge edit --format json`):
    /// validity, codes, region changes with areas, findings, and the case points of `cases`
    /// (`{ids?, lngs, lats, crs?}`, ids default to row numbers) whose grid changes.
    #[wasm_bindgen(unchecked_return_type = "ImpactReport")]
    pub fn impact(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CasePoints")] cases: Option<JsValue>,
    ) -> JsResult<JsValue> {
        to_js(&self.impact_report(None, cases.as_ref())?)
    }

    /// `impact` plus the dispatcher's assets and live resources whose grid changes, and the
    /// resources whose home grid is retired or reshaped.
    #[wasm_bindgen(js_name = impactWith, unchecked_return_type = "ImpactReport")]
    pub fn impact_with(
        &self,
        dispatcher: &Dispatcher,
        #[wasm_bindgen(unchecked_optional_param_type = "CasePoints")] cases: Option<JsValue>,
    ) -> JsResult<JsValue> {
        to_js(&self.impact_report(Some(dispatcher), cases.as_ref())?)
    }

    /// The impact report as readable text (as `wangge edit` prints it), without items.
    pub fn summary(&self) -> JsResult<String> {
        Ok(self.impact_report(None, None)?.to_text())
    }

    /// The region changes and the findings as one GeoJSON FeatureCollection: region features
    /// carry `change` ("added", "removed", "changed"), `code`, `level`, `before_m2`,
    /// `after_m2` (removed regions their old shape); findings carry `kind`, `severity`,
    /// `codes`, `message`. WGS84. Ready for a MapLibre `geojson` source.
    #[wasm_bindgen(js_name = changesGeoJSON, unchecked_return_type = "object")]
    pub fn changes_geojson(&self) -> JsResult<JsValue> {
        to_js(&self.impact_report(None, None)?.to_geojson())
    }

    /// The candidate city (a copy), e.g. to `locate` or draw it before committing.
    pub fn city(&self) -> JsResult<City> {
        Ok(City::from_arc(Arc::new(self.get()?.city().clone())))
    }
}

/// Validates levels given as GeoJSON (the `GeoJSONLevel[]` of `City.fromGeoJSON`) against
/// the standard and reports every finding (never throws for a bad partition; throws for
/// unreadable input): invalid rings, overlaps, gaps, parts outside the parent, slivers, areas
/// out of range, codes, serial order. Findings carry GeoJSON geometries (WGS84).
#[wasm_bindgen(js_name = validateGeoJSON, unchecked_return_type = "ValidationReport")]
pub fn validate_geojson(
    #[wasm_bindgen(unchecked_param_type = "GeoJSONLevel[]")] levels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateOptions")] options: Option<JsValue>,
) -> JsResult<JsValue> {
    let o: ValidateOptionsJs = parse_options(options.as_ref(), "options")?;
    let inputs = levels_from_js(&levels, &o.limits)?;
    report_js(&validate_levels(&inputs, &o.into_core()))
}

/// How `newer` differs from `older`, region by region (matched by code): `{regions: [{change,
/// code, level, before_m2, after_m2, shape, parent_before, name_before}]}`.
#[wasm_bindgen(js_name = diffCities, unchecked_return_type = "{ regions: RegionChange[] }")]
pub fn diff_cities(older: &City, newer: &City) -> JsResult<JsValue> {
    to_js(&plan::diff(&older.inner, &newer.inner))
}

/// `diffCities` as a GeoJSON FeatureCollection (the newer shapes; removed regions their old
/// one), one feature per differing region.
#[wasm_bindgen(js_name = diffGeoJSON, unchecked_return_type = "object")]
pub fn diff_geojson(older: &City, newer: &City) -> JsResult<JsValue> {
    to_js(&plan::diff(&older.inner, &newer.inner).to_geojson())
}
