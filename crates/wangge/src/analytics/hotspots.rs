//! Repeat-case hot spots (反复发生案件): cases of one category reported again and again at the
//! same place.
//!
//! # The rule
//!
//! Two cases are **linked** when they have the same category, their points are at most `R`
//! metres apart (geodesic distance on WGS84, Karney's algorithm, [`geodesic_distance_m`]) and
//! their report times are at most `T` days apart (the window is ⌊T × 86 400⌋ seconds; both
//! limits inclusive). A **cluster** is a connected component of the links (single linkage):
//! a chain of reports 40 m and 5 days apart each is one cluster even when its ends are a
//! kilometre and a month apart. Only clusters of at least `min_cases` cases (default 2) are
//! reported; their cases are the **repeat cases**. A case without a category is linked to
//! nothing.
//!
//! # Method
//!
//! The cases are sorted by (category, time) and cut, per category, into **time blocks** of
//! `max(window, 1 s)` seconds counted from the category's first report, so every linked pair
//! lies in one block or in two consecutive ones. Each block gets an exact geodesic
//! [`PointIndex`] (n-vectors in an R-tree, see [`crate::nearest`]). Every case asks its own
//! block (for later cases) and the next block (for cases at most the window later) for the
//! cases within `R` ([`PointIndex::within`]); the time test and "already in the same cluster"
//! run in the query's filter, before any distance is computed. The queries run over the rayon
//! pool in pieces of at most 4,096 cases, each with a small union-find of its own that keeps
//! only the links joining two of its clusters (at most one per case touched); a final
//! union-find over all cases joins the pieces' links. The answer is exactly the connected
//! components of the rule above, whatever the split (the tests compare it with a brute-force
//! scan of every pair). The cost is about one radius query per case plus the cases within `R`
//! in the same two blocks; a spot with thousands of reports within `R` and one window costs
//! more, but the union-find spares the distances of pairs already joined.
//!
//! # What a report holds
//!
//! - each cluster: category, members (input positions and rows/lines), first and last report,
//!   the centroid (mean of the members' ellipsoid normals), the spread (largest distance
//!   from the centroid to a member), the owning region (the deepest region owning most of its
//!   cases, ties by the smaller region id) and, with an asset set, its asset;
//! - a ranking of the regions of **every level** by repeat cases (a case counts in the region
//!   owning its point and every ancestor) then by clusters (a cluster counts in its owning
//!   region and every ancestor);
//! - with an asset set ([`HotspotFinder::with_assets`], or a dispatcher's), a ranking of the
//!   assets (部件): each repeat case whose category is a component class is attributed to the
//!   nearest asset of that class (class prefix as in [`AssetFilter::classes`]) within `R` of
//!   the case, if any; an asset's repeat cases are those attributed to it and its clusters
//!   those where it is the most often attributed asset (ties by the smaller asset position).
//!   Event categories (无照经营游商 …) have no assets and rank regions only.
//!
//! Clusters are ranked by cases (descending), then time span (shorter first), category and
//! first member; their ids are the ranks, from 1.
//!
//! # Input
//!
//! [`HotspotFinder::read_csv`] reads the case table with [`CaseReader`] (the `category` and
//! `reported_at` columns are required: without them, [`Error::MissingColumn`] names the
//! column), under the CSV rules of [`crate::io::csv_input`] (encoding from
//! [`HotspotOptions::csv`]: UTF-8 or GBK/GB18030 detected by default). [`HotspotFinder::find`] takes plain slices (WGS84 points, category ids and names,
//! times), for bindings; [`link_groups`] is the bare clustering.
//!
//! ```
//! use wangge::analytics::hotspots::{HotspotFinder, HotspotOptions};
//! use wangge::prelude::*;
//! let square = vec![vec![vec![[114.25, 30.55], [114.26, 30.55], [114.26, 30.56],
//!     [114.25, 30.56], [114.25, 30.55]]]];
//! let city = City::build(vec![LevelInput { name: "grid".into(), regions: vec![
//!     RegionInput { code: "420103001001001".into(), name: "一号网格".into(), parent: None,
//!                   geometry: square }] }], &BuildOptions::default())?;
//! // Three broken covers 30 m and a few days apart (a chain), one 2 km away, one street
//! // vendor at the same spot (another category).
//! let csv = "lon,lat,category,reported_at\n\
//!            114.2550,30.5550,0103,2025-06-01\n\
//!            114.2553,30.5550,0103,2025-06-05\n\
//!            114.2556,30.5550,0103,2025-06-09\n\
//!            114.2750,30.5550,0103,2025-06-02\n\
//!            114.2550,30.5550,200501,2025-06-01\n";
//! let options = HotspotOptions::new(35.0, 7.0);
//! let report = HotspotFinder::new(&city).read_csv("cases.csv", csv.as_bytes(), &options)?;
//! assert_eq!(report.clusters.len(), 1);
//! let c = &report.clusters[0];
//! assert_eq!((c.category.as_str(), c.rows.as_slice()), ("0103", &[2u64, 3, 4][..]));
//! assert_eq!(city.region(c.region.unwrap()).code, "420103001001001");
//! assert_eq!(report.regions[0][0].repeat_cases, 3);
//! # Ok::<(), wangge::Error>(())
//! ```

use super::cases::{
    CaseChunk, CaseColumns, CaseReader, CaseTable, Column, RowChecker, RowProblem, NONE,
};
use super::time::{format_timestamp, Timestamp};
use crate::assets::{AssetFilter, AssetSet};
use crate::catalog::Catalog;
use crate::crs::{coordinate_problem, Crs};
use crate::dispatch::Dispatcher;
use crate::error::{Error, Result};
use crate::io::csv_input::CsvOptions;
use crate::model::{City, RegionId};
use crate::nearest::{geodesic_distance_m, PointIndex};
use crate::NO_OWNER;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::{json, Value};
use std::io::Read;

/// Seconds in a day.
const DAY_S: f64 = 86_400.0;

/// Cases per parallel piece of the pair search.
const PIECE: usize = 4_096;

/// When two cases of one category are linked: within `radius_m` metres (geodesic) and
/// `days` days of each other (module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linkage {
    radius_m: f64,
    days: f64,
    window_s: i64,
}

fn invalid(name: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::InvalidParameter {
        name: name.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

impl Linkage {
    /// The rule for a radius in metres and a window in days.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `radius_m` is not a finite number > 0 or `days` is not
    /// a finite number ≥ 0.
    pub fn new(radius_m: f64, days: f64) -> Result<Linkage> {
        if !(radius_m.is_finite() && radius_m > 0.0) {
            return Err(invalid(
                "radius_m",
                radius_m,
                "must be a finite number of metres > 0",
            ));
        }
        if !(days.is_finite() && days >= 0.0) {
            return Err(invalid("days", days, "must be a finite number of days ≥ 0"));
        }
        Ok(Linkage {
            radius_m,
            days,
            // `as` saturates: a window of millions of years is simply "always".
            window_s: (days * DAY_S).floor() as i64,
        })
    }

    /// The radius, metres.
    pub fn radius_m(&self) -> f64 {
        self.radius_m
    }

    /// The window, days.
    pub fn days(&self) -> f64 {
        self.days
    }

    /// The window in whole seconds: ⌊days × 86 400⌋.
    pub fn window_s(&self) -> i64 {
        self.window_s
    }

    /// Whether two cases of the same category at (lon, lat, time) are linked: geodesic
    /// distance ≤ radius and |Δt| ≤ window. The definition the clustering implements.
    pub fn links(&self, a: (f64, f64, Timestamp), b: (f64, f64, Timestamp)) -> bool {
        let dt = (i128::from(a.2) - i128::from(b.2)).abs();
        dt <= i128::from(self.window_s) && geodesic_distance_m(a.0, a.1, b.0, b.1) <= self.radius_m
    }
}

/// Union-find over `0..n`: union by size, path halving.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// A union-find over the few elements one piece touches (absent = a singleton root).
#[derive(Default)]
struct SparseUnionFind {
    parent: FxHashMap<u32, u32>,
    size: FxHashMap<u32, u32>,
}

impl SparseUnionFind {
    /// The root, without changing anything (depth stays logarithmic by union by size).
    fn root(&self, mut x: u32) -> u32 {
        while let Some(&p) = self.parent.get(&x) {
            x = p;
        }
        x
    }

    /// Joins the sets of `a` and `b`; false when they were one set already.
    fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut a, mut b) = (self.root(a), self.root(b));
        if a == b {
            return false;
        }
        let size = |s: &FxHashMap<u32, u32>, x: u32| s.get(&x).copied().unwrap_or(1);
        if size(&self.size, a) < size(&self.size, b) {
            std::mem::swap(&mut a, &mut b);
        }
        let total = size(&self.size, a) + size(&self.size, b);
        self.parent.insert(b, a);
        self.size.remove(&b);
        self.size.insert(a, total);
        true
    }
}

/// A run of one category's cases (sorted positions `start..end`) in one time block.
struct Block {
    start: usize,
    end: usize,
    category: u32,
    key: i128,
}

fn length_check(name: &'static str, len: usize, n: usize) -> Result<()> {
    if len == n {
        return Ok(());
    }
    Err(Error::LengthMismatch {
        left_name: "lons",
        left: n,
        right_name: name,
        right: len,
    })
}

/// The clusters of linked cases (module docs) among `n` cases given as WGS84 points, category
/// ids ([`NONE`] = no category: linked to nothing) and report times: each cluster of at least
/// two cases as its members' positions in the input, ascending; clusters ordered by their
/// first member.
///
/// # Errors
/// [`Error::LengthMismatch`] when the slices differ in length; [`Error::InvalidPoint`] for a
/// point that is not finite or out of range (naming its position).
pub fn link_groups(
    lons: &[f64],
    lats: &[f64],
    categories: &[u32],
    times: &[Timestamp],
    linkage: &Linkage,
) -> Result<Vec<Vec<u32>>> {
    link_groups_in_pieces(lons, lats, categories, times, linkage, PIECE)
}

/// [`link_groups`] with pieces of at most `piece` cases (tests use tiny pieces to check that
/// the split does not change the answer).
pub(crate) fn link_groups_in_pieces(
    lons: &[f64],
    lats: &[f64],
    categories: &[u32],
    times: &[Timestamp],
    linkage: &Linkage,
    piece: usize,
) -> Result<Vec<Vec<u32>>> {
    let piece = piece.max(1);
    Error::check_lengths(lons, lats)?;
    let n = lons.len();
    length_check("categories", categories.len(), n)?;
    length_check("times", times.len(), n)?;
    if let Some(i) = (0..n)
        .into_par_iter()
        .find_first(|&i| coordinate_problem(lons[i], lats[i]).is_some() || i > u32::MAX as usize)
    {
        let reason = coordinate_problem(lons[i], lats[i])
            .unwrap_or("index does not fit in u32 (too many cases)");
        return Err(Error::InvalidPoint {
            index: i,
            lon: lons[i],
            lat: lats[i],
            reason: reason.to_string(),
        });
    }
    // Sorted by (category, time, position).
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&i| categories[i as usize] != NONE)
        .collect();
    order.par_sort_unstable_by_key(|&i| (categories[i as usize], times[i as usize], i));
    let slon: Vec<f64> = order.iter().map(|&i| lons[i as usize]).collect();
    let slat: Vec<f64> = order.iter().map(|&i| lats[i as usize]).collect();
    let stime: Vec<Timestamp> = order.iter().map(|&i| times[i as usize]).collect();
    let scat: Vec<u32> = order.iter().map(|&i| categories[i as usize]).collect();

    let window = linkage.window_s;
    let span = i128::from(window.max(1));
    let mut blocks: Vec<Block> = Vec::new();
    let mut t0 = 0i64;
    for p in 0..order.len() {
        if p == 0 || scat[p] != scat[p - 1] {
            t0 = stime[p];
        }
        let key = (i128::from(stime[p]) - i128::from(t0)) / span;
        match blocks.last_mut() {
            Some(b) if b.category == scat[p] && b.key == key => b.end = p + 1,
            _ => blocks.push(Block {
                start: p,
                end: p + 1,
                category: scat[p],
                key,
            }),
        }
    }
    let indexes: Vec<PointIndex> = blocks
        .par_iter()
        .map(|b| PointIndex::new(&slon[b.start..b.end], &slat[b.start..b.end]))
        .collect::<Result<_>>()?;
    // (block, next block if it is the adjacent one, piece of the block's positions)
    let mut pieces = Vec::new();
    for (bi, b) in blocks.iter().enumerate() {
        let next = blocks
            .get(bi + 1)
            .filter(|c| c.category == b.category && c.key == b.key + 1)
            .map(|_| bi + 1);
        let mut s = b.start;
        while s < b.end {
            let e = (s + piece).min(b.end);
            pieces.push((bi, next, s, e));
            s = e;
        }
    }
    let radius = linkage.radius_m;
    let edges: Vec<(u32, u32)> = pieces
        .par_iter()
        .flat_map_iter(|&(bi, next, s, e)| {
            let mut uf = SparseUnionFind::default();
            let mut edges = Vec::new();
            let block = &blocks[bi];
            for p in s..e {
                let p32 = p as u32;
                // Later cases of the same block: all within the window.
                let root = uf.root(p32);
                let hits = indexes[bi].within(slon[p], slat[p], radius, |j| {
                    let q = block.start + j as usize;
                    q > p && uf.root(q as u32) != root
                });
                for h in hits {
                    let q = (block.start + h.index as usize) as u32;
                    if uf.union(p32, q) {
                        edges.push((p32, q));
                    }
                }
                // Cases of the next block at most the window later.
                if let Some(ni) = next {
                    let nb = &blocks[ni];
                    let limit = stime[p].saturating_add(window);
                    let root = uf.root(p32);
                    let hits = indexes[ni].within(slon[p], slat[p], radius, |j| {
                        let q = nb.start + j as usize;
                        stime[q] <= limit && uf.root(q as u32) != root
                    });
                    for h in hits {
                        let q = (nb.start + h.index as usize) as u32;
                        if uf.union(p32, q) {
                            edges.push((p32, q));
                        }
                    }
                }
            }
            edges
        })
        .collect();
    let mut uf = UnionFind::new(order.len());
    for (a, b) in edges {
        uf.union(a, b);
    }
    let mut by_root: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for p in 0..order.len() as u32 {
        let r = uf.find(p);
        if uf.size[r as usize] >= 2 {
            by_root.entry(r).or_default().push(order[p as usize]);
        }
    }
    let mut groups: Vec<Vec<u32>> = by_root.into_values().collect();
    groups.par_iter_mut().for_each(|g| g.sort_unstable());
    groups.sort_unstable_by_key(|g| g[0]);
    Ok(groups)
}

/// Cases given as plain slices (for bindings): WGS84 points, category ids into
/// `category_names` ([`NONE`] = none), report times, and optionally a row label of each case
/// (e.g. its line in a file; default: its position).
#[derive(Debug, Clone, Copy)]
pub struct CaseSlices<'a> {
    /// Longitudes, WGS84.
    pub lons: &'a [f64],
    /// Latitudes, WGS84.
    pub lats: &'a [f64],
    /// Category ids.
    pub categories: &'a [u32],
    /// Category codes by id.
    pub category_names: &'a [String],
    /// Report times ([`super::time`]).
    pub times: &'a [Timestamp],
    /// Row labels (`None`: positions 0, 1, …).
    pub rows: Option<&'a [u64]>,
}

/// How to read a case table for hot spots.
#[derive(Debug, Clone)]
pub struct HotspotOptions {
    /// Radius, metres (> 0).
    pub radius_m: f64,
    /// Window, days (≥ 0).
    pub days: f64,
    /// Smallest cluster reported (≥ 2).
    pub min_cases: usize,
    /// Column names.
    pub columns: CaseColumns,
    /// CRS of the case coordinates.
    pub crs: Crs,
    /// Collect bad rows and go on (`true`) or stop at the first ([`Error::BadRow`]).
    pub skip_invalid: bool,
    /// Rows per chunk read.
    pub chunk_rows: usize,
    /// How to read a CSV file: encoding (detected by default) and record length limit.
    pub csv: CsvOptions,
}

impl HotspotOptions {
    /// Radius and window; clusters of 2 or more, default columns, WGS84, stop at a bad row.
    pub fn new(radius_m: f64, days: f64) -> Self {
        HotspotOptions {
            radius_m,
            days,
            min_cases: 2,
            columns: CaseColumns::default(),
            crs: Crs::Wgs84,
            skip_invalid: false,
            chunk_rows: 1 << 18,
            csv: CsvOptions::default(),
        }
    }
}

/// One repeat-case cluster (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Rank, from 1.
    pub id: u32,
    /// Category code.
    pub category: String,
    /// Members: positions in the input (case order of the table), ascending.
    pub members: Vec<u32>,
    /// Members' rows: file lines (header = line 1) from a CSV, else the row labels given.
    pub rows: Vec<u64>,
    /// Members' points (lon, lat), WGS84, in member order.
    pub points: Vec<[f64; 2]>,
    /// First report.
    pub first: Timestamp,
    /// Last report.
    pub last: Timestamp,
    /// Centroid longitude, WGS84 (mean of the members' ellipsoid normals).
    pub lon: f64,
    /// Centroid latitude, WGS84.
    pub lat: f64,
    /// Largest geodesic distance from the centroid to a member, metres.
    pub spread_m: f64,
    /// The deepest region owning most of the members (ties: smaller id); `None` when no member
    /// lies in the city.
    pub region: Option<RegionId>,
    /// The asset most often attributed to the members (position in [`AssetSet::assets`]).
    pub asset: Option<u32>,
}

impl Cluster {
    /// Number of cases.
    pub fn len(&self) -> usize {
        self.members.len()
    }
    /// Always false (a cluster has at least `min_cases` ≥ 2 cases).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// Repeat figures of one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionRepeats {
    /// The region.
    pub region: RegionId,
    /// Repeat cases in it (its own and its descendants').
    pub repeat_cases: u64,
    /// Clusters owned by it or a descendant.
    pub clusters: u64,
}

/// Repeat figures of one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetRepeats {
    /// Position in [`AssetSet::assets`].
    pub asset: u32,
    /// Repeat cases attributed to it.
    pub repeat_cases: u64,
    /// Clusters whose asset it is.
    pub clusters: u64,
}

/// Everything a hot-spot run found.
#[derive(Debug, Clone)]
pub struct HotspotReport {
    /// The rule used.
    pub linkage: Linkage,
    /// Smallest cluster reported.
    pub min_cases: usize,
    /// Data rows read (good and bad) or cases given.
    pub rows: u64,
    /// Cases considered (good rows).
    pub cases: usize,
    /// Cases in reported clusters.
    pub repeat_cases: u64,
    /// Repeat cases no region owns.
    pub outside_repeat_cases: u64,
    /// Clusters, ranked (module docs).
    pub clusters: Vec<Cluster>,
    /// Per level (top first): regions with repeat cases, ranked by repeat cases, then
    /// clusters, then code.
    pub regions: Vec<Vec<RegionRepeats>>,
    /// With an asset set: assets with attributed repeat cases, ranked by repeat cases, then
    /// clusters, then id. `None` without an asset set.
    pub assets: Option<Vec<AssetRepeats>>,
    /// Category codes by id.
    pub categories: Vec<String>,
    /// Bad rows left out (with `skip_invalid`).
    pub problems: Vec<RowProblem>,
}

/// Finds hot spots in a city, optionally checking categories against a code table and
/// attributing repeats to assets.
#[derive(Debug, Clone, Copy)]
pub struct HotspotFinder<'a> {
    city: &'a City,
    catalog: Option<&'a Catalog>,
    assets: Option<&'a AssetSet>,
}

/// What hot spots need, as [`HotspotFinder::read_csv`] and [`HotspotFinder::read_table`]
/// (and their errors) name it.
const NEEDED: &str = "repeat-case hot spots (反复发生案件)";

/// The checked cases of every chunk, in WGS84, as the slices [`HotspotFinder::find`] takes.
#[derive(Default)]
struct Gathered {
    lons: Vec<f64>,
    lats: Vec<f64>,
    categories: Vec<u32>,
    times: Vec<Timestamp>,
    rows: Vec<u64>,
}

impl Gathered {
    /// Adds a chunk's cases converted from `crs`, naming each by `row_of` (file lines or row
    /// positions). A missing time is a bad row when the column is present, so every case kept
    /// by the row check has one.
    fn add(
        &mut self,
        city: &City,
        crs: Crs,
        mut chunk: CaseChunk,
        row_of: impl Fn(&CaseChunk) -> &Vec<u64>,
    ) -> Result<()> {
        city.converter()
            .to_wgs84_in_place(crs, &mut chunk.lons, &mut chunk.lats)?;
        for (i, t) in chunk.reported_at.iter().enumerate() {
            let Some(t) = t else { continue };
            self.lons.push(chunk.lons[i]);
            self.lats.push(chunk.lats[i]);
            self.categories.push(chunk.categories[i]);
            self.times.push(*t);
            self.rows.push(row_of(&chunk)[i]);
        }
        Ok(())
    }

    fn slices<'s>(&'s self, category_names: &'s [String]) -> CaseSlices<'s> {
        CaseSlices {
            lons: &self.lons,
            lats: &self.lats,
            categories: &self.categories,
            category_names,
            times: &self.times,
            rows: Some(&self.rows),
        }
    }
}

impl<'a> HotspotFinder<'a> {
    /// Regions only; categories are not checked.
    pub fn new(city: &'a City) -> Self {
        HotspotFinder {
            city,
            catalog: None,
            assets: None,
        }
    }

    /// Unknown categories become bad rows.
    pub fn with_catalog(mut self, catalog: &'a Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Attributes repeat cases to the nearest asset of their class (module docs).
    pub fn with_assets(mut self, assets: &'a AssetSet) -> Self {
        self.assets = Some(assets);
        self
    }

    /// The dispatcher's city, code table and assets.
    pub fn from_dispatcher(d: &'a Dispatcher) -> Self {
        HotspotFinder {
            city: d.city(),
            catalog: Some(d.catalog()),
            assets: Some(d.assets()),
        }
    }

    /// The city.
    pub fn city(&self) -> &'a City {
        self.city
    }

    /// The asset set, if any.
    pub fn assets(&self) -> Option<&'a AssetSet> {
        self.assets
    }

    /// Reads a case CSV ([`CaseReader`]) and finds its hot spots. Needs `category` and
    /// `reported_at` columns besides the point.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad radius, window or `min_cases` (before reading);
    /// [`Error::MissingColumn`] naming `category` or `reported_at`; the reader's errors.
    pub fn read_csv<R: Read>(
        &self,
        source_name: &str,
        input: R,
        options: &HotspotOptions,
    ) -> Result<HotspotReport> {
        let linkage = Linkage::new(options.radius_m, options.days)?;
        check_min_cases(options.min_cases)?;
        let mut reader = CaseReader::with_csv_options(
            source_name,
            input,
            &options.columns,
            self.catalog,
            options.skip_invalid,
            &options.csv,
        )?;
        reader.schema().require(Column::Category, NEEDED)?;
        reader.schema().require(Column::ReportedAt, NEEDED)?;
        let mut cases = Gathered::default();
        loop {
            let chunk = reader.next_chunk(options.chunk_rows)?;
            if chunk.is_empty() {
                break;
            }
            cases.add(self.city, options.crs, chunk, |c| &c.lines)?;
        }
        let mut report = self.report(
            &cases.slices(reader.categories().names()),
            &linkage,
            options.min_cases,
        )?;
        report.rows = reader.rows();
        report.problems = reader.problems().to_vec();
        Ok(report)
    }

    /// As [`HotspotFinder::read_csv`] for a table held in memory (columns of a DataFrame):
    /// the same row checks; clusters name their members by row position (from 0).
    /// `options.chunk_rows` is not used.
    pub fn read_table(
        &self,
        table: &CaseTable<'_>,
        options: &HotspotOptions,
    ) -> Result<HotspotReport> {
        let linkage = Linkage::new(options.radius_m, options.days)?;
        check_min_cases(options.min_cases)?;
        let schema = table.schema(&options.columns)?;
        schema.require(Column::Category, NEEDED)?;
        schema.require(Column::ReportedAt, NEEDED)?;
        let mut checker = RowChecker::new(schema, self.catalog, options.skip_invalid);
        let chunk = table.chunk(&mut checker, 0, table.len())?;
        let mut cases = Gathered::default();
        cases.add(self.city, options.crs, chunk, |c| &c.rows)?;
        let mut report = self.report(
            &cases.slices(checker.categories().names()),
            &linkage,
            options.min_cases,
        )?;
        report.rows = checker.rows();
        report.problems = checker.problems().to_vec();
        Ok(report)
    }

    /// Finds the hot spots of cases given as slices (module docs).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `min_cases` < 2 or a category id without a name;
    /// [`Error::LengthMismatch`]; [`Error::InvalidPoint`].
    pub fn find(
        &self,
        cases: &CaseSlices<'_>,
        linkage: &Linkage,
        min_cases: usize,
    ) -> Result<HotspotReport> {
        check_min_cases(min_cases)?;
        self.report(cases, linkage, min_cases)
    }

    fn report(
        &self,
        cases: &CaseSlices<'_>,
        linkage: &Linkage,
        min_cases: usize,
    ) -> Result<HotspotReport> {
        let n = cases.lons.len();
        if let Some(rows) = cases.rows {
            length_check("rows", rows.len(), n)?;
        }
        if let Some((i, &c)) = cases
            .categories
            .iter()
            .enumerate()
            .find(|(_, &c)| c != NONE && c as usize >= cases.category_names.len())
        {
            return Err(invalid(
                "categories",
                c,
                &format!(
                    "category id of case {i} has no name ({} names given)",
                    cases.category_names.len()
                ),
            ));
        }
        let groups = link_groups(
            cases.lons,
            cases.lats,
            cases.categories,
            cases.times,
            linkage,
        )?;
        let groups: Vec<Vec<u32>> = groups
            .into_iter()
            .filter(|g| g.len() >= min_cases)
            .collect();
        // Owners of the repeat cases only.
        let members: Vec<u32> = groups.iter().flatten().copied().collect();
        let (mx, my): (Vec<f64>, Vec<f64>) = members
            .iter()
            .map(|&i| (cases.lons[i as usize], cases.lats[i as usize]))
            .unzip();
        let owners = self.city.locate_many_parallel(&mx, &my)?;
        let attributed = match self.assets {
            Some(assets) => attribute(assets, cases, &members, linkage.radius_m)?,
            None => vec![NONE; members.len()],
        };
        let mut offset = 0;
        let mut clusters: Vec<Cluster> = groups
            .into_iter()
            .map(|g| {
                let range = offset..offset + g.len();
                offset += g.len();
                make_cluster(cases, g, &owners[range.clone()], &attributed[range])
            })
            .collect();
        clusters.sort_by(|a, b| {
            b.len()
                .cmp(&a.len())
                .then((a.last - a.first).cmp(&(b.last - b.first)))
                .then(a.category.cmp(&b.category))
                .then(a.members[0].cmp(&b.members[0]))
        });
        for (rank, c) in clusters.iter_mut().enumerate() {
            c.id = rank as u32 + 1;
        }
        let (regions, outside) = self.rank_regions(&clusters, &owners);
        let assets = self
            .assets
            .map(|set| rank_assets(set, &clusters, &attributed));
        Ok(HotspotReport {
            linkage: *linkage,
            min_cases,
            rows: n as u64,
            cases: n,
            repeat_cases: members.len() as u64,
            outside_repeat_cases: outside,
            clusters,
            regions,
            assets,
            categories: cases.category_names.to_vec(),
            problems: Vec::new(),
        })
    }

    /// Region rankings per level and the repeat cases outside the city. `owners` are the
    /// members' owners in the order the clusters had before ranking, which is the order of
    /// all members; only their counts matter here.
    fn rank_regions(&self, clusters: &[Cluster], owners: &[u32]) -> (Vec<Vec<RegionRepeats>>, u64) {
        let city = self.city;
        let mut cases = vec![0u64; city.len()];
        let mut owned = vec![0u64; city.len()];
        let mut outside = 0;
        for &o in owners {
            if o == NO_OWNER || o as usize >= city.len() {
                outside += 1;
            } else {
                cases[o as usize] += 1;
            }
        }
        for c in clusters {
            if let Some(r) = c.region {
                owned[r.index()] += 1;
            }
        }
        // Parents have smaller ids than their children (ids follow the levels).
        for i in (0..city.len()).rev() {
            if let Some(p) = city.regions()[i].parent {
                cases[p.index()] += cases[i];
                owned[p.index()] += owned[i];
            }
        }
        let ranking = (0..city.levels().len())
            .map(|level| {
                let mut v: Vec<RegionRepeats> = city
                    .level_regions(level)
                    .filter(|(id, _)| cases[id.index()] > 0)
                    .map(|(id, _)| RegionRepeats {
                        region: id,
                        repeat_cases: cases[id.index()],
                        clusters: owned[id.index()],
                    })
                    .collect();
                v.sort_by(|a, b| {
                    b.repeat_cases
                        .cmp(&a.repeat_cases)
                        .then(b.clusters.cmp(&a.clusters))
                        .then(city.region(a.region).code.cmp(&city.region(b.region).code))
                });
                v
            })
            .collect();
        (ranking, outside)
    }
}

fn check_min_cases(min_cases: usize) -> Result<()> {
    if min_cases < 2 {
        return Err(invalid(
            "min_cases",
            min_cases,
            "a repeat needs at least 2 cases",
        ));
    }
    Ok(())
}

/// The nearest asset of each member's class within `radius_m` ([`NONE`] when none), in the
/// order of `members`.
fn attribute(
    assets: &AssetSet,
    cases: &CaseSlices<'_>,
    members: &[u32],
    radius_m: f64,
) -> Result<Vec<u32>> {
    let mut out = vec![NONE; members.len()];
    let mut by_category: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for (k, &i) in members.iter().enumerate() {
        by_category
            .entry(cases.categories[i as usize])
            .or_default()
            .push(k);
    }
    let mut categories: Vec<_> = by_category.into_iter().collect();
    categories.sort_unstable_by_key(|(c, _)| *c);
    for (category, ks) in categories {
        let filter = AssetFilter::classes([cases.category_names[category as usize].as_str()]);
        let (x, y): (Vec<f64>, Vec<f64>) = ks
            .iter()
            .map(|&k| {
                let i = members[k] as usize;
                (cases.lons[i], cases.lats[i])
            })
            .unzip();
        for (point, asset, _) in assets.nearest_many_parallel(&x, &y, 1, Some(radius_m), &filter)? {
            out[ks[point as usize]] = asset;
        }
    }
    Ok(out)
}

/// The most frequent value other than `none` (ties: the smaller), if any.
fn mode(values: &[u32], none: u32) -> Option<u32> {
    let mut v: Vec<u32> = values.iter().copied().filter(|&x| x != none).collect();
    v.sort_unstable();
    let mut best: Option<(usize, u32)> = None;
    for run in v.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(n, _)| run.len() > n) {
            best = Some((run.len(), run[0]));
        }
    }
    best.map(|(_, x)| x)
}

fn n_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (sin_lat, cos_lat) = lat.to_radians().sin_cos();
    let (sin_lon, cos_lon) = lon.to_radians().sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

fn make_cluster(
    cases: &CaseSlices<'_>,
    members: Vec<u32>,
    owners: &[u32],
    assets: &[u32],
) -> Cluster {
    let at = |i: u32| i as usize;
    let mut sum = [0.0f64; 3];
    for &i in &members {
        let v = n_vector(cases.lons[at(i)], cases.lats[at(i)]);
        for k in 0..3 {
            sum[k] += v[k];
        }
    }
    let horizontal = sum[0].hypot(sum[1]);
    let (lon, lat) = if horizontal == 0.0 && sum[2] == 0.0 {
        (cases.lons[at(members[0])], cases.lats[at(members[0])])
    } else {
        (
            sum[1].atan2(sum[0]).to_degrees(),
            sum[2].atan2(horizontal).to_degrees(),
        )
    };
    let spread_m = members
        .iter()
        .map(|&i| geodesic_distance_m(lon, lat, cases.lons[at(i)], cases.lats[at(i)]))
        .fold(0.0, f64::max);
    let times = members.iter().map(|&i| cases.times[at(i)]);
    let first = times.clone().min().unwrap_or(0);
    let last = times.max().unwrap_or(0);
    let category = cases.category_names[at(cases.categories[at(members[0])])].clone();
    let rows = members
        .iter()
        .map(|&i| cases.rows.map_or(u64::from(i), |r| r[at(i)]))
        .collect();
    let points = members
        .iter()
        .map(|&i| [cases.lons[at(i)], cases.lats[at(i)]])
        .collect();
    Cluster {
        id: 0,
        category,
        rows,
        points,
        first,
        last,
        lon,
        lat,
        spread_m,
        region: mode(owners, NO_OWNER).map(RegionId),
        asset: mode(assets, NONE),
        members,
    }
}

/// Asset ranking. `attributed` follows the members of the clusters in their order before
/// ranking; the counts do not depend on the order.
fn rank_assets(set: &AssetSet, clusters: &[Cluster], attributed: &[u32]) -> Vec<AssetRepeats> {
    let mut cases: FxHashMap<u32, u64> = FxHashMap::default();
    let mut owned: FxHashMap<u32, u64> = FxHashMap::default();
    for &a in attributed.iter().filter(|&&a| a != NONE) {
        *cases.entry(a).or_default() += 1;
    }
    for a in clusters.iter().filter_map(|c| c.asset) {
        *owned.entry(a).or_default() += 1;
    }
    let mut v: Vec<AssetRepeats> = cases
        .into_iter()
        .map(|(asset, repeat_cases)| AssetRepeats {
            asset,
            repeat_cases,
            clusters: owned.get(&asset).copied().unwrap_or(0),
        })
        .collect();
    let ids = set.assets();
    v.sort_by(|a, b| {
        b.repeat_cases
            .cmp(&a.repeat_cases)
            .then(b.clusters.cmp(&a.clusters))
            .then(ids[a.asset as usize].id.cmp(&ids[b.asset as usize].id))
    });
    v
}

impl HotspotReport {
    /// The codes of a cluster's region chain, top level first (empty outside the city).
    pub fn chain_codes(city: &City, cluster: &Cluster) -> Vec<String> {
        cluster
            .region
            .map(|r| city.chain(r).iter().map(|x| x.code.clone()).collect())
            .unwrap_or_default()
    }

    /// The clusters as a GeoJSON FeatureCollection: one feature per cluster, a MultiPoint of
    /// its members (WGS84, in member order) with its figures as properties (`id, category,
    /// cases, first, last, rows, centroid, spread_m, region, chain, asset`).
    pub fn to_geojson(&self, city: &City, assets: Option<&AssetSet>) -> Value {
        let features: Vec<Value> = self
            .clusters
            .iter()
            .map(|c| {
                json!({
                    "type": "Feature",
                    "geometry": {"type": "MultiPoint", "coordinates": c.points},
                    "properties": self.cluster_json(city, assets, c),
                })
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }

    /// One cluster's figures as a JSON object (the GeoJSON properties).
    pub fn cluster_json(&self, city: &City, assets: Option<&AssetSet>, c: &Cluster) -> Value {
        json!({
            "id": c.id,
            "category": c.category,
            "cases": c.len(),
            "first": format_timestamp(c.first),
            "last": format_timestamp(c.last),
            "rows": c.rows,
            "centroid": [c.lon, c.lat],
            "spread_m": c.spread_m,
            "region": c.region.map(|r| city.region(r).code.clone()),
            "chain": Self::chain_codes(city, c),
            "asset": c.asset.and_then(|a| assets.map(|s| s.assets()[a as usize].id.clone())),
        })
    }

    /// The whole report as JSON: parameters, totals, clusters (without geometry), the region
    /// ranking of every level and the asset ranking.
    pub fn to_json(&self, city: &City, assets: Option<&AssetSet>) -> Value {
        let levels: serde_json::Map<String, Value> = self
            .regions
            .iter()
            .enumerate()
            .map(|(level, ranking)| {
                let rows: Vec<Value> = ranking
                    .iter()
                    .map(|r| {
                        let region = city.region(r.region);
                        json!({"code": region.code, "name": region.name,
                               "repeat_cases": r.repeat_cases, "clusters": r.clusters})
                    })
                    .collect();
                (city.levels()[level].clone(), Value::Array(rows))
            })
            .collect();
        let asset_ranking = match (&self.assets, assets) {
            (Some(ranking), Some(set)) => Value::Array(
                ranking
                    .iter()
                    .map(|a| {
                        let asset = &set.assets()[a.asset as usize];
                        json!({"id": asset.id, "class": asset.class, "name": asset.name,
                               "repeat_cases": a.repeat_cases, "clusters": a.clusters})
                    })
                    .collect(),
            ),
            _ => Value::Null,
        };
        json!({
            "radius_m": self.linkage.radius_m,
            "days": self.linkage.days,
            "min_cases": self.min_cases,
            "rows": self.rows,
            "cases": self.cases,
            "repeat_cases": self.repeat_cases,
            "outside_repeat_cases": self.outside_repeat_cases,
            "bad_rows": self.problems.len(),
            "clusters": self.clusters.iter().map(|c| self.cluster_json(city, assets, c)).collect::<Vec<_>>(),
            "regions": levels,
            "assets": asset_ranking,
        })
    }
}
