//! Shared by the targets (included with `#[path]`): the locate oracle check.

use wangge::locate::{BruteForceLocator, Locator};
use wangge::City;

/// Locates `(x, y)` with the city's index, singly and in a batch, and with the brute-force
/// oracle; panics (a fuzz finding) when they differ.
pub fn check_locate(city: &City, points: &[(f64, f64)]) {
    let brute = BruteForceLocator::new(city.prepared(), city.level_ranges());
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let batch = city.locate_many(&xs, &ys);
    for (i, &(x, y)) in points.iter().enumerate() {
        let fast = city.locate(x, y).map(|l| l.leaf_id().0);
        let slow = brute.locate(x, y);
        assert_eq!(fast, slow, "locate({x:?}, {y:?})");
        if let Ok(batch) = &batch {
            assert_eq!(
                batch[i],
                slow.unwrap_or(wangge::NO_OWNER),
                "locate_many[{i}]"
            );
        }
    }
}

/// Every vertex and edge midpoint of the first regions (at most `max` points).
pub fn vertices(city: &City, max: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for r in city.regions() {
        for p in r.geometry.iter() {
            for w in p.exterior().0.windows(2) {
                out.push((w[0].x, w[0].y));
                out.push(((w[0].x + w[1].x) / 2.0, (w[0].y + w[1].y) / 2.0));
                if out.len() >= max {
                    return out;
                }
            }
        }
    }
    out
}
