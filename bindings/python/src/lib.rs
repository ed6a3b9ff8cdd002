//! Python bindings of wangge: the `wangge._wangge` extension module behind the `wangge`
//! package (`python/`). Conversions only: every rule lives in the core crate.
//!
//! Built by maturin (`scripts/test-python`); `cargo test` does not build a test harness for this
//! crate, so the workspace tests never need libpython.

mod analytics;
mod city;
mod coords;
mod dispatch;
mod errors;
mod hotspots;
mod plan;
mod validate;

use pyo3::prelude::*;

#[pymodule]
fn _wangge(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("NO_OWNER", -1)?;
    m.add_class::<city::City>()?;
    m.add_class::<city::Region>()?;
    m.add_class::<city::Located>()?;
    m.add_class::<dispatch::Dispatcher>()?;
    m.add_class::<dispatch::DispatchResult>()?;
    m.add_class::<dispatch::Asset>()?;
    m.add_function(wrap_pyfunction!(city::locate_native_seconds, m)?)?;
    m.add_function(wrap_pyfunction!(city::panic_for_tests, m)?)?;
    analytics::register(m)?;
    hotspots::register(m)?;
    plan::register(m)?;
    m.add_class::<validate::ValidationReport>()?;
    m.add_function(wrap_pyfunction!(validate::validate_geojson, m)?)?;
    errors::register(m)?;
    Ok(())
}
