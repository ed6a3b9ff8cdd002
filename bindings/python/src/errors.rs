//! The Python exception hierarchy and the one mapping from [`wangge::Error`] to it.
//!
//! ```text
//! ValueError
//! └── WanggeError                      every error raised by wangge
//!     ├── GeometryError                short/unclosed rings, NaN/∞, out of range, self-intersection,
//!     │                                not a (Multi)Polygon
//!     ├── HierarchyError               duplicate codes, unknown or missing parents, children
//!     │                                outside their parent, bad level definitions
//!     ├── CodeError                    malformed grid, class or component codes
//!     ├── DataError                    malformed GeoJSON, tables, properties, duplicate ids,
//!     │                                generator failures, case tables (missing column, bad row)
//!     ├── ManifestError                unreadable or inconsistent manifests
//!     ├── SnapshotError                corrupt, truncated or foreign snapshot bytes
//!     ├── EditError                    a planner edit cannot be applied (unknown code, a line
//!     │                                missing its grid, grids of different communities …)
//!     ├── VersionError                 a planner version operation was refused (unknown
//!     │                                version, stale or invalid preview, bad history file)
//!     ├── FileError (also OSError)     a file could not be read or written
//!     └── UnknownIdError (also KeyError)  an unknown asset / resource / department id
//! ```
//! Bad query input (unknown CRS names, arrays of different lengths, unusable points) raises
//! `WanggeError` itself, as does a parameter out of its range (a hot-spot radius ≤ 0).

use pyo3::exceptions::{PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use wangge::{Error, ErrorKind};

pyo3::create_exception!(
    wangge._wangge,
    WanggeError,
    PyValueError,
    "Base class of every error raised by wangge (a ValueError)."
);
pyo3::create_exception!(
    wangge._wangge,
    GeometryError,
    WanggeError,
    "A region's geometry is unusable: a short or unclosed ring, a NaN/infinite or out-of-range \
     coordinate, a self-intersection, or not a Polygon/MultiPolygon."
);
pyo3::create_exception!(
    wangge._wangge,
    HierarchyError,
    WanggeError,
    "The hierarchy is inconsistent: duplicate codes, unknown or missing parents, a child outside \
     its parent, or a bad level definition."
);
pyo3::create_exception!(
    wangge._wangge,
    CodeError,
    WanggeError,
    "A malformed code: grid code (GB/T 30428.1), class code or component id."
);
pyo3::create_exception!(
    wangge._wangge,
    DataError,
    WanggeError,
    "Malformed input data: GeoJSON, a table, a property, a duplicate id, or a generator failure."
);
pyo3::create_exception!(
    wangge._wangge,
    ManifestError,
    WanggeError,
    "A manifest could not be read or is inconsistent."
);
pyo3::create_exception!(
    wangge._wangge,
    SnapshotError,
    WanggeError,
    "Snapshot bytes are corrupt, truncated, from another format version, or not a snapshot."
);

pyo3::create_exception!(
    wangge._wangge,
    EditError,
    WanggeError,
    "A planner edit cannot be applied: an unknown or retired code, a line that misses its grid, \
     grids of different communities, a code already in use, or an edited city that does not \
     build. The message names the edit's position in its set and its operation."
);
pyo3::create_exception!(
    wangge._wangge,
    VersionError,
    WanggeError,
    "A planner version operation was refused: an unknown version, a preview with errors or made \
     on a version that is no longer current, or an unreadable history file. Nothing changed."
);

static FILE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UNKNOWN_ID_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A class with two bases (`type(name, (WanggeError, extra), ns)`): `create_exception!` takes
/// one base only.
fn two_base_type<'py>(
    py: Python<'py>,
    name: &str,
    extra: Bound<'py, PyType>,
    doc: &str,
) -> PyResult<Py<PyType>> {
    let ns = PyDict::new(py);
    ns.set_item("__module__", "wangge._wangge")?;
    ns.set_item("__doc__", doc)?;
    let bases = PyTuple::new(py, [py.get_type::<WanggeError>(), extra])?;
    let ty = py
        .get_type::<PyType>()
        .call1((name, bases, ns))?
        .cast_into::<PyType>()?;
    Ok(ty.unbind())
}

/// `FileError(WanggeError, OSError)`.
pub fn file_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    FILE_ERROR
        .get_or_try_init(py, || {
            two_base_type(
                py,
                "FileError",
                py.get_type::<PyOSError>(),
                "A file could not be read or written (also an OSError).",
            )
        })
        .map(|t| t.bind(py))
}

/// `UnknownIdError(WanggeError, KeyError)`.
pub fn unknown_id_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    UNKNOWN_ID_ERROR
        .get_or_try_init(py, || {
            two_base_type(
                py,
                "UnknownIdError",
                py.get_type::<PyKeyError>(),
                "An unknown asset, resource or department id (also a KeyError).",
            )
        })
        .map(|t| t.bind(py))
}

/// Converts a core error into the matching Python exception (message = the core's `Display`).
pub fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    with_message(&e, msg)
}

/// [`to_py`] with `context` in front of the message ("report 3: …"), same class.
pub fn to_py_at(e: Error, context: &str) -> PyErr {
    let msg = format!("{context}: {e}");
    with_message(&e, msg)
}

/// The Python exception of `e`'s kind, carrying `msg`.
fn with_message(e: &Error, msg: String) -> PyErr {
    let k = e.kind();
    Python::attach(|py| {
        let dynamic = |ty: PyResult<&Bound<'_, PyType>>| match ty {
            Ok(ty) => PyErr::from_type(ty.clone(), msg.clone()),
            Err(err) => err,
        };
        // `ErrorKind` is #[non_exhaustive]: kinds added later land on the base class.
        match k {
            ErrorKind::Geometry => GeometryError::new_err(msg.clone()),
            ErrorKind::Hierarchy => HierarchyError::new_err(msg.clone()),
            ErrorKind::Code => CodeError::new_err(msg.clone()),
            ErrorKind::Data => DataError::new_err(msg.clone()),
            ErrorKind::Manifest => ManifestError::new_err(msg.clone()),
            ErrorKind::Snapshot => SnapshotError::new_err(msg.clone()),
            ErrorKind::Edit => EditError::new_err(msg.clone()),
            ErrorKind::Version => VersionError::new_err(msg.clone()),
            ErrorKind::File => dynamic(file_error(py)),
            ErrorKind::UnknownId => dynamic(unknown_id_error(py)),
            _ => WanggeError::new_err(msg.clone()),
        }
    })
}

/// The message of a caught panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs a core call with the GIL released (`py.detach`), mapping its error with [`to_py`] and
/// a panic to a `WanggeError` ("internal error …") instead of pyo3's `PanicException`, a
/// `BaseException` that `except Exception` would not catch. Every batch goes through here.
pub fn detach<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> wangge::Result<T> + Send,
) -> PyResult<T> {
    let result = py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
    });
    match result {
        Ok(r) => r.map_err(to_py),
        Err(msg) => Err(WanggeError::new_err(format!(
            "internal error in wangge (please report it): {msg}"
        ))),
    }
}

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("WanggeError", py.get_type::<WanggeError>())?;
    m.add("GeometryError", py.get_type::<GeometryError>())?;
    m.add("HierarchyError", py.get_type::<HierarchyError>())?;
    m.add("CodeError", py.get_type::<CodeError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("ManifestError", py.get_type::<ManifestError>())?;
    m.add("SnapshotError", py.get_type::<SnapshotError>())?;
    m.add("EditError", py.get_type::<EditError>())?;
    m.add("VersionError", py.get_type::<VersionError>())?;
    m.add("FileError", file_error(py)?)?;
    m.add("UnknownIdError", unknown_id_error(py)?)?;
    Ok(())
}
