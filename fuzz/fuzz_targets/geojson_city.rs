//! Any text as a GeoJSON level: reading, validating and building never panic, and a city that
//! builds locates its own vertices and edge midpoints exactly like the brute-force oracle.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge::io::geojson::{read_level, PropertyNames};
use wangge::validate::{validate_levels, ValidateOptions};
use wangge::{BuildOptions, City, CodeScheme, Crs, LevelInput};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let props = PropertyNames::default();
    let converter = wangge::crs::Converter::default();
    let Ok(regions) = read_level("fuzz", text, "grid", &props, Crs::Wgs84, &converter) else {
        return;
    };
    let levels = vec![LevelInput {
        name: "grid".into(),
        regions,
    }];
    let options = ValidateOptions {
        code_scheme: CodeScheme::Free,
        ..ValidateOptions::default()
    };
    let _ = validate_levels(&levels, &options);
    let build = BuildOptions {
        code_scheme: CodeScheme::Free,
        ..BuildOptions::default()
    };
    if let Ok(city) = City::build(levels, &build) {
        common::check_locate(&city, &common::vertices(&city, 256));
    }
});
