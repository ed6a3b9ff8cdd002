//! Integration tests of the `wangge` binary: each subcommand run as a user would run it, on the
//! bundled Wuhan districts and the hand-made conformance fixture, checking the files it writes.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const DISTRICTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/wuhan/districts_gcj02.geojson"
);
const WUHAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wuhan.toml");
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/fixture/city.toml"
);

/// Cases of `tests/conformance/fixture.json` (WGS84; expected owners worked out by hand):
/// (label, lon, lat, community, grid), "" where the chain stops.
#[rustfmt::skip]
const FIXTURE_CASES: &[(&str, &str, &str, &str, &str)] = &[
    ("interior-002",   "114.2515", "30.5525", "420103001001", "420103001001002"),
    ("vertex-of-four", "114.251",  "30.551",  "420103001001", "420103001001005"),
    ("edge-005-006",   "114.252",  "30.5515", "420103001001", "420103001001006"),
    ("edge-001-004",   "114.2505", "30.552",  "420103001001", "420103001001001"),
    ("in-hole",        "114.2515", "30.5515", "420103001001", ""),
    ("hole-west-edge", "114.2513", "30.5515", "420103001001", ""),
    ("community-edge", "114.253",  "30.5515", "420103001002", "420103001002001"),
    ("two-part-grid",  "114.255",  "30.5505", "420103001002", "420103001002003"),
    ("east-edge",      "114.256",  "30.5515", "",             ""),
    ("north-edge",     "114.2515", "30.553",  "",             ""),
    ("beijing",        "116.4",    "39.9",    "",             ""),
];

mod common;
use common::*;

/// A points CSV `case,lon,lat` of the fixture cases.
fn fixture_points() -> String {
    let mut csv = String::from("case,lon,lat\n");
    for (label, lon, lat, ..) in FIXTURE_CASES {
        csv += &format!("{label},{lon},{lat}\n");
    }
    csv
}

/// Asserts that `out` holds the fixture cases, in order, with their expected owners.
fn assert_fixture_owners(out: &str) {
    let table = Table::read(out);
    assert_eq!(table.header, ["case", "lon", "lat", "community", "grid"]);
    let got: Vec<_> = (table.column("case").into_iter())
        .zip(table.column("community"))
        .zip(table.column("grid"))
        .map(|((case, community), grid)| (case, community, grid))
        .collect();
    let expected: Vec<_> = FIXTURE_CASES
        .iter()
        .map(|&(label, _, _, community, grid)| (label, community, grid))
        .collect();
    assert_eq!(got, expected);
}

/// Locates the fixture cases through `city` (manifest or snapshot); returns the output path.
fn locate_fixture_cases(dir: &TempDir, city: &str, out: &str) -> String {
    let points = dir.write("points.csv", fixture_points());
    let out = dir.path(out);
    wangge(&["locate", "--city", city, "--points", &points, "--out", &out]).ok();
    out
}

/// Every value of the string property `key` in a GeoJSON text, in file order.
fn string_property(json: &str, key: &str) -> Vec<String> {
    let pattern = format!("\"{key}\"");
    json.match_indices(&pattern)
        .filter_map(|(at, _)| {
            let rest = json[at + pattern.len()..].trim_start().strip_prefix(':')?;
            let rest = rest.trim_start().strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// locate

#[test]
fn quick_mode_appends_owner_and_keeps_every_column() {
    let dir = TempDir::new("quick");
    // Coordinates deliberately not in the first columns, and a quoted field with a comma and
    // doubled quotes. The points are GCJ-02, at least 600 m from any district border.
    let points = dir.write(
        "reports.csv",
        "id,lat,note,lon\n\
         jianghan,30.5851,\"Jianghan Rd, \"\"near\"\" the metro\",114.2712\n\
         wuchang,30.5544,plain,114.3162\n\
         gulf-of-guinea,0,,0\n",
    );
    let out = dir.path("owners.csv");
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
        "--points-crs",
        "gcj02",
        "--out",
        &out,
    ])
    .ok();
    let input = Table::read(&points);
    let output = Table::read(&out);
    assert_eq!(output.header, ["id", "lat", "note", "lon", "owner"]);
    assert_eq!(output.rows.len(), input.rows.len());
    for (i, o) in input.rows.iter().zip(&output.rows) {
        assert_eq!(&o[..i.len()], &i[..], "input columns changed");
    }
    assert_eq!(output.column("owner"), ["420103", "420106", ""]);

    // Cross-check with city mode on the bundled manifest: same districts.
    let city_out = dir.path("city.csv");
    wangge(&[
        "locate",
        "--city",
        WUHAN,
        "--points",
        &points,
        "--points-crs",
        "gcj02",
        "--out",
        &city_out,
    ])
    .ok();
    let city = Table::read(&city_out);
    assert_eq!(city.column("district"), output.column("owner"));
    let grid = city.column("grid");
    assert!(
        grid[0].starts_with("420103") && grid[0].len() == 15,
        "{grid:?}"
    );
}

#[test]
fn city_mode_gives_the_conformance_owners() {
    let dir = TempDir::new("city-fixture");
    let out = locate_fixture_cases(&dir, FIXTURE, "owners.csv");
    assert_fixture_owners(&out);
}

#[test]
fn city_mode_converts_gcj02_and_bd09_points() {
    let dir = TempDir::new("city-crs");
    // From tests/conformance/fixture.json: the centre of grid 002 given in GCJ-02 and BD-09.
    for (crs, lon, lat) in [
        ("gcj02", "114.25691374586381", "30.550022250098362"),
        ("bd09", "114.26334606720513", "30.556236575220364"),
    ] {
        let points = dir.write("points.csv", format!("lon,lat\n{lon},{lat}\n"));
        let out = dir.path("owners.csv");
        wangge(&[
            "locate",
            "--city",
            FIXTURE,
            "--points",
            &points,
            "--points-crs",
            crs,
            "--out",
            &out,
        ])
        .ok();
        let table = Table::read(&out);
        assert_eq!(table.column("grid"), ["420103001001002"], "{crs}");
    }
}

#[test]
fn custom_and_missing_coordinate_columns() {
    let dir = TempDir::new("columns");
    let points = dir.write(
        "xy.csv",
        "name,x,y\na,114.2515,30.5525\nb,114.252,30.5515\n",
    );
    let out = dir.path("out.csv");
    let locate = |extra: &[&str]| {
        let mut args = vec![
            "locate", "--city", FIXTURE, "--points", &points, "--out", &out,
        ];
        args.extend(extra);
        wangge(&args)
    };

    locate(&["--lon-column", "x", "--lat-column", "y"]).ok();
    let table = Table::read(&out);
    assert_eq!(table.header, ["name", "x", "y", "community", "grid"]);
    assert_eq!(table.column("grid"), ["420103001001002", "420103001001006"]);

    // Defaults `lon`/`lat` are absent; a wrong name is reported by name.
    locate(&[]).fails_with(&["\"lon\""]);
    locate(&["--lon-column", "x", "--lat-column", "latitude"]).fails_with(&["\"latitude\""]);

    // An input column the output would add is refused rather than duplicated.
    let clash = dir.write("clash.csv", "lon,lat,grid\n114.2515,30.5525,mine\n");
    wangge(&[
        "locate", "--city", FIXTURE, "--points", &clash, "--out", &out,
    ])
    .fails_with(&["\"grid\""]);
}

#[test]
fn bad_rows_stop_the_run_with_their_line() {
    let dir = TempDir::new("bad-rows");
    let out = dir.path("out.csv");
    // Each bad row on line 3, after a good one; what stderr must say about it.
    for (row, problem) in [
        ("b,abc,30.5525", "\"abc\" is not a number"),
        ("b,114.2515,95", "out of range"),
        ("b,114.2515,NaN", "not finite"),
        ("b,114.2515", "2 fields"),
    ] {
        let points = dir.write(
            "points.csv",
            format!("id,lon,lat\na,114.2515,30.5525\n{row}\n"),
        );
        let run = wangge(&[
            "locate", "--city", FIXTURE, "--points", &points, "--out", &out,
        ])
        .fails_with(&[problem]);
        let line = run.stderr_line(problem);
        assert!(
            line.contains("line 3"),
            "{row:?}: no line number in {line:?}"
        );
    }
}

#[test]
fn skip_invalid_reports_bad_rows_and_keeps_the_good_ones() {
    let dir = TempDir::new("skip-invalid");
    let points = dir.write(
        "points.csv",
        "id,lon,lat\n\
         good1,114.2515,30.5525\n\
         badlon,abc,30.5525\n\
         badlat,114.2515,95\n\
         short,114.2515\n\
         good2,114.252,30.5515\n",
    );
    let out = dir.path("out.csv");
    let run = wangge(&[
        "locate",
        "--city",
        FIXTURE,
        "--points",
        &points,
        "--out",
        &out,
        "--skip-invalid",
    ])
    .ok();
    for (line, problem) in [
        ("line 3", "\"abc\""),
        ("line 4", "out of range"),
        ("line 5", "2 fields"),
    ] {
        let reported = run.stderr_line(line);
        assert!(
            reported.contains(problem) && reported.contains("skipped"),
            "{line}: {reported:?}"
        );
    }
    assert!(!run.stderr.contains("line 2") && !run.stderr.contains("line 6"));
    let table = Table::read(&out);
    assert_eq!(table.column("id"), ["good1", "good2"]);
    assert_eq!(table.column("grid"), ["420103001001002", "420103001001006"]);
}

#[test]
fn unknown_crs_lists_the_accepted_names() {
    let dir = TempDir::new("unknown-crs");
    let points = dir.write("points.csv", "lon,lat\n114.2515,30.5525\n");
    let out = dir.path("out.csv");
    let accepted = ["foo", "wgs84", "cgcs2000", "gcj02", "bd09"];
    wangge(&[
        "locate",
        "--city",
        FIXTURE,
        "--points",
        &points,
        "--out",
        &out,
        "--points-crs",
        "foo",
    ])
    .fails_with(&accepted);
    wangge(&[
        "export",
        "--city",
        FIXTURE,
        "--out-dir",
        &dir.path("e"),
        "--crs",
        "foo",
    ])
    .fails_with(&accepted);
}

// ---------------------------------------------------------------------------------------------
// build, export, generate

#[test]
fn snapshot_locates_like_its_manifest_and_detects_corruption() {
    let dir = TempDir::new("snapshot");
    let snapshot = dir.path("fixture.wgg");
    wangge(&["build", "--city", FIXTURE, "-o", &snapshot]).ok();
    let from_manifest = locate_fixture_cases(&dir, FIXTURE, "manifest.csv");
    let from_snapshot = locate_fixture_cases(&dir, &snapshot, "snapshot.csv");
    assert_eq!(
        fs::read(&from_snapshot).unwrap(),
        fs::read(&from_manifest).unwrap()
    );
    assert_fixture_owners(&from_snapshot);

    let bytes = fs::read(&snapshot).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0xff;
    for (name, corrupt) in [
        ("flipped.wgg", flipped),
        ("truncated.wgg", bytes[..bytes.len() / 2].to_vec()),
    ] {
        let corrupt = dir.write(name, corrupt);
        let points = dir.write("one.csv", "lon,lat\n114.2515,30.5525\n");
        let out = dir.path("corrupt.csv");
        wangge(&[
            "locate", "--city", &corrupt, "--points", &points, "--out", &out,
        ])
        .fails_with(&["snapshot"]);
    }
}

#[test]
fn export_round_trips_through_its_manifest() {
    let dir = TempDir::new("export");
    let out_dir = dir.path("exported");
    wangge(&["export", "--city", FIXTURE, "--out-dir", &out_dir]).ok();
    for file in ["city.toml", "community.geojson", "grid.geojson"] {
        assert!(Path::new(&out_dir).join(file).is_file(), "{file} missing");
    }
    let manifest = format!("{out_dir}/city.toml");
    let original = locate_fixture_cases(&dir, FIXTURE, "original.csv");
    let exported = locate_fixture_cases(&dir, &manifest, "exported.csv");
    assert_eq!(fs::read(&exported).unwrap(), fs::read(&original).unwrap());
    assert_fixture_owners(&exported);

    // In GCJ-02 (about 500 m from WGS84 here) the manifest must say so. Points exactly on a
    // border may change owner through the sub-millimetre round trip; interior ones may not.
    let gcj_dir = dir.path("gcj02");
    wangge(&[
        "export",
        "--city",
        FIXTURE,
        "--out-dir",
        &gcj_dir,
        "--crs",
        "gcj02",
    ])
    .ok();
    let gcj = locate_fixture_cases(&dir, &format!("{gcj_dir}/city.toml"), "gcj02.csv");
    let (original, gcj) = (Table::read(&original), Table::read(&gcj));
    let mut compared = 0;
    for (a, b) in original.rows.iter().zip(&gcj.rows) {
        if ["interior-002", "in-hole", "beijing"].contains(&a[0].as_str()) {
            assert_eq!(a, b);
            compared += 1;
        }
    }
    assert_eq!(compared, 3);
}

#[test]
fn generate_nests_standard_codes_and_loads() {
    let dir = TempDir::new("generate");
    let out_dir = dir.path("generated");
    wangge(&[
        "generate",
        "--polygons",
        DISTRICTS,
        "--id-property",
        "adcode",
        "--name-property",
        "district",
        "--polygons-crs",
        "gcj02",
        "--codes",
        "420103",
        "--levels",
        "street=5e6,community=5e5,grid=1e4",
        "--out-dir",
        &out_dir,
    ])
    .ok();

    // Each level's codes: right length, all digits, unique, each extending a code of the level
    // above; only 江汉区 (--codes) at the top.
    let mut parents = BTreeSet::from(["420103".to_string()]);
    for (level, len) in [
        ("district", 6),
        ("street", 9),
        ("community", 12),
        ("grid", 15),
    ] {
        let path = format!("{out_dir}/{level}.geojson");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let codes = string_property(&text, "code");
        assert!(!codes.is_empty(), "{level}: no codes");
        let unique: BTreeSet<_> = codes.iter().cloned().collect();
        assert_eq!(unique.len(), codes.len(), "{level}: duplicate codes");
        for code in &codes {
            assert!(
                code.len() == len && code.bytes().all(|b| b.is_ascii_digit()),
                "{level}: bad code {code:?}"
            );
            // The parent's code is 3 digits shorter; a district's "parent" is itself.
            let parent = &code[..(len - 3).max(6)];
            assert!(
                parents.contains(parent),
                "{level}: {code} extends no code of the level above"
            );
        }
        if level == "grid" {
            // About 28.7 km² in grids of about 10,000 m².
            assert!(codes.len() > 1000, "only {} grids", codes.len());
        }
        parents = unique;
    }

    let points = dir.write(
        "points.csv",
        "id,lon,lat\nin,114.2712,30.5851\nout,114.3162,30.5544\n",
    );
    let out = dir.path("owners.csv");
    wangge(&[
        "locate",
        "--city",
        &format!("{out_dir}/city.toml"),
        "--points",
        &points,
        "--points-crs",
        "gcj02",
        "--out",
        &out,
    ])
    .ok();
    let table = Table::read(&out);
    assert_eq!(
        table.header,
        [
            "id",
            "lon",
            "lat",
            "district",
            "street",
            "community",
            "grid"
        ]
    );
    let chain: Vec<_> = ["district", "street", "community", "grid"]
        .iter()
        .map(|level| table.column(level)[0])
        .collect();
    assert_eq!(chain[0], "420103");
    for pair in chain.windows(2) {
        assert!(
            pair[1].len() == pair[0].len() + 3 && pair[1].starts_with(pair[0]),
            "broken chain {chain:?}"
        );
    }
    // 武昌区 was not generated: no owner at all.
    assert_eq!(table.rows[1][3..], ["", "", "", ""]);
}

// ---------------------------------------------------------------------------------------------
// help, demo

#[test]
fn help_lists_commands_and_options() {
    let help = wangge(&["--help"]).ok().stdout;
    for command in ["locate", "build", "generate", "export", "demo"] {
        assert!(
            help.lines()
                .any(|l| l.split_whitespace().next() == Some(command)),
            "--help does not list {command}:\n{help}"
        );
    }
    let help = wangge(&["locate", "--help"]).ok().stdout;
    for option in ["--skip-invalid", "--points-crs", "--lon-column", "--city"] {
        assert!(help.contains(option), "locate --help lacks {option}");
    }
}

#[test]
fn demo_runs_on_the_bundled_data() {
    let stdout = wangge(&["demo"]).ok().stdout;
    assert!(stdout.contains("reports per district"), "{stdout}");
    assert!(stdout.contains("420103 江汉区"), "{stdout}");
}
