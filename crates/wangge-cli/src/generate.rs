//! `wangge generate` and `wangge export`.

use crate::{ctx, CliResult};
use clap::Args;
use std::path::{Path, PathBuf};
use wangge::io::geojson::PropertyNames;
use wangge::io::manifest::export_dir;
use wangge::synth::{generate_levels, GenerateSpec};
use wangge::{BuildOptions, City, CodeScheme, Crs, LevelInput};

#[derive(Args)]
pub struct GenerateArgs {
    /// GeoJSON FeatureCollection of the top-level regions (e.g. districts).
    #[arg(long)]
    polygons: PathBuf,
    /// Property with each top-level region's code (6-digit adcodes give standard child codes).
    #[arg(long)]
    id_property: String,
    /// Property with each top-level region's name.
    #[arg(long)]
    name_property: Option<String>,
    /// CRS of the polygon file.
    #[arg(long, default_value = "wgs84")]
    polygons_crs: Crs,
    /// Name of the top level.
    #[arg(long, default_value = "district")]
    top_level: String,
    /// Subdivide only these top-level codes (comma-separated); default all.
    #[arg(long, value_delimiter = ',')]
    codes: Vec<String>,
    /// Levels to generate as NAME=TARGET_AREA_M2, top first.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "street=5e6,community=5e5,grid=1e4"
    )]
    levels: Vec<String>,
    /// Seed: the same seed and input give the same output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Lloyd relaxation rounds per level.
    #[arg(long, default_value_t = 1)]
    lloyd: u32,
    /// Output directory for `<level>.geojson` files and `city.toml`.
    #[arg(long)]
    out_dir: PathBuf,
    /// CRS of the written files.
    #[arg(long, default_value = "wgs84")]
    out_crs: Crs,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

pub fn run(args: GenerateArgs) -> CliResult {
    let start = std::time::Instant::now();
    let props = PropertyNames {
        code: args.id_property.clone(),
        name: args.name_property.clone(),
        parent: None,
    };
    let mut regions =
        args.limits
            .read_level(&args.polygons, &args.top_level, &props, args.polygons_crs)?;
    if !args.codes.is_empty() {
        regions.retain(|r| args.codes.contains(&r.code));
        if regions.is_empty() {
            return Err(format!("no feature has a code in {:?}", args.codes));
        }
    }
    let specs = args
        .levels
        .iter()
        .map(|l| {
            let (name, area) = l
                .split_once('=')
                .ok_or_else(|| format!("--levels: {l:?} is not NAME=TARGET_AREA_M2"))?;
            let area: f64 = area
                .parse()
                .map_err(|_| format!("--levels: {area:?} is not a number"))?;
            let mut spec = GenerateSpec::new(area);
            spec.seed = args.seed;
            spec.lloyd_iterations = args.lloyd;
            Ok((name.to_string(), spec))
        })
        .collect::<CliResult<Vec<_>>>()?;
    let options = BuildOptions {
        code_scheme: CodeScheme::infer(regions.iter().map(|r| r.code.as_str())),
        ..BuildOptions::default()
    };
    let top = LevelInput {
        name: args.top_level.clone(),
        regions,
    };
    let city = ctx(City::build(ctx(generate_levels(top, &specs))?, &options))?;
    for (i, level) in city.levels().iter().enumerate() {
        let n = city.level_regions(i).count();
        let mean = city.level_regions(i).map(|(_, r)| r.area_m2).sum::<f64>() / n.max(1) as f64;
        eprintln!("{level}: {n} regions, mean area {mean:.0} m²");
    }
    let manifest = ctx(export_dir(
        &city,
        &args.out_dir,
        args.out_crs,
        "generated (synthetic)",
    ))?;
    eprintln!("wrote {} in {:.2?}", manifest.display(), start.elapsed());
    Ok(())
}

pub fn export(
    city: &Path,
    out_dir: &Path,
    crs: Crs,
    limits: &crate::limits::LimitArgs,
) -> CliResult {
    let c = limits.load_city(city)?;
    let manifest = ctx(export_dir(&c, out_dir, crs, &city.display().to_string()))?;
    eprintln!("wrote {}", manifest.display());
    Ok(())
}
