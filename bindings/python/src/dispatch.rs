//! `Dispatcher` and `DispatchResult`.

use crate::city::City;
use crate::coords;
use crate::errors::to_py;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use std::path::PathBuf;
use wangge::assets::AssetFilter;
use wangge::dispatch::{DispatchOptions, Dispatcher as CoreDispatcher};
use wangge::Error;

/// Code table, departments, assets and live resources of a city, ready to dispatch reports.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Dispatcher {
    inner: CoreDispatcher,
}

/// `serde_json::Value` → Python (dict / list / str / float / int / bool / None).
fn json_to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
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

fn to_py_value<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    json_to_py(py, &value)
}

fn class_filter(classes: Option<&Bound<'_, PyAny>>) -> PyResult<AssetFilter> {
    let prefixes: Vec<String> = match classes {
        None => Vec::new(),
        Some(c) if c.is_none() => Vec::new(),
        Some(c) => {
            if c.is_instance_of::<PyString>() {
                vec![c.extract::<String>()?]
            } else {
                c.extract().map_err(|_| {
                    PyTypeError::new_err("classes must be a class code or a list of class codes")
                })?
            }
        }
    };
    Ok(AssetFilter::classes(prefixes))
}

#[pymethods]
impl Dispatcher {
    /// Builds the city and its dispatcher from a manifest with a `[dispatch]` section.
    #[staticmethod]
    fn from_manifest(py: Python<'_>, path: PathBuf) -> PyResult<Dispatcher> {
        let inner = py
            .detach(|| CoreDispatcher::from_manifest(&path))
            .map_err(to_py)?;
        Ok(Dispatcher { inner })
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
        let result = py
            .detach(|| inner.dispatch(lon, lat, category, &options))
            .map_err(to_py)?;
        Ok(DispatchResult { inner: result })
    }

    /// The `k` nearest assets of each point (exact geodesic order, ties by id): an `int64`
    /// array of shape `(2, m)` of `[input_index, asset_index]` pairs, plus distances in metres
    /// when `return_distance` is true.
    #[pyo3(signature = (lon, lat, k = 1, max_distance = None, classes = None, return_distance = false, crs = "wgs84"))]
    #[allow(clippy::too_many_arguments)]
    fn nearest_assets<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: &Bound<'py, PyAny>,
        k: usize,
        max_distance: Option<f64>,
        classes: Option<&Bound<'py, PyAny>>,
        return_distance: bool,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let crs = coords::crs(crs)?;
        let filter = class_filter(classes)?;
        let (lon, lat) = coords::arrays(lon, lat)?;
        let (x, y) = coords::slices(&lon, &lat)?;
        let inner = &self.inner;
        let (pairs, distances) = py
            .detach(|| -> wangge::Result<(Vec<i64>, Vec<f64>)> {
                let (mut x, mut y) = (x.to_vec(), y.to_vec());
                inner
                    .city()
                    .converter()
                    .to_wgs84_in_place(crs, &mut x, &mut y)?;
                let hits = inner
                    .assets()
                    .nearest_many(&x, &y, k, max_distance, &filter)?;
                // Row 0: input indices, row 1: asset positions (the order of `asset_ids`).
                let pairs = (hits.iter().map(|h| i64::from(h.0)))
                    .chain(hits.iter().map(|h| i64::from(h.1)))
                    .collect();
                Ok((pairs, hits.iter().map(|h| h.2).collect()))
            })
            .map_err(to_py)?;
        let m = distances.len();
        let pairs = PyArray1::from_vec(py, pairs).reshape([2, m])?.into_any();
        if return_distance {
            let d = PyArray1::from_vec(py, distances).into_any();
            Ok(PyTuple::new(py, [pairs, d])?.into_any())
        } else {
            Ok(pairs)
        }
    }

    /// Moves live resources: all-or-nothing; returns the new resource version.
    #[pyo3(signature = (ids, lon, lat, crs = "wgs84"))]
    fn update_positions<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        lon: &Bound<'py, PyAny>,
        lat: &Bound<'py, PyAny>,
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
        let inner = &self.inner;
        py.detach(|| {
            let (mut x, mut y) = (x.to_vec(), y.to_vec());
            inner
                .city()
                .converter()
                .to_wgs84_in_place(crs, &mut x, &mut y)?;
            let updates: Vec<(&str, f64, f64)> = ids
                .iter()
                .zip(x.iter().zip(&y))
                .map(|(id, (&a, &b))| (id.as_str(), a, b))
                .collect();
            inner.resources().update_positions(&updates)
        })
        .map_err(to_py)
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
