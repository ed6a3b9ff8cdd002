//! Geodesic areas against the closed-form area of a latitude-longitude quadrangle on the WGS84
//! ellipsoid (an independent formula: authalic latitude function q).

use wangge::prelude::*;

const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;

/// Area between two parallels and two meridians, m².
fn quadrangle_area(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> f64 {
    let e2 = F * (2.0 - F);
    let e = e2.sqrt();
    let q = |lat: f64| {
        let s = lat.to_radians().sin();
        (1.0 - e2)
            * (s / (1.0 - e2 * s * s) - (1.0 / (2.0 * e)) * ((1.0 - e * s) / (1.0 + e * s)).ln())
    };
    A * A * (lon1 - lon0).to_radians() / 2.0 * (q(lat1) - q(lat0))
}

fn one_region(ring: Vec<[f64; 2]>) -> City {
    let region = RegionInput {
        code: "g".into(),
        name: String::new(),
        parent: None,
        geometry: vec![vec![ring]],
    };
    let options = BuildOptions {
        code_scheme: CodeScheme::Free,
        ..Default::default()
    };
    City::build(
        vec![LevelInput {
            name: "grid".into(),
            regions: vec![region],
        }],
        &options,
    )
    .unwrap()
}

#[test]
fn unit_grid_area_matches_the_ellipsoid_formula_for_either_winding() {
    let (x0, y0, x1, y1) = (114.250, 30.550, 114.251, 30.551);
    let expected = quadrangle_area(x0, y0, x1, y1);
    assert!((9_000.0..11_000.0).contains(&expected), "{expected}");
    let ccw = vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
    let cw: Vec<[f64; 2]> = ccw.iter().rev().copied().collect();
    for ring in [ccw, cw] {
        let got = one_region(ring).regions()[0].area_m2;
        // Geodesic top/bottom edges bulge off the parallels by far less than 1e-6 of the area.
        assert!(
            (got - expected).abs() / expected < 1e-6,
            "got {got}, expected {expected}"
        );
    }
}

#[test]
fn district_sized_area_with_a_hole() {
    let outer = vec![
        [114.0, 30.0],
        [114.1, 30.0],
        [114.1, 30.1],
        [114.0, 30.1],
        [114.0, 30.0],
    ];
    let hole = vec![
        [114.02, 30.02],
        [114.02, 30.03],
        [114.03, 30.03],
        [114.03, 30.02],
        [114.02, 30.02],
    ];
    let region = RegionInput {
        code: "d".into(),
        name: String::new(),
        parent: None,
        geometry: vec![vec![outer, hole]],
    };
    let options = BuildOptions {
        code_scheme: CodeScheme::Free,
        ..Default::default()
    };
    let city = City::build(
        vec![LevelInput {
            name: "d".into(),
            regions: vec![region],
        }],
        &options,
    )
    .unwrap();
    let expected =
        quadrangle_area(114.0, 30.0, 114.1, 30.1) - quadrangle_area(114.02, 30.02, 114.03, 30.03);
    let got = city.regions()[0].area_m2;
    // 10 km geodesic edges vs parallels: the difference is a few parts in 1e5.
    assert!(
        (got - expected).abs() / expected < 1e-4,
        "got {got}, expected {expected}"
    );
}
