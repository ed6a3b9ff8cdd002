//! WebAssembly bindings of wangge: the `wangge_wasm` module behind the npm package in `wasm/`.
//!
//! Conversions only: JS numbers, strings, typed arrays and option objects in; typed arrays and
//! plain objects out; every rule lives in the core crate (planner edits and validation in
//! `wangge::plan` and `wangge::validate`, exposed as `Planner`, `Preview`, `validateGeoJSON`).
//! Errors are thrown as JS `Error`s whose message is the core error's text and whose `name` is
//! its family (`wangge::ErrorKind::name`); wrong argument types are `TypeError`s and numbers out
//! of range `RangeError`s (see `convert.rs`). Nothing here panics on user input; if something
//! does, the hook of `panic.rs` throws a `WanggeError` and gives the next call a fresh instance.
//!
//! Built with `cargo build --target wasm32-unknown-unknown -p wangge-wasm` and the
//! `wasm-bindgen` CLI (`wasm/build.mjs`); on other targets the crate compiles (so the
//! workspace's clippy and tests cover it) but its exports are only callable from JS.

#[cfg(all(target_arch = "wasm32", panic = "abort"))]
mod alloc;
mod city;
mod convert;
mod crs;
mod dispatch;
mod panic;
mod plan;

/// Out of memory is a panic too (see `alloc.rs`), so it is recovered like one.
#[cfg(all(target_arch = "wasm32", panic = "abort"))]
#[global_allocator]
static ALLOCATOR: alloc::PanicOnFailure = alloc::PanicOnFailure;

pub use city::City;
pub use dispatch::Dispatcher;
pub use plan::{Planner, Preview};

use wasm_bindgen::prelude::*;

/// The package version (the crate's).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The `name`s an `Error` thrown for a failure of the core can carry (`WanggeErrorName`), one
/// per `wangge::ErrorKind`, `"WanggeError"` first.
#[wasm_bindgen(js_name = errorNames, unchecked_return_type = "WanggeErrorName[]")]
pub fn error_names() -> Vec<String> {
    wangge::ErrorKind::ALL
        .iter()
        .map(|k| k.name().to_string())
        .collect()
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The `name` of an `Error` thrown for a failure the core reports (one per family, as the
 *  Python exception classes; `errorNames()` lists them): "WanggeError" (unknown CRS names,
 *  arrays of different lengths, unusable points, parameters out of range, and internal errors),
 *  "GeometryError", "HierarchyError", "CodeError", "DataError", "ManifestError",
 *  "SnapshotError", "EditError", "VersionError", "FileError", "UnknownIdError".
 *  Arguments of the wrong type or shape throw a `TypeError`, numbers out of range (region ids,
 *  level indices and names, a negative radius) a `RangeError`. */
export type WanggeErrorName =
  | "WanggeError"
  | "GeometryError"
  | "HierarchyError"
  | "CodeError"
  | "DataError"
  | "ManifestError"
  | "SnapshotError"
  | "EditError"
  | "VersionError"
  | "FileError"
  | "UnknownIdError";

/** A coordinate reference system name: "wgs84" (= "cgcs2000", "epsg:4326", "epsg:4490"),
 *  "gcj02" or "bd09" (case-insensitive). */
export type CrsName = string;

/** One region of a located chain or of `City.region`. */
export interface RegionInfo {
  /** Region id (index into the city; what `locateMany` returns). */
  id: number;
  code: string;
  name: string;
  /** Level index, 0 = top. */
  level: number;
  levelName: string;
  /** Parent region id, null on the top level. */
  parent: number | null;
  /** Geodesic area on the WGS84 ellipsoid, m². */
  areaM2: number;
}

/** The owner of a point and its ancestors (what `City.locate` returns). */
export interface Located {
  /** Id of the owning (deepest) region. */
  id: number;
  /** Codes of the chain, top level first. */
  codes: string[];
  /** The chain, top level first; the last entry is the owner. */
  chain: RegionInfo[];
}

/** One level for `City.fromGeoJSON`. */
export interface GeoJSONLevel {
  /** Level name, e.g. "district". */
  name: string;
  /** A FeatureCollection of (Multi)Polygons: an object or its JSON text. */
  geojson: object | string;
  /** Property with the code (default "code"). */
  codeProperty?: string;
  /** Property with the name (default "name"). */
  nameProperty?: string;
  /** Property with the parent's code (default: parents found by containment). */
  parentProperty?: string;
  /** CRS of the coordinates (default "wgs84"). */
  crs?: CrsName;
}

/** Options of `City.fromGeoJSON`. */
export interface BuildOptions {
  /** "standard" (GB/T 30428.1 codes, default) or "free". */
  codeScheme?: "standard" | "free";
  /** How far (m) a child's vertex may lie outside its parent (default 1). */
  parentToleranceM?: number;
  /** Run the OGC validity check on every polygon (default true). */
  checkValidity?: boolean;
  /** Limits on each level's GeoJSON; an input over one throws a `DataError` naming the level,
   *  the limit and where, before it can exhaust memory or time. */
  limits?: Limits;
}

/** GeoJSON input limits by the names errors use; each a whole number >= 0, or `null` for no
 *  limit. Unset limits keep their defaults. */
export interface Limits {
  /** Length of one level's GeoJSON text, bytes (default 268435456, 256 MiB). */
  max_file_bytes?: number | null;
  /** Features in one level (default 1000000). */
  max_features?: number | null;
  /** Positions in one level (default 8000000). */
  max_vertices?: number | null;
  /** Positions in one ring (default 1000000). */
  max_ring_vertices?: number | null;
  /** Rings in one level (default 2000000). */
  max_rings?: number | null;
  /** Rings in one feature (default 10000). */
  max_feature_rings?: number | null;
}

/** Options of `Dispatcher.dispatch`. */
export interface DispatchOptions {
  /** CRS of the report's point (default "wgs84"). */
  crs?: CrsName;
  /** The reported asset's id, if the report names one. */
  assetId?: string;
  /** Number of workers to return (default 3). */
  workers?: number;
}

/** Options of `Dispatcher.nearest` / `Dispatcher.within`. */
export interface AssetQueryOptions {
  /** CRS of the query point (default "wgs84"). */
  crs?: CrsName;
  /** Class code prefixes to keep, e.g. "0103" or ["0113", "01013"] (default: all). */
  classes?: string | string[];
  /** Farthest asset to return, metres (`nearest` only). */
  maxDistanceM?: number;
}

/** An asset with its geodesic distance from the query point. */
export interface AssetHit {
  id: string;
  class: string;
  name: string;
  /** English state name: intact, damaged, lost, abandoned, removed. */
  state: string;
  /** WGS84. */
  lng: number;
  lat: number;
  /** Geodesic distance, metres. */
  distanceM: number;
  /** 主管部门 code. */
  mainDept: string | null;
  /** Code of the region owning the asset, null outside the city. */
  region: string | null;
}

/** A live resource (grid worker, patrol car, …). */
export interface ResourceInfo {
  id: string;
  kind: string;
  /** WGS84. */
  lng: number;
  lat: number;
  onDuty: boolean;
  homeGrid: string | null;
}

/** A department chosen for a report, with the rule that chose it. */
export interface DepartmentMatch {
  code: string;
  name: string;
  /** {rule: "asset_main", asset} | {rule: "responsible", prefix, fanout, primary} |
   *  {rule: "territorial", level} */
  reason: { rule: string; [key: string]: unknown };
}

/** Everything a handler needs for one report. */
export interface DispatchResult {
  /** The report's point in WGS84. */
  lng: number;
  lat: number;
  /** The owner chain (level, code, name), top level first; empty outside the city. */
  chain: { level: string; code: string; name: string }[];
  category: string;
  categoryName: string;
  /** Responsible departments first, then alternates. */
  departments: DepartmentMatch[];
  /** Code of the responsible department (the first), or null. */
  department: string | null;
  /** Nearest on-duty workers, same grid first. */
  workers: { id: string; distanceM: number; sameGrid: boolean }[];
  /** Nearest assets of the reported class (component categories). */
  assets: { id: string; class: string; state: string; distanceM: number }[];
  /** Extra nearby lists by label (hydrants by default). */
  nearby: Record<string, { id: string; class: string; state: string; distanceM: number }[]>;
}
/** One planner edit (WGS84 `[lng, lat]` positions); see `Planner.preview`. */
export type EditSpec =
  | { op: "split"; grid: string; line: [number, number][]; codes?: string[] }
  | { op: "merge"; grids: string[]; code?: string }
  | { op: "reshape"; grids: [string, string]; line: [number, number][] }
  | { op: "reassign"; grid: string; parent: string; code?: string }
  | { op: "replace"; grid: string; geometry: [number, number][][][] };

/** Thresholds of the validation (every key optional; the core's defaults otherwise). */
export interface ValidateOptions {
  /** "standard" (GB/T 30428.1 format, prefix and serial order checked; default) or "free". */
  codeScheme?: "standard" | "free";
  /** Overlaps of at most this area (m²) are ignored (default 0.1). */
  overlapMinAreaM2?: number;
  /** Gaps and parts outside the parent of at most this area (m²) are ignored (default 0.1). */
  gapMinAreaM2?: number;
  /** A polygon part smaller than this (m²) is a sliver (default 1). */
  sliverAreaM2?: number;
  /** A part with Polsby–Popper thinness 4πA/P² below this is a sliver (default 0.1). */
  sliverThinness?: number;
  /** Unit grids outside [min, max] m² get a warning (default [2500, 40000]). */
  areaWarnM2?: [number, number];
  /** Unit grids outside [min, max] m² get an error (default [500, 250000]). */
  areaErrorM2?: [number, number];
  /** Interior angles (degrees) below this are spike warnings (default 1). */
  spikeAngleDeg?: number;
  /** Limits on the GeoJSON read (as for `City.fromGeoJSON`). */
  limits?: Limits;
}

/** Options of `new Planner(city, options)`. */
export interface PlanOptions {
  /** Allow new grids to take codes retired earlier (default false). */
  reuseRetiredCodes?: boolean;
  /** How far (m) a grid may stick out of its parent (default 1). */
  parentToleranceM?: number;
  /** Thresholds of the validation run on the touched regions. */
  validate?: ValidateOptions;
}

/** One validation finding. */
export interface Finding {
  /** bad_coordinate, ring_too_short, ring_not_closed, spike, self_intersection, overlap, gap,
   *  outside_parent, unknown_parent, no_parent, sliver, area_out_of_range, code_format,
   *  duplicate_code, code_prefix, serial_order, check_stopped. */
  kind: string;
  severity: "error" | "warning";
  /** The codes involved (the feature's own first; both for overlaps; the parent for gaps). */
  codes: string[];
  level: string;
  /** Index of the feature in its level's input, when one feature is concerned. */
  feature: number | null;
  message: string;
  /** Where (a GeoJSON geometry, WGS84), when known. */
  geometry: object | null;
  /** The measured quantity (area m², thinness, angle °), when there is one. */
  value: number | null;
}

/** What `validateGeoJSON` and `Preview.report` return. */
export interface ValidationReport {
  /** No error finding. */
  valid: boolean;
  errors: number;
  warnings: number;
  /** Level names, top first. */
  levels: string[];
  /** Number of features checked per level. */
  features: number[];
  /** Errors first, then by level, kind and codes. */
  findings: Finding[];
}

/** What an edit set does to the codes. */
export interface CodeChanges {
  /** New codes (a split's parts in reading order: north→south, west→east). */
  created: string[];
  /** Codes removed (never handed out again unless `reuseRetiredCodes`). */
  retired: string[];
  /** Codes kept whose shape or parent changed. */
  changed: string[];
  /** Codes kept whose border only gained a vertex from a neighbour's edit. */
  stitched: string[];
}

/** One region that differs between two versions. */
export interface RegionChange {
  change: "added" | "removed" | "changed";
  code: string;
  level: string;
  before_m2: number | null;
  after_m2: number | null;
  /** Changed: the shape differs. */
  shape: boolean;
  parent_before: string | null;
  name_before: string | null;
}

/** A point whose grid changes. */
export interface OwnerChange {
  id: string;
  before: string | null;
  after: string | null;
}

/** The impact report of a preview (the JSON of `wangge edit --format json`). */
export interface ImpactReport {
  base_version: number;
  valid: boolean;
  codes: CodeChanges;
  regions: { regions: RegionChange[] };
  assets: OwnerChange[];
  resources: OwnerChange[];
  home_grids: { id: string; grid: string; effect: "retired" | "reshaped" }[];
  cases: OwnerChange[];
  report: { levels: string[]; features: number[]; findings: Finding[] };
}

/** Case points for `Preview.impact`: ids default to row numbers, crs to "wgs84". */
export interface CasePoints {
  ids?: (string | number)[];
  lngs: number[] | Float64Array;
  lats: number[] | Float64Array;
  crs?: CrsName;
}

/** One version of a `Planner`. */
export interface VersionInfo {
  number: number;
  /** The version it was made from (null for version 1). */
  parent: number | null;
  note: string;
  /** The edits that made it (empty for version 1 and rollbacks). */
  edits: EditSpec[];
  regionCount: number;
  /** Every code retired up to this version. */
  retired: string[];
}
"#;
