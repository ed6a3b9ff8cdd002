//! The `[dispatch]` section of a manifest: code tables, departments, assets and workers.
//!
//! ```toml
//! [dispatch]
//! codes = ["codes/local.toml"]            # extra code tables merged into the built-in ones
//! departments = "wuhan/departments.toml"   # see wangge::dispatch::departments::parse_table
//! assets = { file = "assets.csv", crs = "gcj02", fields = "legacy" }   # or .geojson
//! # assets = { generate = { per_region = 3, seed = 1 } }             # synthetic
//! workers = { file = "workers.csv", crs = "wgs84" }
//! # workers = { generate = { seed = 1 } }                            # synthetic
//! ```
//! Asset files use the field names of [`AssetFields`] (`fields = "default"`) or of legacy
//! exchange payloads (`fields = "legacy"`: ObjID, ObjName, DeptCode1-3, ObjState, BGID, PointX,
//! PointY). Worker CSV columns: `id,kind,lon,lat,on_duty,home_grid` (`on_duty`: true/false/1/0).

use super::read_file;
use crate::assets::{read_csv, read_geojson, AssetFields, AssetInput};
use crate::catalog::Catalog;
use crate::crs::{Converter, Crs};
use crate::dispatch::{departments::parse_table, DepartmentTable, Dispatcher, Resource};
use crate::error::{Error, Result};
use crate::model::City;
use crate::synth::inventory::{self, InventorySpec};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The `[dispatch]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchSpec {
    /// Extra code tables (a city's local classes).
    #[serde(default)]
    pub codes: Vec<PathBuf>,
    /// Department table (TOML).
    pub departments: PathBuf,
    /// Where the assets come from.
    #[serde(default)]
    pub assets: Option<Source>,
    /// Where the workers come from.
    #[serde(default)]
    pub workers: Option<Source>,
}

/// A file, or synthetic generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Source {
    /// Read a file.
    File {
        /// The file (CSV, or GeoJSON by the `.geojson`/`.json` extension).
        file: PathBuf,
        /// Its CRS.
        #[serde(default)]
        crs: Crs,
        /// Field names: "default" or "legacy".
        #[serde(default)]
        fields: Option<String>,
    },
    /// Generate deterministically.
    Generate {
        /// Generator settings.
        generate: InventorySpec,
    },
}

fn text(path: &Path) -> Result<String> {
    String::from_utf8(read_file(path)?).map_err(|e| Error::Io {
        path: path.display().to_string(),
        reason: format!("not UTF-8: {e}"),
    })
}

impl DispatchSpec {
    /// Loads everything and builds a [`Dispatcher`] for `city`; paths relative to `base`.
    pub fn load(&self, base: &Path, city: Arc<City>) -> Result<Dispatcher> {
        let mut catalog = Catalog::builtin();
        for p in &self.codes {
            catalog.merge(Catalog::load(base.join(p))?)?;
        }
        let dep_path = base.join(&self.departments);
        let departments = parse_table(&dep_path.display().to_string(), &text(&dep_path)?)?;
        let converter = Converter::default();
        let assets: Vec<AssetInput> = match &self.assets {
            None => Vec::new(),
            Some(Source::File { file, crs, fields }) => {
                let fields = match fields.as_deref() {
                    None | Some("default") => AssetFields::default(),
                    Some("legacy") => AssetFields::legacy(),
                    Some(other) => {
                        return Err(Error::Table {
                            source_name: "[dispatch] assets".into(),
                            reason: format!(
                                "fields = {other:?}: expected \"default\" or \"legacy\""
                            ),
                        })
                    }
                };
                let path = base.join(file);
                let name = path.display().to_string();
                let body = text(&path)?;
                if path
                    .extension()
                    .is_some_and(|e| e == "geojson" || e == "json")
                {
                    read_geojson(&name, &body, &fields, *crs, &converter)?
                } else {
                    read_csv(&name, &body, &fields, *crs, &converter)?
                }
            }
            Some(Source::Generate { generate }) => {
                let table = DepartmentTable::build(&city, &catalog, departments.clone())?;
                inventory::assets(&city, &table, generate)
            }
        };
        let workers = match &self.workers {
            None => Vec::new(),
            Some(Source::File { file, crs, .. }) => {
                let path = base.join(file);
                read_workers(&path.display().to_string(), &text(&path)?, *crs, &converter)?
            }
            Some(Source::Generate { generate }) => inventory::workers(&city, generate),
        };
        Dispatcher::new(city, catalog, departments, assets, workers)
    }
}

/// Reads workers from CSV (`id,kind,lon,lat,on_duty,home_grid`).
pub fn read_workers(
    source_name: &str,
    text: &str,
    crs: Crs,
    converter: &Converter,
) -> Result<Vec<Resource>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let fail = |line: u64, reason: String| Error::Table {
        source_name: format!("{source_name} line {line}"),
        reason,
    };
    let headers = reader
        .headers()
        .map_err(|e| fail(1, e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| fail(1, format!("no column {name:?}")))
    };
    let (id, kind, lon, lat, duty) = (
        col("id")?,
        col("kind")?,
        col("lon")?,
        col("lat")?,
        col("on_duty")?,
    );
    let home = headers.iter().position(|h| h == "home_grid");
    let mut out = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| fail(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = r.position().map_or(0, |p| p.line());
        let field = |i: usize| r.get(i).unwrap_or("").trim();
        let num = |i: usize| {
            field(i)
                .parse::<f64>()
                .map_err(|_| fail(line, format!("{:?} is not a number", field(i))))
        };
        let on_duty = match field(duty) {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            other => {
                return Err(fail(
                    line,
                    format!("on_duty {other:?}: expected true/false"),
                ))
            }
        };
        let (x, y) = converter.to_wgs84(crs, num(lon)?, num(lat)?);
        out.push(Resource {
            id: field(id).to_string(),
            kind: field(kind).to_string(),
            lon: x,
            lat: y,
            on_duty,
            home_grid: home.map(|i| field(i).to_string()).filter(|s| !s.is_empty()),
        });
    }
    Ok(out)
}

impl Dispatcher {
    /// Builds the city and its dispatcher from a manifest with a `[dispatch]` section.
    pub fn from_manifest(path: &Path) -> Result<Dispatcher> {
        let manifest = super::manifest::Manifest::load(path)?;
        let spec = manifest.dispatch.clone().ok_or_else(|| Error::Manifest {
            path: path.display().to_string(),
            reason: "no [dispatch] section".into(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let city = City::build(manifest.read_levels(base)?, &manifest.build_options())?;
        spec.load(base, Arc::new(city))
    }
}
