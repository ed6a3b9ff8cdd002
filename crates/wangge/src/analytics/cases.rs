//! The case table (案卷): columns, row checks and a streaming CSV reader.
//!
//! One row per case. Column names are configurable ([`CaseColumns`]); the defaults:
//!
//! | column | content | needed for |
//! |---|---|---|
//! | `lon`, `lat` | the case's point (CRS chosen by the caller) | everything (required) |
//! | `id` | case id (kept for messages only) | — |
//! | `category` | class code of the code table (component class or event code) | the department rule, per-category H3 counts |
//! | `reported_at` | time reported ([`super::time`] formats) | deadlines from `time_limit_h` |
//! | `deadline` | time the case must be handled by | 按期处置率, 超期处置数 (or `time_limit_h` + `reported_at`) |
//! | `time_limit_h` | time limit in hours after `reported_at` (used when `deadline` is absent or empty) | as `deadline` |
//! | `closed_at` | time the department finished handling it (处置完成) | 处置率, 按期处置率, 超期处置数, 返工率 |
//! | `status` | case state ([`Status`]: eGova code 1–9 or its Chinese name) | every indicator |
//! | `rework` | times it was sent back (返工), `0`/`1`/`2`… or `true`/`false`/`是`/`否` | 返工率 |
//! | `department` | handling department code (if absent or empty, the dispatch rule names it) | per-department figures |
//!
//! Every column present is checked on every row: a bad coordinate, a missing or malformed time,
//! an unknown category (when a code table is given), an unknown status, a case closed before it
//! was reported, or a closed status without `closed_at` makes the row a [`RowProblem`] with
//! its line number (the header is line 1). The reader either stops at the first one
//! ([`Error::BadRow`]) or collects them and leaves those rows out.

use super::time::{parse_timestamp, Timestamp};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::io::Read;

/// Names of the case table's columns (module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseColumns {
    /// Case id.
    pub id: String,
    /// Longitude.
    pub lon: String,
    /// Latitude.
    pub lat: String,
    /// Category code.
    pub category: String,
    /// Time reported.
    pub reported_at: String,
    /// Deadline.
    pub deadline: String,
    /// Time limit in hours after `reported_at`.
    pub time_limit_h: String,
    /// Time handled.
    pub closed_at: String,
    /// Status.
    pub status: String,
    /// Rework count or flag.
    pub rework: String,
    /// Department code.
    pub department: String,
}

impl Default for CaseColumns {
    fn default() -> Self {
        let s = |x: &str| x.to_string();
        CaseColumns {
            id: s("id"),
            lon: s("lon"),
            lat: s("lat"),
            category: s("category"),
            reported_at: s("reported_at"),
            deadline: s("deadline"),
            time_limit_h: s("time_limit_h"),
            closed_at: s("closed_at"),
            status: s("status"),
            rework: s("rework"),
            department: s("department"),
        }
    }
}

/// A case's state, as eGova-style systems number them (`cgdbstat.to_stat_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// 1 待受理: reported, not yet accepted.
    Pending = 1,
    /// 3 立案派遣: accepted and dispatched.
    Dispatched = 3,
    /// 4 处理中: being handled.
    Handling = 4,
    /// 5 核查结案: handled, being verified.
    Checking = 5,
    /// 6 结案: closed.
    Closed = 6,
    /// 7 作废: void (not a case).
    Void = 7,
    /// 8 挂账: parked (long-term).
    Parked = 8,
    /// 9 督查: under supervision.
    Supervised = 9,
}

impl Status {
    /// Parses the eGova code (`6`), the Chinese name (`结案`) or the English name of the variant
    /// in lower case (`closed`).
    pub fn parse(text: &str) -> Option<Status> {
        use Status::*;
        Some(match text.trim() {
            "1" | "待受理" | "pending" => Pending,
            "3" | "立案派遣" | "立案" | "派遣" | "dispatched" => Dispatched,
            "4" | "处理中" | "处置中" | "handling" => Handling,
            "5" | "核查结案" | "核查" | "checking" => Checking,
            "6" | "结案" | "closed" => Closed,
            "7" | "作废" | "void" => Void,
            "8" | "挂账" | "parked" => Parked,
            "9" | "督查" | "supervised" => Supervised,
            _ => return None,
        })
    }

    /// Whether the case was accepted for handling (立案, 应处置): every state but 待受理 and
    /// 作废.
    pub fn accepted(self) -> bool {
        !matches!(self, Status::Pending | Status::Void)
    }

    /// Whether the state says the handling is finished (核查结案 or 结案).
    pub fn finished(self) -> bool {
        matches!(self, Status::Checking | Status::Closed)
    }
}

/// A bad row: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    /// 1-based line number (the header is line 1).
    pub line: u64,
    /// The column.
    pub column: String,
    /// The value as written.
    pub value: String,
    /// What is wrong.
    pub reason: String,
}

impl RowProblem {
    /// As an [`Error::BadRow`] of `source_name`.
    pub fn to_error(&self, source_name: &str) -> Error {
        Error::BadRow {
            source_name: source_name.to_string(),
            line: self.line,
            column: self.column.clone(),
            value: self.value.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// A column of the case table, for [`CaseSchema::has`] and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `id`.
    Id,
    /// `lon`.
    Lon,
    /// `lat`.
    Lat,
    /// `category`.
    Category,
    /// `reported_at`.
    ReportedAt,
    /// `deadline`.
    Deadline,
    /// `time_limit_h`.
    TimeLimitH,
    /// `closed_at`.
    ClosedAt,
    /// `status`.
    Status,
    /// `rework`.
    Rework,
    /// `department`.
    Department,
}

const COLUMNS: [Column; 11] = [
    Column::Id,
    Column::Lon,
    Column::Lat,
    Column::Category,
    Column::ReportedAt,
    Column::Deadline,
    Column::TimeLimitH,
    Column::ClosedAt,
    Column::Status,
    Column::Rework,
    Column::Department,
];

impl CaseColumns {
    /// The configured name of a column.
    pub fn name(&self, c: Column) -> &str {
        match c {
            Column::Id => &self.id,
            Column::Lon => &self.lon,
            Column::Lat => &self.lat,
            Column::Category => &self.category,
            Column::ReportedAt => &self.reported_at,
            Column::Deadline => &self.deadline,
            Column::TimeLimitH => &self.time_limit_h,
            Column::ClosedAt => &self.closed_at,
            Column::Status => &self.status,
            Column::Rework => &self.rework,
            Column::Department => &self.department,
        }
    }
}

/// Which columns a table has, found from its header.
#[derive(Debug, Clone)]
pub struct CaseSchema {
    source_name: String,
    columns: CaseColumns,
    index: [Option<usize>; 11],
}

impl CaseSchema {
    /// Finds the columns in a header; `lon` and `lat` are required ([`Error::MissingColumn`]).
    pub fn from_headers<'h>(
        source_name: &str,
        headers: impl IntoIterator<Item = &'h str>,
        columns: &CaseColumns,
    ) -> Result<CaseSchema> {
        let headers: Vec<&str> = headers.into_iter().map(str::trim).collect();
        let mut index = [None; 11];
        for (slot, c) in index.iter_mut().zip(COLUMNS) {
            *slot = headers.iter().position(|h| *h == columns.name(c));
        }
        let schema = CaseSchema {
            source_name: source_name.to_string(),
            columns: columns.clone(),
            index,
        };
        for c in [Column::Lon, Column::Lat] {
            schema.require(c, "the case's point")?;
        }
        Ok(schema)
    }

    /// The table's name for messages.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The column names.
    pub fn columns(&self) -> &CaseColumns {
        &self.columns
    }

    /// The column's position in the row, if the table has it.
    pub fn position(&self, c: Column) -> Option<usize> {
        self.index[c as usize]
    }

    /// Whether the table has the column.
    pub fn has(&self, c: Column) -> bool {
        self.position(c).is_some()
    }

    /// Whether deadlines can be known: a `deadline` column, or `time_limit_h` and
    /// `reported_at`.
    pub fn has_deadlines(&self) -> bool {
        self.has(Column::Deadline) || (self.has(Column::TimeLimitH) && self.has(Column::ReportedAt))
    }

    /// [`Error::MissingColumn`] naming `c` unless the table has it.
    pub fn require(&self, c: Column, needed_for: &str) -> Result<()> {
        if self.has(c) {
            return Ok(());
        }
        Err(Error::MissingColumn {
            source_name: self.source_name.clone(),
            column: self.columns.name(c).to_string(),
            needed_for: needed_for.to_string(),
        })
    }
}

/// "No value" in the interned columns of a [`CaseChunk`].
pub const NONE: u32 = u32::MAX;

/// Strings seen in a column, numbered in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `s`, added if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.ids.insert(s.to_string(), i);
        self.names.push(s.to_string());
        i
    }
    /// The string of an id.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
    /// Every string, by id.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Up to a chunk's worth of good rows, column by column. Absent values: `None` or [`NONE`].
#[derive(Debug, Clone, Default)]
pub struct CaseChunk {
    /// Line of each row in the file.
    pub lines: Vec<u64>,
    /// Longitudes as written (caller's CRS).
    pub lons: Vec<f64>,
    /// Latitudes as written.
    pub lats: Vec<f64>,
    /// Category ids ([`CaseReader::categories`]).
    pub categories: Vec<u32>,
    /// Times reported.
    pub reported_at: Vec<Option<Timestamp>>,
    /// Deadlines (the `deadline` column, else `reported_at + time_limit_h`).
    pub deadlines: Vec<Option<Timestamp>>,
    /// Times handled.
    pub closed_at: Vec<Option<Timestamp>>,
    /// States.
    pub statuses: Vec<Option<Status>>,
    /// Rework counts (0 when the column is absent or empty).
    pub rework: Vec<u32>,
    /// Department ids ([`CaseReader::departments`]).
    pub departments: Vec<u32>,
}

impl CaseChunk {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.lons.len()
    }
    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.lons.is_empty()
    }
}

/// Reads a case CSV in chunks, so a table of any length runs in bounded memory.
pub struct CaseReader<'c, R: Read> {
    csv: csv::Reader<R>,
    schema: CaseSchema,
    catalog: Option<&'c Catalog>,
    skip_invalid: bool,
    categories: Interner,
    departments: Interner,
    problems: Vec<RowProblem>,
    rows: u64,
    record: csv::StringRecord,
}

impl<'c, R: Read> CaseReader<'c, R> {
    /// Reads the header. With a `catalog`, categories must be classes of it. With
    /// `skip_invalid`, bad rows are collected ([`CaseReader::problems`]) and left out; without,
    /// the first one is returned as [`Error::BadRow`].
    pub fn new(
        source_name: &str,
        input: R,
        columns: &CaseColumns,
        catalog: Option<&'c Catalog>,
        skip_invalid: bool,
    ) -> Result<Self> {
        let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(input);
        let headers = csv.headers().map_err(|e| Error::Io {
            path: source_name.to_string(),
            reason: format!("header: {e}"),
        })?;
        let schema = CaseSchema::from_headers(source_name, headers.iter(), columns)?;
        Ok(CaseReader {
            csv,
            schema,
            catalog,
            skip_invalid,
            categories: Interner::default(),
            departments: Interner::default(),
            problems: Vec::new(),
            rows: 0,
            record: csv::StringRecord::new(),
        })
    }

    /// The table's columns.
    pub fn schema(&self) -> &CaseSchema {
        &self.schema
    }
    /// Categories seen so far.
    pub fn categories(&self) -> &Interner {
        &self.categories
    }
    /// Departments seen so far (from the `department` column).
    pub fn departments(&self) -> &Interner {
        &self.departments
    }
    /// Bad rows seen so far (with `skip_invalid`).
    pub fn problems(&self) -> &[RowProblem] {
        &self.problems
    }
    /// Data rows read so far, good and bad.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Reads up to `max_rows` good rows; an empty chunk at the end of the file.
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<CaseChunk> {
        let mut chunk = CaseChunk::default();
        while chunk.len() < max_rows.max(1) {
            let more = self.csv.read_record(&mut self.record).map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                Error::BadRow {
                    source_name: self.schema.source_name.clone(),
                    line,
                    column: String::new(),
                    value: String::new(),
                    reason: format!("malformed CSV: {e}"),
                }
            })?;
            if !more {
                break;
            }
            self.rows += 1;
            let line = self.record.position().map_or(0, |p| p.line());
            let record = std::mem::take(&mut self.record);
            let result = self.push_row(&record, line, &mut chunk);
            self.record = record;
            if let Err(problem) = result {
                if !self.skip_invalid {
                    return Err(problem.to_error(&self.schema.source_name));
                }
                self.problems.push(problem);
            }
        }
        Ok(chunk)
    }

    /// Checks one row and appends it; nothing is appended when it is bad.
    fn push_row(
        &mut self,
        record: &csv::StringRecord,
        line: u64,
        chunk: &mut CaseChunk,
    ) -> std::result::Result<(), RowProblem> {
        let schema = &self.schema;
        let get = |c: Column| {
            schema
                .position(c)
                .map(|i| record.get(i).unwrap_or("").trim())
        };
        let problem = |c: Column, value: &str, reason: &str| RowProblem {
            line,
            column: schema.columns.name(c).to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let coordinate = |c: Column, limit: f64| {
            let v = get(c).unwrap_or("");
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x.abs() <= limit => Ok(x),
                Ok(_) => Err(problem(c, v, &format!("not a coordinate within ±{limit}"))),
                Err(_) if v.is_empty() => Err(problem(c, v, "missing coordinate")),
                Err(_) => Err(problem(c, v, "not a number")),
            }
        };
        let lon = coordinate(Column::Lon, 180.0)?;
        let lat = coordinate(Column::Lat, 90.0)?;
        let time = |c: Column, required: bool| -> std::result::Result<_, RowProblem> {
            match get(c) {
                None => Ok(None),
                Some("") if required => Err(problem(c, "", "missing time")),
                Some("") => Ok(None),
                Some(v) => parse_timestamp(v)
                    .map(Some)
                    .ok_or_else(|| problem(c, v, "not a time (YYYY-MM-DD[ HH:MM[:SS]])")),
            }
        };
        let category = match get(Column::Category) {
            None => None,
            Some("") => return Err(problem(Column::Category, "", "missing category")),
            Some(v) => {
                if let Some(catalog) = self.catalog {
                    if catalog.get(v).is_none() {
                        return Err(problem(Column::Category, v, "unknown category"));
                    }
                }
                Some(v)
            }
        };
        let reported = time(Column::ReportedAt, true)?;
        let closed = time(Column::ClosedAt, false)?;
        if let (Some(r), Some(c)) = (reported, closed) {
            if c < r {
                let v = get(Column::ClosedAt).unwrap_or("");
                return Err(problem(Column::ClosedAt, v, "before reported_at"));
            }
        }
        let mut deadline = time(Column::Deadline, false)?;
        if deadline.is_none() {
            if let Some(v) = get(Column::TimeLimitH).filter(|v| !v.is_empty()) {
                let hours = v
                    .parse::<f64>()
                    .ok()
                    .filter(|h| h.is_finite() && *h >= 0.0 && *h < 1e6)
                    .ok_or_else(|| problem(Column::TimeLimitH, v, "not a number of hours"))?;
                deadline = reported.map(|r| r + (hours * 3_600.0).round() as i64);
            }
        }
        if deadline.is_none() && self.schema.has_deadlines() {
            let (c, v) = match get(Column::Deadline) {
                Some(v) => (Column::Deadline, v),
                None => (Column::TimeLimitH, get(Column::TimeLimitH).unwrap_or("")),
            };
            return Err(problem(c, v, "missing deadline"));
        }
        let status = match get(Column::Status) {
            None => None,
            Some(v) => Some(Status::parse(v).ok_or_else(|| {
                problem(
                    Column::Status,
                    v,
                    "unknown status (1 待受理, 3 立案派遣, 4 处理中, 5 核查结案, 6 结案, 7 作废, 8 挂账, 9 督查)",
                )
            })?),
        };
        if let Some(s) = status {
            if s.finished() && closed.is_none() && self.schema.has(Column::ClosedAt) {
                let v = get(Column::Status).unwrap_or("");
                return Err(problem(
                    Column::ClosedAt,
                    v,
                    "finished status without closed_at",
                ));
            }
        }
        let rework = match get(Column::Rework) {
            None | Some("") => 0,
            Some(v) => match v {
                "true" | "yes" | "是" | "Y" | "y" => 1,
                "false" | "no" | "否" | "N" | "n" => 0,
                _ => v
                    .parse::<u32>()
                    .map_err(|_| problem(Column::Rework, v, "not a count or yes/no (是/否)"))?,
            },
        };
        let department = match get(Column::Department) {
            None | Some("") => NONE,
            Some(v) => self.departments.intern(v),
        };
        chunk.lines.push(line);
        chunk.lons.push(lon);
        chunk.lats.push(lat);
        chunk
            .categories
            .push(category.map_or(NONE, |c| self.categories.intern(c)));
        chunk.reported_at.push(reported);
        chunk.deadlines.push(deadline);
        chunk.closed_at.push(closed);
        chunk.statuses.push(status);
        chunk.rework.push(rework);
        chunk.departments.push(department);
        Ok(())
    }
}
