//! The conversions every binding uses: errors, CRS names, option objects, plain JS objects.
//!
//! # Errors
//! Every export fails with a [`js_sys::Error`] (a JS `Error`, thrown by the glue) made here,
//! the one place that names them:
//! - an error of the core ([`wangge::Error`]) keeps the core's message and gets the `name` of
//!   its family, [`wangge::ErrorKind::name`]: `"GeometryError"`, `"SnapshotError"`, …,
//!   `"WanggeError"` for the rest (unknown CRS names, arrays of different lengths, bad points);
//! - an argument of the wrong JS type or shape (levels that are not an array, an option object
//!   with an unknown key or a value of the wrong type, a file text that is not a string) is a
//!   `TypeError` ([`type_error`]);
//! - a number out of its range (a region id, a level index or name, a negative radius) is a
//!   `RangeError` ([`range_error`]), as JS does for an index out of bounds;
//! - a panic (a bug) is a `"WanggeError"` from [`crate::panic`].

use serde::de::DeserializeOwned;
use serde::Serialize;
use wangge::io::limits::ReadLimits;
use wangge::Crs;
use wasm_bindgen::prelude::*;

/// What every fallible export returns: the JS `Error` it throws on failure.
pub type JsResult<T> = Result<T, js_sys::Error>;

/// A JS `Error` with this `name` and `message`.
pub fn named_error(name: &str, message: &str) -> js_sys::Error {
    let e = js_sys::Error::new(message);
    e.set_name(name);
    e
}

/// A core error as a JS `Error`: the core's message, `name` = its kind's name.
pub fn js_err(e: wangge::Error) -> js_sys::Error {
    named_error(e.kind().name(), &e.to_string())
}

/// A JS `TypeError`: an argument of the wrong type or shape.
pub fn type_error(message: &str) -> js_sys::Error {
    js_sys::TypeError::new(message).into()
}

/// A JS `RangeError`: a number (an id, an index) outside its range.
pub fn range_error(message: &str) -> js_sys::Error {
    js_sys::RangeError::new(message).into()
}

/// An error of the binding itself (a value that cannot cross to JS): a `"WanggeError"`.
pub fn internal_error(message: &str) -> js_sys::Error {
    named_error(
        wangge::ErrorKind::Other.name(),
        &format!("internal: {message}"),
    )
}

/// What a JS value is, for messages: `null`, `undefined`, or its `typeof`.
fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    value.js_typeof().as_string().unwrap_or_default()
}

/// A string argument; a `TypeError` naming `what` for anything else.
///
/// Every string parameter of the exports is taken as a `JsValue` and read here: the glue's own
/// conversion of a `&str`/`String` parameter handed a non-string (a number, an object) writes
/// out of bounds of the Wasm memory instead of throwing.
pub fn string_arg(value: &JsValue, what: &str) -> JsResult<String> {
    value
        .as_string()
        .ok_or_else(|| type_error(&format!("{what} must be a string, got {}", type_of(value))))
}

/// An optional string argument: `undefined`/`null` (or left out) is `None`.
pub fn optional_string_arg(value: Option<&JsValue>, what: &str) -> JsResult<Option<String>> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => string_arg(v, what).map(Some),
        _ => Ok(None),
    }
}

/// An array of strings; a `TypeError` naming `what` (and the position) for anything else.
pub fn strings_arg(value: &JsValue, what: &str) -> JsResult<Vec<String>> {
    if !js_sys::Array::is_array(value) {
        return Err(type_error(&format!(
            "{what} must be an array of strings, got {}",
            type_of(value)
        )));
    }
    js_sys::Array::from(value)
        .iter()
        .enumerate()
        .map(|(i, v)| string_arg(&v, &format!("{what}[{i}]")))
        .collect()
}

/// An index or count argument: a `TypeError` for a non-number, a `RangeError` for a number that
/// is not an integer in `0 ..= u32::MAX` (instead of the glue's silent `ToUint32` wrap-around,
/// which makes `-1` into 4294967295 and `"x"` into 0).
pub fn index_arg(value: &JsValue, what: &str) -> JsResult<u32> {
    let Some(x) = value.as_f64() else {
        return Err(type_error(&format!(
            "{what} must be a number, got {}",
            type_of(value)
        )));
    };
    if x.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&x) {
        return Err(range_error(&format!(
            "{what} must be an integer ≥ 0, got {x}"
        )));
    }
    Ok(x as u32)
}

/// A CRS name (`None` = WGS84), parsed by the core.
pub fn crs_name(name: Option<&str>) -> JsResult<Crs> {
    match name {
        None => Ok(Crs::Wgs84),
        Some(n) => n.parse::<Crs>().map_err(js_err),
    }
}

/// A CRS argument: a name, or `undefined`/`null` for WGS84.
pub fn crs(value: Option<&JsValue>) -> JsResult<Crs> {
    crs_name(optional_string_arg(value, "crs")?.as_deref())
}

/// A JS value as JSON text (`JSON.stringify`); `None` for `undefined`/`null`.
pub fn json_text(value: &JsValue, what: &str) -> JsResult<Option<String>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(s) = value.as_string() {
        return Ok(Some(s));
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|_| type_error(&format!("{what} cannot be turned into JSON")))?;
    Ok(text.as_string())
}

/// An option object (or `undefined`/`null` for the defaults) as a serde type; unknown keys and
/// wrong types are `TypeError`s naming `what`.
pub fn options<T: DeserializeOwned + Default>(value: Option<&JsValue>, what: &str) -> JsResult<T> {
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(T::default());
    };
    if !value.is_object() {
        return Err(type_error(&format!("{what} must be an object")));
    }
    let text = json_text(value, what)?.unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| type_error(&format!("{what}: {e}")))
}

/// The `limits` option of `City.fromGeoJSON` and `validateGeoJSON`: GeoJSON input limits by
/// their core names ([`ReadLimits::NAMES`], as errors and the other bindings spell them), each
/// a whole number `>= 0` or `null` (no limit); the others keep their defaults.
#[derive(serde::Deserialize, Default)]
#[serde(transparent)]
pub struct LimitsJs(Option<std::collections::BTreeMap<String, Option<f64>>>);

impl LimitsJs {
    /// Whether the option was given (even as `{}`).
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// The default limits with these set; a value that is not a whole number `>= 0` is a
    /// `RangeError`, an unknown name the core's error.
    pub fn read_limits(&self) -> JsResult<ReadLimits> {
        let mut overrides = Vec::new();
        for (name, value) in self.0.iter().flatten() {
            let n = match *value {
                None => u64::MAX,
                // Whole and exactly representable: below 2^53.
                Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 9_007_199_254_740_992.0 => v as u64,
                Some(v) => {
                    return Err(range_error(&format!(
                        "limits.{name} must be a whole number >= 0 or null (no limit), not {v}"
                    )))
                }
            };
            overrides.push((name.clone(), n));
        }
        ReadLimits::default()
            .with_overrides(&overrides)
            .map_err(js_err)
    }
}

/// A serializable value as a plain JS object (through JSON, so no engine-specific types leak).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value).map_err(|e| internal_error(&e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| internal_error("JSON.parse failed"))
}

/// Region ids as JS ids: [`wangge::NO_OWNER`] becomes -1.
pub fn js_ids(ids: Vec<u32>) -> Vec<i32> {
    ids.into_iter()
        .map(|i| if i == wangge::NO_OWNER { -1 } else { i as i32 })
        .collect()
}
