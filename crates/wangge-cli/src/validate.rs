//! `wangge validate`: the validation report of a city manifest or one GeoJSON level.

use crate::{ctx, CliResult};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use wangge::io::geojson::{read_level, PropertyNames};
use wangge::io::manifest::Manifest;
use wangge::validate::{validate_levels, Severity, ValidateOptions};
use wangge::{CodeScheme, Crs, LevelInput};

/// Code scheme for `--polygons`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Scheme {
    /// GB/T 30428.1 codes: format, prefix of the parent, serial order.
    Standard,
    /// Any non-empty, unique codes.
    Free,
}

/// Output format of the report.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Summary and one line per finding.
    Text,
    /// The report as JSON (geometries as GeoJSON geometry objects).
    Json,
    /// A FeatureCollection with one feature per finding, to draw on a map.
    Geojson,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["polygons", "city"])))]
pub struct ValidateArgs {
    /// A city manifest (TOML or JSON); every level is checked, with the manifest's code scheme.
    #[arg(long)]
    city: Option<PathBuf>,
    /// One GeoJSON FeatureCollection of (Multi)Polygons, checked as a single level.
    #[arg(long)]
    polygons: Option<PathBuf>,
    /// With --polygons: the property holding each feature's code.
    #[arg(long, default_value = "code")]
    id_property: String,
    /// With --polygons: the level's name in the report.
    #[arg(long, default_value = "grid")]
    level: String,
    /// With --polygons: CRS of the file.
    #[arg(long, default_value = "wgs84")]
    polygons_crs: Crs,
    /// With --polygons: `standard` checks GB/T 30428.1 codes and serial order, `free` only
    /// that codes are non-empty and unique.
    #[arg(long, value_enum, default_value = "standard")]
    code_scheme: Scheme,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(short, long)]
    out: Option<PathBuf>,
}

/// Writes the report; fails (exit code 1) when it has error-severity findings.
pub fn run(args: ValidateArgs) -> CliResult {
    let start = std::time::Instant::now();
    let (levels, scheme) = match (&args.city, &args.polygons) {
        (Some(path), _) => {
            let manifest = ctx(Manifest::load(path))?;
            let base = path.parent().unwrap_or(std::path::Path::new("."));
            (ctx(manifest.read_levels(base))?, manifest.code_scheme)
        }
        (None, Some(path)) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let props = PropertyNames {
                code: args.id_property.clone(),
                name: None,
                parent: None,
            };
            let regions = ctx(read_level(
                &path.display().to_string(),
                &text,
                &args.level,
                &props,
                args.polygons_crs,
                &wangge::crs::Converter::default(),
            ))?;
            let level = LevelInput {
                name: args.level.clone(),
                regions,
            };
            let scheme = match args.code_scheme {
                Scheme::Standard => CodeScheme::Standard,
                Scheme::Free => CodeScheme::Free,
            };
            (vec![level], scheme)
        }
        _ => return Err("give --city or --polygons".into()),
    };
    let read = start.elapsed();
    let options = ValidateOptions {
        code_scheme: scheme,
        ..Default::default()
    };
    let report = validate_levels(&levels, &options);
    eprintln!(
        "read {} features in {read:.2?}, validated in {:.2?}: {} errors, {} warnings",
        report.features.iter().sum::<usize>(),
        start.elapsed() - read,
        report.count(Severity::Error),
        report.count(Severity::Warning)
    );
    let text = match args.format {
        Format::Text => report.to_text(),
        Format::Json => report.to_json() + "\n",
        Format::Geojson => report.to_geojson().to_string() + "\n",
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    match report.count(Severity::Error) {
        0 => Ok(()),
        n => Err(format!(
            "the partition is not valid: {n} error-severity finding(s)"
        )),
    }
}
