//! Repeat-case hot spots (`wangge::analytics::hotspots`): a case table (CSV path or typed
//! columns) in, `Hotspots` with pandas DataFrames out.
//!
//! Conversions only: the row checks are the core's `RowChecker`, the clustering and the
//! rankings `HotspotFinder`'s.

use crate::analytics::{
    case_columns, column_values, csv_options, problems_frame, typed_columns, Source,
};
use crate::city::{import_pandas, City};
use crate::coords;
use crate::dispatch::json_to_py;
use crate::errors;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use wangge::analytics::cases::CaseTable;
use wangge::analytics::hotspots::{HotspotFinder, HotspotOptions, HotspotReport};
use wangge::assets::AssetSet;
use wangge::dispatch::Dispatcher as CoreDispatcher;
use wangge::{Crs, Error, RegionId};

impl Source {
    fn finder(&self) -> HotspotFinder<'_> {
        match self {
            Source::City(c) => HotspotFinder::new(c),
            Source::Dispatcher(d) => HotspotFinder::from_dispatcher(d),
        }
    }

    fn dispatcher(&self) -> Option<Arc<CoreDispatcher>> {
        match self {
            Source::City(_) => None,
            Source::Dispatcher(d) => Some(d.clone()),
        }
    }
}

/// Reads a case CSV and finds its repeat-case hot spots (`wangge.hotspots` with a path);
/// `encoding` as for `case_stats_csv`.
#[pyfunction]
#[pyo3(name = "hotspots_csv", signature = (source, path, radius_m, days, *, min_cases = 2, columns = None, crs = "wgs84", skip_invalid = false, chunk_rows = None, encoding = "auto"))]
#[allow(clippy::too_many_arguments)]
pub fn hotspots_csv(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    path: PathBuf,
    radius_m: f64,
    days: f64,
    min_cases: usize,
    columns: Option<BTreeMap<String, String>>,
    crs: &str,
    skip_invalid: bool,
    chunk_rows: Option<usize>,
    encoding: &str,
) -> PyResult<Hotspots> {
    let source = Source::of(source)?;
    let mut options = HotspotOptions::new(radius_m, days);
    options.csv = csv_options(encoding)?;
    options.min_cases = min_cases;
    options.columns = case_columns(columns)?;
    options.crs = coords::crs(crs)?;
    options.skip_invalid = skip_invalid;
    if let Some(n) = chunk_rows {
        options.chunk_rows = n.max(1);
    }
    let name = path.display().to_string();
    let report = errors::detach(py, || {
        let file = std::fs::File::open(&path).map_err(|e| Error::Io {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        let input = std::io::BufReader::with_capacity(1 << 20, file);
        source.finder().read_csv(&name, input, &options)
    })?;
    Ok(Hotspots::new(&source, report, true))
}

/// Finds the hot spots of an in-memory case table given as typed columns (`wangge.hotspots`
/// with a DataFrame or a mapping of arrays; the package does the typing). Rows go through the
/// same row check as a CSV file; cluster rows are positions in the table (from 0).
#[pyfunction]
#[pyo3(name = "hotspots_columns", signature = (source, table, radius_m, days, *, source_name = "DataFrame", min_cases = 2, columns = None, crs = "wgs84", skip_invalid = false))]
#[allow(clippy::too_many_arguments)]
pub fn hotspots_columns(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    table: &Bound<'_, PyDict>,
    radius_m: f64,
    days: f64,
    source_name: &str,
    min_cases: usize,
    columns: Option<BTreeMap<String, String>>,
    crs: &str,
    skip_invalid: bool,
) -> PyResult<Hotspots> {
    let source = Source::of(source)?;
    let names = case_columns(columns)?;
    let crs: Crs = coords::crs(crs)?;
    let held = typed_columns(table)?;
    let values = column_values(&held)?;
    let report = errors::detach(py, || {
        let table = CaseTable::new(source_name, values)?;
        let mut options = HotspotOptions::new(radius_m, days);
        options.min_cases = min_cases;
        options.columns = names;
        options.crs = crs;
        options.skip_invalid = skip_invalid;
        source.finder().read_table(&table, &options)
    })?;
    Ok(Hotspots::new(&source, report, false))
}

/// What a hot-spot search found: the clusters of repeat cases, the regions of every level and
/// the assets ranked by repeats, the bad rows left out.
#[pyclass(module = "wangge._wangge", frozen)]
pub struct Hotspots {
    city: Arc<wangge::City>,
    dispatcher: Option<Arc<CoreDispatcher>>,
    report: HotspotReport,
    from_file: bool,
}

impl Hotspots {
    fn new(source: &Source, report: HotspotReport, from_file: bool) -> Self {
        Hotspots {
            city: source.city(),
            dispatcher: source.dispatcher(),
            report,
            from_file,
        }
    }

    fn assets(&self) -> Option<&AssetSet> {
        self.dispatcher.as_deref().map(CoreDispatcher::assets)
    }
}

/// Seconds (the case clock) as a numpy `datetime64[s]` array.
fn datetimes<'py>(py: Python<'py>, t: Vec<i64>) -> PyResult<Bound<'py, PyAny>> {
    PyArray1::from_vec(py, t).call_method1("astype", ("datetime64[s]",))
}

#[pymethods]
impl Hotspots {
    /// The radius, metres.
    #[getter]
    fn radius_m(&self) -> f64 {
        self.report.linkage.radius_m()
    }
    /// The window, days.
    #[getter]
    fn days(&self) -> f64 {
        self.report.linkage.days()
    }
    /// Smallest cluster reported.
    #[getter]
    fn min_cases(&self) -> usize {
        self.report.min_cases
    }
    /// Data rows read (good and bad).
    #[getter]
    fn rows(&self) -> u64 {
        self.report.rows
    }
    /// Cases considered (good rows).
    #[getter]
    fn cases(&self) -> usize {
        self.report.cases
    }
    /// Cases in reported clusters.
    #[getter]
    fn repeat_cases(&self) -> u64 {
        self.report.repeat_cases
    }
    /// Repeat cases no region owns.
    #[getter]
    fn outside_repeat_cases(&self) -> u64 {
        self.report.outside_repeat_cases
    }
    /// The level names (top first), for `regions()`.
    #[getter]
    fn levels(&self) -> Vec<String> {
        self.city.levels().to_vec()
    }

    /// The clusters, ranked, as a DataFrame indexed by cluster id (the rank, from 1):
    /// `category`, `cases`, `first`, `last` (datetime64[s]), `lon`, `lat` (centroid, WGS84),
    /// `spread_m`, `region` (id of the deepest region owning most members, -1 outside),
    /// `code` (its code or None), `asset` (with a dispatcher: the asset id or None),
    /// `members` (positions in the input) and `rows` (CSV: file lines, header = 1; a table:
    /// row positions from 0).
    fn clusters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py, "Hotspots.clusters")?;
        let cs = &self.report.clusters;
        let city = &*self.city;
        let columns = PyDict::new(py);
        columns.set_item(
            "category",
            cs.iter().map(|c| c.category.as_str()).collect::<Vec<_>>(),
        )?;
        let n: Vec<i64> = cs.iter().map(|c| c.len() as i64).collect();
        columns.set_item("cases", PyArray1::from_vec(py, n))?;
        columns.set_item(
            "first",
            datetimes(py, cs.iter().map(|c| c.first).collect())?,
        )?;
        columns.set_item("last", datetimes(py, cs.iter().map(|c| c.last).collect())?)?;
        columns.set_item(
            "lon",
            PyArray1::from_vec(py, cs.iter().map(|c| c.lon).collect()),
        )?;
        columns.set_item(
            "lat",
            PyArray1::from_vec(py, cs.iter().map(|c| c.lat).collect()),
        )?;
        columns.set_item(
            "spread_m",
            PyArray1::from_vec(py, cs.iter().map(|c| c.spread_m).collect()),
        )?;
        let regions: Vec<i64> = cs
            .iter()
            .map(|c| c.region.map_or(-1, |r| i64::from(r.0)))
            .collect();
        columns.set_item("region", PyArray1::from_vec(py, regions))?;
        columns.set_item(
            "code",
            cs.iter()
                .map(|c| c.region.map(|r| city.region(r).code.as_str()))
                .collect::<Vec<_>>(),
        )?;
        let assets = self.assets();
        columns.set_item(
            "asset",
            cs.iter()
                .map(|c| {
                    c.asset
                        .and_then(|a| assets.map(|s| s.assets()[a as usize].id.as_str()))
                })
                .collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "members",
            cs.iter().map(|c| c.members.clone()).collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "rows",
            cs.iter().map(|c| c.rows.clone()).collect::<Vec<_>>(),
        )?;
        let ids: Vec<i64> = cs.iter().map(|c| i64::from(c.id)).collect();
        let index = pandas.call_method1("Index", (PyArray1::from_vec(py, ids),))?;
        index.setattr("name", "id")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("index", index)?;
        pandas.call_method("DataFrame", (columns,), Some(&kwargs))
    }

    /// One level's regions with repeat cases, ranked (repeat cases, then clusters, then
    /// code), as a DataFrame indexed by region id: `code`, `name`, `repeat_cases` (a case
    /// counts in its owner and every ancestor), `clusters`.
    fn regions<'py>(
        &self,
        py: Python<'py>,
        level: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py, "Hotspots.regions")?;
        let index = City::from_arc(self.city.clone()).level_index(level)?;
        let ranking = &self.report.regions[index];
        let city = &*self.city;
        let region = |id: RegionId| city.region(id);
        let columns = PyDict::new(py);
        columns.set_item(
            "code",
            ranking
                .iter()
                .map(|r| region(r.region).code.as_str())
                .collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "name",
            ranking
                .iter()
                .map(|r| region(r.region).name.as_str())
                .collect::<Vec<_>>(),
        )?;
        let repeats: Vec<i64> = ranking.iter().map(|r| r.repeat_cases as i64).collect();
        columns.set_item("repeat_cases", PyArray1::from_vec(py, repeats))?;
        let clusters: Vec<i64> = ranking.iter().map(|r| r.clusters as i64).collect();
        columns.set_item("clusters", PyArray1::from_vec(py, clusters))?;
        let ids: Vec<i64> = ranking.iter().map(|r| i64::from(r.region.0)).collect();
        let index = pandas.call_method1("Index", (PyArray1::from_vec(py, ids),))?;
        index.setattr("name", "id")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("index", index)?;
        pandas.call_method("DataFrame", (columns,), Some(&kwargs))
    }

    /// With a dispatcher: the assets with attributed repeat cases, ranked, as a DataFrame
    /// (`id`, `class`, `name`, `repeat_cases`, `clusters`); None for a bare city.
    fn assets_ranking<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let (Some(ranking), Some(set)) = (&self.report.assets, self.assets()) else {
            return Ok(None);
        };
        let pandas = import_pandas(py, "Hotspots.assets_ranking")?;
        let asset = |i: u32| &set.assets()[i as usize];
        let columns = PyDict::new(py);
        columns.set_item(
            "id",
            ranking
                .iter()
                .map(|a| asset(a.asset).id.as_str())
                .collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "class",
            ranking
                .iter()
                .map(|a| asset(a.asset).class.as_str())
                .collect::<Vec<_>>(),
        )?;
        columns.set_item(
            "name",
            ranking
                .iter()
                .map(|a| asset(a.asset).name.as_str())
                .collect::<Vec<_>>(),
        )?;
        let repeats: Vec<i64> = ranking.iter().map(|a| a.repeat_cases as i64).collect();
        columns.set_item("repeat_cases", PyArray1::from_vec(py, repeats))?;
        let clusters: Vec<i64> = ranking.iter().map(|a| a.clusters as i64).collect();
        columns.set_item("clusters", PyArray1::from_vec(py, clusters))?;
        Ok(Some(pandas.call_method1("DataFrame", (columns,))?))
    }

    /// The bad rows left out (with `skip_invalid=True`): `row` (position among the data rows,
    /// from 0), `line` (CSV only), `column`, `value`, `reason`.
    fn problems<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        problems_frame(
            py,
            "Hotspots.problems",
            &self.report.problems,
            self.from_file,
        )
    }

    /// The whole report as a dict (as `wangge hotspots --format json`): parameters, totals,
    /// clusters, the region ranking of every level and the asset ranking.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.report.to_json(&self.city, self.assets()))
    }

    /// The clusters as a GeoJSON FeatureCollection (dict): one MultiPoint of its members per
    /// cluster, with its figures as properties.
    fn to_geojson<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.report.to_geojson(&self.city, self.assets()))
    }

    fn __len__(&self) -> usize {
        self.report.clusters.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<wangge.Hotspots {} clusters, {} repeat cases of {} ({} m, {} days)>",
            self.report.clusters.len(),
            self.report.repeat_cases,
            self.report.cases,
            self.report.linkage.radius_m(),
            self.report.linkage.days()
        )
    }
}

/// Registers the functions and classes of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Hotspots>()?;
    m.add_function(wrap_pyfunction!(hotspots_csv, m)?)?;
    m.add_function(wrap_pyfunction!(hotspots_columns, m)?)?;
    Ok(())
}
