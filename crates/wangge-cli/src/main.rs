//! `wangge`: the command-line front end of the wangge library. It parses arguments, reads and
//! writes files and shows progress; every rule lives in the `wangge` crate.

mod demo;
mod dispatch;
mod generate;
mod hotspots;
mod limits;
mod locate;
mod nearest;
mod plan;
mod points;
mod stats;
mod validate;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wangge::Crs;

/// City grid management (网格化管理) from the command line: which unit grid, community, street
/// and district owns each reported point, built from GeoJSON levels or a snapshot.
#[derive(Parser)]
#[command(name = "wangge", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find the owner of every point of a CSV file.
    ///
    /// Two modes. Quick single-level mode: `--polygons FILE.geojson --id-property NAME` adds one
    /// column `owner` (the owning feature's id property, empty when none). City mode:
    /// `--city MANIFEST_OR_SNAPSHOT` adds one column per level (district, street, …) with the
    /// code of the owning region at that level. Every input column is kept. A point on a border
    /// shared by two regions has exactly one owner (see the crate docs for the rule).
    Locate(locate::LocateArgs),
    /// The k nearest assets (部件) of each point, by exact geodesic distance on WGS84.
    ///
    /// Output rows: input row number, rank (1 = nearest), asset id, distance in metres. Ties
    /// are broken by asset id. `--class` keeps only assets whose class starts with a prefix.
    Nearest(nearest::NearestArgs),
    /// Dispatch reports (智能派单): grid chain, responsible departments with the rule that
    /// chose each, nearest on-duty workers, nearest assets of the reported class and hydrants.
    ///
    /// The manifest's `[dispatch]` section names the code tables, departments, assets and
    /// workers. Each report row needs coordinates and a category (component class such as 0103,
    /// or an event code); an optional asset id column names the reported asset.
    Dispatch(dispatch::DispatchArgs),
    /// Build a city from a manifest and save it as a snapshot (fast to load; accepted wherever
    /// a manifest is).
    Build {
        /// The city manifest (TOML or JSON).
        #[arg(long)]
        city: PathBuf,
        /// Where to write the snapshot (e.g. city.wgg).
        #[arg(short, long)]
        out: PathBuf,
        #[command(flatten)]
        limits: limits::LimitArgs,
    },
    /// Propose a nested hierarchy: subdivide regions into streets, communities and grids of
    /// target areas, with standard codes (serials west→east, north→south).
    ///
    /// Writes one GeoJSON file per level into `--out-dir`, plus `city.toml`, a manifest that
    /// loads them. The output is synthetic: a starting point for planners, not survey data.
    Generate(generate::GenerateArgs),
    /// Write each level of a city as a GeoJSON FeatureCollection.
    Export {
        /// Manifest or snapshot.
        #[arg(long)]
        city: PathBuf,
        /// Output directory (one `<level>.geojson` per level).
        #[arg(long)]
        out_dir: PathBuf,
        /// CRS of the written coordinates. Only wgs84 is lossless: converting to GCJ-02 or
        /// BD-09 and back moves vertices by far less than a millimetre, which can change the
        /// owner of a point lying exactly on a border.
        #[arg(long, default_value = "wgs84")]
        crs: Crs,
        #[command(flatten)]
        limits: limits::LimitArgs,
    },
    /// Validation report of a partition: invalid rings, overlaps, gaps, children outside
    /// their parent, slivers, grid areas, codes and serial order, each with its severity,
    /// codes and geometry.
    ///
    /// Exit code 0 when there is no error-severity finding (warnings allowed), 1 when there is
    /// one (the report is still written) or the input cannot be read.
    Validate(validate::ValidateArgs),
    /// Case statistics (案卷统计): counts and evaluation indicators (处置率, 按期处置率, 超期处置数,
    /// 返工率, 结案率) per region of every level and per department, and H3 hexagon counts.
    ///
    /// Writes `<level>.csv` per level, `department.csv` and `h3_r<N>.geojson` into `--out`.
    Stats(stats::StatsArgs),
    /// Repeat-case hot spots (反复发生案件): cases of one category within `--radius-m` metres
    /// (geodesic) and `--days` days of each other, chained into clusters; clusters ranked, and
    /// the regions of every level (and the assets, with a `[dispatch]` manifest) ranked by
    /// repeat cases.
    Hotspots(hotspots::HotspotsArgs),
    /// Preview a planner's edit set (split, merge, reshape, reassign, replace grids): the
    /// validation findings about the touched grids, the codes created and retired, the area
    /// changes, and the assets, workers and cases that change grid. `--commit` (with
    /// `--history`) makes it the next saved version; `--save` writes the edited city.
    ///
    /// Exit code 1 when the edits cannot apply or leave the partition invalid (nothing is
    /// committed or saved then).
    Edit(plan::EditArgs),
    /// List the saved versions of a history directory; `--rollback N` makes version N's city
    /// current again as a new version.
    History(plan::HistoryArgs),
    /// The regions added, removed and changed (with area deltas) between two cities.
    Diff(plan::DiffArgs),
    /// Run a short demonstration on the bundled Wuhan data (no arguments needed).
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Locate(args) => locate::run(args),
        Command::Nearest(args) => nearest::run(args),
        Command::Dispatch(args) => dispatch::run(args),
        Command::Build { city, out, limits } => build(&city, &out, &limits),
        Command::Generate(args) => generate::run(args),
        Command::Export {
            city,
            out_dir,
            crs,
            limits,
        } => generate::export(&city, &out_dir, crs, &limits),
        Command::Validate(args) => validate::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Hotspots(args) => hotspots::run(args),
        Command::Edit(args) => plan::run(args),
        Command::History(args) => plan::history(args),
        Command::Diff(args) => plan::diff_cities(args),
        Command::Demo => demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Errors reach `main` as display strings.
pub(crate) type CliResult<T = ()> = Result<T, String>;

/// Adds context to a library error.
pub(crate) fn ctx<T>(r: wangge::Result<T>) -> CliResult<T> {
    r.map_err(|e| e.to_string())
}

fn build(city: &std::path::Path, out: &std::path::Path, limits: &limits::LimitArgs) -> CliResult {
    let start = std::time::Instant::now();
    let c = limits.load_city(city)?;
    let built = start.elapsed();
    ctx(c.save(out))?;
    eprintln!(
        "built {} regions on {} levels in {:.2?}; wrote {}",
        c.len(),
        c.levels().len(),
        built,
        out.display()
    );
    Ok(())
}
