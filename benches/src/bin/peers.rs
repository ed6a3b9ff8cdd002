//! The wangge side of the peer comparison (`benches/peers/run`).
//!
//! ```text
//! peers gen  --data DIR [--points N] [--assets N] [--queries N] [--voronoi-cells N]
//! peers run  --data DIR --out DIR [--reps N]
//! peers profile --data DIR --partition central|voronoi --order random|sorted --seconds S [--perf-ctl FIFO]
//! ```
//!
//! `gen` writes the inputs every contender reads (the partitions as GeoJSON in WGS84 with full
//! `f64` precision, points as raw little-endian `f64` arrays); `run` times wangge on them and
//! writes its answers next to the timings; `profile` loops one locate batch for `perf`.
//! Timings cover the query (or index build) phase only, never file reading.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use wangge::io::geojson::{read_level, PropertyNames};
use wangge::nearest::PointIndex;
use wangge::{BuildOptions, City, Crs, LevelInput, NO_OWNER};
use wangge_benches::{
    central_manifest, hilbert_key, read_levels, voronoi_level, voronoi_options, BBox, Points,
};

type Res<T> = Result<T, String>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen") => Opts::parse(&args[1..]).and_then(|o| gen(&o)),
        Some("run") => Opts::parse(&args[1..]).and_then(|o| run(&o)),
        Some("profile") => Opts::parse(&args[1..]).and_then(|o| profile(&o)),
        _ => Err("usage: peers gen|run|profile --data DIR [options] (see the source)".into()),
    };
    if let Err(e) = result {
        eprintln!("peers: {e}");
        std::process::exit(1);
    }
}

/// Command-line options (all commands share one parser; each uses what it needs).
struct Opts {
    data: PathBuf,
    out: PathBuf,
    points: usize,
    assets: usize,
    queries: usize,
    voronoi_cells: usize,
    reps: usize,
    partition: String,
    order: String,
    seconds: f64,
    perf_ctl: Option<PathBuf>,
}

impl Opts {
    fn parse(args: &[String]) -> Res<Opts> {
        let mut o = Opts {
            data: PathBuf::from("target/peers-data"),
            out: PathBuf::from("target/peers-out"),
            points: 1_000_000,
            assets: 2_000_000,
            queries: 100_000,
            voronoi_cells: 100_000,
            reps: 5,
            partition: "central".into(),
            order: "random".into(),
            seconds: 10.0,
            perf_ctl: None,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .ok_or_else(|| format!("{flag} needs a value"))?
                .clone();
            let num = |v: &str| -> Res<usize> {
                v.replace('_', "")
                    .parse::<f64>()
                    .map(|x| x as usize)
                    .map_err(|e| format!("{flag} {v}: {e}"))
            };
            match flag.as_str() {
                "--data" => o.data = value.into(),
                "--out" => o.out = value.into(),
                "--points" => o.points = num(&value)?,
                "--assets" => o.assets = num(&value)?,
                "--queries" => o.queries = num(&value)?,
                "--voronoi-cells" => o.voronoi_cells = num(&value)?,
                "--reps" => o.reps = num(&value)?.max(1),
                "--partition" => o.partition = value,
                "--order" => o.order = value,
                "--seconds" => {
                    o.seconds = value.parse().map_err(|e| format!("--seconds: {e}"))?;
                }
                "--perf-ctl" => o.perf_ctl = Some(value.into()),
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(o)
    }
}

// ---------------------------------------------------------------------------------------------
// Files

fn write_f64(path: &Path, v: &[f64]) -> Res<()> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_i32(path: &Path, v: &[i32]) -> Res<()> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_u32(path: &Path, v: &[u32]) -> Res<()> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_bytes(path: &Path) -> Res<Vec<u8>> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_f64(path: &Path) -> Res<Vec<f64>> {
    let b = read_bytes(path)?;
    Ok(b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn read_u32(path: &Path) -> Res<Vec<u32>> {
    let b = read_bytes(path)?;
    Ok(b.chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect())
}

fn read_points(dir: &Path, stem: &str) -> Res<Points> {
    Ok(Points {
        lons: read_f64(&dir.join(format!("{stem}_lon.f64")))?,
        lats: read_f64(&dir.join(format!("{stem}_lat.f64")))?,
    })
}

fn write_points(dir: &Path, stem: &str, p: &Points) -> Res<()> {
    write_f64(&dir.join(format!("{stem}_lon.f64")), &p.lons)?;
    write_f64(&dir.join(format!("{stem}_lat.f64")), &p.lats)
}

/// One level as a GeoJSON FeatureCollection of MultiPolygons with properties `i` (feature
/// index) and `code`. Coordinates use Rust's shortest round-trip formatting, so every reader
/// gets the exact `f64` values wangge uses.
fn level_geojson<'a>(regions: impl Iterator<Item = (&'a str, &'a [Vec<Vec<[f64; 2]>>])>) -> String {
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, (code, polygons)) in regions.enumerate() {
        if i > 0 {
            s.push_str(",\n");
        }
        let _ = write!(
            s,
            "{{\"type\":\"Feature\",\"properties\":{{\"i\":{i},\"code\":\"{code}\"}},\
             \"geometry\":{{\"type\":\"MultiPolygon\",\"coordinates\":["
        );
        for (p, rings) in polygons.iter().enumerate() {
            s.push_str(if p > 0 { ",[" } else { "[" });
            for (r, ring) in rings.iter().enumerate() {
                s.push_str(if r > 0 { ",[" } else { "[" });
                for (v, [x, y]) in ring.iter().enumerate() {
                    let _ = write!(s, "{}[{x:?},{y:?}]", if v > 0 { "," } else { "" });
                }
                s.push(']');
            }
            s.push(']');
        }
        s.push_str("]}}");
    }
    s.push_str("\n]}\n");
    s
}

/// The rings of a built region, closed, as plain arrays.
fn raw_rings(region: &wangge::Region) -> wangge::model::geometry::RawMultiPolygon {
    region
        .geometry
        .iter()
        .map(|poly| {
            std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Data

fn gen(o: &Opts) -> Res<()> {
    fs::create_dir_all(&o.data).map_err(|e| format!("{}: {e}", o.data.display()))?;
    let t = Instant::now();
    let (levels, options) = read_levels(&central_manifest());
    let city = City::build(levels, &options).map_err(|e| e.to_string())?;
    let deepest = city.levels().len() - 1;
    let bbox = BBox::of_grids(&city);
    eprintln!(
        "gen: central city, {} regions, built in {:.1} s",
        city.len(),
        t.elapsed().as_secs_f64()
    );
    let grids: Vec<(String, wangge::model::geometry::RawMultiPolygon)> = city
        .level_regions(deepest)
        .map(|(_, r)| (r.code.clone(), raw_rings(r)))
        .collect();
    let text = level_geojson(grids.iter().map(|(c, g)| (c.as_str(), g.as_slice())));
    fs::write(o.data.join("central_grids.geojson"), text).map_err(|e| e.to_string())?;

    let t = Instant::now();
    let vor = voronoi_level(bbox, o.voronoi_cells)?;
    eprintln!(
        "gen: Voronoi partition, {} cells, generated in {:.1} s",
        vor.regions.len(),
        t.elapsed().as_secs_f64()
    );
    let text = level_geojson(
        vor.regions
            .iter()
            .map(|r| (r.code.as_str(), r.geometry.as_slice())),
    );
    fs::write(o.data.join("voronoi.geojson"), text).map_err(|e| e.to_string())?;

    let points = Points::uniform(bbox, o.points, 1);
    write_points(&o.data, "points", &points)?;
    let mut order: Vec<u32> = (0..points.len() as u32).collect();
    order.sort_by_key(|&i| {
        let i = i as usize;
        (hilbert_key(bbox, points.lons[i], points.lats[i]), i)
    });
    write_u32(&o.data.join("points_hilbert.u32"), &order)?;
    let assets = Points::clustered(BBox::WUHAN_CENTRAL, o.assets, 20_000, 300.0, 3);
    write_points(&o.data, "assets", &assets)?;
    let queries = Points::uniform(BBox::WUHAN_CENTRAL, o.queries, 4);
    write_points(&o.data, "queries", &queries)?;
    let meta = format!(
        "{{\"points\":{},\"assets\":{},\"queries\":{},\"voronoi_cells_target\":{},\
         \"voronoi_cells\":{},\"central_grids\":{},\"central_regions\":{},\
         \"bbox\":[{:?},{:?},{:?},{:?}]}}\n",
        points.len(),
        assets.len(),
        queries.len(),
        o.voronoi_cells,
        vor.regions.len(),
        grids.len(),
        city.len(),
        bbox.min_lon,
        bbox.min_lat,
        bbox.max_lon,
        bbox.max_lat
    );
    fs::write(o.data.join("meta.json"), meta).map_err(|e| e.to_string())?;
    eprintln!("gen: data written to {}", o.data.display());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Timing

/// One timed task: the seconds of every repetition.
struct Record {
    task: String,
    n: usize,
    secs: Vec<f64>,
    note: String,
}

fn timed<T>(reps: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut secs = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        let v = std::hint::black_box(f());
        secs.push(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    (secs, last.expect("reps ≥ 1"))
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn records_json(records: &[Record]) -> String {
    let mut s = String::from("[\n");
    for (i, r) in records.iter().enumerate() {
        let secs: Vec<String> = r.secs.iter().map(|x| format!("{x:?}")).collect();
        let _ = write!(
            s,
            "{}{{\"contender\":\"wangge\",\"task\":\"{}\",\"n\":{},\"secs\":[{}],\"note\":\"{}\"}}",
            if i > 0 { ",\n" } else { "" },
            r.task,
            r.n,
            secs.join(","),
            r.note.replace('"', "'")
        );
    }
    s.push_str("\n]\n");
    s
}

// ---------------------------------------------------------------------------------------------
// Run

fn read_geojson_level(path: &Path, level: &str) -> Res<LevelInput> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let props = PropertyNames {
        code: "code".into(),
        name: None,
        parent: None,
    };
    let regions = read_level(
        &path.display().to_string(),
        &text,
        level,
        &props,
        Crs::Wgs84,
        &Default::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(LevelInput {
        name: level.into(),
        regions,
    })
}

/// Region id → feature index of the file (by code), or -1 for regions not in the file.
fn feature_index(city: &City, file: &LevelInput) -> Res<Vec<i32>> {
    let by_code: HashMap<&str, i32> = file
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i as i32))
        .collect();
    let map: Vec<i32> = city
        .regions()
        .iter()
        .map(|r| by_code.get(r.code.as_str()).copied().unwrap_or(-1))
        .collect();
    let found = map.iter().filter(|&&i| i >= 0).count();
    if found != file.regions.len() {
        return Err(format!(
            "the city has {found} of the {} regions of the file",
            file.regions.len()
        ));
    }
    Ok(map)
}

/// Times locate on one partition (random order, Hilbert order, both on the rayon pool) and
/// returns the answers for the random order as feature indices.
fn time_locate(
    o: &Opts,
    name: &str,
    city: &City,
    map: &[i32],
    points: &Points,
    order: &[u32],
    records: &mut Vec<Record>,
) -> Res<Vec<i32>> {
    let n = points.len();
    let sorted = Points {
        lons: order.iter().map(|&i| points.lons[i as usize]).collect(),
        lats: order.iter().map(|&i| points.lats[i as usize]).collect(),
    };
    let locate = |p: &Points| city.locate_many(&p.lons, &p.lats).expect("equal lengths");
    let par = |p: &Points| {
        city.locate_many_parallel(&p.lons, &p.lats)
            .expect("equal lengths")
    };
    let (secs, random_ids) = timed(o.reps, || locate(points));
    records.push(Record {
        task: format!("{name}_locate_random"),
        n,
        secs,
        note: "City::locate_many, 1 thread".into(),
    });
    let (secs, sorted_ids) = timed(o.reps, || locate(&sorted));
    records.push(Record {
        task: format!("{name}_locate_sorted"),
        n,
        secs,
        note: "City::locate_many, 1 thread, input in Hilbert order (sort not timed)".into(),
    });
    let threads = rayon_threads();
    let (secs, par_ids) = timed(o.reps, || par(points));
    records.push(Record {
        task: format!("{name}_locate_parallel_random"),
        n,
        secs,
        note: format!("City::locate_many_parallel, {threads} threads"),
    });
    let (secs, par_sorted) = timed(o.reps, || par(&sorted));
    records.push(Record {
        task: format!("{name}_locate_parallel_sorted"),
        n,
        secs,
        note: format!("City::locate_many_parallel, {threads} threads, Hilbert order"),
    });
    // The four runs must agree point for point.
    for (k, &i) in order.iter().enumerate() {
        let i = i as usize;
        if sorted_ids[k] != random_ids[i] || par_sorted[k] != random_ids[i] {
            return Err(format!(
                "{name}: sorted and random answers differ at point {i}"
            ));
        }
    }
    if par_ids != random_ids {
        return Err(format!("{name}: parallel and serial answers differ"));
    }
    // The full chain (every level's owner) from the leaf ids: parent pointers, no geometry.
    let levels = city.levels().len();
    let (secs, _) = timed(o.reps, || {
        let ids = locate(points);
        city.owners_by_level(&ids)
    });
    records.push(Record {
        task: format!("{name}_locate_chain_random"),
        n,
        secs,
        note: format!("locate_many + the owner at each of the {levels} levels, 1 thread"),
    });
    Ok(random_ids
        .iter()
        .map(|&id| if id == NO_OWNER { -1 } else { map[id as usize] })
        .collect())
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn run(o: &Opts) -> Res<()> {
    fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    let mut records = Vec::new();
    let points = read_points(&o.data, "points")?;
    let order = read_u32(&o.data.join("points_hilbert.u32"))?;

    // Central Wuhan: the manifest's full hierarchy; the file holds its grid level.
    let (levels, options) = read_levels(&central_manifest());
    let file = read_geojson_level(&o.data.join("central_grids.geojson"), "grid")?;
    let (secs, city) = timed(1, || City::build(levels.clone(), &options));
    let city = city.map_err(|e| e.to_string())?;
    records.push(Record {
        task: "central_build".into(),
        n: city.len(),
        secs,
        note: "City::build, all levels, every check (validity, areas, parents) + index".into(),
    });
    let fast = BuildOptions {
        check_validity: false,
        ..options.clone()
    };
    let (secs, _) = timed(1, || City::build(levels.clone(), &fast));
    records.push(Record {
        task: "central_build_novalidity".into(),
        n: city.len(),
        secs,
        note: "City::build with check_validity = false".into(),
    });
    drop(levels);
    let map = feature_index(&city, &file)?;
    let owners = time_locate(o, "central", &city, &map, &points, &order, &mut records)?;
    write_i32(&o.out.join("wangge_central.i32"), &owners)?;
    // The level of each point's owner (-1: none), to explain disagreements at the grid level.
    let ids = city
        .locate_many(&points.lons, &points.lats)
        .expect("lengths");
    let lv: Vec<i32> = ids
        .iter()
        .map(|&id| {
            if id == NO_OWNER {
                -1
            } else {
                city.region(wangge::RegionId(id)).level as i32
            }
        })
        .collect();
    write_i32(&o.out.join("wangge_central_level.i32"), &lv)?;
    drop(city);

    // The Voronoi partition.
    let vor = read_geojson_level(&o.data.join("voronoi.geojson"), "cell")?;
    let (secs, city) = timed(1, || City::build(vec![vor.clone()], &voronoi_options()));
    let city = city.map_err(|e| e.to_string())?;
    records.push(Record {
        task: "voronoi_build".into(),
        n: city.len(),
        secs,
        note: "City::build, every check + index".into(),
    });
    let map = feature_index(&city, &vor)?;
    let owners = time_locate(o, "voronoi", &city, &map, &points, &order, &mut records)?;
    write_i32(&o.out.join("wangge_voronoi.i32"), &owners)?;
    drop(city);

    // Nearest.
    let assets = read_points(&o.data, "assets")?;
    let queries = read_points(&o.data, "queries")?;
    let (secs, index) = timed(o.reps.min(3), || {
        PointIndex::new(&assets.lons, &assets.lats)
    });
    let index = index.map_err(|e| e.to_string())?;
    records.push(Record {
        task: "knn_build".into(),
        n: assets.len(),
        secs,
        note: "PointIndex::new".into(),
    });
    for k in [1usize, 8] {
        let one = |range: std::ops::Range<usize>| {
            let mut idx = Vec::with_capacity(range.len() * k);
            let mut dist = Vec::with_capacity(range.len() * k);
            for q in range {
                let found = index.nearest(queries.lons[q], queries.lats[q], k, None, |_| true);
                for j in 0..k {
                    let nb = found.get(j);
                    idx.push(nb.map_or(-1, |n| n.index as i32));
                    dist.push(nb.map_or(f64::NAN, |n| n.distance_m));
                }
            }
            (idx, dist)
        };
        let (secs, (idx, dist)) = timed(o.reps.min(3), || one(0..queries.len()));
        records.push(Record {
            task: format!("knn{k}"),
            n: queries.len(),
            secs,
            note: "PointIndex::nearest, exact geodesic (WGS84), 1 thread".into(),
        });
        let threads = rayon_threads();
        let (secs, _) = timed(o.reps.min(3), || {
            let q = queries.len();
            let chunk = q.div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let r = (t * chunk).min(q)..((t + 1) * chunk).min(q);
                        s.spawn(move || one(r))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .collect::<Vec<_>>()
            })
        });
        records.push(Record {
            task: format!("knn{k}_parallel"),
            n: queries.len(),
            secs,
            note: format!("PointIndex::nearest on {threads} threads"),
        });
        write_i32(&o.out.join(format!("wangge_knn{k}_idx.i32")), &idx)?;
        write_f64(&o.out.join(format!("wangge_knn{k}_dist.f64")), &dist)?;
    }
    fs::write(o.out.join("wangge.json"), records_json(&records)).map_err(|e| e.to_string())?;
    for r in &records {
        eprintln!(
            "wangge {:32} n={:>9} median {:>9.4} s  {:>8.2} M/s",
            r.task,
            r.n,
            median(&r.secs),
            r.n as f64 / median(&r.secs) / 1e6
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Profile

/// Builds one partition, then loops `locate_many` over the points for `--seconds`. With
/// `--perf-ctl FIFO` it writes `enable` to perf's control FIFO first, so a
/// `perf record --control=fifo:FIFO -D -1` sees only the locate loop.
fn profile(o: &Opts) -> Res<()> {
    if let Some(k) = o.partition.strip_prefix("knn") {
        let k: usize = k.parse().map_err(|e| format!("--partition knnK: {e}"))?;
        return profile_knn(o, k);
    }
    let city = match o.partition.as_str() {
        "central" => {
            let (levels, options) = read_levels(&central_manifest());
            City::build(levels, &options).map_err(|e| e.to_string())?
        }
        "voronoi" => {
            let vor = read_geojson_level(&o.data.join("voronoi.geojson"), "cell")?;
            City::build(vec![vor], &voronoi_options()).map_err(|e| e.to_string())?
        }
        other => return Err(format!("--partition {other}: central, voronoi or knnK")),
    };
    let mut points = read_points(&o.data, "points")?;
    if o.order == "sorted" {
        let order = read_u32(&o.data.join("points_hilbert.u32"))?;
        points = Points {
            lons: order.iter().map(|&i| points.lons[i as usize]).collect(),
            lats: order.iter().map(|&i| points.lats[i as usize]).collect(),
        };
    }
    perf_enable(o)?;
    let t = Instant::now();
    let mut batches = 0usize;
    while t.elapsed().as_secs_f64() < o.seconds {
        std::hint::black_box(
            city.locate_many(&points.lons, &points.lats)
                .expect("lengths"),
        );
        batches += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "profile: {batches} batches of {} points in {secs:.1} s, {:.2} M points/s",
        points.len(),
        (batches * points.len()) as f64 / secs / 1e6
    );
    Ok(())
}

/// Tells perf (through its control FIFO, when given) to start recording.
fn perf_enable(o: &Opts) -> Res<()> {
    if let Some(ctl) = &o.perf_ctl {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(ctl)
            .map_err(|e| format!("{}: {e}", ctl.display()))?;
        f.write_all(b"enable\n").map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Builds the asset index, then loops k-NN queries for `--seconds` (`--partition knnK`).
fn profile_knn(o: &Opts, k: usize) -> Res<()> {
    let assets = read_points(&o.data, "assets")?;
    let queries = read_points(&o.data, "queries")?;
    let index = PointIndex::new(&assets.lons, &assets.lats).map_err(|e| e.to_string())?;
    perf_enable(o)?;
    let t = Instant::now();
    let mut done = 0usize;
    while t.elapsed().as_secs_f64() < o.seconds {
        for q in 0..queries.len() {
            let found = index.nearest(queries.lons[q], queries.lats[q], k, None, |_| true);
            std::hint::black_box(found);
        }
        done += queries.len();
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "profile: {done} k={k} queries in {secs:.1} s, {:.2} µs per query",
        secs / done as f64 * 1e6
    );
    Ok(())
}
