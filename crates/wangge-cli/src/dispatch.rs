//! `wangge dispatch`.

use crate::points::{self, timed, PointColumns};
use crate::{ctx, CliResult};
use clap::Args;
use std::path::PathBuf;
use wangge::dispatch::{DispatchOptions, DispatchResult, Dispatcher, Reason};
use wangge::Crs;

#[derive(Args)]
pub struct DispatchArgs {
    /// City manifest with a `[dispatch]` section (code tables, departments, assets, workers).
    #[arg(long)]
    city: PathBuf,
    /// CSV of reports with a header row: coordinates, a category column and optionally an
    /// asset id column.
    #[arg(long)]
    reports: PathBuf,
    /// CRS of the report coordinates.
    #[arg(long, default_value = "wgs84")]
    points_crs: Crs,
    #[command(flatten)]
    columns: crate::points::ColumnArgs,
    /// Column with the category (component class or event code).
    #[arg(long, default_value = "category")]
    category_column: String,
    /// Column with the reported asset's id (optional; empty cells mean none).
    #[arg(long, default_value = "asset_id")]
    asset_column: String,
    /// Workers to return per report.
    #[arg(long, default_value_t = 3)]
    workers: usize,
    /// Output CSV: every input column plus chain, departments, workers, assets, hydrants.
    #[arg(long)]
    out: PathBuf,
    /// Report bad rows (bad coordinates, unknown categories or asset ids) on stderr and leave
    /// them out instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

const HEADERS: [&str; 8] = [
    "chain",
    "department",
    "department_name",
    "department_rule",
    "departments",
    "workers",
    "assets",
    "hydrants",
];

pub fn run(args: DispatchArgs) -> CliResult {
    let start = std::time::Instant::now();
    let dispatcher = ctx(Dispatcher::from_manifest_with_limits(
        &args.city,
        args.limits.overrides(),
    ))?;
    eprintln!(
        "loaded {} regions, {} departments, {} assets, {} workers in {:.2?}",
        dispatcher.city().len(),
        dispatcher.departments().departments().len(),
        dispatcher.assets().len(),
        dispatcher.resources().snapshot().resources().len(),
        start.elapsed()
    );
    let mismatches = dispatcher.assets().grid_mismatches();
    if let Some(m) = mismatches.first() {
        eprintln!(
            "warning: {} assets name a grid other than the one they lie in (first: {} says {}, located {})",
            mismatches.len(),
            m.asset,
            m.given,
            m.located.as_deref().unwrap_or("outside the city")
        );
    }
    let mut reader = csv::Reader::from_path(&args.reports)
        .map_err(|e| format!("{}: {e}", args.reports.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let category = headers
        .iter()
        .position(|h| h == args.category_column)
        .ok_or_else(|| {
            format!(
                "{}: no column {:?}",
                args.reports.display(),
                args.category_column
            )
        })?;
    let asset = headers.iter().position(|h| h == args.asset_column);
    let cols = PointColumns {
        lon: &args.columns.lon_column,
        lat: &args.columns.lat_column,
        skip_invalid: args.skip_invalid,
        encoding: args.columns.encoding,
    };
    let extra: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    let summary = points::run(
        &args.reports,
        &args.out,
        &cols,
        &extra,
        "dispatch",
        |lons, lats, rows, summary| {
            let mut out = Vec::with_capacity(rows.len());
            for ((&x, &y), row) in lons.iter().zip(lats).zip(rows) {
                let options = DispatchOptions {
                    crs: args.points_crs,
                    workers: args.workers,
                    asset_id: asset
                        .and_then(|i| row.get(i))
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    ..DispatchOptions::default()
                };
                let cat = row.get(category).unwrap_or("").trim();
                let line = row.position().map_or(0, |p| p.line());
                let result = match timed(summary, || dispatcher.dispatch(x, y, cat, &options)) {
                    Ok(r) => r,
                    Err(e) if args.skip_invalid => {
                        eprintln!("{} line {line}: {e}; skipped", args.reports.display());
                        out.push(None);
                        continue;
                    }
                    Err(e) => return Err(format!("{} line {line}: {e}", args.reports.display())),
                };
                if result.chain.is_empty() {
                    summary.unowned += 1;
                }
                out.push(Some(columns(&result)));
            }
            Ok(out)
        },
    )?;
    summary.print(start.elapsed());
    Ok(())
}

/// The output cells of one result, in [`HEADERS`] order.
fn columns(r: &DispatchResult) -> Vec<String> {
    let join = |items: Vec<String>| items.join(";");
    let chain = join(r.chain.iter().map(|c| c.code.clone()).collect()).replace(';', ">");
    let rule = |reason: &Reason| match reason {
        Reason::AssetMain { .. } => "asset_main".to_string(),
        Reason::Responsible {
            prefix,
            fanout: true,
            ..
        } => format!("fanout:{prefix}"),
        Reason::Responsible {
            prefix,
            primary: true,
            ..
        } => format!("responsible:{prefix}"),
        Reason::Responsible { prefix, .. } => format!("alternate:{prefix}"),
        Reason::Territorial { level } => format!("territorial:{level}"),
    };
    let first = r.departments.first();
    let hits = |v: &[wangge::dispatch::AssetHit]| {
        join(
            v.iter()
                .map(|a| format!("{}@{:.1}", a.id, a.distance_m))
                .collect(),
        )
    };
    vec![
        chain,
        first.map(|d| d.code.clone()).unwrap_or_default(),
        first.map(|d| d.name.clone()).unwrap_or_default(),
        first.map(|d| rule(&d.reason)).unwrap_or_default(),
        join(
            r.departments
                .iter()
                .map(|d| format!("{}({})", d.code, rule(&d.reason)))
                .collect(),
        ),
        join(
            r.workers
                .iter()
                .map(|w| format!("{}@{:.1}", w.id, w.distance_m))
                .collect(),
        ),
        hits(&r.assets),
        r.nearby
            .iter()
            .find(|(label, _)| label == "hydrants")
            .map(|(_, v)| hits(v))
            .unwrap_or_default(),
    ]
}
