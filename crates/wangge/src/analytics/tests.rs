use super::cases::{CaseColumns, Status};
use super::h3::{self as hex, CellCounts};
use super::indicators::{Indicator, Tally};
use super::join::{responsible, Analyst, StatsOptions};
use super::time::parse_timestamp;
use crate::catalog::Catalog;
use crate::dispatch::{DispatchOptions, Dispatcher};
use crate::error::Error;
use crate::model::City;
use crate::synth::cases::{write_cases, CaseSpec};
use std::collections::HashMap;
use std::path::Path;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn fixture_city() -> City {
    City::from_manifest(&repo("tests/data/fixture/city.toml")).unwrap()
}

fn synthetic(city: &City, n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let spec = CaseSpec {
        n,
        seed,
        ..CaseSpec::default()
    };
    write_cases(city, &spec, &mut out).unwrap();
    out
}

/// Independent per-case reading of a synthetic table (its fixed columns).
struct Row {
    lon: f64,
    lat: f64,
    category: String,
    tally: Tally,
}

fn rows_of(csv_bytes: &[u8]) -> Vec<Row> {
    let mut r = csv::Reader::from_reader(csv_bytes);
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let reported = parse_timestamp(&rec[4]).unwrap();
            let limit: i64 = rec[5].parse().unwrap();
            let closed = parse_timestamp(&rec[6]);
            let status = &rec[7];
            let rework: u32 = rec[8].parse().unwrap();
            let accepted = !matches!(status, "待受理" | "作废");
            let handled = accepted && closed.is_some();
            let late = closed.is_some_and(|c| c > reported + limit * 3_600);
            Row {
                lon: rec[1].parse().unwrap(),
                lat: rec[2].parse().unwrap(),
                category: rec[3].to_string(),
                tally: Tally {
                    cases: 1,
                    accepted: accepted as u64,
                    handled: handled as u64,
                    on_time: (handled && !late) as u64,
                    overdue: (handled && late) as u64,
                    rework: (accepted && rework > 0) as u64,
                    closed: (status == "结案") as u64,
                },
            }
        })
        .collect()
}

#[test]
fn counts_equal_a_brute_force_join_on_every_level() {
    let city = fixture_city();
    let bytes = synthetic(&city, 20_000, 3);
    let rows = rows_of(&bytes);
    let options = StatsOptions {
        chunk_rows: 1_500, // several chunks, each large enough for the sorted batch path
        h3_resolution: Some(hex::resolution(9).unwrap()),
        ..StatsOptions::default()
    };
    let stats = Analyst::new(&city)
        .case_stats("synthetic", bytes.as_slice(), &options)
        .unwrap();
    let mut expected = vec![Tally::default(); city.len()];
    let mut outside = Tally::default();
    for row in &rows {
        match city.locate(row.lon, row.lat) {
            Some(hit) => {
                for id in hit.chain_ids() {
                    expected[id.index()].add(&row.tally);
                }
            }
            None => outside.add(&row.tally),
        }
    }
    assert!(outside.cases > 0 && outside.cases < 20_000);
    assert_eq!(stats.regions, expected);
    assert_eq!(stats.outside, outside);
    assert_eq!(stats.rows, 20_000);
    assert_eq!(stats.total.cases, 20_000);
    assert!(stats.problems.is_empty());
    assert_eq!(stats.indicators, Indicator::ALL.to_vec());
    // Cell counts against one-by-one cells.
    let res = hex::resolution(9).unwrap();
    let mut cells: HashMap<h3o::CellIndex, u64> = HashMap::new();
    for row in &rows {
        *cells
            .entry(h3o::LatLng::new(row.lat, row.lon).unwrap().to_cell(res))
            .or_default() += 1;
    }
    assert_eq!(stats.cells.as_ref().unwrap().counts, cells);
    // Chunk size does not matter.
    let one_chunk = Analyst::new(&city)
        .case_stats("synthetic", bytes.as_slice(), &StatsOptions::default())
        .unwrap();
    assert_eq!(one_chunk.regions, stats.regions);
}

#[test]
fn departments_equal_dispatch_report_by_report() {
    let d = Dispatcher::from_manifest(&repo("data/wuhan.toml")).unwrap();
    let bytes = synthetic(d.city(), 3_000, 5);
    let rows = rows_of(&bytes);
    let options = StatsOptions {
        chunk_rows: 1_000,
        ..StatsOptions::default()
    };
    let stats = Analyst::from_dispatcher(&d)
        .case_stats("synthetic", bytes.as_slice(), &options)
        .unwrap();
    let mut expected: HashMap<String, Tally> = HashMap::new();
    let mut none = 0;
    let dispatch_options = DispatchOptions::default();
    for row in &rows {
        let r = d
            .dispatch(row.lon, row.lat, &row.category, &dispatch_options)
            .unwrap();
        let mut any = false;
        for m in responsible(&r.departments) {
            any = true;
            expected.entry(m.code.clone()).or_default().add(&row.tally);
        }
        none += u64::from(!any);
    }
    let got: HashMap<String, Tally> = stats
        .departments
        .iter()
        .map(|s| (s.code.clone(), s.tally))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(stats.no_department, none);
    // A fan-out category (0114 无主井盖) counts in several departments.
    let fanout = rows.iter().filter(|r| r.category == "0114").count() as u64;
    let summed: u64 = stats.departments.iter().map(|s| s.tally.cases).sum();
    assert!(fanout > 0 && summed > 3_000 - none, "{summed}");
    assert!(stats.departments.iter().all(|s| !s.name.is_empty()));
}

/// A hand-made table in one square region; every figure below is counted by hand.
const HAND_TABLE: &str = "\
id,lon,lat,category,reported_at,deadline,closed_at,status,rework,department
a,114.255,30.555,0103,2025-06-01 08:00,2025-06-01 12:00,2025-06-01 11:00,结案,0,D1
b,114.255,30.555,0103,2025-06-01 08:00,2025-06-01 12:00,2025-06-01 13:00,结案,1,D1
c,114.255,30.555,0103,2025-06-01 08:00,2025-06-01 12:00,2025-06-01 12:00,核查结案,0,D1
d,114.255,30.555,0103,2025-06-01 08:00,2025-06-01 12:00,,处理中,0,D1
e,114.255,30.555,0103,2025-06-01 08:00,2025-06-01 12:00,,作废,0,D1
f,114.255,30.555,0103,2025-06-01 08:00,2025-06-01 12:00,,待受理,0,D2
g,114.255,30.555,0103,2025-06-01 08:00,2025-06-02 12:00,2025-06-03 00:00,6,2,D2
h,114.255,30.555,0103,2025-06-01 08:00,2025-06-02 12:00,,3,0,D2
";

fn square_city() -> City {
    use crate::model::{BuildOptions, LevelInput, RegionInput};
    let square = vec![vec![vec![
        [114.25, 30.55],
        [114.26, 30.55],
        [114.26, 30.56],
        [114.25, 30.56],
        [114.25, 30.55],
    ]]];
    City::build(
        vec![LevelInput {
            name: "grid".into(),
            regions: vec![RegionInput {
                code: "420103001001001".into(),
                name: "一号网格".into(),
                parent: None,
                geometry: square,
            }],
        }],
        &BuildOptions::default(),
    )
    .unwrap()
}

#[test]
fn indicators_on_a_hand_computed_table() {
    let city = square_city();
    let stats = Analyst::new(&city)
        .case_stats("hand", HAND_TABLE.as_bytes(), &StatsOptions::default())
        .unwrap();
    // Accepted (not 待受理/作废): a b c d g h = 6. Handled (closed_at set): a b c g = 4.
    // On time (closed ≤ deadline): a, c (exactly at the deadline) = 2; late: b, g = 2.
    // Rework among accepted: b, g = 2. Closed (结案 / 6): a b g = 3.
    let t = stats.regions[0];
    let expected = Tally {
        cases: 8,
        accepted: 6,
        handled: 4,
        on_time: 2,
        overdue: 2,
        rework: 2,
        closed: 3,
    };
    assert_eq!(t, expected);
    let v = |i: Indicator| i.value(&t).unwrap();
    assert_eq!(v(Indicator::HandlingRate), 4.0 / 6.0);
    assert_eq!(v(Indicator::OnTimeRate), 2.0 / 6.0);
    assert_eq!(v(Indicator::Overdue), 2.0);
    assert_eq!(v(Indicator::ReworkRate), 2.0 / 4.0);
    assert_eq!(v(Indicator::ClosingRate), 3.0 / 6.0);
    // Per department: D1 = a..e, D2 = f g h.
    let d1 = &stats.departments[0];
    let d2 = &stats.departments[1];
    assert_eq!((d1.code.as_str(), d2.code.as_str()), ("D1", "D2"));
    assert_eq!(
        d1.tally,
        Tally {
            cases: 5,
            accepted: 4,
            handled: 3,
            on_time: 2,
            overdue: 1,
            rework: 1,
            closed: 2
        }
    );
    assert_eq!(Indicator::HandlingRate.value(&d2.tally), Some(0.5));
    assert_eq!(Indicator::ReworkRate.value(&d2.tally), Some(1.0));
    // Undefined rates: nothing accepted.
    let only_pending = Tally::of_case(Some(Status::Pending), None, None, 0);
    assert_eq!(Indicator::HandlingRate.value(&only_pending), None);
    assert_eq!(Indicator::ReworkRate.value(&only_pending), None);
    assert_eq!(Indicator::Overdue.value(&only_pending), Some(0.0));
}

#[test]
fn time_limit_hours_give_the_deadline() {
    let city = square_city();
    let table = "lon,lat,reported_at,time_limit_h,closed_at,status\n\
                 114.255,30.555,2025-06-01 08:00,4,2025-06-01 12:00,结案\n\
                 114.255,30.555,2025-06-01 08:00,0.5,2025-06-01 08:31,结案\n";
    let stats = Analyst::new(&city)
        .case_stats("limits", table.as_bytes(), &StatsOptions::default())
        .unwrap();
    assert_eq!((stats.total.on_time, stats.total.overdue), (1, 1));
}

#[test]
fn a_missing_column_is_named() {
    let city = square_city();
    let check = |table: &str, indicators: Vec<Indicator>, column: &str| {
        let options = StatsOptions {
            indicators: Some(indicators),
            ..StatsOptions::default()
        };
        match Analyst::new(&city).case_stats("t.csv", table.as_bytes(), &options) {
            Err(Error::MissingColumn {
                column: c,
                source_name,
                needed_for,
            }) => {
                assert_eq!(c, column);
                assert_eq!(source_name, "t.csv");
                assert!(!needed_for.is_empty());
            }
            other => panic!("{table:?}: {other:?}"),
        }
    };
    check(
        "lon,lat,closed_at\n",
        vec![Indicator::HandlingRate],
        "status",
    );
    check(
        "lon,lat,status\n",
        vec![Indicator::HandlingRate],
        "closed_at",
    );
    check(
        "lon,lat,status,closed_at\n",
        vec![Indicator::OnTimeRate],
        "deadline",
    );
    check(
        "lon,lat,status,closed_at,time_limit_h\n",
        vec![Indicator::Overdue],
        "reported_at",
    );
    check(
        "lon,lat,status,closed_at\n",
        vec![Indicator::ReworkRate],
        "rework",
    );
    check("lon,status\n", vec![], "lat");
    let err = Analyst::new(&city)
        .case_stats("t.csv", "x,lat\n".as_bytes(), &StatsOptions::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.csv: missing column \"lon\" (needed for the case's point)"
    );
    // Without a request, only the indicators the table can give.
    let stats = Analyst::new(&city)
        .case_stats(
            "t.csv",
            "lon,lat,status\n".as_bytes(),
            &StatsOptions::default(),
        )
        .unwrap();
    assert_eq!(stats.indicators, vec![Indicator::ClosingRate]);
}

#[test]
fn bad_rows_are_reported_with_line_numbers() {
    let city = square_city();
    let catalog = Catalog::builtin();
    let table = "\
lon,lat,category,reported_at,closed_at,status
114.255,30.555,0103,2025-06-01 08:00,,处理中
114.255,30.555,0103,,,处理中
114.255,30.555,0103,2025-06-01 08:00,,处理中
114.255,30.555,0199,2025-06-01 08:00,,处理中
abc,30.555,0103,2025-06-01 08:00,,处理中
114.255,30.555,0103,2025-06-31 08:00,,处理中
114.255,30.555,0103,2025-06-01 08:00,,closed
114.255,30.555,0103,2025-06-01 08:00,2025-05-01,结案
114.255,30.555,0103,2025-06-01 08:00,,done
";
    let analyst = Analyst::new(&city).with_catalog(&catalog);
    let options = StatsOptions {
        skip_invalid: true,
        ..StatsOptions::default()
    };
    let stats = analyst
        .case_stats("cases.csv", table.as_bytes(), &options)
        .unwrap();
    let found: Vec<(u64, &str, &str)> = stats
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_str(), p.reason.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (3, "reported_at", "missing time"),
            (5, "category", "unknown category"),
            (6, "lon", "not a number"),
            (7, "reported_at", "not a time (YYYY-MM-DD[ HH:MM[:SS]])"),
            (8, "closed_at", "finished status without closed_at"),
            (9, "closed_at", "before reported_at"),
            (10, "status", found[6].2),
        ]
    );
    assert!(found[6].2.starts_with("unknown status"));
    assert_eq!((stats.rows, stats.total.cases), (9, 2));
    // Without skip_invalid the first bad row stops the run.
    let err = analyst
        .case_stats("cases.csv", table.as_bytes(), &StatsOptions::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cases.csv line 3: column \"reported_at\": missing time (value \"\")"
    );
}

#[test]
fn custom_column_names() {
    let city = square_city();
    let columns = CaseColumns {
        lon: "x".into(),
        lat: "y".into(),
        status: "state".into(),
        ..CaseColumns::default()
    };
    let options = StatsOptions {
        columns,
        ..StatsOptions::default()
    };
    let stats = Analyst::new(&city)
        .case_stats("t", "x,y,state\n114.255,30.555,6\n".as_bytes(), &options)
        .unwrap();
    assert_eq!(stats.total.closed, 1);
}

#[derive(serde::Deserialize)]
struct Reference {
    cells: Vec<RefPoint>,
    boundaries: Vec<RefBoundary>,
    cover: RefCover,
}
#[derive(serde::Deserialize)]
struct RefPoint {
    lon: f64,
    lat: f64,
    ids: Vec<String>,
}
#[derive(serde::Deserialize)]
struct RefBoundary {
    cell: String,
    boundary: Vec<[f64; 2]>,
}
#[derive(serde::Deserialize)]
struct RefCover {
    resolution: u8,
    outer: Vec<[f64; 2]>,
    hole: Vec<[f64; 2]>,
    cells: Vec<String>,
}

fn reference() -> Reference {
    let text = std::fs::read_to_string(repo("tests/data/h3/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn h3_cell_ids_equal_the_reference_library() {
    let r = reference();
    assert!(r.cells.len() > 50);
    for p in &r.cells {
        for (res, id) in r.cells[0]
            .ids
            .iter()
            .enumerate()
            .map(|(i, _)| i)
            .zip(&p.ids)
        {
            let cell = hex::cell_of(p.lon, p.lat, hex::resolution(res as u8).unwrap()).unwrap();
            assert_eq!(&cell.to_string(), id, "({}, {}) res {res}", p.lon, p.lat);
        }
        // The batch and the weighted aggregate use the same cells.
        let res = hex::resolution(9).unwrap();
        let agg = hex::aggregate(&[p.lon, p.lon], &[p.lat, p.lat], Some(&[0.5, 2.0]), res).unwrap();
        assert_eq!(agg.len(), 1);
        assert_eq!((agg[0].0.to_string(), agg[0].1), (p.ids[9].clone(), 2.5));
    }
    assert!(hex::cell_of(f64::NAN, 0.0, hex::resolution(3).unwrap()).is_none());
    assert!(hex::resolution(16).is_err());
}

#[test]
fn h3_hexagon_geojson_equals_the_reference_boundaries() {
    let r = reference();
    for b in &r.boundaries {
        let cell: h3o::CellIndex = b.cell.parse().unwrap();
        let feature = hex::hexagon_feature(cell, serde_json::Map::new());
        let ring = feature["geometry"]["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), b.boundary.len() + 1, "{}", b.cell);
        assert_eq!(ring.first(), ring.last());
        for (got, want) in ring.iter().zip(&b.boundary) {
            let (x, y) = (got[0].as_f64().unwrap(), got[1].as_f64().unwrap());
            assert!(
                (x - want[0]).abs() < 1e-9 && (y - want[1]).abs() < 1e-9,
                "{}",
                b.cell
            );
        }
    }
    // A FeatureCollection with per-category counts.
    let res = hex::resolution(7).unwrap();
    let counts =
        CellCounts::count(&[114.27, 114.27, 114.27], &[30.58; 3], &[0, 1, 0], res).unwrap();
    let fc = counts.to_geojson(&["0103".into(), "0118".into()]);
    let f = &fc["features"][0];
    assert_eq!(f["properties"]["count"], 3);
    assert_eq!(f["properties"]["by_category"]["0103"], 2);
    assert_eq!(f["properties"]["by_category"]["0118"], 1);
    assert_eq!(fc["features"].as_array().unwrap().len(), 1);
}

#[test]
fn h3_cover_equals_the_reference_polyfill() {
    use crate::model::{BuildOptions, LevelInput, RegionInput};
    let r = reference();
    let ring = |v: &[[f64; 2]]| {
        let mut v = v.to_vec();
        v.push(v[0]);
        v
    };
    let city = City::build(
        vec![LevelInput {
            name: "grid".into(),
            regions: vec![RegionInput {
                code: "G1".into(),
                name: String::new(),
                parent: None,
                geometry: vec![vec![ring(&r.cover.outer), ring(&r.cover.hole)]],
            }],
        }],
        &BuildOptions {
            code_scheme: crate::model::CodeScheme::Free,
            ..BuildOptions::default()
        },
    )
    .unwrap();
    let cells = hex::cover(
        &city.regions()[0],
        hex::resolution(r.cover.resolution).unwrap(),
    )
    .unwrap();
    let got: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
    assert!(got.len() > 20, "{}", got.len());
    assert_eq!(got, r.cover.cells);
}

/// 1M synthetic cases on the central-Wuhan benchmark city (prints timings, asserts nothing
/// about them): `cargo test --release -p wangge analytics::tests::bench_one_million -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_one_million_cases() {
    let t = std::time::Instant::now();
    let city = City::from_manifest(&repo("data/wuhan_central.toml")).unwrap();
    println!("city: {} regions in {:.2?}", city.len(), t.elapsed());
    let t = std::time::Instant::now();
    let bytes = synthetic(&city, 1_000_000, 1);
    println!("generated {} MB in {:.2?}", bytes.len() >> 20, t.elapsed());
    let t = std::time::Instant::now();
    let options = StatsOptions {
        h3_resolution: Some(hex::resolution(8).unwrap()),
        ..StatsOptions::default()
    };
    let stats = Analyst::new(&city)
        .case_stats("1M", bytes.as_slice(), &options)
        .unwrap();
    println!(
        "read + join + aggregate (regions, indicators, H3 r8) of {} cases: {:.2?}; {} outside, {} cells",
        stats.rows,
        t.elapsed(),
        stats.outside.cases,
        stats.cells.as_ref().unwrap().counts.len()
    );
}

#[test]
fn grid_covers_are_disjoint_and_their_centres_lie_in_their_grid() {
    let city = fixture_city();
    let level = city.levels().len() - 1;
    let res = hex::resolution(13).unwrap();
    let covers = hex::cover_level(&city, level, res).unwrap();
    assert_eq!(covers.len(), city.level_regions(level).count());
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    for (id, cells) in &covers {
        assert!(!cells.is_empty(), "{}", city.region(*id).code);
        for c in cells {
            assert!(seen.insert(*c), "cell {c} in two grids");
            // Oracle: the exact point-in-region rule on the cell's centre.
            let centre = h3o::LatLng::from(*c);
            let owner = city.locate(centre.lng(), centre.lat()).map(|h| h.leaf_id());
            assert_eq!(owner, Some(*id), "cell {c}");
            total += 1;
        }
    }
    assert!(total > 100, "{total}");
}

#[test]
fn svg_map_has_one_path_per_region_coloured_by_value() {
    let city = fixture_city();
    let level = city.levels().len() - 1;
    let mut values = vec![0.0; city.len()];
    let ids: Vec<_> = city.level_regions(level).map(|(id, _)| id).collect();
    values[ids[0].index()] = 10.0;
    values[ids[1].index()] = 2.5;
    let svg = super::svg::choropleth(&city, level, &values, 800.0, "cases <per grid>");
    assert_eq!(svg.matches("<path ").count(), ids.len());
    assert!(svg.contains("cases &lt;per grid&gt;"));
    let fill_of = |code: &str| {
        let at = svg.find(&format!("<title>{code} ")).unwrap();
        let start = svg[..at].rfind("fill=\"").unwrap() + 6;
        svg[start..start + 7].to_string()
    };
    assert_eq!(fill_of(&city.region(ids[0]).code), "#993404");
    assert_eq!(
        fill_of(&city.region(ids[1]).code),
        super::svg::colour(2.5, 10.0)
    );
    assert_eq!(fill_of(&city.region(ids[2]).code), "#e8e8e8");
    assert_ne!(super::svg::colour(2.5, 10.0), super::svg::colour(5.0, 10.0));
    // Every coordinate lies in the view box.
    let vb: Vec<f64> = svg
        .split("viewBox=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    for d in svg.split(" d=\"").skip(1) {
        let path = d.split('"').next().unwrap();
        for pair in path.split(['M', 'L', 'Z']).filter(|p| !p.is_empty()) {
            let xy: Vec<f64> = pair.split(' ').map(|v| v.parse().unwrap()).collect();
            assert!(xy[0] >= -0.01 && xy[0] <= vb[2] + 0.01 && xy[1] >= 0.0 && xy[1] <= vb[3]);
        }
    }
}
