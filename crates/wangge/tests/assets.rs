//! The component inventory: checked ids and fields, grids derived by `locate`, the GeoJSON and
//! CSV readers, and nearest / within queries against a brute-force geodesic scan.

use std::path::Path;

use wangge::assets::{
    read_csv, read_geojson, AssetFields, AssetFilter, AssetInput, AssetSet, AssetState,
    GridMismatch,
};
use wangge::catalog::Catalog;
use wangge::crs::{wgs84_to_gcj02, Converter};
use wangge::nearest::geodesic_distance_m;
use wangge::prelude::*;

fn fixture() -> City {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fixture/city.toml");
    City::from_manifest(&path).unwrap()
}

fn input(id: &str, lon: f64, lat: f64) -> AssetInput {
    AssetInput {
        id: id.into(),
        lon,
        lat,
        ..AssetInput::default()
    }
}

fn build(inputs: Vec<AssetInput>) -> wangge::Result<AssetSet> {
    AssetSet::build(None, &Catalog::builtin(), inputs)
}

const OK: &str = "4201030103000001";

// ---------------------------------------------------------------------------------------------
// 1. AssetSet::build errors
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_classes_in_ids() {
    let e = build(vec![
        input(OK, 114.25, 30.55),
        input("4201030199000001", 114.25, 30.55),
    ])
    .unwrap_err();
    assert_eq!(
        e,
        Error::UnknownClass {
            context: "asset 1 (id \"4201030199000001\"): component id \"4201030199000001\"".into(),
            code: "0199".into()
        }
    );
    // A GB/T 47678.5 event code is not a component class.
    let e = build(vec![input("42010309001000001", 114.25, 30.55)]).unwrap_err();
    assert!(
        matches!(&e, Error::UnknownClass { code, context } if code == "09001" && context.starts_with("asset 0")),
        "{e:?}"
    );
}

#[test]
fn malformed_ids() {
    for (id, why) in [
        ("420103010300001", "15 digits"),
        ("420103010300000001", "18 digits"),
        ("", "0 digits"),
        ("42010301030000A1", "not a digit"),
        (" 4201030103000001", "not a digit"),
        ("4201030103000000", "000000"),
        ("42010301003000000", "000000"),
        ("9901030103000001", "province"),
    ] {
        let e = build(vec![input(OK, 114.25, 30.55), input(id, 114.25, 30.55)]).unwrap_err();
        match &e {
            Error::InvalidAssetId {
                context,
                id: got,
                reason,
            } => {
                assert_eq!(got, id);
                assert_eq!(context, &format!("asset 1 (id {id:?})"));
                assert!(reason.contains(why), "{id:?}: {reason}");
            }
            other => panic!("{id:?}: expected InvalidAssetId, got {other:?}"),
        }
    }
}

#[test]
fn duplicate_ids_name_both_positions() {
    let e = build(vec![
        input(OK, 114.25, 30.55),
        input("4201030103000002", 114.25, 30.55),
        input(OK, 114.26, 30.56),
    ])
    .unwrap_err();
    assert_eq!(
        e,
        Error::DuplicateId {
            context: format!("asset 2 (id {OK:?}), first at asset 0"),
            id: OK.into()
        }
    );
    // The same serial in the two schemes is two different ids.
    build(vec![
        input(OK, 114.25, 30.55),
        input("42010301003000001", 114.25, 30.55),
    ])
    .unwrap();
}

#[test]
fn class_field_must_agree_with_the_id() {
    let mut a = input(OK, 114.25, 30.55);
    a.class = Some("0102".into());
    let e = build(vec![a]).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidAssetId { id, reason, .. }
            if id == OK && reason.contains("0103") && reason.contains("0102")),
        "{e:?}"
    );
    // The other scheme's code for the same class is still a disagreement.
    let mut a = input(OK, 114.25, 30.55);
    a.class = Some("01003".into());
    assert!(matches!(build(vec![a]), Err(Error::InvalidAssetId { .. })));
    // Agreeing or empty: fine.
    let mut a = input(OK, 114.25, 30.55);
    a.class = Some("0103".into());
    let mut b = input("4201030103000002", 114.25, 30.55);
    b.class = Some(String::new());
    let set = build(vec![a, b]).unwrap();
    assert!(set.assets().iter().all(|a| a.class == "0103"));
}

#[test]
fn states_and_coordinates() {
    for (written, state) in [
        ("", AssetState::Intact),
        ("完好", AssetState::Intact),
        ("破损", AssetState::Damaged),
        ("damaged", AssetState::Damaged),
        ("LOST", AssetState::Lost),
        (" 废弃 ", AssetState::Abandoned),
        ("removed", AssetState::Removed),
    ] {
        let mut a = input(OK, 114.25, 30.55);
        a.state = written.into();
        assert_eq!(
            build(vec![a]).unwrap().assets()[0].state,
            state,
            "{written:?}"
        );
    }
    let mut a = input(OK, 114.25, 30.55);
    a.state = "坏了".into();
    let e = build(vec![a]).unwrap_err();
    assert!(
        matches!(&e, Error::Table { source_name, reason }
            if source_name == &format!("asset 0 (id {OK:?})") && reason.contains("坏了")),
        "{e:?}"
    );
    for (lon, lat) in [
        (f64::NAN, 30.55),
        (114.25, f64::NAN),
        (f64::INFINITY, 30.55),
        (180.5, 30.55),
        (114.25, -91.0),
    ] {
        let e = build(vec![
            input(OK, 114.25, 30.55),
            input("4201030103000002", lon, lat),
        ])
        .unwrap_err();
        assert!(
            matches!(e, Error::InvalidPoint { index: 1, .. }),
            "({lon}, {lat}): {e:?}"
        );
    }
}

#[test]
fn assets_are_kept_in_id_order_with_their_fields() {
    let mut a = input("4201030113000002", 114.252, 30.552);
    a.name = "消火栓".into();
    a.main_dept = Some("XFZ".into());
    a.owner_dept = Some("OWN".into());
    a.maintainer_dept = Some("MNT".into());
    a.attributes.insert("material".into(), "铸铁".into());
    let set = build(vec![
        a.clone(),
        input("42010301003000001", 114.25, 30.55),
        input(OK, 114.25, 30.55),
    ])
    .unwrap();
    assert_eq!(
        set.assets()
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        // Lexicographic: the 17-digit 010030… sorts before 0103….
        ["42010301003000001", "4201030103000001", "4201030113000002"]
    );
    assert_eq!(set.len(), 3);
    assert!(!set.is_empty());
    let got = set.get("4201030113000002").unwrap();
    assert_eq!(got.class, "0113");
    assert_eq!(got.name, "消火栓");
    assert_eq!(got.main_dept.as_deref(), Some("XFZ"));
    assert_eq!(got.owner_dept.as_deref(), Some("OWN"));
    assert_eq!(got.maintainer_dept.as_deref(), Some("MNT"));
    assert_eq!(got.attributes, a.attributes);
    assert_eq!((got.lon, got.lat), (114.252, 30.552));
    // Without a city there is no region.
    assert_eq!(got.region, None);
    assert_eq!(set.get("42010301003000001").unwrap().class, "01003");
    assert!(set.get("4201030103000009").is_none());
    assert!(build(Vec::new()).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 2. Grid derivation
// ---------------------------------------------------------------------------------------------

#[test]
fn grids_are_derived_and_mismatches_listed() {
    let city = fixture();
    let with_grid = |id: &str, lon: f64, lat: f64, grid: Option<&str>| AssetInput {
        grid: grid.map(Into::into),
        ..input(id, lon, lat)
    };
    let set = AssetSet::build(
        Some(&city),
        &Catalog::builtin(),
        vec![
            // Interior of grid 002, given correctly.
            with_grid(
                "4201030103000001",
                114.2515,
                30.5525,
                Some("420103001001002"),
            ),
            // Interior of grid 002, given as 001.
            with_grid(
                "4201030103000002",
                114.2515,
                30.5525,
                Some("420103001001001"),
            ),
            // On the edge shared by 005 and 006: 006 owns it; the input says 005.
            with_grid(
                "4201030103000003",
                114.252,
                30.5515,
                Some("420103001001005"),
            ),
            // In the hole of 005: the community owns it.
            with_grid(
                "4201030103000004",
                114.2515,
                30.5515,
                Some("420103001001005"),
            ),
            // Outside the city.
            with_grid("4201030103000005", 114.30, 30.60, Some("420103001001001")),
            // No grid given, or an empty one: nothing to check.
            with_grid("4201030103000006", 114.2545, 30.5505, None),
            with_grid("4201030103000007", 114.2545, 30.5505, Some("")),
            // The west edge of the partition is owned: 004.
            with_grid("4201030103000008", 114.25, 30.5515, Some("420103001001004")),
        ],
    )
    .unwrap();
    let region = |id: &str| {
        set.get(id)
            .unwrap()
            .region
            .map(|r| city.region(r).code.clone())
    };
    for (id, expected) in [
        ("4201030103000001", Some("420103001001002")),
        ("4201030103000002", Some("420103001001002")),
        ("4201030103000003", Some("420103001001006")),
        ("4201030103000004", Some("420103001001")),
        ("4201030103000005", None),
        ("4201030103000006", Some("420103001002003")),
        ("4201030103000007", Some("420103001002003")),
        ("4201030103000008", Some("420103001001004")),
    ] {
        assert_eq!(region(id).as_deref(), expected, "{id}");
    }
    let mismatch = |asset: &str, given: &str, located: Option<&str>| GridMismatch {
        asset: asset.into(),
        given: given.into(),
        located: located.map(Into::into),
    };
    assert_eq!(
        set.grid_mismatches(),
        [
            mismatch(
                "4201030103000002",
                "420103001001001",
                Some("420103001001002")
            ),
            mismatch(
                "4201030103000003",
                "420103001001005",
                Some("420103001001006")
            ),
            mismatch("4201030103000004", "420103001001005", Some("420103001001")),
            mismatch("4201030103000005", "420103001001001", None),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Readers
// ---------------------------------------------------------------------------------------------

#[test]
fn geojson_legacy_fields_in_gcj02() {
    let wgs = [(114.2515, 30.5525), (114.2545, 30.5505)];
    let gcj: Vec<(f64, f64)> = wgs.iter().map(|&(x, y)| wgs84_to_gcj02(x, y)).collect();
    let text = format!(
        r#"{{"type": "FeatureCollection", "features": [
  {{"type": "Feature", "geometry": {{"type": "Point", "coordinates": [{}, {}]}},
    "properties": {{"ObjID": "4201030103000001", "ObjName": "雨水井盖", "DeptCode1": "SWJ",
      "DeptCode2": "OWNER", "DeptCode3": "", "ObjState": "破损", "BGID": "420103001001002",
      "Material": "铸铁", "Diameter": 700, "Checked": true, "Note": null}}}},
  {{"type": "Feature", "geometry": {{"type": "Point", "coordinates": [{}, {}]}},
    "properties": {{"ObjID": "42010301013000001", "ObjName": "消火栓", "ObjState": "完好",
      "BGID": "420103001001001"}}}}
]}}"#,
        gcj[0].0, gcj[0].1, gcj[1].0, gcj[1].1
    );
    let inputs = read_geojson(
        "assets.geojson",
        &text,
        &AssetFields::legacy(),
        Crs::Gcj02,
        &Converter::default(),
    )
    .unwrap();
    assert_eq!(inputs.len(), 2);
    for (got, &(x, y)) in inputs.iter().zip(&wgs) {
        assert!(
            (got.lon - x).abs() < 1e-7 && (got.lat - y).abs() < 1e-7,
            "{} {}",
            got.lon,
            got.lat
        );
    }
    let a = &inputs[0];
    assert_eq!(a.id, "4201030103000001");
    assert_eq!(a.name, "雨水井盖");
    assert_eq!(a.main_dept.as_deref(), Some("SWJ"));
    assert_eq!(a.owner_dept.as_deref(), Some("OWNER"));
    assert_eq!(a.maintainer_dept, None);
    assert_eq!(a.state, "破损");
    assert_eq!(a.grid.as_deref(), Some("420103001001002"));
    assert_eq!(a.class, None);
    assert_eq!(
        a.attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("Checked", "true"),
            ("Diameter", "700"),
            ("Material", "铸铁"),
            ("Note", "")
        ]
    );
    assert!(inputs[1].attributes.is_empty());
    // Checked and located: the first is damaged in grid 002, the second's BGID is wrong.
    let city = fixture();
    let set = AssetSet::build(Some(&city), &Catalog::builtin(), inputs).unwrap();
    let first = set.get("4201030103000001").unwrap();
    assert_eq!(first.state, AssetState::Damaged);
    assert_eq!(city.region(first.region.unwrap()).code, "420103001001002");
    assert_eq!(
        set.grid_mismatches(),
        [GridMismatch {
            asset: "42010301013000001".into(),
            given: "420103001001001".into(),
            located: Some("420103001002003".into()),
        }]
    );
    // The same text read as WGS84 is ≈ 500 m off.
    let raw = read_geojson(
        "assets.geojson",
        &text,
        &AssetFields::legacy(),
        Crs::Wgs84,
        &Converter::default(),
    )
    .unwrap();
    assert!((raw[0].lon - gcj[0].0).abs() < 1e-12 && (raw[0].lat - gcj[0].1).abs() < 1e-12);
}

#[test]
fn geojson_errors() {
    let fields = AssetFields::default();
    let read = |text: &str| {
        read_geojson(
            "a.geojson",
            text,
            &fields,
            Crs::Wgs84,
            &Converter::default(),
        )
        .unwrap_err()
    };
    let point = |props: &str| {
        format!(
            r#"{{"type": "Feature", "geometry": {{"type": "Point", "coordinates": [114.25, 30.55]}}, "properties": {props}}}"#
        )
    };
    let collection = |features: &[String]| {
        format!(
            r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
            features.join(",")
        )
    };
    let e = read(&collection(&[
        point(r#"{"id": "4201030103000001"}"#),
        point(r#"{"name": "no id"}"#),
    ]));
    assert!(
        matches!(&e, Error::GeoJson { source_name, reason }
            if source_name == "a.geojson" && reason.contains("feature 1") && reason.contains("\"id\"")),
        "{e:?}"
    );
    let line = r#"{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[114.25, 30.55], [114.26, 30.56]]}, "properties": {"id": "4201030103000002"}}"#;
    let e = read(&collection(&[
        point(r#"{"id": "4201030103000001"}"#),
        line.to_string(),
    ]));
    assert!(
        matches!(&e, Error::GeoJson { reason, .. } if reason.contains("feature 1")),
        "{e:?}"
    );
    let e = read(&point(r#"{"id": "4201030103000001"}"#));
    assert!(matches!(e, Error::GeoJson { .. }), "{e:?}");
    let e = read("{not json");
    assert!(matches!(e, Error::GeoJson { .. }), "{e:?}");
}

#[test]
fn csv_default_fields() {
    let text = "id,class,name,lon,lat,main_dept,owner_dept,maintainer_dept,state,grid,material\n\
                4201030103000001,0103,雨水井盖,114.2515,30.5525,SWJ,,MNT,damaged,420103001001002,铸铁\n\
                42010301013000001,,消火栓, 114.2545 ,30.5505,,,,,,\n";
    let inputs = read_csv(
        "assets.csv",
        text,
        &AssetFields::default(),
        Crs::Wgs84,
        &Converter::default(),
    )
    .unwrap();
    assert_eq!(
        inputs[0],
        AssetInput {
            id: "4201030103000001".into(),
            class: Some("0103".into()),
            name: "雨水井盖".into(),
            lon: 114.2515,
            lat: 30.5525,
            main_dept: Some("SWJ".into()),
            owner_dept: None,
            maintainer_dept: Some("MNT".into()),
            state: "damaged".into(),
            grid: Some("420103001001002".into()),
            attributes: [("material".to_string(), "铸铁".to_string())]
                .into_iter()
                .collect(),
        }
    );
    assert_eq!(inputs[1].id, "42010301013000001");
    assert_eq!((inputs[1].lon, inputs[1].lat), (114.2545, 30.5505));
    assert_eq!(inputs[1].class, None);
    assert_eq!(inputs[1].grid, None);
    assert_eq!(inputs[1].state, "");
    let set = AssetSet::build(Some(&fixture()), &Catalog::builtin(), inputs).unwrap();
    assert_eq!(set.len(), 2);
    assert!(set.grid_mismatches().is_empty());

    // Legacy field names and GCJ-02 coordinates in CSV.
    let (gx, gy) = wgs84_to_gcj02(114.2515, 30.5525);
    let text =
        format!("ObjID,ObjName,PointX,PointY,ObjState\n4201030103000001,雨水井盖,{gx},{gy},丢失\n");
    let inputs = read_csv(
        "legacy.csv",
        &text,
        &AssetFields::legacy(),
        Crs::Gcj02,
        &Converter::default(),
    )
    .unwrap();
    assert!((inputs[0].lon - 114.2515).abs() < 1e-7 && (inputs[0].lat - 30.5525).abs() < 1e-7);
    assert_eq!(inputs[0].state, "丢失");
    assert!(inputs[0].attributes.is_empty());
}

#[test]
fn csv_errors_name_the_line() {
    let read = |text: &str| {
        read_csv(
            "assets.csv",
            text,
            &AssetFields::default(),
            Crs::Wgs84,
            &Converter::default(),
        )
        .unwrap_err()
    };
    let e = read("name,lon,lat\nx,114.25,30.55\n");
    assert!(
        matches!(&e, Error::MissingColumn { source_name, column, .. }
            if source_name == "assets.csv" && column == "id"),
        "{e:?}"
    );
    let e = read("id,lon\n4201030103000001,114.25\n");
    assert!(
        matches!(&e, Error::MissingColumn { column, .. } if column == "lat"),
        "{e:?}"
    );
    let e = read(
        "id,lon,lat\n4201030103000001,114.25,30.55\n4201030103000002,114.25,30.55\n4201030103000003,east,30.55\n",
    );
    assert!(
        matches!(&e, Error::BadRow { line: 4, column, value, .. } if column == "lon" && value == "east"),
        "{e:?}"
    );
    let e = read("id,lon,lat\n4201030103000001,114.25,\n");
    assert!(
        matches!(&e, Error::BadRow { line: 2, column, .. } if column == "lat"),
        "{e:?}"
    );
    // A row with a missing field.
    let e = read("id,lon,lat\n4201030103000001,114.25,30.55\n4201030103000002,114.25\n");
    assert!(
        matches!(&e, Error::BadRow { line: 3, column, .. } if column == "lat"),
        "{e:?}"
    );
    // Out of range, or not finite.
    let e = read("id,lon,lat\n4201030103000001,114.25,91\n");
    assert!(
        matches!(&e, Error::BadRow { line: 2, column, .. } if column == "lat"),
        "{e:?}"
    );
    let e = read("id,lon,lat\n4201030103000001,inf,30.55\n");
    assert!(
        matches!(&e, Error::BadRow { line: 2, column, .. } if column == "lon"),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. nearest / within against a brute-force scan
// ---------------------------------------------------------------------------------------------

/// splitmix64: a tiny seeded generator, independent of the library.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const CLASSES: [&str; 8] = [
    "0103", "0102", "0113", "0118", "0305", "01003", "01013", "03005",
];
const STATES: [(&str, AssetState); 5] = [
    ("完好", AssetState::Intact),
    ("破损", AssetState::Damaged),
    ("lost", AssetState::Lost),
    ("废弃", AssetState::Abandoned),
    ("removed", AssetState::Removed),
];

/// An independent oracle entry: id, class, state, position.
#[derive(Clone)]
struct Row {
    id: String,
    class: &'static str,
    state: AssetState,
    lon: f64,
    lat: f64,
}

fn random_inventory(n: usize, seed: u64) -> Vec<Row> {
    let mut rng = Rng(seed);
    let mut serials = [0u32; CLASSES.len()];
    let mut rows: Vec<Row> = Vec::with_capacity(n);
    for i in 0..n {
        let c = rng.below(CLASSES.len());
        serials[c] += 1;
        let (_, state) = STATES[rng.below(STATES.len())];
        // Every 5th asset shares the position of an earlier one: exact distance ties.
        let (lon, lat) = if i > 0 && i % 5 == 0 {
            let j = rng.below(i);
            (rows[j].lon, rows[j].lat)
        } else {
            (114.25 + 0.02 * rng.unit(), 30.55 + 0.02 * rng.unit())
        };
        rows.push(Row {
            id: format!("420103{}{:06}", CLASSES[c], serials[c]),
            class: CLASSES[c],
            state,
            lon,
            lat,
        });
    }
    rows
}

/// The oracle's reading of a class prefix: the code itself or its major (first two digits).
fn prefix_covers(prefix: &str, class: &str) -> bool {
    prefix == class || &class[..2] == prefix
}

fn oracle_accepts(filter: &AssetFilter, row: &Row) -> bool {
    (filter.class_prefixes.is_empty()
        || filter
            .class_prefixes
            .iter()
            .any(|p| prefix_covers(p, row.class)))
        && (filter.states.is_empty() || filter.states.contains(&row.state))
}

/// Every accepted row with its distance, by (distance, id).
fn scan(rows: &[Row], lon: f64, lat: f64, filter: &AssetFilter) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = rows
        .iter()
        .filter(|r| oracle_accepts(filter, r))
        .map(|r| (r.id.clone(), geodesic_distance_m(lon, lat, r.lon, r.lat)))
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn same(got: &[(&wangge::assets::Asset, f64)], expected: &[(String, f64)], what: &str) {
    let got_ids: Vec<&str> = got.iter().map(|(a, _)| a.id.as_str()).collect();
    let exp_ids: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(got_ids, exp_ids, "{what}");
    for ((a, d), (_, e)) in got.iter().zip(expected) {
        assert!((d - e).abs() <= 1e-9, "{what}: {} at {d} vs {e}", a.id);
    }
}

#[test]
fn nearest_and_within_match_a_brute_force_scan() {
    let rows = random_inventory(3000, 20_240_601);
    let set = build(
        rows.iter()
            .map(|r| AssetInput {
                id: r.id.clone(),
                lon: r.lon,
                lat: r.lat,
                state: STATES.iter().find(|s| s.1 == r.state).unwrap().0.into(),
                ..AssetInput::default()
            })
            .collect(),
    )
    .unwrap();
    assert_eq!(set.len(), rows.len());
    let filters = [
        AssetFilter::default(),
        AssetFilter::classes(["01"]),
        AssetFilter::classes(["0103"]),
        AssetFilter::classes(["0103", "01003"]),
        AssetFilter::classes(["03"]),
        AssetFilter::classes(["010"]),
        AssetFilter {
            class_prefixes: vec!["01".into()],
            states: vec![AssetState::Damaged, AssetState::Lost],
        },
        AssetFilter {
            class_prefixes: Vec::new(),
            states: vec![AssetState::Removed],
        },
    ];
    // The filters select what they should: "01" covers both schemes' 01 classes, "0103" only
    // itself, "010" nothing.
    let count = |f: &AssetFilter| rows.iter().filter(|r| oracle_accepts(f, r)).count();
    let of = |classes: &[&str]| rows.iter().filter(|r| classes.contains(&r.class)).count();
    assert_eq!(
        count(&filters[1]),
        of(&["0103", "0102", "0113", "0118", "01003", "01013"])
    );
    assert_eq!(count(&filters[2]), of(&["0103"]));
    assert_eq!(count(&filters[4]), of(&["0305", "03005"]));
    assert_eq!(count(&filters[5]), 0);
    for (i, f) in filters.iter().enumerate() {
        let lib = set.assets().iter().filter(|a| f.accepts(a)).count();
        assert_eq!(lib, count(f), "filter {i}");
    }

    let mut rng = Rng(7);
    let mut queries: Vec<(f64, f64)> = (0..25)
        .map(|_| (114.248 + 0.024 * rng.unit(), 30.548 + 0.024 * rng.unit()))
        .collect();
    // Queries exactly on assets that share their position with another.
    queries.extend((0..5).map(|k| (rows[5 * (k + 1)].lon, rows[5 * (k + 1)].lat)));
    let mut ties = 0;
    for &(lon, lat) in &queries {
        for (i, f) in filters.iter().enumerate() {
            let all = scan(&rows, lon, lat, f);
            ties += all.windows(2).filter(|w| w[0].1 == w[1].1).count();
            for k in [1, 7, 40] {
                for max in [None, Some(250.0)] {
                    let expected: Vec<(String, f64)> = all
                        .iter()
                        .filter(|(_, d)| max.is_none_or(|m| *d <= m))
                        .take(k)
                        .cloned()
                        .collect();
                    same(
                        &set.nearest(lon, lat, k, max, f),
                        &expected,
                        &format!("nearest ({lon}, {lat}) filter {i} k {k} max {max:?}"),
                    );
                }
            }
            for radius in [0.0, 120.0, 600.0] {
                let expected: Vec<(String, f64)> =
                    all.iter().filter(|(_, d)| *d <= radius).cloned().collect();
                same(
                    &set.within(lon, lat, radius, f),
                    &expected,
                    &format!("within ({lon}, {lat}) filter {i} radius {radius}"),
                );
            }
        }
    }
    assert!(ties > 0, "the inventory must contain exact ties");
    assert!(set.nearest(114.26, 30.56, 0, None, &filters[0]).is_empty());
    assert!(set
        .nearest(f64::NAN, 30.56, 3, None, &filters[0])
        .is_empty());
}
