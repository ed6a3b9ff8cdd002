//! `wangge hotspots` on the hand-made fixture city: clusters as CSV, GeoJSON and JSON, the
//! region ranking, assets from a `[dispatch]` manifest, and orderly errors.

mod common;
use common::{wangge, Table, TempDir};

const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/fixture");

fn fixture() -> String {
    format!("{FIXTURE_DIR}/city.toml")
}

// Grids from tests/data/fixture/grid.geojson: a* lie in 420103001001002, b1 in …005 and b2 in
// …006 (community 420103001001), c* in 420103001002003 (community 420103001002), o* outside.
// a1–a3 are 9.6 m apart, 2 days apart; x1 is two months later; a4 is another category.
const CASES: &str = "\
id,lon,lat,category,reported_at
a1,114.25150,30.55250,0103,2025-06-01 08:00
a2,114.25160,30.55250,0103,2025-06-03 08:00
a3,114.25170,30.55250,0103,2025-06-05 08:00
a4,114.25150,30.55250,0118,2025-06-05 08:00
b1,114.25195,30.55150,0118,2025-06-01 08:00
b2,114.25205,30.55150,0118,2025-06-02 08:00
c1,114.25500,30.55050,200501,2025-06-01 08:00
c2,114.25505,30.55050,200501,2025-06-01 09:00
x1,114.25150,30.55250,0103,2025-08-01 08:00
o1,114.26000,30.56000,0103,2025-06-01 08:00
o2,114.26000,30.56000,0103,2025-06-01 08:00
";

#[test]
fn hotspots_csv_lists_ranked_clusters_with_their_grids() {
    let dir = TempDir::new("hotspots-csv");
    let cases = dir.write("cases.csv", CASES);
    let out = dir.path("clusters.csv");
    let regions = dir.path("regions.csv");
    let city = fixture();
    let run = wangge(&[
        "hotspots",
        "--city",
        &city,
        "--cases",
        &cases,
        "--radius-m",
        "20",
        "--days",
        "2",
        "--format",
        "csv",
        "--out",
        &out,
        "--regions-out",
        &regions,
    ])
    .ok();
    assert!(
        run.stderr
            .contains("11 rows, 11 cases: 4 clusters, 9 repeat cases"),
        "{}",
        run.stderr
    );
    let t = Table::read(&out);
    assert_eq!(t.column("id"), ["1", "2", "3", "4"]);
    assert_eq!(t.column("category"), ["0103", "0103", "200501", "0118"]);
    assert_eq!(t.column("cases"), ["3", "2", "2", "2"]);
    assert_eq!(t.column("rows"), ["2;3;4", "11;12", "8;9", "6;7"]);
    assert_eq!(
        t.column("grid"),
        ["420103001001002", "", "420103001002003", "420103001001005"]
    );
    assert_eq!(
        t.column("community"),
        ["420103001001", "", "420103001002", "420103001001"]
    );
    assert_eq!(t.row_where("id", "1").get("first"), "2025-06-01 08:00:00");
    assert_eq!(t.row_where("id", "1").get("last"), "2025-06-05 08:00:00");
    assert_eq!(t.row_where("id", "1").get("lon"), "114.2516000");
    let r = Table::read(&regions);
    assert_eq!(
        r.rows.iter().map(|row| row.join(",")).collect::<Vec<_>>(),
        [
            "community,1,420103001001,社区A,5,2",
            "community,2,420103001002,社区B,2,1",
            "grid,1,420103001001002,网格002,3,1",
            "grid,2,420103001002003,两块,2,1",
            "grid,3,420103001001005,网格005,1,1",
            "grid,4,420103001001006,网格006,1,0",
        ]
    );
}

#[test]
fn hotspots_geojson_and_json() {
    let dir = TempDir::new("hotspots-geojson");
    let cases = dir.write("cases.csv", CASES);
    let city = fixture();
    let args = |format: &'static str, out: &str| {
        wangge(&[
            "hotspots",
            "--city",
            &city,
            "--cases",
            &cases,
            "--radius-m",
            "20",
            "--days",
            "2",
            "--min-cases",
            "3",
            "--format",
            format,
            "--out",
            out,
        ])
        .ok();
        let text = std::fs::read_to_string(out).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let geo = args("geojson", &dir.path("clusters.geojson"));
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), 1);
    let f = &features[0];
    assert_eq!(f["geometry"]["type"], "MultiPoint");
    assert_eq!(
        f["geometry"]["coordinates"],
        serde_json::json!([
            [114.2515, 30.5525],
            [114.2516, 30.5525],
            [114.2517, 30.5525]
        ])
    );
    assert_eq!(f["properties"]["cases"], 3);
    assert_eq!(f["properties"]["region"], "420103001001002");
    assert_eq!(f["properties"]["rows"], serde_json::json!([2, 3, 4]));
    let json = args("json", &dir.path("report.json"));
    assert_eq!(json["repeat_cases"], 3);
    assert_eq!(json["min_cases"], 3);
    assert_eq!(json["regions"]["grid"][0]["code"], "420103001001002");
    assert_eq!(json["assets"], serde_json::Value::Null);
}

#[test]
fn hotspots_rank_assets_from_a_dispatch_manifest() {
    let dir = TempDir::new("hotspots-assets");
    let cases = dir.write("cases.csv", CASES);
    dir.write(
        "departments.toml",
        "[[department]]\ncode = \"D1\"\nname = \"水务\"\nlevel = \"city\"\njurisdiction = \"city\"\nhandles = [\"01\"]\n",
    );
    // Cover 2 is nearest to a2 and a3, cover 1 to a1; the lamp to b1 and b2.
    dir.write(
        "assets.csv",
        "id,lon,lat\n4201030103000001,114.25152,30.5525\n4201030103000002,114.25167,30.5525\n4201030118000001,114.252,30.55152\n",
    );
    let manifest = dir.write(
        "city.toml",
        format!(
            "code_scheme = \"standard\"\ncrs = \"wgs84\"\n\
             [[levels]]\nname = \"community\"\nfile = \"{FIXTURE_DIR}/community.geojson\"\n\
             [[levels]]\nname = \"grid\"\nfile = \"{FIXTURE_DIR}/grid.geojson\"\nparent_property = \"parent\"\n\
             [dispatch]\ndepartments = \"departments.toml\"\nassets = {{ file = \"assets.csv\" }}\n"
        ),
    );
    let run = wangge(&[
        "hotspots",
        "--city",
        &manifest,
        "--cases",
        &cases,
        "--radius-m",
        "20",
        "--days",
        "2",
    ])
    .ok();
    assert!(
        run.stdout.contains(
            "#1 0103 ×3 2025-06-01 08:00:00 → 2025-06-05 08:00:00 at (114.251600, 30.552500)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("420103001001002, asset 4201030103000002"),
        "{}",
        run.stdout
    );
    let assets = run
        .stdout
        .split("top assets by repeat cases:")
        .nth(1)
        .unwrap_or_else(|| panic!("no asset ranking:\n{}", run.stdout));
    let lines: Vec<&str> = assets.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines,
        [
            "  1. 4201030103000002 0103 : 2 repeat cases, 1 clusters",
            "  2. 4201030118000001 0118 : 2 repeat cases, 1 clusters",
            "  3. 4201030103000001 0103 : 1 repeat cases, 0 clusters",
        ]
    );
}

#[test]
fn hotspots_errors_are_orderly() {
    let dir = TempDir::new("hotspots-errors");
    let city = fixture();
    let no_time = dir.write("no-time.csv", "lon,lat,category\n114.2515,30.5525,0103\n");
    let run = |cases: &str, r: &str, d: &str| {
        let (r, d) = (format!("--radius-m={r}"), format!("--days={d}"));
        wangge(&["hotspots", "--city", &city, "--cases", cases, &r, &d])
    };
    run(&no_time, "20", "2").fails_with(&["missing column \"reported_at\"", "no-time.csv"]);
    let cases = dir.write("cases.csv", CASES);
    run(&cases, "0", "2").fails_with(&["radius_m", "> 0"]);
    run(&cases, "20", "-1").fails_with(&["days", "≥ 0"]);
    let bad = dir.write(
        "bad.csv",
        "lon,lat,category,reported_at\n114.2515,30.5525,0103,2025-06-01\n114.2515,30.5525,0103,yesterday\n",
    );
    run(&bad, "20", "2").fails_with(&["line 3", "reported_at"]);
}
