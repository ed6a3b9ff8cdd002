//! Runs every `tests/conformance/*.json` case; the Python and JS suites run the same files.

use wangge::City;
use wangge_tests::{chain_codes, repo_root, ConformanceFile};

#[test]
fn conformance_cases() {
    let dir = repo_root().join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no conformance files in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut total = 0;
    for file in files {
        let doc: ConformanceFile =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let city = City::load(&repo_root().join(&doc.manifest)).unwrap();
        for (i, case) in doc.cases.iter().enumerate() {
            total += 1;
            let got = chain_codes(&city, case.crs, case.lon, case.lat);
            if got != case.expect {
                failures.push(format!(
                    "{} case {i} ({}): expected {:?}, got {:?}",
                    doc.dataset, case.note, case.expect, got
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Regenerates `tests/conformance/wuhan.json`: run with
/// `cargo test -p wangge-tests --test conformance -- --ignored write_wuhan_cases`.
///
/// Expected owners come from construction, not from `locate`: each point is geo's interior
/// point of a region, kept only if it is at least 2 m from every ring of that region (so no
/// rounding in a CRS conversion can move it across a border), given in GCJ-02 as a WeChat
/// report would be; the expected chain is that region's chain.
#[test]
#[ignore = "writes tests/conformance/wuhan.json"]
fn write_wuhan_cases() {
    use geo::{Distance, Euclidean, InteriorPoint};
    use serde_json::json;
    let city = City::load(&repo_root().join("data/wuhan.toml")).unwrap();
    let conv = wangge::crs::Converter::default();
    let mut cases = Vec::new();
    for level in 0..city.levels().len() {
        let step = (city.level_regions(level).count() / 40).max(1);
        for (id, r) in city.level_regions(level).step_by(step) {
            // Deeper regions would own the interior point of a subdivided parent.
            if !city.children(id).is_empty() {
                continue;
            }
            let p = r.geometry.interior_point().unwrap();
            let margin = r
                .geometry
                .iter()
                .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
                .map(|ring| Euclidean.distance(&p, ring))
                .fold(f64::INFINITY, f64::min);
            if margin < 2e-5 {
                continue;
            }
            let (x, y) = conv.from_wgs84(wangge::Crs::Gcj02, p.x(), p.y());
            let chain: Vec<String> = city.chain(id).iter().map(|r| r.code.clone()).collect();
            cases.push(json!({"lon": x, "lat": y, "crs": "gcj02", "expect": chain,
                "note": format!("interior point of {} {}", r.code, r.name)}));
        }
    }
    for (x, y, note) in [
        (116.397, 39.909, "Beijing"),
        (114.0, 29.5, "south of Wuhan"),
        (0.0, 0.0, "null island"),
    ] {
        cases.push(json!({"lon": x, "lat": y, "crs": "gcj02", "expect": null, "note": note}));
    }
    let doc = json!({
        "dataset": "wuhan",
        "manifest": "data/wuhan.toml",
        "description": "The bundled Wuhan city (real districts; synthetic streets, communities and grids in 江汉区). Points are interior points of regions at least 2 m from their borders, in GCJ-02; expected chains by construction (see write_wuhan_cases in tests/conformance.rs).",
        "cases": cases,
    });
    let path = repo_root().join("tests/conformance/wuhan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
}
