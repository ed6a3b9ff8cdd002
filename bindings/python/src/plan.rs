//! Planner tools (`wangge::plan`): `History`, `Version`, `Preview`, `ImpactReport`, `Diff` and
//! `diff`.
//!
//! Conversions only: edits go to the core as JSON text (`Edit::parse_set`), so the edit schema
//! has one source of truth; reports come back through their serde form.

use crate::city::City;
use crate::coords;
use crate::dispatch::{to_py_value, Dispatcher};
use crate::errors;
use crate::validate::{options_from_py, ValidationReport};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use wangge::dispatch::Resource;
use wangge::plan::{self, Change, Edit, PlanOptions};
use wangge::validate::ValidateOptions;

/// An edit set as JSON text: a `str` is taken as JSON already, anything else (a dict or a
/// list of dicts) goes through `json.dumps`.
fn edits_json(py: Python<'_>, edits: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = edits.cast::<PyString>() {
        return s.extract();
    }
    py.import("json")?
        .call_method1("dumps", (edits,))
        .map_err(|e| {
            PyTypeError::new_err(format!(
                "edits must be a dict, a list of dicts or JSON text ({e})"
            ))
        })?
        .extract()
}

/// Plan options from the keyword arguments of `History` / `History.load`.
fn plan_options(
    py: Python<'_>,
    reuse_retired_codes: bool,
    parent_tolerance_m: f64,
    validate: Option<&Bound<'_, PyAny>>,
) -> PyResult<PlanOptions> {
    if parent_tolerance_m.is_nan() || parent_tolerance_m < 0.0 {
        return Err(PyValueError::new_err(format!(
            "parent_tolerance_m must be a number >= 0, got {parent_tolerance_m}"
        )));
    }
    Ok(PlanOptions {
        reuse_retired_codes,
        validate: options_from_py::<ValidateOptions>(py, validate, "validate")?,
        parent_tolerance_m,
    })
}

/// The versions of one city: previews of edit sets, commits, rollbacks, saving.
///
/// `History(city)` starts at version 1 with (a copy of) `city`. Readers holding a `Version`
/// (or its `City`) keep it after later commits.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct History {
    inner: plan::History,
}

#[pymethods]
impl History {
    /// A history whose version 1 is `city`. `reuse_retired_codes`: let new grids take codes
    /// retired earlier; `parent_tolerance_m`: how far a grid may stick out of its parent;
    /// `validate`: thresholds of the validation run on the touched regions (as in
    /// `wangge.validate`).
    #[new]
    #[pyo3(signature = (city, *, reuse_retired_codes = false, parent_tolerance_m = 1.0, validate = None))]
    fn new(
        py: Python<'_>,
        city: &City,
        reuse_retired_codes: bool,
        parent_tolerance_m: f64,
        validate: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<History> {
        let options = plan_options(py, reuse_retired_codes, parent_tolerance_m, validate)?;
        // The core's History owns its first city: a copy of the Python City's.
        let city = (*city.inner).clone();
        Ok(History {
            inner: plan::History::new(city, options),
        })
    }

    /// Loads a history saved by `save` (`history.json` and one snapshot per version).
    #[staticmethod]
    #[pyo3(signature = (dir, *, reuse_retired_codes = false, parent_tolerance_m = 1.0, validate = None))]
    fn load(
        py: Python<'_>,
        dir: PathBuf,
        reuse_retired_codes: bool,
        parent_tolerance_m: f64,
        validate: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<History> {
        let options = plan_options(py, reuse_retired_codes, parent_tolerance_m, validate)?;
        let inner = errors::detach(py, || plan::History::load(&dir, options))?;
        Ok(History { inner })
    }

    /// Saves every version into `dir` (one snapshot per version, `history.json`).
    fn save(&self, py: Python<'_>, dir: PathBuf) -> PyResult<()> {
        let inner = &self.inner;
        errors::detach(py, || inner.save(&dir))
    }

    /// The options edits are checked with, as a dict.
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, self.inner.options())
    }

    /// The current version.
    #[getter]
    fn current(&self) -> Version {
        Version {
            inner: self.inner.current(),
        }
    }

    /// Version `number`, or None.
    fn version(&self, number: u64) -> Option<Version> {
        self.inner.version(number).map(|inner| Version { inner })
    }

    /// Every version, oldest first.
    #[getter]
    fn versions(&self) -> Vec<Version> {
        self.inner
            .versions()
            .into_iter()
            .map(|inner| Version { inner })
            .collect()
    }

    /// Applies an edit set to the current version without committing. `edits`: one edit or a
    /// list of edits as dicts (`{"op": "split", "grid": code, "line": [[lon, lat], ...]}`,
    /// `merge` (`grids`), `reshape` (`grids`: two codes, `line`), `reassign` (`grid`,
    /// `parent`), `replace` (`grid`, `geometry`: MultiPolygon coordinates); optional `codes` /
    /// `code`), or the same as JSON text. An edit that cannot be applied raises `EditError`;
    /// a candidate that breaks the partition comes back with its findings in
    /// `Preview.report` (and `commit` refuses it).
    fn preview(&self, py: Python<'_>, edits: &Bound<'_, PyAny>) -> PyResult<Preview> {
        let text = edits_json(py, edits)?;
        let inner = &self.inner;
        let preview = errors::detach(py, || {
            let edits = Edit::parse_set("edits", &text)?;
            inner.preview(edits)
        })?;
        Ok(Preview {
            inner: preview,
            city: OnceLock::new(),
        })
    }

    /// Makes a valid preview the current version and returns it. Refused with `VersionError`,
    /// nothing changed: a preview with error findings, one made on a version that is no longer
    /// current, or one made on another history.
    #[pyo3(signature = (preview, note = ""))]
    fn commit(&self, py: Python<'_>, preview: &Preview, note: &str) -> PyResult<Version> {
        let inner = &self.inner;
        // The core's commit consumes its preview; the Python one stays readable.
        let candidate = preview.inner.clone();
        let version = errors::detach(py, || inner.commit(candidate, note))?;
        Ok(Version { inner: version })
    }

    /// Makes version `number`'s city current again, as a new version (returned).
    #[pyo3(signature = (number, note = ""))]
    fn rollback(&self, py: Python<'_>, number: u64, note: &str) -> PyResult<Version> {
        let inner = &self.inner;
        let version = errors::detach(py, || inner.rollback(number, note))?;
        Ok(Version { inner: version })
    }

    fn __len__(&self) -> usize {
        self.inner.versions().len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<wangge.History {} versions, current {}>",
            self.inner.versions().len(),
            self.inner.current().number()
        )
    }
}

/// One committed version: an immutable city and how it came to be.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Version {
    inner: Arc<plan::Version>,
}

#[pymethods]
impl Version {
    /// Its number: 1 for the first version, +1 for each commit or rollback.
    #[getter]
    fn number(&self) -> u64 {
        self.inner.number()
    }
    /// The version it was made from (None for the first).
    #[getter]
    fn parent(&self) -> Option<u64> {
        self.inner.parent()
    }
    /// Its city (shared, not copied).
    #[getter]
    fn city(&self) -> City {
        City::from_arc(self.inner.city().clone())
    }
    /// The edits that made it from its parent, as dicts (empty for version 1 and rollbacks).
    #[getter]
    fn edits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, self.inner.edits())
    }
    /// The note given at commit.
    #[getter]
    fn note(&self) -> String {
        self.inner.note().to_string()
    }
    /// Every code retired up to this version, sorted.
    #[getter]
    fn retired(&self) -> Vec<String> {
        self.inner.retired().iter().cloned().collect()
    }
    fn __repr__(&self) -> String {
        format!(
            "<wangge.Version {} (parent {:?}) {:?}>",
            self.inner.number(),
            self.inner.parent(),
            self.inner.note()
        )
    }
}

/// An edit set applied to a version, not committed: the candidate city, the validation
/// findings about the touched regions, the code changes, and the impact on demand.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Preview {
    inner: plan::Preview,
    /// The candidate as a shared city, made on first use of `Preview.city`.
    city: OnceLock<Arc<wangge::City>>,
}

#[pymethods]
impl Preview {
    /// True when the report has no error finding, so `History.commit` accepts it.
    #[getter]
    fn valid(&self) -> bool {
        self.inner.is_valid()
    }
    /// The number of the version the edits were applied to.
    #[getter]
    fn base_version(&self) -> u64 {
        self.inner.base().number()
    }
    /// The edits, as dicts.
    #[getter]
    fn edits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, self.inner.edits())
    }
    /// Validation findings about the touched regions and their parents.
    #[getter]
    fn report(&self) -> ValidationReport {
        ValidationReport {
            inner: self.inner.report().clone(),
        }
    }
    /// Codes `created`, `retired`, `changed` and `stitched` (a dict of lists).
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, self.inner.codes())
    }
    /// The candidate city.
    #[getter]
    fn city(&self) -> City {
        let city = self
            .city
            .get_or_init(|| Arc::new(self.inner.city().clone()));
        City::from_arc(city.clone())
    }
    /// Bounding box `(min_lon, min_lat, max_lon, max_lat)` of everything the edits touched
    /// (old and new shapes); None when nothing was.
    #[getter]
    fn envelope(&self) -> Option<(f64, f64, f64, f64)> {
        self.inner
            .envelope()
            .map(|r| (r.min().x, r.min().y, r.max().x, r.max().y))
    }
    /// How the candidate differs from its base, region by region.
    fn diff(&self, py: Python<'_>) -> PyResult<Diff> {
        let inner = &self.inner;
        let diff = errors::detach(py, || Ok(inner.diff()))?;
        Ok(Diff { inner: diff })
    }
    /// The whole impact report: validity, codes, region changes (areas before and after), and
    /// what changes grid. `dispatcher`: its assets, its resources' positions and home grids;
    /// `cases`: a `(ids, lon, lat)` tuple or a table (DataFrame / mapping) with `id`, `lon`,
    /// `lat` columns, in `crs`.
    #[pyo3(signature = (dispatcher = None, cases = None, *, crs = "wgs84"))]
    fn impact(
        &self,
        py: Python<'_>,
        dispatcher: Option<&Dispatcher>,
        cases: Option<&Bound<'_, PyAny>>,
        crs: &str,
    ) -> PyResult<ImpactReport> {
        let crs = coords::crs(crs)?;
        let cases = cases
            .filter(|c| !c.is_none())
            .map(|c| points(py, c))
            .transpose()?;
        let dispatcher = dispatcher.map(|d| d.inner.clone());
        let inner = &self.inner;
        let report = errors::detach(py, move || {
            let (assets, resources): (_, Vec<Resource>) = match &dispatcher {
                Some(d) => (
                    Some(d.assets()),
                    d.resources().snapshot().resources().to_vec(),
                ),
                None => (None, Vec::new()),
            };
            match cases {
                Some((ids, mut lons, mut lats)) => {
                    inner
                        .base()
                        .city()
                        .converter()
                        .to_wgs84_in_place(crs, &mut lons, &mut lats)?;
                    inner.impact(assets, &resources, Some((&ids[..], &lons[..], &lats[..])))
                }
                None => inner.impact::<String>(assets, &resources, None),
            }
        })?;
        Ok(ImpactReport { inner: report })
    }
    /// The region changes and the findings as one GeoJSON FeatureCollection (dict): a
    /// `change` property on region features, a `kind` property on findings.
    fn to_geojson<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = &self.inner;
        let fc = errors::detach(py, || {
            Ok(inner.impact::<String>(None, &[], None)?.to_geojson())
        })?;
        to_py_value(py, &fc)
    }
    fn __repr__(&self) -> String {
        let c = self.inner.codes();
        format!(
            "<wangge.Preview on version {}: {}, created {:?}, retired {:?}, changed {:?}>",
            self.inner.base().number(),
            if self.inner.is_valid() {
                "valid"
            } else {
                "INVALID"
            },
            c.created,
            c.retired,
            c.changed
        )
    }
}

/// `(ids, lons, lats)` of case points (copies; ids as `str`).
fn points(py: Python<'_>, cases: &Bound<'_, PyAny>) -> PyResult<(Vec<String>, Vec<f64>, Vec<f64>)> {
    let (ids, lon, lat) = if let Ok(t) = cases.cast::<PyTuple>() {
        if t.len() != 3 {
            return Err(PyTypeError::new_err(
                "cases as a tuple must be (ids, lon, lat)",
            ));
        }
        (t.get_item(0)?, t.get_item(1)?, t.get_item(2)?)
    } else {
        let column = |name: &str| {
            cases.get_item(name).map_err(|_| {
                PyTypeError::new_err(format!(
                    "cases must be a (ids, lon, lat) tuple or a table with columns id, lon, \
                     lat (missing {name:?})"
                ))
            })
        };
        (column("id")?, column("lon")?, column("lat")?)
    };
    let builtins = py.import("builtins")?;
    let ids: Vec<String> = builtins
        .getattr("list")?
        .call1((builtins
            .getattr("map")?
            .call1((builtins.getattr("str")?, ids))?,))?
        .extract()?;
    let (lon, lat) = coords::arrays(&lon, Some(&lat))?;
    let (x, y) = coords::slices(&lon, &lat)?;
    Ok((ids, x.to_vec(), y.to_vec()))
}

/// Everything a planner looks at before committing (`Preview.impact`).
#[pyclass(module = "wangge._wangge", frozen)]
pub struct ImpactReport {
    inner: plan::ImpactReport,
}

#[pymethods]
impl ImpactReport {
    /// No error finding: the edits can be committed.
    #[getter]
    fn valid(&self) -> bool {
        self.inner.valid
    }
    /// The report as a dict (`base_version`, `valid`, `codes`, `regions`, `assets`,
    /// `resources`, `home_grids`, `cases`, `report`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner)
    }
    /// The report as pretty-printed JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// A readable summary.
    fn to_text(&self) -> String {
        self.inner.to_text()
    }
    /// Region changes and findings as a GeoJSON FeatureCollection (dict).
    fn to_geojson<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.to_geojson())
    }
    fn __repr__(&self) -> String {
        format!(
            "<wangge.ImpactReport on version {}: {}, {} regions, {} assets, {} resources, {} \
             cases change>",
            self.inner.base_version,
            if self.inner.valid { "valid" } else { "INVALID" },
            self.inner.regions.regions.len(),
            self.inner.assets.len(),
            self.inner.resources.len(),
            self.inner.cases.len()
        )
    }
}

/// The regions that differ between two cities, by code (`wangge.diff`, `Preview.diff`).
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Diff {
    inner: plan::Diff,
}

#[pymethods]
impl Diff {
    /// `{"added": n, "removed": n, "changed": n}`.
    #[getter]
    fn counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        [
            ("added", Change::Added),
            ("removed", Change::Removed),
            ("changed", Change::Changed),
        ]
        .into_iter()
        .map(|(k, c)| (k, self.inner.count(c)))
        .collect()
    }
    /// One dict per region that differs (`change`, `code`, `level`, `before_m2`, `after_m2`,
    /// `shape`, `parent_before`, `name_before`), by level then code.
    #[getter]
    fn regions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.regions)
    }
    /// The diff as a dict (`regions`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner)
    }
    /// The diff as pretty-printed JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// A readable summary.
    fn to_text(&self) -> String {
        self.inner.to_text()
    }
    /// The regions that differ as a GeoJSON FeatureCollection (dict; the newer shape, the
    /// older one for removed regions; a `change` property).
    fn to_geojson<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.to_geojson())
    }
    fn __len__(&self) -> usize {
        self.inner.regions.len()
    }
    fn __repr__(&self) -> String {
        let c = self.counts();
        format!(
            "<wangge.Diff {} added, {} removed, {} changed>",
            c["added"], c["removed"], c["changed"]
        )
    }
}

/// Compares two cities region by region (matched by code): added, removed and changed regions
/// with their areas before and after.
#[pyfunction]
pub fn diff(py: Python<'_>, old: &City, new: &City) -> PyResult<Diff> {
    let (a, b) = (&*old.inner, &*new.inner);
    let inner = errors::detach(py, || Ok(plan::diff(a, b)))?;
    Ok(Diff { inner })
}

/// Registers the classes and functions of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<History>()?;
    m.add_class::<Version>()?;
    m.add_class::<Preview>()?;
    m.add_class::<ImpactReport>()?;
    m.add_class::<Diff>()?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    Ok(())
}
