//! GCJ-02 / BD-09 helpers: the core's conversions (`wangge::crs`) for single points and batches.
//! Points outside the "inside China" region pass through unchanged, as in the core.

use crate::convert::{crs_name, js_err, string_arg, JsResult};
use wangge::crs::Converter;
use wasm_bindgen::prelude::*;

fn pair((lng, lat): (f64, f64)) -> Vec<f64> {
    vec![lng, lat]
}

/// WGS84 → GCJ-02: `[lng, lat]`.
#[wasm_bindgen(js_name = wgs84ToGcj02)]
pub fn wgs84_to_gcj02(lng: f64, lat: f64) -> Vec<f64> {
    pair(wangge::crs::wgs84_to_gcj02(lng, lat))
}

/// GCJ-02 → WGS84 (fixed-point inverse, well under 1 mm): `[lng, lat]`.
#[wasm_bindgen(js_name = gcj02ToWgs84)]
pub fn gcj02_to_wgs84(lng: f64, lat: f64) -> Vec<f64> {
    pair(wangge::crs::gcj02_to_wgs84(lng, lat))
}

/// GCJ-02 → BD-09: `[lng, lat]`.
#[wasm_bindgen(js_name = gcj02ToBd09)]
pub fn gcj02_to_bd09(lng: f64, lat: f64) -> Vec<f64> {
    pair(wangge::crs::gcj02_to_bd09(lng, lat))
}

/// BD-09 → GCJ-02: `[lng, lat]`.
#[wasm_bindgen(js_name = bd09ToGcj02)]
pub fn bd09_to_gcj02(lng: f64, lat: f64) -> Vec<f64> {
    pair(wangge::crs::bd09_to_gcj02(lng, lat))
}

/// WGS84 → BD-09: `[lng, lat]`.
#[wasm_bindgen(js_name = wgs84ToBd09)]
pub fn wgs84_to_bd09(lng: f64, lat: f64) -> Vec<f64> {
    pair(wangge::crs::wgs84_to_bd09(lng, lat))
}

/// BD-09 → WGS84: `[lng, lat]`.
#[wasm_bindgen(js_name = bd09ToWgs84)]
pub fn bd09_to_wgs84(lng: f64, lat: f64) -> Vec<f64> {
    pair(wangge::crs::bd09_to_wgs84(lng, lat))
}

/// Converts many points from one CRS to another: returns `[lng0, lat0, lng1, lat1, …]`.
/// Throws on an unknown CRS name or arrays of different lengths.
#[wasm_bindgen(js_name = convertMany)]
pub fn convert_many(
    lngs: &[f64],
    lats: &[f64],
    #[wasm_bindgen(unchecked_param_type = "CrsName")] from: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CrsName")] to: JsValue,
) -> JsResult<Vec<f64>> {
    wangge::Error::check_lengths(lngs, lats).map_err(js_err)?;
    let from = crs_name(Some(&string_arg(&from, "from")?))?;
    let to = crs_name(Some(&string_arg(&to, "to")?))?;
    let converter = Converter::default();
    let mut out = Vec::with_capacity(lngs.len() * 2);
    for (&x, &y) in lngs.iter().zip(lats) {
        let (a, b) = converter.convert(from, to, x, y);
        out.push(a);
        out.push(b);
    }
    Ok(out)
}
