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
    std::fs::read(path).map_err(|e| io_error(path, e))
}

/// An OS error as [`Error::Io`] naming the path.
pub(crate) fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Opens a file to read with bounds, with its metadata (its size, when it is a regular file);
/// a directory is an [`Error::Io`] saying it is not `expected` (e.g. "a snapshot").
pub(crate) fn open_for_bounded_read(
    path: &Path,
    expected: &str,
) -> Result<(std::fs::File, std::fs::Metadata)> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        return Err(Error::Io {
            path: path.display().to_string(),
            reason: format!("is a directory, not {expected}"),
        });
    }
    Ok((file, meta))
}
