//! Binary snapshots of a built city: loading is a decode plus cheap checks, not a rebuild.
//!
//! # Header (both versions)
//! 24 bytes, little-endian: 8-byte magic `WANGGE\0S`, `u32` format version, `u64` payload
//! length, `u32` CRC-32 (IEEE); then the payload.
//!
//! # Format 2 (written by [`City::to_bytes`])
//! The CRC covers the version and length fields (header bytes 8..20) and then the payload, so a
//! damaged version field is caught as a checksum error too. The payload is six sections, each a
//! 4-byte ASCII tag, a `u64` byte length and the body; arrays are a `u64` count followed by the
//! items, `u32` words and `f64` numbers are raw little-endian:
//!
//! | tag | body |
//! |---|---|
//! | `LEVL` | `u32` level count, then per level a `u32` byte length and its UTF-8 name |
//! | `REGN` | `u64` region count `n`; regions per level (`u32` array, one per level, regions are sorted by level then code); parent ids (`u32` array of `n`, `u32::MAX` = none); areas (`f64` array of `n`) |
//! | `CODE`, `NAME` | byte lengths (`u32` array of `n`), then all the texts back to back (`u64` byte count + UTF-8) |
//! | `GEOM` | polygons per region (`u32` array of `n`), rings per polygon (exterior first), points per ring, then every point as `x, y` (`u64` count + `f64` pairs) |
//! | `CELL` | the built point-location index ([`crate::locate::CellLocator`]): `u32` cells along x and y; the cell words run-length coded (`u32` array of control words: `2^31 + n` then one word repeated `n` times, or `n` then `n` literal words); candidate list offsets, candidates (id, `2^31` = covers the cell), edge blocks (`u32` arrays); block vertices (`f64` pairs) |
//!
//! Loading decodes the regions and prepares their rings (in parallel) while it decodes the
//! index, then checks the structure as [`City::build`] leaves it (levels, sorted codes, parents
//! one level up), every coordinate (a longitude and latitude), the texts (UTF-8 on character
//! boundaries) and every invariant a query relies on in the index: region ids in range, list
//! offsets monotone and in bounds, blocks well-formed with vertex indices in range, cell words
//! pointing at a block or a list (`CellParts::check` in `locate::cell_index`). The index's extent
//! and scale are not stored but recomputed from the regions, exactly as the build computes
//! them. The geometry checks of [`City::build`] (validity, containment) are not repeated: the
//! checksum vouches that the bytes are the ones this crate wrote after those checks, and a
//! loaded city answers bit for bit like the city that was saved (tested on random points and on
//! every vertex and edge midpoint).
//!
//! # Format 1 (legacy)
//! The CRC covers the payload only, which is postcard-encoded levels and regions with no index.
//! Still read (the index is then rebuilt, which costs about as much as building it: ≈ 0.4 s for
//! 100k grids); [`City::to_bytes_v1`] writes it for older readers. Any other version is an
//! [`SnapshotError::UnsupportedVersion`] naming the version found and the versions this build reads.
//!
//! # What is guaranteed
//! - **Corruption is an error, never a panic or a wrong city**: a snapshot cut at any byte gives
//!   [`SnapshotError::Truncated`]; any change of up to 32 consecutive bits (so any single flipped
//!   byte) gives [`SnapshotError::BadMagic`], [`SnapshotError::UnsupportedVersion`],
//!   [`SnapshotError::Truncated`], a trailing-bytes [`SnapshotError::Payload`] or
//!   [`SnapshotError::ChecksumMismatch`] (CRC-32 detects every burst of up to 32 bits in the
//!   bytes it covers; a version field damaged into the other supported version is caught
//!   because the two versions' checksums cover different bytes); bytes
//!   altered *and* re-checksummed are still decoded with bounds checks everywhere (counts are
//!   checked against the bytes left before anything is allocated) and the checks above, so
//!   they give a [`SnapshotError::Payload`] naming the section and what is wrong, or a city that
//!   cannot panic or read out of bounds when queried. The tests cut the fixture snapshot at
//!   every length and flip every bit of it.
//! - **Crash-safe writes** ([`City::save`], [`write_file`]): the bytes go to a new temporary
//!   file in the target's directory, which is flushed to disk (`fsync`) and renamed over the
//!   target, and then the directory is flushed, so after a crash or power loss the target holds
//!   either the old snapshot or the complete new one, never a mix or a truncated file (on file
//!   systems where rename is atomic, as POSIX requires; on Windows the directory flush is
//!   skipped). A failed write leaves the old file in place and removes the temporary file.

mod bytes;
mod v1;
mod v2;

use crate::error::{Error, Result, SnapshotError};
use crate::model::City;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"WANGGE\0S";
/// The snapshot format version this build writes (it also reads every version from
/// [`OLDEST_VERSION`] up).
pub const FORMAT_VERSION: u32 = 2;
/// The oldest snapshot format version this build reads.
pub const OLDEST_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// True when the bytes start with the snapshot magic (used to tell snapshots from manifests).
pub fn is_snapshot(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The CRC a header of `version` stores: format 2 covers the version and length fields
/// (`header[8..20]`) before the payload; format 1 the payload only.
fn checksum(version: u32, header: &[u8], payload: &[u8]) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    if version >= 2 {
        crc.update(&header[8..20]);
    }
    // Large payloads: the two halves on two threads, combined (CRC-32 composes).
    let (a, b) = payload.split_at(if payload.len() > 1 << 20 {
        payload.len() / 2
    } else {
        payload.len()
    });
    let (_, tail) = rayon::join(
        || crc.update(a),
        || {
            let mut tail = crc32fast::Hasher::new();
            tail.update(b);
            tail
        },
    );
    crc.combine(&tail);
    crc.finalize()
}

/// Fills in the header of `out` (whose first [`HEADER_LEN`] bytes are reserved).
fn seal(version: u32, mut out: Vec<u8>) -> Vec<u8> {
    let len = (out.len() - HEADER_LEN) as u64;
    out[..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&version.to_le_bytes());
    out[12..20].copy_from_slice(&len.to_le_bytes());
    let (header, payload) = out.split_at(HEADER_LEN);
    let crc = checksum(version, header, payload);
    out[20..24].copy_from_slice(&crc.to_le_bytes());
    out
}

impl City {
    /// Serialises the city (levels, regions, geometry, areas and the built point-location
    /// index) to snapshot bytes, format [`FORMAT_VERSION`] (module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        seal(FORMAT_VERSION, v2::encode(self, HEADER_LEN))
    }

    /// Serialises the city in the legacy format 1 (no stored index), for readers that predate
    /// format 2. [`City::from_bytes`] reads it, rebuilding the index.
    pub fn to_bytes_v1(&self) -> Vec<u8> {
        let mut out = vec![0u8; HEADER_LEN];
        out.extend_from_slice(&v1::encode(self));
        seal(1, out)
    }

    /// Rebuilds a city from [`City::to_bytes`] (or [`City::to_bytes_v1`]) output; altered,
    /// truncated or foreign bytes give an [`Error::Snapshot`] (module docs).
    pub fn from_bytes(bytes: &[u8]) -> Result<City> {
        let Header {
            version,
            len,
            stored,
        } = Header::parse(bytes)?;
        let (header, payload) = bytes.split_at(HEADER_LEN);
        Header::check_length(len, payload.len() as u64)?;
        let computed = checksum(version, header, payload);
        if computed != stored {
            return Err(SnapshotError::ChecksumMismatch { stored, computed }.into());
        }
        match version {
            1 => v1::decode(payload),
            _ => v2::decode(payload),
        }
    }
}

/// The fields of a snapshot's header.
struct Header {
    version: u32,
    /// Payload length, bytes.
    len: u64,
    /// The stored CRC.
    stored: u32,
}

impl Header {
    /// Reads the header at the front of `bytes`: magic, a supported version, length, CRC.
    fn parse(bytes: &[u8]) -> Result<Header> {
        let header = bytes.get(..HEADER_LEN).ok_or(SnapshotError::Truncated {
            needed: HEADER_LEN,
            have: bytes.len(),
        })?;
        if !is_snapshot(header) {
            return Err(SnapshotError::BadMagic.into());
        }
        let word = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let version = word(8);
        if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(SnapshotError::UnsupportedVersion {
                found: version,
                oldest: OLDEST_VERSION,
                newest: FORMAT_VERSION,
            }
            .into());
        }
        Ok(Header {
            version,
            len: u64::from(word(12)) | u64::from(word(16)) << 32,
            stored: word(20),
        })
    }

    /// The payload holds `have` bytes where the header says `len`: too few is
    /// [`SnapshotError::Truncated`], too many a trailing-bytes [`SnapshotError::Payload`].
    fn check_length(len: u64, have: u64) -> Result<()> {
        if have < len {
            return Err(SnapshotError::Truncated {
                needed: usize::try_from(len)
                    .map_or(usize::MAX, |len| len.saturating_add(HEADER_LEN)),
                have: usize::try_from(have.saturating_add(HEADER_LEN as u64)).unwrap_or(usize::MAX),
            }
            .into());
        }
        if have > len {
            return Err(
                SnapshotError::Payload(format!("{} bytes after the payload", have - len)).into(),
            );
        }
        Ok(())
    }
}

/// Reads a snapshot file's bytes for [`City::from_bytes`], reading its 24-byte header first:
/// a foreign file, an unsupported version, a length the file does not have (from its
/// metadata) or a snapshot over `max_bytes` ([`Error::Limit`] `max_snapshot_bytes`) is refused
/// before the rest is read; the read stops one byte past the header's length whatever the
/// metadata says (a device, a pipe, a growing file), so memory stays bounded by `max_bytes`.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| super::io_error(path, e);
    let (mut file, meta) = super::open_for_bounded_read(path, "a snapshot")?;
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    (&mut file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let len = Header::parse(&bytes)?.len;
    let total = len.saturating_add(HEADER_LEN as u64);
    if total > max_bytes {
        return Err(Error::Limit {
            source_name: path.display().to_string(),
            what: "bytes in the snapshot (its header's length)".into(),
            limit: "max_snapshot_bytes",
            max: max_bytes,
            found: total,
        });
    }
    if meta.is_file() {
        Header::check_length(len, meta.len().saturating_sub(HEADER_LEN as u64))?;
    }
    bytes.reserve_exact(len as usize);
    file.take(len.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

/// Writes `bytes` to `path` crash-safely: a temporary file in the same directory, flushed to
/// disk, renamed over `path`, then the directory flushed (module docs). Errors name the path.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |p: &Path, e: std::io::Error| Error::Io {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(path, std::io::Error::other("not a file name")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (tmp, mut file) = create_temporary(&dir, name).map_err(|e| io(path, e))?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(path, e));
    }
    sync_dir(&dir).map_err(|e| io(&dir, e))
}

/// Creates `.<name>.<pid>.<n>.tmp` in `dir`, a name no other writer uses.
fn create_temporary(
    dir: &Path,
    name: &std::ffi::OsStr,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut file_name = std::ffi::OsString::from(".");
        file_name.push(name);
        file_name.push(format!(".{}.{n}.tmp", std::process::id()));
        let tmp = dir.join(file_name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Flushes a directory's entries (the rename) to disk. Windows cannot open directories as
/// files; there the rename is flushed by the file system.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    if cfg!(windows) {
        return Ok(());
    }
    std::fs::File::open(dir)?.sync_all()
}
