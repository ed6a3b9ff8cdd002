//! `wangge demo`: the bundled Wuhan city, a batch of synthetic reports, a short summary.

use crate::{ctx, CliResult};
use rand::{RngExt, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use wangge::dispatch::{DispatchOptions, Dispatcher};
use wangge::{City, Crs, RegionId, NO_OWNER};

/// Appends a line to the demo's output buffer (printed at the end, so a closed pipe such as
/// `wangge demo | head` ends quietly instead of failing mid-way).
macro_rules! say {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The bundled manifest, found from the source tree.
const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wuhan.toml");
/// Number of synthetic reports.
const REPORTS: usize = 1_000_000;

pub fn run() -> CliResult {
    let mut out = String::new();
    let result = demo(&mut out);
    use std::io::Write as _;
    match std::io::stdout().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.to_string()),
        _ => {}
    }
    result
}

fn demo(out: &mut String) -> CliResult {
    let start = Instant::now();
    let dispatcher = ctx(Dispatcher::from_manifest(Path::new(MANIFEST)))?;
    let city: &City = dispatcher.city();
    let built = start.elapsed();
    say!(
        out,
        "wangge demo: bundled Wuhan city ({})",
        Path::new(MANIFEST).display()
    );
    for (i, level) in city.levels().iter().enumerate() {
        say!(
            out,
            "  {level:>9}: {} regions",
            city.level_regions(i).count()
        );
    }
    say!(
        out,
        "  {} departments, {} assets and {} workers (synthetic)",
        dispatcher.departments().departments().len(),
        dispatcher.assets().len(),
        dispatcher.resources().snapshot().resources().len()
    );
    say!(out, "  built (read, generate, check, index) in {built:.2?}");

    // Reports as WeChat sends them: GCJ-02, mostly in 江汉区, some anywhere in central Wuhan.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let jianghan = city
        .by_code("420103")
        .ok_or("420103 missing from the bundled data")?;
    let [jx0, jy0, jx1, jy1] = city.prepared()[jianghan.index()].bbox();
    let (mut lons, mut lats) = (Vec::with_capacity(REPORTS), Vec::with_capacity(REPORTS));
    for i in 0..REPORTS {
        let (x, y) = if i % 5 == 0 {
            (rng.random_range(113.9..114.7), rng.random_range(30.3..30.9))
        } else {
            (rng.random_range(jx0..jx1), rng.random_range(jy0..jy1))
        };
        let (gx, gy) = city.converter().from_wgs84(Crs::Gcj02, x, y);
        lons.push(gx);
        lats.push(gy);
    }
    let t = Instant::now();
    let (mut wlons, mut wlats) = (lons.clone(), lats.clone());
    ctx(city
        .converter()
        .to_wgs84_in_place(Crs::Gcj02, &mut wlons, &mut wlats))?;
    let converted = t.elapsed();
    let t = Instant::now();
    let ids = ctx(city.locate_many(&wlons, &wlats))?;
    let located = t.elapsed();
    let rate = |d: std::time::Duration| REPORTS as f64 / d.as_secs_f64() / 1e6;
    say!(out, "\n{REPORTS} synthetic reports in GCJ-02 (1 thread):");
    say!(
        out,
        "  GCJ-02 → WGS84  {converted:>9.2?} ({:.2} M points/s)",
        rate(converted)
    );
    say!(
        out,
        "  locate          {located:>9.2?} ({:.2} M points/s)",
        rate(located)
    );

    let mut per_district: BTreeMap<&str, (String, usize)> = BTreeMap::new();
    let mut per_street: BTreeMap<&str, (String, usize)> = BTreeMap::new();
    let mut by_level = vec![0usize; city.levels().len()];
    let mut none = 0;
    for &id in &ids {
        if id == NO_OWNER {
            none += 1;
            continue;
        }
        let chain = city.chain(RegionId(id));
        by_level[chain.len() - 1] += 1;
        for r in &chain[..chain.len().min(2)] {
            let map = if r.level == 0 {
                &mut per_district
            } else {
                &mut per_street
            };
            map.entry(r.code.as_str())
                .or_insert_with(|| (r.name.clone(), 0))
                .1 += 1;
        }
    }
    say!(
        out,
        "  owner found at level: {}",
        city.levels()
            .iter()
            .zip(&by_level)
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    say!(out, "  no owner (outside every district): {none}");
    say!(out, "\nreports per district:");
    for (code, (name, n)) in &per_district {
        say!(out, "  {code} {name:<6} {n:>8}");
    }
    say!(out, "\nreports per street of 江汉区 (synthetic streets):");
    for (code, (name, n)) in &per_street {
        say!(out, "  {code} {name} {n:>8}");
    }
    say!(
        out,
        "\nexample chains (GCJ-02 input → district > street > community > grid):"
    );
    let deepest = city.levels().len();
    let examples = ids
        .iter()
        .enumerate()
        .filter(|&(_, &id)| id != NO_OWNER && city.chain(RegionId(id)).len() == deepest);
    for (i, &id) in examples.take(3) {
        let chain = ctx_chain(city, id);
        say!(out, "  ({:.6}, {:.6}) → {chain}", lons[i], lats[i]);
    }
    dispatch_reports(out, &dispatcher, &lons, &lats, &ids)?;
    say!(out, "\ntotal {:.2?}", start.elapsed());
    Ok(())
}

/// Categories of the sample reports: components and events, one fan-out class.
const CATEGORIES: [&str; 7] = ["0103", "0118", "0114", "0305", "200501", "09001", "0102"];

/// Dispatches the reports that fell into grids; prints latency and a few results.
fn dispatch_reports(
    out: &mut String,
    d: &Dispatcher,
    lons: &[f64],
    lats: &[f64],
    ids: &[u32],
) -> CliResult {
    let deepest = d.city().levels().len();
    let in_grids: Vec<usize> = (0..ids.len())
        .filter(|&i| ids[i] != NO_OWNER && d.city().chain(RegionId(ids[i])).len() == deepest)
        .take(20_000)
        .collect();
    let options = DispatchOptions {
        crs: Crs::Gcj02,
        ..DispatchOptions::default()
    };
    let mut latencies = Vec::with_capacity(in_grids.len());
    let mut examples = Vec::new();
    for (n, &i) in in_grids.iter().enumerate() {
        let category = CATEGORIES[n % CATEGORIES.len()];
        let t = Instant::now();
        let r = ctx(d.dispatch(lons[i], lats[i], category, &options))?;
        latencies.push(t.elapsed());
        if n < CATEGORIES.len() {
            examples.push(r);
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    say!(out,
        "\ndispatched {} reports (GCJ-02 → grid chain → departments → 3 nearest on-duty workers, 3 nearest assets of the class, 2 hydrants): median {:.1?}, p99 {:.1?} per report",
        latencies.len(),
        pct(0.5),
        pct(0.99)
    );
    for r in examples {
        let grid = r.chain.last().map(|g| g.code.as_str()).unwrap_or("-");
        say!(out, "  {} {} in grid {grid}", r.category, r.category_name);
        for m in r.departments.iter().take(5) {
            say!(out, "    → {} {} ({:?})", m.code, m.name, m.reason);
        }
        let list = |v: Vec<String>| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(", ")
            }
        };
        say!(
            out,
            "    workers: {}",
            list(
                r.workers
                    .iter()
                    .map(|w| format!(
                        "{} {:.0} m{}",
                        w.id,
                        w.distance_m,
                        if w.same_grid { " (same grid)" } else { "" }
                    ))
                    .collect()
            )
        );
        say!(
            out,
            "    nearest {}: {}",
            r.category,
            list(
                r.assets
                    .iter()
                    .map(|a| format!("{} {:.0} m ({})", a.id, a.distance_m, a.state))
                    .collect()
            )
        );
    }
    Ok(())
}

fn ctx_chain(city: &City, id: u32) -> String {
    if id == NO_OWNER {
        return "no owner".into();
    }
    city.chain(RegionId(id))
        .iter()
        .map(|r| format!("{} {}", r.code, r.name))
        .collect::<Vec<_>>()
        .join(" > ")
}
