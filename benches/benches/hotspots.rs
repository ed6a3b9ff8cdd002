//! Repeat-case hot spots (`wangge::analytics::hotspots`) on 1M synthetic cases (the core's
//! `synth::cases` generator, 7 categories over 2025) spread over the bounding box of 江汉区
//! (about 8 × 7 km, so ~20k cases per km² a year): the bare clustering (`link_groups`) at
//! R = 50 m / T = 7 days and R = 100 m / T = 30 days, and the whole CSV run (parse, locate on
//! the demo city, cluster, rank the regions of every level).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wangge::analytics::hotspots::{link_groups, HotspotFinder, HotspotOptions, Linkage};
use wangge::analytics::time::parse_timestamp;
use wangge::synth::cases::{write_cases, CaseSpec};
use wangge::{BuildOptions, City, CodeScheme, LevelInput, RegionInput};
use wangge_benches::{jianghan, scaled};

/// A one-level city of 江汉区's outline alone, so that the generator's box is the district's.
fn district_only(city: &City) -> City {
    let id = city.by_code("420103").expect("江汉区 in the demo city");
    let region = city.region(id);
    let geometry = region
        .geometry
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect();
    City::build(
        vec![LevelInput {
            name: "district".into(),
            regions: vec![RegionInput {
                code: region.code.clone(),
                name: region.name.clone(),
                parent: None,
                geometry,
            }],
        }],
        &BuildOptions {
            code_scheme: CodeScheme::Free,
            ..BuildOptions::default()
        },
    )
    .expect("the district alone builds")
}

/// The table as CSV bytes, and its columns parsed once (lon, lat, category id, time).
struct Table {
    csv: Vec<u8>,
    lons: Vec<f64>,
    lats: Vec<f64>,
    categories: Vec<u32>,
    times: Vec<i64>,
}

fn table(n: usize) -> Table {
    let box_city = district_only(jianghan());
    let spec = CaseSpec {
        n,
        seed: 8,
        ..CaseSpec::default()
    };
    let mut csv = Vec::new();
    write_cases(&box_city, &spec, &mut csv).expect("synthetic cases");
    let mut t = Table {
        csv,
        lons: Vec::new(),
        lats: Vec::new(),
        categories: Vec::new(),
        times: Vec::new(),
    };
    let mut names: Vec<String> = Vec::new();
    let mut reader = csv::Reader::from_reader(t.csv.as_slice());
    for record in reader.records() {
        let r = record.expect("generated CSV");
        t.lons.push(r[1].parse().expect("lon"));
        t.lats.push(r[2].parse().expect("lat"));
        let c = names.iter().position(|x| x == &r[3]).unwrap_or_else(|| {
            names.push(r[3].to_string());
            names.len() - 1
        });
        t.categories.push(c as u32);
        t.times.push(parse_timestamp(&r[4]).expect("time"));
    }
    t
}

fn hotspots(c: &mut Criterion) {
    let n = scaled(1_000_000);
    let t = table(n);
    let mut g = c.benchmark_group("hotspots/1M");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(n as u64));
    for (radius, days) in [(50.0, 7.0), (100.0, 30.0)] {
        let linkage = Linkage::new(radius, days).expect("valid");
        let groups = link_groups(&t.lons, &t.lats, &t.categories, &t.times, &linkage).unwrap();
        eprintln!(
            "R = {radius} m, T = {days} d: {} clusters, {} repeat cases, largest {}",
            groups.len(),
            groups.iter().map(Vec::len).sum::<usize>(),
            groups.iter().map(Vec::len).max().unwrap_or(0)
        );
        g.bench_function(format!("link_groups_r{radius}_t{days}"), |b| {
            b.iter(|| {
                link_groups(
                    black_box(&t.lons),
                    &t.lats,
                    &t.categories,
                    &t.times,
                    &linkage,
                )
                .unwrap()
                .len()
            })
        });
    }
    let city = jianghan();
    let options = HotspotOptions::new(50.0, 7.0);
    g.bench_function("read_csv_r50_t7", |b| {
        b.iter(|| {
            HotspotFinder::new(city)
                .read_csv("cases.csv", black_box(t.csv.as_slice()), &options)
                .unwrap()
                .clusters
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, hotspots);
criterion_main!(benches);
