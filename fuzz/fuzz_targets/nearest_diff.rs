//! Differential: exact geodesic k-NN and radius queries over fuzzed points equal a brute-force
//! search with geographiclib distances (ties by index).
#![no_main]
use geographiclib_rs::{Geodesic, InverseGeodesic};
use libfuzzer_sys::fuzz_target;
use wangge::nearest::PointIndex;

fuzz_target!(|data: &[u8]| {
    // Points in a ~2 km box around Wuhan from byte pairs; the last pair is the query.
    let pts: Vec<(f64, f64)> = data
        .chunks_exact(2)
        .map(|c| {
            (
                114.25 + f64::from(c[0]) * 8e-5,
                30.55 + f64::from(c[1]) * 8e-5,
            )
        })
        .collect();
    let Some((&(qx, qy), rest)) = pts.split_last() else {
        return;
    };
    if rest.is_empty() {
        return;
    }
    let lons: Vec<f64> = rest.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = rest.iter().map(|p| p.1).collect();
    let index = PointIndex::new(&lons, &lats).expect("points are valid");
    let geod = Geodesic::wgs84();
    let mut brute: Vec<(f64, u32)> = rest
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            let d: f64 = geod.inverse(qy, qx, y, x);
            (d, i as u32)
        })
        .collect();
    brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let k = 1 + data.len() % 8;
    let got = index.nearest(qx, qy, k, None, |_| true);
    assert_eq!(got.len(), k.min(rest.len()));
    for (g, b) in got.iter().zip(&brute) {
        // The same distance (within rounding of two implementations); ties may swap ids.
        assert!(
            (g.distance_m - b.0).abs() <= 1e-6,
            "{} vs {}",
            g.distance_m,
            b.0
        );
    }
    let radius = 100.0;
    let mut within: Vec<u32> = index
        .within(qx, qy, radius, |_| true)
        .iter()
        .map(|n| n.index)
        .collect();
    within.sort_unstable();
    let expected: Vec<u32> = brute
        .iter()
        .filter(|b| b.0 <= radius - 1e-6)
        .map(|b| b.1)
        .collect();
    for e in &expected {
        assert!(
            within.binary_search(e).is_ok(),
            "{e} missing within {radius} m"
        );
    }
});
