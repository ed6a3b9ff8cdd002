//! `wangge validate`: the validation report of a city manifest or one GeoJSON level.

use crate::{ctx, CliResult};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use wangge::io::geojson::PropertyNames;
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

fn defaults() -> ValidateOptions {
    ValidateOptions::default()
}

fn pair((a, b): (f64, f64)) -> [f64; 2] {
    [a, b]
}

/// The validation thresholds (flattened into `validate` and `edit`); defaults as
/// [`ValidateOptions::default`].
#[derive(Args)]
pub struct ThresholdArgs {
    /// Overlaps up to this area (m²) are ignored.
    #[arg(long, default_value_t = defaults().overlap_min_area_m2)]
    overlap_min_area_m2: f64,
    /// Gaps and parts outside the parent up to this area (m²) are ignored.
    #[arg(long, default_value_t = defaults().gap_min_area_m2)]
    gap_min_area_m2: f64,
    /// A polygon part smaller than this (m²) is a sliver.
    #[arg(long, default_value_t = defaults().sliver_area_m2)]
    sliver_area_m2: f64,
    /// A polygon part with Polsby–Popper thinness 4πA/P² below this is a sliver.
    #[arg(long, default_value_t = defaults().sliver_thinness)]
    sliver_thinness: f64,
    /// Unit grid areas outside MIN,MAX m² get a warning.
    #[arg(long, value_delimiter = ',', value_name = "MIN,MAX", default_values_t = pair(defaults().area_warn_m2))]
    area_warn_m2: Vec<f64>,
    /// Unit grid areas outside MIN,MAX m² get an error.
    #[arg(long, value_delimiter = ',', value_name = "MIN,MAX", default_values_t = pair(defaults().area_error_m2))]
    area_error_m2: Vec<f64>,
    /// Interior angles below this (degrees) get a spike warning.
    #[arg(long, default_value_t = defaults().spike_angle_deg)]
    spike_angle_deg: f64,
}

impl ThresholdArgs {
    /// The options, with `code_scheme`.
    pub fn options(&self, code_scheme: CodeScheme) -> CliResult<ValidateOptions> {
        let range = |v: &[f64], name: &str| match v {
            [a, b] if a <= b => Ok((*a, *b)),
            _ => Err(format!("--{name} needs MIN,MAX with MIN <= MAX, got {v:?}")),
        };
        Ok(ValidateOptions {
            code_scheme,
            overlap_min_area_m2: self.overlap_min_area_m2,
            gap_min_area_m2: self.gap_min_area_m2,
            sliver_area_m2: self.sliver_area_m2,
            sliver_thinness: self.sliver_thinness,
            area_warn_m2: range(&self.area_warn_m2, "area-warn-m2")?,
            area_error_m2: range(&self.area_error_m2, "area-error-m2")?,
            spike_angle_deg: self.spike_angle_deg,
        })
    }
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
    #[command(flatten)]
    thresholds: ThresholdArgs,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

/// Writes the report; fails (exit code 1) when it has error-severity findings.
pub fn run(args: ValidateArgs) -> CliResult {
    let start = std::time::Instant::now();
    let (levels, scheme) = match (&args.city, &args.polygons) {
        (Some(path), _) => {
            let manifest = ctx(Manifest::load_with_limits(path, args.limits.overrides()))?;
            let base = path.parent().unwrap_or(std::path::Path::new("."));
            (ctx(manifest.read_levels(base))?, manifest.code_scheme)
        }
        (None, Some(path)) => {
            let props = PropertyNames {
                code: args.id_property.clone(),
                name: None,
                parent: None,
            };
            let regions = args
                .limits
                .read_level(path, &args.level, &props, args.polygons_crs)?;
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
    let options = args.thresholds.options(scheme)?;
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
