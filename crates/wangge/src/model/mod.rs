//! The grid hierarchy: levels, regions, and the built [`City`].

mod build;
mod code_index;
pub mod geometry;

pub use build::{BuildOptions, CodeScheme, LevelInput, RegionInput};

use crate::crs::{Converter, Crs};
use crate::error::{Error, Result};
use crate::locate::{CellLocator, Locator, PreparedRegion, NO_OWNER};
use geo::MultiPolygon;
use std::ops::Range;
use std::sync::Arc;

/// Dense index of a region in its [`City`]. Ids are ordered by level, then by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u32);

impl RegionId {
    /// The id as a `usize` index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One region of the hierarchy: a district, street, community or unit grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Its code (a GB/T 30428.1 code in standard datasets).
    pub code: String,
    /// Its name (may be empty).
    pub name: String,
    /// Index of its level in [`City::levels`] (0 = top).
    pub level: usize,
    /// Its parent, `None` on the top level.
    pub parent: Option<RegionId>,
    /// Its shape, WGS84 lon/lat degrees; edges are straight lines in lon/lat.
    pub geometry: MultiPolygon<f64>,
    /// Geodesic area on the WGS84 ellipsoid, m².
    pub area_m2: f64,
}

/// Batches of at least this many points are located in the index's storage order
/// ([`City::locate_many`]); smaller ones in input order.
pub const SORTED_BATCH_MIN: usize = 512;
/// Points sorted together at most (bounds the sort's extra memory, 8 bytes a point).
pub const SORTED_BATCH_MAX: usize = 1 << 21;

/// A built, immutable city: levels, regions and the point-location index.
///
/// Cheap to share between threads (`Send + Sync`); queries take `&self`.
#[derive(Debug, Clone)]
pub struct City {
    levels: Vec<String>,
    regions: Vec<Region>,
    level_ranges: Vec<Range<u32>>,
    by_code: code_index::CodeIndex,
    /// Children of region `i`: `children[child_start[i]..child_start[i + 1]]`, in id order.
    child_start: Vec<u32>,
    children: Vec<RegionId>,
    prepared: Arc<[PreparedRegion]>,
    locator: CellLocator,
    converter: Converter,
}

/// The owner of a point and its ancestors.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    city: &'a City,
    leaf: RegionId,
}

impl<'a> Located<'a> {
    /// The deepest region that owns the point.
    pub fn leaf(&self) -> &'a Region {
        self.city.region(self.leaf)
    }
    /// Id of the deepest region.
    pub fn leaf_id(&self) -> RegionId {
        self.leaf
    }
    /// The owner and its ancestors, top level first.
    pub fn chain(&self) -> Vec<&'a Region> {
        self.city.chain(self.leaf)
    }
    /// Ids of the owner and its ancestors, the owner first.
    pub fn chain_ids(&self) -> impl Iterator<Item = RegionId> + 'a {
        let city = self.city;
        std::iter::successors(Some(self.leaf), move |&id| city.region(id).parent)
    }
    /// The city the point was located in.
    pub fn city(&self) -> &'a City {
        self.city
    }
    /// The owning region at a level, if the owner is at that level or below it.
    pub fn at_level(&self, level: usize) -> Option<&'a Region> {
        self.chain().into_iter().find(|r| r.level == level)
    }
}

/// Per-level id ranges and children (`children[child_start[i]..child_start[i + 1]]` are region
/// `i`'s, in id order) of regions sorted by (level, code), checking that they are sorted, that
/// levels are below `levels` and that each parent is one level up with a smaller id.
#[allow(clippy::type_complexity)]
fn structure(
    levels: usize,
    regions: &[Region],
) -> Result<(Vec<Range<u32>>, Vec<u32>, Vec<RegionId>)> {
    let mut level_ranges = vec![0u32..0u32; levels];
    // Counts of children first (at `child_start[parent + 2]`), then their slots.
    let mut child_start = vec![0u32; regions.len() + 2];
    for (i, r) in regions.iter().enumerate() {
        if r.level >= levels {
            return Err(Error::Hierarchy(format!(
                "region {:?} has level {} but there are {} levels",
                r.code, r.level, levels
            )));
        }
        if i > 0 && (regions[i - 1].level, &regions[i - 1].code) >= (r.level, &r.code) {
            return Err(Error::Hierarchy(
                "regions are not sorted by level and code, or a code repeats".into(),
            ));
        }
        let range = &mut level_ranges[r.level];
        if range.start == range.end {
            *range = i as u32..i as u32;
        }
        range.end = i as u32 + 1;
        match (r.level, r.parent) {
            (0, None) => {}
            (level, Some(p)) if p.index() < i && regions[p.index()].level + 1 == level => {
                child_start[p.index() + 2] += 1
            }
            _ => {
                return Err(Error::Hierarchy(format!(
                    "region {:?} has an inconsistent parent",
                    r.code
                )))
            }
        }
    }
    for i in 2..child_start.len() {
        child_start[i] += child_start[i - 1];
    }
    // Children in id order: `child_start[p + 1]` is the next free slot of parent `p`.
    let mut children = vec![RegionId(0); regions.len()];
    for (i, r) in regions.iter().enumerate() {
        if let Some(p) = r.parent {
            let slot = &mut child_start[p.index() + 1];
            children[*slot as usize] = RegionId(i as u32);
            *slot += 1;
        }
    }
    child_start.pop();
    children.truncate(child_start[regions.len()] as usize);
    Ok((level_ranges, child_start, children))
}

impl City {
    /// Assembles a city from regions already sorted by (level, code) with parents resolved.
    /// Crate-internal: callers go through [`City::build`] or a snapshot.
    pub(crate) fn assemble(levels: Vec<String>, regions: Vec<Region>) -> Result<City> {
        let prepared: Arc<[PreparedRegion]> = {
            use rayon::prelude::*;
            let prepared: Vec<PreparedRegion> = regions
                .par_iter()
                .map(|r| PreparedRegion::new(&r.geometry))
                .collect();
            prepared.into()
        };
        City::assemble_with(levels, regions, prepared, |prepared, level_ranges| {
            Ok(CellLocator::new(prepared, level_ranges))
        })
    }

    /// [`City::assemble`] with the regions already prepared (`prepared[i]` from
    /// `regions[i].geometry`) and the locator made by `locator` from them and the level ranges
    /// (a snapshot passes its stored index). The structure is checked the same way.
    pub(crate) fn assemble_with(
        levels: Vec<String>,
        regions: Vec<Region>,
        prepared: Arc<[PreparedRegion]>,
        locator: impl FnOnce(Arc<[PreparedRegion]>, &[Range<u32>]) -> Result<CellLocator>,
    ) -> Result<City> {
        if prepared.len() != regions.len() {
            return Err(Error::Hierarchy(format!(
                "{} prepared regions for {} regions",
                prepared.len(),
                regions.len()
            )));
        }
        // The code table and the structure checks on the two threads.
        let (structure, by_code) = rayon::join(
            || structure(levels.len(), &regions),
            || code_index::CodeIndex::new(&regions),
        );
        let (level_ranges, child_start, children) = structure?;
        let locator = locator(prepared.clone(), &level_ranges)?;
        Ok(City {
            levels,
            regions,
            level_ranges,
            by_code,
            child_start,
            children,
            prepared,
            locator,
            converter: Converter::default(),
        })
    }

    /// Level names, top first.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }
    /// Index of a level by name.
    pub fn level_index(&self, name: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == name)
    }
    /// All regions, ordered by level then code (index = [`RegionId`]).
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }
    /// Number of regions.
    pub fn len(&self) -> usize {
        self.regions.len()
    }
    /// True when the city has no regions.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }
    /// A region by id. Panics on an id from another city (ids are only made by this city).
    pub fn region(&self, id: RegionId) -> &Region {
        &self.regions[id.index()]
    }
    /// A region by id, or `None` for an id this city does not have.
    pub fn get(&self, id: RegionId) -> Option<&Region> {
        self.regions.get(id.index())
    }
    /// A region by code.
    pub fn by_code(&self, code: &str) -> Option<RegionId> {
        self.by_code.get(&self.regions, code)
    }
    /// The regions of one level.
    pub fn level_regions(&self, level: usize) -> impl Iterator<Item = (RegionId, &Region)> {
        let range = self.level_ranges.get(level).cloned().unwrap_or(0..0);
        range.map(move |i| (RegionId(i), &self.regions[i as usize]))
    }
    /// Direct children of a region, in code order.
    pub fn children(&self, id: RegionId) -> &[RegionId] {
        let i = id.index();
        &self.children[self.child_start[i] as usize..self.child_start[i + 1] as usize]
    }
    /// A region and its ancestors, top level first.
    pub fn chain(&self, id: RegionId) -> Vec<&Region> {
        let mut chain = Vec::with_capacity(self.levels.len());
        let mut cur = Some(id);
        while let Some(c) = cur {
            let r = self.region(c);
            chain.push(r);
            cur = r.parent;
        }
        chain.reverse();
        chain
    }
    /// Id ranges of each level (ids of level `k` are `level_ranges()[k]`).
    pub fn level_ranges(&self) -> &[Range<u32>] {
        &self.level_ranges
    }
    /// The regions prepared for exact point tests, by id.
    pub fn prepared(&self) -> &[PreparedRegion] {
        &self.prepared
    }
    /// The point-location index (what a snapshot stores).
    pub(crate) fn locator(&self) -> &CellLocator {
        &self.locator
    }
    /// The coordinate converter used for GCJ-02 / BD-09 input.
    pub fn converter(&self) -> &Converter {
        &self.converter
    }
    /// Replaces the coordinate converter (e.g. a different "inside China" region).
    pub fn set_converter(&mut self, converter: Converter) {
        self.converter = converter;
    }

    /// The owner of a WGS84 point with its ancestor chain, or `None` (see [`crate::locate`]).
    ///
    /// ```
    /// use wangge::prelude::*;
    /// // One polygon with one ring: corners (x0, y0)-(x1, y1).
    /// let rect = |x0: f64, y0: f64, x1: f64, y1: f64| vec![vec![vec![
    ///     [x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0],
    /// ]]];
    /// let region = |code: &str, geometry| RegionInput {
    ///     code: code.into(), name: String::new(), parent: None, geometry,
    /// };
    /// let city = City::build(vec![
    ///     LevelInput { name: "community".into(), regions: vec![
    ///         region("420103001001", rect(114.250, 30.550, 114.252, 30.552)),
    ///     ]},
    ///     LevelInput { name: "grid".into(), regions: vec![
    ///         region("420103001001001", rect(114.250, 30.550, 114.251, 30.551)),
    ///         region("420103001001002", rect(114.251, 30.550, 114.252, 30.551)),
    ///     ]},
    /// ], &BuildOptions::default())?;
    ///
    /// // A point on the border shared by the two grids has exactly one owner.
    /// let hit = city.locate(114.251, 30.5505).unwrap();
    /// assert_eq!(hit.leaf().code, "420103001001002");
    /// assert_eq!(hit.chain()[0].code, "420103001001");
    /// // Inside the community but in no grid: the community owns it.
    /// assert_eq!(city.locate(114.2505, 30.5515).unwrap().leaf().code, "420103001001");
    /// assert!(city.locate(0.0, 0.0).is_none());
    /// # Ok::<(), wangge::Error>(())
    /// ```
    pub fn locate(&self, lon: f64, lat: f64) -> Option<Located<'_>> {
        self.locator.locate(lon, lat).map(|i| Located {
            city: self,
            leaf: RegionId(i),
        })
    }

    /// Like [`City::locate`] for a point given in `crs`.
    pub fn locate_in(&self, crs: Crs, lon: f64, lat: f64) -> Option<Located<'_>> {
        let (x, y) = self.converter.to_wgs84(crs, lon, lat);
        self.locate(x, y)
    }

    /// The [`Located`] view of a region id (as returned by [`City::locate_many`]), `None` for
    /// [`NO_OWNER`] or an id out of range.
    pub fn located(&self, id: u32) -> Option<Located<'_>> {
        (id != NO_OWNER && (id as usize) < self.regions.len()).then_some(Located {
            city: self,
            leaf: RegionId(id),
        })
    }

    /// The owner at every level for each of many owner ids (as [`City::locate_many`] returns
    /// them): `out[level][i]` is the region of that level in `owners[i]`'s chain, [`NO_OWNER`]
    /// where the owner lies above that level or there is none (or the id is out of range).
    pub fn owners_by_level(&self, owners: &[u32]) -> Vec<Vec<u32>> {
        let mut out = vec![vec![NO_OWNER; owners.len()]; self.levels.len()];
        for (i, &owner) in owners.iter().enumerate() {
            for id in self
                .located(owner)
                .into_iter()
                .flat_map(|hit| hit.chain_ids())
            {
                out[self.region(id).level][i] = id.0;
            }
        }
        out
    }

    /// Owners of many WGS84 points as region ids, [`NO_OWNER`] where there is none (also for
    /// NaN or infinite coordinates).
    ///
    /// Batches of [`SORTED_BATCH_MIN`] points or more are answered in the index's storage order
    /// (a radix sort on each point's cell, [`CellLocator::storage_order`]) so that consecutive
    /// queries share cache lines; the answers come back in input order and are identical.
    pub fn locate_many(&self, lons: &[f64], lats: &[f64]) -> Result<Vec<u32>> {
        self.locate_batches(lons, lats, |order, lons, lats| {
            self.locator.locate_ordered(lons, lats, order)
        })
    }

    /// Like [`City::locate_many`], the sorted queries split over the rayon thread pool in
    /// chunks; the answers are identical, point for point.
    pub fn locate_many_parallel(&self, lons: &[f64], lats: &[f64]) -> Result<Vec<u32>> {
        use rayon::prelude::*;
        const CHUNK: usize = 16_384;
        self.locate_batches(lons, lats, |order, lons, lats| {
            order
                .par_chunks(CHUNK)
                .flat_map_iter(|part| self.locator.locate_ordered(lons, lats, part))
                .collect()
        })
    }

    /// Runs `answer` on sorted batches of at most [`SORTED_BATCH_MAX`] points (small batches in
    /// input order) and puts the owners back in input order.
    fn locate_batches(
        &self,
        lons: &[f64],
        lats: &[f64],
        answer: impl Fn(&[(u32, u32)], &[f64], &[f64]) -> Vec<u32>,
    ) -> Result<Vec<u32>> {
        Error::check_lengths(lons, lats)?;
        let mut out = vec![NO_OWNER; lons.len()];
        if lons.len() < SORTED_BATCH_MIN {
            self.locator.locate_into(lons, lats, &mut out);
            return Ok(out);
        }
        for ((o, x), y) in out
            .chunks_mut(SORTED_BATCH_MAX)
            .zip(lons.chunks(SORTED_BATCH_MAX))
            .zip(lats.chunks(SORTED_BATCH_MAX))
        {
            let order = self.locator.storage_order(x, y);
            for (owner, &(_, i)) in answer(&order, x, y).into_iter().zip(&order) {
                o[i as usize] = owner;
            }
        }
        Ok(out)
    }

    /// Like [`City::locate_many`] for points given in `crs`.
    pub fn locate_many_in(&self, crs: Crs, lons: &[f64], lats: &[f64]) -> Result<Vec<u32>> {
        if crs == Crs::Wgs84 {
            return self.locate_many(lons, lats);
        }
        let (mut x, mut y) = (lons.to_vec(), lats.to_vec());
        self.converter.to_wgs84_in_place(crs, &mut x, &mut y)?;
        self.locate_many(&x, &y)
    }
}
