//! `wangge edit`, `wangge history` and `wangge diff` on the bundled city.

mod common;
use common::{wangge, TempDir};

const WUHAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wuhan.toml");
const GRID: &str = "420103001001001";

/// Bounding box (min lon, min lat, max lon, max lat) of grid `code` in an exported level, and
/// the mean of its exterior vertices (inside the roughly convex generated cells).
fn bbox(grid_geojson: &str, code: &str) -> ([f64; 4], [f64; 2]) {
    let fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(grid_geojson).unwrap()).unwrap();
    let feature = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == code)
        .unwrap_or_else(|| panic!("no grid {code}"));
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let exterior = feature["geometry"]["coordinates"][0][0].as_array().unwrap();
    let mut mean = [0.0, 0.0];
    for p in &exterior[1..] {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        mean = [mean[0] + x, mean[1] + y];
    }
    let n = (exterior.len() - 1) as f64;
    (b, [mean[0] / n, mean[1] / n])
}

#[test]
fn split_commit_history_diff_and_rollback() {
    let dir = TempDir::new("plan");
    let snapshot = dir.path("city.wgg");
    wangge(&["build", "--city", WUHAN, "-o", &snapshot]).ok();
    let levels = dir.path("levels");
    wangge(&["export", "--city", &snapshot, "--out-dir", &levels]).ok();
    let ([x0, y0, x1, y1], [xm, ym]) = bbox(&format!("{levels}/grid.geojson"), GRID);
    let edits = dir.write(
        "split.json",
        format!(
            r#"[{{"op": "split", "grid": "{GRID}", "line": [[{}, {ym}], [{}, {ym}]]}}]"#,
            x0 - 0.01,
            x1 + 0.01
        ),
    );
    let q = (y1 - y0) / 10.0;
    let cases = dir.write(
        "cases.csv",
        format!(
            "id,lon,lat\nnorth,{xm},{}\nsouth,{xm},{}\nfar,0,0\n",
            ym + q,
            ym - q
        ),
    );
    let history = dir.path("history");
    let run = wangge(&[
        "edit",
        "--history",
        &history,
        "--city",
        &snapshot,
        "--edits",
        &edits,
        "--cases",
        &cases,
        "--dispatch",
        WUHAN,
        "--commit",
    ])
    .ok();
    assert!(
        run.stdout.contains("valid, can be committed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("retired: {GRID}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("cases changing grid: 2"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("committed version 2"), "{}", run.stderr);
    // The north half gets the lower serial (reading order).
    let created: Vec<&str> = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("created: "))
        .unwrap()
        .split(", ")
        .collect();
    assert_eq!(created.len(), 2);
    assert!(
        run.stdout
            .contains(&format!("north: {GRID} → {}", created[0])),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("south: {GRID} → {}", created[1])),
        "{}",
        run.stdout
    );

    // An edit that cannot apply: nothing is committed.
    let bad = dir.write(
        "bad.json",
        format!(r#"{{"op": "merge", "grids": ["{GRID}", "420103001001002"]}}"#),
    );
    wangge(&["edit", "--history", &history, "--edits", &bad, "--commit"]).fails_with(&[
        "edit 0 (merge)",
        GRID,
        "retired by an earlier version",
    ]);

    let listing = wangge(&["history", &history]).ok();
    assert_eq!(listing.stdout.lines().count(), 3, "{}", listing.stdout);
    assert!(listing
        .stdout
        .lines()
        .nth(2)
        .unwrap()
        .starts_with("2*\t1\t"));

    let v1 = format!("{history}/v1.wgg");
    let v2 = format!("{history}/v2.wgg");
    let diff = wangge(&["diff", &v1, &v2]).ok();
    assert!(
        diff.stdout.starts_with("2 added, 1 removed"),
        "{}",
        diff.stdout
    );
    let gj = wangge(&["diff", &v1, &v2, "--format", "geojson"]).ok();
    let fc: serde_json::Value = serde_json::from_str(&gj.stdout).unwrap();
    assert!(fc["features"].as_array().unwrap().len() >= 3);

    let back = wangge(&["history", &history, "--rollback", "1"]).ok();
    assert!(
        back.stderr.contains("version 3 restores version 1"),
        "{}",
        back.stderr
    );
    assert!(back.stdout.lines().nth(3).unwrap().starts_with("3*\t2\t"));
    let same = wangge(&["diff", &v1, &format!("{history}/v3.wgg")]).ok();
    assert!(
        same.stdout.starts_with("0 added, 0 removed, 0 changed"),
        "{}",
        same.stdout
    );
}

#[test]
fn an_invalid_edit_fails_and_saves_nothing() {
    let dir = TempDir::new("plan-invalid");
    let snapshot = dir.path("city.wgg");
    wangge(&["build", "--city", WUHAN, "-o", &snapshot]).ok();
    let levels = dir.path("levels");
    wangge(&["export", "--city", &snapshot, "--out-dir", &levels]).ok();
    let ([x0, y0, x1, y1], _) = bbox(&format!("{levels}/grid.geojson"), GRID);
    // Grow the grid by half its width to the east: it overlaps its neighbours.
    let w = x1 + (x1 - x0) / 2.0;
    let edits = dir.write(
        "replace.json",
        format!(
            r#"[{{"op": "replace", "grid": "{GRID}", "geometry": [[[[{x0},{y0}],[{w},{y0}],[{w},{y1}],[{x0},{y1}],[{x0},{y0}]]]]}}]"#
        ),
    );
    let out = dir.path("edited.wgg");
    let run = wangge(&[
        "edit", "--city", &snapshot, "--edits", &edits, "--save", &out, "--format", "json",
    ])
    .fails_with(&["invalid", "nothing was committed"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["valid"], false);
    let kinds: Vec<&str> = json["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"overlap"), "{kinds:?}");
    assert!(!std::path::Path::new(&out).exists());
}
