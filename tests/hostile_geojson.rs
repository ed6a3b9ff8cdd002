//! Hostile and messy GeoJSON: every file of `tests/hostile/geojson` and every large input
//! generated here gives a typed error whose message names where the problem is, or a documented
//! repair whose result is checked. Never a panic, a hang or an out-of-memory: the large inputs
//! are refused by the limits of `wangge::io::limits` while reading, or bounded in the build.
//!
//! Run: `cargo test -p wangge-tests --test hostile_geojson`.

use geo::{Contains, LineString, MultiPolygon, Point, Polygon};
use std::io::Write;
use std::path::{Path, PathBuf};
use wangge::crs::Converter;
use wangge::io::geojson::{LevelReader, PropertyNames};
use wangge::io::limits::ReadLimits;
use wangge::model::geometry::RawMultiPolygon;
use wangge::prelude::*;
use wangge::ErrorKind;
use wangge_tests::repo_root;

fn corpus() -> PathBuf {
    repo_root().join("tests/hostile/geojson")
}

/// A scratch directory for generated files, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "wangge-hostile-geojson-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn props() -> PropertyNames {
    PropertyNames::default()
}

/// Reads a level `grid` from a file with `limits`, in `crs`.
fn read_with(path: &Path, crs: Crs, limits: ReadLimits) -> Result<Vec<RegionInput>> {
    let props = props();
    LevelReader {
        level: "grid",
        props: &props,
        crs,
        converter: &Converter::default(),
        limits,
    }
    .read_file(path)
}

/// Reads a level `grid` from text with `limits`.
fn read_text(text: &str, limits: ReadLimits) -> Result<Vec<RegionInput>> {
    let props = props();
    LevelReader {
        level: "grid",
        props: &props,
        crs: Crs::Wgs84,
        converter: &Converter::default(),
        limits,
    }
    .read_str("generated.geojson", text)
}

/// Builds a one-level city `grid` with free codes.
fn build(regions: Vec<RegionInput>, check_validity: bool) -> Result<City> {
    City::build(
        vec![LevelInput {
            name: "grid".into(),
            regions,
        }],
        &BuildOptions {
            code_scheme: CodeScheme::Free,
            check_validity,
            ..BuildOptions::default()
        },
    )
}

/// What a corpus file must give.
enum Expect {
    /// An error: the variant's name (as `Debug` prints it), its kind, and what its message
    /// must contain (the location).
    Fails(&'static str, ErrorKind, &'static [&'static str]),
    /// A documented repair: the city builds and passes the check.
    Builds(fn(&City)),
}

use Expect::{Builds, Fails};

/// The square every multi-feature file starts with (feature 0, code "ok").
fn only_ring(city: &City, code: &str) -> Vec<[f64; 2]> {
    let r = city.region(city.by_code(code).unwrap());
    assert_eq!(r.geometry.0.len(), 1);
    r.geometry.0[0]
        .exterior()
        .0
        .iter()
        .map(|c| [c.x, c.y])
        .collect()
}

const SQUARE: [[f64; 2]; 5] = [
    [114.0, 30.0],
    [114.001, 30.0],
    [114.001, 30.001],
    [114.0, 30.001],
    [114.0, 30.0],
];

#[rustfmt::skip]
const CASES: &[(&str, Expect)] = &[
    // JSON and document structure: GeoJson (data), with serde_json's line and column.
    ("not_json.geojson", Fails("GeoJson", ErrorKind::Data, &["not_json.geojson", "EOF while parsing", "line 2"])),
    ("trailing_garbage.geojson", Fails("GeoJson", ErrorKind::Data, &["trailing_garbage.geojson", "trailing characters", "line 1"])),
    ("number_overflow.geojson", Fails("GeoJson", ErrorKind::Data, &["number_overflow.geojson", "feature 0 of level \"grid\"", "number out of range"])),
    ("nan_literal.geojson", Fails("GeoJson", ErrorKind::Data, &["nan_literal.geojson", "feature 0 of level \"grid\"", "expected value", "column"])),
    ("feature_not_collection.geojson", Fails("GeoJson", ErrorKind::Data, &["feature_not_collection.geojson", "expected a FeatureCollection, found a Feature"])),
    ("wrong_feature_type.geojson", Fails("GeoJson", ErrorKind::Data, &["wrong_feature_type.geojson", "feature 1 of level \"grid\"", "\"type\" must be \"Feature\", found \"Feture\""])),
    ("duplicate_member.geojson", Fails("GeoJson", ErrorKind::Data, &["duplicate_member.geojson", "feature 0 of level \"grid\"", "duplicate field `geometry`"])),
    ("position_one_number.geojson", Fails("GeoJson", ErrorKind::Data, &["position_one_number.geojson", "feature 1 of level \"grid\"", "a position needs at least 2 numbers", "column"])),
    ("mixed_position.geojson", Fails("GeoJson", ErrorKind::Data, &["mixed_position.geojson", "feature 1 of level \"grid\"", "mixes numbers and arrays"])),
    ("coordinates_too_deep.geojson", Fails("GeoJson", ErrorKind::Data, &["coordinates_too_deep.geojson", "feature 1 of level \"grid\"", "nested deeper than a MultiPolygon's"])),
    ("position_not_array.geojson", Fails("GeoJson", ErrorKind::Data, &["position_not_array.geojson", "level \"grid\" feature 1 (code \"ring\")", "ring 0 is a single position"])),
    ("gbk_name.geojson", Fails("GeoJson", ErrorKind::Data, &["gbk_name.geojson", "not UTF-8 (byte 91)", "iconv -f GBK -t UTF-8"])),
    // Properties and geometry types.
    ("missing_code.geojson", Fails("Property", ErrorKind::Data, &["level \"grid\" feature 1:", "property \"code\" is missing"])),
    ("object_code.geojson", Fails("Property", ErrorKind::Data, &["level \"grid\" feature 1:", "must be a string or an integer, found {\"a\":[1,2]}"])),
    ("null_geometry.geojson", Fails("UnsupportedGeometry", ErrorKind::Geometry, &["level \"grid\" feature 1 (code \"nogeom\")", "found no geometry"])),
    ("point_geometry.geojson", Fails("UnsupportedGeometry", ErrorKind::Geometry, &["feature 1 (code \"point\")", "found Point"])),
    ("geometry_collection.geojson", Fails("UnsupportedGeometry", ErrorKind::Geometry, &["feature 1 (code \"gc\")", "found GeometryCollection"])),
    ("empty_multipolygon.geojson", Fails("UnsupportedGeometry", ErrorKind::Geometry, &["feature 1 (code \"emptymulti\")", "an empty MultiPolygon"])),
    // Rings and coordinates (the build's checks, naming feature, code, ring and position).
    ("empty_polygon.geojson", Fails("RingTooShort", ErrorKind::Geometry, &["feature 1 (code \"empty\")", "ring 0 has 0 positions"])),
    ("empty_ring.geojson", Fails("RingTooShort", ErrorKind::Geometry, &["feature 1 (code \"emptyring\")", "ring 0 has 0 positions"])),
    ("short_ring.geojson", Fails("RingTooShort", ErrorKind::Geometry, &["feature 1 (code \"short\")", "ring 0 has 3 positions"])),
    ("unclosed_ring.geojson", Fails("RingNotClosed", ErrorKind::Geometry, &["feature 1 (code \"open\")", "ring 0 is not closed"])),
    ("huge_coordinate.geojson", Fails("CoordinateOutOfRange", ErrorKind::Geometry, &["feature 1 (code \"huge\")", "coordinate 1 of ring 0", "lon 100000000000000000000"])),
    ("gcj02_out_of_range.geojson", Fails("CoordinateOutOfRange", ErrorKind::Geometry, &["feature 1 (code \"far\")", "coordinate 2 of ring 0", "lat -1000000000000000000"])),
    ("zero_area.geojson", Fails("DegenerateRing", ErrorKind::Geometry, &["feature 1 (code \"flat\")", "ring 0 encloses no area"])),
    ("bow_tie.geojson", Fails("SelfIntersection", ErrorKind::Geometry, &["feature 1 (code \"bowtie\")", "exterior ring has a self-intersection"])),
    ("hole_outside_shell.geojson", Fails("SelfIntersection", ErrorKind::Geometry, &["feature 1 (code \"hole\")", "interior ring at index 0 is not contained"])),
    ("overlapping_parts.geojson", Fails("SelfIntersection", ErrorKind::Geometry, &["feature 1 (code \"parts\")", "polygons at indices 0 and 1 overlap"])),
    // Documented repairs.
    ("bom.geojson", Builds(|city| assert_eq!(only_ring(city, "ok"), SQUARE))),
    ("altitude.geojson", Builds(|city| {
        assert_eq!(only_ring(city, "alt"), [[114.0, 30.0], [114.001, 30.0], [114.001, 30.001], [114.0, 30.0]]);
    })),
    ("coordinates_before_type.geojson", Builds(|city| {
        assert_eq!(only_ring(city, "late"), [[114.0, 30.0], [114.001, 30.0], [114.001, 30.001], [114.0, 30.0]]);
    })),
    ("repeated_points.geojson", Builds(|city| assert_eq!(only_ring(city, "rep"), SQUARE))),
    ("spikes.geojson", Builds(|city| {
        // Both spikes gone (one out of the top edge, one along it past the corner); the corner
        // on the top edge stays.
        assert_eq!(only_ring(city, "spiky"), [
            [114.0, 30.0], [114.002, 30.0], [114.002, 30.002], [114.001, 30.002], [114.0, 30.002], [114.0, 30.0],
        ]);
        let spiky = city.by_code("spiky").unwrap();
        assert_eq!(city.locate(114.0015, 30.001).map(|h| h.leaf_id()), Some(spiky));
        assert!(city.locate(114.001, 30.004).is_none(), "the spike owned nothing and owns nothing");
    })),
];

/// The CRS a corpus file is read in (its name says when it is not WGS84).
fn crs_of(file: &str) -> Crs {
    if file.starts_with("gcj02") {
        Crs::Gcj02
    } else {
        Crs::Wgs84
    }
}

#[test]
fn every_corpus_file_gives_its_typed_error_or_repair() {
    for (file, expect) in CASES {
        let path = corpus().join(file);
        let outcome = read_with(&path, crs_of(file), ReadLimits::default())
            .and_then(|regions| build(regions, true));
        match (expect, outcome) {
            (Fails(variant, kind, says), Err(e)) => {
                let debug = format!("{e:?}");
                assert!(
                    debug.starts_with(&format!("{variant} "))
                        || debug.starts_with(&format!("{variant}(")),
                    "{file}: expected {variant}, got {debug}"
                );
                assert_eq!(e.kind(), *kind, "{file}: {e}");
                let message = e.to_string();
                for needle in *says {
                    assert!(
                        message.contains(needle),
                        "{file}: {message:?} lacks {needle:?}"
                    );
                }
            }
            (Fails(variant, ..), Ok(_)) => panic!("{file}: built, expected {variant}"),
            (Builds(check), Ok(city)) => check(&city),
            (Builds(_), Err(e)) => panic!("{file}: {e}"),
        }
    }
}

#[test]
fn every_corpus_file_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".geojson"))
        .collect();
    files.sort();
    let mut cased: Vec<String> = CASES.iter().map(|(f, _)| f.to_string()).collect();
    cased.sort();
    assert_eq!(files, cased);
}

/// The reader against an independent one: serde_json's generic `Value`, walked by hand, on the
/// bundled districts (GCJ-02, MultiPolygons), the fixture's levels and the corpus files that
/// build. Same codes, names and coordinates, in the same order.
#[test]
fn the_streaming_reader_agrees_with_a_generic_json_parse() {
    let converter = Converter::default();
    let oracle =
        |text: &str, code: &str, name: &str, crs: Crs| -> Vec<(String, String, RawMultiPolygon)> {
            let doc: serde_json::Value =
                serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
            doc["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let text_of = |v: &serde_json::Value| match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => String::new(),
                    };
                    let g = &f["geometry"];
                    let polygons: Vec<&serde_json::Value> = match g["type"].as_str().unwrap() {
                        "Polygon" => vec![&g["coordinates"]],
                        _ => g["coordinates"].as_array().unwrap().iter().collect(),
                    };
                    let raw = polygons
                        .iter()
                        .map(|p| {
                            p.as_array()
                                .unwrap()
                                .iter()
                                .map(|ring| {
                                    ring.as_array()
                                        .unwrap()
                                        .iter()
                                        .map(|pos| {
                                            let (x, y) = (
                                                pos[0].as_f64().unwrap(),
                                                pos[1].as_f64().unwrap(),
                                            );
                                            let (x, y) = converter.to_wgs84(crs, x, y);
                                            [x, y]
                                        })
                                        .collect()
                                })
                                .collect()
                        })
                        .collect();
                    (
                        text_of(&f["properties"][code]),
                        text_of(&f["properties"][name]),
                        raw,
                    )
                })
                .collect()
        };
    let mut inputs: Vec<(PathBuf, &str, &str, Crs)> = vec![
        (
            repo_root().join("data/wuhan/districts_gcj02.geojson"),
            "adcode",
            "district",
            Crs::Gcj02,
        ),
        (
            repo_root().join("tests/data/fixture/community.geojson"),
            "code",
            "name",
            Crs::Wgs84,
        ),
        (
            repo_root().join("tests/data/fixture/grid.geojson"),
            "code",
            "name",
            Crs::Wgs84,
        ),
    ];
    for (file, expect) in CASES {
        if matches!(expect, Builds(_)) {
            inputs.push((corpus().join(file), "code", "name", Crs::Wgs84));
        }
    }
    for (path, code, name, crs) in inputs {
        let text = std::fs::read_to_string(&path).unwrap();
        let props = PropertyNames {
            code: code.into(),
            name: Some(name.into()),
            parent: None,
        };
        let ours = LevelReader {
            level: "l",
            props: &props,
            crs,
            converter: &converter,
            limits: ReadLimits::default(),
        }
        .read_file(&path)
        .unwrap();
        let theirs = oracle(&text, code, name, crs);
        assert_eq!(ours.len(), theirs.len(), "{}", path.display());
        for (r, (c, n, g)) in ours.iter().zip(&theirs) {
            assert_eq!(
                (&r.code, &r.name, &r.geometry),
                (c, n, g),
                "{}",
                path.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Large hostile inputs, generated here.

/// A file of 64 GiB (sparse: no disk used) is refused from its metadata, before any byte is
/// read (reading it would take minutes and more memory than the machine has), through the
/// reader and through a manifest.
#[test]
fn a_huge_file_is_refused_by_its_size_without_reading_it() {
    let dir = Scratch::new("sparse");
    let big = dir.0.join("big.geojson");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(64 << 30))
        .unwrap();
    let e = read_with(&big, Crs::Wgs84, ReadLimits::default()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit { limit: "max_file_bytes", max, found, .. }
                if max == 256 << 20 && found == 64 << 30
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::Data);
    assert!(
        e.to_string().contains("big.geojson: 68719476736 bytes"),
        "{e}"
    );
    let manifest = dir.0.join("city.toml");
    std::fs::write(
        &manifest,
        "[[levels]]\nname = \"grid\"\nfile = \"big.geojson\"\n",
    )
    .unwrap();
    let e = City::from_manifest(&manifest).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "max_file_bytes",
                ..
            }
        ),
        "{e:?}"
    );
    // Given where a manifest or snapshot is expected, it is not read whole either.
    let e = City::load(&big).unwrap_err();
    assert!(
        matches!(&e, Error::Manifest { reason, .. } if reason.contains("larger than 16777216 bytes")),
        "{e:?}"
    );
}

/// A source whose metadata gives no size (a device) is read only up to the limit.
#[test]
fn a_source_without_a_size_is_read_only_up_to_the_limit() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let limits = ReadLimits {
        max_file_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    let e = read_with(zero, Crs::Wgs84, limits).unwrap_err();
    assert!(
        matches!(e, Error::Limit { limit: "max_file_bytes", found, .. } if found == (1 << 20) + 1),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("more than the file's metadata said"),
        "{e}"
    );
}

/// GeoJSON text of one level: `features` as (code, coordinates JSON, geometry type).
fn level_text(features: &[(String, String, &str)]) -> String {
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
    for (i, (code, coordinates, kind)) in features.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"type\":\"Feature\",\"properties\":{{\"code\":\"{code}\"}},\"geometry\":{{\"type\":\"{kind}\",\"coordinates\":{coordinates}}}}}"
        ));
    }
    text.push_str("]}");
    text
}

/// A ring's coordinates as JSON.
fn ring_json(pts: &[[f64; 2]]) -> String {
    let mut s = String::with_capacity(pts.len() * 40);
    s.push('[');
    for (i, [x, y]) in pts.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("[{x},{y}]"));
    }
    s.push(']');
    s
}

/// A closed circle of `n` positions (plus the closing one).
fn circle(n: usize, cx: f64, cy: f64, r: f64) -> Vec<[f64; 2]> {
    let mut v: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            [cx + r * t.cos(), cy + r * t.sin()]
        })
        .collect();
    v.push(v[0]);
    v
}

fn square_json(x: f64, y: f64, s: f64) -> String {
    ring_json(&[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]])
}

/// A ring of a million and one positions is refused while it is read (the reader stops at
/// the first position over `max_ring_vertices`), so the validity check, quadratic in geo
/// (0.8 s at 8,000 positions, hours at a million), never sees it.
#[test]
fn a_ring_over_max_ring_vertices_is_refused_before_any_check() {
    let max = ReadLimits::default().max_ring_vertices;
    let ring = circle(max as usize, 114.3, 30.6, 0.1); // max + 1 positions with the closing one
    let text = level_text(&[
        (
            "ok".into(),
            format!("[{}]", square_json(114.0, 30.0, 0.001)),
            "Polygon",
        ),
        ("big".into(), format!("[{}]", ring_json(&ring)), "Polygon"),
    ]);
    let e = read_text(&text, ReadLimits::default()).unwrap_err();
    match &e {
        Error::Limit {
            limit: "max_ring_vertices",
            max: m,
            found,
            what,
            ..
        } => {
            assert_eq!((*m, *found), (max, max + 1));
            assert!(
                what.contains("ring 0 of feature 1 of level \"grid\""),
                "{what}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with("generated.geojson: 1000001 positions in ring 0 of feature 1"),
        "{e}"
    );
}

/// A valid ring of a million positions (within the limit) is checked and built: the validity
/// check is sub-quadratic for real shapes. Ownership agrees with geo's `contains`.
#[test]
fn a_million_position_ring_builds() {
    let ring = circle(999_999, 114.3, 30.6, 0.1);
    let text = level_text(&[("big".into(), format!("[{}]", ring_json(&ring)), "Polygon")]);
    let city = build(read_text(&text, ReadLimits::default()).unwrap(), true).unwrap();
    let poly = Polygon::new(
        LineString::from(ring.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>()),
        vec![],
    );
    for i in 0..=40 {
        for j in 0..=40 {
            let (x, y) = (114.19 + i as f64 * 0.0055, 30.49 + j as f64 * 0.0055);
            assert_eq!(
                city.locate(x, y).is_some(),
                poly.contains(&Point::new(x, y)),
                "({x}, {y})"
            );
        }
    }
}

/// Features, positions, rings per level and rings per feature: each stops the read at the
/// first item over its limit, naming the level and the feature.
#[test]
fn counts_over_the_limits_stop_the_read() {
    let squares: Vec<(String, String, &str)> = (0..50)
        .map(|i| {
            (
                format!("s{i}"),
                format!("[{}]", square_json(114.0 + i as f64 * 0.01, 30.0, 0.001)),
                "Polygon",
            )
        })
        .collect();
    let text = level_text(&squares);
    let with = |name: &str, value: u64| {
        ReadLimits::default()
            .with_overrides(&[(name.into(), value)])
            .unwrap()
    };
    let cases: [(&str, u64, u64, &str); 4] = [
        ("max_features", 10, 11, "features in level \"grid\""),
        (
            "max_vertices",
            100,
            101,
            "positions in level \"grid\" (reading stopped in feature 20 of level \"grid\")",
        ),
        (
            "max_rings",
            30,
            31,
            "rings in level \"grid\" (reading stopped in feature 30 of level \"grid\")",
        ),
        (
            "max_ring_vertices",
            4,
            5,
            "positions in ring 0 of feature 0 of level \"grid\"",
        ),
    ];
    for (limit, max, found, what_says) in cases {
        let e = read_text(&text, with(limit, max)).unwrap_err();
        match &e {
            Error::Limit {
                limit: l,
                max: m,
                found: f,
                what,
                source_name,
            } => {
                assert_eq!((*l, *m, *f), (limit, max, found), "{e}");
                assert!(what.contains(what_says), "{what}");
                assert_eq!(source_name, "generated.geojson");
            }
            other => panic!("{limit}: {other:?}"),
        }
        // Raised to the input's size, the same text reads.
        let enough = match limit {
            "max_features" => 50,
            "max_vertices" => 250,
            "max_rings" => 50,
            _ => 5,
        };
        assert_eq!(read_text(&text, with(limit, enough)).unwrap().len(), 50);
    }
    // The default rings-per-feature limit: a MultiPolygon of 10,001 parts.
    let max = ReadLimits::default().max_feature_rings;
    let parts: Vec<String> = (0..=max)
        .map(|i| {
            format!(
                "[{}]",
                square_json(
                    114.0 + (i % 100) as f64 * 0.002,
                    30.0 + (i / 100) as f64 * 0.002,
                    0.001
                )
            )
        })
        .collect();
    let text = level_text(&[
        (
            "ok".into(),
            format!("[{}]", square_json(110.0, 30.0, 0.001)),
            "Polygon",
        ),
        (
            "many".into(),
            format!("[{}]", parts.join(",")),
            "MultiPolygon",
        ),
    ]);
    let e = read_text(&text, ReadLimits::default()).unwrap_err();
    assert!(
        matches!(e, Error::Limit { limit: "max_feature_rings", found, .. } if found == max + 1),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("10001 rings in feature 1 of level \"grid\""),
        "{e}"
    );
    // One part fewer is within the limit and builds: 10,000 disjoint parts.
    let parts = &parts[..max as usize];
    let text = level_text(&[(
        "many".into(),
        format!("[{}]", parts.join(",")),
        "MultiPolygon",
    )]);
    let city = build(read_text(&text, ReadLimits::default()).unwrap(), true).unwrap();
    assert_eq!(city.region(RegionId(0)).geometry.0.len(), max as usize);
}

/// A flood of empty arrays (3 bytes of text each, far more in memory) counts as rings.
#[test]
fn a_flood_of_empty_arrays_is_counted() {
    let empties = vec!["[]"; 20_000].join(",");
    let text = level_text(&[("e".into(), format!("[{empties}]"), "MultiPolygon")]);
    let e = read_text(&text, ReadLimits::default()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "max_feature_rings",
                found: 10_001,
                ..
            }
        ),
        "{e:?}"
    );
    let features: Vec<(String, String, &str)> = (0..100)
        .map(|i| {
            (
                format!("f{i}"),
                format!("[{}]", vec!["[]"; 100].join(",")),
                "MultiPolygon",
            )
        })
        .collect();
    let e = read_text(
        &level_text(&features),
        ReadLimits {
            max_rings: 5_000,
            ..ReadLimits::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "max_rings",
                found: 5_001,
                ..
            }
        ),
        "{e:?}"
    );
}

/// Deeply nested JSON: coordinates are refused where they go deeper than a MultiPolygon's;
/// a wanted property nested past serde_json's recursion limit (128) is a parse error; an
/// unneeded member nested a million deep is skipped without recursion. No stack overflow.
#[test]
fn deep_nesting_is_an_error_or_skipped_never_a_stack_overflow() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let text = level_text(&[("d".into(), deep(100_000), "Polygon")]);
    let e = read_text(&text, ReadLimits::default()).unwrap_err();
    assert!(
        matches!(e, Error::GeoJson { .. })
            && e.to_string()
                .contains("nested deeper than a MultiPolygon's"),
        "{e:?}"
    );
    let square = format!("[{}]", square_json(114.0, 30.0, 0.001));
    let text = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{{\"type\":\"Feature\",\"properties\":{{\"code\":{}}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":{square}}}}}]}}",
        deep(1_000)
    );
    let e = read_text(&text, ReadLimits::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("feature 0 of level \"grid\": recursion limit exceeded"),
        "{e}"
    );
    let text = format!(
        "{{\"type\":\"FeatureCollection\",\"junk\":{},\"features\":[{{\"type\":\"Feature\",\"properties\":{{\"code\":\"x\",\"other\":{}}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":{square},\"bbox\":{}}}}}]}}",
        deep(1_000_000), deep(1_000_000), deep(1_000_000)
    );
    let regions = read_text(&text, ReadLimits::default()).unwrap();
    assert_eq!(regions.len(), 1);
}

/// A comb whose 5,000 teeth run the whole height (the quadratic-memory case of region
/// preparation: 2.9 GB for this 378 kB input before the band cap) builds with its validity
/// checked, and answers like geo's `contains`.
#[test]
fn a_comb_of_full_height_teeth_builds_in_linear_memory() {
    let teeth = 5_000;
    let w = 0.1 / (2 * teeth) as f64;
    let mut ring = vec![[114.0, 29.99], [114.1, 29.99], [114.1, 30.1]];
    for i in 0..teeth {
        let (x0, x1) = (
            114.1 - (2 * i + 1) as f64 * w,
            114.1 - (2 * i + 2) as f64 * w,
        );
        ring.extend([[x0, 30.1], [x0, 30.0], [x1.max(114.0), 30.0]]);
        if i + 1 < teeth {
            ring.push([x1, 30.1]);
        }
    }
    ring.push(ring[0]);
    let text = level_text(&[("comb".into(), format!("[{}]", ring_json(&ring)), "Polygon")]);
    let city = build(read_text(&text, ReadLimits::default()).unwrap(), true).unwrap();
    let poly = Polygon::new(
        LineString::from(ring.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>()),
        vec![],
    );
    for i in 0..500 {
        for j in 0..=12 {
            let (x, y) = (
                114.0 + (i as f64 + 0.3719) * 0.000199,
                29.985 + j as f64 * 0.01,
            );
            assert_eq!(
                city.locate(x, y).is_some(),
                poly.contains(&Point::new(x, y)),
                "({x}, {y})"
            );
        }
    }
}

/// Contrived geometry whose validity check would stay quadratic in any box-based index (a 45°
/// comb of 20,000 long teeth: every tooth's box covers its neighbours) stops on the level's
/// work budget with a typed error naming the level and feature; built without the check (the
/// caller's choice for trusted data), it answers like geo's `contains`.
#[test]
fn contrived_geometry_stops_on_the_validity_budget() {
    let teeth = 20_000;
    let w = 1.0 / (2 * teeth) as f64;
    let mut ring = vec![(0.0, 0.0), (1.0, 0.0)];
    for i in 0..teeth {
        let right = 1.0 - (2 * i) as f64 * w;
        let left = right - w;
        ring.extend([(right, 1.0), (left, 1.0)]);
        if i + 1 < teeth {
            ring.extend([(left, 0.1), (left - w, 0.1)]);
        }
    }
    ring.push(ring[0]);
    let c = std::f64::consts::FRAC_1_SQRT_2 * 0.1;
    let ring: Vec<[f64; 2]> = ring
        .iter()
        .map(|&(a, b)| [114.0 + c * (a - b), 30.0 + c * (a + b)])
        .collect();
    let text = level_text(&[
        (
            "ok".into(),
            format!("[{}]", square_json(113.0, 30.0, 0.001)),
            "Polygon",
        ),
        ("comb".into(), format!("[{}]", ring_json(&ring)), "Polygon"),
    ]);
    let regions = read_text(&text, ReadLimits::default()).unwrap();
    let e = build(regions.clone(), true).unwrap_err();
    match &e {
        Error::Limit {
            limit: "validity_work",
            source_name,
            what,
            ..
        } => {
            assert_eq!(source_name, "level \"grid\"");
            assert!(
                what.contains("stopped in level \"grid\" feature 1 (code \"comb\")"),
                "{what}"
            );
            assert!(what.contains("check_validity = false"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::Data);
    // The validator (which reports instead of failing) stops on the same budget: one
    // check_stopped finding naming the feature, no hang.
    let report = wangge::validate::validate_levels(
        &[LevelInput {
            name: "grid".into(),
            regions: regions.clone(),
        }],
        &wangge::validate::ValidateOptions {
            code_scheme: CodeScheme::Free,
            ..Default::default()
        },
    );
    let stopped: Vec<_> = report
        .of_kind(wangge::validate::FindingKind::CheckStopped)
        .collect();
    assert_eq!(stopped.len(), 1, "{:?}", report.findings);
    assert_eq!(stopped[0].feature, Some(1));
    assert!(
        stopped[0].message.contains("validity_work"),
        "{}",
        stopped[0].message
    );
    assert_eq!(
        report
            .of_kind(wangge::validate::FindingKind::SelfIntersection)
            .count(),
        0
    );
    let city = build(regions, false).unwrap();
    let poly = Polygon::new(
        LineString::from(ring.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>()),
        vec![],
    );
    for i in 0..=60 {
        for j in 0..=60 {
            let (x, y) = (113.93 + i as f64 * 0.00237, 30.0 + j as f64 * 0.00237);
            assert_eq!(
                city.locate(x, y).map(|h| h.leaf().code.clone()),
                poly.contains(&Point::new(x, y)).then(|| "comb".to_string()),
                "({x}, {y})"
            );
        }
    }
}

/// Huge numbers of holes: a polygon of 9,999 holes (10,000 rings, the default
/// `max_feature_rings`) builds (holes away from the exterior take the exact fast path), and
/// points in holes have no owner.
#[test]
fn ten_thousand_rings_build() {
    let k = 100;
    let outer = circle(4_000, 114.3, 30.6, 0.2);
    let mut rings = vec![ring_json(&outer)];
    let mut holes = Vec::new();
    for i in 0..k * k - 1 {
        let (x, y) = (
            114.22 + (i % k) as f64 * 0.0016,
            30.52 + (i / k) as f64 * 0.0016,
        );
        rings.push(square_json(x, y, 0.0008));
        holes.push((x, y));
    }
    let text = level_text(&[("holes".into(), format!("[{}]", rings.join(",")), "Polygon")]);
    let city = build(read_text(&text, ReadLimits::default()).unwrap(), true).unwrap();
    for &(x, y) in holes.iter().step_by(97) {
        assert!(
            city.locate(x + 0.0004, y + 0.0004).is_none(),
            "in the hole at ({x}, {y})"
        );
        assert!(
            city.locate(x + 0.0012, y + 0.0004).is_some(),
            "between holes at ({x}, {y})"
        );
    }
}

/// A large child hugging a large parent just outside it: the parent check finds each outside
/// vertex's closest boundary point in the parent's segment R-tree (it was a pass over the whole
/// boundary per vertex). The distance it reports equals geo's `ClosestPoint` brute force.
#[test]
fn a_child_hugging_its_parent_is_checked_against_geo() {
    use geo::{ClosestPoint, Distance, Geodesic};
    let n = 3_000;
    let parent = circle(n, 114.3, 30.6, 0.01);
    // The child's ring wobbles 0 to ~3 m outside the parent's.
    let child: Vec<[f64; 2]> = circle(n + 7, 114.3, 30.6, 0.01)
        .iter()
        .enumerate()
        .map(|(i, &[x, y])| {
            let s = 1.0 + 3e-3 * ((i % 13) as f64 / 13.0);
            [114.3 + (x - 114.3) * s, 30.6 + (y - 30.6) * s]
        })
        .collect();
    let mut child = child;
    *child.last_mut().unwrap() = child[0];
    let text_parent = level_text(&[("P".into(), format!("[{}]", ring_json(&parent)), "Polygon")]);
    let text_child = level_text(&[("C".into(), format!("[{}]", ring_json(&child)), "Polygon")]);
    let levels = vec![
        LevelInput {
            name: "parent".into(),
            regions: read_text(&text_parent, ReadLimits::default()).unwrap(),
        },
        LevelInput {
            name: "child".into(),
            regions: read_text(&text_child, ReadLimits::default()).unwrap(),
        },
    ];
    let e = City::build(
        levels,
        &BuildOptions {
            code_scheme: CodeScheme::Free,
            ..BuildOptions::default()
        },
    )
    .unwrap_err();
    let Error::ChildOutsideParent {
        distance_m,
        lon,
        lat,
        at,
        ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!((at.level.as_str(), at.feature), ("child", 0));
    let poly = MultiPolygon(vec![Polygon::new(
        LineString::from(parent.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>()),
        vec![],
    )]);
    let worst = child
        .iter()
        .map(|&[x, y]| {
            let p = Point::new(x, y);
            match poly.closest_point(&p) {
                geo::Closest::SinglePoint(q) => Geodesic.distance(p, q),
                _ => 0.0,
            }
        })
        .fold(0.0, f64::max);
    assert!(
        (distance_m - worst).abs() < 1e-6,
        "{distance_m} vs geo {worst}"
    );
    assert!(worst > 1.0 && worst < 50.0, "{worst}");
    let p = Point::new(lon, lat);
    assert!(!poly.contains(&p));
}

/// The file a test writes is the file the reader reads (a smoke test of the scratch helper and
/// of `read_file` on a generated level).
#[test]
fn generated_files_read_like_text() {
    let dir = Scratch::new("file");
    let path = dir.0.join("level.geojson");
    let text = level_text(&[(
        "a".into(),
        format!("[{}]", square_json(114.0, 30.0, 0.001)),
        "Polygon",
    )]);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert_eq!(
        read_with(&path, Crs::Wgs84, ReadLimits::default()).unwrap(),
        read_text(&text, ReadLimits::default()).unwrap()
    );
}
