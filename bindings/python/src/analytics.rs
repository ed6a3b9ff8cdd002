//! Case statistics and H3 (`wangge::analytics`): a case table (CSV path or typed columns) in,
//! `CaseStats` with pandas DataFrames out; H3 cells, counts, hexagons and covers.
//!
//! Conversions only: the row checks, the join, the tallies, the indicators and every H3
//! computation are the core's. The Python package (`wangge.analytics`) turns DataFrame
//! columns into the typed columns taken here.

use crate::city::{import_pandas, City};
use crate::coords;
use crate::dispatch::Dispatcher;
use crate::errors;
use h3o::CellIndex;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use wangge::analytics::cases::{CaseTable, Values};
use wangge::analytics::h3::{self as hex, hexagon_feature};
use wangge::analytics::join::{tally_counts, TALLY_COLUMNS};
use wangge::analytics::{
    Analyst, CaseColumns, CaseStats as CoreStats, Indicator, StatsOptions, Tally,
};
use wangge::dispatch::Dispatcher as CoreDispatcher;
use wangge::io::csv_input::{CsvOptions, Encoding};
use wangge::{Error, RegionId};

/// What a case table is joined with: a bare city (departments from the `department` column
/// only) or a dispatcher (its code table checks categories, its rule names departments).
pub(crate) enum Source {
    City(Arc<wangge::City>),
    Dispatcher(Arc<CoreDispatcher>),
}

impl Source {
    pub(crate) fn of(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
        if let Ok(c) = obj.cast::<City>() {
            return Ok(Source::City(c.get().inner.clone()));
        }
        if let Ok(d) = obj.cast::<Dispatcher>() {
            return Ok(Source::Dispatcher(d.get().inner.clone()));
        }
        Err(PyTypeError::new_err(format!(
            "expected a wangge.City or wangge.Dispatcher, got {}",
            obj.get_type().name()?
        )))
    }

    pub(crate) fn city(&self) -> Arc<wangge::City> {
        match self {
            Source::City(c) => c.clone(),
            Source::Dispatcher(d) => d.city().clone(),
        }
    }

    fn analyst(&self) -> Analyst<'_> {
        match self {
            Source::City(c) => Analyst::new(c),
            Source::Dispatcher(d) => Analyst::from_dispatcher(d),
        }
    }
}

/// The case table's column names: the core's defaults, with `overrides` (role → name).
pub(crate) fn case_columns(overrides: Option<BTreeMap<String, String>>) -> PyResult<CaseColumns> {
    let mut c = CaseColumns::default();
    for (role, name) in overrides.unwrap_or_default() {
        let slot = match role.as_str() {
            "id" => &mut c.id,
            "lon" => &mut c.lon,
            "lat" => &mut c.lat,
            "category" => &mut c.category,
            "reported_at" => &mut c.reported_at,
            "deadline" => &mut c.deadline,
            "time_limit_h" => &mut c.time_limit_h,
            "closed_at" => &mut c.closed_at,
            "status" => &mut c.status,
            "rework" => &mut c.rework,
            "department" => &mut c.department,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "columns: unknown role {role:?} (expected id, lon, lat, category, \
                     reported_at, deadline, time_limit_h, closed_at, status, rework, department)"
                )))
            }
        };
        *slot = name;
    }
    Ok(c)
}

fn roles(c: &CaseColumns) -> [(&'static str, &str); 11] {
    [
        ("id", &c.id),
        ("lon", &c.lon),
        ("lat", &c.lat),
        ("category", &c.category),
        ("reported_at", &c.reported_at),
        ("deadline", &c.deadline),
        ("time_limit_h", &c.time_limit_h),
        ("closed_at", &c.closed_at),
        ("status", &c.status),
        ("rework", &c.rework),
        ("department", &c.department),
    ]
}

/// The case table's column names by role: the core's defaults with `columns` applied (what
/// `case_stats` looks for in a table).
#[pyfunction]
#[pyo3(name = "case_columns", signature = (columns = None))]
pub fn case_columns_py(
    columns: Option<BTreeMap<String, String>>,
) -> PyResult<Vec<(String, String)>> {
    let c = case_columns(columns)?;
    Ok(roles(&c)
        .into_iter()
        .map(|(r, n)| (r.to_string(), n.to_string()))
        .collect())
}

fn indicators(list: Option<Vec<String>>) -> PyResult<Option<Vec<Indicator>>> {
    list.map(|names| {
        names
            .iter()
            .map(|s| {
                Indicator::parse(s).ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "unknown indicator {s:?} (expected {} or their Chinese names)",
                        Indicator::ALL.map(|i| i.key()).join(", ")
                    ))
                })
            })
            .collect()
    })
    .transpose()
}

fn options(
    columns: Option<BTreeMap<String, String>>,
    crs: &str,
    h3_res: Option<u8>,
    indicator_names: Option<Vec<String>>,
    skip_invalid: bool,
    chunk_rows: Option<usize>,
) -> PyResult<StatsOptions> {
    let defaults = StatsOptions::default();
    Ok(StatsOptions {
        columns: case_columns(columns)?,
        crs: coords::crs(crs)?,
        h3_resolution: h3_res
            .map(hex::resolution)
            .transpose()
            .map_err(errors::to_py)?,
        indicators: indicators(indicator_names)?,
        skip_invalid,
        chunk_rows: chunk_rows.unwrap_or(defaults.chunk_rows).max(1),
        csv: defaults.csv,
    })
}

/// The CSV options of an `encoding` keyword: `"auto"` (UTF-8, or GBK/GB18030 when the text is
/// not UTF-8 but clean GBK), `"utf-8"` or `"gbk"`; another name is a `WanggeError`.
pub(crate) fn csv_options(encoding: &str) -> PyResult<CsvOptions> {
    let encoding: Encoding = encoding.parse().map_err(errors::to_py)?;
    Ok(CsvOptions::with_encoding(encoding))
}

/// Reads a case CSV in chunks and aggregates it (`wangge.case_stats` with a path). `encoding`:
/// "auto" (UTF-8, or GBK/GB18030 detected), "utf-8" or "gbk"; an undecodable byte raises
/// `DataError` naming its line.
#[pyfunction]
#[pyo3(name = "case_stats_csv", signature = (source, path, *, columns = None, crs = "wgs84", h3_res = None, indicators = None, skip_invalid = false, chunk_rows = None, encoding = "auto"))]
#[allow(clippy::too_many_arguments)]
pub fn case_stats_csv(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    path: PathBuf,
    columns: Option<BTreeMap<String, String>>,
    crs: &str,
    h3_res: Option<u8>,
    indicators: Option<Vec<String>>,
    skip_invalid: bool,
    chunk_rows: Option<usize>,
    encoding: &str,
) -> PyResult<CaseStats> {
    let source = Source::of(source)?;
    let mut options = options(columns, crs, h3_res, indicators, skip_invalid, chunk_rows)?;
    options.csv = csv_options(encoding)?;
    let name = path.display().to_string();
    let stats = errors::detach(py, || {
        let file = std::fs::File::open(&path).map_err(|e| Error::Io {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        let input = std::io::BufReader::with_capacity(1 << 20, file);
        source.analyst().case_stats(&name, input, &options)
    })?;
    Ok(CaseStats::new(source.city(), stats, true))
}

/// One typed column as the Python package passes it: `("number", float64 array)`,
/// `("time", int64 seconds, NaT = i64::MIN)` or `("text", int64 codes, list of str)`.
pub(crate) enum Column<'py> {
    Number(PyReadonlyArray1<'py, f64>),
    Time(PyReadonlyArray1<'py, i64>),
    Text(PyReadonlyArray1<'py, i64>, Vec<String>),
}

pub(crate) fn column<'py>(name: &str, spec: &Bound<'py, PyAny>) -> PyResult<Column<'py>> {
    let bad = || {
        PyTypeError::new_err(format!(
            "column {name:?}: expected (\"number\", float64 array), (\"time\", int64 array) or \
             (\"text\", int64 codes, list of str)"
        ))
    };
    let tuple = spec.cast::<PyTuple>().map_err(|_| bad())?;
    let kind: String = tuple.get_item(0)?.extract().map_err(|_| bad())?;
    let array = tuple.get_item(1)?;
    let contiguous = |a: &Bound<'py, PyAny>, dtype: &str| -> PyResult<Bound<'py, PyAny>> {
        let numpy = a.py().import("numpy")?;
        numpy.call_method1("ascontiguousarray", (a, dtype))
    };
    match (kind.as_str(), tuple.len()) {
        ("number", 2) => Ok(Column::Number(
            contiguous(&array, "float64")?
                .extract()
                .map_err(|_| bad())?,
        )),
        ("time", 2) => Ok(Column::Time(
            contiguous(&array, "int64")?.extract().map_err(|_| bad())?,
        )),
        ("text", 3) => Ok(Column::Text(
            contiguous(&array, "int64")?.extract().map_err(|_| bad())?,
            tuple.get_item(2)?.extract().map_err(|_| bad())?,
        )),
        _ => Err(bad()),
    }
}

pub(crate) fn slice<'a, T: numpy::Element>(a: &'a PyReadonlyArray1<'_, T>) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The typed columns of a table as the Python package passes them (`{name: spec}`).
pub(crate) fn typed_columns<'py>(
    table: &Bound<'py, PyDict>,
) -> PyResult<Vec<(String, Column<'py>)>> {
    let mut held = Vec::new();
    for (k, v) in table.iter() {
        let name: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err("column names must be str"))?;
        let c = column(&name, &v)?;
        held.push((name, c));
    }
    Ok(held)
}

/// The core's view of [`typed_columns`] (borrowing the arrays).
pub(crate) fn column_values<'a>(
    held: &'a [(String, Column<'_>)],
) -> PyResult<Vec<(String, Values<'a>)>> {
    let mut values = Vec::with_capacity(held.len());
    for (name, c) in held {
        let v = match c {
            Column::Number(a) => Values::Number(slice(a)?),
            Column::Time(a) => Values::Time(slice(a)?),
            Column::Text(a, names) => Values::Text {
                codes: slice(a)?,
                names,
            },
        };
        values.push((name.clone(), v));
    }
    Ok(values)
}

/// Aggregates an in-memory case table given as typed columns (`wangge.case_stats` with a
/// DataFrame or a mapping of arrays; the package does the typing).
#[pyfunction]
#[pyo3(name = "case_stats_columns", signature = (source, table, *, source_name = "DataFrame", columns = None, crs = "wgs84", h3_res = None, indicators = None, skip_invalid = false, chunk_rows = None))]
#[allow(clippy::too_many_arguments)]
pub fn case_stats_columns(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    table: &Bound<'_, PyDict>,
    source_name: &str,
    columns: Option<BTreeMap<String, String>>,
    crs: &str,
    h3_res: Option<u8>,
    indicators: Option<Vec<String>>,
    skip_invalid: bool,
    chunk_rows: Option<usize>,
) -> PyResult<CaseStats> {
    let source = Source::of(source)?;
    let options = options(columns, crs, h3_res, indicators, skip_invalid, chunk_rows)?;
    let held = typed_columns(table)?;
    let values = column_values(&held)?;
    let stats = errors::detach(py, || {
        let table = CaseTable::new(source_name, values)?;
        source.analyst().case_stats_table(&table, &options)
    })?;
    Ok(CaseStats::new(source.city(), stats, false))
}

/// What `case_stats` found: counts and indicators per region of every level and per
/// department, the cases outside every region, the bad rows, and H3 cell counts.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct CaseStats {
    city: Arc<wangge::City>,
    stats: CoreStats,
    from_file: bool,
}

impl CaseStats {
    fn new(city: Arc<wangge::City>, stats: CoreStats, from_file: bool) -> Self {
        CaseStats {
            city,
            stats,
            from_file,
        }
    }

    /// The indicators that are rates (`overdue` is already a count column).
    fn rates(&self) -> Vec<Indicator> {
        self.stats
            .indicators
            .iter()
            .copied()
            .filter(|i| *i != Indicator::Overdue)
            .collect()
    }

    /// Counters and rates of `tallies` as DataFrame columns, into `columns`.
    fn figure_columns<'py>(
        &self,
        py: Python<'py>,
        tallies: &[&Tally],
        columns: &Bound<'py, PyDict>,
    ) -> PyResult<()> {
        for (k, name) in TALLY_COLUMNS.iter().enumerate() {
            let v: Vec<i64> = tallies.iter().map(|t| tally_counts(t)[k] as i64).collect();
            columns.set_item(*name, PyArray1::from_vec(py, v))?;
        }
        for i in self.rates() {
            let v: Vec<f64> = tallies
                .iter()
                .map(|t| i.value(t).unwrap_or(f64::NAN))
                .collect();
            columns.set_item(i.key(), PyArray1::from_vec(py, v))?;
        }
        Ok(())
    }

    fn tally_dict<'py>(&self, py: Python<'py>, t: &Tally) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, n) in TALLY_COLUMNS.iter().zip(tally_counts(t)) {
            d.set_item(*name, n)?;
        }
        for i in self.rates() {
            d.set_item(i.key(), i.value(t))?;
        }
        Ok(d)
    }
}

fn cell_strings(cells: impl Iterator<Item = CellIndex>) -> Vec<String> {
    cells.map(|c| c.to_string()).collect()
}

#[pymethods]
impl CaseStats {
    /// Data rows read, good and bad.
    #[getter]
    fn rows(&self) -> u64 {
        self.stats.rows
    }

    /// The level names (top first), for `level()`.
    #[getter]
    fn levels(&self) -> Vec<String> {
        self.city.levels().to_vec()
    }

    /// The indicator keys computed (`handling_rate`, `on_time_rate`, `overdue`,
    /// `rework_rate`, `closing_rate`: those the table has the columns for, or those asked for).
    #[getter]
    fn indicators(&self) -> Vec<&'static str> {
        self.stats.indicators.iter().map(|i| i.key()).collect()
    }

    /// Counters and rates of every good row (a dict; a rate is None when undefined).
    #[getter]
    fn total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.tally_dict(py, &self.stats.total)
    }

    /// Counters and rates of the cases no region owns (a dict).
    #[getter]
    fn outside<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.tally_dict(py, &self.stats.outside)
    }

    /// Cases without a department (no `department` value and no rule, or the rule named
    /// none).
    #[getter]
    fn no_department(&self) -> u64 {
        self.stats.no_department
    }

    /// The H3 resolution of the cell counts (None when none was asked for).
    #[getter]
    fn h3_res(&self) -> Option<u8> {
        self.stats.h3_resolution.map(u8::from)
    }

    /// One level as a DataFrame indexed by region id (`id`): `code`, `name`, `parent` (code
    /// or None), the counters (`cases`, `accepted`, `handled`, `on_time`, `overdue`,
    /// `rework`, `closed`) and the rates (`handling_rate`, …; NaN when undefined). A case
    /// counts in its owner and every ancestor.
    fn level<'py>(
        &self,
        py: Python<'py>,
        level: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py, "CaseStats.level")?;
        let index = City::from_arc(self.city.clone()).level_index(level)?;
        let city = &*self.city;
        let regions: Vec<(RegionId, &wangge::Region)> = city.level_regions(index).collect();
        let columns = PyDict::new(py);
        let ids: Vec<i64> = regions.iter().map(|(id, _)| i64::from(id.0)).collect();
        columns.set_item(
            "code",
            regions
                .iter()
                .map(|(_, r)| r.code.as_str())
                .collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "name",
            regions
                .iter()
                .map(|(_, r)| r.name.as_str())
                .collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "parent",
            regions
                .iter()
                .map(|(_, r)| r.parent.map(|p| city.region(p).code.as_str()))
                .collect::<Vec<_>>(),
        )?;
        let tallies: Vec<&Tally> = regions
            .iter()
            .map(|(id, _)| &self.stats.regions[id.index()])
            .collect();
        self.figure_columns(py, &tallies, &columns)?;
        let kwargs = PyDict::new(py);
        let index = pandas.call_method1("Index", (PyArray1::from_vec(py, ids),))?;
        index.setattr("name", "id")?;
        kwargs.set_item("index", index)?;
        pandas.call_method("DataFrame", (columns,), Some(&kwargs))
    }

    /// Per department, sorted by code: `code`, `name`, the counters and the rates. A fan-out
    /// category (无主井盖) counts once in each of its departments.
    fn departments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py, "CaseStats.departments")?;
        let d = &self.stats.departments;
        let columns = PyDict::new(py);
        columns.set_item(
            "code",
            d.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "name",
            d.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        )?;
        let tallies: Vec<&Tally> = d.iter().map(|x| &x.tally).collect();
        self.figure_columns(py, &tallies, &columns)?;
        pandas.call_method1("DataFrame", (columns,))
    }

    /// The bad rows left out (with `skip_invalid=True`): `row` (position among the data rows,
    /// from 0, as `DataFrame.iloc`), `line` (CSV only: the file line, header = 1), `column`,
    /// `value`, `reason`.
    fn problems<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        problems_frame(
            py,
            "CaseStats.problems",
            &self.stats.problems,
            self.from_file,
        )
    }

    /// H3 cell counts (with `h3_res`): `h3` (the id as PyPI `h3` writes it) and `count`,
    /// sorted by id; with `by_category=True`, one row per (cell, category) with a `category`
    /// column, for the rows that have one.
    #[pyo3(signature = (by_category = false))]
    fn h3<'py>(&self, py: Python<'py>, by_category: bool) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py, "CaseStats.h3")?;
        let cells = self
            .stats
            .cells
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("no H3 counts: pass h3_res to case_stats"))?;
        let columns = PyDict::new(py);
        if by_category {
            let mut rows: Vec<(CellIndex, &str, u64)> = cells
                .by_category
                .iter()
                .map(|(&(c, cat), &n)| (c, self.stats.categories[cat as usize].as_str(), n))
                .collect();
            rows.sort_unstable();
            columns.set_item("h3", cell_strings(rows.iter().map(|r| r.0)))?;
            columns.set_item("category", rows.iter().map(|r| r.1).collect::<Vec<_>>())?;
            let n: Vec<i64> = rows.iter().map(|r| r.2 as i64).collect();
            columns.set_item("count", PyArray1::from_vec(py, n))?;
        } else {
            let sorted = cells.sorted();
            columns.set_item("h3", cell_strings(sorted.iter().map(|r| r.0)))?;
            let n: Vec<i64> = sorted.iter().map(|r| r.1 as i64).collect();
            columns.set_item("count", PyArray1::from_vec(py, n))?;
        }
        pandas.call_method1("DataFrame", (columns,))
    }

    /// The H3 counts as GeoJSON text: one hexagon per cell with `h3`, `count` and
    /// `by_category` (category → count).
    fn h3_geojson(&self) -> PyResult<String> {
        let cells = self
            .stats
            .cells
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("no H3 counts: pass h3_res to case_stats"))?;
        Ok(cells.to_geojson(&self.stats.categories).to_string())
    }

    fn __repr__(&self) -> String {
        format!(
            "CaseStats({} rows, {} cases, {} outside, {} problems, indicators {:?})",
            self.stats.rows,
            self.stats.total.cases,
            self.stats.outside.cases,
            self.stats.problems.len(),
            self.indicators()
        )
    }
}

/// Points to WGS84 (a copy), for the H3 functions.
fn wgs84(
    py: Python<'_>,
    lon: &Bound<'_, PyAny>,
    lat: Option<&Bound<'_, PyAny>>,
    crs: &str,
) -> PyResult<(Vec<f64>, Vec<f64>)> {
    let crs = coords::crs(crs)?;
    let (lon, lat) = coords::arrays(lon, lat)?;
    let (x, y) = coords::slices(&lon, &lat)?;
    let (mut x, mut y) = (x.to_vec(), y.to_vec());
    errors::detach(py, || {
        wangge::crs::Converter::default().to_wgs84_in_place(crs, &mut x, &mut y)?;
        Ok((x, y))
    })
}

/// The H3 cell of each point at resolution `res`, as PyPI `h3` writes ids (None for a NaN,
/// infinite or out-of-range point).
#[pyfunction]
#[pyo3(signature = (lon, lat = None, res = 9, *, crs = "wgs84"))]
pub fn h3_cells<'py>(
    py: Python<'py>,
    lon: &Bound<'py, PyAny>,
    lat: Option<&Bound<'py, PyAny>>,
    res: u8,
    crs: &str,
) -> PyResult<Vec<Option<String>>> {
    let (x, y) = wgs84(py, lon, lat, crs)?;
    let cells = errors::detach(py, || hex::cells_of(&x, &y, hex::resolution(res)?))?;
    Ok(cells
        .into_iter()
        .map(|c| c.map(|c| c.to_string()))
        .collect())
}

/// Sum of `weights` (1 per point without) per H3 cell: `(ids, sums)` sorted by id; points
/// without a cell are left out.
#[pyfunction]
#[pyo3(signature = (lon, lat = None, res = 9, *, weights = None, crs = "wgs84"))]
pub fn h3_aggregate<'py>(
    py: Python<'py>,
    lon: &Bound<'py, PyAny>,
    lat: Option<&Bound<'py, PyAny>>,
    res: u8,
    weights: Option<&Bound<'py, PyAny>>,
    crs: &str,
) -> PyResult<(Vec<String>, Bound<'py, PyArray1<f64>>)> {
    let (x, y) = wgs84(py, lon, lat, crs)?;
    let numpy = py.import("numpy")?;
    let w = weights
        .filter(|w| !w.is_none())
        .map(|w| coords::array(w, "weights", &numpy))
        .transpose()?;
    let w = w.as_ref().map(slice).transpose()?;
    let sums = errors::detach(py, || hex::aggregate(&x, &y, w, hex::resolution(res)?))?;
    let ids = cell_strings(sums.iter().map(|(c, _)| *c));
    let values = PyArray1::from_vec(py, sums.into_iter().map(|(_, v)| v).collect());
    Ok((ids, values))
}

fn parse_cell(text: &str) -> PyResult<CellIndex> {
    text.trim().parse::<CellIndex>().map_err(|e| {
        errors::to_py(Error::Table {
            source_name: "H3 cell".into(),
            reason: format!("{text:?} is not an H3 cell id: {e}"),
        })
    })
}

/// The hexagons of H3 cells (ids as PyPI `h3` writes them) as GeoJSON text: a
/// FeatureCollection with one Polygon per cell (WGS84, closed counter-clockwise ring) and the
/// property `h3`.
#[pyfunction]
pub fn h3_hexagons(py: Python<'_>, cells: Vec<String>) -> PyResult<String> {
    let cells: Vec<CellIndex> = cells
        .iter()
        .map(|c| parse_cell(c))
        .collect::<PyResult<_>>()?;
    errors::detach(py, || {
        let features: Vec<serde_json::Value> = cells
            .iter()
            .map(|c| {
                let mut props = serde_json::Map::new();
                props.insert("h3".into(), serde_json::Value::String(c.to_string()));
                hexagon_feature(*c, props)
            })
            .collect();
        Ok(serde_json::json!({"type": "FeatureCollection", "features": features}).to_string())
    })
}

fn region_id(city: &wangge::City, region: &Bound<'_, PyAny>) -> PyResult<RegionId> {
    if let Ok(code) = region.extract::<String>() {
        return city.by_code(&code).ok_or_else(|| {
            errors::to_py(Error::UnknownId {
                kind: "region",
                id: code,
            })
        });
    }
    let id: i64 = region
        .extract()
        .map_err(|_| PyTypeError::new_err("region must be a region code (str) or id (int)"))?;
    if id < 0 || id as u64 >= city.len() as u64 {
        return Err(pyo3::exceptions::PyIndexError::new_err(format!(
            "region id {id} out of range (the city has {} regions)",
            city.len()
        )));
    }
    Ok(RegionId(id as u32))
}

/// A region's H3 cover at resolution `res`: the cells whose centre lies in it (regions that
/// share a border share no cell), sorted by id. `region` is a code or a region id.
#[pyfunction]
pub fn h3_cover(
    py: Python<'_>,
    city: &City,
    region: &Bound<'_, PyAny>,
    res: u8,
) -> PyResult<Vec<String>> {
    let inner = &*city.inner;
    let id = region_id(inner, region)?;
    let cells = errors::detach(py, || hex::cover(inner.region(id), hex::resolution(res)?))?;
    Ok(cell_strings(cells.into_iter()))
}

/// The H3 cover of every region of one level: `(region ids, h3 ids)`, one pair per cell, in
/// region id order.
#[pyfunction]
pub fn h3_cover_level<'py>(
    py: Python<'py>,
    city: &City,
    level: &Bound<'py, PyAny>,
    res: u8,
) -> PyResult<(Bound<'py, PyArray1<i64>>, Vec<String>)> {
    let index = city.level_index(level)?;
    let inner = &*city.inner;
    let covers = errors::detach(py, || hex::cover_level(inner, index, hex::resolution(res)?))?;
    let mut ids = Vec::new();
    let mut cells = Vec::new();
    for (id, list) in covers {
        for c in list {
            ids.push(i64::from(id.0));
            cells.push(c.to_string());
        }
    }
    Ok((PyArray1::from_vec(py, ids), cells))
}

/// Registers the functions and classes of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CaseStats>()?;
    m.add_function(wrap_pyfunction!(case_stats_csv, m)?)?;
    m.add_function(wrap_pyfunction!(case_stats_columns, m)?)?;
    m.add_function(wrap_pyfunction!(case_columns_py, m)?)?;
    m.add_function(wrap_pyfunction!(h3_cells, m)?)?;
    m.add_function(wrap_pyfunction!(h3_aggregate, m)?)?;
    m.add_function(wrap_pyfunction!(h3_hexagons, m)?)?;
    m.add_function(wrap_pyfunction!(h3_cover, m)?)?;
    m.add_function(wrap_pyfunction!(h3_cover_level, m)?)?;
    Ok(())
}

/// Bad rows as a DataFrame: `row` (position among the data rows, from 0), `line` (CSV only:
/// the file line, header = 1), `column`, `value`, `reason`.
pub(crate) fn problems_frame<'py>(
    py: Python<'py>,
    what: &str,
    p: &[wangge::analytics::RowProblem],
    from_file: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let pandas = import_pandas(py, what)?;
    let columns = PyDict::new(py);
    let rows: Vec<i64> = p.iter().map(|x| x.row as i64).collect();
    columns.set_item("row", PyArray1::from_vec(py, rows))?;
    if from_file {
        let lines: Vec<i64> = p.iter().map(|x| x.line as i64).collect();
        columns.set_item("line", PyArray1::from_vec(py, lines))?;
    }
    columns.set_item(
        "column",
        p.iter().map(|x| x.column.as_str()).collect::<Vec<_>>(),
    )?;
    columns.set_item(
        "value",
        p.iter().map(|x| x.value.as_str()).collect::<Vec<_>>(),
    )?;
    columns.set_item(
        "reason",
        p.iter().map(|x| x.reason.as_str()).collect::<Vec<_>>(),
    )?;
    pandas.call_method1("DataFrame", (columns,))
}
