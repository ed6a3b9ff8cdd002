//! Hostile CSV inputs (`tests/hostile/csv/`, written by its `make.py`): every file states what
//! must come out of it, a decoded value or an error variant with its line and byte, and every
//! CSV reader of the crate is run on the files that concern it (the rules are in the docs of
//! `wangge::io::csv_input`). GBK and GB18030 bytes come from Python's `codecs`, an encoder
//! independent of `encoding_rs`; a few words are also checked byte by byte.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wangge::analytics::hotspots::{HotspotFinder, HotspotOptions};
use wangge::analytics::{Analyst, CaseStats, StatsOptions};
use wangge::assets::{read_csv, AssetFields};
use wangge::crs::Converter;
use wangge::io::csv_input::{
    decode_text, CsvOptions, CsvReader, Encoding, StringRecord, DEFAULT_MAX_RECORD_BYTES,
};
use wangge::io::dispatch_spec::{read_workers, DispatchSpec};
use wangge::{City, Crs, Error};
use wangge_tests::repo_root;

fn dir() -> PathBuf {
    repo_root().join("tests/hostile/csv")
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn text(name: &str) -> String {
    String::from_utf8(bytes(name)).expect("a UTF-8 twin")
}

fn city() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| {
        City::from_manifest(&repo_root().join("tests/data/fixture/city.toml")).expect("fixture")
    })
}

type Records = Vec<(u64, Vec<String>)>;

/// The header and every record with the line it starts on, through [`CsvReader`]; rows of the
/// wrong width are kept as long as the reader can go on.
fn records_of(name: &str, input: &[u8], encoding: Encoding) -> Result<Records, Error> {
    let mut reader = CsvReader::new(name, input, &CsvOptions::with_encoding(encoding))?;
    let mut out = vec![(reader.header_line(), reader.headers().to_vec())];
    let mut r = StringRecord::new();
    loop {
        match reader.read(&mut r) {
            Ok(None) => return Ok(out),
            Ok(Some(line)) => out.push((line, r.iter().map(String::from).collect())),
            Err(Error::BadRow { line, .. }) if reader.can_go_on() => {
                out.push((line, r.iter().map(String::from).collect()))
            }
            Err(e) => return Err(e),
        }
    }
}

fn records(name: &str, encoding: Encoding) -> Result<Records, Error> {
    records_of(name, &bytes(name), encoding)
}

fn stats(name: &str, encoding: Encoding, skip_invalid: bool) -> Result<CaseStats, Error> {
    let options = StatsOptions {
        csv: CsvOptions::with_encoding(encoding),
        skip_invalid,
        ..StatsOptions::default()
    };
    let file = std::fs::File::open(dir().join(name)).expect("fixture");
    Analyst::new(city()).case_stats(name, std::io::BufReader::new(file), &options)
}

/// What a file must give.
#[derive(Debug)]
enum Expect {
    /// Records equal to those of this UTF-8 file.
    SameAs(&'static str),
    /// Records starting on these lines (header first).
    Lines(&'static [u64]),
    /// [`Error::Encoding`] at this line and byte, its reason containing the text.
    Encoding(u64, u64, &'static str),
    /// [`Error::BadRow`] at this line and column, its reason containing the text.
    BadRow(u64, &'static str, &'static str),
    /// [`Error::Table`] whose message contains the text.
    Table(&'static str),
}

/// The corpus, file by file, through the generic reader.
const CORPUS: &[(&str, Encoding, Expect)] = {
    use Encoding::{Auto, Gbk, Utf8};
    use Expect::{BadRow, Lines, SameAs, Table};
    &[
        // Encodings that decode: each gives exactly its UTF-8 twin.
        ("cases.utf8.csv", Auto, Lines(&[1, 2, 3, 5, 6])),
        ("cases.gbk.csv", Auto, SameAs("cases.utf8.csv")),
        ("cases.gbk.csv", Gbk, SameAs("cases.utf8.csv")),
        ("cases.bom.csv", Auto, SameAs("cases.utf8.csv")),
        ("cases.bom.csv", Utf8, SameAs("cases.utf8.csv")),
        ("cases.utf16le.csv", Auto, SameAs("cases.utf8.csv")),
        ("cases.cr.csv", Auto, SameAs("cases.utf8.csv")),
        ("gb18030.csv", Auto, SameAs("gb18030.utf8.csv")),
        ("gb18030.csv", Gbk, SameAs("gb18030.utf8.csv")),
        ("extra_columns.csv", Auto, Lines(&[1, 2, 3, 5, 6])),
        // Encodings that do not: the offending byte, its line, and what to do.
        (
            "cases.gbk.csv",
            Utf8,
            Expect::Encoding(2, 132, "encoding gbk"),
        ),
        (
            "cases.bom.csv",
            Gbk,
            Expect::Encoding(1, 0, "UTF-8 byte-order mark"),
        ),
        (
            "cases.utf16le.csv",
            Utf8,
            Expect::Encoding(1, 0, "UTF-16LE"),
        ),
        ("cases.utf16le.csv", Gbk, Expect::Encoding(1, 0, "UTF-16LE")),
        (
            "cases.utf16le_nobom.csv",
            Auto,
            Expect::Encoding(1, 1, "NUL byte"),
        ),
        (
            "latin1.csv",
            Auto,
            Expect::Encoding(2, 39, "not GBK/GB18030 either"),
        ),
        (
            "latin1.csv",
            Gbk,
            Expect::Encoding(2, 39, "not valid GBK/GB18030"),
        ),
        (
            "latin1_gbk_shaped.csv",
            Auto,
            Expect::Encoding(2, 37, "GB2312"),
        ),
        (
            "latin1_gbk_shaped.csv",
            Utf8,
            Expect::Encoding(2, 37, "iconv -f GBK -t UTF-8"),
        ),
        (
            "truncated_utf8.csv",
            Auto,
            Expect::Encoding(2, 36, "ends inside"),
        ),
        (
            "truncated_utf8.csv",
            Utf8,
            Expect::Encoding(2, 36, "ends inside"),
        ),
        (
            "truncated_gbk.csv",
            Auto,
            Expect::Encoding(2, 38, "ends inside"),
        ),
        (
            "truncated_gbk.csv",
            Gbk,
            Expect::Encoding(2, 38, "ends inside"),
        ),
        (
            "utf8_then_gbk.csv",
            Auto,
            Expect::Encoding(4, 90, "not UTF-8"),
        ),
        (
            "gbk_then_utf8.csv",
            Auto,
            Expect::Encoding(2, 36, "mixes encodings"),
        ),
        ("nul.csv", Auto, Expect::Encoding(3, 40, "NUL byte")),
        // Structure.
        ("ragged.csv", Auto, Lines(&[1, 2, 3, 4, 5, 6])),
        (
            "unterminated.csv",
            Auto,
            BadRow(3, "description", "not closed"),
        ),
        ("crlf_bad_row.csv", Auto, Lines(&[1, 2, 6])),
        ("header_only.csv", Auto, Lines(&[1])),
        ("empty.csv", Auto, Table("empty file")),
        ("bom_only.csv", Auto, Table("empty file")),
        ("blank_lines_only.csv", Auto, Table("empty file")),
    ]
};

#[test]
fn every_corpus_file_gives_what_it_states() {
    let mut failures = Vec::new();
    for (name, encoding, expect) in CORPUS {
        let got = records(name, *encoding);
        let ok = match (expect, &got) {
            (Expect::SameAs(twin), Ok(r)) => *r == records(twin, Encoding::Utf8).unwrap(),
            (Expect::Lines(lines), Ok(r)) => r.iter().map(|(l, _)| *l).eq(lines.iter().copied()),
            (
                Expect::Encoding(l, b, why),
                Err(Error::Encoding {
                    line,
                    byte_offset,
                    reason,
                    ..
                }),
            ) => line == l && byte_offset == b && reason.contains(why),
            (
                Expect::BadRow(l, c, why),
                Err(Error::BadRow {
                    line,
                    column,
                    reason,
                    ..
                }),
            ) => line == l && column == c && reason.contains(why),
            (Expect::Table(why), Err(e @ Error::Table { .. })) => e.to_string().contains(why),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{name} ({encoding}): expected {expect:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decoded_values_are_the_expected_text() {
    let r = records("cases.gbk.csv", Encoding::Auto).unwrap();
    assert_eq!(r[0].1[8], "description");
    assert_eq!(r[1].1[6..9], ["结案", "城管局", "井盖破损"]);
    // A quoted line break, CRLF in the file: one field, `\n` inside, the record on line 3.
    assert_eq!((r[2].0, r[2].1[8].as_str()), (3, "井盖丢失，\n第二行说明"));
    // Beyond GBK: a four-byte GB18030 sequence and the euro sign.
    let r = records("gb18030.csv", Encoding::Auto).unwrap();
    assert_eq!(r[1].1[3], "\u{20000}井盖€");
    // The first header name matches although the file starts with a byte-order mark.
    let r = records("cases.bom.csv", Encoding::Auto).unwrap();
    assert_eq!(r[0].1[0], "id");
    // Asked for GBK, Latin-1 text that happens to be well-formed GBK decodes as GBK: an
    // explicit encoding is obeyed (Python: b"\xfc\x6c".decode("gbk") == "\u9eee").
    let r = records("latin1_gbk_shaped.csv", Encoding::Gbk).unwrap();
    assert_eq!(r[1].1[3], "M\u{9eee}ler");
    // Ragged rows are reported and the reading goes on: the short row on line 3, the long
    // one on line 5, and the rows after them.
    let r = records("ragged.csv", Encoding::Auto).unwrap();
    assert_eq!(
        (r[2].1.len(), r[4].1.len(), r[5].1[0].as_str()),
        (3, 5, "A5")
    );
    // Extra columns are there, and a reader that does not ask for them never sees them.
    let r = records("extra_columns.csv", Encoding::Auto).unwrap();
    assert_eq!(r[0].1[9..], ["备注", "x"]);
}

#[test]
fn gbk_bytes_checked_by_hand() {
    // 城管 = B3C7 B9DC, 井盖 = BEAE B8C7 (GB2312 code points; Python's codecs agree).
    let words = b"name\n\xB3\xC7\xB9\xDC\n\xBE\xAE\xB8\xC7\n";
    for encoding in [Encoding::Auto, Encoding::Gbk] {
        assert_eq!(
            decode_text("words.csv", words, encoding).unwrap(),
            "name\n城管\n井盖\n"
        );
    }
    // The committed GBK file (Python's encoder) holds those bytes for 城管局 and 井盖破损.
    let gbk = bytes("cases.gbk.csv");
    let has = |needle: &[u8]| gbk.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"\xB3\xC7\xB9\xDC\xBE\xD6,")); // 城管局,
    assert!(has(b"\xBE\xAE\xB8\xC7\xC6\xC6\xCB\xF0\r\n")); // 井盖破损
                                                           // encoding_rs's encoder gives exactly Python's bytes, and they decode back to the text.
    let utf8 = text("cases.utf8.csv");
    let crlf = utf8.replace('\n', "\r\n");
    let (encoded, _, unmappable) = encoding_rs::GBK.encode(&crlf);
    assert!(!unmappable);
    assert_eq!(encoded.as_ref(), gbk.as_slice());
    assert_eq!(
        decode_text("cases.gbk.csv", &gbk, Encoding::Auto).unwrap(),
        utf8
    );
}

/// The counters of every region, the outside and the departments, for comparing runs.
fn figures(s: &CaseStats) -> String {
    format!(
        "rows {} total {:?} outside {:?} regions {:?} departments {:?} problems {:?}",
        s.rows,
        s.total,
        s.outside,
        s.regions,
        s.departments
            .iter()
            .map(|d| (&d.code, &d.tally))
            .collect::<Vec<_>>(),
        s.problems
    )
}

#[test]
fn case_statistics_read_every_encoding_alike() {
    let utf8 = stats("cases.utf8.csv", Encoding::Auto, false).unwrap();
    // The table as written: 4 cases, one outside every grid, two closed, departments by name.
    assert_eq!((utf8.rows, utf8.total.cases, utf8.outside.cases), (4, 4, 1));
    assert_eq!(utf8.total.closed, 2);
    let departments: Vec<(&str, u64)> = utf8
        .departments
        .iter()
        .map(|d| (d.code.as_str(), d.tally.cases))
        .collect();
    assert_eq!(departments, [("城管局", 3), ("水务局", 1)]);
    for (name, encoding) in [
        ("cases.gbk.csv", Encoding::Auto),
        ("cases.gbk.csv", Encoding::Gbk),
        ("cases.bom.csv", Encoding::Auto),
        ("cases.utf16le.csv", Encoding::Auto),
        ("cases.cr.csv", Encoding::Auto),
        ("extra_columns.csv", Encoding::Auto),
    ] {
        let s = stats(name, encoding, false).unwrap();
        assert_eq!(figures(&s), figures(&utf8), "{name} ({encoding})");
    }
    // Hot spots too (category and reported_at): the GBK file finds what the UTF-8 one does.
    let options = |encoding| HotspotOptions {
        csv: CsvOptions::with_encoding(encoding),
        ..HotspotOptions::new(200.0, 3.0)
    };
    let finder = HotspotFinder::new(city());
    let a = finder
        .read_csv(
            "u",
            bytes("cases.utf8.csv").as_slice(),
            &options(Encoding::Auto),
        )
        .unwrap();
    let b = finder
        .read_csv(
            "g",
            bytes("cases.gbk.csv").as_slice(),
            &options(Encoding::Gbk),
        )
        .unwrap();
    assert_eq!(a.clusters, b.clusters);
    assert_eq!(a.clusters.len(), 1);
    assert_eq!(a.clusters[0].rows, [2, 3]); // C1 and C2, 96 m and a day apart: lines 2 and 3
}

#[test]
fn case_tables_name_what_is_wrong_and_where() {
    let err = |name: &str, skip: bool| stats(name, Encoding::Auto, skip).unwrap_err();
    assert!(matches!(
        err("missing_lat.csv", false),
        Error::MissingColumn { column, .. } if column == "lat"
    ));
    let e = err("duplicate_lon.csv", false);
    assert!(
        matches!(&e, Error::Table { reason, .. } if reason.contains("\"lon\" twice (columns 2 and 4)")),
        "{e}"
    );
    // Ragged rows: the first stops the run; with skip_invalid both are problems with their
    // lines and the other rows count.
    let e = err("ragged.csv", false);
    assert!(
        matches!(&e, Error::BadRow { line: 3, column, reason, .. }
            if column == "status" && reason.contains("3 fields, the header 4")),
        "{e}"
    );
    let s = stats("ragged.csv", Encoding::Auto, true).unwrap();
    let problems: Vec<(u64, u64, &str)> = s
        .problems
        .iter()
        .map(|p| (p.row, p.line, p.column.as_str()))
        .collect();
    assert_eq!(problems, [(1, 3, "status"), (3, 5, "(field 5)")]);
    assert_eq!((s.rows, s.total.cases), (5, 3));
    // Errors that no skipping gets past: the encoding, an open quote, a NUL byte.
    for skip in [false, true] {
        assert!(matches!(
            err("latin1.csv", skip),
            Error::Encoding {
                line: 2,
                byte_offset: 39,
                ..
            }
        ));
        assert!(matches!(
            err("unterminated.csv", skip),
            Error::BadRow { line: 3, .. }
        ));
        assert!(matches!(
            err("nul.csv", skip),
            Error::Encoding { line: 3, .. }
        ));
    }
    // A bad value after a multi-line quoted field and a blank line, CRLF: its own line, 6.
    let e = err("crlf_bad_row.csv", false);
    assert!(
        matches!(&e, Error::BadRow { line: 6, column, .. } if column == "lon"),
        "{e}"
    );
    // A header alone is a table of no cases; an empty file has no header.
    let s = stats("header_only.csv", Encoding::Auto, false).unwrap();
    assert_eq!((s.rows, s.total.cases), (0, 0));
    assert!(matches!(err("empty.csv", false), Error::Table { .. }));
}

#[test]
fn assets_and_workers_follow_the_same_rules() {
    let fields = AssetFields::default();
    let read = |name: &str, encoding| {
        let text = decode_text(name, &bytes(name), encoding)?;
        read_csv(name, &text, &fields, Crs::Wgs84, &Converter::default())
    };
    let utf8 = read("assets.utf8.csv", Encoding::Auto).unwrap();
    assert_eq!(utf8.len(), 2);
    assert_eq!(
        (utf8[0].name.as_str(), utf8[0].state.as_str()),
        ("雨水井盖", "完好")
    );
    assert_eq!(utf8[1].attributes["备注"], "待修，\n已报修");
    for encoding in [Encoding::Auto, Encoding::Gbk] {
        assert_eq!(read("assets.gbk.csv", encoding).unwrap(), utf8);
    }
    assert!(matches!(
        read("assets.gbk.csv", Encoding::Utf8),
        Err(Error::Encoding { line: 1, .. })
    ));
    // Every column of an asset table is used (attributes), so any repeated name is refused.
    let e = read_csv(
        "a.csv",
        "id,lon,lat,note,note\n4201030103000001,114.25,30.55,a,b\n",
        &fields,
        Crs::Wgs84,
        &Converter::default(),
    )
    .unwrap_err();
    assert!(matches!(&e, Error::Table { reason, .. } if reason.contains("\"note\" twice")));

    let name = "workers.bom_crlf.csv";
    let workers = read_workers(
        name,
        &decode_text(name, &bytes(name), Encoding::Auto).unwrap(),
        Crs::Wgs84,
        &Converter::default(),
    )
    .unwrap();
    let got: Vec<(&str, bool, Option<&str>)> = workers
        .iter()
        .map(|w| (w.id.as_str(), w.on_duty, w.home_grid.as_deref()))
        .collect();
    assert_eq!(
        got,
        [("W1", true, Some("420103001001001")), ("W2", false, None)]
    );
    let text = text("workers_dup.csv");
    let e = read_workers("workers_dup.csv", &text, Crs::Wgs84, &Converter::default()).unwrap_err();
    assert!(matches!(&e, Error::Table { reason, .. } if reason.contains("\"id\" twice")));
    let e = read_workers(
        "w.csv",
        "id,kind,lon,lat,on_duty\nW1,worker,NaN,30.55,true\n",
        Crs::Wgs84,
        &Converter::default(),
    )
    .unwrap_err();
    assert!(matches!(&e, Error::BadRow { line: 2, column, .. } if column == "lon"));
}

#[test]
fn a_manifest_names_the_encoding_of_its_csv_files() {
    // The [dispatch] section's CSV sources: GBK detected, or named; named wrongly, refused.
    let base = dir();
    let load = |encoding: &str| {
        let spec: DispatchSpec = toml::from_str(&format!(
            "departments = \"departments.toml\"\n\
             assets = {{ file = \"assets.gbk.csv\"{encoding} }}\n\
             workers = {{ file = \"workers.bom_crlf.csv\" }}\n"
        ))
        .unwrap();
        spec.load(Path::new(&base), std::sync::Arc::new(city().clone()))
    };
    for encoding in ["", ", encoding = \"gbk\"", ", encoding = \"auto\""] {
        let d = load(encoding).unwrap();
        assert_eq!(d.assets().len(), 2);
        assert_eq!(d.assets().assets()[0].name, "雨水井盖");
    }
    assert!(matches!(
        load(", encoding = \"utf-8\""),
        Err(Error::Encoding { line: 1, .. })
    ));
    assert!(toml::from_str::<DispatchSpec>(
        "departments = \"d.toml\"\nassets = { file = \"a.csv\", encoding = \"latin1\" }\n"
    )
    .is_err());
}

#[test]
fn long_fields_are_read_up_to_the_limit_and_refused_beyond() {
    let row = |field: &str| format!("id,lon,lat,description\nA1,114.2505,30.5525,\"{field}\"\n");
    // 500 KB of Chinese text in one quoted field (with line breaks): read whole.
    let long: String = "井盖破损，\n".repeat(500_000 / 16);
    let r = records_of("long.csv", row(&long).as_bytes(), Encoding::Auto).unwrap();
    assert_eq!(r[1].1[3], long);
    // Over the limit: refused, naming the record's line.
    let huge = "x".repeat(DEFAULT_MAX_RECORD_BYTES as usize + 10);
    let e = records_of("huge.csv", row(&huge).as_bytes(), Encoding::Auto).unwrap_err();
    assert!(
        matches!(&e, Error::Limit { limit: "max_record_bytes", found, .. }
            if *found > DEFAULT_MAX_RECORD_BYTES),
        "{e}"
    );
    // A quote left open over 8 MB of rows: stopped within the limit plus one buffer, not after
    // reading the whole rest into one field.
    let mut open = "id,lon,lat,description\nA1,114.2505,30.5525,\"open\n".to_string();
    open.push_str(&"A2,114.2515,30.5525,x\n".repeat(8 << 20 >> 5));
    let e = records_of("open.csv", open.as_bytes(), Encoding::Auto).unwrap_err();
    assert!(
        matches!(&e, Error::Limit { found, what, .. }
            if *found <= DEFAULT_MAX_RECORD_BYTES + (128 << 10) && what.contains("line 2")),
        "{e}"
    );
    // Smaller limits are the caller's to set.
    let options = CsvOptions {
        max_record_bytes: 64,
        ..CsvOptions::default()
    };
    let text = row(&"y".repeat(100));
    let mut reader = CsvReader::new("small.csv", text.as_bytes(), &options).unwrap();
    let e = reader.read(&mut StringRecord::new()).unwrap_err();
    assert!(
        matches!(&e, Error::Limit { max: 64, what, .. } if what.contains("line 2")),
        "{e}"
    );
}

#[test]
fn text_that_turns_bad_after_the_detection_window_is_refused_there() {
    // 200 KB of UTF-8 rows (the window is 64 to 128 KiB), then a GBK row: UTF-8 was chosen, and the
    // GBK bytes are an error on their own line, not text decoded by guess.
    let mut data = "id,lon,lat,name\n".as_bytes().to_vec();
    let rows = 200_000 / 32;
    for i in 0..rows {
        data.extend_from_slice(format!("A{i:05},114.2505,30.5525,井盖城管\n").as_bytes());
    }
    let at = data.len() as u64 + "B1,114.2505,30.5525,".len() as u64;
    data.extend_from_slice(b"B1,114.2505,30.5525,\xBE\xAE\xB8\xC7\n");
    let e = records_of("late.csv", &data, Encoding::Auto).unwrap_err();
    assert!(
        matches!(&e, Error::Encoding { line, byte_offset, reason, .. }
            if *line == rows as u64 + 2 && *byte_offset == at
                && reason.contains("UTF-8 up to here") && reason.contains("encoding gbk")),
        "{e}"
    );
    // The same file with the ASCII rows only, then GBK: the first non-ASCII byte decides, so
    // this one is GBK and reads.
    let mut ascii = "id,lon,lat,name\n".as_bytes().to_vec();
    for i in 0..rows {
        ascii.extend_from_slice(format!("A{i:05},114.2505,30.5525,x\n").as_bytes());
    }
    ascii.extend_from_slice(b"B1,114.2505,30.5525,\xBE\xAE\xB8\xC7\n");
    let r = records_of("ascii_then_gbk.csv", &ascii, Encoding::Auto).unwrap();
    assert_eq!((r.len(), r[rows + 1].1[3].as_str()), (rows + 2, "井盖"));
    // GBK rows, then past the window a UTF-8 description: refused where the UTF-8 starts.
    let mut mixed = "id,lon,lat,name\n".as_bytes().to_vec();
    for i in 0..rows {
        let (gbk, _, _) = encoding_rs::GBK.encode("井盖城管");
        mixed.extend_from_slice(format!("A{i:05},114.2505,30.5525,").as_bytes());
        mixed.extend_from_slice(&gbk);
        mixed.push(b'\n');
    }
    let at = mixed.len() as u64 + "B1,114.2505,30.5525,".len() as u64;
    mixed.extend_from_slice("B1,114.2505,30.5525,雨水井盖堵塞请处理\n".as_bytes());
    let e = records_of("gbk_then_utf8.csv", &mixed, Encoding::Auto).unwrap_err();
    assert!(
        matches!(&e, Error::Encoding { line, byte_offset, reason, .. }
            if *line == rows as u64 + 2 && *byte_offset == at && reason.contains("mixes encodings")),
        "{e}"
    );
    // Named as GBK, the bytes are decoded as GBK, the caller said so, up to the first that is
    // not GBK: 86 0A, the end of 理 in UTF-8 followed by the line break.
    let e = records_of("gbk_then_utf8.csv", &mixed, Encoding::Gbk).unwrap_err();
    assert!(
        matches!(&e, Error::Encoding { line, byte_offset, reason, .. }
            if *line == rows as u64 + 2 && *byte_offset == at + 26 && reason.starts_with("86 is not valid GBK")),
        "{e}"
    );
}

/// Hands its bytes out `step` at a time, so that every chunk boundary of the reader is met.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.1.min(buf.len()).min(self.0.len());
        buf[..k].copy_from_slice(&self.0[..k]);
        self.0 = &self.0[k..];
        Ok(k)
    }
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of fields: separators, quotes, every line break, Chinese whose GBK lead bytes are
    /// no UTF-8 lead (so GBK text is never valid UTF-8 and detection must find GBK).
    const PIECES: &[&str] = &[
        "a", "1.5", ",", "\"", "\n", "\r\n", "\r", " ", "井", "盖", "城管", "结案", "处理", "x y",
    ];
    const ENDINGS: &[&str] = &["\n", "\r\n", "\r"];

    fn field() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..5).prop_map(|p| p.concat())
    }

    /// Rows: blank lines before the row, and its fields.
    type Rows = Vec<(usize, Vec<String>)>;

    /// A table: columns, rows, line ending, final ending, byte-order mark.
    fn table() -> impl Strategy<Value = (usize, Rows, usize, bool, bool)> {
        (1usize..5).prop_flat_map(|k| {
            (
                Just(k),
                prop::collection::vec((0usize..3, prop::collection::vec(field(), k)), 0..12),
                0..ENDINGS.len(),
                any::<bool>(),
                any::<bool>(),
            )
        })
    }

    /// The text as a CSV writer would put it (quoting what needs it), and what a reader must
    /// give back: the header and each record with the line it starts on.
    fn write(k: usize, rows: &Rows, ending: &str, last_ending: bool) -> (String, Records) {
        let quote = |f: &str| {
            let needs = f.is_empty() && k == 1 || f.contains([',', '"', '\n', '\r']);
            if needs {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        };
        let normal = |f: &str| f.replace("\r\n", "\n").replace('\r', "\n");
        let header: Vec<String> = (0..k).map(|i| format!("列{i}")).collect();
        let mut text = header.join(",");
        let mut expected = vec![(1, header)];
        let mut line = 1u64;
        for (blank, fields) in rows {
            text.push_str(ending);
            line += 1;
            for _ in 0..*blank {
                text.push_str(ending);
                line += 1;
            }
            let written: Vec<String> = fields.iter().map(|f| quote(f)).collect();
            text.push_str(&written.join(","));
            let normalised: Vec<String> = fields.iter().map(|f| normal(f)).collect();
            expected.push((line, normalised.clone()));
            line += normalised
                .iter()
                .map(|f| f.matches('\n').count() as u64)
                .sum::<u64>();
        }
        if last_ending {
            text.push_str(ending);
        }
        (text, expected)
    }

    fn read_all(bytes: &[u8], encoding: Encoding, step: usize) -> Result<Records, Error> {
        let options = CsvOptions::with_encoding(encoding);
        let mut reader = CsvReader::new("p.csv", Trickle(bytes, step), &options)?;
        let mut out = vec![(reader.header_line(), reader.headers().to_vec())];
        let mut r = StringRecord::new();
        while let Some(line) = reader.read(&mut r)? {
            out.push((line, r.iter().map(String::from).collect()));
        }
        Ok(out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any table, in UTF-8 (with or without a byte-order mark) or GBK, any line endings,
        /// read through any chunking, gives back its fields and the lines its records start on.
        #[test]
        fn tables_read_back_with_their_lines(
            (k, rows, ending, last_ending, bom) in table(),
            step in prop::sample::select(vec![1usize, 2, 3, 5, 64, 1 << 20]),
        ) {
            let (text, expected) = write(k, &rows, ENDINGS[ending], last_ending);
            // A header cell is trimmed; ours have no spaces. Fields keep theirs.
            let mut utf8 = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            utf8.extend_from_slice(text.as_bytes());
            prop_assert_eq!(&read_all(&utf8, Encoding::Auto, step).unwrap(), &expected);
            let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
            prop_assert!(!unmappable);
            for encoding in [Encoding::Auto, Encoding::Gbk] {
                prop_assert_eq!(&read_all(&gbk, encoding, step).unwrap(), &expected);
            }
        }

        /// Any bytes: a table or a typed error, never a panic, and a NUL or an invalid UTF-8
        /// sequence read as UTF-8 is never accepted.
        #[test]
        fn any_bytes_give_a_table_or_an_error(
            bytes in prop::collection::vec(any::<u8>(), 0..300),
            step in 1usize..40,
        ) {
            for encoding in [Encoding::Auto, Encoding::Utf8, Encoding::Gbk] {
                let result = read_all(&bytes, encoding, step);
                let text_ok = std::str::from_utf8(&bytes).is_ok() && !bytes.contains(&0);
                if encoding == Encoding::Utf8 && !text_ok {
                    prop_assert!(result.is_err(), "{:?}", result);
                }
                if let Err(e) = &result {
                    prop_assert!(
                        matches!(e, Error::Encoding { .. } | Error::BadRow { .. } | Error::Table { .. }),
                        "{:?}", e
                    );
                }
            }
        }
    }
}
