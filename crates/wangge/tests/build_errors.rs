//! Every build error is triggered on purpose and checked for its exact variant and location.

use wangge::io::geojson::{read_level, PropertyNames};
use wangge::prelude::*;
use wangge::{crs::Converter, Location};

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
}

fn region(code: &str, parent: Option<&str>, rings: Vec<Vec<[f64; 2]>>) -> RegionInput {
    RegionInput {
        code: code.into(),
        name: String::new(),
        parent: parent.map(Into::into),
        geometry: vec![rings],
    }
}

const C: &str = "420103001001";

fn community() -> RegionInput {
    region(C, None, vec![rect(114.25, 30.55, 114.26, 30.56)])
}

/// Builds community + grid levels with the given grids and returns the error.
fn grid_error(grids: Vec<RegionInput>) -> Error {
    City::build(
        vec![
            LevelInput {
                name: "community".into(),
                regions: vec![community()],
            },
            LevelInput {
                name: "grid".into(),
                regions: grids,
            },
        ],
        &BuildOptions::default(),
    )
    .expect_err("build must fail")
}

fn at(feature: usize, code: &str) -> Location {
    Location {
        level: "grid".into(),
        feature,
        code: Some(code.into()),
    }
}

fn ok_grid(serial: u32) -> RegionInput {
    let x = 114.25 + 0.001 * serial as f64;
    region(
        &format!("{C}{serial:03}"),
        Some(C),
        vec![rect(x, 30.55, x + 0.001, 30.551)],
    )
}

#[test]
fn ring_too_short() {
    let g = region(
        "420103001001002",
        Some(C),
        vec![vec![
            [114.251, 30.551],
            [114.252, 30.551],
            [114.251, 30.551],
        ]],
    );
    let e = grid_error(vec![ok_grid(1), g]);
    assert_eq!(
        e,
        Error::RingTooShort {
            at: at(1, "420103001001002"),
            ring: 0,
            len: 3
        }
    );
}

#[test]
fn ring_not_closed() {
    let mut ring = rect(114.251, 30.551, 114.252, 30.552);
    ring.pop();
    ring.push([114.2511, 30.551]);
    let e = grid_error(vec![region(
        "420103001001001",
        Some(C),
        vec![rect(114.251, 30.551, 114.252, 30.552), ring],
    )]);
    assert_eq!(
        e,
        Error::RingNotClosed {
            at: at(0, "420103001001001"),
            ring: 1
        }
    );
}

#[test]
fn non_finite_and_out_of_range() {
    let mut ring = rect(114.251, 30.551, 114.252, 30.552);
    ring[2] = [f64::NAN, 30.552];
    let e = grid_error(vec![region("420103001001001", Some(C), vec![ring])]);
    assert!(
        matches!(e, Error::NonFiniteCoordinate { ref at, ring: 0, position: 2, .. } if at.feature == 0)
    );

    let mut ring = rect(114.251, 30.551, 114.252, 30.552);
    ring[1] = [181.0, 30.551];
    let e = grid_error(vec![region("420103001001001", Some(C), vec![ring])]);
    assert_eq!(
        e,
        Error::CoordinateOutOfRange {
            at: at(0, "420103001001001"),
            ring: 0,
            position: 1,
            lon: 181.0,
            lat: 30.551
        }
    );
    let mut ring = rect(114.251, 30.551, 114.252, 30.552);
    ring[3] = [114.251, -90.5];
    assert!(matches!(
        grid_error(vec![region("420103001001001", Some(C), vec![ring])]),
        Error::CoordinateOutOfRange { position: 3, .. }
    ));
}

#[test]
fn self_intersection() {
    // A bow tie.
    let ring = vec![
        [114.251, 30.551],
        [114.252, 30.552],
        [114.252, 30.551],
        [114.251, 30.552],
        [114.251, 30.551],
    ];
    let e = grid_error(vec![
        ok_grid(1),
        region("420103001001002", Some(C), vec![ring]),
    ]);
    assert!(
        matches!(e, Error::SelfIntersection { ref at, .. } if *at == self::at(1, "420103001001002")),
        "{e}"
    );
}

#[test]
fn duplicate_code() {
    let e = grid_error(vec![ok_grid(1), ok_grid(2), ok_grid(1)]);
    assert_eq!(
        e,
        Error::DuplicateCode {
            at: at(2, "420103001001001"),
            code: "420103001001001".into(),
            first_level: "grid".into(),
            first_feature: 0
        }
    );
}

#[test]
fn unknown_parent() {
    let mut g = ok_grid(1);
    g.parent = Some("420103001009".into());
    assert_eq!(
        grid_error(vec![g]),
        Error::UnknownParent {
            at: at(0, "420103001001001"),
            parent: "420103001009".into(),
            parent_level: "community".into()
        }
    );
}

#[test]
fn no_containing_parent() {
    let mut g = region(
        "420103001001001",
        None,
        vec![rect(115.0, 31.0, 115.001, 31.001)],
    );
    g.parent = None;
    assert_eq!(
        grid_error(vec![g]),
        Error::NoContainingParent {
            at: at(0, "420103001001001"),
            parent_level: "community".into()
        }
    );
}

#[test]
fn parent_found_by_containment() {
    let mut g = ok_grid(3);
    g.parent = None;
    let city = City::build(
        vec![
            LevelInput {
                name: "community".into(),
                regions: vec![community()],
            },
            LevelInput {
                name: "grid".into(),
                regions: vec![g],
            },
        ],
        &BuildOptions::default(),
    )
    .unwrap();
    let grid = city.by_code("420103001001003").unwrap();
    assert_eq!(city.region(grid).parent, city.by_code(C));
}

#[test]
fn child_outside_parent() {
    // Sticks out ~0.001° of latitude (≈111 m) north of the community.
    let g = region(
        "420103001001001",
        Some(C),
        vec![rect(114.251, 30.559, 114.252, 30.561)],
    );
    match grid_error(vec![g]) {
        Error::ChildOutsideParent {
            at: a,
            parent,
            distance_m,
            tolerance_m,
            ..
        } => {
            assert_eq!(a, at(0, "420103001001001"));
            assert_eq!(parent, C);
            assert!((distance_m - 110.9).abs() < 1.0, "{distance_m}");
            assert_eq!(tolerance_m, 1.0);
        }
        e => panic!("wrong error {e:?}"),
    }
    // Within tolerance: 0.5 m out is accepted.
    let g = region(
        "420103001001001",
        Some(C),
        vec![rect(114.251, 30.559, 114.252, 30.560_004_5)],
    );
    City::build(
        vec![
            LevelInput {
                name: "community".into(),
                regions: vec![community()],
            },
            LevelInput {
                name: "grid".into(),
                regions: vec![g],
            },
        ],
        &BuildOptions::default(),
    )
    .expect("0.5 m is within the 1 m tolerance");
}

#[test]
fn bad_codes() {
    // Malformed: a letter in the code.
    let bad = region(
        "4201030010010X1",
        Some(C),
        vec![rect(114.251, 30.551, 114.252, 30.552)],
    );
    match grid_error(vec![ok_grid(1), bad]) {
        Error::RegionCode {
            at: a,
            code,
            reason,
        } => {
            assert_eq!(a, at(1, "4201030010010X1"));
            assert_eq!(code, "4201030010010X1");
            assert!(reason.contains("only the digits"), "{reason}");
        }
        e => panic!("wrong error {e:?}"),
    }
    // Valid on its own, but not an extension of its parent's code.
    let other = region(
        "420104001001001",
        Some(C),
        vec![rect(114.251, 30.551, 114.252, 30.552)],
    );
    match grid_error(vec![other]) {
        Error::RegionCode { at: a, reason, .. } => {
            assert_eq!(a, at(0, "420104001001001"));
            assert!(reason.contains("does not start with"), "{reason}");
        }
        e => panic!("wrong error {e:?}"),
    }
    // The legacy 14-digit form is accepted.
    let mut legacy = ok_grid(1);
    legacy.code = "42010300100101".into();
    City::build(
        vec![
            LevelInput {
                name: "community".into(),
                regions: vec![community()],
            },
            LevelInput {
                name: "grid".into(),
                regions: vec![legacy],
            },
        ],
        &BuildOptions::default(),
    )
    .expect("legacy grid code");
    // Free-form codes skip the standard checks.
    let city = City::build(
        vec![LevelInput {
            name: "zone".into(),
            regions: vec![region("north-1", None, vec![rect(0.0, 0.0, 1.0, 1.0)])],
        }],
        &BuildOptions {
            code_scheme: CodeScheme::Free,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(city.locate(0.5, 0.5).unwrap().leaf().code, "north-1");
}

#[test]
fn hierarchy_errors() {
    assert!(matches!(
        City::build(vec![], &BuildOptions::default()),
        Err(Error::Hierarchy(_))
    ));
    let level = |n: &str| LevelInput {
        name: n.into(),
        regions: vec![],
    };
    assert!(matches!(
        City::build(vec![level("a"), level("a")], &BuildOptions::default()),
        Err(Error::Hierarchy(_))
    ));
}

#[test]
fn geojson_reader_errors() {
    let conv = Converter::default();
    let props = PropertyNames::default();
    let read = |text: &str| read_level("t.geojson", text, "grid", &props, Crs::Wgs84, &conv);
    assert!(matches!(read("{not json"), Err(Error::GeoJson { .. })));
    assert!(matches!(
        read(r#"{"type":"Point","coordinates":[1,2]}"#),
        Err(Error::GeoJson { .. })
    ));
    let e = read(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":null}]}"#).unwrap_err();
    assert_eq!(
        e,
        Error::Property {
            at: Location {
                level: "grid".into(),
                feature: 0,
                code: None
            },
            property: "code".into(),
            problem: "is missing".into()
        }
    );
    let e = read(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":7},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#).unwrap_err();
    assert_eq!(
        e,
        Error::UnsupportedGeometry {
            at: Location {
                level: "grid".into(),
                feature: 0,
                code: Some("7".into())
            },
            found: "Point".into()
        }
    );
    let e = read(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":1.5},"geometry":null}]}"#).unwrap_err();
    assert!(
        matches!(e, Error::Property { ref problem, .. } if problem.contains("string or an integer"))
    );
}
