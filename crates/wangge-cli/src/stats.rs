//! `wangge stats`: case counts and evaluation indicators per level and department, and H3
//! hexagon counts, from a case CSV (the work is `wangge::analytics`).

use crate::limits::CityOrDispatcher;
use crate::{ctx, CliResult};
use clap::Args;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use wangge::analytics::h3::resolution;
use wangge::analytics::{Analyst, CaseColumns, CaseStats, Indicator, StatsOptions, Tally};
use wangge::{City, Crs};

#[derive(Args)]
pub struct StatsArgs {
    /// Manifest or snapshot. A manifest with a `[dispatch]` section also gives the code table
    /// (unknown categories are bad rows) and the department rule for rows without a
    /// `department` value.
    #[arg(long)]
    city: PathBuf,
    /// Case CSV with a header: lon, lat and any of id, category, reported_at, deadline,
    /// time_limit_h, closed_at, status, rework, department (see `wangge::analytics::cases`).
    #[arg(long)]
    cases: PathBuf,
    /// Output directory: `<level>.csv` per level, `department.csv`, `h3_r<N>.geojson`, and
    /// `problems.csv` with `--skip-invalid`.
    #[arg(long)]
    out: PathBuf,
    /// H3 resolution of the hexagon counts (0–15).
    #[arg(long, default_value_t = 8)]
    h3_res: u8,
    /// CRS of the case coordinates.
    #[arg(long, default_value = "wgs84")]
    crs: Crs,
    /// Indicators to compute, comma-separated (handling_rate, on_time_rate, overdue,
    /// rework_rate, closing_rate, or 处置率 …); a missing column is then an error. Default:
    /// every indicator the table has the columns for.
    #[arg(long, value_delimiter = ',')]
    indicators: Option<Vec<String>>,
    #[command(flatten)]
    columns: crate::points::ColumnArgs,
    /// Report bad rows (to stderr and problems.csv) and leave them out instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
    /// Also write each region of the deepest level's H3 cover at this resolution (cells whose
    /// centre lies in the region) as `<level>_h3_r<N>.csv` (code, h3); unit grids of 10,000 m²
    /// need about 12.
    #[arg(long)]
    cover_res: Option<u8>,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

const COUNTS: [&str; 7] = [
    "cases", "accepted", "handled", "on_time", "overdue", "rework", "closed",
];

fn counts(t: &Tally) -> [u64; 7] {
    [
        t.cases, t.accepted, t.handled, t.on_time, t.overdue, t.rework, t.closed,
    ]
}

pub fn run(args: StatsArgs) -> CliResult {
    let start = std::time::Instant::now();
    let indicators = match &args.indicators {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|s| {
                    Indicator::parse(s).ok_or_else(|| {
                        format!(
                            "--indicators: unknown indicator {s:?} (expected {})",
                            Indicator::ALL.map(|i| i.key()).join(", ")
                        )
                    })
                })
                .collect::<CliResult<Vec<_>>>()?,
        ),
    };
    let options = StatsOptions {
        columns: CaseColumns {
            lon: args.columns.lon_column.clone(),
            lat: args.columns.lat_column.clone(),
            ..CaseColumns::default()
        },
        crs: args.crs,
        h3_resolution: Some(ctx(resolution(args.h3_res))?),
        indicators,
        skip_invalid: args.skip_invalid,
        csv: args.columns.csv_options(),
        ..StatsOptions::default()
    };
    let input = args.limits.load_city_or_dispatcher(&args.city)?;
    let analyst = match &input {
        CityOrDispatcher::Dispatcher(d) => Analyst::from_dispatcher(d),
        CityOrDispatcher::City(c) => Analyst::new(c),
    };
    let loaded = start.elapsed();
    let file = File::open(&args.cases).map_err(|e| format!("{}: {e}", args.cases.display()))?;
    let source = args.cases.display().to_string();
    let t = std::time::Instant::now();
    let stats =
        ctx(analyst.case_stats(&source, BufReader::with_capacity(1 << 20, file), &options))?;
    let aggregated = t.elapsed();
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut written = write_outputs(analyst.city(), &stats, &args.out, args.h3_res)?;
    if let Some(res) = args.cover_res {
        written.push(write_cover(analyst.city(), &args.out, res)?);
    }
    for p in stats.problems.iter().take(20) {
        eprintln!("skipped: {}", p.to_error(&source));
    }
    if stats.problems.len() > 20 {
        eprintln!("… {} more in problems.csv", stats.problems.len() - 20);
    }
    print_summary(analyst.city(), &stats, &written);
    println!(
        "city loaded in {loaded:.2?}; read + join + aggregate {aggregated:.2?}; total {:.2?}",
        start.elapsed()
    );
    Ok(())
}

fn writer(path: &Path) -> CliResult<csv::Writer<File>> {
    csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_row(w: &mut csv::Writer<File>, path: &Path, row: Vec<String>) -> CliResult {
    w.write_record(&row)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn figures(t: &Tally, indicators: &[Indicator]) -> Vec<String> {
    let mut v: Vec<String> = counts(t).iter().map(u64::to_string).collect();
    for i in indicators {
        v.push(i.value(t).map_or(String::new(), |x| match i {
            Indicator::Overdue => format!("{x}"),
            _ => format!("{x:.6}"),
        }));
    }
    v
}

fn header(first: &[&str], indicators: &[Indicator]) -> Vec<String> {
    first
        .iter()
        .chain(COUNTS.iter())
        .map(|s| s.to_string())
        .chain(
            indicators
                .iter()
                .filter(|i| **i != Indicator::Overdue)
                .map(|i| i.key().to_string()),
        )
        .collect()
}

/// Writes the files; returns their paths.
fn write_outputs(city: &City, stats: &CaseStats, out: &Path, res: u8) -> CliResult<Vec<PathBuf>> {
    // `overdue` is already a count column; the other indicators are rates.
    let rates: Vec<Indicator> = stats
        .indicators
        .iter()
        .copied()
        .filter(|i| *i != Indicator::Overdue)
        .collect();
    let mut written = Vec::new();
    for (level, name) in city.levels().iter().enumerate() {
        let path = out.join(format!("{name}.csv"));
        let mut w = writer(&path)?;
        write_row(&mut w, &path, header(&["code", "name", "parent"], &rates))?;
        for (id, r) in city.level_regions(level) {
            let parent = r
                .parent
                .map_or(String::new(), |p| city.region(p).code.clone());
            let mut row = vec![r.code.clone(), r.name.clone(), parent];
            row.extend(figures(&stats.regions[id.index()], &rates));
            write_row(&mut w, &path, row)?;
        }
        w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    let path = out.join("department.csv");
    let mut w = writer(&path)?;
    write_row(&mut w, &path, header(&["code", "name"], &rates))?;
    for d in &stats.departments {
        let mut row = vec![d.code.clone(), d.name.clone()];
        row.extend(figures(&d.tally, &rates));
        write_row(&mut w, &path, row)?;
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    written.push(path);
    if let Some(level) = city.levels().len().checked_sub(1) {
        let name = &city.levels()[level];
        let values: Vec<f64> = stats.regions.iter().map(|t| t.cases as f64).collect();
        let title = format!("cases per {name} ({} cases)", stats.total.cases);
        let svg = wangge::analytics::svg::choropleth(city, level, &values, 1200.0, &title);
        let path = out.join(format!("map_{name}.svg"));
        std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    if let Some(cells) = &stats.cells {
        let path = out.join(format!("h3_r{res}.geojson"));
        let text = cells.to_geojson(&stats.categories).to_string();
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    if !stats.problems.is_empty() {
        let path = out.join("problems.csv");
        let mut w = writer(&path)?;
        write_row(
            &mut w,
            &path,
            ["line", "column", "value", "reason"]
                .map(String::from)
                .to_vec(),
        )?;
        for p in &stats.problems {
            let row = vec![
                p.line.to_string(),
                p.column.clone(),
                p.value.clone(),
                p.reason.clone(),
            ];
            write_row(&mut w, &path, row)?;
        }
        w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The deepest level's H3 cover as `<level>_h3_r<N>.csv`.
fn write_cover(city: &City, out: &Path, res: u8) -> CliResult<PathBuf> {
    let level = city.levels().len() - 1;
    let covers = ctx(wangge::analytics::h3::cover_level(
        city,
        level,
        ctx(resolution(res))?,
    ))?;
    let path = out.join(format!("{}_h3_r{res}.csv", city.levels()[level]));
    let mut w = writer(&path)?;
    write_row(&mut w, &path, vec!["code".into(), "h3".into()])?;
    for (id, cells) in covers {
        for c in cells {
            write_row(
                &mut w,
                &path,
                vec![city.region(id).code.clone(), c.to_string()],
            )?;
        }
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn print_summary(city: &City, stats: &CaseStats, written: &[PathBuf]) {
    println!(
        "{} rows: {} cases ({} outside every region), {} bad rows skipped",
        stats.rows,
        stats.total.cases,
        stats.outside.cases,
        stats.problems.len()
    );
    for (level, name) in city.levels().iter().enumerate() {
        let (mut with, mut all) = (0, 0);
        for (id, _) in city.level_regions(level) {
            all += 1;
            with += usize::from(stats.regions[id.index()].cases > 0);
        }
        println!("{name}: {with} of {all} regions have cases");
    }
    println!(
        "departments: {} ({} cases without one)",
        stats.departments.len(),
        stats.no_department
    );
    for i in &stats.indicators {
        let v = match (i, i.value(&stats.total)) {
            (_, None) => "-".to_string(),
            (Indicator::Overdue, Some(x)) => format!("{x}"),
            (_, Some(x)) => format!("{x:.4}"),
        };
        println!("{} {}: {v}", i.name_zh(), i.key());
    }
    if let Some(c) = &stats.cells {
        println!("H3 cells with cases: {}", c.counts.len());
    }
    for p in written {
        println!("wrote {}", p.display());
    }
}
