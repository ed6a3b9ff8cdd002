//! `wangge stats` on the hand-made fixture city: files written, counts per level and per
//! department, indicators, H3 GeoJSON, missing columns and bad rows.

mod common;
use common::{wangge, Table, TempDir};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/fixture/city.toml"
);

// Owners from tests/conformance/fixture.json: (114.2515, 30.5525) is grid 420103001001002 of
// community 420103001001; (114.253, 30.5515) is grid 420103001002001 of 420103001002;
// (114.256, 30.5515) lies outside the city.
const CASES: &str = "\
id,lon,lat,category,reported_at,deadline,closed_at,status,rework,department
a,114.2515,30.5525,0103,2025-06-01 08:00,2025-06-01 12:00,2025-06-01 11:00,结案,0,D1
b,114.2515,30.5525,0103,2025-06-01 08:00,2025-06-01 12:00,2025-06-01 13:00,结案,1,D1
c,114.2515,30.5525,0118,2025-06-01 08:00,2025-06-01 12:00,,处理中,0,D2
d,114.253,30.5515,0118,2025-06-01 08:00,2025-06-01 12:00,2025-06-01 09:00,核查结案,0,D2
e,114.253,30.5515,0118,2025-06-01 08:00,2025-06-01 12:00,,作废,0,D2
f,114.256,30.5515,0103,2025-06-01 08:00,2025-06-01 12:00,2025-06-01 10:00,结案,0,D1
";

#[test]
fn stats_writes_levels_departments_and_hexagons() {
    let dir = TempDir::new("stats-ok");
    let cases = dir.write("cases.csv", CASES);
    let out = dir.path("out");
    let run = wangge(&[
        "stats", "--city", FIXTURE, "--cases", &cases, "--out", &out, "--h3-res", "9",
    ])
    .ok();
    assert!(
        run.stdout
            .contains("6 rows: 6 cases (1 outside every region)"),
        "{}",
        run.stdout
    );
    let community = Table::read(&format!("{out}/community.csv"));
    let c1 = community.row_where("code", "420103001001");
    assert_eq!(
        ["cases", "accepted", "handled", "on_time", "overdue", "rework", "closed"]
            .map(|k| c1.get(k)),
        ["3", "3", "2", "1", "1", "1", "2"]
    );
    assert_eq!(c1.get("handling_rate"), "0.666667");
    assert_eq!(c1.get("on_time_rate"), "0.333333");
    assert_eq!(c1.get("rework_rate"), "0.500000");
    assert_eq!(c1.get("closing_rate"), "0.666667");
    let c2 = community.row_where("code", "420103001002");
    assert_eq!(
        [c2.get("cases"), c2.get("accepted"), c2.get("closing_rate")],
        ["2", "1", "0.000000"]
    );
    let grid = Table::read(&format!("{out}/grid.csv"));
    assert_eq!(grid.row_where("code", "420103001001002").get("cases"), "3");
    assert_eq!(
        grid.row_where("code", "420103001002001").get("parent"),
        "420103001002"
    );
    assert_eq!(
        grid.row_where("code", "420103001001001")
            .get("handling_rate"),
        ""
    );
    let total: u64 = grid
        .column("cases")
        .iter()
        .map(|c| c.parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 5);
    let dept = Table::read(&format!("{out}/department.csv"));
    assert_eq!(dept.column("code"), ["D1", "D2"]);
    assert_eq!(dept.row_where("code", "D1").get("cases"), "3");
    assert_eq!(dept.row_where("code", "D2").get("handled"), "1");
    let geojson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{out}/h3_r9.geojson")).unwrap())
            .unwrap();
    let features = geojson["features"].as_array().unwrap();
    let counted: u64 = features
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 6);
    assert!(features
        .iter()
        .all(|f| f["properties"]["h3"].as_str().unwrap().starts_with("89")));
}

#[test]
fn stats_names_a_missing_column_and_bad_rows() {
    let dir = TempDir::new("stats-bad");
    let out = dir.path("out");
    let no_deadline = dir.write(
        "a.csv",
        "lon,lat,status,closed_at\n114.2515,30.5525,6,2025-06-01\n",
    );
    wangge(&[
        "stats",
        "--city",
        FIXTURE,
        "--cases",
        &no_deadline,
        "--out",
        &out,
        "--indicators",
        "on_time_rate",
    ])
    .fails_with(&["missing column \"deadline\"", "按期处置率"]);
    let bad = dir.write(
        "b.csv",
        "lon,lat,reported_at,status\n114.2515,30.5525,2025-06-01,6\n114.2515,30.5525,,6\nx,1,2025-06-01,6\n",
    );
    wangge(&["stats", "--city", FIXTURE, "--cases", &bad, "--out", &out]).fails_with(&[
        "line 3",
        "reported_at",
        "missing time",
    ]);
    let run = wangge(&[
        "stats",
        "--city",
        FIXTURE,
        "--cases",
        &bad,
        "--out",
        &out,
        "--skip-invalid",
    ])
    .ok();
    assert!(run.stdout.contains("3 rows: 1 cases"), "{}", run.stdout);
    let problems = Table::read(&format!("{out}/problems.csv"));
    assert_eq!(problems.column("line"), ["3", "4"]);
    assert_eq!(problems.column("column"), ["reported_at", "lon"]);
}
