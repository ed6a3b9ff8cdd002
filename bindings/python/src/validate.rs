//! `wangge.validate` (`wangge::validate`): the validation report of a set of levels, and the
//! `ValidationReport` class that previews (`wangge.Preview.report`) return too.

use crate::city::{self, infer_scheme};
use crate::coords;
use crate::dispatch::to_py_value;
use crate::errors;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wangge::validate::{validate_levels, Report, Severity, ValidateOptions};
use wangge::CodeScheme;

/// Options given as a Python dict (or None), read through the core type's serde form so the
/// names and defaults have one source of truth. Unknown keys are refused (`what` names the
/// argument).
pub(crate) fn options_from_py<T: Serialize + DeserializeOwned + Default>(
    py: Python<'_>,
    options: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<T> {
    let Some(options) = options.filter(|o| !o.is_none()) else {
        return Ok(T::default());
    };
    let dict = options
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a dict or None")))?;
    let known =
        serde_json::to_value(T::default()).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let known: Vec<&String> = known
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    for key in dict.keys() {
        let key: String = key
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("{what}: keys must be str")))?;
        if !known.iter().any(|k| **k == key) {
            return Err(PyValueError::new_err(format!(
                "{what}: unknown option {key:?} (expected one of {known:?})"
            )));
        }
    }
    let text: String = py
        .import("json")?
        .call_method1("dumps", (dict,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// Everything found by a validation run (`wangge.validate`) or in a preview's neighbourhood
/// (`Preview.report`): findings with severity, kind, codes, level, feature index, message,
/// geometry and measured value.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct ValidationReport {
    pub(crate) inner: Report,
}

#[pymethods]
impl ValidationReport {
    /// True when no finding is an error (the partition is valid under the standard).
    #[getter]
    fn valid(&self) -> bool {
        !self.inner.has_errors()
    }
    /// Number of error findings.
    #[getter]
    fn errors(&self) -> usize {
        self.inner.count(Severity::Error)
    }
    /// Number of warning findings.
    #[getter]
    fn warnings(&self) -> usize {
        self.inner.count(Severity::Warning)
    }
    /// Level names, top first.
    #[getter]
    fn levels(&self) -> Vec<String> {
        self.inner.levels.clone()
    }
    /// Features checked per level.
    #[getter]
    fn features(&self) -> Vec<usize> {
        self.inner.features.clone()
    }
    /// The findings as dicts (`kind`, `severity`, `codes`, `level`, `feature`, `message`,
    /// `geometry` (GeoJSON geometry or None), `value`), errors first.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.findings)
    }
    /// The report as a dict (`levels`, `features`, `findings`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner)
    }
    /// The report as pretty-printed JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// A summary (counts per severity and kind) and one line per finding.
    fn to_text(&self) -> String {
        self.inner.to_text()
    }
    /// One GeoJSON Feature per finding (properties `kind`, `severity`, `codes`, `level`,
    /// `feature`, `message`, `value`), as a dict.
    fn to_geojson<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.to_geojson())
    }
    fn __len__(&self) -> usize {
        self.inner.findings.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "<wangge.ValidationReport {} errors, {} warnings>",
            self.errors(),
            self.warnings()
        )
    }
}

/// Validates levels given as in `City.from_geojson` and reports every problem (never fails on
/// bad geometry or codes: they become findings). `code_scheme=None` is inferred from the
/// codes (unless `options` names one); `options` holds the thresholds of `wangge::validate::ValidateOptions` by name.
#[pyfunction]
#[pyo3(name = "validate_geojson", signature = (levels, *, code_property = None, name_property = None, parent_property = None, crs = "wgs84", code_scheme = None, options = None))]
#[allow(clippy::too_many_arguments)]
pub fn validate_geojson(
    py: Python<'_>,
    levels: &Bound<'_, PyAny>,
    code_property: Option<&Bound<'_, PyAny>>,
    name_property: Option<&Bound<'_, PyAny>>,
    parent_property: Option<&Bound<'_, PyAny>>,
    crs: &str,
    code_scheme: Option<&str>,
    options: Option<&Bound<'_, PyAny>>,
) -> PyResult<ValidationReport> {
    let sources = city::geojson_sources(
        py,
        levels,
        code_property,
        name_property,
        parent_property,
        coords::crs(crs)?,
    )?;
    let scheme_in_options = options
        .and_then(|o| o.cast::<PyDict>().ok())
        .map(|d| d.contains("code_scheme"))
        .transpose()?
        .unwrap_or(false);
    let mut options: ValidateOptions = options_from_py(py, options, "options")?;
    let scheme = match code_scheme.map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("standard") => Some(CodeScheme::Standard),
        Some("free") => Some(CodeScheme::Free),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "code_scheme must be \"standard\", \"free\" or None (inferred), got {other:?}"
            )))
        }
    };
    let report = errors::detach(py, move || {
        let levels = city::read_levels(sources)?;
        options.code_scheme = match scheme {
            Some(s) => s,
            None if scheme_in_options => options.code_scheme,
            None => infer_scheme(&levels),
        };
        Ok(validate_levels(&levels, &options))
    })?;
    Ok(ValidationReport { inner: report })
}
