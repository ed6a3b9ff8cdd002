//! City manifests: which levels a city has and where each comes from.
//!
//! A manifest is TOML (or JSON, by the `.json` extension). Paths are relative to the manifest.
//! Each level is read from a GeoJSON file or generated from the level above:
//!
//! ```toml
//! name = "武汉 (江汉区 nested, synthetic below districts)"
//! code_scheme = "standard"     # or "free": any unique codes, no prefix checks
//! crs = "gcj02"                # CRS of the files: wgs84 (= cgcs2000), gcj02 or bd09
//! parent_tolerance_m = 1.0     # how far a child may stick out of its parent
//!
//! [[levels]]
//! name = "district"
//! file = "wuhan/districts_gcj02.geojson"
//! code_property = "adcode"
//! name_property = "district"
//! # parent_property = "..."    # absent: parents are found by containment
//! # codes = ["420103"]         # keep only these features
//!
//! [[levels]]
//! name = "street"
//! generate = { target_area_m2 = 5e6, seed = 1, parents = ["420103"] }
//!
//! [limits]                     # optional: bounds on each level's GeoJSON file
//! max_file_bytes = 268435456   # 256 MiB, checked before the file is read
//! max_features = 1000000       # features per level
//! max_vertices = 8000000       # positions per level
//! max_ring_vertices = 1000000  # positions per ring
//! max_rings = 2000000          # rings per level
//! max_feature_rings = 10000    # rings per feature (exterior rings and holes)
//! ```
//!
//! The `[limits]` table ([`ReadLimits`], values shown are the defaults) bounds what a level file
//! may hold; a file over a limit is refused with [`Error::Limit`] before it can exhaust memory or
//! time. Omitted keys keep their defaults; unknown keys are an error. Raise a limit only for
//! files you trust. Callers can override single limits on top of the table
//! ([`City::from_manifest_with_limits`], `wangge build --limit NAME=N`, Python's `limits=`).

use super::geojson::{LevelReader, PropertyNames};
use super::limits::ReadLimits;
use crate::crs::{Converter, Crs};
use crate::error::{Error, Result};
use crate::model::{BuildOptions, City, CodeScheme, LevelInput};
use crate::synth::{generate_children, GenerateSpec};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A parsed manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Free-text name of the city or dataset.
    #[serde(default)]
    pub name: String,
    /// How codes are checked.
    #[serde(default)]
    pub code_scheme: CodeScheme,
    /// CRS of the level files unless a level says otherwise.
    #[serde(default)]
    pub crs: Crs,
    /// Tolerance for children outside their parent, metres.
    #[serde(default = "default_tolerance")]
    pub parent_tolerance_m: f64,
    /// Levels, top first.
    pub levels: Vec<LevelSpec>,
    /// Code tables, departments, assets and workers for dispatch (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<super::dispatch_spec::DispatchSpec>,
    /// Bounds on each level file (the `[limits]` table); `None` = [`ReadLimits::default`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ReadLimits>,
}

/// The largest manifest [`Manifest::load`] reads: 16 MiB.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// At most the first `max` bytes of a file (all of it when shorter), without reading the rest.
fn read_prefix(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(max)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

fn default_tolerance() -> f64 {
    BuildOptions::default().parent_tolerance_m
}

/// One level of a manifest: a file, or a generator over the level above.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    /// Level name.
    pub name: String,
    /// GeoJSON FeatureCollection with this level's regions.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Property with the code (default `code`).
    #[serde(default)]
    pub code_property: Option<String>,
    /// Property with the name (default `name`).
    #[serde(default)]
    pub name_property: Option<String>,
    /// Property with the parent code (default: parents by containment).
    #[serde(default)]
    pub parent_property: Option<String>,
    /// CRS of this level's file (default: the manifest's).
    #[serde(default)]
    pub crs: Option<Crs>,
    /// Keep only features with these codes.
    #[serde(default)]
    pub codes: Option<Vec<String>>,
    /// Generate this level from the level above instead of reading a file.
    #[serde(default)]
    pub generate: Option<GenerateSpec>,
}

impl Manifest {
    /// Parses manifest text; `path` is only used in error messages and to pick TOML or JSON.
    pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
        let fail = |reason: String| Error::Manifest {
            path: path.display().to_string(),
            reason,
        };
        let manifest: Manifest = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(text).map_err(|e| fail(e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| fail(e.to_string()))?
        };
        if manifest.levels.is_empty() {
            return Err(fail("no [[levels]]".into()));
        }
        for (i, l) in manifest.levels.iter().enumerate() {
            match (&l.file, &l.generate) {
                (Some(_), None) => {}
                (None, Some(_)) if i > 0 => {}
                (None, Some(_)) => {
                    return Err(fail(format!(
                        "level {:?}: the top level cannot be generated",
                        l.name
                    )))
                }
                _ => {
                    return Err(fail(format!(
                        "level {:?}: give exactly one of `file` and `generate`",
                        l.name
                    )))
                }
            }
        }
        Ok(manifest)
    }

    /// Reads a manifest file.
    /// A manifest larger than [`MAX_MANIFEST_BYTES`] is refused unread (a manifest is a
    /// small file; a huge one is a wrong path or hostile).
    pub fn load(path: &Path) -> Result<Manifest> {
        let bytes = read_prefix(path, MAX_MANIFEST_BYTES + 1)?;
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(Error::Manifest {
                path: path.display().to_string(),
                reason: format!(
                    "larger than {MAX_MANIFEST_BYTES} bytes: a manifest is a small TOML or JSON \
                     file naming the level files"
                ),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| Error::Manifest {
            path: path.display().to_string(),
            reason: format!("not UTF-8: {e}"),
        })?;
        Manifest::parse(path, &text)
    }

    /// The limits the level files are read with: the `[limits]` table, or the defaults.
    pub fn read_limits(&self) -> ReadLimits {
        self.limits.unwrap_or_default()
    }

    /// [`Manifest::load`], then `overrides` (limits by name, [`ReadLimits::NAMES`]) set on top
    /// of its `[limits]` table; an unknown name is an [`Error::InvalidParameter`].
    pub fn load_with_limits(path: &Path, overrides: &[(String, u64)]) -> Result<Manifest> {
        let mut manifest = Manifest::load(path)?;
        manifest.limits = Some(manifest.read_limits().with_overrides(overrides)?);
        Ok(manifest)
    }

    /// Reads (or generates) every level; file paths are resolved against `base`. Each file is
    /// read with [`Manifest::read_limits`].
    pub fn read_levels(&self, base: &Path) -> Result<Vec<LevelInput>> {
        let converter = Converter::default();
        let limits = self.read_limits();
        let mut levels: Vec<LevelInput> = Vec::with_capacity(self.levels.len());
        for spec in &self.levels {
            let mut regions = match (&spec.file, &spec.generate, levels.last()) {
                (Some(file), _, _) => {
                    let props = PropertyNames {
                        code: spec.code_property.clone().unwrap_or_else(|| "code".into()),
                        name: Some(spec.name_property.clone().unwrap_or_else(|| "name".into())),
                        parent: spec.parent_property.clone(),
                    };
                    LevelReader {
                        level: &spec.name,
                        props: &props,
                        crs: spec.crs.unwrap_or(self.crs),
                        converter: &converter,
                        limits,
                    }
                    .read_file(&base.join(file))?
                }
                (None, Some(generate), Some(above)) => {
                    generate_children(&above.name, &above.regions, generate)?
                }
                _ => unreachable!("checked in Manifest::parse"),
            };
            if let Some(keep) = &spec.codes {
                regions.retain(|r| keep.contains(&r.code));
            }
            levels.push(LevelInput {
                name: spec.name.clone(),
                regions,
            });
        }
        if self.levels.iter().any(|l| l.generate.is_some()) {
            crate::synth::stitch(&mut levels);
        }
        Ok(levels)
    }

    /// Build options from the manifest.
    pub fn build_options(&self) -> BuildOptions {
        BuildOptions {
            code_scheme: self.code_scheme,
            parent_tolerance_m: self.parent_tolerance_m,
            ..BuildOptions::default()
        }
    }
}

impl City {
    /// Builds a city from a manifest file (its level files read with its `[limits]` table, or
    /// the default [`ReadLimits`]).
    pub fn from_manifest(path: &Path) -> Result<City> {
        City::from_manifest_with_limits(path, &[])
    }

    /// [`City::from_manifest`] with some limits overridden by name ([`ReadLimits::NAMES`]) on
    /// top of the manifest's `[limits]` table; the others keep the table's values or the
    /// defaults. An unknown name is an [`Error::InvalidParameter`].
    pub fn from_manifest_with_limits(path: &Path, overrides: &[(String, u64)]) -> Result<City> {
        let manifest = Manifest::load_with_limits(path, overrides)?;
        let base = path.parent().unwrap_or(Path::new("."));
        City::build(manifest.read_levels(base)?, &manifest.build_options())
    }

    /// Loads a city from a snapshot or a manifest, whichever the file is.
    pub fn load(path: &Path) -> Result<City> {
        City::load_with_limits(path, &[])
    }

    /// [`City::load`]; a manifest's level files are read with `overrides` on top of its
    /// `[limits]` ([`City::from_manifest_with_limits`]); a snapshot larger than
    /// `max_snapshot_bytes` (the default, or as overridden) is refused from its header, before
    /// it is read ([`super::snapshot::read_file`]); its checksum and structure checks guard
    /// the rest.
    pub fn load_with_limits(path: &Path, overrides: &[(String, u64)]) -> Result<City> {
        // The magic decides; a manifest is not read whole twice, nor a huge file at all.
        if super::snapshot::is_snapshot(&read_prefix(path, 64)?) {
            let limits = ReadLimits::default().with_overrides(overrides)?;
            City::from_bytes(&super::snapshot::read_file(
                path,
                limits.max_snapshot_bytes,
            )?)
        } else {
            City::from_manifest_with_limits(path, overrides)
        }
    }

    /// Writes a snapshot file, crash-safely: a crash leaves the old file or the new one, never
    /// a torn one ([`super::snapshot::write_file`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        super::snapshot::write_file(path, &self.to_bytes())
    }
}

/// Writes every level of `city` as `<dir>/<level>.geojson` (coordinates in `crs`, properties
/// `code`, `name`, `parent`, `level`, `area_m2`) and a manifest `<dir>/city.toml` that loads
/// them back; returns the manifest's path.
pub fn export_dir(city: &City, dir: &Path, crs: Crs, name: &str) -> Result<PathBuf> {
    let io_err = |path: &Path, e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let converter = Converter::default();
    let mut levels = Vec::with_capacity(city.levels().len());
    for (i, level) in city.levels().iter().enumerate() {
        let file = PathBuf::from(format!("{level}.geojson"));
        let fc = super::geojson::level_to_geojson(city, i, crs, &converter);
        let path = dir.join(&file);
        std::fs::write(&path, fc.to_string()).map_err(|e| io_err(&path, e))?;
        levels.push(LevelSpec {
            name: level.clone(),
            file: Some(file),
            code_property: Some("code".into()),
            name_property: Some("name".into()),
            parent_property: (i > 0).then(|| "parent".into()),
            crs: None,
            codes: None,
            generate: None,
        });
    }
    let manifest = Manifest {
        name: name.to_string(),
        code_scheme: CodeScheme::infer(city.regions().iter().map(|r| r.code.as_str())),
        crs,
        parent_tolerance_m: default_tolerance(),
        levels,
        dispatch: None,
        limits: None,
    };
    let text = toml::to_string(&manifest).map_err(|e| Error::Manifest {
        path: dir.join("city.toml").display().to_string(),
        reason: e.to_string(),
    })?;
    let path = dir.join("city.toml");
    std::fs::write(&path, text).map_err(|e| io_err(&path, e))?;
    Ok(path)
}
