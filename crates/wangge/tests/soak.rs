//! Concurrency soak (bounded): reader threads query a planner [`History`] and a live
//! [`ResourcePool`] while one thread moves 10,000 workers at 10 Hz and another commits planner
//! edits. Every answer is checked against the version it was read from:
//!
//! - a city version must hold exactly the grids (codes and areas) of the preview that became
//!   it, and `locate` on it must equal the brute-force oracle on the same version;
//! - a resource snapshot must hold every worker at the position of one single tick (the one
//!   its version number names: no torn read), and its nearest worker must equal a
//!   geographiclib brute force over that same snapshot;
//! - versions seen by one reader never go back;
//! - at the end the pool holds the last tick's positions, the history holds one version per
//!   commit, and a stale preview was refused without changing anything (no lost update).
//!
//! The consistency model this checks is described in ARCHITECTURE.md ("Versions and live
//! data").

use geographiclib_rs::{Geodesic, InverseGeodesic};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wangge::dispatch::{Resource, ResourceFilter, ResourcePool};
use wangge::locate::{BruteForceLocator, Locator};
use wangge::model::{BuildOptions, City, LevelInput, RegionInput};
use wangge::plan::{Edit, History, PlanOptions};
use wangge::synth::{generate_levels, GenerateSpec};
use wangge::Error;

const WORKERS: usize = 10_000;
/// Position updates, one every 100 ms (10 Hz), each moving every worker.
const TICKS: u64 = 30;
/// Planner commits, spread over the same time.
const COMMITS: u64 = 6;
const READERS: usize = 3;

/// The district: 0.008° × 0.008° at Wuhan, cut into streets, communities and ~1 ha grids.
const X0: f64 = 114.25;
const Y0: f64 = 30.55;
const SIDE: f64 = 0.008;

fn district() -> City {
    let top = LevelInput {
        name: "district".into(),
        regions: vec![RegionInput {
            code: "420103".into(),
            name: String::new(),
            parent: None,
            geometry: vec![vec![vec![
                [X0, Y0],
                [X0 + SIDE, Y0],
                [X0 + SIDE, Y0 + SIDE],
                [X0, Y0 + SIDE],
                [X0, Y0],
            ]]],
        }],
    };
    let spec = |name: &str, area: f64| (name.to_string(), GenerateSpec::new(area));
    let levels = generate_levels(
        top,
        &[
            spec("street", 3e5),
            spec("community", 1e5),
            spec("grid", 1e4),
        ],
    )
    .unwrap();
    City::build(levels, &BuildOptions::default()).unwrap()
}

/// Where worker `i` is after tick `t`: a fixed function, so a reader can tell which tick each
/// position came from. Moves a few metres per tick inside the district.
fn position(i: usize, t: u64) -> (f64, f64) {
    let f = |a: f64| a - a.floor();
    let u = f(i as f64 * 0.618_033_988_749 + t as f64 * 1e-3);
    let v = f(i as f64 * 0.754_877_666_246 + t as f64 * 7e-4);
    (X0 + SIDE * u, Y0 + SIDE * v)
}

fn worker_id(i: usize) -> String {
    format!("w{i:05}")
}

fn index_of(id: &str) -> usize {
    id[1..].parse().unwrap()
}

/// What a version must hold: each grid's code and geodesic area.
type Fingerprint = BTreeMap<String, f64>;

fn fingerprint(city: &City) -> Fingerprint {
    let grid_level = city.levels().len() - 1;
    city.level_regions(grid_level)
        .map(|(_, r)| (r.code.clone(), r.area_m2))
        .collect()
}

/// A split of the `pick`-th grid through its middle, at an angle.
fn split_edit(city: &City, pick: usize, angle: f64) -> Edit {
    use geo::{BoundingRect, Centroid};
    let grid_level = city.levels().len() - 1;
    let grids: Vec<_> = city.level_regions(grid_level).map(|(_, r)| r).collect();
    let g = grids[pick % grids.len()];
    let c = g.geometry.centroid().unwrap();
    let r = g.geometry.bounding_rect().unwrap().width() * 2.0;
    let (dx, dy) = (angle.cos() * r, angle.sin() * r);
    Edit::Split {
        grid: g.code.clone(),
        line: vec![[c.x() - dx, c.y() - dy], [c.x() + dx, c.y() + dy]],
        codes: None,
    }
}

/// Brute-force nearest: the smallest geographiclib distance over the snapshot, ties by id.
fn brute_nearest(resources: &[Resource], lon: f64, lat: f64) -> (String, f64) {
    let g = Geodesic::wgs84();
    resources
        .iter()
        .map(|r| {
            let s: f64 = g.inverse(lat, lon, r.lat, r.lon);
            (r.id.clone(), s)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
        .unwrap()
}

/// Counts a writer as finished when dropped, also while unwinding from a failed assertion.
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn readers_see_whole_versions_while_workers_move_and_planners_commit() {
    let history = History::new(district(), PlanOptions::default());
    let pool = ResourcePool::new(
        (0..WORKERS)
            .map(|i| {
                let (lon, lat) = position(i, 0);
                Resource {
                    id: worker_id(i),
                    kind: "worker".into(),
                    lon,
                    lat,
                    on_duty: true,
                    home_grid: None,
                }
            })
            .collect(),
    )
    .unwrap();
    // Version number → the grids it must hold; written by the planner before it commits.
    let expected: Mutex<BTreeMap<u64, Fingerprint>> =
        Mutex::new(BTreeMap::from([(1, fingerprint(history.current().city()))]));
    // Writers that have finished (or panicked: the guard counts them too, so readers stop).
    let writers_done = AtomicUsize::new(0);
    let checks = AtomicUsize::new(0);
    let pool_versions_seen = Mutex::new(std::collections::BTreeSet::new());
    let city_versions_seen = Mutex::new(std::collections::BTreeSet::new());

    std::thread::scope(|s| {
        // Mover: every worker, 10 times a second, in one all-or-nothing batch per tick.
        let mover = s.spawn(|| {
            let _done = Done(&writers_done);
            let ids: Vec<String> = (0..WORKERS).map(worker_id).collect();
            let start = Instant::now();
            for t in 1..=TICKS {
                let due = start + Duration::from_millis(100 * t);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let batch: Vec<(&str, f64, f64)> = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let (lon, lat) = position(i, t);
                        (id.as_str(), lon, lat)
                    })
                    .collect();
                assert_eq!(pool.update_positions(&batch).unwrap(), t);
            }
        });
        // Planner: splits grids, and once tries to commit a preview made stale by a commit.
        let planner = s.spawn(|| {
            let _done = Done(&writers_done);
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            let mut committed = 0;
            while committed < COMMITS {
                std::thread::sleep(Duration::from_millis(350));
                let current = history.current();
                let edit = split_edit(
                    current.city(),
                    rng.random::<u32>() as usize,
                    rng.random_range(0.1..3.0),
                );
                let Ok(preview) = history.preview(vec![edit]) else {
                    continue; // an edit that cannot apply changes nothing; try another
                };
                if !preview.is_valid() {
                    continue;
                }
                if committed == 2 {
                    // A second preview on the same base goes stale once the first commits.
                    let edit = split_edit(current.city(), rng.random::<u32>() as usize, 1.0);
                    if let Ok(stale) = history.preview(vec![edit]) {
                        expected
                            .lock()
                            .unwrap()
                            .insert(current.number() + 1, fingerprint(preview.city()));
                        history.commit(preview, "split").unwrap();
                        committed += 1;
                        let before = history.current().number();
                        assert!(matches!(
                            history.commit(stale, "stale"),
                            Err(Error::Version(_))
                        ));
                        assert_eq!(history.current().number(), before);
                        continue;
                    }
                }
                expected
                    .lock()
                    .unwrap()
                    .insert(current.number() + 1, fingerprint(preview.city()));
                let v = history.commit(preview, "split").unwrap();
                assert_eq!(v.number(), current.number() + 1);
                committed += 1;
            }
        });
        let readers: Vec<_> = (0..READERS as u64)
            .map(|seed| {
                let (history, pool, expected, writers_done, checks) =
                    (&history, &pool, &expected, &writers_done, &checks);
                let (pool_seen, city_seen) = (&pool_versions_seen, &city_versions_seen);
                s.spawn(move || {
                    let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
                    let (mut last_city, mut last_pool) = (0, 0);
                    while writers_done.load(Ordering::SeqCst) < 2 {
                        // One city version: its grids are the ones committed, and locate on it
                        // equals the brute-force oracle on it.
                        let version = history.current();
                        assert!(version.number() >= last_city, "city version went back");
                        last_city = version.number();
                        city_seen.lock().unwrap().insert(last_city);
                        let city = version.city();
                        let want = expected.lock().unwrap().get(&last_city).cloned();
                        assert_eq!(
                            Some(fingerprint(city)),
                            want,
                            "version {last_city} is not the committed preview"
                        );
                        let oracle = BruteForceLocator::new(city.prepared(), city.level_ranges());
                        for _ in 0..200 {
                            let x = X0 - 1e-4 + rng.random::<f64>() * (SIDE + 2e-4);
                            let y = Y0 - 1e-4 + rng.random::<f64>() * (SIDE + 2e-4);
                            let got = city.locate(x, y).map(|l| l.leaf_id().index() as u32);
                            assert_eq!(got, oracle.locate(x, y), "version {last_city} at {x},{y}");
                        }
                        // One resource snapshot: every worker at the same tick, and the
                        // nearest equals a brute force over the same snapshot.
                        let snap = pool.snapshot();
                        assert!(snap.version() >= last_pool, "pool version went back");
                        last_pool = snap.version();
                        pool_seen.lock().unwrap().insert(last_pool);
                        assert_eq!(snap.resources().len(), WORKERS);
                        for r in snap.resources() {
                            let at = position(index_of(&r.id), snap.version());
                            assert_eq!((r.lon, r.lat), at, "torn snapshot {}", snap.version());
                        }
                        let (x, y) = (
                            X0 + rng.random::<f64>() * SIDE,
                            Y0 + rng.random::<f64>() * SIDE,
                        );
                        let near = snap.nearest(x, y, 1, None, &ResourceFilter::default());
                        let (id, d) = brute_nearest(snap.resources(), x, y);
                        assert_eq!(near[0].0.id, id);
                        assert!((near[0].1 - d).abs() <= 1e-6, "{} vs {d}", near[0].1);
                        checks.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        mover.join().unwrap();
        planner.join().unwrap();
        for r in readers {
            r.join().unwrap();
        }
    });

    // Final state: exactly the applied updates, nothing lost.
    let snap = pool.snapshot();
    assert_eq!(snap.version(), TICKS);
    for r in snap.resources() {
        assert_eq!((r.lon, r.lat), position(index_of(&r.id), TICKS));
    }
    let versions = history.versions();
    assert_eq!(versions.len() as u64, COMMITS + 1);
    let expected = expected.into_inner().unwrap();
    for v in &versions {
        assert_eq!(Some(&fingerprint(v.city())), expected.get(&v.number()));
    }
    // The readers really ran alongside the writers.
    assert!(checks.load(Ordering::SeqCst) >= READERS);
    assert!(pool_versions_seen.into_inner().unwrap().len() > 1);
    assert!(city_versions_seen.into_inner().unwrap().len() > 1);
}
