//! `City`, `Region` and `Located`.

use crate::coords::{self, Coords};
use crate::errors::{self, to_py};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyImportError, PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use wangge::crs::Converter;
use wangge::io::geojson::{level_to_geojson, LevelReader, PropertyNames};
use wangge::io::limits::ReadLimits;
use wangge::{BuildOptions, CodeScheme, Crs, Error, LevelInput, RegionId, NO_OWNER};

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
    /// or there is no owner ([`wangge::City::owners_by_level`]).
    fn level_ids(&self, owners: &[u32]) -> Vec<Vec<i64>> {
        self.inner
            .owners_by_level(owners)
            .into_iter()
            .map(|level| level.into_iter().map(id_or_minus_one).collect())
            .collect()
    }

    fn owners<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        crs: &str,
    ) -> PyResult<Vec<u32>> {
        let crs = coords::crs(crs)?;
        let (lon, lat) = coords::arrays(lon, lat)?;
        let (x, y) = coords::slices(&lon, &lat)?;
        let city = &*self.inner;
        errors::detach(py, || city.locate_many_in(crs, x, y))
    }
}

/// `import pandas`, or an ImportError naming the method that needs it.
pub(crate) fn import_pandas<'py>(py: Python<'py>, what: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import("pandas").map_err(|e| {
        PyImportError::new_err(format!(
            "{what} needs pandas (pip install pandas, or wangge[pandas]): {e}"
        ))
    })
}

/// Benchmark hook for `python/benches/overhead.py`: the seconds each of `repeats` runs of the
/// core's `City::locate_many_in` takes on these arrays, timed in Rust (no Python inside the
/// timed region), to compare with the same call made through `City.locate`.
#[pyfunction]
#[pyo3(name = "_locate_native_seconds", signature = (city, lon, lat, crs = "wgs84", repeats = 5))]
pub fn locate_native_seconds(
    py: Python<'_>,
    city: &City,
    lon: &Bound<'_, PyAny>,
    lat: &Bound<'_, PyAny>,
    crs: &str,
    repeats: usize,
) -> PyResult<Vec<f64>> {
    let crs = coords::crs(crs)?;
    let (lon, lat) = coords::arrays(lon, Some(lat))?;
    let (x, y) = coords::slices(&lon, &lat)?;
    let inner = &*city.inner;
    errors::detach(py, || {
        let mut seconds = Vec::with_capacity(repeats);
        for _ in 0..repeats {
            let start = std::time::Instant::now();
            let ids = inner.locate_many_in(crs, x, y)?;
            seconds.push(start.elapsed().as_secs_f64());
            std::hint::black_box(ids);
        }
        Ok(seconds)
    })
}

/// Test hook: panics inside a core-style call, to show that the panic arrives as a
/// `WanggeError`, not as pyo3's `PanicException`.
#[pyfunction]
#[pyo3(name = "_panic_for_tests")]
pub fn panic_for_tests(py: Python<'_>) -> PyResult<()> {
    errors::detach(py, || -> wangge::Result<()> {
        panic!("deliberate panic from wangge._wangge._panic_for_tests")
    })
}

/// A region id for Python: [`NO_OWNER`] becomes -1.
fn id_or_minus_one(id: u32) -> i64 {
    if id == NO_OWNER {
        -1
    } else {
        i64::from(id)
    }
}

fn ids_to_array<'py>(py: Python<'py>, ids: &[u32]) -> Bound<'py, PyArray1<i64>> {
    PyArray1::from_vec(py, ids.iter().copied().map(id_or_minus_one).collect())
}

#[pymethods]
impl City {
    /// Builds a city from a manifest (TOML or JSON). `limits`: a dict of GeoJSON input limits
    /// overriding the manifest's `[limits]` table.
    #[staticmethod]
    #[pyo3(signature = (path, *, limits = None))]
    fn from_manifest(
        py: Python<'_>,
        path: PathBuf,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<City> {
        let overrides = limit_overrides(limits)?;
        let city = errors::detach(py, || {
            wangge::City::from_manifest_with_limits(&path, &overrides)
        })?;
        Ok(City::from_arc(Arc::new(city)))
    }

    /// Loads a snapshot file or builds from a manifest, whichever the file is (`limits` as in
    /// `from_manifest`; a snapshot has `max_snapshot_bytes`).
    #[staticmethod]
    #[pyo3(signature = (path, *, limits = None))]
    fn load(py: Python<'_>, path: PathBuf, limits: Option<&Bound<'_, PyAny>>) -> PyResult<City> {
        let overrides = limit_overrides(limits)?;
        let city = errors::detach(py, || wangge::City::load_with_limits(&path, &overrides))?;
        Ok(City::from_arc(Arc::new(city)))
    }

    /// Rebuilds a city from snapshot bytes (`bytes` or `bytearray`).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: Cow<'_, [u8]>) -> PyResult<City> {
        let bytes: &[u8] = &data;
        let city = errors::detach(py, || wangge::City::from_bytes(bytes))?;
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
        errors::detach(py, || city.save(&path))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let ctor = slf.get_type().getattr("from_bytes")?;
        let bytes = slf.get().to_bytes(py);
        PyTuple::new(py, [ctor, PyTuple::new(py, [bytes])?.into_any()])
    }

    /// Builds a city from one GeoJSON FeatureCollection per level, top level first.
    ///
    /// `levels`: a dict `{level name: source}` (in order) or a list of `(name, source)` pairs;
    /// a source is GeoJSON text, a path (`pathlib.Path` / `os.PathLike`), a mapping, a list of
    /// features, or anything with `__geo_interface__` (a GeoDataFrame; features may hold
    /// shapely geometries). Property names are one string for every level or a dict by level;
    /// `parent_property` is ignored on the top level, which has no parents.
    #[staticmethod]
    #[pyo3(signature = (levels, *, code_property = None, name_property = None, parent_property = None, crs = "wgs84", code_scheme = None, parent_tolerance_m = 1.0, check_validity = true, limits = None))]
    #[allow(clippy::too_many_arguments)]
    fn from_geojson(
        py: Python<'_>,
        levels: &Bound<'_, PyAny>,
        code_property: Option<&Bound<'_, PyAny>>,
        name_property: Option<&Bound<'_, PyAny>>,
        parent_property: Option<&Bound<'_, PyAny>>,
        crs: &str,
        code_scheme: Option<&str>,
        parent_tolerance_m: f64,
        check_validity: bool,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<City> {
        let limits = read_limits(limits)?;
        let sources = geojson_sources(
            py,
            levels,
            code_property,
            name_property,
            parent_property,
            coords::crs(crs)?,
        )?;
        let options = options(code_scheme, parent_tolerance_m, check_validity)?;
        build_city(py, sources, options, limits)
    }

    /// Builds a city from one GeoDataFrame per level, top level first (`levels` as in
    /// `from_geojson`). Column names are one string or a dict by level. `crs=None` follows
    /// each frame's CRS (unset = WGS84; projected frames are reprojected to EPSG:4326);
    /// `crs="gcj02"`/`"bd09"`/`"wgs84"` states the coordinates' system.
    #[staticmethod]
    #[pyo3(signature = (levels, *, code_column = None, name_column = None, parent_column = None, crs = None, code_scheme = None, parent_tolerance_m = 1.0, check_validity = true, limits = None))]
    #[allow(clippy::too_many_arguments)]
    fn from_geodataframes(
        py: Python<'_>,
        levels: &Bound<'_, PyAny>,
        code_column: Option<&Bound<'_, PyAny>>,
        name_column: Option<&Bound<'_, PyAny>>,
        parent_column: Option<&Bound<'_, PyAny>>,
        crs: Option<&str>,
        code_scheme: Option<&str>,
        parent_tolerance_m: f64,
        check_validity: bool,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<City> {
        let limits = read_limits(limits)?;
        if let Some(c) = crs {
            coords::crs(c)?;
        }
        let geo = py.import("wangge._geo")?;
        let mut sources = Vec::new();
        for (k, (name, gdf)) in level_items(levels)?.into_iter().enumerate() {
            let what = format!("level {name:?}");
            let (text, crs_name): (String, String) = geo
                .call_method1("geodataframe_source", (&gdf, crs, &what))?
                .extract()?;
            let props = PropertyNames {
                code: per_level(code_column, &name, "code_column")?
                    .unwrap_or_else(|| "code".into()),
                name: Some(
                    per_level(name_column, &name, "name_column")?.unwrap_or_else(|| "name".into()),
                ),
                parent: per_level(parent_column.filter(|_| k > 0), &name, "parent_column")?,
            };
            sources.push(LevelSource {
                name,
                text: Source::Text(text),
                props,
                crs: coords::crs(&crs_name)?,
            });
        }
        let options = options(code_scheme, parent_tolerance_m, check_validity)?;
        build_city(py, sources, options, limits)
    }

    /// One level as GeoJSON text (a FeatureCollection with `code`, `name`, `level`, `parent`
    /// (code) and `area_m2`), coordinates in `crs`.
    #[pyo3(signature = (level, crs = "wgs84"))]
    fn to_geojson(&self, py: Python<'_>, level: &Bound<'_, PyAny>, crs: &str) -> PyResult<String> {
        let index = self.level_index(level)?;
        let crs = coords::crs(crs)?;
        let city = &*self.inner;
        errors::detach(py, || {
            let fc = level_to_geojson(city, index, crs, city.converter());
            serde_json::to_string(&fc).map_err(|e| Error::GeoJson {
                source_name: "to_geojson".into(),
                reason: e.to_string(),
            })
        })
    }

    /// One level as a GeoDataFrame indexed by region id (columns `code`, `name`, `level`,
    /// `parent` (code or None), `area_m2`, `geometry`); CRS EPSG:4326 for `crs="wgs84"`,
    /// unset for GCJ-02 / BD-09 (no EPSG code exists). Needs geopandas.
    #[pyo3(signature = (level, crs = "wgs84"))]
    fn to_geodataframe<'py>(
        &self,
        py: Python<'py>,
        level: &Bound<'py, PyAny>,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = self.to_geojson(py, level, crs)?;
        let index = self.level_index(level)?;
        let ids: Vec<i64> = self.inner.level_ranges()[index]
            .clone()
            .map(i64::from)
            .collect();
        let crs_name = if coords::crs(crs)? == Crs::Wgs84 {
            "wgs84"
        } else {
            "other"
        };
        py.import("wangge._geo")?.call_method1(
            "geodataframe_from_geojson",
            (text, crs_name, PyArray1::from_vec(py, ids)),
        )
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
    /// With `lat` omitted, `lon` holds Point geometries (shapely or `__geo_interface__`).
    #[pyo3(signature = (lon, lat = None, crs = "wgs84"))]
    fn locate<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
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
                let ids = errors::detach(py, || city.locate_many_in(crs, x, y))?;
                Ok(ids_to_array(py, &ids).into_any())
            }
        }
    }

    /// For each point, the owner's region id at every level: `int64` array of shape
    /// `(n, len(levels))`, -1 where the owner lies above that level or there is none.
    #[pyo3(signature = (lon, lat = None, crs = "wgs84"))]
    fn locate_levels<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let owners = self.owners(py, lon, lat, crs)?;
        let n = owners.len();
        let per_level = errors::detach(py, || Ok(self.level_ids(&owners)))?;
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
    #[pyo3(signature = (lon, lat = None, crs = "wgs84"))]
    fn locate_codes<'py>(
        &self,
        py: Python<'py>,
        lon: &Bound<'py, PyAny>,
        lat: Option<&Bound<'py, PyAny>>,
        crs: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py, "City.locate_codes")?;
        let owners = self.owners(py, lon, lat, crs)?;
        let per_level = errors::detach(py, || Ok(self.level_ids(&owners)))?;
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
    pub(crate) fn level_index(&self, level: &Bound<'_, PyAny>) -> PyResult<usize> {
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

/// Where one level's GeoJSON comes from.
pub(crate) enum Source {
    Text(String),
    File(PathBuf),
}

/// One level for [`build_city`] and [`read_levels`].
pub(crate) struct LevelSource {
    name: String,
    text: Source,
    props: PropertyNames,
    crs: Crs,
}

/// `(name, source)` pairs from a dict (in order) or a sequence of pairs.
fn level_items<'py>(levels: &Bound<'py, PyAny>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let items = if levels.hasattr("items")? {
        levels.call_method0("items")?
    } else {
        levels.clone()
    };
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let pair: (String, Bound<'py, PyAny>) = item?.extract().map_err(|_| {
            PyTypeError::new_err(
                "levels must be a dict {level name: source} or a list of (name, source) pairs",
            )
        })?;
        out.push(pair);
    }
    if out.is_empty() {
        return Err(to_py(Error::Hierarchy(
            "a city needs at least one level".into(),
        )));
    }
    Ok(out)
}

/// A per-level option given as one string, a dict by level name, or None.
fn per_level(opt: Option<&Bound<'_, PyAny>>, level: &str, what: &str) -> PyResult<Option<String>> {
    let Some(v) = opt.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = v.extract::<String>() {
        return Ok(Some(s));
    }
    if v.hasattr("get")? {
        let got = v.call_method1("get", (level,))?;
        if got.is_none() {
            return Ok(None);
        }
        return got
            .extract::<String>()
            .map(Some)
            .map_err(|_| PyTypeError::new_err(format!("{what}[{level:?}] must be a string")));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be a string or a dict {{level name: string}}"
    )))
}

/// Build options; `code_scheme=None` is inferred from the codes in [`build_city`].
fn options(
    code_scheme: Option<&str>,
    parent_tolerance_m: f64,
    check_validity: bool,
) -> PyResult<(Option<CodeScheme>, BuildOptions)> {
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
    if parent_tolerance_m.is_nan() || parent_tolerance_m < 0.0 {
        return Err(PyValueError::new_err(format!(
            "parent_tolerance_m must be a number >= 0, got {parent_tolerance_m}"
        )));
    }
    Ok((
        scheme,
        BuildOptions {
            code_scheme: scheme.unwrap_or_default(),
            parent_tolerance_m,
            check_validity,
        },
    ))
}

/// The levels of `City.from_geojson` (and `wangge.validate`): a dict `{level name: source}`
/// or `(name, source)` pairs, each source GeoJSON text, a path, a mapping, features or a
/// `__geo_interface__` object; property names as one string or a dict by level.
pub(crate) fn geojson_sources(
    py: Python<'_>,
    levels: &Bound<'_, PyAny>,
    code_property: Option<&Bound<'_, PyAny>>,
    name_property: Option<&Bound<'_, PyAny>>,
    parent_property: Option<&Bound<'_, PyAny>>,
    crs: Crs,
) -> PyResult<Vec<LevelSource>> {
    let geo = py.import("wangge._geo")?;
    let pathlike = py.import("os")?.getattr("PathLike")?;
    let mut sources = Vec::new();
    for (k, (name, obj)) in level_items(levels)?.into_iter().enumerate() {
        let what = format!("level {name:?}");
        let text = if obj.is_instance(&pathlike)? {
            Source::File(obj.extract::<PathBuf>()?)
        } else {
            Source::Text(
                geo.call_method1("feature_collection_text", (&obj, &what))?
                    .extract()?,
            )
        };
        let props = PropertyNames {
            code: per_level(code_property, &name, "code_property")?
                .unwrap_or_else(|| "code".into()),
            name: Some(
                per_level(name_property, &name, "name_property")?.unwrap_or_else(|| "name".into()),
            ),
            // The top level has no parents: the option applies below it.
            parent: per_level(parent_property.filter(|_| k > 0), &name, "parent_property")?,
        };
        sources.push(LevelSource {
            name,
            text,
            props,
            crs,
        });
    }
    Ok(sources)
}

/// The `limits=` keyword: a mapping of limit names ([`ReadLimits::NAMES`]) to a whole number
/// `>= 0` or `None` (no limit); `None` itself means no overrides.
pub(crate) fn limit_overrides(limits: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, u64)>> {
    let Some(limits) = limits.filter(|l| !l.is_none()) else {
        return Ok(Vec::new());
    };
    let type_error = || {
        PyTypeError::new_err(format!(
            "limits must be a dict {{name: int >= 0 or None}}; the names are {}",
            ReadLimits::NAMES.join(", ")
        ))
    };
    if !limits.hasattr("items")? {
        return Err(type_error());
    }
    let mut out = Vec::new();
    for item in limits.call_method0("items")?.try_iter()? {
        let (name, value): (String, Bound<'_, PyAny>) =
            item?.extract().map_err(|_| type_error())?;
        let value = if value.is_none() {
            u64::MAX
        } else if value.is_instance_of::<pyo3::types::PyBool>() {
            return Err(type_error());
        } else {
            value.extract::<u64>().map_err(|_| {
                PyValueError::new_err(format!(
                    "limits[{name:?}] must be a whole number >= 0 or None, got {value}"
                ))
            })?
        };
        out.push((name, value));
    }
    ReadLimits::default().with_overrides(&out).map_err(to_py)?;
    Ok(out)
}

/// The default limits with the `limits=` overrides applied.
fn read_limits(limits: Option<&Bound<'_, PyAny>>) -> PyResult<ReadLimits> {
    ReadLimits::default()
        .with_overrides(&limit_overrides(limits)?)
        .map_err(to_py)
}

/// Reads every level with the core's GeoJSON reader and the default limits (call with the GIL
/// released).
pub(crate) fn read_levels(sources: Vec<LevelSource>) -> wangge::Result<Vec<LevelInput>> {
    read_levels_with(sources, &ReadLimits::default())
}

/// [`read_levels`] with these limits: a file's size is checked before it is read, a text's
/// length like a file's.
pub(crate) fn read_levels_with(
    sources: Vec<LevelSource>,
    limits: &ReadLimits,
) -> wangge::Result<Vec<LevelInput>> {
    let converter = Converter::default();
    let mut levels = Vec::with_capacity(sources.len());
    for s in sources {
        let reader = LevelReader {
            level: &s.name,
            props: &s.props,
            crs: s.crs,
            converter: &converter,
            limits: *limits,
        };
        let regions = match &s.text {
            Source::Text(t) => reader.read_str(&format!("level {:?}", s.name), t)?,
            Source::File(p) => reader.read_file(p)?,
        };
        levels.push(LevelInput {
            name: s.name,
            regions,
        });
    }
    Ok(levels)
}

/// The code scheme the codes of `levels` follow ([`CodeScheme::infer`]).
pub(crate) fn infer_scheme(levels: &[LevelInput]) -> CodeScheme {
    CodeScheme::infer(
        levels
            .iter()
            .flat_map(|l| l.regions.iter().map(|r| r.code.as_str())),
    )
}

/// Reads every level with the core's GeoJSON reader and builds the city (GIL released).
fn build_city(
    py: Python<'_>,
    sources: Vec<LevelSource>,
    (scheme, mut options): (Option<CodeScheme>, BuildOptions),
    limits: ReadLimits,
) -> PyResult<City> {
    let city = errors::detach(py, move || {
        let levels = read_levels_with(sources, &limits)?;
        if scheme.is_none() {
            options.code_scheme = infer_scheme(&levels);
        }
        wangge::City::build(levels, &options)
    })?;
    Ok(City::from_arc(Arc::new(city)))
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
    /// The owner and its ancestors, top level first.
    fn chain_ids(&self) -> Vec<RegionId> {
        let mut ids: Vec<RegionId> = self
            .city
            .located(self.leaf.0)
            .map(|hit| hit.chain_ids().collect())
            .unwrap_or_default();
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
