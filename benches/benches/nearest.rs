//! Exact geodesic nearest neighbours: `PointIndex::nearest` (k = 1 and k = 8) and `within`
//! 200 m over 1M and 2M clustered assets in central Wuhan, and the index build.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wangge::nearest::PointIndex;
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

fn queries(c: &mut Criterion) {
    let queries = Points::uniform(BBox::WUHAN_CENTRAL, QUERIES, 7);
    let mask = QUERIES - 1;
    for n in [1_000_000, 2_000_000] {
        let idx = index(&assets(n));
        let mut g = c.benchmark_group(format!("nearest/{}M", n / 1_000_000));
        g.throughput(Throughput::Elements(1));
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(3));
        for k in [1usize, 8] {
            let mut i = 0usize;
            g.bench_function(format!("k{k}"), |b| {
                b.iter(|| {
                    i = (i + 1) & mask;
                    idx.nearest(
                        black_box(queries.lons[i]),
                        black_box(queries.lats[i]),
                        k,
                        None,
                        |_| true,
                    )
                })
            });
        }
        let mut i = 0usize;
        let mut found = 0usize;
        let mut calls = 0usize;
        g.bench_function("within_200m", |b| {
            b.iter(|| {
                i = (i + 1) & mask;
                let r = idx.within(
                    black_box(queries.lons[i]),
                    black_box(queries.lats[i]),
                    200.0,
                    |_| true,
                );
                found += r.len();
                calls += 1;
                r
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
        g.throughput(Throughput::Elements(points.len() as u64));
        g.bench_function(format!("{}M", n / 1_000_000), |b| {
            b.iter_with_large_drop(|| index(black_box(&points)))
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
