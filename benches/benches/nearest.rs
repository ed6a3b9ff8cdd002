//! Exact geodesic nearest neighbours: `PointIndex::nearest` (k = 1, k = 8, k = 8 with a filter
//! passing 2 % of the assets) and `within` 200 m over 1M and 2M clustered assets in central
//! Wuhan, and the index build.
//!
//! Each bench also runs, in the same binary, the same exact search over two other structures
//! (`_rtree`: the former R-tree search, `wangge::nearest::baseline::RTreePointIndex`; `_kiddo`:
//! the kiddo crate's `ImmutableKdTree` queried below), after checking on a sample of queries
//! that all three return identical answers.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use kiddo::{ImmutableKdTree, SquaredEuclidean};
use rayon::prelude::*;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;
use wangge::nearest::baseline::{chord2_bound, n_vector, rank, upper_bound_m, RTreePointIndex};
use wangge::nearest::{geodesic_distance_m, Neighbor, PointIndex};
use wangge_benches::{scaled, BBox, Points};

/// Query points cycled through (a power of two).
const QUERIES: usize = 1 << 14;

/// `n` assets (1% of them in test mode): 20k clusters (σ = 300 m) over central Wuhan. The
/// seed depends only on `n`.
fn assets(n: usize) -> Points {
    Points::clustered(BBox::WUHAN_CENTRAL, scaled(n), 20_000, 300.0, n as u64)
}

fn index(points: &Points) -> PointIndex {
    PointIndex::new(&points.lons, &points.lats).expect("valid assets")
}

/// The same exact search as `PointIndex` over kiddo's kd-tree (no filter): the k nearest by
/// chord, then every point within the chord that bounds the k-th distance from above, ranked
/// by exact distance; `within` takes every point within the chord bound of the radius.
struct KiddoIndex {
    lons: Vec<f64>,
    lats: Vec<f64>,
    tree: ImmutableKdTree<f64, 3>,
}

impl KiddoIndex {
    fn new(points: &Points) -> KiddoIndex {
        // In parallel, as `PointIndex::new` does.
        let nvecs: Vec<[f64; 3]> = points
            .lons
            .par_iter()
            .zip(&points.lats)
            .map(|(&lon, &lat)| n_vector(lon, lat))
            .collect();
        KiddoIndex {
            lons: points.lons.clone(),
            lats: points.lats.clone(),
            tree: ImmutableKdTree::new_from_slice_parallel(&nvecs).expect("kiddo tree"),
        }
    }

    fn distance(&self, index: u32, lon: f64, lat: f64) -> f64 {
        let i = index as usize;
        geodesic_distance_m(lon, lat, self.lons[i], self.lats[i])
    }

    fn nearest(&self, lon: f64, lat: f64, k: usize) -> Vec<Neighbor> {
        let q = n_vector(lon, lat);
        let Some(n) = NonZeroUsize::new(k) else {
            return Vec::new();
        };
        let nn = self
            .tree
            .query(&q)
            .nearest_n::<SquaredEuclidean<f64>>(n)
            .execute();
        let Some(kth) = nn.last() else {
            return Vec::new();
        };
        let bound = chord2_bound(upper_bound_m(kth.distance));
        let mut candidates: Vec<(f64, u32)> = self
            .tree
            .query(&q)
            .within::<SquaredEuclidean<f64>>(bound)
            .unsorted()
            .execute()
            .into_iter()
            .map(|r| (r.distance, r.item))
            .collect();
        candidates.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        rank(candidates, k, f64::INFINITY, |i| self.distance(i, lon, lat))
    }

    fn within(&self, lon: f64, lat: f64, radius_m: f64) -> Vec<Neighbor> {
        let q = n_vector(lon, lat);
        let mut found: Vec<Neighbor> = self
            .tree
            .query(&q)
            .within::<SquaredEuclidean<f64>>(chord2_bound(radius_m))
            .unsorted()
            .execute()
            .into_iter()
            .map(|r| Neighbor {
                index: r.item,
                distance_m: self.distance(r.item, lon, lat),
            })
            .filter(|n| n.distance_m <= radius_m)
            .collect();
        found.sort_unstable_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.index.cmp(&b.index))
        });
        found
    }
}

/// A selective filter (2 % of the assets, e.g. one class): what a dispatch query passes.
fn one_in_50(i: u32) -> bool {
    i.is_multiple_of(50)
}

/// The three structures give the same answers on the first `count` queries.
fn check_same(
    kd: &PointIndex,
    rtree: &RTreePointIndex,
    kiddo: &KiddoIndex,
    queries: &Points,
    count: usize,
) {
    for i in 0..count.min(queries.len()) {
        let (lon, lat) = (queries.lons[i], queries.lats[i]);
        for k in [1, 8] {
            let want = rtree.nearest(lon, lat, k, None, |_| true);
            assert_eq!(
                kd.nearest(lon, lat, k, None, |_| true),
                want,
                "kd k={k} #{i}"
            );
            assert_eq!(kiddo.nearest(lon, lat, k), want, "kiddo k={k} #{i}");
        }
        let want = rtree.nearest(lon, lat, 8, None, one_in_50);
        let got = kd.nearest(lon, lat, 8, None, one_in_50);
        assert_eq!(got, want, "kd k=8 filtered #{i}");
        let want = rtree.within(lon, lat, 200.0, |_| true);
        assert_eq!(kd.within(lon, lat, 200.0, |_| true), want, "kd within #{i}");
        assert_eq!(kiddo.within(lon, lat, 200.0), want, "kiddo within #{i}");
    }
}

fn queries(c: &mut Criterion) {
    let queries = Points::uniform(BBox::WUHAN_CENTRAL, QUERIES, 7);
    let mask = QUERIES - 1;
    for n in [1_000_000, 2_000_000] {
        let points = assets(n);
        let idx = index(&points);
        let rtree = RTreePointIndex::new(&points.lons, &points.lats).expect("valid assets");
        let kiddo = KiddoIndex::new(&points);
        check_same(&idx, &rtree, &kiddo, &queries, 2_000);

        let mut g = c.benchmark_group(format!("nearest/{}M", n / 1_000_000));
        g.throughput(Throughput::Elements(1));
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(3));
        let at = |i: usize| (black_box(queries.lons[i]), black_box(queries.lats[i]));
        for k in [1usize, 8] {
            let mut i = 0usize;
            g.bench_function(format!("k{k}"), |b| {
                b.iter(|| {
                    i = (i + 1) & mask;
                    let (lon, lat) = at(i);
                    idx.nearest(lon, lat, k, None, |_| true)
                })
            });
            g.bench_function(format!("k{k}_rtree"), |b| {
                b.iter(|| {
                    i = (i + 1) & mask;
                    let (lon, lat) = at(i);
                    rtree.nearest(lon, lat, k, None, |_| true)
                })
            });
            g.bench_function(format!("k{k}_kiddo"), |b| {
                b.iter(|| {
                    i = (i + 1) & mask;
                    let (lon, lat) = at(i);
                    kiddo.nearest(lon, lat, k)
                })
            });
        }
        // Filtered k-NN (no kiddo: it has no filtered search).
        let mut i = 0usize;
        g.bench_function("k8_filter2pct", |b| {
            b.iter(|| {
                i = (i + 1) & mask;
                let (lon, lat) = at(i);
                idx.nearest(lon, lat, 8, None, one_in_50)
            })
        });
        g.bench_function("k8_filter2pct_rtree", |b| {
            b.iter(|| {
                i = (i + 1) & mask;
                let (lon, lat) = at(i);
                rtree.nearest(lon, lat, 8, None, one_in_50)
            })
        });
        let mut i = 0usize;
        let mut found = 0usize;
        let mut calls = 0usize;
        g.bench_function("within_200m", |b| {
            b.iter(|| {
                i = (i + 1) & mask;
                let (lon, lat) = at(i);
                let r = idx.within(lon, lat, 200.0, |_| true);
                found += r.len();
                calls += 1;
                r
            })
        });
        g.bench_function("within_200m_rtree", |b| {
            b.iter(|| {
                i = (i + 1) & mask;
                let (lon, lat) = at(i);
                rtree.within(lon, lat, 200.0, |_| true)
            })
        });
        g.bench_function("within_200m_kiddo", |b| {
            b.iter(|| {
                i = (i + 1) & mask;
                let (lon, lat) = at(i);
                kiddo.within(lon, lat, 200.0)
            })
        });
        g.finish();
        if calls == 0 {
            continue; // filtered out
        }
        eprintln!(
            "nearest/{}M/within_200m: {:.1} points per query on average",
            n / 1_000_000,
            found as f64 / calls as f64
        );
    }
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("nearest/index_build");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    for n in [1_000_000, 2_000_000] {
        let points = assets(n);
        let m = n / 1_000_000;
        g.throughput(Throughput::Elements(points.len() as u64));
        g.bench_function(format!("{m}M"), |b| {
            b.iter_with_large_drop(|| index(black_box(&points)))
        });
        g.bench_function(format!("{m}M_rtree"), |b| {
            b.iter_with_large_drop(|| {
                RTreePointIndex::new(black_box(&points.lons), black_box(&points.lats))
            })
        });
        g.bench_function(format!("{m}M_kiddo"), |b| {
            b.iter_with_large_drop(|| KiddoIndex::new(black_box(&points)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // No HTML plots: they cost time and the console output is what RESULTS.md records.
    config = Criterion::default().without_plots();
    targets = queries, build
}
criterion_main!(benches);
