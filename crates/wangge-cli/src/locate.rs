//! `wangge locate`.

use crate::points::{self, timed, PointColumns};
use crate::{ctx, CliResult};
use clap::Args;
use std::path::PathBuf;
use wangge::io::geojson::PropertyNames;
use wangge::{BuildOptions, City, CodeScheme, Crs, LevelInput, NO_OWNER};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["polygons", "city"])))]
pub struct LocateArgs {
    /// City mode: a manifest or snapshot; adds one column per level.
    #[arg(long)]
    city: Option<PathBuf>,
    /// Quick mode: one GeoJSON FeatureCollection of (Multi)Polygons; adds column `owner`.
    #[arg(long, requires = "id_property")]
    polygons: Option<PathBuf>,
    /// Quick mode: the property holding each polygon's id (string or integer, unique).
    #[arg(long)]
    id_property: Option<String>,
    /// Quick mode: CRS of the polygon file.
    #[arg(long, default_value = "wgs84")]
    polygons_crs: Crs,
    /// CSV file of points with a header row.
    #[arg(long)]
    points: PathBuf,
    #[command(flatten)]
    columns: crate::points::ColumnArgs,
    /// CRS of the points: wgs84 (= cgcs2000), gcj02 (Amap, Tencent, WeChat) or bd09 (Baidu).
    #[arg(long, default_value = "wgs84")]
    points_crs: Crs,
    /// Output CSV: every input column plus the owner column(s).
    #[arg(long)]
    out: PathBuf,
    /// Report malformed rows and bad coordinates on stderr and leave them out, instead of
    /// stopping with an error.
    #[arg(long)]
    skip_invalid: bool,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

pub fn run(args: LocateArgs) -> CliResult {
    let start = std::time::Instant::now();
    let (city, headers) = match (&args.city, &args.polygons, &args.id_property) {
        (Some(path), _, _) => {
            let city = args.limits.load_city(path)?;
            let headers = city.levels().to_vec();
            (city, headers)
        }
        (None, Some(path), Some(id)) => (
            quick_city(path, id, args.polygons_crs, &args.limits)?,
            vec!["owner".to_string()],
        ),
        _ => return Err("give --city, or --polygons with --id-property".into()),
    };
    eprintln!("loaded {} regions in {:.2?}", city.len(), start.elapsed());
    let cols = PointColumns {
        lon: &args.columns.lon_column,
        lat: &args.columns.lat_column,
        skip_invalid: args.skip_invalid,
        encoding: args.columns.encoding,
    };
    let levels = city.levels().len();
    let summary = points::run(
        &args.points,
        &args.out,
        &cols,
        &headers,
        "locate",
        |lons, lats, _rows, summary| {
            let ids = timed(summary, || {
                let (mut x, mut y) = (lons.to_vec(), lats.to_vec());
                city.converter()
                    .to_wgs84_in_place(args.points_crs, &mut x, &mut y)
                    .and_then(|()| city.locate_many_parallel(&x, &y))
            });
            let ids = ctx(ids)?;
            Ok(ids
                .into_iter()
                .map(|id| {
                    let mut cells = vec![String::new(); levels];
                    if id == NO_OWNER {
                        summary.unowned += 1;
                    } else {
                        for r in city.chain(wangge::RegionId(id)) {
                            cells[r.level] = r.code.clone();
                        }
                    }
                    Some(cells)
                })
                .collect())
        },
    )?;
    summary.print(start.elapsed());
    Ok(())
}

/// A one-level city from a polygon file whose ids are free-form codes.
fn quick_city(
    path: &std::path::Path,
    id: &str,
    crs: Crs,
    limits: &crate::limits::LimitArgs,
) -> CliResult<City> {
    let props = PropertyNames {
        code: id.to_string(),
        name: None,
        parent: None,
    };
    let regions = limits.read_level(path, "owner", &props, crs)?;
    let options = BuildOptions {
        code_scheme: CodeScheme::Free,
        ..BuildOptions::default()
    };
    ctx(City::build(
        vec![LevelInput {
            name: "owner".into(),
            regions,
        }],
        &options,
    ))
}
