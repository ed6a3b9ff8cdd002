//! Shared fixtures for the wangge benchmarks: the two bundled Wuhan cities, seeded random query
//! points (and the same points sorted along a Hilbert curve), and seeded clustered assets.
//!
//! Everything is deterministic (ChaCha8 with fixed seeds), so two runs measure the same inputs.
//! The cities are built at most once per bench binary ([`jianghan`], [`central`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;
use wangge::io::manifest::Manifest;
use wangge::synth::{generate_children, GenerateSpec};
use wangge::{BuildOptions, City, CodeScheme, LevelInput, RegionInput};

/// Whether the binary runs as a benchmark: `cargo bench` passes `--bench`; `cargo test
/// --benches` (criterion's test mode, which runs each bench once) does not.
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `n` when benchmarking, `n / 100` (at least 1) in test mode, so that `cargo test --benches`
/// only checks that every bench runs instead of generating millions of points.
pub fn scaled(n: usize) -> usize {
    if bench_mode() {
        n
    } else {
        (n / 100).max(1)
    }
}

/// The workspace's `data/` directory.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

/// The demo city's manifest, `data/wuhan.toml`: 13 real districts, 江汉区 nested down to about
/// 2.9k synthetic unit grids.
pub fn jianghan_manifest() -> PathBuf {
    data_dir().join("wuhan.toml")
}

/// The benchmark city's manifest, `data/wuhan_central.toml`: the seven central districts nested
/// down to about 100k synthetic unit grids.
pub fn central_manifest() -> PathBuf {
    data_dir().join("wuhan_central.toml")
}

/// Reads (and generates) the levels of a manifest, ready for [`City::build`], with the
/// manifest's build options.
///
/// # Panics
/// When the manifest cannot be read; the bundled manifests always can.
pub fn read_levels(manifest: &Path) -> (Vec<LevelInput>, wangge::BuildOptions) {
    let m = Manifest::load(manifest)
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", manifest.display()));
    let base = manifest.parent().unwrap_or(Path::new("."));
    let levels = m
        .read_levels(base)
        .unwrap_or_else(|e| panic!("cannot read the levels of {}: {e}", manifest.display()));
    (levels, m.build_options())
}

/// Builds a city from a manifest and reports on stderr how long it took and how many regions
/// it has.
///
/// # Panics
/// When the city cannot be built; the bundled manifests always can.
pub fn load_city(manifest: &Path) -> City {
    let start = Instant::now();
    let city = City::from_manifest(manifest)
        .unwrap_or_else(|e| panic!("cannot build {}: {e}", manifest.display()));
    let deepest = city.levels().len() - 1;
    eprintln!(
        "fixture: {} built in {:.2} s ({} regions, {} at level {:?})",
        manifest.display(),
        start.elapsed().as_secs_f64(),
        city.len(),
        city.level_regions(deepest).count(),
        city.levels()[deepest],
    );
    city
}

/// The demo city (`data/wuhan.toml`), built on first use and shared by the whole bench binary.
pub fn jianghan() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| load_city(&jianghan_manifest()))
}

/// The benchmark city (`data/wuhan_central.toml`, about 100k grids, a few seconds to build),
/// built on first use and shared by the whole bench binary.
pub fn central() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| load_city(&central_manifest()))
}

/// A Voronoi partition of `bbox` into about `cells` cells (the core's generator: jittered
/// lattice, Voronoi, clipping, snapping), as one level named "cell" with free-form codes.
pub fn voronoi_level(bbox: BBox, cells: usize) -> Result<LevelInput, String> {
    let (x0, y0, x1, y1) = (bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat);
    let parent = RegionInput {
        code: "V".into(),
        name: "rectangle".into(),
        parent: None,
        geometry: vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]],
    };
    // The generator's spherical metres per degree (mean radius 6 371 008.8 m).
    let m_per_deg = 6_371_008.8 * std::f64::consts::PI / 180.0;
    let mid = (0.5 * (y0 + y1)).to_radians().cos();
    let area = (x1 - x0) * mid * (y1 - y0) * m_per_deg * m_per_deg;
    let spec = GenerateSpec::new(area / cells as f64);
    let regions = generate_children("rectangle", &[parent], &spec).map_err(|e| e.to_string())?;
    Ok(LevelInput {
        name: "cell".into(),
        regions,
    })
}

/// Build options of a [`voronoi_level`] city: free-form codes, every other check on.
pub fn voronoi_options() -> BuildOptions {
    BuildOptions {
        code_scheme: CodeScheme::Free,
        ..BuildOptions::default()
    }
}

/// A one-level city of about `cells` Voronoi cells over the central city's grid box (the
/// box is fixed, so more cells means smaller cells, as a denser city would have).
///
/// # Panics
/// When generation or the build fails; they do not on this box.
pub fn voronoi_city(cells: usize) -> City {
    let start = Instant::now();
    let bbox = BBox {
        min_lon: 114.119,
        min_lat: 30.337,
        max_lon: 114.636,
        max_lat: 30.701,
    };
    let level = voronoi_level(bbox, cells).unwrap_or_else(|e| panic!("voronoi {cells}: {e}"));
    let city = City::build(vec![level], &voronoi_options())
        .unwrap_or_else(|e| panic!("voronoi {cells}: {e}"));
    eprintln!(
        "fixture: voronoi partition of {} cells generated and built in {:.2} s",
        city.len(),
        start.elapsed().as_secs_f64()
    );
    city
}

/// An axis-aligned box in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Western edge, degrees of longitude.
    pub min_lon: f64,
    /// Southern edge, degrees of latitude.
    pub min_lat: f64,
    /// Eastern edge, degrees of longitude.
    pub max_lon: f64,
    /// Northern edge, degrees of latitude.
    pub max_lat: f64,
}

impl BBox {
    /// Roughly the seven central districts of Wuhan (WGS84): where the synthetic assets live.
    pub const WUHAN_CENTRAL: BBox = BBox {
        min_lon: 114.13,
        min_lat: 30.44,
        max_lon: 114.62,
        max_lat: 30.73,
    };

    /// The bounding box of every region of one level of `city` (outer rings only).
    ///
    /// # Panics
    /// When the level has no region.
    pub fn of_level(city: &City, level: usize) -> BBox {
        let mut b = BBox {
            min_lon: f64::INFINITY,
            min_lat: f64::INFINITY,
            max_lon: f64::NEG_INFINITY,
            max_lat: f64::NEG_INFINITY,
        };
        for (_, region) in city.level_regions(level) {
            for polygon in region.geometry.iter() {
                for c in polygon.exterior().coords() {
                    b.min_lon = b.min_lon.min(c.x);
                    b.min_lat = b.min_lat.min(c.y);
                    b.max_lon = b.max_lon.max(c.x);
                    b.max_lat = b.max_lat.max(c.y);
                }
            }
        }
        assert!(b.min_lon <= b.max_lon, "level {level} has no region");
        b
    }

    /// The bounding box of the deepest level (the unit grids): where the queries are drawn.
    pub fn of_grids(city: &City) -> BBox {
        BBox::of_level(city, city.levels().len() - 1)
    }
}

/// Points as two parallel coordinate arrays (WGS84 degrees), the shape `locate_many` and
/// `PointIndex::new` take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Points {
    /// Longitudes.
    pub lons: Vec<f64>,
    /// Latitudes.
    pub lats: Vec<f64>,
}

impl Points {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.lons.len()
    }

    /// Whether there is no point.
    pub fn is_empty(&self) -> bool {
        self.lons.is_empty()
    }

    /// `n` points uniformly distributed in lon/lat over `bbox`.
    pub fn uniform(bbox: BBox, n: usize, seed: u64) -> Points {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut p = Points {
            lons: Vec::with_capacity(n),
            lats: Vec::with_capacity(n),
        };
        for _ in 0..n {
            p.lons.push(rng.random_range(bbox.min_lon..bbox.max_lon));
            p.lats.push(rng.random_range(bbox.min_lat..bbox.max_lat));
        }
        p
    }

    /// `n` points in `clusters` Gaussian clusters (standard deviation `sigma_m` metres) whose
    /// centres are uniform over `bbox`, like street furniture crowding along streets and
    /// estates. Points are not clipped to `bbox`.
    pub fn clustered(bbox: BBox, n: usize, clusters: usize, sigma_m: f64, seed: u64) -> Points {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = Points::uniform(bbox, clusters.max(1), seed ^ 0x9e37_79b9_7f4a_7c15);
        let mid_lat = 0.5 * (bbox.min_lat + bbox.max_lat);
        let sigma_lat = sigma_m / 111_000.0;
        let sigma_lon = sigma_lat / mid_lat.to_radians().cos();
        let mut p = Points {
            lons: Vec::with_capacity(n),
            lats: Vec::with_capacity(n),
        };
        for _ in 0..n {
            let c = rng.random_range(0..centres.len());
            // Box–Muller: two independent standard normal deviates.
            let u: f64 = 1.0 - rng.random_range(0.0..1.0); // in (0, 1], so ln(u) is finite
            let v: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let r = (-2.0 * u.ln()).sqrt();
            p.lons.push(centres.lons[c] + sigma_lon * r * v.cos());
            p.lats.push(centres.lats[c] + sigma_lat * r * v.sin());
        }
        p
    }

    /// The same points reordered along a Hilbert curve over `bbox` (16 bits per axis), so that
    /// consecutive points are close together: the best case for the caches of a batch query.
    pub fn hilbert_sorted(&self, bbox: BBox) -> Points {
        let mut keyed: Vec<(u32, u32)> = (0..self.len())
            .map(|i| (hilbert_key(bbox, self.lons[i], self.lats[i]), i as u32))
            .collect();
        keyed.sort_unstable();
        Points {
            lons: keyed.iter().map(|&(_, i)| self.lons[i as usize]).collect(),
            lats: keyed.iter().map(|&(_, i)| self.lats[i as usize]).collect(),
        }
    }

    /// The points `keep` accepts, in order.
    pub fn filter(&self, keep: impl Fn(f64, f64) -> bool) -> Points {
        let mut p = Points::default();
        for (&lon, &lat) in self.lons.iter().zip(&self.lats) {
            if keep(lon, lat) {
                p.lons.push(lon);
                p.lats.push(lat);
            }
        }
        p
    }
}

/// Position of (lon, lat) along the order-16 Hilbert curve over `bbox` (points outside are
/// clamped to its edge).
pub fn hilbert_key(bbox: BBox, lon: f64, lat: f64) -> u32 {
    const SIDE: u32 = 1 << 16;
    let cell = |v: f64, lo: f64, hi: f64| -> u32 {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        ((t * SIDE as f64) as u32).min(SIDE - 1)
    };
    let (mut x, mut y) = (
        cell(lon, bbox.min_lon, bbox.max_lon),
        cell(lat, bbox.min_lat, bbox.max_lat),
    );
    let mut d: u64 = 0;
    let mut s = SIDE / 2;
    while s > 0 {
        let rx = u32::from(x & s != 0);
        let ry = u32::from(y & s != 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = SIDE - 1 - x;
                y = SIDE - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    // 2 × 16 bits: the largest key is 2^32 − 1.
    d as u32
}

/// Where a set of points lands in `city`: how many are owned by a region of the deepest level,
/// by a region of a level above (a gap or outside the grids), or by no region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OwnerMix {
    /// Points owned by a region of the deepest level (a unit grid).
    pub deepest: usize,
    /// Points owned by a region of a level above the deepest.
    pub above: usize,
    /// Points with no owner.
    pub none: usize,
}

impl OwnerMix {
    /// Counts the owners of `points` in `city`.
    pub fn of(city: &City, points: &Points) -> OwnerMix {
        let deepest = city.levels().len() - 1;
        let mut mix = OwnerMix::default();
        for (&lon, &lat) in points.lons.iter().zip(&points.lats) {
            match city.locate(lon, lat) {
                Some(hit) if hit.leaf().level == deepest => mix.deepest += 1,
                Some(_) => mix.above += 1,
                None => mix.none += 1,
            }
        }
        mix
    }
}
