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
//!
//! CSV files are read under the rules of [`crate::io::csv_input`]; their text encoding is
//! detected (UTF-8, or GBK/GB18030 exports of older city systems) unless the source names it:
//! `assets = { file = "assets.csv", encoding = "gbk" }` (`auto`, `utf-8` or `gbk`).

use super::csv_input::{decode_text, CsvOptions, CsvReader, Encoding};
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
        /// Text encoding of a CSV file ([`Encoding::Auto`]: detected).
        #[serde(default, skip_serializing_if = "Encoding::is_auto")]
        encoding: Encoding,
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

/// Whether a source file is read as CSV (not GeoJSON by its extension).
fn is_csv(file: &Path) -> bool {
    !file
        .extension()
        .is_some_and(|e| e == "geojson" || e == "json")
}

impl DispatchSpec {
    /// The CSV files among the sources, with their encodings.
    fn csv_files(&self) -> Vec<(&Path, Encoding)> {
        [&self.assets, &self.workers]
            .into_iter()
            .flatten()
            .filter_map(|source| match source {
                Source::File { file, encoding, .. } if is_csv(file) => {
                    Some((file.as_path(), *encoding))
                }
                _ => None,
            })
            .collect()
    }

    /// Loads everything and builds a [`Dispatcher`] for `city`; paths relative to `base`.
    /// CSV files are decoded as their `encoding` says ([`decode_text`]); other files must be
    /// UTF-8.
    pub fn load(&self, base: &Path, city: Arc<City>) -> Result<Dispatcher> {
        let csv_files = self.csv_files();
        self.load_with(city, &mut |p: &Path| {
            let path = base.join(p);
            let name = path.display().to_string();
            let text = match csv_files.iter().find(|(f, _)| *f == p) {
                Some((_, encoding)) => decode_text(&name, &read_file(&path)?, *encoding)?,
                None => text(&path)?,
            };
            Ok((name, text))
        })
    }

    /// Like [`DispatchSpec::load`], with the files' text supplied by `read` instead of the file
    /// system (front ends without one, such as the browser). `read` gets each path as written
    /// in the spec and returns a name for error messages and the file's text; a missing file is
    /// its error to report (typically [`Error::Io`]).
    ///
    /// ```
    /// use std::path::Path;
    /// use std::sync::Arc;
    /// use wangge::io::dispatch_spec::DispatchSpec;
    /// use wangge::prelude::*;
    /// let square = vec![vec![vec![[114.25, 30.55], [114.26, 30.55], [114.26, 30.56],
    ///     [114.25, 30.56], [114.25, 30.55]]]];
    /// let city = City::build(vec![LevelInput { name: "district".into(), regions: vec![
    ///     RegionInput { code: "420103".into(), name: "江汉区".into(), parent: None,
    ///                   geometry: square }] }], &BuildOptions::default())?;
    /// let spec: DispatchSpec = toml::from_str(r#"
    ///     departments = "departments.toml"
    ///     workers = { file = "workers.csv" }
    /// "#).unwrap();
    /// let departments = "[[department]]\ncode = \"D1\"\nname = \"城管局\"\n\
    ///     jurisdiction = \"city\"\nhandles = [\"01\"]\n";
    /// let workers = "id,kind,lon,lat,on_duty,home_grid\nW1,worker,114.255,30.555,true,\n";
    /// let d = spec.load_with(Arc::new(city), &mut |p: &Path| {
    ///     let text = match p.to_str() {
    ///         Some("departments.toml") => departments,
    ///         Some("workers.csv") => workers,
    ///         _ => return Err(Error::Io { path: p.display().to_string(), reason: "absent".into() }),
    ///     };
    ///     Ok((p.display().to_string(), text.to_string()))
    /// })?;
    /// assert_eq!(d.resources().snapshot().resources().len(), 1);
    /// # Ok::<(), wangge::Error>(())
    /// ```
    pub fn load_with(
        &self,
        city: Arc<City>,
        read: &mut dyn FnMut(&Path) -> Result<(String, String)>,
    ) -> Result<Dispatcher> {
        let mut catalog = Catalog::builtin();
        for p in &self.codes {
            let (name, body) = read(p)?;
            catalog.merge(Catalog::parse_table(&name, &body)?)?;
        }
        let (dep_name, dep_text) = read(&self.departments)?;
        let departments = parse_table(&dep_name, &dep_text)?;
        let converter = Converter::default();
        let assets: Vec<AssetInput> = match &self.assets {
            None => Vec::new(),
            Some(Source::File {
                file, crs, fields, ..
            }) => {
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
                let (name, body) = read(file)?;
                if is_csv(file) {
                    read_csv(&name, &body, &fields, *crs, &converter)?
                } else {
                    read_geojson(&name, &body, &fields, *crs, &converter)?
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
                let (name, body) = read(file)?;
                read_workers(&name, &body, *crs, &converter)?
            }
            Some(Source::Generate { generate }) => inventory::workers(&city, generate),
        };
        Dispatcher::new(city, catalog, departments, assets, workers)
    }
}

/// Reads workers from CSV text (`id,kind,lon,lat,on_duty,home_grid`; other columns are
/// ignored), under the rules of [`crate::io::csv_input`]. Bytes in another encoding: decode
/// them first with [`decode_text`].
///
/// # Errors
/// [`Error::MissingColumn`] for a required column ([`Error::Table`] if named twice);
/// [`Error::BadRow`] naming the line and column of a coordinate that is not a finite number
/// within ±180 / ±90, an `on_duty` that is not a yes/no, or a row of the wrong width; the
/// reader's errors.
pub fn read_workers(
    source_name: &str,
    text: &str,
    crs: Crs,
    converter: &Converter,
) -> Result<Vec<Resource>> {
    let options = CsvOptions::with_encoding(Encoding::Utf8);
    let mut reader = CsvReader::new(source_name, text.as_bytes(), &options)?;
    let col = |name: &str| reader.require(name, "a worker");
    let (id, kind, lon, lat, duty) = (
        col("id")?,
        col("kind")?,
        col("lon")?,
        col("lat")?,
        col("on_duty")?,
    );
    let home = reader.column("home_grid")?;
    let mut record = csv::StringRecord::new();
    let mut out = Vec::new();
    while let Some(line) = reader.read(&mut record)? {
        let field = |i: usize| record[i].trim();
        let on_duty = match field(duty) {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            _ => {
                let reason = "expected true/false (1/0, yes/no)";
                return Err(reader.bad_field(&record, line, duty, reason));
            }
        };
        let (x, y) = reader.point(&record, line, lon, lat)?;
        let (x, y) = converter.to_wgs84(crs, x, y);
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
        Dispatcher::from_manifest_with_limits(path, &[])
    }

    /// [`Dispatcher::from_manifest`] with the level files read under `overrides` on top of
    /// the manifest's `[limits]` (as [`City::from_manifest_with_limits`]).
    pub fn from_manifest_with_limits(
        path: &Path,
        overrides: &[(String, u64)],
    ) -> Result<Dispatcher> {
        let manifest = super::manifest::Manifest::load_with_limits(path, overrides)?;
        let spec = manifest.dispatch.clone().ok_or_else(|| Error::Manifest {
            path: path.display().to_string(),
            reason: "no [dispatch] section".into(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let city = City::build(manifest.read_levels(base)?, &manifest.build_options())?;
        spec.load(base, Arc::new(city))
    }
}
