//! Reading and writing cities: GeoJSON levels, manifests and binary snapshots.

pub mod csv_input;
pub mod dispatch_spec;
pub mod geojson;
pub mod limits;
pub mod manifest;
pub mod snapshot;

use crate::error::{Error, Result};
use std::path::Path;

/// Reads a whole file, mapping the OS error to [`Error::Io`] with the path.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}
