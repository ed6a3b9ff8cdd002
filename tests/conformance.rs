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
