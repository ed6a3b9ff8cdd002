//! Coordinate inputs: Python scalars or 1-D array-likes → `f64` / contiguous `f64` arrays.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt};
use wangge::Crs;

/// Parses a CRS name (`wgs84`, `cgcs2000`, `gcj02`, `bd09`, EPSG forms; case-insensitive).
pub fn crs(name: &str) -> PyResult<Crs> {
    name.parse::<Crs>().map_err(crate::errors::to_py)
}

/// Both coordinates as scalars, both as arrays, or neither.
pub enum Coords<'py> {
    /// Python numbers (or 0-d arrays / numpy scalars).
    Scalar(f64, f64),
    /// Two 1-D float64 arrays, C-contiguous (copied when they were not).
    Arrays(PyReadonlyArray1<'py, f64>, PyReadonlyArray1<'py, f64>),
}

fn is_scalar(obj: &Bound<'_, PyAny>, numpy: &Bound<'_, PyModule>) -> PyResult<bool> {
    if obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>() {
        return Ok(true);
    }
    Ok(numpy.call_method1("ndim", (obj,))?.extract::<usize>()? == 0)
}

fn scalar(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    if obj.is_instance_of::<pyo3::types::PyString>() || obj.is_instance_of::<pyo3::types::PyBytes>()
    {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a number, got {}",
            obj.get_type().name()?
        )));
    }
    obj.extract::<f64>().map_err(|_| {
        let ty = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        PyTypeError::new_err(format!("{name} must be a number, got {ty}"))
    })
}

/// A 1-D array-like of numbers as a contiguous, aligned float64 array. Integer and float
/// dtypes are accepted (and copied to float64 when needed, as are strided or misaligned
/// views); strings, booleans, objects and anything not 1-D are refused.
pub fn array<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    numpy: &Bound<'py, PyModule>,
) -> PyResult<PyReadonlyArray1<'py, f64>> {
    if let Ok(a) = obj.cast::<PyArray1<f64>>() {
        if a.is_c_contiguous() && aligned(a.as_any())? {
            return readonly(a);
        }
    }
    let arr = numpy.call_method1("asarray", (obj,))?;
    let ndim: usize = arr.getattr("ndim")?.extract()?;
    if ndim != 1 {
        let shape = arr.getattr("shape")?.repr()?.to_string();
        return Err(PyValueError::new_err(format!(
            "{name} must be 1-D, got an array of shape {shape}"
        )));
    }
    let dtype = arr.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "i" | "u" | "f") {
        return Err(PyTypeError::new_err(format!(
            "{name} must hold numbers (integer or float dtype), got dtype {}",
            dtype.str()?
        )));
    }
    let float64 = numpy.getattr("float64")?;
    let mut contiguous = numpy.call_method1("ascontiguousarray", (arr, &float64))?;
    if !aligned(&contiguous)? {
        // Views of pickled or memory-mapped buffers (e.g. arriving in a Dask worker) may be
        // misaligned: a fresh copy is aligned.
        contiguous = numpy.call_method1("array", (contiguous, &float64))?;
    }
    readonly(contiguous.cast::<PyArray1<f64>>()?)
}

/// numpy's `flags.aligned`: whether the data pointer suits the dtype (a slice needs it).
fn aligned(a: &Bound<'_, PyAny>) -> PyResult<bool> {
    a.getattr("flags")?.getattr("aligned")?.extract()
}

fn readonly<'py>(a: &Bound<'py, PyArray1<f64>>) -> PyResult<PyReadonlyArray1<'py, f64>> {
    a.try_readonly()
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Point geometries (one, or a sequence / object array / GeoSeries of them) as coordinates,
/// through `wangge._geo.point_coords` (shapely or `__geo_interface__`).
fn points<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Coords<'py>> {
    let py = obj.py();
    let (x, y, scalar): (Bound<'py, PyAny>, Bound<'py, PyAny>, bool) = py
        .import("wangge._geo")?
        .call_method1("point_coords", (obj,))?
        .extract()?;
    if scalar {
        return Ok(Coords::Scalar(x.extract()?, y.extract()?));
    }
    let numpy = py.import("numpy")?;
    Ok(Coords::Arrays(
        array(&x, "lon", &numpy)?,
        array(&y, "lat", &numpy)?,
    ))
}

/// `lon`, `lat` as two scalars or two 1-D arrays (lengths are checked by the core); with
/// `lat` absent, `lon` holds Point geometries instead.
pub fn coords<'py>(
    lon: &Bound<'py, PyAny>,
    lat: Option<&Bound<'py, PyAny>>,
) -> PyResult<Coords<'py>> {
    let Some(lat) = lat.filter(|l| !l.is_none()) else {
        return points(lon);
    };
    let py = lon.py();
    let numpy = py.import("numpy")?;
    match (is_scalar(lon, &numpy)?, is_scalar(lat, &numpy)?) {
        (true, true) => Ok(Coords::Scalar(scalar(lon, "lon")?, scalar(lat, "lat")?)),
        (false, false) => Ok(Coords::Arrays(
            array(lon, "lon", &numpy)?,
            array(lat, "lat", &numpy)?,
        )),
        _ => Err(PyValueError::new_err(
            "lon and lat must both be scalars or both be 1-D arrays",
        )),
    }
}

/// `lon`, `lat` as two 1-D arrays (scalars are taken as arrays of one point); with `lat`
/// absent, `lon` holds Point geometries instead.
pub fn arrays<'py>(
    lon: &Bound<'py, PyAny>,
    lat: Option<&Bound<'py, PyAny>>,
) -> PyResult<(PyReadonlyArray1<'py, f64>, PyReadonlyArray1<'py, f64>)> {
    let py = lon.py();
    let Some(lat) = lat.filter(|l| !l.is_none()) else {
        return match points(lon)? {
            Coords::Scalar(x, y) => Ok((
                readonly(&PyArray1::from_vec(py, vec![x]))?,
                readonly(&PyArray1::from_vec(py, vec![y]))?,
            )),
            Coords::Arrays(x, y) => Ok((x, y)),
        };
    };
    let numpy = py.import("numpy")?;
    let one = |obj: &Bound<'py, PyAny>, name: &str| -> PyResult<PyReadonlyArray1<'py, f64>> {
        if is_scalar(obj, &numpy)? {
            let v = scalar(obj, name)?;
            readonly(&PyArray1::from_vec(py, vec![v]))
        } else {
            array(obj, name, &numpy)
        }
    };
    Ok((one(lon, "lon")?, one(lat, "lat")?))
}

/// The slices of two readonly arrays (contiguous by construction).
pub fn slices<'a>(
    lon: &'a PyReadonlyArray1<'_, f64>,
    lat: &'a PyReadonlyArray1<'_, f64>,
) -> PyResult<(&'a [f64], &'a [f64])> {
    let err = |e: numpy::AsSliceError| PyValueError::new_err(e.to_string());
    Ok((lon.as_slice().map_err(err)?, lat.as_slice().map_err(err)?))
}
