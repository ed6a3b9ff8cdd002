//! `--encoding` on the commands that read CSV: a GBK export of old city systems is detected or
//! named, and read as its UTF-8 version is; read as UTF-8 it stops with the line of its first
//! Chinese byte (the rules are `wangge::io::csv_input`'s, tested in tests/hostile_csv.rs).

mod common;
use common::{wangge, Table, TempDir};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/fixture/city.toml"
);
const HOSTILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/hostile/csv");

#[test]
fn stats_and_hotspots_read_gbk_as_its_utf8_version() {
    let dir = TempDir::new("encoding-stats");
    let utf8 = format!("{HOSTILE}/cases.utf8.csv");
    let gbk = format!("{HOSTILE}/cases.gbk.csv");
    let stats = |cases: &str, out: &str, encoding: &str| {
        wangge(&[
            "stats",
            "--city",
            FIXTURE,
            "--cases",
            cases,
            "--out",
            out,
            "--encoding",
            encoding,
        ])
    };
    let (a, b, c) = (dir.path("utf8"), dir.path("auto"), dir.path("gbk"));
    stats(&utf8, &a, "auto").ok();
    stats(&gbk, &b, "auto").ok();
    stats(&gbk, &c, "gbk").ok();
    for file in ["grid.csv", "community.csv", "department.csv"] {
        let expected = std::fs::read_to_string(format!("{a}/{file}")).unwrap();
        for out in [&b, &c] {
            assert_eq!(
                std::fs::read_to_string(format!("{out}/{file}")).unwrap(),
                expected,
                "{out}/{file}"
            );
        }
    }
    let departments = Table::read(&format!("{b}/department.csv"));
    assert_eq!(departments.column("code"), ["城管局", "水务局"]);
    // Read as UTF-8: the first Chinese byte, line 2 byte 132, and how to convert.
    let run = stats(&gbk, &dir.path("bad"), "utf-8")
        .fails_with(&["cases.gbk.csv line 2 (byte 132)", "iconv -f GBK -t UTF-8"]);
    assert!(!run.stderr.contains("panicked"));
    wangge(&[
        "hotspots",
        "--city",
        FIXTURE,
        "--cases",
        &gbk,
        "--radius-m",
        "200",
        "--days",
        "3",
        "--encoding",
        "utf-8",
    ])
    .fails_with(&["line 2 (byte 132)"]);
    wangge(&[
        "stats",
        "--city",
        FIXTURE,
        "--cases",
        &gbk,
        "--out",
        &c,
        "--encoding",
        "latin1",
    ])
    .fails_with(&["latin1", "expected auto, utf-8 or gbk"]);
}

#[test]
fn point_files_in_gbk_with_crlf_and_quoted_breaks_locate() {
    let dir = TempDir::new("encoding-locate");
    // 名称 = C3FB B3C6, 井盖 = BEAE B8C7 (GBK), CRLF, a quoted line break, then a bad row.
    let points = dir.write(
        "points.csv",
        b"id,lon,lat,\xC3\xFB\xB3\xC6\r\n\
          a,114.2515,30.5525,\"\xBE\xAE\xB8\xC7\r\n\xBE\xAE\xB8\xC7\"\r\n\
          b,114.2515,30.5525,\xBE\xAE\xB8\xC7\r\n\
          c,east,30.5525,x\r\n"
            .as_slice(),
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
    assert!(
        run.stderr_line("\"east\"").contains("line 5"),
        "{}",
        run.stderr
    );
    let table = Table::read(&out);
    assert_eq!(table.column("名称"), ["井盖\n井盖", "井盖"]);
    assert_eq!(table.column("grid"), ["420103001001002", "420103001001002"]);
    wangge(&[
        "locate",
        "--city",
        FIXTURE,
        "--points",
        &points,
        "--out",
        &out,
        "--encoding",
        "utf-8",
    ])
    .fails_with(&["line 1 (byte 11)", "not UTF-8"]);
}
