//! The validator on the bundled city: nothing wrong at error level.

use std::path::Path;
use wangge::io::manifest::Manifest;
use wangge::validate::{validate_levels, Severity, ValidateOptions};

#[test]
fn bundled_wuhan_has_no_errors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/wuhan.toml");
    let manifest = Manifest::load(&path).unwrap();
    let levels = manifest.read_levels(path.parent().unwrap()).unwrap();
    let options = ValidateOptions {
        code_scheme: manifest.code_scheme,
        ..Default::default()
    };
    let report = validate_levels(&levels, &options);
    let text = report.to_text();
    eprintln!("{}", text.lines().take(40).collect::<Vec<_>>().join("\n"));
    assert_eq!(report.count(Severity::Error), 0, "{text}");
    assert_eq!(
        report.features,
        levels.iter().map(|l| l.regions.len()).collect::<Vec<_>>()
    );
}
