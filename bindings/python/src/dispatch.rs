//! `Dispatcher` and `DispatchResult`.

use crate::city::City;
use crate::coords;
use crate::errors::{self, to_py, to_py_at, WanggeError};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use std::path::PathBuf;
use std::sync::Arc;
use wangge::assets::{AssetFilter, AssetState};
use wangge::dispatch::{DispatchOptions, Dispatcher as CoreDispatcher};
use wangge::{Crs, Error};

/// Code table, departments, assets and live resources of a city, ready to dispatch reports.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Dispatcher {
    pub(crate) inner: Arc<CoreDispatcher>,
}

/// `serde_json::Value` → Python (dict / list / str / float / int / bool / None).
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    v: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let d = PyDict::new(py);
            for (k, item) in map {
                d.set_item(k, json_to_py(py, item)?)?;
            }
            d.into_any()
        }
    })
}

pub(crate) fn to_py_value<'py, T: serde::Serialize + ?Sized>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    json_to_py(py, &value)
}

/// One string or a sequence of strings (`what` names the argument in errors).
fn strings(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<String>> {
    match obj {
        None => Ok(Vec::new()),
        Some(c) if c.is_none() => Ok(Vec::new()),
        Some(c) if c.is_instance_of::<PyString>() => Ok(vec![c.extract::<String>()?]),
        Some(c) => c.extract().map_err(|_| {
            PyTypeError::new_err(format!("{what} must be a string or a list of strings"))
        }),
    }
}

/// The asset filter of `classes` (class code prefixes) and `states` (Chinese or English
/// state names).
fn asset_filter(
    classes: Option<&Bound<'_, PyAny>>,
    states: Option<&Bound<'_, PyAny>>,
) -> PyResult<AssetFilter> {
    let mut filter = AssetFilter::classes(strings(classes, "classes")?);
    for name in strings(states, "states")? {
        let state: AssetState = name.parse().map_err(WanggeError::new_err)?;
        filter.states.push(state);
    }
    Ok(filter)
}

/// Query points converted to WGS84 (copies; the caller's arrays are untouched).
fn to_wgs84(
    d: &CoreDispatcher,
    crs: Crs,
    x: &[f64],
    y: &[f64],
) -> wangge::Result<(Vec<f64>, Vec<f64>)> {
    Error::check_lengths(x, y)?;
    let (mut x, mut y) = (x.to_vec(), y.to_vec());
    d.city()
        .converter()
        .to_wgs84_in_place(crs, &mut x, &mut y)?;
    Ok((x, y))
}

/// `(point, asset, metres)` triples as a shapely-style `(2, m)` int64 index array, with the
/// distances when asked.
fn pairs_result<'py>(
    py: Python<'py>,
    hits: Vec<(u32, u32, f64)>,
    return_distance: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let m = hits.len();
    let pairs: Vec<i64> = (hits.iter().map(|h| i64::from(h.0)))
        .chain(hits.iter().map(|h| i64::from(h.1)))
        .collect();
    let pairs = PyArray1::from_vec(py, pairs).reshape([2, m])?.into_any();
    if return_distance {
        let d = PyArray1::from_vec(py, hits.iter().map(|h| h.2).collect::<Vec<f64>>()).into_any();
        Ok(PyTuple::new(py, [pairs, d])?.into_any())
    } else {
        Ok(pairs)
    }
}

#[pymethods]
impl Dispatcher {
    /// Builds the city and its dispatcher from a manifest with a `[dispatch]` section
    /// (`limits` as in `City.from_manifest`).
    #[staticmethod]
    #[pyo3(signature = (path, *, limits = None))]
    fn from_manifest(
        py: Python<'_>,
        path: PathBuf,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Dispatcher> {
        let overrides = crate::city::limit_overrides(limits)?;
        let inner = errors::detach(py, || {
            CoreDispatcher::from_manifest_with_limits(&path, &overrides)
        })?;
        Ok(Dispatcher {
            inner: Arc::new(inner),
        })
    }

    /// The city (shared, not copied).
    #[getter]
    fn city(&self) -> City {
        City::from_arc(self.inner.city().clone())
    }

    /// Asset ids, sorted; `nearest_assets` returns indices into this list.
    #[getter]
    fn asset_ids(&self) -> Vec<String> {
        self.inner
            .assets()
            .assets()
            .iter()
            .map(|a| a.id.clone())
            .collect()
    }

    /// The assets as columns (a dict of lists / arrays, ready for `pandas.DataFrame`):
    /// `id`, `class`, `name`, `state`, `lon`, `lat` (WGS84, float64 arrays), `region` (int64 id
    /// of the owning region, -1 outside the city), `main_dept`; row `i` is `asset_ids[i]`.
    fn asset_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let assets = self.inner.assets().assets();
        let d = PyDict::new(py);
        let strings = |f: &dyn Fn(&wangge::assets::Asset) -> String| -> Vec<String> {
            assets.iter().map(f).collect()
        };
        d.set_item("id", strings(&|a| a.id.clone()))?;
        d.set_item("class", strings(&|a| a.class.clone()))?;
        d.set_item("name", strings(&|a| a.name.clone()))?;
        d.set_item("state", strings(&|a| a.state.english().to_string()))?;
        let lon: Vec<f64> = assets.iter().map(|a| a.lon).collect();
        let lat: Vec<f64> = assets.iter().map(|a| a.lat).collect();
        let region: Vec<i64> = assets
            .iter()
            .map(|a| a.region.map_or(-1, |r| i64::from(r.0)))
            .collect();
        d.set_item("lon", PyArray1::from_vec(py, lon))?;
        d.set_item("lat", PyArray1::from_vec(py, lat))?;
        d.set_item("region", PyArray1::from_vec(py, region))?;
        let main: Vec<Option<String>> = assets.iter().map(|a| a.main_dept.clone()).collect();
        d.set_item("main_dept", main)?;
        Ok(d)
    }

    /// Live resource ids (workers, …), sorted.
    #[getter]
    fn resource_ids(&self) -> Vec<String> {
        let snap = self.inner.resources().snapshot();
        snap.resources().iter().map(|r| r.id.clone()).collect()
    }

    /// Current version of the live resources (0 when built, +1 per update batch).
    #[getter]
    fn resource_version(&self) -> u64 {
        self.inner.resources().snapshot().version()
    }

    /// One live resource as a dict (id, kind, lon, lat (WGS84), on_duty, home_grid).
    fn resource<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyDict>> {
        let snap = self.inner.resources().snapshot();
        let r = snap.get(id).ok_or_else(|| {
            to_py(Error::UnknownId {
                kind: "resource",
                id: id.to_string(),
            })
        })?;
        let d = PyDict::new(py);
        d.set_item("id", &r.id)?;
        d.set_item("kind", &r.kind)?;
        d.set_item("lon", r.lon)?;
        d.set_item("lat", r.lat)?;
        d.set_item("on_duty", r.on_duty)?;
        d.set_item("home_grid", r.home_grid.as_deref())?;
        Ok(d)
    }

    /// Dispatches one report: chain, departments with reasons, workers, assets, nearby lists.
    #[pyo3(signature = (lon, lat, category, crs = "wgs84", asset_id = None, workers = 3))]
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        py: Python<'_>,
        lon: f64,
        lat: f64,
        category: &str,
        crs: &str,
        asset_id: Option<String>,
        workers: usize,
    ) -> PyResult<DispatchResult> {
        let options = DispatchOptions {
            crs: coords::crs(crs)?,
            asset_id,
            workers,
            ..DispatchOptions::default()
        };
        let inner = &self.inner;
        let result = errors::detach(py, || inner.dispatch(lon, lat, category, &options))?;
        Ok(DispatchResult {
            inner: result,
            dispatcher: self.inner.clone(),
        })
    }

    /// The `k` nearest assets of each point (exact geodesic order, ties by id): an `int64`
    /// array of shape `(2, m)` of `[input_index, asset_index]` pairs, plus distances in metres
    /// when `return_distance` is true. Filters: `classes` (class code prefixes), `states`.
    #[pyo3(signature = (lon, lat = None, k = 1, max_distance = None, *, classes = None, states = None, return_distance = false, crs = "wgs84"))]
    #[allow(clippy::too_many_arguments)]
    fn nearest<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        k: usize,
        max_distance: Option<f64>,
        classes: Option<&Bound<'py, PyAny>>,
        states: Option<&Bound<'py, PyAny>>,
        return_distance: bool,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let crs = coords::crs(crs)?;
        let filter = asset_filter(classes, states)?;
        let (lon, lat) = coords::arrays(lon, lat)?;
        let (x, y) = coords::slices(&lon, &lat)?;
        let inner = &*self.inner;
        let hits = errors::detach(py, || {
            let (x, y) = to_wgs84(inner, crs, x, y)?;
            inner
                .assets()
                .nearest_many_parallel(&x, &y, k, max_distance, &filter)
        })?;
        pairs_result(py, hits, return_distance)
    }

    /// The same as `nearest` (its earlier name).
    #[pyo3(signature = (lon, lat = None, k = 1, max_distance = None, *, classes = None, states = None, return_distance = false, crs = "wgs84"))]
    #[allow(clippy::too_many_arguments)]
    fn nearest_assets<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        k: usize,
        max_distance: Option<f64>,
        classes: Option<&Bound<'py, PyAny>>,
        states: Option<&Bound<'py, PyAny>>,
        return_distance: bool,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.nearest(
            py,
            lon,
            lat,
            k,
            max_distance,
            classes,
            states,
            return_distance,
            crs,
        )
    }

    /// Every asset within `distance` metres (geodesic, inclusive) of each point: `(2, m)`
    /// `[input_index, asset_index]` pairs, nearest first per point, plus the distances when
    /// `return_distance` is true. Same filters as `nearest`.
    #[pyo3(signature = (lon, lat = None, distance = None, *, classes = None, states = None, return_distance = false, crs = "wgs84"))]
    #[allow(clippy::too_many_arguments)]
    fn within<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        distance: Option<f64>,
        classes: Option<&Bound<'py, PyAny>>,
        states: Option<&Bound<'py, PyAny>>,
        return_distance: bool,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let distance = match distance {
            Some(d) if d >= 0.0 => d,
            Some(d) => {
                return Err(PyValueError::new_err(format!(
                    "distance must be a number of metres >= 0, got {d}"
                )))
            }
            None => return Err(PyTypeError::new_err("within() needs distance (metres)")),
        };
        let crs = coords::crs(crs)?;
        let filter = asset_filter(classes, states)?;
        let (lon, lat) = coords::arrays(lon, lat)?;
        let (x, y) = coords::slices(&lon, &lat)?;
        let inner = &*self.inner;
        let hits = errors::detach(py, || {
            let (x, y) = to_wgs84(inner, crs, x, y)?;
            inner.assets().within_many(&x, &y, distance, &filter)
        })?;
        pairs_result(py, hits, return_distance)
    }

    /// One asset, by id or by index into `asset_ids`.
    fn asset(&self, key: &Bound<'_, PyAny>) -> PyResult<Asset> {
        let assets = self.inner.assets().assets();
        let position = if let Ok(id) = key.extract::<String>() {
            assets
                .binary_search_by(|a| a.id.as_str().cmp(id.as_str()))
                .map_err(|_| to_py(Error::UnknownId { kind: "asset", id }))?
        } else {
            let i: i64 = key
                .extract()
                .map_err(|_| PyTypeError::new_err("an asset is named by its id or its index"))?;
            if i < 0 || i as u64 >= assets.len() as u64 {
                return Err(PyIndexError::new_err(format!(
                    "asset index {i} out of range ({} assets)",
                    assets.len()
                )));
            }
            i as usize
        };
        Ok(Asset {
            dispatcher: self.inner.clone(),
            position,
        })
    }

    /// Dispatches many reports in parallel (GIL released) into a pandas DataFrame, one row
    /// per report. `category`: one code for every report or one per report; `asset_id`:
    /// None or one id (or None) per report. `errors="raise"` raises the first bad report's
    /// error ("report i: …"); `errors="ignore"` keeps going and adds an `error` column.
    #[pyo3(signature = (lon, lat = None, category = None, crs = "wgs84", asset_id = None, workers = 3, errors = "raise"))]
    #[allow(clippy::too_many_arguments)]
    fn dispatch_many<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        category: Option<&Bound<'py, PyAny>>,
        crs: &str,
        asset_id: Option<&Bound<'py, PyAny>>,
        workers: usize,
        errors: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let keep_going = match errors {
            "raise" => false,
            "ignore" => true,
            other => {
                return Err(PyValueError::new_err(format!(
                    "errors must be \"raise\" or \"ignore\", got {other:?}"
                )))
            }
        };
        let pandas = crate::city::import_pandas(py, "Dispatcher.dispatch_many")?;
        let options = DispatchOptions {
            crs: coords::crs(crs)?,
            workers,
            ..DispatchOptions::default()
        };
        let (lon, lat) = coords::arrays(lon, lat)?;
        let (x, y) = coords::slices(&lon, &lat)?;
        let list = |obj: &Bound<'py, PyAny>| -> PyResult<Bound<'py, PyAny>> {
            py.import("builtins")?.getattr("list")?.call1((obj,))
        };
        let categories: Vec<String> = match category {
            None => return Err(PyTypeError::new_err("dispatch_many() needs category")),
            Some(c) if c.is_instance_of::<PyString>() => vec![c.extract()?; x.len()],
            Some(c) => list(c)?.extract().map_err(|_| {
                PyTypeError::new_err("category must be a code or a sequence of codes (str)")
            })?,
        };
        let asset_ids: Option<Vec<Option<String>>> = match asset_id {
            None => None,
            Some(a) if a.is_none() => None,
            Some(a) => Some(list(a)?.extract().map_err(|_| {
                PyTypeError::new_err("asset_id must be None or a sequence of ids (str or None)")
            })?),
        };
        let inner = &*self.inner;
        let results = errors::detach(py, || {
            inner.dispatch_many(x, y, &categories, asset_ids.as_deref(), &options)
        })?;
        if !keep_going {
            if let Some((i, e)) = results
                .iter()
                .enumerate()
                .find_map(|(i, r)| r.as_ref().err().map(|e| (i, e.clone())))
            {
                return Err(to_py_at(e, &format!("report {i}")));
            }
        }
        let table = dispatch_table(py, inner, &results, keep_going)?;
        pandas.call_method1("DataFrame", (table,))
    }

    /// Moves live resources: all-or-nothing; returns the new resource version.
    #[pyo3(signature = (ids, lon, lat = None, crs = "wgs84"))]
    fn update_positions<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        crs: &str,
    ) -> PyResult<u64> {
        let crs = coords::crs(crs)?;
        let (lon, lat) = coords::arrays(lon, lat)?;
        let (x, y) = coords::slices(&lon, &lat)?;
        if ids.len() != x.len() {
            return Err(to_py(Error::LengthMismatch {
                left_name: "ids",
                left: ids.len(),
                right_name: "lon",
                right: x.len(),
            }));
        }
        let inner = &*self.inner;
        errors::detach(py, || {
            let (x, y) = to_wgs84(inner, crs, x, y)?;
            let updates: Vec<(&str, f64, f64)> = ids
                .iter()
                .zip(x.iter().zip(&y))
                .map(|(id, (&a, &b))| (id.as_str(), a, b))
                .collect();
            inner.resources().update_positions(&updates)
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<wangge.Dispatcher {} departments, {} assets, {} resources>",
            self.inner.departments().departments().len(),
            self.inner.assets().len(),
            self.inner.resources().snapshot().resources().len()
        )
    }
}

/// Everything a handler needs for one report.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct DispatchResult {
    inner: wangge::dispatch::DispatchResult,
    dispatcher: Arc<CoreDispatcher>,
}

#[pymethods]
impl DispatchResult {
    /// The report's point in WGS84.
    #[getter]
    fn lon(&self) -> f64 {
        self.inner.lon
    }
    /// The report's point in WGS84.
    #[getter]
    fn lat(&self) -> f64 {
        self.inner.lat
    }
    /// The owner chain as dicts (level, code, name), top level first; empty outside the city.
    #[getter]
    fn chain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.chain)
    }
    /// Codes of the chain, top level first.
    #[getter]
    fn codes(&self) -> Vec<String> {
        self.inner.chain.iter().map(|r| r.code.clone()).collect()
    }
    /// The category code.
    #[getter]
    fn category(&self) -> String {
        self.inner.category.clone()
    }
    /// The category's name in the code table.
    #[getter]
    fn category_name(&self) -> String {
        self.inner.category_name.clone()
    }
    /// Departments as dicts (code, name, reason = {rule, …}), responsible first.
    #[getter]
    fn departments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.departments)
    }
    /// Code of the first (responsible) department, or `None`.
    #[getter]
    fn department(&self) -> Option<String> {
        self.inner.departments.first().map(|d| d.code.clone())
    }
    /// Nearest on-duty workers as dicts (id, distance_m, same_grid).
    #[getter]
    fn workers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.workers)
    }
    /// Nearest assets of the reported class as dicts (id, class, state, distance_m).
    #[getter]
    fn assets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py_value(py, &self.inner.assets)
    }
    /// Extra nearby lists: `{label: [asset dicts]}` (hydrants by default).
    #[getter]
    fn nearby<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (label, hits) in &self.inner.nearby {
            d.set_item(label, to_py_value(py, hits)?)?;
        }
        Ok(d)
    }
    /// A GeoJSON-like FeatureCollection (WGS84): the report point (`role` "report", with
    /// category, department and grid) and each asset found (`role` "asset" or the nearby
    /// label, with id, class, state and distance_m), as Points.
    #[getter]
    fn __geo_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.inner;
        let features = PyList::empty(py);
        let report = PyDict::new(py);
        report.set_item("role", "report")?;
        report.set_item("category", &r.category)?;
        report.set_item("department", self.department())?;
        report.set_item("grid", r.chain.last().map(|c| c.code.as_str()))?;
        features.append(point_feature(py, r.lon, r.lat, report)?)?;
        let assets = self.dispatcher.assets();
        let lists = std::iter::once(("asset", &r.assets))
            .chain(r.nearby.iter().map(|(label, hits)| (label.as_str(), hits)));
        for (role, hits) in lists {
            for hit in hits {
                let Some(a) = assets.get(&hit.id) else {
                    continue;
                };
                let props = PyDict::new(py);
                props.set_item("role", role)?;
                props.set_item("id", &hit.id)?;
                props.set_item("class", &hit.class)?;
                props.set_item("state", &hit.state)?;
                props.set_item("distance_m", hit.distance_m)?;
                features.append(point_feature(py, a.lon, a.lat, props)?)?;
            }
        }
        let d = PyDict::new(py);
        d.set_item("type", "FeatureCollection")?;
        d.set_item("features", features)?;
        Ok(d)
    }
    /// The whole result as plain dicts and lists.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("lon", self.inner.lon)?;
        d.set_item("lat", self.inner.lat)?;
        d.set_item("chain", self.chain(py)?)?;
        d.set_item("category", self.category())?;
        d.set_item("category_name", self.category_name())?;
        d.set_item("departments", self.departments(py)?)?;
        d.set_item("workers", self.workers(py)?)?;
        d.set_item("assets", self.assets(py)?)?;
        d.set_item("nearby", self.nearby(py)?)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        let chain: Vec<&str> = self.inner.chain.iter().map(|r| r.code.as_str()).collect();
        let depts: Vec<&str> = self
            .inner
            .departments
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        format!(
            "<wangge.DispatchResult {} {} chain=[{}] departments=[{}] workers={} assets={}>",
            self.inner.category,
            self.inner.category_name,
            chain.join(" > "),
            depts.join(", "),
            self.inner.workers.len(),
            self.inner.assets.len()
        )
    }
}

/// `{"type": "Point", "coordinates": (lon, lat)}`.
fn point<'py>(py: Python<'py>, lon: f64, lat: f64) -> PyResult<Bound<'py, PyDict>> {
    let g = PyDict::new(py);
    g.set_item("type", "Point")?;
    g.set_item("coordinates", (lon, lat))?;
    Ok(g)
}

/// A GeoJSON-like Point Feature.
fn point_feature<'py>(
    py: Python<'py>,
    lon: f64,
    lat: f64,
    properties: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyDict>> {
    let f = PyDict::new(py);
    f.set_item("type", "Feature")?;
    f.set_item("geometry", point(py, lon, lat)?)?;
    f.set_item("properties", properties)?;
    Ok(f)
}

/// One asset of the inventory (what `Dispatcher.asset` returns).
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Asset {
    dispatcher: Arc<CoreDispatcher>,
    position: usize,
}

impl Asset {
    fn asset(&self) -> &wangge::assets::Asset {
        &self.dispatcher.assets().assets()[self.position]
    }
}

#[pymethods]
impl Asset {
    /// Component id (16-digit legacy or 17-digit GB/T 47678.5).
    #[getter]
    fn id(&self) -> String {
        self.asset().id.clone()
    }
    /// Index into `Dispatcher.asset_ids` (what `nearest` and `within` return).
    #[getter]
    fn index(&self) -> usize {
        self.position
    }
    /// Class code embedded in the id.
    #[getter]
    fn class_code(&self) -> String {
        self.asset().class.clone()
    }
    /// Name (may be empty).
    #[getter]
    fn name(&self) -> String {
        self.asset().name.clone()
    }
    /// State (English name: intact, damaged, lost, abandoned, removed).
    #[getter]
    fn state(&self) -> String {
        self.asset().state.english().to_string()
    }
    /// Position, WGS84.
    #[getter]
    fn lon(&self) -> f64 {
        self.asset().lon
    }
    /// Position, WGS84.
    #[getter]
    fn lat(&self) -> f64 {
        self.asset().lat
    }
    /// Id of the region that owns its position, `None` outside the city.
    #[getter]
    fn region(&self) -> Option<u32> {
        self.asset().region.map(|r| r.0)
    }
    /// 主管 (regulating) department code.
    #[getter]
    fn main_dept(&self) -> Option<String> {
        self.asset().main_dept.clone()
    }
    /// 权属 (owning) department code.
    #[getter]
    fn owner_dept(&self) -> Option<String> {
        self.asset().owner_dept.clone()
    }
    /// 养护 (maintaining) department code.
    #[getter]
    fn maintainer_dept(&self) -> Option<String> {
        self.asset().maintainer_dept.clone()
    }
    /// Free attributes.
    #[getter]
    fn attributes(&self) -> std::collections::BTreeMap<String, String> {
        self.asset().attributes.clone()
    }
    /// GeoJSON-like Point (WGS84 lon/lat).
    #[getter]
    fn __geo_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        point(py, self.asset().lon, self.asset().lat)
    }
    /// The asset as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("class", self.class_code())?;
        d.set_item("name", self.name())?;
        d.set_item("state", self.state())?;
        d.set_item("lon", self.lon())?;
        d.set_item("lat", self.lat())?;
        d.set_item("region", self.region())?;
        d.set_item("main_dept", self.main_dept())?;
        d.set_item("owner_dept", self.owner_dept())?;
        d.set_item("maintainer_dept", self.maintainer_dept())?;
        d.set_item("attributes", self.attributes())?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        let a = self.asset();
        format!(
            "<wangge.Asset {} {} {} ({}, {})>",
            a.id,
            a.class,
            a.state.english(),
            a.lon,
            a.lat
        )
    }
}

/// The columns of `dispatch_many`'s DataFrame (a dict of lists, one entry per report).
fn dispatch_table<'py>(
    py: Python<'py>,
    d: &CoreDispatcher,
    results: &[wangge::Result<wangge::dispatch::DispatchResult>],
    with_errors: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let levels = d.city().levels();
    let n = results.len();
    let labels: Vec<String> = DispatchOptions::default()
        .nearby
        .iter()
        .map(|n| n.label.clone())
        .collect();
    let mut lon = Vec::with_capacity(n);
    let mut lat = Vec::with_capacity(n);
    let mut codes: Vec<Vec<Option<&str>>> = vec![Vec::with_capacity(n); levels.len()];
    let mut category = Vec::with_capacity(n);
    let mut category_name = Vec::with_capacity(n);
    let mut department = Vec::with_capacity(n);
    let mut department_name = Vec::with_capacity(n);
    let mut department_rule = Vec::with_capacity(n);
    let mut departments = Vec::with_capacity(n);
    let mut workers = Vec::with_capacity(n);
    let mut nearest_worker = Vec::with_capacity(n);
    let mut assets = Vec::with_capacity(n);
    let mut nearest_asset = Vec::with_capacity(n);
    let mut nearby: Vec<(Vec<Vec<&str>>, Vec<f64>)> =
        vec![(Vec::with_capacity(n), Vec::with_capacity(n)); labels.len()];
    let mut error = Vec::with_capacity(n);
    for r in results {
        let Ok(r) = r else {
            lon.push(f64::NAN);
            lat.push(f64::NAN);
            codes.iter_mut().for_each(|c| c.push(None));
            category.push(None);
            category_name.push(None);
            department.push(None);
            department_name.push(None);
            department_rule.push(None);
            departments.push(Vec::new());
            workers.push(Vec::new());
            nearest_worker.push(f64::NAN);
            assets.push(Vec::new());
            nearest_asset.push(f64::NAN);
            for (ids, dist) in &mut nearby {
                ids.push(Vec::new());
                dist.push(f64::NAN);
            }
            error.push(r.as_ref().err().map(|e| e.to_string()));
            continue;
        };
        lon.push(r.lon);
        lat.push(r.lat);
        for (k, column) in codes.iter_mut().enumerate() {
            column.push(
                r.chain
                    .iter()
                    .find(|c| c.level == levels[k])
                    .map(|c| c.code.as_str()),
            );
        }
        category.push(Some(r.category.as_str()));
        category_name.push(Some(r.category_name.as_str()));
        let first = r.departments.first();
        department.push(first.map(|m| m.code.as_str()));
        department_name.push(first.map(|m| m.name.as_str()));
        department_rule.push(match first {
            Some(m) => serde_json::to_value(&m.reason)
                .ok()
                .and_then(|v| v.get("rule").and_then(|r| r.as_str()).map(str::to_string)),
            None => None,
        });
        departments.push(
            r.departments
                .iter()
                .map(|m| m.code.as_str())
                .collect::<Vec<_>>(),
        );
        workers.push(r.workers.iter().map(|w| w.id.as_str()).collect::<Vec<_>>());
        nearest_worker.push(
            r.workers
                .iter()
                .map(|w| w.distance_m)
                .fold(f64::NAN, f64::min),
        );
        assets.push(r.assets.iter().map(|a| a.id.as_str()).collect::<Vec<_>>());
        nearest_asset.push(r.assets.first().map_or(f64::NAN, |a| a.distance_m));
        for (k, label) in labels.iter().enumerate() {
            let hits = r
                .nearby
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, h)| h.as_slice())
                .unwrap_or_default();
            nearby[k]
                .0
                .push(hits.iter().map(|a| a.id.as_str()).collect());
            nearby[k]
                .1
                .push(hits.first().map_or(f64::NAN, |a| a.distance_m));
        }
        error.push(None);
    }
    let t = PyDict::new(py);
    t.set_item("lon", PyArray1::from_vec(py, lon))?;
    t.set_item("lat", PyArray1::from_vec(py, lat))?;
    for (name, column) in levels.iter().zip(codes) {
        t.set_item(name, column)?;
    }
    t.set_item("category", category)?;
    t.set_item("category_name", category_name)?;
    t.set_item("department", department)?;
    t.set_item("department_name", department_name)?;
    t.set_item("department_rule", department_rule)?;
    t.set_item("departments", departments)?;
    t.set_item("workers", workers)?;
    t.set_item("nearest_worker_m", PyArray1::from_vec(py, nearest_worker))?;
    t.set_item("assets", assets)?;
    t.set_item("nearest_asset_m", PyArray1::from_vec(py, nearest_asset))?;
    for (label, (ids, dist)) in labels.iter().zip(nearby) {
        t.set_item(label, ids)?;
        t.set_item(format!("nearest_{label}_m"), PyArray1::from_vec(py, dist))?;
    }
    if with_errors {
        t.set_item("error", error)?;
    }
    Ok(t)
}
