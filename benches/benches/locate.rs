//! Point → owner: `City::locate` on single points, and `City::locate_many` (one thread) and
//! `City::locate_many_parallel` (rayon) on a million points in random and Hilbert order, on the
//! demo city (江汉区, ~2.9k grids) and the benchmark city (central Wuhan, ~100k grids).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wangge::City;
use wangge_benches::{central, jianghan, scaled, voronoi_city, BBox, OwnerMix, Points};

/// Points in the batch benches (1% of it in test mode).
const BATCH: usize = 1_000_000;
/// Points cycled through by the single-point benches (1% of it in test mode).
const SINGLES: usize = 1 << 16;

fn single(c: &mut Criterion, group: &str, city: &City, points: &Points) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    // Cycle through the largest power-of-two prefix of the points, so the index is a mask.
    assert!(!points.is_empty(), "{group}: no points");
    let mask = (1usize << points.len().ilog2()) - 1;
    let mut i = 0usize;
    g.bench_function("single", |b| {
        b.iter(|| {
            i = (i + 1) & mask;
            let hit = city.locate(black_box(points.lons[i]), black_box(points.lats[i]));
            black_box(hit.map(|hit| hit.leaf_id()))
        })
    });
    g.finish();
}

fn locate_city(c: &mut Criterion, name: &str, city: &City) {
    let bbox = BBox::of_grids(city);
    let random = Points::uniform(bbox, scaled(BATCH), 1);
    let sorted = random.hilbert_sorted(bbox);
    let mix = OwnerMix::of(city, &random);
    eprintln!(
        "{name}: grid bbox {bbox:?}; of {} random points {} fall in a grid, {} in a level \
         above, {} nowhere",
        random.len(),
        mix.deepest,
        mix.above,
        mix.none
    );

    // Single points: every kind mixed as they come, then only points owned by a grid, then only
    // points that no grid owns (they go through every level of the R-tree).
    let singles = Points::uniform(bbox, scaled(SINGLES), 2);
    let deepest = city.levels().len() - 1;
    let level_of = |lon: f64, lat: f64| city.locate(lon, lat).map(|hit| hit.leaf().level);
    let in_grid = singles.filter(|lon, lat| level_of(lon, lat) == Some(deepest));
    let outside = singles.filter(|lon, lat| level_of(lon, lat) != Some(deepest));
    single(c, &format!("locate/{name}/random"), city, &singles);
    single(c, &format!("locate/{name}/in_grid"), city, &in_grid);
    if !outside.is_empty() {
        single(c, &format!("locate/{name}/outside_grids"), city, &outside);
    }

    let mut g = c.benchmark_group(format!("locate/{name}/batch_1M"));
    g.throughput(Throughput::Elements(random.len() as u64));
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    for (label, pts) in [("random", &random), ("hilbert_sorted", &sorted)] {
        g.bench_function(label, |b| {
            b.iter(|| {
                city.locate_many(black_box(&pts.lons), black_box(&pts.lats))
                    .expect("equal lengths")
            })
        });
    }
    // The same on the rayon pool (all cores of the machine).
    for (label, pts) in [
        ("parallel_random", &random),
        ("parallel_hilbert_sorted", &sorted),
    ] {
        g.bench_function(label, |b| {
            b.iter(|| {
                city.locate_many_parallel(black_box(&pts.lons), black_box(&pts.lats))
                    .expect("equal lengths")
            })
        });
    }
    g.finish();
}

fn locate_jianghan(c: &mut Criterion) {
    locate_city(c, "jianghan_2.9k", jianghan());
}

fn locate_central(c: &mut Criterion) {
    locate_city(c, "central_100k", central());
}

/// Voronoi partitions of the same box at 10k, 100k and 1M cells (1% of each in test mode).
fn locate_voronoi(c: &mut Criterion) {
    for (label, cells) in [("10k", 10_000), ("100k", 100_000), ("1M", 1_000_000)] {
        let city = voronoi_city(scaled(cells));
        locate_city(c, &format!("voronoi_{label}"), &city);
    }
}

criterion_group! {
    name = benches;
    // No HTML plots: they cost time and the console output is what RESULTS.md records.
    config = Criterion::default().without_plots();
    targets = locate_jianghan, locate_central, locate_voronoi
}
criterion_main!(benches);
