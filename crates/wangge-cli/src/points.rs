//! Streaming CSV points: read rows in chunks, locate them, write them back with added columns.

use crate::{ctx, CliResult};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};
use wangge::io::csv_input::{CsvOptions, CsvReader, Encoding};

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
    /// Text encoding of the CSV input: auto (UTF-8, or GBK/GB18030 when the text is not UTF-8
    /// but clean GBK; UTF-16 with a byte-order mark), utf-8 or gbk. A byte the encoding
    /// cannot read stops the run with its line (see `wangge::io::csv_input`).
    #[arg(long, default_value = "auto")]
    pub encoding: Encoding,
}

impl ColumnArgs {
    /// The CSV options these arguments give.
    pub fn csv_options(&self) -> CsvOptions {
        CsvOptions::with_encoding(self.encoding)
    }
}

/// Where the coordinates are and what to do with bad rows.
pub struct PointColumns<'a> {
    pub lon: &'a str,
    pub lat: &'a str,
    pub skip_invalid: bool,
    pub encoding: Encoding,
}

impl PointColumns<'_> {
    /// Opens a point CSV (the rules of `wangge::io::csv_input`) and finds its coordinate
    /// columns.
    pub fn open(&self, input: &Path) -> CliResult<(CsvReader<File>, usize, usize)> {
        let file = File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let name = input.display().to_string();
        let reader = ctx(CsvReader::new(
            &name,
            file,
            &CsvOptions::with_encoding(self.encoding),
        ))?;
        let find = |column: &str| {
            ctx(reader.column(column))?.ok_or_else(|| {
                format!(
                    "{name}: no column {column:?} (columns: {})",
                    reader.headers().join(", ")
                )
            })
        };
        let (ilon, ilat) = (find(self.lon)?, find(self.lat)?);
        Ok((reader, ilon, ilat))
    }
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
    let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let (mut reader, ilon, ilat) = cols.open(input)?;
    let headers = csv::StringRecord::from(reader.headers().to_vec());
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
        let next = match reader.read(&mut record) {
            Ok(next) => next,
            Err(e) if cols.skip_invalid && reader.can_go_on() => {
                summary.rows += 1;
                summary.skipped += 1;
                eprintln!("{e}; skipped");
                continue;
            }
            Err(e) => return Err(e.to_string()),
        };
        let more = next.is_some();
        if let Some(line) = next {
            summary.rows += 1;
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
            bar.set_position(reader.bytes_read());
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
