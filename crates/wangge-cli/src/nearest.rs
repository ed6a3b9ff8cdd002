//! `wangge nearest`.

use crate::points::{parse_point, PointColumns};
use crate::{ctx, CliResult};
use clap::Args;
use std::path::{Path, PathBuf};
use wangge::assets::{read_csv, read_geojson, AssetFields, AssetFilter, AssetSet};
use wangge::catalog::Catalog;
use wangge::crs::Converter;
use wangge::io::csv_input::{decode_text, Encoding};
use wangge::Crs;

#[derive(Args)]
pub struct NearestArgs {
    /// Assets: GeoJSON Points (.geojson/.json) or CSV with lon/lat columns. Ids are 16-digit
    /// (legacy) or 17-digit (GB/T 47678.5) component ids whose class is in the code table.
    #[arg(long)]
    assets: PathBuf,
    /// Property / column with the asset id.
    #[arg(long, default_value = "id")]
    id_property: String,
    /// CRS of the asset file.
    #[arg(long, default_value = "wgs84")]
    assets_crs: Crs,
    /// Extra code table (TOML) with the city's local classes, merged into the built-in ones.
    #[arg(long)]
    codes: Option<PathBuf>,
    /// CSV of query points with a header row.
    #[arg(long)]
    points: PathBuf,
    /// CRS of the points.
    #[arg(long, default_value = "wgs84")]
    points_crs: Crs,
    #[command(flatten)]
    columns: crate::points::ColumnArgs,
    /// Neighbours per point.
    #[arg(short, default_value_t = 1)]
    k: usize,
    /// Farthest neighbour, metres (geodesic).
    #[arg(long)]
    max_distance: Option<f64>,
    /// Only assets of this class ("0113" = 消防设施) or major class ("01" = 公用设施); repeat
    /// for several. Must be a class or major class of the code table.
    #[arg(long)]
    class: Vec<String>,
    /// Output CSV: row (1-based number of the input's data row), rank, asset_id, distance_m.
    #[arg(long)]
    out: PathBuf,
    /// Skip malformed rows and bad coordinates (reported on stderr) instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
}

pub fn run(args: NearestArgs) -> CliResult {
    let start = std::time::Instant::now();
    let mut catalog = Catalog::builtin();
    if let Some(path) = &args.codes {
        ctx(catalog.merge(ctx(Catalog::load(path))?))?;
    }
    if let Some(c) = args.class.iter().find(|c| !catalog.knows_prefix(c)) {
        return Err(format!(
            "--class {c:?} is neither a class nor a major class of the code table"
        ));
    }
    if let Some(m) = args.max_distance.filter(|m| !(m.is_finite() && *m >= 0.0)) {
        return Err(format!(
            "--max-distance {m} must be a finite number of metres >= 0"
        ));
    }
    let assets = load_assets(
        &args.assets,
        &args.id_property,
        args.assets_crs,
        &catalog,
        args.columns.encoding,
    )?;
    eprintln!("indexed {} assets in {:.2?}", assets.len(), start.elapsed());
    let filter = AssetFilter::classes(args.class.clone());
    let converter = Converter::default();
    let cols = PointColumns {
        lon: &args.columns.lon_column,
        lat: &args.columns.lat_column,
        skip_invalid: args.skip_invalid,
        encoding: args.columns.encoding,
    };
    let (mut reader, ilon, ilat) = cols.open(&args.points)?;
    let mut writer =
        csv::Writer::from_path(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    writer
        .write_record(["row", "rank", "asset_id", "distance_m"])
        .map_err(|e| e.to_string())?;
    let (mut rows, mut queried) = (0usize, std::time::Duration::ZERO);
    let mut record = csv::StringRecord::new();
    for n in 0usize.. {
        let point = match reader.read(&mut record) {
            Ok(None) => break,
            Ok(Some(line)) => parse_point(&record, ilon, ilat, &cols)
                .map(|p| (n + 1, p))
                .map_err(|why| format!("{} line {line}: {why}", args.points.display())),
            Err(e) if reader.can_go_on() => Err(e.to_string()),
            Err(e) => return Err(e.to_string()),
        };
        let (row, (x, y)) = match point {
            Ok(p) => p,
            Err(why) if args.skip_invalid => {
                eprintln!("{why}; skipped");
                continue;
            }
            Err(why) => return Err(why),
        };
        let (x, y) = converter.to_wgs84(args.points_crs, x, y);
        let t = std::time::Instant::now();
        let hits = assets.nearest(x, y, args.k, args.max_distance, &filter);
        queried += t.elapsed();
        for (rank, (a, d)) in hits.iter().enumerate() {
            writer
                .write_record([
                    row.to_string(),
                    (rank + 1).to_string(),
                    a.id.clone(),
                    format!("{d:.3}"),
                ])
                .map_err(|e| e.to_string())?;
        }
        rows += 1;
    }
    writer.flush().map_err(|e| e.to_string())?;
    eprintln!(
        "{rows} points, k = {}: queries {queried:.2?} ({:.0} queries/s), total {:.2?}",
        args.k,
        rows as f64 / queried.as_secs_f64().max(1e-9),
        start.elapsed()
    );
    Ok(())
}

fn load_assets(
    path: &Path,
    id: &str,
    crs: Crs,
    catalog: &Catalog,
    encoding: Encoding,
) -> CliResult<AssetSet> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fields = AssetFields {
        id: id.to_string(),
        ..AssetFields::default()
    };
    let name = path.display().to_string();
    let converter = Converter::default();
    let inputs = if path
        .extension()
        .is_some_and(|e| e == "geojson" || e == "json")
    {
        let text = String::from_utf8(bytes).map_err(|e| format!("{name}: not UTF-8: {e}"))?;
        ctx(read_geojson(&name, &text, &fields, crs, &converter))?
    } else {
        let text = ctx(decode_text(&name, &bytes, encoding))?;
        ctx(read_csv(&name, &text, &fields, crs, &converter))?
    };
    // Asset numbers in errors count features / data rows from 0 in this file.
    AssetSet::build(None, catalog, inputs).map_err(|e| format!("{name}: {e}"))
}
