//! WebAssembly bindings of wangge: the `wangge_wasm` module behind the npm package in `wasm/`.
//!
//! Conversions only: JS numbers, strings, typed arrays and option objects in; typed arrays and
//! plain objects out; every rule lives in the core crate. Errors are thrown as JS `Error`s whose
//! message is the core error's text (`JsError`); nothing here panics on user input.
//!
//! Built with `cargo build --target wasm32-unknown-unknown -p wangge-wasm` and the
//! `wasm-bindgen` CLI (`wasm/build.mjs`); on other targets the crate compiles (so the
//! workspace's clippy and tests cover it) but its exports are only callable from JS.

mod city;
mod convert;
mod crs;
mod dispatch;

pub use city::City;
pub use dispatch::Dispatcher;

use wasm_bindgen::prelude::*;

/// The package version (the crate's).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
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
"#;
