//! The crate's error type: every failure says what went wrong and where.

use thiserror::Error;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in wangge.
///
/// Build errors name the level, the feature index inside that level's input and the region code,
/// so a data owner can find the offending feature in their file.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A ring has fewer than 4 positions (3 distinct corners plus the closing one).
    #[error("{at}: ring {ring} has {len} positions; a ring needs at least 4 (3 corners and the closing position)")]
    RingTooShort {
        /// Where the feature is.
        at: Location,
        /// Ring index in the feature (0 = first exterior ring, counted across polygons).
        ring: usize,
        /// Number of positions found.
        len: usize,
    },
    /// A ring's last position differs from its first.
    #[error("{at}: ring {ring} is not closed (first position differs from last)")]
    RingNotClosed {
        /// Where the feature is.
        at: Location,
        /// Ring index in the feature.
        ring: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("{at}: coordinate {position} of ring {ring} is not finite ({lon}, {lat})")]
    NonFiniteCoordinate {
        /// Where the feature is.
        at: Location,
        /// Ring index in the feature.
        ring: usize,
        /// Position index in the ring.
        position: usize,
        /// Longitude found.
        lon: f64,
        /// Latitude found.
        lat: f64,
    },
    /// A longitude outside ±180° or a latitude outside ±90°.
    #[error("{at}: coordinate {position} of ring {ring} is out of range (lon {lon}, lat {lat}; need |lon| <= 180, |lat| <= 90)")]
    CoordinateOutOfRange {
        /// Where the feature is.
        at: Location,
        /// Ring index in the feature.
        ring: usize,
        /// Position index in the ring.
        position: usize,
        /// Longitude found.
        lon: f64,
        /// Latitude found.
        lat: f64,
    },
    /// A ring that encloses no area: fewer than 3 distinct corners are left once repeated
    /// positions and spikes (vertices where the ring turns straight back) are removed, as when
    /// all its positions lie on one line.
    #[error("{at}: ring {ring} encloses no area: {corners} distinct corner(s) left after removing repeated positions and spikes (its positions lie on one line or repeat); a ring needs 3 corners not on one line")]
    DegenerateRing {
        /// Where the feature is.
        at: Location,
        /// Ring index in the feature.
        ring: usize,
        /// Distinct corners left after the repairs.
        corners: usize,
    },
    /// A polygon's rings cross themselves or each other.
    #[error("{at}: invalid polygon: {reason}")]
    SelfIntersection {
        /// Where the feature is.
        at: Location,
        /// What the validity check found.
        reason: String,
    },
    /// A feature has no usable geometry (missing, or not a Polygon / MultiPolygon).
    #[error("{at}: geometry must be a Polygon or MultiPolygon, found {found}")]
    UnsupportedGeometry {
        /// Where the feature is.
        at: Location,
        /// The geometry type found.
        found: String,
    },
    /// Two regions share a code.
    #[error("{at}: duplicate code {code:?} (first used by feature {first_feature} of level {first_level:?})")]
    DuplicateCode {
        /// Where the second feature is.
        at: Location,
        /// The repeated code.
        code: String,
        /// Level name of the first feature with this code.
        first_level: String,
        /// Feature index of the first feature with this code.
        first_feature: usize,
    },
    /// The parent named by a feature does not exist in the level above.
    #[error("{at}: parent {parent:?} not found in level {parent_level:?}")]
    UnknownParent {
        /// Where the feature is.
        at: Location,
        /// The parent code given.
        parent: String,
        /// The level searched.
        parent_level: String,
    },
    /// No region of the level above contains the feature (parent by containment).
    #[error("{at}: no region of level {parent_level:?} contains this feature")]
    NoContainingParent {
        /// Where the feature is.
        at: Location,
        /// The level searched.
        parent_level: String,
    },
    /// A child reaches outside its parent by more than the tolerance.
    #[error("{at}: lies outside its parent {parent:?} by {distance_m:.3} m (tolerance {tolerance_m} m) at ({lon}, {lat})")]
    ChildOutsideParent {
        /// Where the child is.
        at: Location,
        /// The parent's code.
        parent: String,
        /// Largest distance found outside the parent, in metres.
        distance_m: f64,
        /// The tolerance in force.
        tolerance_m: f64,
        /// Longitude of the farthest vertex outside.
        lon: f64,
        /// Latitude of the farthest vertex outside.
        lat: f64,
    },
    /// A code that does not follow GB/T 30428.1.
    #[error("invalid grid code {code:?}: {reason}")]
    InvalidCode {
        /// The code.
        code: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A region's code is malformed or does not fit its place in the hierarchy.
    #[error("{at}: code {code:?} {reason}")]
    RegionCode {
        /// Where the feature is.
        at: Location,
        /// The code.
        code: String,
        /// Why it does not fit.
        reason: String,
    },
    /// A required property is missing or of the wrong type.
    #[error("{at}: property {property:?} {problem}")]
    Property {
        /// Where the feature is.
        at: Location,
        /// Property name.
        property: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The hierarchy definition itself is wrong (no levels, repeated level names, ...).
    #[error("invalid hierarchy: {0}")]
    Hierarchy(String),
    /// A GeoJSON document could not be read.
    #[error("GeoJSON {source_name}: {reason}")]
    GeoJson {
        /// File name or other label of the input.
        source_name: String,
        /// What went wrong.
        reason: String,
    },
    /// A manifest could not be read or is inconsistent.
    #[error("manifest {path}: {reason}")]
    Manifest {
        /// Manifest path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Snapshot bytes could not be decoded.
    #[error("snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// A point given to a query is unusable.
    #[error("point {index}: {reason} (lon {lon}, lat {lat})")]
    InvalidPoint {
        /// Index of the point in the input.
        index: usize,
        /// Longitude given.
        lon: f64,
        /// Latitude given.
        lat: f64,
        /// Why it is unusable.
        reason: String,
    },
    /// Two input arrays that must have the same length do not.
    #[error("length mismatch: {left_name} has {left} items, {right_name} has {right}")]
    LengthMismatch {
        /// First array's name.
        left_name: &'static str,
        /// First array's length.
        left: usize,
        /// Second array's name.
        right_name: &'static str,
        /// Second array's length.
        right: usize,
    },
    /// An unknown coordinate reference system name.
    #[error("unknown CRS {0:?}: expected wgs84, cgcs2000, gcj02 or bd09")]
    UnknownCrs(String),
    /// The generator could not partition a region.
    #[error("generate: {0}")]
    Generate(String),
    /// A class or event code that the loaded code table does not know.
    #[error("{context}: unknown class code {code:?}")]
    UnknownClass {
        /// Where the code was found (e.g. "asset 12 (id ...)", "report line 5").
        context: String,
        /// The code.
        code: String,
    },
    /// A component (asset) id that does not follow the 16- or 17-digit layout.
    #[error("{context}: invalid component id {id:?}: {reason}")]
    InvalidAssetId {
        /// Where the id was found.
        context: String,
        /// The id.
        id: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Two items (assets, resources, departments) share an id.
    #[error("{context}: duplicate id {id:?}")]
    DuplicateId {
        /// What kind of item and where.
        context: String,
        /// The id.
        id: String,
    },
    /// A code table, department table or other data table is malformed.
    #[error("{source_name}: {reason}")]
    Table {
        /// File name or label.
        source_name: String,
        /// What is wrong, with the row or key.
        reason: String,
    },
    /// An unknown item id was given to a query or an update.
    #[error("unknown {kind} id {id:?}")]
    UnknownId {
        /// What kind of item ("asset", "resource", "department").
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// A table lacks a column that a requested figure needs.
    #[error("{source_name}: missing column {column:?} (needed for {needed_for})")]
    MissingColumn {
        /// The table (file name or a description).
        source_name: String,
        /// The column's expected name.
        column: String,
        /// What needs it (e.g. "按期处置率 on_time_rate").
        needed_for: String,
    },
    /// A parameter of a computation is out of its range (e.g. a hot-spot radius ≤ 0).
    #[error("parameter {name}: {reason} (value {value})")]
    InvalidParameter {
        /// The parameter's name as the caller knows it (e.g. "radius_m").
        name: String,
        /// The value given, as text.
        value: String,
        /// The allowed range.
        reason: String,
    },
    /// A bad row of a data table (cases): line number (1 = the header), column and value.
    #[error("{source_name} line {line}: column {column:?}: {reason} (value {value:?})")]
    BadRow {
        /// The table (file name or a description).
        source_name: String,
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
        /// The offending value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A planner edit ([`crate::plan`]) cannot be applied: the edit's position in its edit set,
    /// its operation and what is wrong.
    #[error("edit {edit} ({op}): {reason}")]
    Edit {
        /// 0-based position of the edit in its edit set.
        edit: usize,
        /// The operation: "split", "merge", "reshape", "reassign" or "replace".
        op: &'static str,
        /// What is wrong, naming the codes concerned.
        reason: String,
    },
    /// A planner version operation failed (unknown version, stale base, invalid preview).
    #[error("version: {0}")]
    Version(String),
    /// An input is larger than a configured limit (file size, features, vertices, ...): it is
    /// refused before it can exhaust memory or time.
    #[error("{source_name}: {found} {what}, over the limit {limit} = {max}: refused before it could exhaust memory or time")]
    Limit {
        /// File name or label of the input.
        source_name: String,
        /// What was counted, naming where when known (e.g. "bytes", "vertices in feature 12").
        what: String,
        /// The limit's name as the caller sets it (e.g. "max_file_bytes").
        limit: &'static str,
        /// The limit's value.
        max: u64,
        /// The count found, or reached when reading stopped at the first item over the limit
        /// (then `max + 1`: the input has at least that many).
        found: u64,
    },
    /// Text that is not in the expected encoding (e.g. a GBK CSV read as UTF-8).
    #[error("{source_name} line {line} (byte {byte_offset}): {reason}")]
    Encoding {
        /// File name or label of the input.
        source_name: String,
        /// 1-based line number where the problem was found.
        line: u64,
        /// 0-based byte offset of the first offending byte.
        byte_offset: u64,
        /// What is wrong and how to convert the file.
        reason: String,
    },
}

/// The family an [`enum@Error`] belongs to: what the bindings turn it into (a Python exception class,
/// the `name` of a JS `Error`). [`Error::kind`] is the one place that sorts variants into kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Anything not in a narrower family (bad query points, mismatched lengths, unknown CRS).
    Other,
    /// A region's geometry is unusable (rings, coordinates, validity, geometry type).
    Geometry,
    /// The region hierarchy is inconsistent (duplicate codes, parents, containment).
    Hierarchy,
    /// A malformed grid code, class code or component id.
    Code,
    /// Input data that cannot be read as asked (GeoJSON, tables, rows, columns, properties).
    Data,
    /// A city manifest (TOML) is invalid.
    Manifest,
    /// Snapshot bytes are truncated, altered, foreign or of another format version.
    Snapshot,
    /// A planner edit cannot be applied.
    Edit,
    /// A planner version operation failed.
    Version,
    /// A file could not be read or written.
    File,
    /// An unknown asset, resource or department id.
    UnknownId,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Other,
        ErrorKind::Geometry,
        ErrorKind::Hierarchy,
        ErrorKind::Code,
        ErrorKind::Data,
        ErrorKind::Manifest,
        ErrorKind::Snapshot,
        ErrorKind::Edit,
        ErrorKind::Version,
        ErrorKind::File,
        ErrorKind::UnknownId,
    ];

    /// The name the bindings give this kind: the Python exception class and the JS
    /// `Error.name` (`"WanggeError"` for [`ErrorKind::Other`]).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Other => "WanggeError",
            ErrorKind::Geometry => "GeometryError",
            ErrorKind::Hierarchy => "HierarchyError",
            ErrorKind::Code => "CodeError",
            ErrorKind::Data => "DataError",
            ErrorKind::Manifest => "ManifestError",
            ErrorKind::Snapshot => "SnapshotError",
            ErrorKind::Edit => "EditError",
            ErrorKind::Version => "VersionError",
            ErrorKind::File => "FileError",
            ErrorKind::UnknownId => "UnknownIdError",
        }
    }
}

impl Error {
    /// The family of this error (what the Python and JS bindings raise it as).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::RingTooShort { .. }
            | Error::RingNotClosed { .. }
            | Error::NonFiniteCoordinate { .. }
            | Error::CoordinateOutOfRange { .. }
            | Error::DegenerateRing { .. }
            | Error::SelfIntersection { .. }
            | Error::UnsupportedGeometry { .. } => ErrorKind::Geometry,
            Error::DuplicateCode { .. }
            | Error::UnknownParent { .. }
            | Error::NoContainingParent { .. }
            | Error::ChildOutsideParent { .. }
            | Error::Hierarchy(_) => ErrorKind::Hierarchy,
            Error::InvalidCode { .. }
            | Error::RegionCode { .. }
            | Error::UnknownClass { .. }
            | Error::InvalidAssetId { .. } => ErrorKind::Code,
            Error::Property { .. }
            | Error::GeoJson { .. }
            | Error::Generate(_)
            | Error::DuplicateId { .. }
            | Error::Table { .. }
            | Error::MissingColumn { .. }
            | Error::BadRow { .. }
            | Error::Limit { .. }
            | Error::Encoding { .. } => ErrorKind::Data,
            Error::Manifest { .. } => ErrorKind::Manifest,
            Error::Snapshot(_) => ErrorKind::Snapshot,
            Error::Edit { .. } => ErrorKind::Edit,
            Error::Version(_) => ErrorKind::Version,
            Error::Io { .. } => ErrorKind::File,
            Error::UnknownId { .. } => ErrorKind::UnknownId,
            Error::InvalidPoint { .. }
            | Error::LengthMismatch { .. }
            | Error::UnknownCrs(_)
            | Error::InvalidParameter { .. } => ErrorKind::Other,
        }
    }

    /// [`Error::LengthMismatch`] unless `lons` and `lats` have the same length.
    pub fn check_lengths(lons: &[f64], lats: &[f64]) -> Result<()> {
        if lons.len() == lats.len() {
            return Ok(());
        }
        Err(Error::LengthMismatch {
            left_name: "lons",
            left: lons.len(),
            right_name: "lats",
            right: lats.len(),
        })
    }
}

/// Why snapshot bytes were rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Fewer bytes than the header needs, or fewer than the header announces.
    #[error("truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        have: usize,
    },
    /// The bytes do not start with the wangge magic.
    #[error("not a wangge snapshot (bad magic)")]
    BadMagic,
    /// Written by an incompatible format version.
    #[error("unsupported format version {found} (this build reads versions {oldest} to {newest}; rebuild the snapshot from its source data with `wangge build`)")]
    UnsupportedVersion {
        /// Version found.
        found: u32,
        /// Oldest version this build reads.
        oldest: u32,
        /// Newest version this build reads (the one it writes).
        newest: u32,
    },
    /// The payload checksum does not match: the bytes were altered.
    #[error("checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the bytes are corrupt")]
    ChecksumMismatch {
        /// Stored CRC-32.
        stored: u32,
        /// Computed CRC-32.
        computed: u32,
    },
    /// The payload passed the checksum but does not decode or is inconsistent.
    #[error("payload: {0}")]
    Payload(String),
}

/// Where a feature sits in the input: level name and feature index, plus its code when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Level name (e.g. "grid").
    pub level: String,
    /// Zero-based index of the feature in that level's input.
    pub feature: usize,
    /// The feature's code, when it could be read.
    pub code: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "level {:?} feature {}", self.level, self.feature)?;
        if let Some(code) = &self.code {
            write!(f, " (code {code:?})")?;
        }
        Ok(())
    }
}
