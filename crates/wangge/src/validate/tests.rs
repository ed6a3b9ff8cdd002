//! Each finding on small hand-made partitions near (114°E, 30°N), laid out in metres.

use super::*;
use crate::model::RegionInput;
use geo::{Coord, GeodesicArea, LineString, Polygon};

const LON0: f64 = 114.0;
const LAT0: f64 = 30.0;
/// Metres per degree of latitude near 30°N (WGS84 meridian arc), and of longitude.
const M_PER_DEG_LAT: f64 = 110_852.0;
fn m_per_deg_lon() -> f64 {
    111_320.0 * LAT0.to_radians().cos()
}

/// A point `x` metres east and `y` metres north of the origin.
fn pt(x: f64, y: f64) -> [f64; 2] {
    [LON0 + x / m_per_deg_lon(), LAT0 + y / M_PER_DEG_LAT]
}

/// A closed counter-clockwise rectangle ring in metres.
fn rect_ring(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
    vec![pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1), pt(x0, y0)]
}

fn region(code: &str, parent: Option<&str>, rings: Vec<Vec<[f64; 2]>>) -> RegionInput {
    RegionInput {
        code: code.into(),
        name: String::new(),
        parent: parent.map(Into::into),
        geometry: vec![rings],
    }
}

fn rect(code: &str, parent: Option<&str>, x0: f64, y0: f64, x1: f64, y1: f64) -> RegionInput {
    region(code, parent, vec![rect_ring(x0, y0, x1, y1)])
}

const COMMUNITY: &str = "420103003005";

/// A community 200 m × 100 m with the given grids (parents named).
fn two_levels(grids: Vec<RegionInput>) -> Vec<LevelInput> {
    vec![
        LevelInput {
            name: "community".into(),
            regions: vec![rect(COMMUNITY, None, 0.0, 0.0, 200.0, 100.0)],
        },
        LevelInput {
            name: "grid".into(),
            regions: grids,
        },
    ]
}

fn grid(serial: &str) -> String {
    format!("{COMMUNITY}{serial}")
}

fn run(levels: &[LevelInput]) -> Report {
    validate_levels(levels, &ValidateOptions::default())
}

fn kinds(report: &Report) -> Vec<(FindingKind, Severity)> {
    report
        .findings
        .iter()
        .map(|f| (f.kind, f.severity))
        .collect()
}

/// The geodesic area of a hand-made rectangle (the oracle for boolean-op areas).
fn rect_area(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    let ring: Vec<Coord<f64>> = rect_ring(x0, y0, x1, y1)
        .into_iter()
        .map(|[x, y]| Coord { x, y })
        .collect();
    Polygon::new(LineString(ring), vec![]).geodesic_area_unsigned()
}

#[test]
fn clean_partition_has_no_findings() {
    let levels = two_levels(vec![
        rect(&grid("001"), Some(COMMUNITY), 0.0, 0.0, 100.0, 100.0),
        rect(&grid("002"), Some(COMMUNITY), 100.0, 0.0, 200.0, 100.0),
    ]);
    let report = run(&levels);
    assert!(report.findings.is_empty(), "{}", report.to_text());
    assert_eq!(report.features, vec![1, 2]);
    // Parents by containment give the same answer.
    let mut levels = levels;
    levels[1].regions.iter_mut().for_each(|r| r.parent = None);
    assert!(run(&levels).findings.is_empty());
}

#[test]
fn overlap_and_gap_have_the_hand_computed_areas_and_places() {
    // The east grid is shifted 10 m west: 10 m × 100 m overlap, 10 m × 100 m gap at the east end.
    let report = run(&two_levels(vec![
        rect(&grid("001"), Some(COMMUNITY), 0.0, 0.0, 100.0, 100.0),
        rect(&grid("002"), Some(COMMUNITY), 90.0, 0.0, 190.0, 100.0),
    ]));
    assert_eq!(
        kinds(&report),
        vec![
            (FindingKind::Gap, Severity::Error),
            (FindingKind::Overlap, Severity::Error)
        ],
        "{}",
        report.to_text()
    );
    let gap = report.of_kind(FindingKind::Gap).next().unwrap();
    let overlap = report.of_kind(FindingKind::Overlap).next().unwrap();
    assert_eq!(gap.codes, vec![COMMUNITY.to_string()]);
    assert_eq!(overlap.codes, vec![grid("001"), grid("002")]);
    for (f, expected) in [
        (gap, rect_area(190.0, 0.0, 200.0, 100.0)),
        (overlap, rect_area(90.0, 0.0, 100.0, 100.0)),
    ] {
        let got = f.value.unwrap();
        assert!(
            (got - expected).abs() < 1e-6 * expected,
            "{got} vs {expected}"
        );
        assert!((got - 1000.0).abs() < 10.0, "{got} is not about 1000 m²");
        // The geometry is where the problem is: its box is the hand-made rectangle's.
        let b = geo::BoundingRect::bounding_rect(f.geometry.as_ref().unwrap()).unwrap();
        let x0 = if f.kind == FindingKind::Gap {
            190.0
        } else {
            90.0
        };
        let [ex, ey] = pt(x0, 0.0);
        assert!((b.min().x - ex).abs() < 1e-9 && (b.min().y - ey).abs() < 1e-9);
    }
}

#[test]
fn child_outside_parent_is_reported_with_its_area() {
    let report = run(&two_levels(vec![
        rect(&grid("001"), Some(COMMUNITY), 0.0, 0.0, 100.0, 100.0),
        rect(&grid("002"), Some(COMMUNITY), 100.0, 0.0, 210.0, 100.0),
    ]));
    assert_eq!(
        kinds(&report),
        vec![(FindingKind::OutsideParent, Severity::Error)],
        "{}",
        report.to_text()
    );
    let f = &report.findings[0];
    assert_eq!(f.codes, vec![grid("002"), COMMUNITY.to_string()]);
    assert_eq!(f.feature, Some(1));
    let expected = rect_area(200.0, 0.0, 210.0, 100.0);
    assert!((f.value.unwrap() - expected).abs() < 1e-6 * expected);
}

#[test]
fn bow_tie_is_a_self_intersection() {
    let bow_tie = vec![
        pt(0.0, 0.0),
        pt(100.0, 100.0),
        pt(100.0, 0.0),
        pt(0.0, 100.0),
        pt(0.0, 0.0),
    ];
    let report = run(&[LevelInput {
        name: "grid".into(),
        regions: vec![region(&grid("001"), None, vec![bow_tie])],
    }]);
    let found: Vec<_> = report.of_kind(FindingKind::SelfIntersection).collect();
    assert_eq!(found.len(), 1, "{}", report.to_text());
    assert_eq!(found[0].severity, Severity::Error);
    assert_eq!(found[0].codes, vec![grid("001")]);
}

#[test]
fn unclosed_and_short_rings_and_bad_coordinates_are_all_reported() {
    let mut unclosed = rect_ring(0.0, 0.0, 100.0, 100.0);
    unclosed.pop();
    let short = vec![pt(100.0, 0.0), pt(200.0, 0.0), pt(100.0, 0.0)];
    let mut nan = rect_ring(0.0, 200.0, 100.0, 300.0);
    nan[1] = [f64::NAN, 30.0];
    let mut far = rect_ring(0.0, 400.0, 100.0, 500.0);
    far[2] = [190.0, 30.0];
    let report = run(&[LevelInput {
        name: "grid".into(),
        regions: vec![
            region(&grid("001"), None, vec![unclosed]),
            region(&grid("002"), None, vec![short]),
            region(&grid("003"), None, vec![nan]),
            region(&grid("004"), None, vec![far]),
        ],
    }]);
    let by_feature = |i: usize| -> Vec<FindingKind> {
        report
            .findings
            .iter()
            .filter(|f| f.feature == Some(i))
            .map(|f| f.kind)
            .collect()
    };
    // The unclosed ring is closed for the later checks: nothing else is wrong with it.
    assert_eq!(
        by_feature(0),
        vec![FindingKind::RingNotClosed],
        "{}",
        report.to_text()
    );
    assert_eq!(by_feature(1), vec![FindingKind::RingTooShort]);
    assert_eq!(by_feature(2), vec![FindingKind::BadCoordinate]);
    assert_eq!(by_feature(3), vec![FindingKind::BadCoordinate]);
    assert!(report
        .findings
        .iter()
        .all(|f| f.severity == Severity::Error));
    // The out-of-range vertex is drawn where it is.
    let far = report
        .findings
        .iter()
        .find(|f| f.feature == Some(3))
        .unwrap();
    assert_eq!(far.geometry, Some(geo::Point::new(190.0, 30.0).into()));
}

#[test]
fn exact_and_sharp_spikes() {
    // A square with a 50 m needle that goes out and comes back on itself at (150, 50).
    let exact = vec![
        pt(0.0, 0.0),
        pt(100.0, 0.0),
        pt(100.0, 50.0),
        pt(150.0, 50.0),
        pt(100.0, 50.0),
        pt(100.0, 100.0),
        pt(0.0, 100.0),
        pt(0.0, 0.0),
    ];
    // A needle 50 m long and 0.4 m wide at its base: tip angle 2·atan(0.2 / 50).
    let sharp = vec![
        pt(0.0, 200.0),
        pt(100.0, 200.0),
        pt(100.0, 250.0),
        pt(150.0, 250.2),
        pt(100.0, 250.4),
        pt(100.0, 300.0),
        pt(0.0, 300.0),
        pt(0.0, 200.0),
    ];
    let report = run(&[LevelInput {
        name: "grid".into(),
        regions: vec![
            region(&grid("001"), None, vec![exact]),
            region(&grid("002"), None, vec![sharp]),
        ],
    }]);
    let spikes: Vec<_> = report.of_kind(FindingKind::Spike).collect();
    assert_eq!(spikes.len(), 2, "{}", report.to_text());
    assert_eq!(
        (spikes[0].severity, spikes[0].feature),
        (Severity::Error, Some(0))
    );
    assert_eq!(
        spikes[0].geometry,
        Some(geo::Point::from(pt(150.0, 50.0)).into())
    );
    assert_eq!(
        (spikes[1].severity, spikes[1].feature),
        (Severity::Warning, Some(1))
    );
    let expected = 2.0 * (0.2f64 / 50.0).atan().to_degrees();
    let got = spikes[1].value.unwrap();
    assert!(
        (got - expected).abs() < 0.01 * expected,
        "{got} vs {expected}"
    );
    // The exact spike is not reported a second time as a self-intersection.
    assert_eq!(report.of_kind(FindingKind::SelfIntersection).count(), 0);
}

#[test]
fn slivers_by_thinness_and_by_area() {
    // 300 m × 3 m: Polsby–Popper 4π·900 / 606² ≈ 0.0308; a second part of 0.5 m × 0.5 m.
    let thin = region(&grid("001"), None, vec![rect_ring(0.0, 0.0, 300.0, 3.0)]);
    let mut tiny = rect(&grid("002"), None, 0.0, 100.0, 100.0, 200.0);
    tiny.geometry
        .push(vec![rect_ring(200.0, 100.0, 200.5, 100.5)]);
    let report = run(&[LevelInput {
        name: "grid".into(),
        regions: vec![thin, tiny],
    }]);
    let slivers: Vec<_> = report.of_kind(FindingKind::Sliver).collect();
    assert_eq!(slivers.len(), 2, "{}", report.to_text());
    assert!(slivers.iter().all(|f| f.severity == Severity::Warning));
    let expected = 4.0 * std::f64::consts::PI * 900.0 / (606.0 * 606.0);
    let thin = slivers.iter().find(|f| f.feature == Some(0)).unwrap();
    assert!((thin.value.unwrap() - expected).abs() < 0.01 * expected);
    let tiny = slivers.iter().find(|f| f.feature == Some(1)).unwrap();
    assert!(
        (tiny.value.unwrap() - 0.25).abs() < 0.01,
        "{:?}",
        tiny.value
    );
    // 900 m² is also a small grid (warning range 2,500–40,000; error under 500).
    let area: Vec<_> = report.of_kind(FindingKind::AreaOutOfRange).collect();
    assert_eq!(area.len(), 1);
    assert_eq!(
        (area[0].severity, area[0].feature),
        (Severity::Warning, Some(0))
    );
}

#[test]
fn grid_areas_outside_the_ranges() {
    let sizes = [
        (40.0, Some(Severity::Warning)),
        (20.0, Some(Severity::Error)),
        (100.0, None),
        (250.0, Some(Severity::Warning)),
        (600.0, Some(Severity::Error)),
    ];
    let regions = sizes
        .iter()
        .enumerate()
        .map(|(i, &(side, _))| {
            let x = 1000.0 * i as f64;
            rect(
                &grid(&format!("{:03}", i + 1)),
                None,
                x,
                0.0,
                x + side,
                side,
            )
        })
        .collect();
    let report = run(&[LevelInput {
        name: "grid".into(),
        regions,
    }]);
    for (i, &(side, expected)) in sizes.iter().enumerate() {
        let got: Vec<_> = report
            .of_kind(FindingKind::AreaOutOfRange)
            .filter(|f| f.feature == Some(i))
            .collect();
        assert_eq!(
            got.first().map(|f| f.severity),
            expected,
            "{side} m: {}",
            report.to_text()
        );
        if let Some(f) = got.first() {
            let a = f.value.unwrap();
            assert!((a - side * side).abs() < 0.01 * side * side, "{a}");
        }
    }
    // Districts (6-digit codes) are not unit grids: no area range for them.
    let report = run(&[LevelInput {
        name: "district".into(),
        regions: vec![rect("420103", None, 0.0, 0.0, 20.0, 20.0)],
    }]);
    assert_eq!(report.of_kind(FindingKind::AreaOutOfRange).count(), 0);
    // Free codes: the deepest level is the grid level.
    let free = ValidateOptions {
        code_scheme: CodeScheme::Free,
        ..Default::default()
    };
    let report = validate_levels(
        &[LevelInput {
            name: "cells".into(),
            regions: vec![rect("A", None, 0.0, 0.0, 20.0, 20.0)],
        }],
        &free,
    );
    assert_eq!(
        kinds(&report),
        vec![(FindingKind::AreaOutOfRange, Severity::Error)]
    );
}

#[test]
fn bad_duplicate_and_non_prefix_codes() {
    let report = run(&two_levels(vec![
        rect("42010300300500X", Some(COMMUNITY), 0.0, 0.0, 100.0, 50.0),
        rect(&grid("002"), Some(COMMUNITY), 0.0, 50.0, 100.0, 100.0),
        rect(&grid("002"), Some(COMMUNITY), 100.0, 50.0, 200.0, 100.0),
        rect("420104003005004", Some(COMMUNITY), 100.0, 0.0, 200.0, 50.0),
    ]));
    let found: Vec<(FindingKind, Option<usize>)> = report
        .findings
        .iter()
        .filter(|f| f.kind != FindingKind::AreaOutOfRange && f.kind != FindingKind::SerialOrder)
        .map(|f| (f.kind, f.feature))
        .collect();
    assert_eq!(
        found,
        vec![
            (FindingKind::CodeFormat, Some(0)),
            (FindingKind::DuplicateCode, Some(2)),
            (FindingKind::CodePrefix, Some(3)),
        ],
        "{}",
        report.to_text()
    );
    let prefix = report.of_kind(FindingKind::CodePrefix).next().unwrap();
    assert_eq!(
        prefix.codes,
        vec!["420104003005004".to_string(), COMMUNITY.to_string()]
    );
    // Free codes: only the duplicate remains.
    let free = ValidateOptions {
        code_scheme: CodeScheme::Free,
        ..Default::default()
    };
    let report = validate_levels(
        &two_levels(vec![
            rect("x", Some(COMMUNITY), 0.0, 0.0, 100.0, 100.0),
            rect("x", Some(COMMUNITY), 100.0, 0.0, 200.0, 100.0),
        ]),
        &free,
    );
    assert_eq!(
        kinds(&report),
        vec![(FindingKind::DuplicateCode, Severity::Error)]
    );
}

#[test]
fn unknown_and_missing_parents() {
    let report = run(&two_levels(vec![
        rect(&grid("001"), Some("420103003009"), 0.0, 0.0, 100.0, 100.0),
        rect(&grid("002"), None, 100.0, 0.0, 200.0, 100.0),
        rect("420103003005003", None, 500.0, 0.0, 600.0, 100.0),
    ]));
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::UnknownParent | FindingKind::NoParent))
        .map(|f| (f.kind, f.feature))
        .collect();
    assert_eq!(
        errors,
        vec![
            (FindingKind::UnknownParent, Some(0)),
            (FindingKind::NoParent, Some(2))
        ],
        "{}",
        report.to_text()
    );
}

#[test]
fn serial_order_west_east_north_south() {
    // A 2 × 2 block of 100 m grids in the 200 m × 200 m community: reading order NW, NE, SW, SE.
    let layout = |serials: [&str; 4]| -> Vec<LevelInput> {
        let cells = [(0.0, 100.0), (100.0, 100.0), (0.0, 0.0), (100.0, 0.0)];
        let grids = serials
            .iter()
            .zip(cells)
            .map(|(s, (x, y))| rect(&grid(s), Some(COMMUNITY), x, y, x + 100.0, y + 100.0))
            .collect();
        let mut levels = two_levels(grids);
        levels[0].regions = vec![rect(COMMUNITY, None, 0.0, 0.0, 200.0, 200.0)];
        levels
    };
    let report = run(&layout(["001", "002", "003", "004"]));
    assert!(report.findings.is_empty(), "{}", report.to_text());
    // NW and NE swapped: 002 (NW) lies west of 001 (NE) in the same row.
    let report = run(&layout(["002", "001", "003", "004"]));
    let found: Vec<_> = report.of_kind(FindingKind::SerialOrder).collect();
    assert_eq!(found.len(), 1, "{}", report.to_text());
    assert_eq!(found[0].codes, vec![grid("001"), grid("002")]);
    assert_eq!(found[0].severity, Severity::Warning);
    assert!(found[0].message.contains("west"));
    // Rows swapped: 003 (NW) is north of 002 (SE).
    let report = run(&layout(["003", "004", "001", "002"]));
    let found: Vec<_> = report.of_kind(FindingKind::SerialOrder).collect();
    assert_eq!(found.len(), 1, "{}", report.to_text());
    assert_eq!(found[0].codes, vec![grid("002"), grid("003")]);
    assert!(found[0].message.contains("north"));
}

#[test]
fn renderings_carry_every_finding() {
    let report = run(&two_levels(vec![
        rect(&grid("001"), Some(COMMUNITY), 0.0, 0.0, 100.0, 100.0),
        rect(&grid("002"), Some(COMMUNITY), 90.0, 0.0, 190.0, 100.0),
    ]));
    let fc = report.to_geojson();
    assert_eq!(fc.features.len(), report.findings.len());
    assert!(fc.features.iter().all(|f| f.geometry.is_some()));
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 2);
    assert_eq!(json["findings"][0]["kind"], "gap");
    assert_eq!(json["findings"][0]["geometry"]["type"], "Polygon");
    let text = report.to_text();
    assert!(
        text.starts_with("checked 1 community, 2 grid: 2 errors, 0 warnings"),
        "{text}"
    );
    assert!(report.has_errors());
}

#[test]
fn degenerate_pieces_have_zero_area_in_either_winding() {
    // A zero-area "polygon" (all points on one line), as boolean operations can leave behind.
    for ring in [
        vec![pt(0.0, 0.0), pt(50.0, 0.0), pt(100.0, 0.0), pt(0.0, 0.0)],
        vec![pt(0.0, 0.0), pt(100.0, 0.0), pt(50.0, 0.0), pt(0.0, 0.0)],
    ] {
        let ring: Vec<Coord<f64>> = ring.into_iter().map(|[x, y]| Coord { x, y }).collect();
        let p = Polygon::new(LineString(ring), vec![]);
        // Not exactly 0: points on one lon/lat line are not on one geodesic (mm² here), but
        // never the rest of the globe.
        assert!(sizes::area_m2(&p) < 0.01, "{}", sizes::area_m2(&p));
    }
    // A real rectangle in either winding: the same area.
    let mut ring = rect_ring(0.0, 0.0, 100.0, 100.0);
    let ccw = sizes::area_m2(&Polygon::new(
        LineString(ring.iter().map(|&[x, y]| Coord { x, y }).collect()),
        vec![],
    ));
    ring.reverse();
    let cw = sizes::area_m2(&Polygon::new(
        LineString(ring.iter().map(|&[x, y]| Coord { x, y }).collect()),
        vec![],
    ));
    assert!(
        (ccw - cw).abs() < 1e-6 && (ccw - 10_000.0).abs() < 100.0,
        "{ccw} {cw}"
    );
}
