//! The batch join: cases → owning region (all levels through its chain) and responsible
//! department, in chunks over the rayon pool, aggregated into [`Tally`]s.

use super::cases::{CaseChunk, CaseColumns, CaseReader, CaseSchema, RowProblem, NONE};
use super::h3::CellCounts;
use super::indicators::{Indicator, Tally};
use crate::catalog::Catalog;
use crate::crs::Crs;
use crate::dispatch::Reason;
use crate::dispatch::{DepartmentMatch, DepartmentTable, DispatchOptions, Dispatcher, ReportFacts};
use crate::error::Result;
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
        let mut reader = CaseReader::new(
            source_name,
            input,
            &options.columns,
            self.catalog,
            options.skip_invalid,
        )?;
        let indicators = choose_indicators(reader.schema(), options.indicators.as_deref())?;
        let mut acc = Accumulator::new(self.city.len());
        loop {
            let chunk = reader.next_chunk(options.chunk_rows)?;
            if chunk.is_empty() {
                break;
            }
            self.add_chunk(&chunk, &reader, options, &mut acc)?;
        }
        Ok(acc.finish(self, reader, indicators, options.h3_resolution))
    }

    fn add_chunk<R: Read>(
        &self,
        chunk: &CaseChunk,
        reader: &CaseReader<'_, R>,
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
        let names = reader.departments();
        let categories = reader.categories();
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

    fn finish<R: Read>(
        self,
        analyst: &Analyst<'_>,
        reader: CaseReader<'_, R>,
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
            rows: reader.rows(),
            total: self.total,
            regions,
            outside: self.outside,
            departments,
            no_department: self.no_department,
            cells: self
                .cells
                .or_else(|| h3_resolution.map(|_| CellCounts::default())),
            h3_resolution,
            categories: reader.categories().names().to_vec(),
            problems: reader.problems().to_vec(),
            indicators,
        }
    }
}
