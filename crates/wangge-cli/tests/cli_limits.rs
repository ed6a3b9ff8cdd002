//! `--limit NAME=N` and the manifest's `[limits]` table on the commands that read GeoJSON:
//! an input over a limit is an orderly error naming the file, the limit and where; raising the
//! limit lets the same input through.

mod common;
use common::*;

const DISTRICTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/wuhan/districts_gcj02.geojson"
);

/// A manifest of the bundled districts (largest ring: 2,416 positions), with `extra` appended.
fn manifest(dir: &TempDir, extra: &str) -> String {
    dir.write(
        "city.toml",
        format!(
            "crs = \"gcj02\"\n[[levels]]\nname = \"district\"\nfile = {DISTRICTS:?}\n\
             code_property = \"adcode\"\nname_property = \"district\"\n{extra}"
        ),
    )
}

#[test]
fn build_applies_the_manifest_table_and_the_flags_on_top() {
    let dir = TempDir::new("limits-build");
    let out = dir.path("city.wgg");
    let city = manifest(&dir, "[limits]\nmax_ring_vertices = 1000\n");
    wangge(&["build", "--city", &city, "-o", &out]).fails_with(&[
        "districts_gcj02.geojson",
        "positions in ring 0 of feature",
        "of level \"district\"",
        "max_ring_vertices = 1000",
    ]);
    assert!(!std::path::Path::new(&out).exists());
    // The flag overrides the table's value; the other limits keep theirs.
    wangge(&[
        "build",
        "--city",
        &city,
        "-o",
        &out,
        "--limit",
        "max_ring_vertices=2416",
    ])
    .ok();
    wangge(&[
        "build",
        "--city",
        &city,
        "-o",
        &out,
        "--limit",
        "max_ring_vertices=none",
        "--limit",
        "max_features=12",
    ])
    .fails_with(&["13 features in level \"district\"", "max_features = 12"]);
    // A misspelt limit is refused, in the flag and in the table.
    wangge(&[
        "build",
        "--city",
        &city,
        "-o",
        &out,
        "--limit",
        "max_feature=3",
    ])
    .fails_with(&["unknown limit", "max_features"]);
    let bad = manifest(&dir, "[limits]\nmax_feature = 3\n");
    wangge(&["build", "--city", &bad, "-o", &out]).fails_with(&["unknown field", "max_feature"]);
}

#[test]
fn a_huge_file_is_refused_from_its_size_alone() {
    let dir = TempDir::new("limits-size");
    // A sparse 64 GiB file: reading it would take minutes and all the memory there is.
    let big = dir.path("big.geojson");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(64 << 30))
        .unwrap();
    let points = dir.write("points.csv", "lon,lat\n114.27,30.58\n");
    let out = dir.path("owners.csv");
    for args in [
        vec!["locate", "--polygons", &big, "--id-property", "code"],
        vec!["validate", "--polygons", &big],
    ] {
        let mut args = args;
        if args[0] == "locate" {
            args.extend(["--points", &points, "--out", &out]);
        }
        wangge(&args).fails_with(&[
            "big.geojson",
            "68719476736 bytes",
            "max_file_bytes = 268435456",
        ]);
    }
}

#[test]
fn quick_locate_and_validate_take_the_flag() {
    let dir = TempDir::new("limits-quick");
    let points = dir.write("points.csv", "lon,lat\n114.27,30.58\n");
    let out = dir.path("owners.csv");
    let locate = |limit: &str| {
        wangge(&[
            "locate",
            "--polygons",
            DISTRICTS,
            "--id-property",
            "adcode",
            "--polygons-crs",
            "gcj02",
            "--points",
            &points,
            "--out",
            &out,
            "--limit",
            limit,
        ])
    };
    locate("max_vertices=5000").fails_with(&["5001 positions in level \"owner\"", "max_vertices"]);
    locate("max_vertices=12896").ok();
    wangge(&[
        "validate",
        "--polygons",
        DISTRICTS,
        "--code-scheme",
        "free",
        "--id-property",
        "adcode",
        "--limit",
        "max_feature_rings=1",
    ])
    .fails_with(&["2 rings in feature", "max_feature_rings = 1"]);
}

/// Every command that loads a city takes `--limit`: a snapshot over `max_snapshot_bytes` is
/// refused from its header (naming the file and the limit) by locate, stats, hotspots, edit and
/// diff; a manifest's level files are read under the flag by dispatch (and `edit --dispatch`).
#[test]
fn every_command_that_loads_a_city_takes_the_flag() {
    let dir = TempDir::new("limits-everywhere");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/fixture/city.toml"
    );
    let cases = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/hostile/csv/cases.utf8.csv"
    );
    let snap = dir.path("city.wgg");
    wangge(&["build", "--city", fixture, "-o", &snap]).ok();
    let size = std::fs::metadata(&snap).unwrap().len();
    let tight = format!("max_snapshot_bytes={}", size - 1);
    let refused = format!("max_snapshot_bytes = {}", size - 1);
    let edits = dir.write("edits.json", "[]");
    let (out, csv) = (dir.path("out"), dir.path("out.csv"));
    let commands: [Vec<&str>; 5] = [
        vec!["locate", "--city", &snap, "--points", cases, "--out", &csv],
        vec!["stats", "--city", &snap, "--cases", cases, "--out", &out],
        vec![
            "hotspots",
            "--city",
            &snap,
            "--cases",
            cases,
            "--radius-m",
            "200",
            "--days",
            "3",
        ],
        vec!["edit", "--city", &snap, "--edits", &edits],
        vec!["diff", &snap, &snap],
    ];
    for args in commands {
        let mut with_limit = args.clone();
        with_limit.extend(["--limit", &tight]);
        let run = wangge(&with_limit).fails_with(&["city.wgg", &refused]);
        assert!(!run.stderr.contains("panicked"), "{args:?}");
        // The same command passes the load with the limit at the snapshot's size.
        let mut exact = args.clone();
        let fits = format!("max_snapshot_bytes={size}");
        exact.extend(["--limit", &fits]);
        let run = wangge(&exact);
        assert!(
            !run.stderr.contains("max_snapshot_bytes"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // dispatch reads the manifest's level files under the flag (13 districts).
    let wuhan = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wuhan.toml");
    wangge(&[
        "dispatch",
        "--city",
        wuhan,
        "--reports",
        cases,
        "--out",
        &csv,
        "--limit",
        "max_features=12",
    ])
    .fails_with(&["13 features in level \"district\"", "max_features = 12"]);
    wangge(&[
        "edit",
        "--city",
        &snap,
        "--edits",
        &edits,
        "--dispatch",
        wuhan,
        "--limit",
        "max_features=12",
    ])
    .fails_with(&["max_features = 12"]);
}
