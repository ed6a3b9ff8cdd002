//! Integration tests of `wangge nearest` and `wangge dispatch`, run as a user would run them.
//!
//! `nearest` runs on a small hand-written inventory whose expected neighbours come from an
//! independent oracle written here (Vincenty's inverse formula on the WGS84 ellipsoid, checked
//! against a known value; the binary uses Karney's algorithm). GCJ-02 points are made with this
//! file's own implementation of the public WGS84 → GCJ-02 formula, checked against the value in
//! `tests/conformance/fixture.json`. `dispatch` runs on the bundled Wuhan manifest (real
//! districts, synthetic streets, communities, grids, departments, assets and workers).

const WUHAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wuhan.toml");
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/fixture/city.toml"
);

/// Headers `dispatch` appends to the input's, in order.
const DISPATCH_HEADERS: [&str; 8] = [
    "chain",
    "department",
    "department_name",
    "department_rule",
    "departments",
    "workers",
    "assets",
    "hydrants",
];

mod common;
use common::*;

// ---------------------------------------------------------------------------------------------
// Oracles

/// Geodesic distance in metres on the WGS84 ellipsoid by Vincenty's inverse formula (accurate
/// to well under a millimetre for the short, non-antipodal lines used here).
fn vincenty_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let a = 6_378_137.0;
    let f = 1.0 / 298.257_223_563;
    let b = a * (1.0 - f);
    let l = (lon2 - lon1).to_radians();
    let u1 = ((1.0 - f) * lat1.to_radians().tan()).atan();
    let u2 = ((1.0 - f) * lat2.to_radians().tan()).atan();
    let (su1, cu1) = u1.sin_cos();
    let (su2, cu2) = u2.sin_cos();
    let mut lambda = l;
    for _ in 0..200 {
        let (sl, cl) = lambda.sin_cos();
        let sin_sigma = ((cu2 * sl).powi(2) + (cu1 * su2 - su1 * cu2 * cl).powi(2)).sqrt();
        if sin_sigma == 0.0 {
            return 0.0;
        }
        let cos_sigma = su1 * su2 + cu1 * cu2 * cl;
        let sigma = sin_sigma.atan2(cos_sigma);
        let sin_alpha = cu1 * cu2 * sl / sin_sigma;
        let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        let cos_2sm = if cos2_alpha == 0.0 {
            0.0
        } else {
            cos_sigma - 2.0 * su1 * su2 / cos2_alpha
        };
        let c = f / 16.0 * cos2_alpha * (4.0 + f * (4.0 - 3.0 * cos2_alpha));
        let previous = lambda;
        lambda = l
            + (1.0 - c)
                * f
                * sin_alpha
                * (sigma
                    + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        if (lambda - previous).abs() < 1e-13 {
            let u2 = cos2_alpha * (a * a - b * b) / (b * b);
            let big_a = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)));
            let big_b = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)));
            let delta_sigma = big_b
                * sin_sigma
                * (cos_2sm
                    + big_b / 4.0
                        * (cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                            - big_b / 6.0
                                * cos_2sm
                                * (-3.0 + 4.0 * sin_sigma * sin_sigma)
                                * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
            return b * big_a * (sigma - delta_sigma);
        }
    }
    panic!("Vincenty did not converge for ({lon1}, {lat1}) -> ({lon2}, {lat2})");
}

/// WGS84 → GCJ-02 by the public formula (krasovsky axis, the usual trigonometric series).
fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let shared = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let dlat = -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + shared
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let dlon = 300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + shared
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = lat.to_radians();
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = dlat * 180.0 / (A * (1.0 - EE) / (magic * sqrt_magic) * PI);
    let dlon = dlon * 180.0 / (A / sqrt_magic * rad_lat.cos() * PI);
    (lon + dlon, lat + dlat)
}

#[test]
fn oracles_reproduce_known_values() {
    // One degree of latitude at the equator (crate docs of geodesic_distance_m: 110 574.389 m).
    assert!((vincenty_m(0.0, 0.0, 0.0, 1.0) - 110_574.389).abs() < 1e-3);
    // tests/conformance/fixture.json: GCJ-02 of WGS84 (114.2515, 30.5525).
    let (lon, lat) = wgs84_to_gcj02(114.2515, 30.5525);
    assert!((lon - 114.256_913_745_863_81).abs() < 1e-9, "{lon}");
    assert!((lat - 30.550_022_250_098_362).abs() < 1e-9, "{lat}");
}

// ---------------------------------------------------------------------------------------------
// nearest: a hand-made inventory in WGS84

/// (id, lon, lat): 16-digit legacy ids = admin 420103 + class + serial. Classes: 0103 雨水井盖,
/// 0113 消防设施 (hydrant), 0118 路灯, 0305 垃圾箱. The two 0118 lamps 000002 and 000001 stand
/// at the same position and are listed in reverse id order on purpose.
const ASSETS: [(&str, f64, f64); 8] = [
    ("4201030103000001", 114.2710, 30.5800),
    ("4201030103000002", 114.2700, 30.5830),
    ("4201030113000001", 114.2680, 30.5810),
    ("4201030113000002", 114.2800, 30.5900),
    ("4201030305000001", 114.2702, 30.5797),
    ("4201030118000002", 114.3000, 30.6000),
    ("4201030118000001", 114.3000, 30.6000),
    ("4201030118000003", 114.3000, 30.6020),
];

/// Query points (WGS84), data rows 1..=4 of the points file.
const POINTS: [(f64, f64); 4] = [
    (114.2700, 30.5800), // 1: near the 垃圾箱 (≈37 m) and 雨水井盖 000001 (≈96 m)
    (114.2795, 30.5895), // 2: near hydrant 000002
    (114.3010, 30.6000), // 3: ≈96 m east of the two lamps at the same position
    (114.4000, 30.5000), // 4: ≥ 14 km from everything
];

/// The assets as CSV (extra columns around the coordinates, as a real export has).
fn assets_csv() -> String {
    let mut csv = String::from("name,id,lat,note,lon\n");
    for (id, lon, lat) in ASSETS {
        csv += &format!("asset {id},{id},{lat},\"a, b\",{lon}\n");
    }
    csv
}

/// The assets as a GeoJSON FeatureCollection of Points, coordinates converted by `crs`.
fn assets_geojson(crs: fn(f64, f64) -> (f64, f64)) -> String {
    let features: Vec<String> = ASSETS
        .iter()
        .map(|&(id, lon, lat)| {
            let (x, y) = crs(lon, lat);
            format!(
                r#"{{"type":"Feature","properties":{{"id":"{id}","name":"asset {id}","height":1.5}},"geometry":{{"type":"Point","coordinates":[{x},{y}]}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",\n")
    )
}

/// The points as CSV `label,lon,lat`, coordinates converted by `crs`.
fn points_csv(crs: fn(f64, f64) -> (f64, f64)) -> String {
    let mut csv = String::from("label,lon,lat\n");
    for (i, &(lon, lat)) in POINTS.iter().enumerate() {
        let (x, y) = crs(lon, lat);
        csv += &format!("p{},{x},{y}\n", i + 1);
    }
    csv
}

fn identity(lon: f64, lat: f64) -> (f64, f64) {
    (lon, lat)
}

/// The class of a 16-digit legacy id.
fn class_of(id: &str) -> &str {
    &id[6..10]
}

/// The rows `nearest` must write, by the oracle: for every point, the assets passing the class
/// prefixes (a prefix is a whole class or its 2-digit major) within `max`, by (distance, id),
/// the first `k`. Asserts that the answer is well defined at the oracle's accuracy: ranks k and
/// k + 1, and every cut by `max`, are separated by more than 0.5 % unless the assets coincide.
fn expected(k: usize, max: Option<f64>, classes: &[&str]) -> Vec<(usize, usize, String, f64)> {
    let mut out = Vec::new();
    for (row, &(x, y)) in POINTS.iter().enumerate() {
        let mut all: Vec<(f64, &str, (f64, f64))> = ASSETS
            .iter()
            .filter(|(id, ..)| {
                classes.is_empty()
                    || classes
                        .iter()
                        .any(|p| *p == class_of(id) || *p == &class_of(id)[..2])
            })
            .map(|&(id, lon, lat)| (vincenty_m(x, y, lon, lat), id, (lon, lat)))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        for pair in all.windows(2).take(k) {
            assert!(
                pair[0].2 == pair[1].2 || pair[1].0 > pair[0].0 * 1.005,
                "test data: ranks too close to order by the oracle: {pair:?}"
            );
        }
        if let Some(max) = max {
            for (d, id, _) in &all {
                assert!(
                    (d - max).abs() > max * 0.005,
                    "test data: {id} at {d} m is too close to the cut {max}"
                );
            }
        }
        let kept = all.iter().filter(|(d, ..)| max.is_none_or(|m| *d <= m));
        for (rank, (d, id, _)) in kept.take(k).enumerate() {
            out.push((row + 1, rank + 1, id.to_string(), *d));
        }
    }
    out
}

/// Reads a `nearest` output file: (row, rank, asset_id, distance_m).
fn read_nearest(path: &str) -> Vec<(usize, usize, String, f64)> {
    let table = Table::read(path);
    assert_eq!(table.header, ["row", "rank", "asset_id", "distance_m"]);
    table
        .rows
        .iter()
        .map(|r| {
            let int = |s: &str| s.parse::<usize>().unwrap_or_else(|e| panic!("{s:?}: {e}"));
            let distance = &r[3];
            // Three decimals, millimetres.
            let decimals = distance.split_once('.').map(|(_, d)| d.len());
            assert_eq!(decimals, Some(3), "distance {distance:?}");
            (
                int(&r[0]),
                int(&r[1]),
                r[2].clone(),
                distance.parse().unwrap(),
            )
        })
        .collect()
}

/// Asserts rows, ranks and ids equal, distances within `tolerance_m`.
fn assert_nearest(got: &[(usize, usize, String, f64)], want: &[(usize, usize, String, f64)]) {
    let keys = |v: &[(usize, usize, String, f64)]| {
        v.iter()
            .map(|(row, rank, id, _)| (*row, *rank, id.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(got), keys(want));
    for (g, w) in got.iter().zip(want) {
        // Vincenty and Karney agree to well under a millimetre; the output is rounded to 1 mm.
        assert!(
            (g.3 - w.3).abs() < 0.002,
            "row {} rank {}: {} m, oracle {} m",
            g.0,
            g.1,
            g.3,
            w.3
        );
    }
}

/// The (row, rank, id) triples of a result, for hand-written expectations.
fn ids(rows: &[(usize, usize, String, f64)]) -> Vec<(usize, usize, &str)> {
    rows.iter()
        .map(|(row, rank, id, _)| (*row, *rank, id.as_str()))
        .collect()
}

/// Runs `wangge nearest --assets ASSETS --points POINTS --out OUT EXTRA…` and reads the output.
fn nearest(
    dir: &TempDir,
    assets: &str,
    points: &str,
    extra: &[&str],
) -> Vec<(usize, usize, String, f64)> {
    let out = dir.path("nearest.csv");
    let mut args = vec![
        "nearest", "--assets", assets, "--points", points, "--out", &out,
    ];
    args.extend(extra);
    wangge(&args).ok();
    read_nearest(&out)
}

#[test]
fn nearest_matches_the_oracle_in_exact_order_with_ties_by_id() {
    let dir = TempDir::new("nearest-k2");
    let assets = dir.write("assets.csv", assets_csv());
    let points = dir.write("points.csv", points_csv(identity));
    let got = nearest(&dir, &assets, &points, &["-k", "2"]);
    assert_nearest(&got, &expected(2, None, &[]));
    assert_eq!(
        ids(&got),
        [
            (1, 1, "4201030305000001"),
            (1, 2, "4201030103000001"),
            (2, 1, "4201030113000002"),
            (2, 2, "4201030103000002"),
            // Same position, same distance: the smaller id first, whatever the file order.
            (3, 1, "4201030118000001"),
            (3, 2, "4201030118000002"),
            (4, 1, "4201030118000001"),
            (4, 2, "4201030118000002"),
        ]
    );
    assert_eq!(
        got[4].3, got[5].3,
        "the tied lamps have different distances"
    );

    // k = 3 takes the third lamp after the tied pair.
    let got = nearest(&dir, &assets, &points, &["-k", "3"]);
    assert_nearest(&got, &expected(3, None, &[]));
    let row3: Vec<_> = got.iter().filter(|r| r.0 == 3).map(|r| &r.2[..]).collect();
    assert_eq!(
        row3,
        ["4201030118000001", "4201030118000002", "4201030118000003"]
    );

    // Default k is 1.
    let got = nearest(&dir, &assets, &points, &[]);
    assert_nearest(&got, &expected(1, None, &[]));
}

#[test]
fn nearest_class_filter_keeps_only_those_classes() {
    let dir = TempDir::new("nearest-class");
    let assets = dir.write("assets.csv", assets_csv());
    let points = dir.write("points.csv", points_csv(identity));

    let got = nearest(&dir, &assets, &points, &["-k", "2", "--class", "0113"]);
    assert_nearest(&got, &expected(2, None, &["0113"]));
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|r| class_of(&r.2) == "0113"), "{got:?}");
    assert_eq!(
        ids(&got[..2]),
        [(1, 1, "4201030113000001"), (1, 2, "4201030113000002")]
    );

    // Several prefixes; a 2-digit major covers its classes (01 = 公用设施, not 0305 垃圾箱).
    let got = nearest(
        &dir,
        &assets,
        &points,
        &["-k", "2", "--class", "0113", "--class", "0118"],
    );
    assert_nearest(&got, &expected(2, None, &["0113", "0118"]));
    let got = nearest(&dir, &assets, &points, &["-k", "2", "--class", "01"]);
    assert_nearest(&got, &expected(2, None, &["01"]));
    assert!(got.iter().all(|r| class_of(&r.2) != "0305"), "{got:?}");
    assert_eq!(
        ids(&got[..2]),
        [(1, 1, "4201030103000001"), (1, 2, "4201030113000001")]
    );
}

#[test]
fn nearest_max_distance_cuts() {
    let dir = TempDir::new("nearest-max");
    let assets = dir.write("assets.csv", assets_csv());
    let points = dir.write("points.csv", points_csv(identity));
    // 60 m keeps only the 垃圾箱 at ≈37 m for point 1; 150 m keeps its two nearest, the hydrant
    // of point 2 and both tied lamps of point 3. Point 4 has nothing: no row at all.
    let got = nearest(&dir, &assets, &points, &["-k", "2", "--max-distance", "60"]);
    assert_nearest(&got, &expected(2, Some(60.0), &[]));
    assert_eq!(ids(&got), [(1, 1, "4201030305000001")]);
    let got = nearest(
        &dir,
        &assets,
        &points,
        &["-k", "3", "--max-distance", "150"],
    );
    assert_nearest(&got, &expected(3, Some(150.0), &[]));
    assert_eq!(
        ids(&got),
        [
            (1, 1, "4201030305000001"),
            (1, 2, "4201030103000001"),
            (2, 1, "4201030113000002"),
            (3, 1, "4201030118000001"),
            (3, 2, "4201030118000002"),
        ]
    );
    assert!(got.iter().all(|r| r.3 <= 150.0));
}

#[test]
fn nearest_geojson_assets_give_the_csv_result() {
    let dir = TempDir::new("nearest-geojson");
    let csv = dir.write("assets.csv", assets_csv());
    let geojson = dir.write("assets.geojson", assets_geojson(identity));
    let points = dir.write("points.csv", points_csv(identity));
    let from_csv = nearest(&dir, &csv, &points, &["-k", "2"]);
    let from_geojson = nearest(&dir, &geojson, &points, &["-k", "2"]);
    assert_eq!(from_geojson, from_csv);
    assert_nearest(&from_geojson, &expected(2, None, &[]));
}

#[test]
fn nearest_converts_gcj02_points_and_assets() {
    // The points (and, second run, the assets) are converted to GCJ-02 with this file's own
    // implementation of the public formula; the binary converts them back by its inverse
    // (to well under a millimetre), so ids, order and distances must match the WGS84 run.
    let dir = TempDir::new("nearest-gcj02");
    let assets = dir.write("assets.csv", assets_csv());
    let wgs_points = dir.write("points.csv", points_csv(identity));
    let gcj_points = dir.write("points-gcj02.csv", points_csv(wgs84_to_gcj02));
    let want = nearest(&dir, &assets, &wgs_points, &["-k", "2"]);

    let got = nearest(
        &dir,
        &assets,
        &gcj_points,
        &["-k", "2", "--points-crs", "gcj02"],
    );
    assert_nearest(&got, &want);
    assert_nearest(&got, &expected(2, None, &[]));

    let gcj_assets = dir.write("assets-gcj02.geojson", assets_geojson(wgs84_to_gcj02));
    let got = nearest(
        &dir,
        &gcj_assets,
        &gcj_points,
        &["-k", "2", "--points-crs", "gcj02", "--assets-crs", "gcj02"],
    );
    assert_nearest(&got, &want);

    // Not converting is visibly wrong: GCJ-02 points read as WGS84 are ≈ 500 m off.
    let got = nearest(&dir, &assets, &gcj_points, &["-k", "1"]);
    assert!(
        got.iter()
            .zip(&want)
            .any(|(g, w)| (g.3 - w.3).abs() > 100.0),
        "GCJ-02 points read as WGS84 gave the same distances: {got:?}"
    );
}

#[test]
fn nearest_rejects_bad_asset_ids() {
    let dir = TempDir::new("nearest-bad-ids");
    let points = dir.write("points.csv", "lon,lat\n114.27,30.58\n");
    let out = dir.path("out.csv");
    let run = |name: &str, csv: &str| {
        let assets = dir.write(name, csv);
        wangge(&[
            "nearest", "--assets", &assets, "--points", &points, "--out", &out,
        ])
    };
    let good = "4201030103000001,114.271,30.58\n";

    // Class 0199 is in no code table.
    run(
        "unknown-class.csv",
        &format!("id,lon,lat\n{good}4201030199000001,114.272,30.58\n"),
    )
    .fails_with(&["4201030199000001", "unknown class", "0199"]);
    // 15 digits.
    run(
        "short.csv",
        &format!("id,lon,lat\n{good}420103010300001,114.272,30.58\n"),
    )
    .fails_with(&["420103010300001", "15 digits"]);
    // The same id twice, at different places.
    run(
        "duplicate.csv",
        &format!("id,lon,lat\n{good}4201030103000001,114.272,30.58\n"),
    )
    .fails_with(&["duplicate", "4201030103000001"]);
    // The same, from GeoJSON.
    let geojson = dir.write(
        "duplicate.geojson",
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"id":"4201030113000001"},"geometry":{"type":"Point","coordinates":[114.271,30.58]}},
            {"type":"Feature","properties":{"id":"4201030113000001"},"geometry":{"type":"Point","coordinates":[114.272,30.58]}}]}"#,
    );
    wangge(&[
        "nearest", "--assets", &geojson, "--points", &points, "--out", &out,
    ])
    .fails_with(&["duplicate", "4201030113000001"]);
    // A non-number coordinate in the asset file names its line.
    run(
        "bad-coordinate.csv",
        &format!("id,lon,lat\n{good}4201030103000002,abc,30.58\n"),
    )
    .fails_with(&["line 3", "\"abc\""]);
}

#[test]
fn nearest_bad_point_rows_stop_the_run_or_are_skipped() {
    let dir = TempDir::new("nearest-bad-points");
    let assets = dir.write("assets.csv", assets_csv());
    let out = dir.path("out.csv");
    // Data row 2 (line 3) is bad in each case; what stderr must say about it.
    for (bad, problem) in [
        ("abc,30.58", "\"abc\" is not a number"),
        ("114.27,95", "out of range"),
        ("114.27,NaN", "not finite"),
        ("114.27", "1 fields"),
    ] {
        let points = dir.write(
            "points.csv",
            format!("lon,lat\n114.2700,30.5800\n{bad}\n114.3010,30.6000\n"),
        );
        let args = [
            "nearest", "--assets", &assets, "--points", &points, "--out", &out,
        ];
        let run = wangge(&args).fails_with(&[problem]);
        let line = run.stderr_line(problem);
        assert!(
            line.contains("row 2") || line.contains("line 3"),
            "{bad:?}: no row or line number in {line:?}"
        );

        // --skip-invalid reports it and goes on; output rows keep their input row numbers.
        let mut args = args.to_vec();
        args.extend(["--skip-invalid", "-k", "1"]);
        let run = wangge(&args).ok();
        let line = run.stderr_line(problem);
        assert!(
            (line.contains("row 2") || line.contains("line 3")) && line.contains("skipped"),
            "{bad:?}: {line:?}"
        );
        assert_eq!(
            ids(&read_nearest(&out)),
            [(1, 1, "4201030305000001"), (3, 1, "4201030118000001")],
            "{bad:?}"
        );
    }

    // A missing coordinate column is named.
    let points = dir.write("xy.csv", "x,y\n114.27,30.58\n");
    wangge(&[
        "nearest", "--assets", &assets, "--points", &points, "--out", &out,
    ])
    .fails_with(&["\"lon\""]);
}

// ---------------------------------------------------------------------------------------------
// dispatch on the bundled Wuhan manifest

/// A GCJ-02 point inside 江汉区 (street 420103006 of the generated hierarchy).
const JIANGHAN: &str = "114.2712,30.5851";
/// A GCJ-02 point inside the synthetic street 420103002 (checked by the test).
const STREET_002: &str = "114.2320,30.6180";

/// Runs `wangge dispatch --city WUHAN --reports REPORTS --points-crs gcj02 --out OUT EXTRA…`.
fn dispatch(dir: &TempDir, reports: &str, extra: &[&str]) -> (Run, String) {
    let out = dir.path("dispatched.csv");
    let mut args = vec![
        "dispatch",
        "--city",
        WUHAN,
        "--reports",
        reports,
        "--points-crs",
        "gcj02",
        "--out",
        &out,
    ];
    args.extend(extra);
    (wangge(&args), out)
}

/// Splits a `;`-separated list cell (empty: no items).
fn items(cell: &str) -> Vec<&str> {
    if cell.is_empty() {
        Vec::new()
    } else {
        cell.split(';').collect()
    }
}

/// Parses `ID@DISTANCE` entries (distance with one decimal); returns (id, distance).
fn hits(cell: &str) -> Vec<(&str, f64)> {
    items(cell)
        .into_iter()
        .map(|item| {
            let (id, d) = item
                .split_once('@')
                .unwrap_or_else(|| panic!("{item:?} is not ID@DISTANCE"));
            let decimals = d.split_once('.').map(|(_, f)| f.len());
            assert_eq!(decimals, Some(1), "{item:?}: distance not to 0.1 m");
            let d: f64 = d.parse().unwrap_or_else(|e| panic!("{item:?}: {e}"));
            assert!(d >= 0.0, "{item:?}");
            (id, d)
        })
        .collect()
}

/// Parses the `departments` cell: `CODE(rule)` entries.
fn departments(cell: &str) -> Vec<(&str, &str)> {
    items(cell)
        .into_iter()
        .map(|item| {
            let (code, rule) = item
                .strip_suffix(')')
                .and_then(|s| s.split_once('('))
                .unwrap_or_else(|| panic!("{item:?} is not CODE(rule)"));
            (code, rule)
        })
        .collect()
}

/// Checks the cells every located report shares: a 4-level chain in 江汉区, each code extending
/// its parent's; at most `max_workers` workers `W…@d`, same-grid ones (nearest first) before
/// the rest (nearest first), so at most one descent; hydrants class 0113, nearest first;
/// `department` and `department_rule` are the first entry of `departments`.
fn check_located(row: &Row, max_workers: usize) -> Vec<String> {
    let chain: Vec<String> = row.get("chain").split('>').map(str::to_string).collect();
    assert_eq!(chain.len(), 4, "chain {chain:?}");
    assert_eq!(chain[0], "420103");
    for pair in chain.windows(2) {
        assert!(
            pair[1].len() == pair[0].len() + 3 && pair[1].starts_with(&pair[0]),
            "broken chain {chain:?}"
        );
    }
    let workers = hits(row.get("workers"));
    assert!(
        !workers.is_empty() && workers.len() <= max_workers,
        "{workers:?}"
    );
    for (id, _) in &workers {
        assert!(
            id.len() > 1 && id.starts_with('W') && id[1..].bytes().all(|b| b.is_ascii_digit()),
            "worker id {id:?}"
        );
    }
    let descents = workers.windows(2).filter(|w| w[1].1 < w[0].1).count();
    assert!(
        descents <= 1,
        "workers not in preference order: {workers:?}"
    );
    let hydrants = hits(row.get("hydrants"));
    assert!(!hydrants.is_empty() && hydrants.len() <= 2, "{hydrants:?}");
    for pair in hydrants.windows(2) {
        assert!(
            pair[0].1 <= pair[1].1,
            "hydrants not nearest first: {hydrants:?}"
        );
    }
    for (id, _) in &hydrants {
        assert!(id.len() == 16 && class_of(id) == "0113", "hydrant {id:?}");
    }
    let all = departments(row.get("departments"));
    let first = all.first().expect("a located report has a department");
    assert_eq!((row.get("department"), row.get("department_rule")), *first);
    assert!(!row.get("department_name").is_empty());
    chain
}

#[test]
fn dispatch_routes_reports_to_departments_workers_and_assets() {
    let dir = TempDir::new("dispatch");
    let reports = dir.write(
        "reports.csv",
        format!(
            "id,lon,lat,category,asset_id,note\n\
             rain-cover,{JIANGHAN},0103,,\"Jianghan Rd, \"\"near\"\" the metro\"\n\
             orphan-cover,{JIANGHAN},0114,,\n\
             bin,{JIANGHAN},0305,,\n\
             vendor,{JIANGHAN},200501,,\n\
             vendor-002,{STREET_002},200501,,\n\
             beijing,116.4,39.9,0103,,\n"
        ),
    );
    let (run, out) = dispatch(&dir, &reports, &[]);
    run.ok();
    let input = Table::read(&reports);
    let table = Table::read(&out);
    let mut header = input.header.clone();
    header.extend(DISPATCH_HEADERS.iter().map(|h| h.to_string()));
    assert_eq!(table.header, header);
    assert_eq!(table.rows.len(), input.rows.len());
    for (i, o) in input.rows.iter().zip(&table.rows) {
        assert_eq!(&o[..i.len()], &i[..], "input columns changed");
    }

    // 雨水井盖: the water authority (0103 is more specific than the city's 01), the city
    // 城管委 as alternate; the nearest rain covers, within 500 m, nearest first.
    let row = table.row_where("id", "rain-cover");
    let chain = check_located(&row, 3);
    assert_eq!(row.get("department"), "D420100-SWJ");
    assert_eq!(row.get("department_name"), "武汉市水务局");
    assert_eq!(row.get("department_rule"), "responsible:0103");
    assert!(departments(row.get("departments")).contains(&("D420100-CGW", "alternate:01")));
    let covers = hits(row.get("assets"));
    assert!(!covers.is_empty() && covers.len() <= 3, "{covers:?}");
    for (id, d) in &covers {
        assert!(id.len() == 16 && id.starts_with("4201030103"), "{id:?}");
        assert!(*d <= 500.0, "{id} at {d} m");
    }
    for pair in covers.windows(2) {
        assert!(
            pair[0].1 <= pair[1].1,
            "assets not nearest first: {covers:?}"
        );
    }

    // 无主井盖 fans out to every utility that handles 0114.
    let row = table.row_where("id", "orphan-cover");
    assert_eq!(check_located(&row, 3), chain);
    assert!(
        row.get("department_rule").starts_with("fanout:"),
        "{}",
        row.get("department_rule")
    );
    let all = departments(row.get("departments"));
    let fanout: Vec<_> = all
        .iter()
        .filter(|(_, rule)| rule.starts_with("fanout:"))
        .collect();
    assert!(fanout.len() >= 4, "{all:?}");
    for (id, _) in hits(row.get("assets")) {
        assert!(id.starts_with("4201030114"), "{id:?}");
    }

    // 垃圾箱 (03): the district bureau before the city-wide one with the same prefix.
    let row = table.row_where("id", "bin");
    check_located(&row, 3);
    assert_eq!(row.get("department"), "D420103-CGJ");
    assert_eq!(row.get("department_rule"), "responsible:03");
    assert!(departments(row.get("departments")).contains(&("D420100-CGW", "alternate:03")));

    // An event (无照经营游商): no component, so no assets of its class.
    let row = table.row_where("id", "vendor");
    check_located(&row, 3);
    assert!(
        row.get("department_rule").starts_with("responsible:"),
        "{}",
        row.get("department_rule")
    );
    assert_eq!(row.get("assets"), "");
    // In street 420103002 its street office, which handles exactly 200501, comes first.
    let row = table.row_where("id", "vendor-002");
    let chain = check_located(&row, 3);
    assert_eq!(chain[1], "420103002", "the test point left street 002");
    assert_eq!(row.get("department"), "D420103002-JD");
    assert_eq!(row.get("department_rule"), "responsible:200501");

    // Outside Wuhan: no chain, no department, no asset within 500 m.
    let row = table.row_where("id", "beijing");
    for column in [
        "chain",
        "department",
        "department_name",
        "department_rule",
        "departments",
        "assets",
    ] {
        assert_eq!(row.get(column), "", "{column}");
    }

    // Naming the reported asset puts its 主管部门 first (rule asset_main), once; --workers 1.
    let asset = covers[0].0;
    let reports = dir.write(
        "named.csv",
        format!("id,lon,lat,category,asset_id\nnamed,{JIANGHAN},0103,{asset}\n"),
    );
    let (run, out) = dispatch(&dir, &reports, &["--workers", "1"]);
    run.ok();
    let table = Table::read(&out);
    let row = table.row_where("id", "named");
    check_located(&row, 1);
    assert_eq!(row.get("department"), "D420100-SWJ");
    assert_eq!(row.get("department_rule"), "asset_main");
    let all = departments(row.get("departments"));
    let swj = all
        .iter()
        .filter(|(code, _)| *code == "D420100-SWJ")
        .count();
    assert_eq!(swj, 1, "{all:?}");
}

#[test]
fn dispatch_unknown_category_names_line_and_code() {
    let dir = TempDir::new("dispatch-unknown-category");
    let reports = dir.write(
        "reports.csv",
        format!("id,lon,lat,category\nok,{JIANGHAN},0103\nbad,{JIANGHAN},9999\n"),
    );
    let (run, _) = dispatch(&dir, &reports, &[]);
    let run = run.fails_with(&["\"9999\"", "unknown class"]);
    let line = run.stderr_line("\"9999\"");
    assert!(line.contains("line 3"), "no line number in {line:?}");
}

#[test]
fn dispatch_unknown_asset_id_is_named() {
    let dir = TempDir::new("dispatch-unknown-asset");
    let reports = dir.write(
        "reports.csv",
        format!("id,lon,lat,category,asset_id\nbad,{JIANGHAN},0103,4201030103999999\n"),
    );
    let (run, _) = dispatch(&dir, &reports, &[]);
    let run = run.fails_with(&["4201030103999999", "unknown asset"]);
    assert!(run.stderr_line("4201030103999999").contains("line 2"));
}

#[test]
fn dispatch_missing_category_column_is_named() {
    let dir = TempDir::new("dispatch-no-category");
    let reports = dir.write("reports.csv", format!("id,lon,lat\nr,{JIANGHAN}\n"));
    let (run, _) = dispatch(&dir, &reports, &[]);
    run.fails_with(&["\"category\""]);
}

#[test]
fn dispatch_needs_a_dispatch_section() {
    let dir = TempDir::new("dispatch-no-section");
    let reports = dir.write(
        "reports.csv",
        "id,lon,lat,category\nr,114.2515,30.5525,0103\n",
    );
    let out = dir.path("out.csv");
    wangge(&[
        "dispatch",
        "--city",
        FIXTURE,
        "--reports",
        &reports,
        "--out",
        &out,
    ])
    .fails_with(&["[dispatch]"]);
}

#[test]
fn dispatch_skip_invalid_leaves_out_rows_with_unknown_codes() {
    let dir = TempDir::new("dispatch-skip-invalid");
    let reports = dir.write(
        "reports.csv",
        format!(
            "id,lon,lat,category,asset_id\n\
             good1,{JIANGHAN},0103,\n\
             bad-category,{JIANGHAN},9999,\n\
             bad-asset,{JIANGHAN},0103,4201030103999999\n\
             bad-lon,abc,30.5851,0103,\n\
             good2,{JIANGHAN},0305,\n"
        ),
    );
    let (run, out) = dispatch(&dir, &reports, &["--skip-invalid"]);
    let run = run.ok();
    for (line, problem) in [
        ("line 3", "\"9999\""),
        ("line 4", "4201030103999999"),
        ("line 5", "\"abc\""),
    ] {
        let reported = run.stderr_line(problem);
        assert!(
            reported.contains(line) && reported.contains("skipped"),
            "{line}: {reported:?}"
        );
    }
    let table = Table::read(&out);
    assert_eq!(table.column("id"), ["good1", "good2"]);
}

// ---------------------------------------------------------------------------------------------
// help

#[test]
fn help_lists_nearest_and_dispatch() {
    let help = wangge(&["--help"]).ok().stdout;
    for command in ["nearest", "dispatch"] {
        assert!(
            help.lines()
                .any(|l| l.split_whitespace().next() == Some(command)),
            "--help does not list {command}:\n{help}"
        );
    }
    let help = wangge(&["nearest", "--help"]).ok().stdout;
    for option in [
        "--assets",
        "--points",
        "--points-crs",
        "--assets-crs",
        "--class",
        "--max-distance",
        "--skip-invalid",
        "-k",
    ] {
        assert!(help.contains(option), "nearest --help lacks {option}");
    }
    let help = wangge(&["dispatch", "--help"]).ok().stdout;
    for option in [
        "--city",
        "--reports",
        "--points-crs",
        "--category-column",
        "--asset-column",
        "--workers",
        "--skip-invalid",
    ] {
        assert!(help.contains(option), "dispatch --help lacks {option}");
    }
}
