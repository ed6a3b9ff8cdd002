//! Reading case tables (`wangge::analytics::cases`): synthetic cases (the core's
//! `synth::cases` generator: ASCII ids and numbers, Chinese status names, so the UTF-8 path is
//! exercised) as CSV bytes in memory, through the streaming reader alone (`read`: decode, parse,
//! row checks) and through the whole join (`case_stats`: read, locate on the demo city, tally
//! every level). 1M cases by default; `WANGGE_BENCH_CASES=10000000` for the 10M run.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wangge::analytics::cases::CaseReader;
use wangge::analytics::{Analyst, CaseColumns, StatsOptions};
use wangge::synth::cases::{write_cases, CaseSpec};
use wangge_benches::{jianghan, scaled};

fn cases(c: &mut Criterion) {
    let n = std::env::var("WANGGE_BENCH_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let n = scaled(n);
    let city = jianghan();
    let mut csv = Vec::new();
    let spec = CaseSpec {
        n,
        seed: 3,
        ..CaseSpec::default()
    };
    write_cases(city, &spec, &mut csv).expect("synthetic cases");
    eprintln!("{n} cases, {} bytes of CSV", csv.len());
    let mut g = c.benchmark_group(format!("cases/{n}"));
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(if n > 2_000_000 { 60 } else { 10 }));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("read", |b| {
        b.iter(|| {
            let columns = CaseColumns::default();
            let mut reader = CaseReader::new(
                "cases.csv",
                black_box(csv.as_slice()),
                &columns,
                None,
                false,
            )
            .unwrap();
            let mut rows = 0;
            loop {
                let chunk = reader.next_chunk(1 << 18).unwrap();
                if chunk.is_empty() {
                    break rows;
                }
                rows += chunk.len();
            }
        })
    });
    let analyst = Analyst::new(city);
    let options = StatsOptions::default();
    g.bench_function("case_stats", |b| {
        b.iter(|| {
            analyst
                .case_stats("cases.csv", black_box(csv.as_slice()), &options)
                .unwrap()
                .total
                .cases
        })
    });
    g.finish();
}

criterion_group!(benches, cases);
criterion_main!(benches);
