//! The conversions every binding uses: errors, CRS names, option objects, plain JS objects.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wangge::Crs;
use wasm_bindgen::prelude::*;

/// A core error as a JS `Error` with the core's message.
pub fn js_err(e: wangge::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A CRS name (`None` = WGS84), parsed by the core.
pub fn crs(name: Option<String>) -> Result<Crs, JsError> {
    match name {
        None => Ok(Crs::Wgs84),
        Some(n) => n.parse::<Crs>().map_err(js_err),
    }
}

/// A JS value as JSON text (`JSON.stringify`); `None` for `undefined`/`null`.
pub fn json_text(value: &JsValue, what: &str) -> Result<Option<String>, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(s) = value.as_string() {
        return Ok(Some(s));
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|_| JsError::new(&format!("{what} cannot be turned into JSON")))?;
    Ok(text.as_string())
}

/// An option object (or `undefined`/`null` for the defaults) as a serde type; unknown keys and
/// wrong types are errors naming `what`.
pub fn options<T: DeserializeOwned + Default>(
    value: Option<&JsValue>,
    what: &str,
) -> Result<T, JsError> {
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(T::default());
    };
    if !value.is_object() {
        return Err(JsError::new(&format!("{what} must be an object")));
    }
    let text = json_text(value, what)?.unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// A serializable value as a plain JS object (through JSON, so no engine-specific types leak).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| JsError::new("internal: JSON.parse failed"))
}

/// Region ids as JS ids: [`wangge::NO_OWNER`] becomes -1.
pub fn js_ids(ids: Vec<u32>) -> Vec<i32> {
    ids.into_iter()
        .map(|i| if i == wangge::NO_OWNER { -1 } else { i as i32 })
        .collect()
}
