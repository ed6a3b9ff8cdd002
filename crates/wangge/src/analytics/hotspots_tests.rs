//! Repeat-case hot spots: crafted cases (chains, limits of R and T measured with geographiclib,
//! categories, missing columns, bad parameters, rankings, assets) and a property test against
//! a brute-force scan of every pair with geographiclib-rs.

use super::cases::NONE;
use super::hotspots::{
    link_groups, link_groups_in_pieces, CaseSlices, HotspotFinder, HotspotOptions, Linkage,
};
use super::time::parse_timestamp;
use crate::assets::{AssetInput, AssetSet};
use crate::catalog::Catalog;
use crate::error::Error;
use crate::model::City;
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use proptest::prelude::*;
use std::path::Path;

fn fixture_city() -> City {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fixture/city.toml");
    City::from_manifest(&path).unwrap()
}

/// The point `s` metres from (lon, lat) at azimuth `azi` (geographiclib's direct problem).
fn travel(lon: f64, lat: f64, azi: f64, s: f64) -> (f64, f64) {
    let (lat2, lon2, _) = Geodesic::wgs84().direct(lat, lon, azi, s);
    (lon2, lat2)
}

/// The geodesic distance by geographiclib-rs directly.
fn karney(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic::wgs84().inverse(a.1, a.0, b.1, b.0)
}

fn t(s: &str) -> i64 {
    parse_timestamp(s).unwrap()
}

/// The brute-force answer: every pair tested, components by repeated relabelling.
fn oracle(
    lons: &[f64],
    lats: &[f64],
    cats: &[u32],
    times: &[i64],
    radius_m: f64,
    window_s: i64,
) -> Vec<Vec<u32>> {
    let n = lons.len();
    let mut label: Vec<usize> = (0..n).collect();
    for i in 0..n {
        for j in i + 1..n {
            if cats[i] == NONE || cats[i] != cats[j] || (times[i] - times[j]).abs() > window_s {
                continue;
            }
            if karney((lons[i], lats[i]), (lons[j], lats[j])) <= radius_m {
                let (from, to) = (label[j], label[i]);
                if from != to {
                    for l in label.iter_mut() {
                        if *l == from {
                            *l = to;
                        }
                    }
                }
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<u32>> = Default::default();
    for (i, l) in label.iter().enumerate() {
        groups.entry(*l).or_default().push(i as u32);
    }
    let mut out: Vec<Vec<u32>> = groups.into_values().filter(|g| g.len() >= 2).collect();
    out.sort();
    out
}

const LON: f64 = 114.2515;
const LAT: f64 = 30.5515;

#[test]
fn a_chain_links_transitively() {
    // Four reports 30 m apart eastwards, three days apart: every neighbour is linked, the ends
    // (90 m, 9 days) are not, and still all four are one cluster. A fifth 100 m further is not.
    let mut lons = vec![LON];
    let mut lats = vec![LAT];
    for k in 1..=4 {
        let step = if k == 4 { 130.0 } else { 30.0 };
        let (x, y) = travel(lons[k - 1], lats[k - 1], 90.0, step);
        lons.push(x);
        lats.push(y);
    }
    let times: Vec<i64> = (0..5).map(|k| k * 3 * 86_400).collect();
    let cats = vec![0; 5];
    let linkage = Linkage::new(31.0, 3.0).unwrap();
    assert!(!linkage.links((lons[0], lats[0], times[0]), (lons[3], lats[3], times[3])));
    let groups = link_groups(&lons, &lats, &cats, &times, &linkage).unwrap();
    assert_eq!(groups, vec![vec![0, 1, 2, 3]]);
    // Shuffled input: same cluster, by position.
    let order = [3usize, 0, 4, 2, 1];
    let pick = |v: &[f64]| order.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let times2: Vec<i64> = order.iter().map(|&i| times[i]).collect();
    let groups = link_groups(&pick(&lons), &pick(&lats), &cats, &times2, &linkage).unwrap();
    assert_eq!(groups, vec![vec![0, 1, 3, 4]]);
}

#[test]
fn radius_is_inclusive_and_exact() {
    for (azi, s) in [(0.0, 50.0), (90.0, 50.0), (37.0, 123.456), (200.0, 5.0)] {
        let b = travel(LON, LAT, azi, s);
        let d = karney((LON, LAT), b);
        let lons = [LON, b.0];
        let lats = [LAT, b.1];
        let run = |r: f64| {
            link_groups(
                &lons,
                &lats,
                &[7, 7],
                &[0, 0],
                &Linkage::new(r, 0.0).unwrap(),
            )
            .unwrap()
        };
        assert_eq!(run(d), vec![vec![0, 1]], "radius = distance {d} links");
        assert_eq!(run(d * (1.0 + 1e-12)), vec![vec![0, 1]]);
        assert!(run(d * (1.0 - 1e-9)).is_empty(), "just inside {d} m");
        assert!(run(d - 1e-6).is_empty());
    }
}

#[test]
fn window_is_inclusive_in_seconds() {
    let lons = [LON, LON];
    let lats = [LAT, LAT];
    let run = |dt: i64, days: f64| {
        link_groups(
            &lons,
            &lats,
            &[1, 1],
            &[t("2025-06-01 08:00"), t("2025-06-01 08:00") + dt],
            &Linkage::new(10.0, days).unwrap(),
        )
        .unwrap()
        .len()
    };
    assert_eq!(run(7 * 86_400, 7.0), 1);
    assert_eq!(run(7 * 86_400 + 1, 7.0), 0);
    assert_eq!(run(-7 * 86_400, 7.0), 1);
    assert_eq!(run(43_200, 0.5), 1);
    assert_eq!(run(43_201, 0.5), 0);
    // T = 0: only simultaneous reports.
    assert_eq!(run(0, 0.0), 1);
    assert_eq!(run(1, 0.0), 0);
    assert_eq!(Linkage::new(1.0, 1.0 / 3.0).unwrap().window_s(), 28_800);
}

#[test]
fn categories_never_mix() {
    let lons = [LON; 4];
    let lats = [LAT; 4];
    let times = [0i64; 4];
    let linkage = Linkage::new(100.0, 30.0).unwrap();
    let groups = link_groups(&lons, &lats, &[1, 2, NONE, 1], &times, &linkage).unwrap();
    assert_eq!(groups, vec![vec![0, 3]]);
    let groups = link_groups(&lons, &lats, &[1, 2, 3, NONE], &times, &linkage).unwrap();
    assert!(groups.is_empty());
}

#[test]
fn bad_parameters_are_typed_errors() {
    for (r, d, name) in [
        (0.0, 1.0, "radius_m"),
        (-5.0, 1.0, "radius_m"),
        (f64::NAN, 1.0, "radius_m"),
        (f64::INFINITY, 1.0, "radius_m"),
        (10.0, -1.0, "days"),
        (10.0, f64::NAN, "days"),
        (10.0, f64::INFINITY, "days"),
    ] {
        match Linkage::new(r, d) {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("({r}, {d}): {other:?}"),
        }
        // Also before reading anything through the CSV path.
        let city = fixture_city();
        let e = HotspotFinder::new(&city)
            .read_csv("x.csv", "garbage".as_bytes(), &HotspotOptions::new(r, d))
            .unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    }
    let city = fixture_city();
    let mut options = HotspotOptions::new(10.0, 1.0);
    options.min_cases = 1;
    let e = HotspotFinder::new(&city)
        .read_csv("x.csv", "lon,lat\n".as_bytes(), &options)
        .unwrap_err();
    assert!(e.to_string().contains("min_cases"), "{e}");
    // Slices of different lengths, a bad point, a category without a name.
    let linkage = Linkage::new(10.0, 1.0).unwrap();
    let e = link_groups(&[LON], &[LAT], &[0, 0], &[0], &linkage).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                right_name: "categories",
                ..
            }
        ),
        "{e}"
    );
    let e = link_groups(&[LON, 200.0], &[LAT, LAT], &[0, 0], &[0, 0], &linkage).unwrap_err();
    assert!(matches!(e, Error::InvalidPoint { index: 1, .. }), "{e}");
    let names = vec!["0103".to_string()];
    let slices = CaseSlices {
        lons: &[LON],
        lats: &[LAT],
        categories: &[1],
        category_names: &names,
        times: &[0],
        rows: None,
    };
    let e = HotspotFinder::new(&city)
        .find(&slices, &linkage, 2)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
}

#[test]
fn missing_columns_name_the_column() {
    let city = fixture_city();
    let options = HotspotOptions::new(50.0, 7.0);
    for (csv, column) in [
        (
            "lon,lat,reported_at\n114.2515,30.5515,2025-06-01\n",
            "category",
        ),
        ("lon,lat,category\n114.2515,30.5515,0103\n", "reported_at"),
    ] {
        match HotspotFinder::new(&city).read_csv("cases.csv", csv.as_bytes(), &options) {
            Err(Error::MissingColumn {
                column: c,
                source_name,
                ..
            }) => {
                assert_eq!((c.as_str(), source_name.as_str()), (column, "cases.csv"));
            }
            other => panic!("{column}: {other:?}"),
        }
    }
    // A missing time in a row is a bad row with its line.
    let csv =
        "lon,lat,category,reported_at\n114.2515,30.5515,0103,2025-06-01\n114.2515,30.5515,0103,\n";
    let e = HotspotFinder::new(&city)
        .read_csv("cases.csv", csv.as_bytes(), &options)
        .unwrap_err();
    assert!(matches!(e, Error::BadRow { line: 3, .. }), "{e}");
    let mut skipping = options.clone();
    skipping.skip_invalid = true;
    let r = HotspotFinder::new(&city)
        .read_csv("cases.csv", csv.as_bytes(), &skipping)
        .unwrap();
    assert_eq!((r.rows, r.cases, r.problems.len()), (2, 1, 1));
    assert_eq!(r.problems[0].line, 3);
}

/// A small table on the fixture city: two clusters in community A (one over two grids), one
/// in community B, noise, and an outside pair.
const CASES: &str = "\
id,lon,lat,category,reported_at
a1,114.25150,30.55250,0103,2025-06-01 08:00
a2,114.25160,30.55250,0103,2025-06-03 08:00
a3,114.25170,30.55250,0103,2025-06-05 08:00
a4,114.25150,30.55250,0118,2025-06-05 08:00
b1,114.25195,30.55150,0118,2025-06-01 08:00
b2,114.25205,30.55150,0118,2025-06-02 08:00
c1,114.25500,30.55050,200501,2025-06-01 08:00
c2,114.25505,30.55050,200501,2025-06-01 09:00
x1,114.25150,30.55250,0103,2025-08-01 08:00
o1,114.26000,30.56000,0103,2025-06-01 08:00
o2,114.26000,30.56000,0103,2025-06-01 08:00
";

#[test]
fn clusters_and_region_ranking_on_the_fixture() {
    let city = fixture_city();
    let r = HotspotFinder::new(&city)
        .read_csv(
            "cases.csv",
            CASES.as_bytes(),
            &HotspotOptions::new(20.0, 2.0),
        )
        .unwrap();
    assert_eq!((r.rows, r.cases, r.repeat_cases), (11, 11, 9));
    assert_eq!(r.outside_repeat_cases, 2);
    let summary: Vec<(u32, &str, Vec<u64>)> = r
        .clusters
        .iter()
        .map(|c| (c.id, c.category.as_str(), c.rows.clone()))
        .collect();
    // 3 cases first; then pairs by time span (o: 0 s, c: 1 h, b: 1 day).
    assert_eq!(
        summary,
        vec![
            (1, "0103", vec![2, 3, 4]),
            (2, "0103", vec![11, 12]),
            (3, "200501", vec![8, 9]),
            (4, "0118", vec![6, 7]),
        ]
    );
    let code = |c: &super::hotspots::Cluster| c.region.map(|r| city.region(r).code.clone());
    assert_eq!(code(&r.clusters[0]).as_deref(), Some("420103001001002"));
    assert_eq!(code(&r.clusters[1]), None);
    assert_eq!(code(&r.clusters[2]).as_deref(), Some("420103001002003"));
    // b1 is in grid 005, b2 in grid 006: a tie, the smaller id (005) owns the cluster.
    assert_eq!(code(&r.clusters[3]).as_deref(), Some("420103001001005"));
    let c0 = &r.clusters[0];
    assert_eq!(
        (c0.first, c0.last),
        (t("2025-06-01 08:00"), t("2025-06-05 08:00"))
    );
    assert!((c0.lon - 114.2516).abs() < 1e-9 && (c0.lat - 30.5525).abs() < 1e-6);
    let half = karney((114.2515, 30.5525), (114.2517, 30.5525)) / 2.0;
    assert!(
        (c0.spread_m - half).abs() < 0.01,
        "{} vs {half}",
        c0.spread_m
    );
    assert_eq!(c0.points.len(), 3);
    let ranked = |level: usize| -> Vec<(String, u64, u64)> {
        r.regions[level]
            .iter()
            .map(|x| {
                (
                    city.region(x.region).code.clone(),
                    x.repeat_cases,
                    x.clusters,
                )
            })
            .collect()
    };
    assert_eq!(
        ranked(0),
        vec![("420103001001".into(), 5, 2), ("420103001002".into(), 2, 1)]
    );
    assert_eq!(
        ranked(1),
        vec![
            ("420103001001002".into(), 3, 1),
            ("420103001002003".into(), 2, 1),
            ("420103001001005".into(), 1, 1),
            ("420103001001006".into(), 1, 0),
        ]
    );
    assert!(r.assets.is_none());
    // min_cases 3 keeps only the first cluster.
    let mut options = HotspotOptions::new(20.0, 2.0);
    options.min_cases = 3;
    let r3 = HotspotFinder::new(&city)
        .read_csv("cases.csv", CASES.as_bytes(), &options)
        .unwrap();
    assert_eq!(r3.clusters.len(), 1);
    assert_eq!(r3.repeat_cases, 3);
    // JSON and GeoJSON carry the same clusters.
    let geo = r.to_geojson(&city, None);
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    assert_eq!(features[0]["geometry"]["type"], "MultiPoint");
    assert_eq!(
        features[0]["properties"]["rows"],
        serde_json::json!([2, 3, 4])
    );
    assert_eq!(features[0]["properties"]["chain"][1], "420103001001002");
    let j = r.to_json(&city, None);
    assert_eq!(j["regions"]["grid"][0]["code"], "420103001001002");
}

#[test]
fn repeats_are_attributed_to_the_nearest_asset_of_their_class() {
    let city = fixture_city();
    let catalog = Catalog::builtin();
    let asset = |id: &str, lon: f64, lat: f64| AssetInput {
        id: id.into(),
        lon,
        lat,
        ..AssetInput::default()
    };
    // Two rainwater covers (0103) near cluster 1, a street lamp (0118) near cluster 4, and a
    // rainwater cover 50 m from everything.
    let assets = AssetSet::build(
        Some(&city),
        &catalog,
        vec![
            asset("4201030103000001", 114.25152, 30.55250),
            asset("4201030103000002", 114.25167, 30.55250),
            asset("4201030118000001", 114.25200, 30.55152),
            asset("4201030103000003", 114.25150, 30.55300),
        ],
    )
    .unwrap();
    let r = HotspotFinder::new(&city)
        .with_assets(&assets)
        .read_csv(
            "cases.csv",
            CASES.as_bytes(),
            &HotspotOptions::new(20.0, 2.0),
        )
        .unwrap();
    let id = |a: Option<u32>| a.map(|a| assets.assets()[a as usize].id.clone());
    // The nearest cover of each member of cluster 1, by geographiclib: 1, 2, 2.
    let nearest = |lon: f64, lat: f64, class: &str| {
        assets
            .assets()
            .iter()
            .filter(|a| a.class == class)
            .map(|a| (karney((lon, lat), (a.lon, a.lat)), a.id.clone()))
            .filter(|(d, _)| *d <= 20.0)
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, id)| id)
    };
    let a = [
        nearest(114.2515, 30.5525, "0103"),
        nearest(114.2516, 30.5525, "0103"),
        nearest(114.2517, 30.5525, "0103"),
    ];
    assert_eq!(
        a.iter().flatten().cloned().collect::<Vec<_>>(),
        ["4201030103000001", "4201030103000002", "4201030103000002"]
    );
    assert_eq!(id(r.clusters[0].asset).as_deref(), Some("4201030103000002"));
    assert_eq!(
        id(r.clusters[1].asset),
        None,
        "outside: no asset within 20 m"
    );
    assert_eq!(
        id(r.clusters[2].asset),
        None,
        "an event class has no assets"
    );
    assert_eq!(id(r.clusters[3].asset).as_deref(), Some("4201030118000001"));
    let ranking: Vec<(String, u64, u64)> = r
        .assets
        .as_ref()
        .unwrap()
        .iter()
        .map(|x| {
            (
                assets.assets()[x.asset as usize].id.clone(),
                x.repeat_cases,
                x.clusters,
            )
        })
        .collect();
    assert_eq!(
        ranking,
        vec![
            ("4201030103000002".into(), 2, 1),
            ("4201030118000001".into(), 2, 1),
            ("4201030103000001".into(), 1, 0),
        ]
    );
    assert_eq!(
        r.to_json(&city, Some(&assets))["assets"][0]["id"],
        "4201030103000002"
    );
}

#[test]
fn slices_and_csv_agree() {
    let city = fixture_city();
    let options = HotspotOptions::new(20.0, 2.0);
    let from_csv = HotspotFinder::new(&city)
        .read_csv("cases.csv", CASES.as_bytes(), &options)
        .unwrap();
    let mut reader = csv::Reader::from_reader(CASES.as_bytes());
    let (mut lons, mut lats, mut cats, mut times) = (vec![], vec![], vec![], vec![]);
    let mut names: Vec<String> = vec![];
    for rec in reader.records() {
        let rec = rec.unwrap();
        lons.push(rec[1].parse().unwrap());
        lats.push(rec[2].parse().unwrap());
        let c = names.iter().position(|n| n == &rec[3]).unwrap_or_else(|| {
            names.push(rec[3].to_string());
            names.len() - 1
        });
        cats.push(c as u32);
        times.push(t(&rec[4]));
    }
    let slices = CaseSlices {
        lons: &lons,
        lats: &lats,
        categories: &cats,
        category_names: &names,
        times: &times,
        rows: None,
    };
    let from_slices = HotspotFinder::new(&city)
        .find(&slices, &Linkage::new(20.0, 2.0).unwrap(), 2)
        .unwrap();
    let members = |r: &super::hotspots::HotspotReport| -> Vec<Vec<u32>> {
        r.clusters.iter().map(|c| c.members.clone()).collect()
    };
    assert_eq!(members(&from_csv), members(&from_slices));
    assert_eq!(from_slices.clusters[0].rows, vec![0, 1, 2]);
    assert_eq!(from_csv.regions, from_slices.regions);
}

/// Cases (lon, lat, category, time), radius, days, piece size.
type Scenario = (Vec<(f64, f64, u32, i64)>, f64, f64, usize);

/// Cases in a ~600 m box with a few categories and times over a few windows, so that links,
/// chains, block borders and exact ties all occur.
fn cases_strategy() -> impl Strategy<Value = Scenario> {
    let case = (
        0u32..400,
        0u32..400,
        prop_oneof![Just(0u32), Just(1), Just(2), Just(NONE)],
        prop_oneof![0i64..400_000, Just(86_400), Just(172_800)],
    )
        .prop_map(|(x, y, c, t)| {
            (
                114.25 + f64::from(x) * 1.5e-5,
                30.55 + f64::from(y) * 1.5e-5,
                c,
                t,
            )
        });
    (
        prop::collection::vec(case, 0..240),
        prop_oneof![5.0f64..120.0, Just(33.3)],
        prop_oneof![0.0f64..3.0, Just(1.0), Just(0.0)],
        1usize..9,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn clusters_equal_brute_force((cases, radius, days, piece) in cases_strategy()) {
        let lons: Vec<f64> = cases.iter().map(|c| c.0).collect();
        let lats: Vec<f64> = cases.iter().map(|c| c.1).collect();
        let cats: Vec<u32> = cases.iter().map(|c| c.2).collect();
        let times: Vec<i64> = cases.iter().map(|c| c.3).collect();
        let linkage = Linkage::new(radius, days).unwrap();
        let expected = oracle(&lons, &lats, &cats, &times, radius, linkage.window_s());
        let got = link_groups_in_pieces(&lons, &lats, &cats, &times, &linkage, piece).unwrap();
        prop_assert_eq!(&got, &expected);
        let whole = link_groups(&lons, &lats, &cats, &times, &linkage).unwrap();
        prop_assert_eq!(&whole, &expected);
    }
}
