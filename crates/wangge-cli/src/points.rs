//! Streaming CSV points: read rows in chunks, locate them, write them back with added columns.

use crate::CliResult;
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

/// Rows handled per batch.
const CHUNK: usize = 65_536;
/// Files larger than this (≈100k rows) get a progress bar.
const PROGRESS_BYTES: u64 = 4 << 20;

/// The coordinate columns of a point CSV (flattened into every command that reads one).
#[derive(clap::Args, Debug)]
pub struct ColumnArgs {
    /// Name of the longitude column.
    #[arg(long, default_value = "lon")]
    pub lon_column: String,
    /// Name of the latitude column.
    #[arg(long, default_value = "lat")]
    pub lat_column: String,
}

/// Where the coordinates are and what to do with bad rows.
pub struct PointColumns<'a> {
    pub lon: &'a str,
    pub lat: &'a str,
    pub skip_invalid: bool,
}

/// What a run did, for the summary line.
#[derive(Default)]
pub struct Summary {
    /// What the timed work is called in the summary line ("locate", "dispatch").
    pub label: &'static str,
    pub rows: usize,
    pub skipped: usize,
    pub unowned: usize,
    pub locate_time: Duration,
}

impl Summary {
    pub fn print(&self, total: Duration) {
        let located = self.rows - self.skipped;
        let rate = located as f64 / self.locate_time.as_secs_f64().max(1e-9);
        eprintln!(
            "{} rows: {} processed ({} with no owner), {} skipped; {} {:.2?} ({:.2} M points/s), total {:.2?}",
            self.rows,
            located,
            self.unowned,
            self.skipped,
            self.label,
            self.locate_time,
            rate / 1e6,
            total
        );
    }
}

/// Reads `input`, calls `locate(lons, lats, rows)` per chunk of valid rows (it returns the
/// extra columns for each row, or `None` for a row it rejected and reported, which is left out
/// and counted as skipped) and writes every input column plus `extra_headers`.
pub fn run<F>(
    input: &Path,
    output: &Path,
    cols: &PointColumns,
    extra_headers: &[String],
    label: &'static str,
    mut locate: F,
) -> CliResult<Summary>
where
    F: FnMut(
        &[f64],
        &[f64],
        &[csv::StringRecord],
        &mut Summary,
    ) -> CliResult<Vec<Option<Vec<String>>>>,
{
    let file = File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new().from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: cannot read the header row: {e}", input.display()))?
        .clone();
    let find = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            format!(
                "{}: no column {name:?} (columns: {})",
                input.display(),
                headers.iter().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let (ilon, ilat) = (find(cols.lon)?, find(cols.lat)?);
    for h in extra_headers {
        if headers.iter().any(|x| x == h) {
            return Err(format!(
                "{}: the input already has a column {h:?}, which the output adds",
                input.display()
            ));
        }
    }
    let mut writer =
        csv::Writer::from_path(output).map_err(|e| format!("{}: {e}", output.display()))?;
    let mut out_headers = headers.clone();
    out_headers.extend(extra_headers);
    writer
        .write_record(&out_headers)
        .map_err(|e| e.to_string())?;

    let bar = if size > PROGRESS_BYTES {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut summary = Summary {
        label,
        ..Summary::default()
    };
    let mut rows: Vec<csv::StringRecord> = Vec::with_capacity(CHUNK);
    let (mut lons, mut lats) = (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK));
    let mut record = csv::StringRecord::new();
    loop {
        let more = match reader.read_record(&mut record) {
            Ok(more) => more,
            Err(e) if cols.skip_invalid && !matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                summary.rows += 1;
                summary.skipped += 1;
                eprintln!("{}; skipped", row_error(input, &e));
                continue;
            }
            Err(e) => return Err(row_error(input, &e)),
        };
        if more {
            summary.rows += 1;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            match parse_point(&record, ilon, ilat, cols) {
                Ok((x, y)) => {
                    lons.push(x);
                    lats.push(y);
                    rows.push(record.clone());
                }
                Err(why) if cols.skip_invalid => {
                    summary.skipped += 1;
                    eprintln!("{} line {line}: {why}; skipped", input.display());
                }
                Err(why) => {
                    return Err(format!(
                        "{} line {line}: {why} (use --skip-invalid to continue past bad rows)",
                        input.display()
                    ))
                }
            }
        }
        if rows.len() == CHUNK || (!more && !rows.is_empty()) {
            let extra = locate(&lons, &lats, &rows, &mut summary)?;
            for (row, cells) in rows.iter().zip(extra) {
                let Some(cells) = cells else {
                    summary.skipped += 1;
                    continue;
                };
                let mut out = row.clone();
                out.extend(cells);
                writer.write_record(&out).map_err(|e| e.to_string())?;
            }
            rows.clear();
            lons.clear();
            lats.clear();
            bar.set_position(reader.position().byte());
        }
        if !more {
            break;
        }
    }
    bar.finish_and_clear();
    writer
        .flush()
        .map_err(|e| format!("{}: {e}", output.display()))?;
    Ok(summary)
}

pub fn row_error(input: &Path, e: &csv::Error) -> String {
    match e.position() {
        Some(p) => format!("{} line {}: malformed CSV: {e}", input.display(), p.line()),
        None => format!("{}: malformed CSV: {e}", input.display()),
    }
}

pub fn parse_point(
    record: &csv::StringRecord,
    ilon: usize,
    ilat: usize,
    cols: &PointColumns,
) -> Result<(f64, f64), String> {
    let get = |i: usize, name: &str| -> Result<f64, String> {
        let raw = record
            .get(i)
            .ok_or_else(|| format!("column {name:?} is missing"))?;
        let v: f64 = raw
            .trim()
            .parse()
            .map_err(|_| format!("column {name:?}: {raw:?} is not a number"))?;
        if !v.is_finite() {
            return Err(format!("column {name:?}: {raw:?} is not finite"));
        }
        Ok(v)
    };
    let (x, y) = (get(ilon, cols.lon)?, get(ilat, cols.lat)?);
    match wangge::crs::coordinate_problem(x, y) {
        None => Ok((x, y)),
        Some(problem) => Err(format!(
            "coordinate out of range: {problem} (lon {x}, lat {y})"
        )),
    }
}

/// Elapsed-time helper for the locate closure.
pub fn timed<T>(summary: &mut Summary, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    summary.locate_time += start.elapsed();
    out
}
