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
//! its line number (the header is line 1) and its row position (from 0). The reader either
//! stops at the first one ([`Error::BadRow`]) or collects them and leaves those rows out.
//!
//! Two sources of rows share one check ([`RowChecker`]) and, in [`super::join`], one tally: a
//! CSV file read in chunks ([`CaseReader`]) and an in-memory table of typed columns
//! ([`CaseTable`], e.g. a DataFrame's numpy arrays), whose numbers and timestamps are taken as
//! they are and whose text is read as a CSV field would be.
//!
//! A CSV file is read by [`crate::io::csv_input`], under its rules: UTF-8 or GBK/GB18030
//! (detected, or as [`crate::io::csv_input::CsvOptions`] say), a byte-order mark stripped,
//! quoted line breaks, lines counted where a record starts. A row with fewer or more fields
//! than the header is a bad row like any other; a byte the encoding cannot read, a record over
//! the length limit or a quote left open stop the reading even with `skip_invalid`. Columns
//! not listed above are ignored; a header naming a listed column twice is an
//! [`Error::Table`].

use super::time::{format_timestamp, parse_timestamp, Timestamp};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::io::csv_input::{find_column, CsvOptions, CsvReader};
use std::borrow::Cow;
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
    /// The row's position among the data rows, from 0 (the header is not a row).
    pub row: u64,
    /// 1-based line number in a CSV file (the header is line 1); 0 for an in-memory table.
    pub line: u64,
    /// The column.
    pub column: String,
    /// The value as written.
    pub value: String,
    /// What is wrong.
    pub reason: String,
}

impl RowProblem {
    /// As an error of `source_name`: [`Error::BadRow`] with the line for a file, an
    /// [`Error::Table`] naming the row for an in-memory table (`line` 0).
    pub fn to_error(&self, source_name: &str) -> Error {
        if self.line == 0 {
            return Error::Table {
                source_name: source_name.to_string(),
                reason: format!(
                    "row {}: column {:?}: {} (value {:?})",
                    self.row, self.column, self.reason, self.value
                ),
            };
        }
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
    /// Finds the columns in a header (names trimmed); `lon` and `lat` are required
    /// ([`Error::MissingColumn`]); a column named twice is an [`Error::Table`].
    pub fn from_headers<'h>(
        source_name: &str,
        headers: impl IntoIterator<Item = &'h str>,
        columns: &CaseColumns,
    ) -> Result<CaseSchema> {
        let headers: Vec<&str> = headers.into_iter().collect();
        let mut index = [None; 11];
        for (slot, c) in index.iter_mut().zip(COLUMNS) {
            *slot = find_column(source_name, headers.iter().copied(), columns.name(c))?;
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
    /// Line of each row in the file (0 for an in-memory table).
    pub lines: Vec<u64>,
    /// Position of each row among the data rows, from 0.
    pub rows: Vec<u64>,
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

/// One value of a case table as the row check sees it: CSV fields are [`Cell::Text`];
/// in-memory columns ([`CaseTable`]) also give numbers and timestamps directly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text as written (empty = missing).
    Text(&'a str),
    /// A number (NaN = missing).
    Number(f64),
    /// A timestamp ([`super::time`] clock).
    Time(Timestamp),
    /// No value.
    Missing,
}

impl<'a> Cell<'a> {
    /// Whether the cell holds no value (missing, empty or blank text, NaN).
    pub fn is_missing(&self) -> bool {
        match self {
            Cell::Text(s) => s.trim().is_empty(),
            Cell::Number(x) => x.is_nan(),
            Cell::Time(_) => false,
            Cell::Missing => true,
        }
    }

    /// The value as text: trimmed text, whole numbers without a fraction (`6`, not `6.0`),
    /// timestamps as `YYYY-MM-DD HH:MM:SS`, "" when missing.
    pub fn text(&self) -> Cow<'a, str> {
        match *self {
            Cell::Text(s) => Cow::Borrowed(s.trim()),
            Cell::Number(x) if x.is_nan() => Cow::Borrowed(""),
            Cell::Number(x) if x.fract() == 0.0 && x.abs() < 9e15 => {
                Cow::Owned(format!("{}", x as i64))
            }
            Cell::Number(x) => Cow::Owned(format!("{x}")),
            Cell::Time(t) => Cow::Owned(format_timestamp(t)),
            Cell::Missing => Cow::Borrowed(""),
        }
    }

    /// The value as a number: numbers as they are, text parsed; `Err(())` for text that is not
    /// a number and for timestamps; `Ok(None)` when missing.
    fn number(&self) -> std::result::Result<Option<f64>, ()> {
        if self.is_missing() {
            return Ok(None);
        }
        match *self {
            Cell::Number(x) => Ok(Some(x)),
            Cell::Text(s) => s.trim().parse::<f64>().map(Some).map_err(|_| ()),
            _ => Err(()),
        }
    }
}

/// The row check shared by every source of rows ([`CaseReader`] for CSV, [`CaseTable`] in
/// memory): checks each row (module docs), interns categories and departments, and appends
/// the good rows to a [`CaseChunk`].
pub struct RowChecker<'c> {
    schema: CaseSchema,
    catalog: Option<&'c Catalog>,
    skip_invalid: bool,
    categories: Interner,
    departments: Interner,
    problems: Vec<RowProblem>,
    rows: u64,
}

impl<'c> RowChecker<'c> {
    /// With a `catalog`, categories must be classes of it. With `skip_invalid`, bad rows are
    /// collected ([`RowChecker::problems`]) and left out; without, the first one is an error
    /// ([`RowProblem::to_error`]).
    pub fn new(schema: CaseSchema, catalog: Option<&'c Catalog>, skip_invalid: bool) -> Self {
        RowChecker {
            schema,
            catalog,
            skip_invalid,
            categories: Interner::default(),
            departments: Interner::default(),
            problems: Vec::new(),
            rows: 0,
        }
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
    /// Data rows checked so far, good and bad.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Counts a row that cannot be read at all (e.g. a CSV row of the wrong width) as bad:
    /// collected or returned as the error, as chosen in [`RowChecker::new`].
    pub fn reject(&mut self, line: u64, column: &str, value: &str, reason: &str) -> Result<()> {
        let problem = RowProblem {
            row: self.rows,
            line,
            column: column.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        };
        self.rows += 1;
        if !self.skip_invalid {
            return Err(problem.to_error(&self.schema.source_name));
        }
        self.problems.push(problem);
        Ok(())
    }

    /// Checks the next row (`line` in the file, 0 for in-memory tables; `get` gives a column's
    /// cell, `None` when the table has no such column) and appends it to `chunk` when good.
    /// A bad row is collected or returned as the error, as chosen in [`RowChecker::new`].
    pub fn push<'r>(
        &mut self,
        line: u64,
        get: impl Fn(Column) -> Option<Cell<'r>>,
        chunk: &mut CaseChunk,
    ) -> Result<()> {
        let row = self.rows;
        self.rows += 1;
        if let Err(problem) = self.check(row, line, get, chunk) {
            if !self.skip_invalid {
                return Err(problem.to_error(&self.schema.source_name));
            }
            self.problems.push(problem);
        }
        Ok(())
    }

    /// Checks one row and appends it; nothing is appended when it is bad.
    fn check<'r>(
        &mut self,
        row: u64,
        line: u64,
        get: impl Fn(Column) -> Option<Cell<'r>>,
        chunk: &mut CaseChunk,
    ) -> std::result::Result<(), RowProblem> {
        let schema = &self.schema;
        let problem = |c: Column, value: &Cell<'_>, reason: &str| RowProblem {
            row,
            line,
            column: schema.columns.name(c).to_string(),
            value: value.text().into_owned(),
            reason: reason.to_string(),
        };
        let coordinate = |c: Column, limit: f64| {
            let v = get(c).unwrap_or(Cell::Missing);
            match v.number() {
                Ok(Some(x)) if x.is_finite() && x.abs() <= limit => Ok(x),
                Ok(Some(_)) => Err(problem(c, &v, &format!("not a coordinate within ±{limit}"))),
                Ok(None) => Err(problem(c, &v, "missing coordinate")),
                Err(()) => Err(problem(c, &v, "not a number")),
            }
        };
        let lon = coordinate(Column::Lon, 180.0)?;
        let lat = coordinate(Column::Lat, 90.0)?;
        let time = |c: Column, required: bool| -> std::result::Result<_, RowProblem> {
            let Some(v) = get(c) else { return Ok(None) };
            if v.is_missing() {
                return if required {
                    Err(problem(c, &v, "missing time"))
                } else {
                    Ok(None)
                };
            }
            let parsed = match v {
                Cell::Time(t) => Some(t),
                Cell::Text(s) => parse_timestamp(s),
                _ => None,
            };
            parsed
                .map(Some)
                .ok_or_else(|| problem(c, &v, "not a time (YYYY-MM-DD[ HH:MM[:SS]])"))
        };
        let category = match get(Column::Category) {
            None => None,
            Some(v) if v.is_missing() => {
                return Err(problem(Column::Category, &v, "missing category"))
            }
            Some(v) => {
                let text = v.text();
                if let Some(catalog) = self.catalog {
                    if catalog.get(&text).is_none() {
                        return Err(problem(Column::Category, &v, "unknown category"));
                    }
                }
                Some(text)
            }
        };
        let reported = time(Column::ReportedAt, true)?;
        let closed = time(Column::ClosedAt, false)?;
        if let (Some(r), Some(c)) = (reported, closed) {
            if c < r {
                let v = get(Column::ClosedAt).unwrap_or(Cell::Missing);
                return Err(problem(Column::ClosedAt, &v, "before reported_at"));
            }
        }
        let mut deadline = time(Column::Deadline, false)?;
        if deadline.is_none() {
            if let Some(v) = get(Column::TimeLimitH).filter(|v| !v.is_missing()) {
                let hours = v
                    .number()
                    .ok()
                    .flatten()
                    .filter(|h| h.is_finite() && *h >= 0.0 && *h < 1e6)
                    .ok_or_else(|| problem(Column::TimeLimitH, &v, "not a number of hours"))?;
                deadline = reported.map(|r| r + (hours * 3_600.0).round() as i64);
            }
        }
        if deadline.is_none() && self.schema.has_deadlines() {
            let (c, v) = match get(Column::Deadline) {
                Some(v) => (Column::Deadline, v),
                None => (
                    Column::TimeLimitH,
                    get(Column::TimeLimitH).unwrap_or(Cell::Missing),
                ),
            };
            return Err(problem(c, &v, "missing deadline"));
        }
        let status = match get(Column::Status) {
            None => None,
            Some(v) => Some(Status::parse(&v.text()).ok_or_else(|| {
                problem(
                    Column::Status,
                    &v,
                    "unknown status (1 待受理, 3 立案派遣, 4 处理中, 5 核查结案, 6 结案, 7 作废, 8 挂账, 9 督查)",
                )
            })?),
        };
        if let Some(s) = status {
            if s.finished() && closed.is_none() && self.schema.has(Column::ClosedAt) {
                let v = get(Column::Status).unwrap_or(Cell::Missing);
                return Err(problem(
                    Column::ClosedAt,
                    &v,
                    "finished status without closed_at",
                ));
            }
        }
        let rework = match get(Column::Rework) {
            None => 0,
            Some(v) if v.is_missing() => 0,
            Some(v) => rework_count(&v)
                .ok_or_else(|| problem(Column::Rework, &v, "not a count or yes/no (是/否)"))?,
        };
        let department = match get(Column::Department) {
            None => NONE,
            Some(v) if v.is_missing() => NONE,
            Some(v) => self.departments.intern(&v.text()),
        };
        let category = category.map_or(NONE, |c| self.categories.intern(&c));
        chunk.lines.push(line);
        chunk.rows.push(row);
        chunk.lons.push(lon);
        chunk.lats.push(lat);
        chunk.categories.push(category);
        chunk.reported_at.push(reported);
        chunk.deadlines.push(deadline);
        chunk.closed_at.push(closed);
        chunk.statuses.push(status);
        chunk.rework.push(rework);
        chunk.departments.push(department);
        Ok(())
    }
}

/// A rework cell: a count (`0`, `1`, `2`…) or yes/no (`true`/`false`, `是`/`否`, `Y`/`N`).
fn rework_count(v: &Cell<'_>) -> Option<u32> {
    match *v {
        Cell::Number(x) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
            Some(x as u32)
        }
        Cell::Text(s) => match s.trim() {
            "true" | "yes" | "是" | "Y" | "y" => Some(1),
            "false" | "no" | "否" | "N" | "n" => Some(0),
            t => t.parse::<u32>().ok(),
        },
        _ => None,
    }
}

/// Reads a case CSV in chunks, so a table of any length runs in bounded memory.
pub struct CaseReader<'c, R: Read> {
    csv: CsvReader<R>,
    checker: RowChecker<'c>,
    record: csv::StringRecord,
}

impl<'c, R: Read> CaseReader<'c, R> {
    /// Reads the header, with the default [`CsvOptions`] (encoding detected). With a
    /// `catalog`, categories must be classes of it. With `skip_invalid`, bad rows are collected
    /// ([`CaseReader::problems`]) and left out; without, the first one is returned as
    /// [`Error::BadRow`].
    pub fn new(
        source_name: &str,
        input: R,
        columns: &CaseColumns,
        catalog: Option<&'c Catalog>,
        skip_invalid: bool,
    ) -> Result<Self> {
        Self::with_csv_options(
            source_name,
            input,
            columns,
            catalog,
            skip_invalid,
            &CsvOptions::default(),
        )
    }

    /// [`CaseReader::new`] with the CSV options (encoding, record length limit).
    pub fn with_csv_options(
        source_name: &str,
        input: R,
        columns: &CaseColumns,
        catalog: Option<&'c Catalog>,
        skip_invalid: bool,
        options: &CsvOptions,
    ) -> Result<Self> {
        let csv = CsvReader::new(source_name, input, options)?;
        let headers = csv.headers().iter().map(String::as_str);
        let schema = CaseSchema::from_headers(source_name, headers, columns)?;
        Ok(CaseReader {
            csv,
            checker: RowChecker::new(schema, catalog, skip_invalid),
            record: csv::StringRecord::new(),
        })
    }

    /// The row check, with what it has seen so far (categories, departments, problems).
    pub fn checker(&self) -> &RowChecker<'c> {
        &self.checker
    }
    /// The table's columns.
    pub fn schema(&self) -> &CaseSchema {
        self.checker.schema()
    }
    /// Categories seen so far.
    pub fn categories(&self) -> &Interner {
        self.checker.categories()
    }
    /// Departments seen so far (from the `department` column).
    pub fn departments(&self) -> &Interner {
        self.checker.departments()
    }
    /// Bad rows seen so far (with `skip_invalid`).
    pub fn problems(&self) -> &[RowProblem] {
        self.checker.problems()
    }
    /// Data rows read so far, good and bad.
    pub fn rows(&self) -> u64 {
        self.checker.rows()
    }

    /// The encoding the file is read in ([`CsvReader::encoding`]).
    pub fn encoding(&self) -> &'static str {
        self.csv.encoding()
    }

    /// Reads up to `max_rows` good rows; an empty chunk at the end of the file.
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<CaseChunk> {
        let mut chunk = CaseChunk::default();
        while chunk.len() < max_rows.max(1) {
            let line = match self.csv.read(&mut self.record) {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(Error::BadRow {
                    line,
                    column,
                    value,
                    reason,
                    ..
                }) if self.csv.can_go_on() => {
                    self.checker.reject(line, &column, &value, &reason)?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let record = &self.record;
            let schema = &self.checker.schema;
            let positions = schema.index;
            let get =
                |c: Column| positions[c as usize].map(|i| Cell::Text(record.get(i).unwrap_or("")));
            self.checker.push(line, get, &mut chunk)?;
        }
        Ok(chunk)
    }
}

/// One column of an in-memory case table ([`CaseTable`]), borrowed from the caller (numpy
/// arrays in the Python binding).
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    /// Text, dictionary-encoded: row `i` is `names[codes[i]]`; a negative code is missing.
    Text {
        /// Index into `names` per row.
        codes: &'a [i64],
        /// The distinct values.
        names: &'a [String],
    },
    /// Numbers; NaN is missing.
    Number(&'a [f64]),
    /// Timestamps ([`super::time`] clock: seconds since 1970-01-01 of the wall clock);
    /// `i64::MIN` (numpy's NaT) is missing.
    Time(&'a [i64]),
}

impl<'a> Values<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Values::Text { codes, .. } => codes.len(),
            Values::Number(v) => v.len(),
            Values::Time(v) => v.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell of row `i` (`i < len`).
    fn cell(&self, i: usize) -> Cell<'a> {
        match *self {
            Values::Text { codes, names } => match usize::try_from(codes[i]) {
                Ok(k) => names.get(k).map_or(Cell::Missing, |s| Cell::Text(s)),
                Err(_) => Cell::Missing,
            },
            Values::Number(v) => Cell::Number(v[i]),
            Values::Time(v) if v[i] == i64::MIN => Cell::Missing,
            Values::Time(v) => Cell::Time(v[i]),
        }
    }
}

/// A case table held in memory, column by column (a DataFrame's columns), read by
/// [`super::Analyst::case_stats_table`] through the same row check and tally as a CSV file.
/// Columns are found by name ([`CaseColumns`]), as in a CSV header; other columns are ignored.
/// Row problems carry the row's position (`row`, from 0) and `line` 0.
#[derive(Debug, Clone)]
pub struct CaseTable<'a> {
    source_name: String,
    names: Vec<String>,
    columns: Vec<Values<'a>>,
    len: usize,
}

impl<'a> CaseTable<'a> {
    /// A table of named columns, which must all have the same length ([`Error::Table`]
    /// naming the first that differs).
    pub fn new(source_name: &str, columns: Vec<(String, Values<'a>)>) -> Result<Self> {
        let len = columns.first().map_or(0, |(_, v)| v.len());
        if let Some((name, v)) = columns.iter().find(|(_, v)| v.len() != len) {
            return Err(Error::Table {
                source_name: source_name.to_string(),
                reason: format!(
                    "column {name:?} has {} rows, column {:?} has {len}",
                    v.len(),
                    columns[0].0
                ),
            });
        }
        for (name, v) in &columns {
            if let Values::Text { codes, names } = v {
                if let Some(c) = codes.iter().find(|&&c| c >= names.len() as i64) {
                    return Err(Error::Table {
                        source_name: source_name.to_string(),
                        reason: format!(
                            "column {name:?}: code {c} but only {} values",
                            names.len()
                        ),
                    });
                }
            }
        }
        let (names, columns) = columns.into_iter().unzip();
        Ok(CaseTable {
            source_name: source_name.to_string(),
            names,
            columns,
            len,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The table's name for messages.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The schema under `columns` (`lon` and `lat` are required, [`Error::MissingColumn`]).
    pub fn schema(&self, columns: &CaseColumns) -> Result<CaseSchema> {
        CaseSchema::from_headers(
            &self.source_name,
            self.names.iter().map(String::as_str),
            columns,
        )
    }

    /// Checks rows `start..end` with `checker` (built on [`CaseTable::schema`]) into a chunk.
    pub fn chunk(
        &self,
        checker: &mut RowChecker<'_>,
        start: usize,
        end: usize,
    ) -> Result<CaseChunk> {
        let mut chunk = CaseChunk::default();
        let positions = checker.schema().index;
        for i in start..end.min(self.len) {
            let get = |c: Column| positions[c as usize].map(|k| self.columns[k].cell(i));
            checker.push(0, get, &mut chunk)?;
        }
        Ok(chunk)
    }
}
