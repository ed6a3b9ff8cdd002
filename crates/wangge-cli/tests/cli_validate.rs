//! `wangge validate`: each output format and the exit code.

mod common;
use common::{wangge, TempDir};

/// A point `x` m east and `y` m north of (114°E, 30°N).
fn pt(x: f64, y: f64) -> String {
    let lon = 114.0 + x / (111_320.0 * 30f64.to_radians().cos());
    let lat = 30.0 + y / 110_852.0;
    format!("[{lon},{lat}]")
}

fn rect_feature(code: &str, x0: f64, x1: f64) -> String {
    let ring = [(x0, 0.0), (x1, 0.0), (x1, 100.0), (x0, 100.0), (x0, 0.0)]
        .iter()
        .map(|&(x, y)| pt(x, y))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        r#"{{"type":"Feature","properties":{{"gid":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}"#
    )
}

/// Two 100 m × 100 m grids; the second starts at `second_x0` (90 = a 10 m × 100 m overlap).
fn grids(dir: &TempDir, second_x0: f64) -> String {
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        rect_feature("420103003005001", 0.0, 100.0),
        rect_feature("420103003005002", second_x0, second_x0 + 100.0)
    );
    dir.write("grids.geojson", fc)
}

#[test]
fn clean_grids_exit_zero_with_an_empty_report() {
    let dir = TempDir::new("validate-clean");
    let file = grids(&dir, 100.0);
    let run = wangge(&["validate", "--polygons", &file, "--id-property", "gid"]).ok();
    assert!(
        run.stdout
            .starts_with("checked 2 grid: 0 errors, 0 warnings"),
        "{}",
        run.stdout
    );
}

#[test]
fn overlap_fails_and_every_format_reports_it() {
    let dir = TempDir::new("validate-overlap");
    let file = grids(&dir, 90.0);
    let base = ["validate", "--polygons", &file, "--id-property", "gid"];

    let text = wangge(&base).fails_with(&["not valid", "1 error-severity"]);
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with("error   overlap"))
        .unwrap_or_else(|| panic!("{}", text.stdout));
    assert!(line.contains("[420103003005001 420103003005002]"), "{line}");

    let out = dir.path("report.json");
    wangge(&[&base[..], &["--format", "json", "-o", &out]].concat()).fails_with(&["not valid"]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["kind"], "overlap");
    assert_eq!(findings[0]["severity"], "error");
    // 10 m × 100 m, within the accuracy of the metre-to-degree layout above.
    let area = findings[0]["value"].as_f64().unwrap();
    assert!((area - 1000.0).abs() < 10.0, "{area}");

    let out = dir.path("report.geojson");
    wangge(&[&base[..], &["--format", "geojson", "-o", &out]].concat()).fails_with(&["not valid"]);
    let fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let feature = &fc["features"][0];
    assert_eq!(feature["properties"]["kind"], "overlap");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    // The overlap is drawn between x = 90 m and x = 100 m.
    let xs: Vec<f64> = feature["geometry"]["coordinates"][0][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_f64().unwrap())
        .collect();
    let (west, east): (f64, f64) = (
        serde_json::from_str::<[f64; 2]>(&pt(90.0, 0.0)).unwrap()[0],
        serde_json::from_str::<[f64; 2]>(&pt(100.0, 0.0)).unwrap()[0],
    );
    assert!(
        xs.iter().all(|&x| x >= west - 1e-9 && x <= east + 1e-9),
        "{xs:?}"
    );
}

#[test]
fn warnings_alone_exit_zero_and_free_codes_skip_the_standard_rules() {
    let dir = TempDir::new("validate-free");
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        rect_feature("A-1", 0.0, 20.0)
    );
    let file = dir.write("free.geojson", fc);
    // Standard codes: "A-1" is malformed (error).
    wangge(&["validate", "--polygons", &file, "--id-property", "gid"]).fails_with(&["not valid"]);
    // Free codes: a 2,000 m² deepest-level cell only warns (2,500-40,000 m² is the warning range).
    let run = wangge(&[
        "validate",
        "--polygons",
        &file,
        "--id-property",
        "gid",
        "--code-scheme",
        "free",
    ])
    .ok();
    assert!(
        run.stdout
            .starts_with("checked 1 grid: 0 errors, 1 warnings"),
        "{}",
        run.stdout
    );
}

#[test]
fn bundled_city_validates_without_errors() {
    let city = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wuhan.toml");
    let run = wangge(&["validate", "--city", city, "--format", "json"]).ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["levels"],
        serde_json::json!(["district", "street", "community", "grid"])
    );
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["severity"] == "warning"),
        "{}",
        run.stdout
    );
}

#[test]
fn unreadable_input_is_an_error() {
    wangge(&["validate", "--polygons", "/nonexistent.geojson"]).fails_with(&["nonexistent"]);
    wangge(&["validate"]).fails_with(&["--city"]);
}

#[test]
fn thresholds_are_flags() {
    let dir = TempDir::new("validate-thresholds");
    let file = grids(&dir, 90.0);
    // The 10 m × 100 m overlap (1,000 m²) is ignored under a 2,000 m² threshold.
    let base = ["validate", "--polygons", &file, "--id-property", "gid"];
    wangge(&[&base[..], &["--overlap-min-area-m2", "2000"]].concat()).ok();
    // Both 100 m × 100 m grids fall outside a 20,000–30,000 m² error range.
    let run = wangge(
        &[
            &base[..],
            &[
                "--overlap-min-area-m2",
                "2000",
                "--area-error-m2",
                "20000,30000",
            ],
        ]
        .concat(),
    )
    .fails_with(&["2 error-severity"]);
    assert_eq!(
        run.stdout.matches("area_out_of_range").count(),
        3,
        "{}",
        run.stdout
    );
    wangge(&[&base[..], &["--area-warn-m2", "5"]].concat())
        .fails_with(&["--area-warn-m2 needs MIN,MAX"]);
}
