//! `City`, `Region` and `Located`.

use crate::coords::{self, Coords};
use crate::errors::to_py;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyImportError, PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use wangge::{RegionId, NO_OWNER};

/// A built, immutable city: levels, regions and the exact point-to-owner index.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct City {
    pub(crate) inner: Arc<wangge::City>,
}

impl City {
    pub(crate) fn from_arc(inner: Arc<wangge::City>) -> Self {
        City { inner }
    }

    /// A checked region id (`IndexError` outside `0..len(city)`).
    fn checked_id(&self, id: i64) -> PyResult<RegionId> {
        if id < 0 || id as u64 >= self.inner.len() as u64 {
            return Err(PyIndexError::new_err(format!(
                "region id {id} out of range (the city has {} regions)",
                self.inner.len()
            )));
        }
        Ok(RegionId(id as u32))
    }

    /// Ids per level for each point: `out[level][i]`, -1 where the owner is above that level
    /// or there is no owner. (A walk up the parent links the core resolved.)
    fn level_ids(&self, owners: &[u32]) -> Vec<Vec<i64>> {
        let city = &*self.inner;
        let mut out = vec![vec![-1i64; owners.len()]; city.levels().len()];
        for (i, &owner) in owners.iter().enumerate() {
            let mut cur = (owner != NO_OWNER).then_some(RegionId(owner));
            while let Some(id) = cur {
                let r = city.region(id);
                out[r.level][i] = i64::from(id.0);
                cur = r.parent;
            }
        }
        out
    }

    fn owners<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: &Bound<'py, PyAny>,
        crs: &str,
    ) -> PyResult<Vec<u32>> {
        let crs = coords::crs(crs)?;
        let (lon, lat) = coords::arrays(lon, lat)?;
        let (x, y) = coords::slices(&lon, &lat)?;
        let city = &*self.inner;
        py.detach(|| city.locate_many_in(crs, x, y)).map_err(to_py)
    }
}

fn ids_to_array<'py>(py: Python<'py>, ids: &[u32]) -> Bound<'py, PyArray1<i64>> {
    let v: Vec<i64> = ids
        .iter()
        .map(|&i| if i == NO_OWNER { -1 } else { i64::from(i) })
        .collect();
    PyArray1::from_vec(py, v)
}

#[pymethods]
impl City {
    /// Builds a city from a manifest (TOML or JSON).
    #[staticmethod]
    fn from_manifest(py: Python<'_>, path: PathBuf) -> PyResult<City> {
        let city = py
            .detach(|| wangge::City::from_manifest(&path))
            .map_err(to_py)?;
        Ok(City::from_arc(Arc::new(city)))
    }

    /// Loads a snapshot file or builds from a manifest, whichever the file is.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<City> {
        let city = py.detach(|| wangge::City::load(&path)).map_err(to_py)?;
        Ok(City::from_arc(Arc::new(city)))
    }

    /// Rebuilds a city from snapshot bytes (`bytes` or `bytearray`).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: Cow<'_, [u8]>) -> PyResult<City> {
        let bytes: &[u8] = &data;
        let city = py
            .detach(|| wangge::City::from_bytes(bytes))
            .map_err(to_py)?;
        Ok(City::from_arc(Arc::new(city)))
    }

    /// The snapshot bytes (versioned, checksummed).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let city = &*self.inner;
        let bytes = py.detach(|| city.to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// Writes a snapshot file.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let city = &*self.inner;
        py.detach(|| city.save(&path)).map_err(to_py)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let ctor = slf.get_type().getattr("from_bytes")?;
        let bytes = slf.get().to_bytes(py);
        PyTuple::new(py, [ctor, PyTuple::new(py, [bytes])?.into_any()])
    }

    /// Level names, top first.
    #[getter]
    fn levels(&self) -> Vec<String> {
        self.inner.levels().to_vec()
    }

    /// Region codes by id (`codes[id]`).
    #[getter]
    fn codes(&self) -> Vec<String> {
        self.inner
            .regions()
            .iter()
            .map(|r| r.code.clone())
            .collect()
    }

    /// Region ids of one level (by name or index), in code order.
    fn level_ids_of(&self, level: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
        let index = self.level_index(level)?;
        Ok(self.inner.level_ranges()[index].clone().collect())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        let counts: Vec<String> = self
            .inner
            .levels()
            .iter()
            .zip(self.inner.level_ranges())
            .map(|(name, r)| format!("{name}={}", r.len()))
            .collect();
        format!("<wangge.City {}>", counts.join(" "))
    }

    /// A region by id (`IndexError` for an id outside `0..len(city)`).
    fn region(&self, id: i64) -> PyResult<Region> {
        let id = self.checked_id(id)?;
        Ok(Region {
            city: self.inner.clone(),
            id,
        })
    }

    /// The id of the region with this code, or `None`.
    fn by_code(&self, code: &str) -> Option<u32> {
        self.inner.by_code(code).map(|id| id.0)
    }

    /// Scalars: the owner as a `Located` (or `None`); arrays: `int64` region ids, -1 for none.
    #[pyo3(signature = (lon, lat, crs = "wgs84"))]
    fn locate<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: &Bound<'py, PyAny>,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let crs = coords::crs(crs)?;
        match coords::coords(lon, lat)? {
            Coords::Scalar(x, y) => {
                let leaf = self.inner.locate_in(crs, x, y).map(|h| h.leaf_id());
                match leaf {
                    Some(leaf) => Ok(Bound::new(
                        py,
                        Located {
                            city: self.inner.clone(),
                            leaf,
                        },
                    )?
                    .into_any()),
                    None => Ok(py.None().into_bound(py)),
                }
            }
            Coords::Arrays(lon, lat) => {
                let (x, y) = coords::slices(&lon, &lat)?;
                let city = &*self.inner;
                let ids = py
                    .detach(|| city.locate_many_in(crs, x, y))
                    .map_err(to_py)?;
                Ok(ids_to_array(py, &ids).into_any())
            }
        }
    }

    /// For each point, the owner's region id at every level: `int64` array of shape
    /// `(n, len(levels))`, -1 where the owner lies above that level or there is none.
    #[pyo3(signature = (lon, lat, crs = "wgs84"))]
    fn locate_levels<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: &Bound<'py, PyAny>,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let owners = self.owners(py, lon, lat, crs)?;
        let n = owners.len();
        let per_level = py.detach(|| self.level_ids(&owners));
        let levels = per_level.len();
        let mut flat = vec![-1i64; n * levels];
        for (k, column) in per_level.iter().enumerate() {
            for (i, &v) in column.iter().enumerate() {
                flat[i * levels + k] = v;
            }
        }
        Ok(PyArray1::from_vec(py, flat)
            .reshape([n, levels])?
            .into_any())
    }

    /// Codes per level as a pandas DataFrame (one column per level, `None` where there is no
    /// owner at that level). Needs pandas.
    #[pyo3(signature = (lon, lat, crs = "wgs84"))]
    fn locate_codes<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: &Bound<'py, PyAny>,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pandas = py.import("pandas").map_err(|e| {
            PyImportError::new_err(format!(
                "City.locate_codes needs pandas (pip install pandas, or wangge[pandas]): {e}"
            ))
        })?;
        let owners = self.owners(py, lon, lat, crs)?;
        let per_level = py.detach(|| self.level_ids(&owners));
        // Codes by id with a trailing None, so that id -1 takes None.
        let numpy = py.import("numpy")?;
        let mut table: Vec<Bound<'py, PyAny>> = self
            .inner
            .regions()
            .iter()
            .map(|r| PyString::new(py, &r.code).into_any())
            .collect();
        table.push(py.None().into_bound(py));
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", "object")?;
        let table = numpy.call_method("array", (PyList::new(py, table)?,), Some(&kwargs))?;
        let columns = PyDict::new(py);
        for (name, ids) in self.inner.levels().iter().zip(per_level) {
            let column = table.call_method1("take", (PyArray1::from_vec(py, ids),))?;
            columns.set_item(name, column)?;
        }
        pandas.call_method1("DataFrame", (columns,))
    }
}

impl City {
    fn level_index(&self, level: &Bound<'_, PyAny>) -> PyResult<usize> {
        let levels = self.inner.levels();
        if let Ok(name) = level.extract::<String>() {
            return self.inner.level_index(&name).ok_or_else(|| {
                PyIndexError::new_err(format!("no level {name:?}; levels are {levels:?}"))
            });
        }
        let index: i64 = level
            .extract()
            .map_err(|_| PyTypeError::new_err("level must be a level name or index"))?;
        if index < 0 || index as u64 >= levels.len() as u64 {
            return Err(PyIndexError::new_err(format!(
                "level index {index} out of range ({} levels)",
                levels.len()
            )));
        }
        Ok(index as usize)
    }
}

/// One region: code, name, level, parent, area and its MultiPolygon (WGS84).
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Region {
    city: Arc<wangge::City>,
    id: RegionId,
}

impl Region {
    fn region(&self) -> &wangge::Region {
        self.city.region(self.id)
    }
}

#[pymethods]
impl Region {
    /// Region id (index into the city).
    #[getter]
    fn id(&self) -> u32 {
        self.id.0
    }
    /// Code.
    #[getter]
    fn code(&self) -> String {
        self.region().code.clone()
    }
    /// Name (may be empty).
    #[getter]
    fn name(&self) -> String {
        self.region().name.clone()
    }
    /// Level index (0 = top).
    #[getter]
    fn level(&self) -> usize {
        self.region().level
    }
    /// Level name.
    #[getter]
    fn level_name(&self) -> String {
        self.city.levels()[self.region().level].clone()
    }
    /// Parent region id, `None` on the top level.
    #[getter]
    fn parent(&self) -> Option<u32> {
        self.region().parent.map(|p| p.0)
    }
    /// Child region ids, in code order.
    #[getter]
    fn children(&self) -> Vec<u32> {
        self.city.children(self.id).iter().map(|c| c.0).collect()
    }
    /// Geodesic area on the WGS84 ellipsoid, m².
    #[getter]
    fn area_m2(&self) -> f64 {
        self.region().area_m2
    }

    /// GeoJSON-like MultiPolygon (WGS84 lon/lat).
    #[getter]
    fn __geo_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let polygons = PyList::empty(py);
        for poly in self.region().geometry.iter() {
            let rings = PyList::empty(py);
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                let coords: Vec<(f64, f64)> = ring.coords().map(|c| (c.x, c.y)).collect();
                rings.append(PyList::new(py, coords)?)?;
            }
            polygons.append(rings)?;
        }
        let d = PyDict::new(py);
        d.set_item("type", "MultiPolygon")?;
        d.set_item("coordinates", polygons)?;
        Ok(d)
    }

    /// The region as a dict (id, code, name, level, level_name, parent, area_m2).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("code", self.code())?;
        d.set_item("name", self.name())?;
        d.set_item("level", self.level())?;
        d.set_item("level_name", self.level_name())?;
        d.set_item("parent", self.parent())?;
        d.set_item("area_m2", self.area_m2())?;
        Ok(d)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Region>()
            .is_ok_and(|o| Arc::ptr_eq(&o.get().city, &self.city) && o.get().id == self.id)
    }

    fn __hash__(&self) -> u64 {
        u64::from(self.id.0)
    }

    fn __repr__(&self) -> String {
        let r = self.region();
        format!(
            "<wangge.Region {} {} {:?} {}>",
            self.id.0,
            self.city.levels()[r.level],
            r.code,
            r.name
        )
    }
}

/// The owner of a point and its ancestors (what a scalar `City.locate` returns).
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Located {
    city: Arc<wangge::City>,
    leaf: RegionId,
}

impl Located {
    fn chain_ids(&self) -> Vec<RegionId> {
        let mut ids = Vec::new();
        let mut cur = Some(self.leaf);
        while let Some(id) = cur {
            ids.push(id);
            cur = self.city.region(id).parent;
        }
        ids.reverse();
        ids
    }
}

#[pymethods]
impl Located {
    /// Id of the owning (deepest) region.
    #[getter]
    fn id(&self) -> u32 {
        self.leaf.0
    }
    /// The owning region.
    #[getter]
    fn leaf(&self) -> Region {
        Region {
            city: self.city.clone(),
            id: self.leaf,
        }
    }
    /// The owner and its ancestors as regions, top level first.
    #[getter]
    fn chain(&self) -> Vec<Region> {
        self.chain_ids()
            .into_iter()
            .map(|id| Region {
                city: self.city.clone(),
                id,
            })
            .collect()
    }
    /// Codes of the chain, top level first.
    #[getter]
    fn codes(&self) -> Vec<String> {
        self.city
            .chain(self.leaf)
            .iter()
            .map(|r| r.code.clone())
            .collect()
    }
    /// Names of the chain, top level first.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.city
            .chain(self.leaf)
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }
    /// Level names of the chain, top level first.
    #[getter]
    fn levels(&self) -> Vec<String> {
        self.city
            .chain(self.leaf)
            .iter()
            .map(|r| self.city.levels()[r.level].clone())
            .collect()
    }
    /// `{level name: code}` for the chain.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for r in self.city.chain(self.leaf) {
            d.set_item(&self.city.levels()[r.level], &r.code)?;
        }
        Ok(d)
    }
    fn __len__(&self) -> usize {
        self.city.chain(self.leaf).len()
    }
    fn __repr__(&self) -> String {
        let parts: Vec<String> = self
            .city
            .chain(self.leaf)
            .iter()
            .map(|r| {
                if r.name.is_empty() {
                    r.code.clone()
                } else {
                    format!("{} {}", r.code, r.name)
                }
            })
            .collect();
        format!("<wangge.Located {}>", parts.join(" > "))
    }
}
