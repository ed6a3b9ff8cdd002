//! Tests of `PointIndex` against brute force over every point with Karney distances.

use std::collections::HashMap;
use std::time::Instant;

use geographiclib_rs::DirectGeodesic;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::bound::{
    angle_from_chord2, chord2_bound, lower_bound_m, n_max, n_vector, reach_chord2, upper_bound_m,
    wgs84, M_MIN,
};
use super::*;

const WUHAN: (f64, f64) = (114.3, 30.6);

/// The point at distance `s` metres and azimuth `azi` degrees from (lon, lat): (lon, lat).
fn destination(lon: f64, lat: f64, azi: f64, s: f64) -> (f64, f64) {
    let (lat2, lon2): (f64, f64) = wgs84().direct(lat, lon, azi, s);
    (lon2, lat2)
}

/// A seeded city: 60 % uniform within 30 km of Wuhan, 30 % in six dense hot spots, 8 % across
/// China, 2 % exact copies of earlier points, plus a few groups of up to five copies.
fn city(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let hot: Vec<(f64, f64)> = (0..6)
        .map(|_| {
            let azi = rng.random_range(0.0..360.0);
            let s = rng.random_range(0.0..12_000.0);
            destination(WUHAN.0, WUHAN.1, azi, s)
        })
        .collect();
    let mut lons = Vec::with_capacity(n);
    let mut lats = Vec::with_capacity(n);
    for i in 0..n {
        let u: f64 = rng.random_range(0.0..1.0);
        let azi = rng.random_range(0.0..360.0);
        let (lon, lat) = if i > 0 && u < 0.02 {
            let j = rng.random_range(0..i);
            (lons[j], lats[j])
        } else if u < 0.62 {
            let s = 30_000.0 * rng.random_range(0.0f64..1.0).sqrt();
            destination(WUHAN.0, WUHAN.1, azi, s)
        } else if u < 0.92 {
            let (hlon, hlat) = hot[rng.random_range(0..hot.len())];
            destination(hlon, hlat, azi, rng.random_range(0.0..1_500.0))
        } else {
            (rng.random_range(73.0..135.0), rng.random_range(18.0..54.0))
        };
        lons.push(lon);
        lats.push(lat);
    }
    for _ in 0..n / 2000 {
        let src = rng.random_range(0..n);
        for _ in 0..rng.random_range(1..5) {
            let dst = rng.random_range(0..n);
            lons[dst] = lons[src];
            lats[dst] = lats[src];
        }
    }
    (lons, lats)
}

/// Every point, sorted by (Karney distance, index).
fn brute(lons: &[f64], lats: &[f64], lon: f64, lat: f64) -> Vec<Neighbor> {
    let mut all: Vec<Neighbor> = (0..lons.len())
        .map(|i| Neighbor {
            index: i as u32,
            distance_m: geodesic_distance_m(lon, lat, lons[i], lats[i]),
        })
        .collect();
    all.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.index.cmp(&b.index))
    });
    all
}

fn expect_nearest(
    all: &[Neighbor],
    k: usize,
    max: Option<f64>,
    filter: &dyn Fn(u32) -> bool,
) -> Vec<Neighbor> {
    all.iter()
        .filter(|n| filter(n.index) && max.is_none_or(|m| n.distance_m <= m))
        .take(k)
        .copied()
        .collect()
}

fn expect_within(all: &[Neighbor], radius: f64, filter: &dyn Fn(u32) -> bool) -> Vec<Neighbor> {
    all.iter()
        .filter(|n| filter(n.index) && n.distance_m <= radius)
        .copied()
        .collect()
}

/// Same indices in the same order, distances within 1 mm.
fn assert_same(got: &[Neighbor], want: &[Neighbor], what: &dyn Fn() -> String) {
    let first_diff = got
        .iter()
        .zip(want)
        .position(|(g, w)| g.index != w.index || (g.distance_m - w.distance_m).abs() > 1e-3);
    if got.len() != want.len() || first_diff.is_some() {
        let at = first_diff.unwrap_or(got.len().min(want.len()));
        let lo = at.saturating_sub(2);
        panic!(
            "{}: {} results, expected {}; first difference at {at}:\n got  {:?}\n want {:?}",
            what(),
            got.len(),
            want.len(),
            &got[lo.min(got.len())..(at + 3).min(got.len())],
            &want[lo.min(want.len())..(at + 3).min(want.len())],
        );
    }
}

fn all_points(_: u32) -> bool {
    true
}

fn sevens(i: u32) -> bool {
    i % 7 == 3
}

/// Compares `nearest` (k ∈ {1, 8, 50}, several maximum distances) and `within` (several radii),
/// with and without a filter, against brute force. Returns the number of exact ties seen.
fn check_query(index: &PointIndex, lons: &[f64], lats: &[f64], lon: f64, lat: f64) -> usize {
    let all = brute(lons, lats, lon, lat);
    let filters: [(&str, &dyn Fn(u32) -> bool); 2] = [("all", &all_points), ("i%7==3", &sevens)];
    let maxes = [
        None,
        Some(300.0),
        Some(3_000.0),
        Some(all[4].distance_m),
        Some(all[60].distance_m),
    ];
    let radii = [
        10.0,
        100.0,
        1_000.0,
        5_000.0,
        all[9].distance_m,
        all[200].distance_m,
    ];
    let mut ties = 0;
    for (name, filter) in filters {
        for k in [1, 8, 50] {
            for max in maxes {
                let got = index.nearest(lon, lat, k, max, filter);
                let want = expect_nearest(&all, k, max, filter);
                assert_same(&got, &want, &|| {
                    format!("nearest({lon}, {lat}, k={k}, max={max:?}, filter {name})")
                });
                ties += got
                    .windows(2)
                    .filter(|w| w[0].distance_m == w[1].distance_m)
                    .count();
            }
        }
        for radius in radii {
            let got = index.within(lon, lat, radius, filter);
            let want = expect_within(&all, radius, filter);
            assert_same(&got, &want, &|| {
                format!("within({lon}, {lat}, {radius}, filter {name})")
            });
        }
    }
    ties
}

/// Query points: around Wuhan, across China, exactly on indexed points (some duplicated), a
/// hair away from indexed points, and far from every point.
fn city_queries(lons: &[f64], lats: &[f64], seed: u64) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut by_position: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for i in 0..lons.len() {
        by_position
            .entry((lons[i].to_bits(), lats[i].to_bits()))
            .or_default()
            .push(i);
    }
    let mut duplicated: Vec<usize> = by_position
        .values()
        .filter(|v| v.len() > 1)
        .map(|v| v[0])
        .collect();
    duplicated.sort_unstable();
    assert!(duplicated.len() > 100, "the city has duplicates");

    let mut q = Vec::new();
    for _ in 0..80 {
        let azi = rng.random_range(0.0..360.0);
        let s = 35_000.0 * rng.random_range(0.0f64..1.0).sqrt();
        q.push(destination(WUHAN.0, WUHAN.1, azi, s));
    }
    for _ in 0..30 {
        q.push((rng.random_range(73.0..135.0), rng.random_range(18.0..54.0)));
    }
    for _ in 0..60 {
        let i = rng.random_range(0..lons.len());
        q.push((lons[i], lats[i]));
    }
    for _ in 0..40 {
        let i = duplicated[rng.random_range(0..duplicated.len())];
        q.push((lons[i], lats[i]));
    }
    for _ in 0..20 {
        let i = rng.random_range(0..lons.len());
        q.push((lons[i] + 1e-7, lats[i] - 1e-7));
    }
    for _ in 0..10 {
        q.push((rng.random_range(0.0..20.0), rng.random_range(40.0..55.0)));
    }
    q
}

#[test]
fn matches_brute_force_on_a_city() {
    let (lons, lats) = city(100_000, 7);
    let index = PointIndex::new(&lons, &lats).unwrap();
    assert_eq!(index.len(), 100_000);
    let queries = city_queries(&lons, &lats, 11);
    assert_eq!(queries.len(), 240);

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let ties: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (index, lons, lats, queries) = (&index, &lons, &lats, &queries);
                scope.spawn(move || {
                    queries
                        .iter()
                        .skip(t)
                        .step_by(threads)
                        .map(|&(lon, lat)| check_query(index, lons, lats, lon, lat))
                        .sum::<usize>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(ties > 100, "exact ties were exercised ({ties})");

    // A query on an indexed point gets distance 0 first, from the smallest index there.
    for &(lon, lat) in &queries[110..210] {
        let first_here = (0..lons.len())
            .find(|&i| lons[i] == lon && lats[i] == lat)
            .unwrap() as u32;
        let got = index.nearest(lon, lat, 3, None, |_| true);
        assert_eq!(got[0].distance_m, 0.0);
        assert_eq!(got[0].index, first_here);
    }
}

#[test]
fn duplicates_come_back_by_index_and_exact_hits_first() {
    let a = (114.30, 30.60);
    let b = (114.301, 30.60);
    let c = (114.31, 30.61);
    let pts = [b, a, c, a, b, a];
    let lons: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let index = PointIndex::new(&lons, &lats).unwrap();
    let ids = |v: &[Neighbor]| v.iter().map(|n| n.index).collect::<Vec<_>>();

    let all = index.nearest(a.0, a.1, 10, None, |_| true);
    assert_eq!(ids(&all), [1, 3, 5, 0, 4, 2]);
    assert_eq!(all[0].distance_m, 0.0);
    assert_eq!(all[2].distance_m, 0.0);
    assert_eq!(all[3].distance_m, all[4].distance_m);
    assert_eq!(all[3].distance_m, geodesic_distance_m(a.0, a.1, b.0, b.1));
    assert!((all[3].distance_m - 95.9).abs() < 0.1, "{all:?}");

    assert_eq!(ids(&index.nearest(a.0, a.1, 2, None, |_| true)), [1, 3]);
    assert_eq!(
        ids(&index.nearest(a.0, a.1, 4, None, |_| true)),
        [1, 3, 5, 0]
    );
    assert_eq!(
        ids(&index.nearest(a.0, a.1, 3, None, |i| i != 1)),
        [3, 5, 0]
    );
    assert_eq!(
        ids(&index.nearest(a.0, a.1, 10, Some(0.0), |_| true)),
        [1, 3, 5]
    );
    assert_eq!(ids(&index.within(a.0, a.1, 0.0, |_| true)), [1, 3, 5]);
    assert_eq!(
        ids(&index.within(b.0, b.1, 100.0, |_| true)),
        [0, 4, 1, 3, 5]
    );

    // Many copies among many points: the first k copies, by index.
    let (mut lons, mut lats) = city(5_000, 3);
    let copies: Vec<u32> = (0..40).map(|j| 17 + 101 * j).collect();
    for &i in &copies {
        lons[i as usize] = a.0;
        lats[i as usize] = a.1;
    }
    let index = PointIndex::new(&lons, &lats).unwrap();
    let got = index.nearest(a.0, a.1, 10, None, |_| true);
    assert_eq!(ids(&got), copies[..10]);
    let got = index.nearest(a.0, a.1, 5, None, |i| i % 2 == 0);
    let even: Vec<u32> = copies.iter().copied().filter(|i| i % 2 == 0).collect();
    assert_eq!(ids(&got), even[..5]);
}

#[test]
fn symmetric_ties_where_the_bound_is_tight() {
    // Along the meridian at the equator the geodesic distance is M_min θ to first order: the
    // lower bound is (almost) exact there, so these ties test the rounding margins.
    let offsets = [1e-7, 1e-5, 1e-3, 1e-1];
    let mut lons = Vec::new();
    let mut lats = Vec::new();
    for &d in offsets.iter().rev() {
        for lat in [-d, d] {
            lons.push(0.0);
            lats.push(lat);
        }
    }
    lons.push(0.0);
    lats.push(0.0);
    let index = PointIndex::new(&lons, &lats).unwrap();
    let all = brute(&lons, &lats, 0.0, 0.0);
    // Karney gives the mirrored points exactly equal distances.
    assert_eq!(all[1].distance_m, all[2].distance_m);
    assert_eq!(all[7].distance_m, all[8].distance_m);
    for k in 1..=lons.len() {
        for max in [None, Some(all[3].distance_m), Some(all[7].distance_m)] {
            let got = index.nearest(0.0, 0.0, k, max, |_| true);
            assert_same(&got, &expect_nearest(&all, k, max, &all_points), &|| {
                format!("k={k} max={max:?}")
            });
        }
    }
    for n in &all {
        let got = index.within(0.0, 0.0, n.distance_m, |_| true);
        assert_same(
            &got,
            &expect_within(&all, n.distance_m, &all_points),
            &|| format!("within {}", n.distance_m),
        );
    }
    // The tie between 6 (south) and 7 (north) at 1e-7°: smaller index first.
    let got = index.nearest(0.0, 0.0, 3, None, |_| true);
    assert_eq!(got.iter().map(|n| n.index).collect::<Vec<_>>(), [8, 6, 7]);
}

#[test]
fn within_is_exact_at_the_radius() {
    let radii = [10.0, 100.0, 1_000.0, 5_000.0];
    let centres = [
        WUHAN,
        (0.0, 0.0),
        (10.0, 89.9),
        (-60.0, -89.99),
        (179.9999, 0.0),
    ];
    for (qlon, qlat) in centres {
        let mut lons = Vec::new();
        let mut lats = Vec::new();
        for r in radii {
            for j in 0..24 {
                let azi = f64::from(j) * 15.0;
                for s in [
                    r,
                    r * (1.0 - 1e-9),
                    r * (1.0 + 1e-9),
                    r - 1e-6,
                    r + 1e-6,
                    r - 1e-3,
                    r + 1e-3,
                ] {
                    let (lon, lat) = destination(qlon, qlat, azi, s);
                    lons.push(lon);
                    lats.push(lat);
                }
            }
        }
        let index = PointIndex::new(&lons, &lats).unwrap();
        let all = brute(&lons, &lats, qlon, qlat);
        for r in radii {
            let what = || format!("within({qlon}, {qlat}, {r})");
            let want = expect_within(&all, r, &all_points);
            // At least the points placed strictly inside by 1e-6 m or more, at every azimuth.
            let inside_before = radii.iter().filter(|&&x| x < r).count() * 24 * 7;
            assert!(want.len() >= inside_before + 24 * 3, "{}", what());
            assert_same(&index.within(qlon, qlat, r, |_| true), &want, &what);
            let got = index.nearest(qlon, qlat, usize::MAX, Some(r), |_| true);
            assert_same(&got, &want, &what);
            let want = expect_within(&all, r, &sevens);
            assert_same(&index.within(qlon, qlat, r, sevens), &want, &what);
        }
    }
}

/// Compares a handful of queries with brute force on a small cloud.
fn check_cloud(lons: &[f64], lats: &[f64], queries: &[(f64, f64)]) {
    let index = PointIndex::new(lons, lats).unwrap();
    for &(lon, lat) in queries {
        let all = brute(lons, lats, lon, lat);
        for k in [1, 3, 8, 50, 1_000_000] {
            for max in [None, Some(50.0), Some(2_000.0)] {
                for (name, filter) in [("all", &all_points as &dyn Fn(u32) -> bool), ("7", &sevens)]
                {
                    let got = index.nearest(lon, lat, k, max, filter);
                    assert_same(&got, &expect_nearest(&all, k, max, filter), &|| {
                        format!("nearest({lon}, {lat}, {k}, {max:?}, {name})")
                    });
                }
            }
        }
        for r in [10.0, 500.0, 5_000.0, 50_000.0] {
            let got = index.within(lon, lat, r, |_| true);
            assert_same(&got, &expect_within(&all, r, &all_points), &|| {
                format!("within({lon}, {lat}, {r})")
            });
        }
    }
}

#[test]
fn antimeridian() {
    let lons = [
        179.999, -179.999, 179.9, -179.9, 180.0, -180.0, 0.0, 179.999,
    ];
    let lats = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 60.0];
    let index = PointIndex::new(&lons, &lats).unwrap();
    let ids = |v: &[Neighbor]| v.iter().map(|n| n.index).collect::<Vec<_>>();

    // 180 and −180 are the same point; 179.999 and −179.999 are 0.001° (111.32 m) away.
    let got = index.nearest(180.0, 0.0, 4, None, |_| true);
    assert_eq!(ids(&got[..2]), [4, 5]);
    assert_eq!(got[1].distance_m, 0.0);
    let mut next = ids(&got[2..]);
    next.sort_unstable();
    assert_eq!(next, [0, 1]);
    assert!((got[2].distance_m - 111.319_5).abs() < 1e-3, "{got:?}");

    let got = index.nearest(179.999, 0.0, 5, None, |_| true);
    assert_eq!(ids(&got), [0, 4, 5, 1, 2]);
    assert!((got[3].distance_m - 222.639).abs() < 1e-3, "{got:?}");
    assert_eq!(
        ids(&index.within(-179.999, 0.0, 300.0, |_| true)),
        [1, 4, 5, 0]
    );
    assert_eq!(ids(&index.nearest(-180.0, 60.0, 1, None, |_| true)), [7]);

    // A cloud straddling the antimeridian.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (mut lons, mut lats) = (Vec::new(), Vec::new());
    for _ in 0..3_000 {
        let lon: f64 = rng.random_range(-0.05..0.05);
        lons.push(if lon < 0.0 { 180.0 + lon } else { -180.0 + lon });
        lats.push(rng.random_range(-0.05..0.05));
    }
    let queries = [
        (180.0, 0.0),
        (-180.0, 0.01),
        (179.99, -0.02),
        (-179.995, 0.03),
    ];
    check_cloud(&lons, &lats, &queries);
}

#[test]
fn near_the_poles() {
    let lons = [0.0, 90.0, -180.0, 45.0, 45.0, 135.0, 0.0];
    let lats = [90.0, 90.0, 90.0, 89.9999, -90.0, -89.9999, 89.99];
    let index = PointIndex::new(&lons, &lats).unwrap();
    let ids = |v: &[Neighbor]| v.iter().map(|n| n.index).collect::<Vec<_>>();
    let got = index.nearest(12.0, 90.0, 5, None, |_| true);
    assert_eq!(ids(&got), [0, 1, 2, 3, 6]);
    assert_eq!(got[2].distance_m, 0.0);
    assert!((got[3].distance_m - 11.17).abs() < 0.01, "{got:?}");
    let got = index.nearest(0.0, -90.0, 2, None, |_| true);
    assert_eq!(ids(&got), [4, 5]);
    assert_eq!(
        ids(&index.within(-100.0, 90.0, 20.0, |_| true)),
        [0, 1, 2, 3]
    );

    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let (mut lons, mut lats) = (Vec::new(), Vec::new());
    for i in 0..4_000 {
        lons.push(rng.random_range(-180.0..=180.0));
        let lat = rng.random_range(89.9..=90.0);
        lats.push(if i % 2 == 0 { lat } else { -lat });
    }
    let queries = [
        (0.0, 90.0),
        (77.0, 89.95),
        (-170.0, 89.999),
        (0.0, -90.0),
        (33.0, -89.97),
    ];
    check_cloud(&lons, &lats, &queries);
}

#[test]
fn edge_cases() {
    let empty = PointIndex::new(&[], &[]).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert!(empty.nearest(114.3, 30.6, 5, None, |_| true).is_empty());
    assert!(empty.within(114.3, 30.6, 1e7, |_| true).is_empty());

    let (lons, lats) = city(10_000, 9);
    let index = PointIndex::new(&lons, &lats).unwrap();
    assert!(!index.is_empty());
    assert_eq!(index.position(1234), (lons[1234], lats[1234]));

    // k larger than the matches.
    let got = index.nearest(114.3, 30.6, 100_000, None, |i| i % 1000 == 0);
    assert_eq!(got.len(), 10);
    let got = index.nearest(114.3, 30.6, 20, Some(500.0), |_| true);
    let all = brute(&lons, &lats, 114.3, 30.6);
    let want = expect_nearest(&all, 20, Some(500.0), &all_points);
    assert!(want.len() < 20);
    assert_same(&got, &want, &|| "sparse".into());
    assert_eq!(
        index.nearest(114.3, 30.6, usize::MAX, None, |_| true).len(),
        10_000
    );
    assert_eq!(
        index.within(114.3, 30.6, f64::INFINITY, |_| true).len(),
        10_000
    );
    assert_eq!(index.within(-65.7, -30.6, 2.1e7, |_| true).len(), 10_000);

    // A filter that rejects everything.
    assert!(index.nearest(114.3, 30.6, 8, None, |_| false).is_empty());
    assert!(index
        .nearest(114.3, 30.6, 8, Some(1e3), |_| false)
        .is_empty());
    assert!(index.within(114.3, 30.6, 5e3, |_| false).is_empty());

    // Unusable queries and parameters.
    for (lon, lat) in [
        (f64::NAN, 30.6),
        (114.3, f64::NAN),
        (f64::INFINITY, 30.6),
        (114.3, f64::NEG_INFINITY),
        (114.3, 90.5),
        (180.5, 30.6),
    ] {
        assert!(index.nearest(lon, lat, 5, None, |_| true).is_empty());
        assert!(index.within(lon, lat, 1e4, |_| true).is_empty());
    }
    assert!(index.nearest(114.3, 30.6, 0, None, |_| true).is_empty());
    assert!(index
        .nearest(114.3, 30.6, 5, Some(-1.0), |_| true)
        .is_empty());
    assert!(index
        .nearest(114.3, 30.6, 5, Some(f64::NAN), |_| true)
        .is_empty());
    assert!(index.within(114.3, 30.6, -1.0, |_| true).is_empty());
    assert!(index.within(114.3, 30.6, f64::NAN, |_| true).is_empty());

    fn shared<T: Send + Sync + Clone + std::fmt::Debug>(_: &T) {}
    shared(&index);
    let copy = index.clone();
    assert_eq!(copy.len(), index.len());
    assert_eq!(format!("{copy:?}"), "PointIndex { len: 10000, .. }");
}

#[test]
fn bad_input() {
    let err = |lons: &[f64], lats: &[f64]| PointIndex::new(lons, lats).unwrap_err();
    let index_of = |e: Error| match e {
        Error::InvalidPoint { index, .. } => index,
        other => panic!("expected InvalidPoint, got {other:?}"),
    };
    assert_eq!(
        index_of(err(&[1.0, 2.0, 3.0, f64::NAN], &[0.0; 4])),
        3,
        "NaN longitude"
    );
    assert_eq!(index_of(err(&[1.0; 4], &[0.0, 0.0, 91.0, 0.0])), 2);
    assert_eq!(index_of(err(&[0.0, -180.5], &[0.0, 0.0])), 1);
    assert_eq!(index_of(err(&[0.0, 1.0], &[f64::INFINITY, 0.0])), 0);
    match err(&[0.0, 0.0, 191.0], &[0.0, 0.0, -90.000_001]) {
        Error::InvalidPoint {
            index,
            lon,
            lat,
            reason,
        } => {
            assert_eq!((index, lon, lat), (2, 191.0, -90.000_001));
            assert!(reason.contains("longitude"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err(&[0.0; 3], &[0.0; 2]),
        Error::LengthMismatch {
            left_name: "lons",
            left: 3,
            right_name: "lats",
            right: 2
        }
    );
    // The limits themselves are fine.
    let ok = PointIndex::new(&[180.0, -180.0, 0.0], &[90.0, -90.0, 0.0]).unwrap();
    assert_eq!(ok.len(), 3);
}

#[test]
fn curvature_bounds_hold() {
    assert!((M_MIN - 6_335_439.327).abs() < 1e-3);
    assert!((n_max() - 6_399_593.626).abs() < 1e-3);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut tightest: f64 = 0.0;
    for i in 0..20_000 {
        let (lon, lat) = if i % 4 == 0 {
            (
                rng.random_range(-180.0..180.0),
                rng.random_range(-1e-3..1e-3),
            )
        } else {
            (
                rng.random_range(-180.0..180.0),
                rng.random_range(-90.0..=90.0),
            )
        };
        let azi = if i % 4 == 0 {
            if i % 8 == 0 {
                0.0
            } else {
                180.0
            }
        } else {
            rng.random_range(-180.0..180.0)
        };
        let s = 10f64.powf(rng.random_range(-3.0..7.3));
        let (lon2, lat2) = destination(lon, lat, azi, s);
        let d = geodesic_distance_m(lon, lat, lon2, lat2);
        let (p, q) = (n_vector(lon, lat), n_vector(lon2, lat2));
        let chord2: f64 = (0..3).map(|j| (p[j] - q[j]).powi(2)).sum();
        let lower = lower_bound_m(chord2);
        assert!(
            lower <= d,
            "{lower} > {d} for ({lon}, {lat}) → ({lon2}, {lat2})"
        );
        let theta = angle_from_chord2(chord2);
        assert!(
            d <= n_max() * theta * (1.0 + 1e-9) + 1e-6,
            "{d} > N_max θ for ({lon}, {lat}) → ({lon2}, {lat2})"
        );
        if d > 1.0 {
            tightest = tightest.max(M_MIN * theta / d);
        }
    }
    // The lower bound is attained along the meridian at the equator.
    assert!(tightest > 0.999_999, "{tightest}");
}

fn coordinate() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (-0.01f64..0.01, -0.01f64..0.01).prop_map(|(a, b)| (WUHAN.0 + a, WUHAN.1 + b)),
        prop::sample::select(vec![
            WUHAN,
            (180.0, 0.0),
            (-180.0, 0.0),
            (179.999, 0.0),
            (0.0, 90.0),
            (45.0, 90.0),
            (0.0, -90.0),
            (0.0, 0.0),
            (0.0, 1e-9),
            (0.0, -1e-9),
        ]),
        (-180.0f64..=180.0, -90.0f64..=90.0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prop_matches_brute_force(
        points in prop::collection::vec(coordinate(), 0..40),
        (lon, lat) in coordinate(),
        k in 0usize..12,
        max in prop::option::of(prop_oneof![0.0f64..2_000.0, 0.0f64..2.1e7]),
        radius in prop_oneof![0.0f64..2_000.0, 0.0f64..2.1e7],
        mask in any::<u64>(),
    ) {
        let lons: Vec<f64> = points.iter().map(|p| p.0).collect();
        let lats: Vec<f64> = points.iter().map(|p| p.1).collect();
        let index = PointIndex::new(&lons, &lats).unwrap();
        let filter = |i: u32| (mask >> (i % 64)) & 1 == 1;
        let all = brute(&lons, &lats, lon, lat);
        let got = index.nearest(lon, lat, k, max, filter);
        assert_same(&got, &expect_nearest(&all, k, max, &filter), &|| "nearest".into());
        let got = index.within(lon, lat, radius, filter);
        assert_same(&got, &expect_within(&all, radius, &filter), &|| "within".into());
    }
}

/// `cargo test --release -p wangge --lib nearest -- --ignored --nocapture`
#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn timing() {
    let (lons, lats) = city(2_000_000, 1);
    for _ in 0..3 {
        let start = Instant::now();
        let index = PointIndex::new(&lons, &lats).unwrap();
        println!("build, 2M points: {:.3} s", start.elapsed().as_secs_f64());
        assert_eq!(index.len(), 2_000_000);
    }

    let index = PointIndex::new(&lons[..1_000_000], &lats[..1_000_000]).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let queries: Vec<(f64, f64)> = (0..100_000)
        .map(|_| {
            let azi = rng.random_range(0.0..360.0);
            let s = 30_000.0 * rng.random_range(0.0f64..1.0).sqrt();
            destination(WUHAN.0, WUHAN.1, azi, s)
        })
        .collect();
    let run = |name: &str, f: &dyn Fn(f64, f64) -> usize| {
        let start = Instant::now();
        let found: usize = queries.iter().map(|&(lon, lat)| f(lon, lat)).sum();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "1M points, {name}: {:.0} queries/s ({:.2} µs/query, {:.1} results/query)",
            queries.len() as f64 / secs,
            secs * 1e6 / queries.len() as f64,
            found as f64 / queries.len() as f64
        );
    };
    run("nearest k=1", &|lon, lat| {
        index.nearest(lon, lat, 1, None, |_| true).len()
    });
    run("nearest k=8", &|lon, lat| {
        index.nearest(lon, lat, 8, None, |_| true).len()
    });
    run("nearest k=8, filter i%7==3", &|lon, lat| {
        index.nearest(lon, lat, 8, None, sevens).len()
    });
    run("within 200 m", &|lon, lat| {
        index.within(lon, lat, 200.0, |_| true).len()
    });
}

#[test]
fn reach_covers_the_exact_composition() {
    assert!(super::bound::REACH_SLOPE >= n_max() / M_MIN * (1.0 + 1e-8));
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let mut chords: Vec<f64> = vec![0.0, f64::MIN_POSITIVE, 1e-300, 1e-30, 1.0, 2.0, 2.5, 4.0];
    for _ in 0..200_000 {
        chords.push(10f64.powf(rng.random_range(-32.0..0.61)));
    }
    for c2 in chords {
        let exact = chord2_bound(upper_bound_m(c2));
        let reach = reach_chord2(c2);
        assert!(
            reach >= exact,
            "reach_chord2({c2:e}) = {reach:e} < {exact:e}"
        );
        if c2 > 1e-16 && c2 <= 1e-2 {
            // Not so generous that the search looks much farther than it must (up to chords
            // of about 600 km; beyond, sin(ρx) < ρ sin x leaves more room).
            assert!(
                reach <= exact * 1.001 + 1e-24,
                "{c2:e}: {reach:e} vs {exact:e}"
            );
        }
    }
}

#[test]
fn kth_chord_tracks_the_kth_smallest() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for k in [1usize, 2, 5, 16, 17, 40, 300] {
        let mut kth = super::kth::KthChord::new(k);
        let mut candidates: Vec<(f64, u32)> = Vec::new();
        let mut all: Vec<f64> = Vec::new();
        let mut threshold = f64::INFINITY;
        for i in 0..5_000u32 {
            // Ties included: chords on a coarse grid.
            let c2 = f64::from(rng.random_range(0u32..2_000)) * 1e-6;
            if c2 > threshold {
                continue;
            }
            all.push(c2);
            candidates.push((c2, i));
            if let Some(t) = kth.offer(&mut candidates, |c| c * 1.5) {
                assert!(t <= threshold);
                threshold = t;
            }
            if all.len() >= k {
                all.sort_by(f64::total_cmp);
                all.truncate(k);
                if k <= 16 {
                    // Kept exact for small k.
                    assert_eq!(threshold, all[k - 1] * 1.5, "k={k} after {i}");
                } else {
                    // Updated by compaction for large k: never below the exact threshold.
                    assert!(threshold >= all[k - 1] * 1.5, "k={k} after {i}");
                    assert!(threshold < f64::INFINITY, "k={k} after {i}");
                }
            } else {
                assert_eq!(threshold, f64::INFINITY);
            }
            // Every candidate that can still count is kept.
            let kept = candidates.iter().filter(|c| c.0 <= threshold).count();
            assert!(kept >= all.len().min(k), "k={k}");
        }
    }
}

/// Compares `PointIndex` with the former R-tree search and with brute force on a city, with
/// very selective filters, k around the small/large switch and beyond the number of points.
#[test]
fn agrees_with_the_rtree_and_brute_force_on_selective_filters() {
    let (lons, lats) = city(20_000, 21);
    let index = PointIndex::new(&lons, &lats).unwrap();
    let rtree = super::baseline::RTreePointIndex::new(&lons, &lats).unwrap();
    let queries = city_queries(&lons, &lats, 22);
    let rare = |i: u32| i % 997 == 5;
    let one = |i: u32| i == 12_345;
    let none = |_: u32| false;
    let filters: [(&str, &dyn Fn(u32) -> bool); 4] = [
        ("all", &all_points),
        ("i%997==5", &rare),
        ("i==12345", &one),
        ("none", &none),
    ];
    for &(lon, lat) in queries.iter().step_by(4) {
        let all = brute(&lons, &lats, lon, lat);
        for (name, filter) in filters {
            for k in [1, 3, 16, 17, 25, 300, 30_000] {
                for max in [None, Some(2_000.0), Some(all[30].distance_m)] {
                    let what = || format!("nearest({lon}, {lat}, k={k}, max={max:?}, {name})");
                    let got = index.nearest(lon, lat, k, max, filter);
                    assert_same(&got, &expect_nearest(&all, k, max, filter), &what);
                    assert_eq!(got, rtree.nearest(lon, lat, k, max, filter), "{}", what());
                }
            }
            let got = index.within(lon, lat, 3_000.0, filter);
            assert_eq!(got, rtree.within(lon, lat, 3_000.0, filter));
            assert_same(&got, &expect_within(&all, 3_000.0, filter), &|| {
                format!("within({lon}, {lat}, {name})")
            });
        }
    }
}

#[test]
fn all_points_in_one_place() {
    let n = 1_000;
    let (lons, lats) = (vec![114.3; n], vec![30.6; n]);
    let index = PointIndex::new(&lons, &lats).unwrap();
    let ids = |v: &[Neighbor]| v.iter().map(|n| n.index).collect::<Vec<_>>();
    for (lon, lat) in [(114.3, 30.6), (114.31, 30.6), (-65.7, -30.6)] {
        let d = geodesic_distance_m(lon, lat, 114.3, 30.6);
        for k in [1, 10, 17, 999, 1_000, 5_000] {
            let got = index.nearest(lon, lat, k, None, |_| true);
            assert_eq!(ids(&got), (0..k.min(n) as u32).collect::<Vec<_>>());
            assert!(got.iter().all(|g| g.distance_m == d));
            let got = index.nearest(lon, lat, k, None, |i| i % 100 == 99);
            assert_eq!(
                ids(&got),
                (0..n as u32)
                    .filter(|i| i % 100 == 99)
                    .take(k)
                    .collect::<Vec<_>>()
            );
            assert!(index.nearest(lon, lat, k, None, |_| false).is_empty());
            assert!(index.nearest(lon, lat, k, Some(d), |_| false).is_empty());
            assert_eq!(
                index.nearest(lon, lat, k, Some(d), |_| true).len(),
                k.min(n)
            );
            if d > 0.0 {
                assert!(index
                    .nearest(lon, lat, k, Some(d * 0.999), |_| true)
                    .is_empty());
            }
        }
        assert_eq!(index.within(lon, lat, d, |_| true).len(), n);
        assert!(index.within(lon, lat, d, |_| false).is_empty());
    }
}
