//! `wangge edit`, `wangge history` and `wangge diff`: planner edits with a preview and impact
//! report, saved versions with rollback, and the difference between two cities.

use crate::points::ColumnArgs;
use crate::validate::{Format, ThresholdArgs};
use crate::{ctx, CliResult};
use clap::Args;
use std::path::{Path, PathBuf};
use wangge::dispatch::Dispatcher;
use wangge::io::csv_input::CsvReader;
use wangge::plan::{diff, Edit, History, PlanOptions};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").required(true).multiple(true).args(["city", "history"])))]
pub struct EditArgs {
    /// The city to edit: a manifest or a snapshot. With --history, only used to start a new
    /// history.
    #[arg(long)]
    city: Option<PathBuf>,
    /// A directory of saved versions (`history.json` + one snapshot per version); created
    /// from --city when it has no history yet. Edits apply to its current version, and
    /// codes retired by earlier versions are never handed out again.
    #[arg(long)]
    history: Option<PathBuf>,
    /// The edit set: a JSON list of edits (split, merge, reshape, reassign, replace).
    #[arg(long)]
    edits: PathBuf,
    /// A manifest with a `[dispatch]` section: its assets and workers are checked for grid
    /// changes (and workers for retired or reshaped home grids).
    #[arg(long)]
    dispatch: Option<PathBuf>,
    /// A CSV of case points (WGS84); the cases whose grid changes are listed.
    #[arg(long)]
    cases: Option<PathBuf>,
    #[command(flatten)]
    columns: ColumnArgs,
    /// With --cases: the id column (row numbers when the file has none).
    #[arg(long, default_value = "id")]
    id_column: String,
    /// Output format of the impact report.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// With --history: commit the edits (when valid) as the next version and save it.
    #[arg(long, requires = "history")]
    commit: bool,
    /// Without --history: write the edited city (when valid) as a snapshot here.
    #[arg(long, conflicts_with = "history")]
    save: Option<PathBuf>,
    /// Allow new grids to take codes retired earlier.
    #[arg(long)]
    reuse_retired_codes: bool,
    #[command(flatten)]
    thresholds: ThresholdArgs,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

fn open_history(
    dir: &Path,
    city: Option<&Path>,
    limits: &crate::limits::LimitArgs,
    options: PlanOptions,
) -> CliResult<History> {
    if dir.join("history.json").exists() {
        return ctx(History::load(dir, options));
    }
    let city = city.ok_or_else(|| {
        format!(
            "{} holds no history yet: give --city to start one",
            dir.display()
        )
    })?;
    Ok(History::new(limits.load_city(city)?, options))
}

/// The case ids and points of a CSV.
type Cases = (Vec<String>, Vec<f64>, Vec<f64>);

fn read_cases(path: &Path, columns: &ColumnArgs, id_column: &str) -> CliResult<Cases> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.display().to_string();
    let mut reader = ctx(CsvReader::new(&name, file, &columns.csv_options()))?;
    let ilon = ctx(reader.require(&columns.lon_column, "the case's point"))?;
    let ilat = ctx(reader.require(&columns.lat_column, "the case's point"))?;
    let iid = ctx(reader.column(id_column))?;
    let (mut ids, mut lons, mut lats) = (Vec::new(), Vec::new(), Vec::new());
    let mut record = csv::StringRecord::new();
    for row in 0usize.. {
        let Some(line) = ctx(reader.read(&mut record))? else {
            break;
        };
        let number = |i: usize, name: &str| {
            record[i].trim().parse::<f64>().map_err(|_| {
                format!(
                    "{} line {line}: column {name:?}: not a number ({:?})",
                    path.display(),
                    &record[i]
                )
            })
        };
        lons.push(number(ilon, &columns.lon_column)?);
        lats.push(number(ilat, &columns.lat_column)?);
        ids.push(iid.map_or_else(|| (row + 1).to_string(), |i| record[i].to_string()));
    }
    Ok((ids, lons, lats))
}

fn write(out: &Option<PathBuf>, text: &str) -> CliResult {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Previews an edit set, writes the impact report, and commits or saves when asked.
pub fn run(args: EditArgs) -> CliResult {
    let options = PlanOptions {
        reuse_retired_codes: args.reuse_retired_codes,
        // The code scheme is the city's; the preview sets it.
        validate: args.thresholds.options(wangge::CodeScheme::Standard)?,
        ..PlanOptions::default()
    };
    let history = match &args.history {
        Some(dir) => open_history(dir, args.city.as_deref(), &args.limits, options)?,
        None => {
            let city = args.city.as_deref().ok_or("give --city or --history")?;
            History::new(args.limits.load_city(city)?, options)
        }
    };
    let text = std::fs::read_to_string(&args.edits)
        .map_err(|e| format!("{}: {e}", args.edits.display()))?;
    let edits = ctx(Edit::parse_set(&args.edits.display().to_string(), &text))?;
    let start = std::time::Instant::now();
    let preview = ctx(history.preview(edits))?;
    let previewed = start.elapsed();
    let dispatcher = match &args.dispatch {
        Some(path) => Some(ctx(Dispatcher::from_manifest_with_limits(
            path,
            args.limits.overrides(),
        ))?),
        None => None,
    };
    let workers = dispatcher
        .as_ref()
        .map(|d| d.resources().snapshot().resources().to_vec())
        .unwrap_or_default();
    let cases = match &args.cases {
        Some(path) => Some(read_cases(path, &args.columns, &args.id_column)?),
        None => None,
    };
    let report = ctx(preview.impact(
        dispatcher.as_ref().map(|d| d.assets()),
        &workers,
        cases
            .as_ref()
            .map(|(i, x, y)| (i.as_slice(), x.as_slice(), y.as_slice())),
    ))?;
    eprintln!(
        "previewed {} edit(s) on version {} in {previewed:.2?}: {} created, {} retired, {} changed",
        preview.edits().len(),
        report.base_version,
        report.codes.created.len(),
        report.codes.retired.len(),
        report.codes.changed.len()
    );
    let text = match args.format {
        Format::Text => report.to_text(),
        Format::Json => report.to_json() + "\n",
        Format::Geojson => report.to_geojson().to_string() + "\n",
    };
    write(&args.out, &text)?;
    if !report.valid {
        return Err("the edits leave the partition invalid; nothing was committed".into());
    }
    if args.commit {
        let dir = args.history.as_deref().ok_or("--commit needs --history")?;
        let note = format!("wangge edit --edits {}", args.edits.display());
        let version = ctx(history.commit(preview, &note))?;
        ctx(history.save(dir))?;
        eprintln!(
            "committed version {} into {}",
            version.number(),
            dir.display()
        );
    } else if let Some(path) = &args.save {
        ctx(preview.city().save(path))?;
        eprintln!("saved the edited city to {}", path.display());
    }
    Ok(())
}

#[derive(Args)]
pub struct HistoryArgs {
    /// The directory of saved versions.
    dir: PathBuf,
    /// Make this version's city current again, as a new version.
    #[arg(long)]
    rollback: Option<u64>,
}

/// Lists the versions; rolls back when asked.
pub fn history(args: HistoryArgs) -> CliResult {
    let history = open_history(
        &args.dir,
        None,
        &crate::limits::LimitArgs::default(),
        PlanOptions::default(),
    )?;
    if let Some(number) = args.rollback {
        let v = ctx(history.rollback(number, ""))?;
        ctx(history.save(&args.dir))?;
        eprintln!("version {} restores version {number}", v.number());
    }
    let current = history.current().number();
    println!("version\tparent\tregions\tedits\tretired\tnote");
    for v in history.versions() {
        println!(
            "{}{}\t{}\t{}\t{}\t{}\t{}",
            v.number(),
            if v.number() == current { "*" } else { "" },
            v.parent().map_or("-".to_string(), |p| p.to_string()),
            v.city().len(),
            v.edits().len(),
            v.retired().len(),
            v.note()
        );
    }
    Ok(())
}

#[derive(Args)]
pub struct DiffArgs {
    /// The older city (manifest or snapshot; a saved version is `DIR/v<N>.wgg`).
    old: PathBuf,
    /// The newer city.
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the diff here instead of standard output.
    #[arg(short, long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

/// Writes the regions added, removed and changed between two cities.
pub fn diff_cities(args: DiffArgs) -> CliResult {
    let old = args.limits.load_city(&args.old)?;
    let new = args.limits.load_city(&args.new)?;
    let d = diff(&old, &new);
    let text = match args.format {
        Format::Text => d.to_text(),
        Format::Json => d.to_json() + "\n",
        Format::Geojson => d.to_geojson().to_string() + "\n",
    };
    write(&args.out, &text)
}
