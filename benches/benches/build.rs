//! Building and loading: `City::from_bytes` (snapshot load, format 2 with the stored index and
//! the legacy format 1 that rebuilds it), the cell index alone, `City::build` from levels
//! already read, and `Dispatcher::from_manifest` for the demo city.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wangge::dispatch::Dispatcher;
use wangge::locate::{CellLocator, PreparedRegion};
use wangge::{BuildOptions, City, LevelInput};
use wangge_benches::{central_manifest, jianghan_manifest, read_levels};

struct Fixture {
    name: &'static str,
    levels: Vec<LevelInput>,
    options: BuildOptions,
    snapshot: Vec<u8>,
    snapshot_v1: Vec<u8>,
}

fn fixture(name: &'static str, manifest: &std::path::Path) -> Fixture {
    let start = Instant::now();
    let (levels, options) = read_levels(manifest);
    let read = start.elapsed();
    let city = City::build(levels.clone(), &options).expect("bundled city builds");
    let snapshot = city.to_bytes();
    let snapshot_v1 = city.to_bytes_v1();
    eprintln!(
        "fixture {name}: levels read/generated in {:.2} s, built in {:.2} s; {} regions, \
         snapshot {:.1} MB (format 1: {:.1} MB)",
        read.as_secs_f64(),
        (start.elapsed() - read).as_secs_f64(),
        city.len(),
        snapshot.len() as f64 / 1e6,
        snapshot_v1.len() as f64 / 1e6,
    );
    Fixture {
        name,
        levels,
        options,
        snapshot,
        snapshot_v1,
    }
}

fn cities(c: &mut Criterion) {
    for f in [
        fixture("jianghan_2.9k", &jianghan_manifest()),
        fixture("central_100k", &central_manifest()),
    ] {
        let mut g = c.benchmark_group(format!("build/{}", f.name));
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(5));
        let city = City::from_bytes(&f.snapshot).expect("valid snapshot");
        g.bench_function("snapshot_load", |b| {
            b.iter_with_large_drop(|| {
                City::from_bytes(black_box(&f.snapshot)).expect("valid snapshot")
            })
        });
        // The legacy format: the same city, its index rebuilt on load.
        g.bench_function("snapshot_load_v1", |b| {
            b.iter_with_large_drop(|| {
                City::from_bytes(black_box(&f.snapshot_v1)).expect("valid snapshot")
            })
        });
        g.bench_function("snapshot_save", |b| {
            b.iter_with_large_drop(|| black_box(&city).to_bytes())
        });
        // The cell index alone: what a format-1 load rebuilds.
        let prepared: Arc<[PreparedRegion]> = city.prepared().to_vec().into();
        g.bench_function("cell_index", |b| {
            b.iter_with_large_drop(|| CellLocator::new(prepared.clone(), city.level_ranges()))
        });
        g.bench_function("city_build", |b| {
            b.iter_batched(
                || f.levels.clone(),
                |levels| City::build(levels, &f.options).expect("bundled city builds"),
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

fn dispatcher(c: &mut Criterion) {
    let manifest = jianghan_manifest();
    let mut g = c.benchmark_group("build/jianghan_2.9k");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("dispatcher_from_manifest", |b| {
        b.iter_with_large_drop(|| {
            Dispatcher::from_manifest(black_box(&manifest)).expect("demo dispatcher")
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No HTML plots: they cost time and the console output is what RESULTS.md records.
    config = Criterion::default().without_plots();
    targets = cities, dispatcher
}
criterion_main!(benches);
