//! The batch join: cases → owning region (all levels through its chain) and responsible
//! department, in chunks over the rayon pool, aggregated into [`Tally`]s.

use super::cases::{
    CaseChunk, CaseColumns, CaseReader, CaseSchema, CaseTable, Interner, RowChecker, RowProblem,
    NONE,
};
use super::h3::CellCounts;
use super::indicators::{Indicator, Tally};
use crate::catalog::Catalog;
use crate::crs::Crs;
use crate::dispatch::Reason;
use crate::dispatch::{DepartmentMatch, DepartmentTable, DispatchOptions, Dispatcher, ReportFacts};
use crate::error::Result;
use crate::io::csv_input::CsvOptions;
use crate::model::City;
use crate::NO_OWNER;
use h3o::Resolution;
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;

/// How to read and aggregate a case table.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    /// Column names.
    pub columns: CaseColumns,
    /// CRS of the case coordinates.
    pub crs: Crs,
    /// H3 resolution of the cell counts (`None`: no cell counts).
    pub h3_resolution: Option<Resolution>,
    /// Indicators to compute; `None` = every one the table has the columns for. A requested
    /// indicator whose column is missing is an [`crate::Error::MissingColumn`].
    pub indicators: Option<Vec<Indicator>>,
    /// Collect bad rows and go on (`true`) or stop at the first ([`crate::Error::BadRow`]).
    pub skip_invalid: bool,
    /// Rows per chunk (memory is bounded by a chunk, the region tallies and the cell counts).
    pub chunk_rows: usize,
    /// How to read a CSV file ([`crate::io::csv_input`]): encoding (UTF-8 or GBK/GB18030
    /// detected by default) and record length limit. Not used for in-memory tables.
    pub csv: CsvOptions,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            columns: CaseColumns::default(),
            crs: Crs::Wgs84,
            h3_resolution: None,
            indicators: None,
            skip_invalid: false,
            chunk_rows: 1 << 18,
            csv: CsvOptions::default(),
        }
    }
}

/// Counters of one department.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentStats {
    /// Department code (a region code for the territorial owner 属地).
    pub code: String,
    /// Name ("" when unknown).
    pub name: String,
    /// Its counters.
    pub tally: Tally,
}

/// Everything [`Analyst::case_stats`] found.
#[derive(Debug, Clone)]
pub struct CaseStats {
    /// Data rows read (good and bad).
    pub rows: u64,
    /// Counters of every good row.
    pub total: Tally,
    /// Counters per region, indexed by region id; a case counts in its owner and every
    /// ancestor, so each level's tallies sum to the cases located at or below that level.
    pub regions: Vec<Tally>,
    /// Cases that no region owns.
    pub outside: Tally,
    /// Per department, sorted by code. A fan-out category (无主井盖) counts once in each of its
    /// departments, so these may sum to more than the cases.
    pub departments: Vec<DepartmentStats>,
    /// Cases without a department (no `department` value and no rule, or the rule named none).
    pub no_department: u64,
    /// Cell counts, when a resolution was given.
    pub cells: Option<CellCounts>,
    /// H3 resolution of `cells`.
    pub h3_resolution: Option<Resolution>,
    /// Category codes by id (for [`CellCounts::by_category`]).
    pub categories: Vec<String>,
    /// Bad rows left out (with `skip_invalid`).
    pub problems: Vec<RowProblem>,
    /// The indicators computed.
    pub indicators: Vec<Indicator>,
}

/// What a join needs: the city, and optionally the code table (unknown categories become bad
/// rows) and the department rule.
#[derive(Debug, Clone, Copy)]
pub struct Analyst<'a> {
    city: &'a City,
    catalog: Option<&'a Catalog>,
    departments: Option<&'a DepartmentTable>,
    territorial_level: Option<usize>,
}

impl<'a> Analyst<'a> {
    /// Regions only: departments come from the table's `department` column; categories are not
    /// checked.
    pub fn new(city: &'a City) -> Self {
        Analyst {
            city,
            catalog: None,
            departments: None,
            territorial_level: None,
        }
    }

    /// Checks categories against `catalog`.
    pub fn with_catalog(mut self, catalog: &'a Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// The dispatcher's city, code table and department rule (the one [`Dispatcher::dispatch`]
    /// applies, with its default territorial level); a case's `department` value, when
    /// present, wins over the rule.
    pub fn from_dispatcher(d: &'a Dispatcher) -> Self {
        Analyst {
            city: d.city(),
            catalog: Some(d.catalog()),
            departments: Some(d.departments()),
            territorial_level: d
                .city()
                .level_index(&DispatchOptions::default().territorial_level),
        }
    }

    /// The city.
    pub fn city(&self) -> &'a City {
        self.city
    }

    /// Reads a case CSV chunk by chunk and aggregates it (module docs of [`super`]).
    pub fn case_stats<R: Read>(
        &self,
        source_name: &str,
        input: R,
        options: &StatsOptions,
    ) -> Result<CaseStats> {
        let mut reader = CaseReader::with_csv_options(
            source_name,
            input,
            &options.columns,
            self.catalog,
            options.skip_invalid,
            &options.csv,
        )?;
        let indicators = choose_indicators(reader.schema(), options.indicators.as_deref())?;
        let mut acc = Accumulator::new(self.city.len());
        loop {
            let chunk = reader.next_chunk(options.chunk_rows)?;
            if chunk.is_empty() {
                break;
            }
            self.add_chunk(&chunk, reader.checker(), options, &mut acc)?;
        }
        Ok(acc.finish(self, reader.checker(), indicators, options.h3_resolution))
    }

    /// The same as [`Analyst::case_stats`] for a table held in memory ([`CaseTable`]): the
    /// same row check and the same tally, chunk by chunk (`options.chunk_rows`). Row problems
    /// name the row's position (from 0) instead of a line.
    pub fn case_stats_table(
        &self,
        table: &CaseTable<'_>,
        options: &StatsOptions,
    ) -> Result<CaseStats> {
        let schema = table.schema(&options.columns)?;
        let indicators = choose_indicators(&schema, options.indicators.as_deref())?;
        let mut checker = RowChecker::new(schema, self.catalog, options.skip_invalid);
        let mut acc = Accumulator::new(self.city.len());
        let step = options.chunk_rows.max(1);
        for start in (0..table.len()).step_by(step) {
            let chunk = table.chunk(&mut checker, start, start + step)?;
            if !chunk.is_empty() {
                self.add_chunk(&chunk, &checker, options, &mut acc)?;
            }
        }
        Ok(acc.finish(self, &checker, indicators, options.h3_resolution))
    }

    /// Locates and tallies one chunk of checked rows (`checker` names their categories and
    /// departments): the one tally behind both entry points.
    fn add_chunk(
        &self,
        chunk: &CaseChunk,
        checker: &RowChecker<'_>,
        options: &StatsOptions,
        acc: &mut Accumulator,
    ) -> Result<()> {
        let (mut x, mut y) = (chunk.lons.clone(), chunk.lats.clone());
        self.city
            .converter()
            .to_wgs84_in_place(options.crs, &mut x, &mut y)?;
        let owners = self.city.locate_many_parallel(&x, &y)?;
        let tallies: Vec<Tally> = (0..chunk.len())
            .into_par_iter()
            .with_min_len(4_096)
            .map(|i| {
                Tally::of_case(
                    chunk.statuses[i],
                    chunk.closed_at[i],
                    chunk.deadlines[i],
                    chunk.rework[i],
                )
            })
            .collect();
        let n = self.city.len();
        let (leaf, outside) = owners
            .par_iter()
            .zip(tallies.par_iter())
            .with_min_len(4_096)
            .fold(
                || (HashMap::<u32, Tally>::new(), Tally::default()),
                |(mut m, mut out), (&o, t)| {
                    if o == NO_OWNER || o as usize >= n {
                        out.add(t);
                    } else {
                        m.entry(o).or_default().add(t);
                    }
                    (m, out)
                },
            )
            .reduce(
                || (HashMap::new(), Tally::default()),
                |(mut a, mut oa), (b, ob)| {
                    for (k, t) in b {
                        a.entry(k).or_default().add(&t);
                    }
                    oa.add(&ob);
                    (a, oa)
                },
            );
        for (k, t) in leaf {
            acc.leaves[k as usize].add(&t);
        }
        acc.outside.add(&outside);
        for t in &tallies {
            acc.total.add(t);
        }
        // Departments: the column's value, else the rule.
        let departments = self.departments;
        let names: &Interner = checker.departments();
        let categories: &Interner = checker.categories();
        let per_dept = (0..chunk.len())
            .into_par_iter()
            .with_min_len(1_024)
            .fold(
                || (HashMap::<String, Tally>::new(), 0u64),
                |(mut m, mut none), i| {
                    let t = &tallies[i];
                    if chunk.departments[i] != NONE {
                        m.entry(names.name(chunk.departments[i]).to_string())
                            .or_default()
                            .add(t);
                        return (m, none);
                    }
                    let found = match (departments, self.catalog, chunk.categories[i]) {
                        (Some(table), Some(catalog), cat) if cat != NONE => {
                            let class = catalog.get(categories.name(cat));
                            class.map(|class| {
                                let hit = self.city.located(owners[i]);
                                table.resolve(&ReportFacts {
                                    hit: hit.as_ref(),
                                    lon: x[i],
                                    lat: y[i],
                                    category: &class.code,
                                    fanout: class.fanout,
                                    asset_main: None,
                                    territorial_level: self.territorial_level,
                                })
                            })
                        }
                        _ => None,
                    };
                    let mut any = false;
                    for d in responsible(found.as_deref().unwrap_or(&[])) {
                        any = true;
                        m.entry(d.code.clone()).or_default().add(t);
                    }
                    if !any {
                        none += 1;
                    }
                    (m, none)
                },
            )
            .reduce(
                || (HashMap::new(), 0),
                |(mut a, na), (b, nb)| {
                    for (k, t) in b {
                        a.entry(k).or_default().add(&t);
                    }
                    (a, na + nb)
                },
            );
        for (k, t) in per_dept.0 {
            acc.departments.entry(k).or_default().add(&t);
        }
        acc.no_department += per_dept.1;
        if let Some(res) = options.h3_resolution {
            let cells = CellCounts::count(&x, &y, &chunk.categories, res)?;
            acc.cells
                .get_or_insert_with(CellCounts::default)
                .merge(cells);
        }
        Ok(())
    }
}

/// The counters of a [`Tally`] by name, in output order (the columns of the per-region and
/// per-department tables, before the indicators).
pub const TALLY_COLUMNS: [&str; 7] = [
    "cases", "accepted", "handled", "on_time", "overdue", "rework", "closed",
];

/// A tally's counters in the order of [`TALLY_COLUMNS`].
pub fn tally_counts(t: &Tally) -> [u64; 7] {
    [
        t.cases, t.accepted, t.handled, t.on_time, t.overdue, t.rework, t.closed,
    ]
}

/// The departments a case counts for: the first match, or every primary match of a fan-out
/// category.
pub fn responsible(matches: &[DepartmentMatch]) -> impl Iterator<Item = &DepartmentMatch> {
    let fanout = matches
        .first()
        .is_some_and(|m| matches!(m.reason, Reason::Responsible { fanout: true, .. }));
    matches.iter().enumerate().filter_map(move |(i, m)| {
        let keep = i == 0
            || (fanout
                && matches!(
                    m.reason,
                    Reason::Responsible {
                        fanout: true,
                        primary: true,
                        ..
                    }
                ));
        keep.then_some(m)
    })
}

fn choose_indicators(
    schema: &CaseSchema,
    requested: Option<&[Indicator]>,
) -> Result<Vec<Indicator>> {
    match requested {
        Some(list) => {
            for i in list {
                i.check(schema)?;
            }
            Ok(list.to_vec())
        }
        None => Ok(Indicator::ALL
            .into_iter()
            .filter(|i| i.available(schema))
            .collect()),
    }
}

struct Accumulator {
    leaves: Vec<Tally>,
    outside: Tally,
    total: Tally,
    departments: HashMap<String, Tally>,
    no_department: u64,
    cells: Option<CellCounts>,
}

impl Accumulator {
    fn new(regions: usize) -> Self {
        Accumulator {
            leaves: vec![Tally::default(); regions],
            outside: Tally::default(),
            total: Tally::default(),
            departments: HashMap::new(),
            no_department: 0,
            cells: None,
        }
    }

    fn finish(
        self,
        analyst: &Analyst<'_>,
        checker: &RowChecker<'_>,
        indicators: Vec<Indicator>,
        h3_resolution: Option<Resolution>,
    ) -> CaseStats {
        let city = analyst.city;
        // Ids are sorted by level, so children come after parents: one backward pass adds
        // every region's tally into its parent.
        let mut regions = self.leaves;
        for i in (0..regions.len()).rev() {
            if let Some(p) = city.regions()[i].parent {
                let t = regions[i];
                regions[p.index()].add(&t);
            }
        }
        let mut departments: Vec<DepartmentStats> = self
            .departments
            .into_iter()
            .map(|(code, tally)| {
                let name = analyst
                    .departments
                    .and_then(|t| t.get(&code).map(|d| d.name.clone()))
                    .or_else(|| city.by_code(&code).map(|id| city.region(id).name.clone()))
                    .unwrap_or_default();
                DepartmentStats { code, name, tally }
            })
            .collect();
        departments.sort_by(|a, b| a.code.cmp(&b.code));
        CaseStats {
            rows: checker.rows(),
            total: self.total,
            regions,
            outside: self.outside,
            departments,
            no_department: self.no_department,
            cells: self
                .cells
                .or_else(|| h3_resolution.map(|_| CellCounts::default())),
            h3_resolution,
            categories: checker.categories().names().to_vec(),
            problems: checker.problems().to_vec(),
            indicators,
        }
    }
}

#[cfg(test)]
mod table_tests {
    //! The in-memory entry point against the CSV one (same check, same tally).
    use super::*;
    use crate::analytics::cases::Values;
    use crate::analytics::h3::resolution;
    use crate::analytics::time::parse_timestamp;
    use crate::synth::cases::{write_cases, CaseSpec};
    use crate::Error;
    use std::path::Path;

    fn wuhan() -> Dispatcher {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/wuhan.toml");
        Dispatcher::from_manifest(&path).unwrap()
    }

    /// Dictionary-encodes a text column.
    fn encode(values: &[&str]) -> (Vec<i64>, Vec<String>) {
        let mut names: Vec<String> = Vec::new();
        let codes = values
            .iter()
            .map(|v| {
                if v.is_empty() {
                    return -1;
                }
                let k = names.iter().position(|n| n == v).unwrap_or_else(|| {
                    names.push(v.to_string());
                    names.len() - 1
                });
                k as i64
            })
            .collect();
        (codes, names)
    }

    fn assert_same(a: &CaseStats, b: &CaseStats) {
        assert_eq!(a.rows, b.rows);
        assert_eq!(a.total, b.total);
        assert_eq!(a.regions, b.regions);
        assert_eq!(a.outside, b.outside);
        assert_eq!(a.departments, b.departments);
        assert_eq!(a.no_department, b.no_department);
        assert_eq!(a.categories, b.categories);
        assert_eq!(a.cells, b.cells);
        assert_eq!(a.indicators, b.indicators);
    }

    #[test]
    fn a_table_in_memory_gives_what_its_csv_gives() {
        let d = wuhan();
        let mut bytes = Vec::new();
        let spec = CaseSpec {
            n: 4_000,
            seed: 11,
            ..CaseSpec::default()
        };
        write_cases(d.city(), &spec, &mut bytes).unwrap();
        let options = StatsOptions {
            h3_resolution: Some(resolution(8).unwrap()),
            chunk_rows: 1_000,
            ..StatsOptions::default()
        };
        let analyst = Analyst::from_dispatcher(&d);
        let from_csv = analyst
            .case_stats("cases.csv", bytes.as_slice(), &options)
            .unwrap();
        assert!(from_csv.total.handled > 0 && !from_csv.departments.is_empty());

        // The same table as typed columns: numbers and times parsed here, text encoded.
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        let col = |k: usize| records.iter().map(|r| r[k].to_string()).collect::<Vec<_>>();
        let num = |k: usize| {
            col(k)
                .iter()
                .map(|v| v.parse().unwrap())
                .collect::<Vec<f64>>()
        };
        let time = |k: usize| {
            col(k)
                .iter()
                .map(|v| parse_timestamp(v).unwrap_or(i64::MIN))
                .collect::<Vec<i64>>()
        };
        let (lon, lat, limit, rework) = (num(1), num(2), num(5), num(8));
        let (reported, closed) = (time(4), time(6));
        let (categories, statuses) = (col(3), col(7));
        let cat = encode(&categories.iter().map(String::as_str).collect::<Vec<_>>());
        let st = encode(&statuses.iter().map(String::as_str).collect::<Vec<_>>());
        let table = CaseTable::new(
            "DataFrame",
            vec![
                ("lat".into(), Values::Number(&lat)),
                ("lon".into(), Values::Number(&lon)),
                (
                    "category".into(),
                    Values::Text {
                        codes: &cat.0,
                        names: &cat.1,
                    },
                ),
                ("reported_at".into(), Values::Time(&reported)),
                ("time_limit_h".into(), Values::Number(&limit)),
                ("closed_at".into(), Values::Time(&closed)),
                (
                    "status".into(),
                    Values::Text {
                        codes: &st.0,
                        names: &st.1,
                    },
                ),
                ("rework".into(), Values::Number(&rework)),
                ("unrelated".into(), Values::Number(&lat)),
            ],
        )
        .unwrap();
        let from_table = analyst.case_stats_table(&table, &options).unwrap();
        assert_same(&from_csv, &from_table);
        // Chunking does not matter.
        let whole = StatsOptions {
            chunk_rows: 1 << 20,
            ..options.clone()
        };
        assert_same(
            &from_csv,
            &analyst.case_stats_table(&table, &whole).unwrap(),
        );
    }

    #[test]
    fn bad_rows_of_a_table_name_their_position() {
        let d = wuhan();
        let lon = [114.2712, 114.2712, f64::NAN, 114.2712, 114.2712];
        let lat = [30.5851; 5];
        let r = parse_timestamp("2025-06-15 15:06:40").unwrap();
        let reported = [r, r, r, i64::MIN, r];
        let early = parse_timestamp("2025-02-19 21:20:00").unwrap();
        let closed = [i64::MIN, early, i64::MIN, i64::MIN, i64::MIN];
        let names: Vec<String> = ["处理中", "结案", "0103", "9999", "6"]
            .map(String::from)
            .to_vec();
        let status_codes = [0, 1, 0, 0, -1];
        let cat_codes = [2, 2, 2, 3, 2];
        let rows = |skip_invalid: bool| {
            let table = CaseTable::new(
                "cases",
                vec![
                    ("lon".into(), Values::Number(&lon)),
                    ("lat".into(), Values::Number(&lat)),
                    ("reported_at".into(), Values::Time(&reported)),
                    ("closed_at".into(), Values::Time(&closed)),
                    (
                        "status".into(),
                        Values::Text {
                            codes: &status_codes,
                            names: &names,
                        },
                    ),
                    (
                        "category".into(),
                        Values::Text {
                            codes: &cat_codes,
                            names: &names,
                        },
                    ),
                ],
            )
            .unwrap();
            let options = StatsOptions {
                skip_invalid,
                ..StatsOptions::default()
            };
            Analyst::from_dispatcher(&d).case_stats_table(&table, &options)
        };
        let stats = rows(true).unwrap();
        let found: Vec<(u64, u64, &str, &str)> = stats
            .problems
            .iter()
            .map(|p| (p.row, p.line, p.column.as_str(), p.reason.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (1, 0, "closed_at", "before reported_at"),
                (2, 0, "lon", "missing coordinate"),
                (3, 0, "category", "unknown category"),
                (4, 0, "status", found[3].3),
            ]
        );
        assert!(found[3].3.starts_with("unknown status"));
        assert_eq!(stats.problems[0].value, "2025-02-19 21:20:00");
        assert_eq!((stats.rows, stats.total.cases), (5, 1));
        let err = rows(false).unwrap_err();
        assert!(matches!(err, Error::Table { .. }));
        assert_eq!(
            err.to_string(),
            "cases: row 1: column \"closed_at\": before reported_at (value \"2025-02-19 21:20:00\")"
        );
    }

    #[test]
    fn a_table_without_a_needed_column_names_it() {
        let city = wuhan();
        let x = [114.2712];
        let analyst = Analyst::from_dispatcher(&city);
        let options = StatsOptions {
            indicators: Some(vec![Indicator::ClosingRate]),
            ..StatsOptions::default()
        };
        let table = CaseTable::new("df", vec![("lon".into(), Values::Number(&x))]).unwrap();
        let err = analyst.case_stats_table(&table, &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "df: missing column \"lat\" (needed for the case's point)"
        );
        let table = CaseTable::new(
            "df",
            vec![
                ("lon".into(), Values::Number(&x)),
                ("lat".into(), Values::Number(&x)),
            ],
        )
        .unwrap();
        let err = analyst.case_stats_table(&table, &options).unwrap_err();
        assert!(matches!(&err, Error::MissingColumn { column, .. } if column == "status"));
        let short = [1.0, 2.0];
        let err = CaseTable::new(
            "df",
            vec![
                ("lon".into(), Values::Number(&x)),
                ("lat".into(), Values::Number(&short)),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "df: column \"lat\" has 2 rows, column \"lon\" has 1"
        );
    }
}
