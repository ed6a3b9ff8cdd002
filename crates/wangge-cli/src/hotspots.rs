//! `wangge hotspots`: repeat-case hot spots (反复发生案件) from a case CSV (the work is
//! `wangge::analytics::hotspots`).

use crate::limits::CityOrDispatcher;
use crate::{ctx, CliResult};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use wangge::analytics::hotspots::{HotspotFinder, HotspotOptions, HotspotReport};
use wangge::analytics::time::format_timestamp;
use wangge::analytics::CaseColumns;
use wangge::assets::AssetSet;
use wangge::{City, Crs};

/// Output format of the clusters.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Summary, the top clusters and the top regions of every level (and assets).
    Text,
    /// The whole report: parameters, clusters, region ranking of every level, asset ranking.
    Json,
    /// A FeatureCollection: one MultiPoint feature per cluster (its cases), figures as
    /// properties.
    Geojson,
    /// One row per cluster: id, category, cases, first, last, centroid, spread, the owning
    /// region at every level, asset, rows.
    Csv,
}

#[derive(Args)]
pub struct HotspotsArgs {
    /// Manifest or snapshot. A manifest with a `[dispatch]` section also gives the code table
    /// (unknown categories are bad rows) and the assets (repeats are attributed to the nearest
    /// asset of the case's class within the radius).
    #[arg(long)]
    city: PathBuf,
    /// Case CSV with a header: lon, lat, category, reported_at (other case columns are checked
    /// when present; see `wangge::analytics::cases`).
    #[arg(long)]
    cases: PathBuf,
    /// Cases of one category at most this far apart (geodesic metres, WGS84) …
    #[arg(long)]
    radius_m: f64,
    /// … and at most this many days apart are linked; clusters are chains of links.
    #[arg(long)]
    days: f64,
    /// Smallest cluster reported.
    #[arg(long, default_value_t = 2)]
    min_cases: usize,
    /// CRS of the case coordinates (output coordinates are WGS84).
    #[arg(long, default_value = "wgs84")]
    crs: Crs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the output here instead of standard output.
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Also write the region ranking of every level as CSV (level, rank, code, name,
    /// repeat_cases, clusters).
    #[arg(long)]
    regions_out: Option<PathBuf>,
    /// Clusters and regions listed per section in the text format.
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[command(flatten)]
    columns: crate::points::ColumnArgs,
    /// Report bad rows (to stderr) and leave them out instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

pub fn run(args: HotspotsArgs) -> CliResult {
    let start = std::time::Instant::now();
    let options = HotspotOptions {
        min_cases: args.min_cases,
        columns: CaseColumns {
            lon: args.columns.lon_column.clone(),
            lat: args.columns.lat_column.clone(),
            ..CaseColumns::default()
        },
        crs: args.crs,
        skip_invalid: args.skip_invalid,
        csv: args.columns.csv_options(),
        ..HotspotOptions::new(args.radius_m, args.days)
    };
    let input = args.limits.load_city_or_dispatcher(&args.city)?;
    let finder = match &input {
        CityOrDispatcher::Dispatcher(d) => HotspotFinder::from_dispatcher(d),
        CityOrDispatcher::City(c) => HotspotFinder::new(c),
    };
    let loaded = start.elapsed();
    let file = File::open(&args.cases).map_err(|e| format!("{}: {e}", args.cases.display()))?;
    let source = args.cases.display().to_string();
    let t = std::time::Instant::now();
    let report = ctx(finder.read_csv(&source, BufReader::with_capacity(1 << 20, file), &options))?;
    let found = t.elapsed();
    for p in report.problems.iter().take(20) {
        eprintln!("skipped: {}", p.to_error(&source));
    }
    if report.problems.len() > 20 {
        eprintln!("… {} more bad rows", report.problems.len() - 20);
    }
    let city = finder.city();
    let assets = finder.assets();
    let text = match args.format {
        Format::Text => to_text(city, assets, &report, args.top),
        Format::Json => report.to_json(city, assets).to_string() + "\n",
        Format::Geojson => report.to_geojson(city, assets).to_string() + "\n",
        Format::Csv => to_csv(city, assets, &report)?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    if let Some(path) = &args.regions_out {
        write_regions(city, &report, path)?;
    }
    eprintln!(
        "{} rows, {} cases: {} clusters, {} repeat cases; city loaded in {loaded:.2?}, read + cluster {found:.2?}, total {:.2?}",
        report.rows,
        report.cases,
        report.clusters.len(),
        report.repeat_cases,
        start.elapsed()
    );
    Ok(())
}

fn asset_id(assets: Option<&AssetSet>, asset: Option<u32>) -> String {
    match (assets, asset) {
        (Some(set), Some(a)) => set.assets()[a as usize].id.clone(),
        _ => String::new(),
    }
}

fn to_text(city: &City, assets: Option<&AssetSet>, r: &HotspotReport, top: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "repeat-case hot spots (反复发生案件): same category within {} m and {} days",
        r.linkage.radius_m(),
        r.linkage.days()
    );
    let _ = writeln!(
        s,
        "{} cases ({} bad rows skipped): {} clusters of ≥ {} cases, {} repeat cases ({} outside every region)",
        r.cases,
        r.problems.len(),
        r.clusters.len(),
        r.min_cases,
        r.repeat_cases,
        r.outside_repeat_cases
    );
    let _ = writeln!(s, "\ntop clusters:");
    for c in r.clusters.iter().take(top) {
        let region = c
            .region
            .map_or("-".to_string(), |id| city.region(id).code.clone());
        let _ = writeln!(
            s,
            "  #{} {} ×{} {} → {} at ({:.6}, {:.6}) ±{:.1} m, {}{}",
            c.id,
            c.category,
            c.len(),
            format_timestamp(c.first),
            format_timestamp(c.last),
            c.lon,
            c.lat,
            c.spread_m,
            region,
            match asset_id(assets, c.asset) {
                a if a.is_empty() => String::new(),
                a => format!(", asset {a}"),
            }
        );
    }
    for (level, ranking) in r.regions.iter().enumerate() {
        let _ = writeln!(s, "\ntop {} by repeat cases:", city.levels()[level]);
        for (rank, x) in ranking.iter().take(top).enumerate() {
            let region = city.region(x.region);
            let _ = writeln!(
                s,
                "  {}. {} {}: {} repeat cases, {} clusters",
                rank + 1,
                region.code,
                region.name,
                x.repeat_cases,
                x.clusters
            );
        }
    }
    if let (Some(ranking), Some(set)) = (&r.assets, assets) {
        let _ = writeln!(s, "\ntop assets by repeat cases:");
        for (rank, x) in ranking.iter().take(top).enumerate() {
            let a = &set.assets()[x.asset as usize];
            let _ = writeln!(
                s,
                "  {}. {} {} {}: {} repeat cases, {} clusters",
                rank + 1,
                a.id,
                a.class,
                a.name,
                x.repeat_cases,
                x.clusters
            );
        }
    }
    s
}

fn to_csv(city: &City, assets: Option<&AssetSet>, r: &HotspotReport) -> CliResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "id", "category", "cases", "first", "last", "lon", "lat", "spread_m",
    ]
    .map(String::from)
    .to_vec();
    header.extend(city.levels().iter().cloned());
    header.extend(["asset".to_string(), "rows".to_string()]);
    w.write_record(&header).map_err(|e| e.to_string())?;
    for c in &r.clusters {
        let mut row = vec![
            c.id.to_string(),
            c.category.clone(),
            c.len().to_string(),
            format_timestamp(c.first),
            format_timestamp(c.last),
            format!("{:.7}", c.lon),
            format!("{:.7}", c.lat),
            format!("{:.2}", c.spread_m),
        ];
        let mut codes = vec![String::new(); city.levels().len()];
        if let Some(id) = c.region {
            for region in city.chain(id) {
                codes[region.level] = region.code.clone();
            }
        }
        row.extend(codes);
        row.push(asset_id(assets, c.asset));
        row.push(
            c.rows
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(";"),
        );
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

fn write_regions(city: &City, r: &HotspotReport, path: &Path) -> CliResult {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut w = csv::Writer::from_path(path).map_err(|e| err(&e))?;
    w.write_record(["level", "rank", "code", "name", "repeat_cases", "clusters"])
        .map_err(|e| err(&e))?;
    for (level, ranking) in r.regions.iter().enumerate() {
        for (rank, x) in ranking.iter().enumerate() {
            let region = city.region(x.region);
            w.write_record([
                city.levels()[level].clone(),
                (rank + 1).to_string(),
                region.code.clone(),
                region.name.clone(),
                x.repeat_cases.to_string(),
                x.clusters.to_string(),
            ])
            .map_err(|e| err(&e))?;
        }
    }
    w.flush().map_err(|e| err(&e))
}
