//! The component inventory (部件): coded assets at points, with their departments and state.
//!
//! Each asset has a 16-digit legacy or 17-digit GB/T 47678.5 id whose embedded class must exist
//! in the loaded [`Catalog`]; 主管 (regulator), 权属 (owner) and 养护 (maintainer) department
//! codes; a state; free attributes. Its grid is derived by [`City::locate`]; a grid code given in
//! the input that disagrees is reported in [`AssetSet::grid_mismatches`], not silently kept.
//!
//! Assets are kept sorted by id, so index order is id order and ties in nearest queries resolve
//! by id.

use crate::catalog::{prefix_matches, AssetId, Catalog};
use crate::crs::{check_point, Converter, Crs};
use crate::error::{Error, Result};
use crate::io::csv_input::{CsvOptions, CsvReader, Encoding};
use crate::model::{City, RegionId};
use crate::nearest::{PointSet, Positioned};
use rayon::iter::ParallelIterator;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// An asset's state (GB/T 47678.5 GLBJZT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetState {
    /// 完好
    Intact,
    /// 破损
    Damaged,
    /// 丢失
    Lost,
    /// 废弃
    Abandoned,
    /// 移除
    Removed,
}

impl AssetState {
    /// All states, in the standard's order.
    pub const ALL: [AssetState; 5] = [
        AssetState::Intact,
        AssetState::Damaged,
        AssetState::Lost,
        AssetState::Abandoned,
        AssetState::Removed,
    ];

    /// The standard's Chinese name.
    pub fn chinese(self) -> &'static str {
        match self {
            AssetState::Intact => "完好",
            AssetState::Damaged => "破损",
            AssetState::Lost => "丢失",
            AssetState::Abandoned => "废弃",
            AssetState::Removed => "移除",
        }
    }

    /// The English name used in files (`intact`, `damaged`, …).
    pub fn english(self) -> &'static str {
        match self {
            AssetState::Intact => "intact",
            AssetState::Damaged => "damaged",
            AssetState::Lost => "lost",
            AssetState::Abandoned => "abandoned",
            AssetState::Removed => "removed",
        }
    }
}

impl std::str::FromStr for AssetState {
    type Err = String;
    /// Accepts the Chinese or English name; empty means 完好.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(AssetState::Intact);
        }
        AssetState::ALL
            .into_iter()
            .find(|st| st.chinese() == s || st.english().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown state {s:?} (expected 完好/破损/丢失/废弃/移除 or intact/damaged/lost/abandoned/removed)"))
    }
}

/// One asset as read from a file, before it is checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssetInput {
    /// 16- or 17-digit component id.
    pub id: String,
    /// Class code, if the file gives one (it must match the id's embedded class).
    pub class: Option<String>,
    /// Name (e.g. 雨水井盖).
    pub name: String,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// 主管部门 code.
    pub main_dept: Option<String>,
    /// 权属单位 code.
    pub owner_dept: Option<String>,
    /// 养护单位 code.
    pub maintainer_dept: Option<String>,
    /// State as written (Chinese or English; empty = 完好).
    pub state: String,
    /// Grid code given in the input (BGID / SZDYWGBSM), checked against the located grid.
    pub grid: Option<String>,
    /// Other attributes, kept as strings.
    pub attributes: BTreeMap<String, String>,
}

/// A checked asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// Component id.
    pub id: String,
    /// Class code (4-digit legacy or 5-digit GB/T 47678.5), from the id.
    pub class: String,
    /// Name.
    pub name: String,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// 主管部门 code.
    pub main_dept: Option<String>,
    /// 权属单位 code.
    pub owner_dept: Option<String>,
    /// 养护单位 code.
    pub maintainer_dept: Option<String>,
    /// State.
    pub state: AssetState,
    /// The region that owns the asset's point (deepest level), if any.
    pub region: Option<RegionId>,
    /// Other attributes.
    pub attributes: BTreeMap<String, String>,
}

/// An input grid code that differs from the grid the asset's point lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridMismatch {
    /// The asset.
    pub asset: String,
    /// The grid code the input gave.
    pub given: String,
    /// The code of the region that owns the point (`None`: outside the city).
    pub located: Option<String>,
}

/// Which assets a query considers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetFilter {
    /// Class code prefixes ("01" = every 公用设施, "0103" = exactly 雨水井盖); empty = all.
    pub class_prefixes: Vec<String>,
    /// States to keep; empty = all.
    pub states: Vec<AssetState>,
}

impl AssetFilter {
    /// Assets whose class starts with any of `prefixes`.
    pub fn classes<S: Into<String>>(prefixes: impl IntoIterator<Item = S>) -> Self {
        AssetFilter {
            class_prefixes: prefixes.into_iter().map(Into::into).collect(),
            states: Vec::new(),
        }
    }

    /// True when the asset passes.
    pub fn accepts(&self, a: &Asset) -> bool {
        (self.class_prefixes.is_empty()
            || self
                .class_prefixes
                .iter()
                .any(|p| prefix_matches(p, &a.class)))
            && (self.states.is_empty() || self.states.contains(&a.state))
    }
}

impl Positioned for Asset {
    fn id(&self) -> &str {
        &self.id
    }
    fn lon_lat(&self) -> (f64, f64) {
        (self.lon, self.lat)
    }
}

/// The checked, indexed inventory.
#[derive(Debug, Clone)]
pub struct AssetSet {
    assets: PointSet<Asset>,
    mismatches: Vec<GridMismatch>,
}

impl AssetSet {
    /// The same inventory placed in another version of the city (after a planner's commit):
    /// every asset's region is located again; ids, positions and the index are kept. The grid
    /// mismatches stay those found at [`AssetSet::build`] (they compare the input's codes).
    pub fn relocate(&self, city: &City) -> AssetSet {
        AssetSet {
            assets: self.assets.map_items(|a| Asset {
                region: city.locate(a.lon, a.lat).map(|l| l.leaf_id()),
                ..a.clone()
            }),
            mismatches: self.mismatches.clone(),
        }
    }

    /// Checks, locates and indexes assets. Errors name the asset's input position and id.
    /// Without a city, assets get no region and input grid codes are not checked.
    pub fn build(
        city: Option<&City>,
        catalog: &Catalog,
        inputs: Vec<AssetInput>,
    ) -> Result<AssetSet> {
        let mut assets = Vec::with_capacity(inputs.len());
        let mut mismatches = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let context = format!("asset {i} (id {:?})", input.id);
            let id = AssetId::parse(catalog, &context, &input.id)?;
            let class = id.class_code().to_string();
            if let Some(given) = input.class.as_deref().filter(|c| !c.is_empty()) {
                if given != class {
                    return Err(Error::InvalidAssetId {
                        context,
                        id: input.id,
                        reason: format!("embeds class {class} but the class field says {given}"),
                    });
                }
            }
            if let Some(first) = seen.insert(input.id.clone(), i) {
                return Err(Error::DuplicateId {
                    context: format!("{context}, first at asset {first}"),
                    id: input.id,
                });
            }
            check_point(i, input.lon, input.lat, &context)?;
            let state = input.state.parse().map_err(|reason| Error::Table {
                source_name: context.clone(),
                reason,
            })?;
            let region = city
                .and_then(|c| c.locate(input.lon, input.lat))
                .map(|h| h.leaf_id());
            if let (Some(city), Some(given)) = (city, input.grid.filter(|g| !g.is_empty())) {
                let located = region.map(|r| city.region(r).code.clone());
                if located.as_deref() != Some(given.as_str()) {
                    mismatches.push(GridMismatch {
                        asset: input.id.clone(),
                        given,
                        located,
                    });
                }
            }
            assets.push(Asset {
                id: input.id,
                class,
                name: input.name,
                lon: input.lon,
                lat: input.lat,
                main_dept: input.main_dept,
                owner_dept: input.owner_dept,
                maintainer_dept: input.maintainer_dept,
                state,
                region,
                attributes: input.attributes,
            });
        }
        Ok(AssetSet {
            assets: PointSet::new("assets", assets)?,
            mismatches,
        })
    }

    /// All assets, sorted by id.
    pub fn assets(&self) -> &[Asset] {
        self.assets.items()
    }
    /// Number of assets.
    pub fn len(&self) -> usize {
        self.assets().len()
    }
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.assets().is_empty()
    }
    /// An asset by id.
    pub fn get(&self, id: &str) -> Option<&Asset> {
        self.assets.get(id)
    }
    /// Input grid codes that disagree with the located grid.
    pub fn grid_mismatches(&self) -> &[GridMismatch] {
        &self.mismatches
    }

    /// The `k` nearest assets passing `filter` (geodesic metres, exact order, ties by id).
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_distance_m: Option<f64>,
        filter: &AssetFilter,
    ) -> Vec<(&Asset, f64)> {
        self.assets
            .nearest(lon, lat, k, max_distance_m, |a| filter.accepts(a))
    }

    /// The `k` nearest assets of each of many WGS84 points, as `(point index, asset position in
    /// [`AssetSet::assets`], metres)` triples in point order, nearest first per point.
    pub fn nearest_many(
        &self,
        lons: &[f64],
        lats: &[f64],
        k: usize,
        max_distance_m: Option<f64>,
        filter: &AssetFilter,
    ) -> Result<Vec<(u32, u32, f64)>> {
        Error::check_lengths(lons, lats)?;
        let mut out = Vec::with_capacity(lons.len() * k.min(16));
        for (i, (&x, &y)) in lons.iter().zip(lats).enumerate() {
            let hits = self
                .assets
                .nearest_positions(x, y, k, max_distance_m, |a| filter.accepts(a));
            out.extend(hits.into_iter().map(|n| (i as u32, n.index, n.distance_m)));
        }
        Ok(out)
    }

    /// Every asset passing `filter` within `radius_m` (geodesic), nearest first, ties by id.
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        filter: &AssetFilter,
    ) -> Vec<(&Asset, f64)> {
        self.assets
            .within(lon, lat, radius_m, |a| filter.accepts(a))
    }

    /// Like [`AssetSet::nearest_many`], split over the rayon thread pool in chunks of points;
    /// the triples are identical, in the same order.
    pub fn nearest_many_parallel(
        &self,
        lons: &[f64],
        lats: &[f64],
        k: usize,
        max_distance_m: Option<f64>,
        filter: &AssetFilter,
    ) -> Result<Vec<(u32, u32, f64)>> {
        Error::check_lengths(lons, lats)?;
        let parts: Vec<Vec<(u32, u32, f64)>> = par_chunk_ranges(lons.len())
            .map(|range| {
                let start = range.start;
                let mut out = self
                    .nearest_many(
                        &lons[range.clone()],
                        &lats[range],
                        k,
                        max_distance_m,
                        filter,
                    )
                    .unwrap_or_default();
                for hit in &mut out {
                    hit.0 += start as u32;
                }
                out
            })
            .collect();
        Ok(parts.concat())
    }

    /// Every asset passing `filter` within `radius_m` (geodesic) of each of many WGS84 points,
    /// as `(point index, asset position in [`AssetSet::assets`], metres)` triples in point
    /// order, nearest first per point (ties by id), exactly what [`AssetSet::within`] gives
    /// point by point. Points that are not finite or out of range, and a negative or NaN
    /// radius, give no triples. Runs over the rayon thread pool in chunks of points.
    pub fn within_many(
        &self,
        lons: &[f64],
        lats: &[f64],
        radius_m: f64,
        filter: &AssetFilter,
    ) -> Result<Vec<(u32, u32, f64)>> {
        Error::check_lengths(lons, lats)?;
        let parts: Vec<Vec<(u32, u32, f64)>> = par_chunk_ranges(lons.len())
            .map(|range| {
                let mut out = Vec::new();
                for i in range {
                    for (asset, d) in self.within(lons[i], lats[i], radius_m, filter) {
                        // Ids are unique and indexed, so the lookup always succeeds.
                        if let Some(pos) = self.assets.position_of(&asset.id) {
                            out.push((i as u32, pos as u32, d));
                        }
                    }
                }
                out
            })
            .collect();
        Ok(parts.concat())
    }
}

/// `0..n` cut into consecutive ranges for the rayon pool (in order).
fn par_chunk_ranges(
    n: usize,
) -> impl rayon::iter::IndexedParallelIterator<Item = std::ops::Range<usize>> {
    use rayon::prelude::*;
    const CHUNK: usize = 4_096;
    (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(move |c| c * CHUNK..((c + 1) * CHUNK).min(n))
}

/// Names of the fields an asset file uses. [`AssetFields::default`] uses plain English names;
/// [`AssetFields::legacy`] the names of legacy 数字城管 exchange payloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssetFields {
    /// Component id (default `id`; legacy `ObjID`).
    pub id: String,
    /// Class code, optional (default `class`).
    pub class: String,
    /// Name (default `name`; legacy `ObjName`).
    pub name: String,
    /// 主管部门 code (default `main_dept`; legacy `DeptCode1`).
    pub main_dept: String,
    /// 权属单位 code (default `owner_dept`; legacy `DeptCode2`).
    pub owner_dept: String,
    /// 养护单位 code (default `maintainer_dept`; legacy `DeptCode3`).
    pub maintainer_dept: String,
    /// State (default `state`; legacy `ObjState`).
    pub state: String,
    /// Grid code (default `grid`; legacy `BGID`).
    pub grid: String,
    /// CSV only: longitude column (default `lon`).
    pub lon: String,
    /// CSV only: latitude column (default `lat`).
    pub lat: String,
}

impl Default for AssetFields {
    fn default() -> Self {
        AssetFields {
            id: "id".into(),
            class: "class".into(),
            name: "name".into(),
            main_dept: "main_dept".into(),
            owner_dept: "owner_dept".into(),
            maintainer_dept: "maintainer_dept".into(),
            state: "state".into(),
            grid: "grid".into(),
            lon: "lon".into(),
            lat: "lat".into(),
        }
    }
}

impl AssetFields {
    /// Field names of legacy exchange payloads (ObjID, ObjName, DeptCode1-3, ObjState, BGID,
    /// PointX, PointY).
    pub fn legacy() -> Self {
        AssetFields {
            id: "ObjID".into(),
            class: "class".into(),
            name: "ObjName".into(),
            main_dept: "DeptCode1".into(),
            owner_dept: "DeptCode2".into(),
            maintainer_dept: "DeptCode3".into(),
            state: "ObjState".into(),
            grid: "BGID".into(),
            lon: "PointX".into(),
            lat: "PointY".into(),
        }
    }

    /// Builds an input from a field lookup; other fields become attributes.
    fn input<'a>(
        &self,
        fields: impl Iterator<Item = (&'a str, String)>,
        lon: f64,
        lat: f64,
    ) -> AssetInput {
        let mut a = AssetInput {
            lon,
            lat,
            ..AssetInput::default()
        };
        for (key, value) in fields {
            let opt = || Some(value.clone()).filter(|v| !v.is_empty());
            match key {
                k if k == self.id => a.id = value,
                k if k == self.class => a.class = opt(),
                k if k == self.name => a.name = value,
                k if k == self.main_dept => a.main_dept = opt(),
                k if k == self.owner_dept => a.owner_dept = opt(),
                k if k == self.maintainer_dept => a.maintainer_dept = opt(),
                k if k == self.state => a.state = value,
                k if k == self.grid => a.grid = opt(),
                k if k == self.lon || k == self.lat => {}
                k => {
                    a.attributes.insert(k.to_string(), value);
                }
            }
        }
        a
    }
}

/// Reads assets from a GeoJSON FeatureCollection of Points; coordinates in `crs` become WGS84.
pub fn read_geojson(
    source_name: &str,
    text: &str,
    fields: &AssetFields,
    crs: Crs,
    converter: &Converter,
) -> Result<Vec<AssetInput>> {
    use geojson::{GeoJson, GeometryValue, JsonValue};
    let fail = |reason: String| Error::GeoJson {
        source_name: source_name.to_string(),
        reason,
    };
    let fc = match text.parse::<GeoJson>() {
        Ok(GeoJson::FeatureCollection(fc)) => fc,
        Ok(_) => return Err(fail("expected a FeatureCollection of Points".into())),
        Err(e) => return Err(fail(e.to_string())),
    };
    fc.features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (lon, lat) = match f.geometry.as_ref().map(|g| &g.value) {
                Some(GeometryValue::Point { coordinates }) if coordinates.len() >= 2 => {
                    converter.to_wgs84(crs, coordinates[0], coordinates[1])
                }
                Some(other) => {
                    return Err(fail(format!(
                        "feature {i}: expected a Point, found {}",
                        other.type_name()
                    )))
                }
                None => return Err(fail(format!("feature {i}: no geometry"))),
            };
            let props = f.properties.iter().flatten().map(|(k, v)| {
                let s = match v {
                    JsonValue::String(s) => s.clone(),
                    JsonValue::Null => String::new(),
                    other => other.to_string(),
                };
                (k.as_str(), s)
            });
            let input = fields.input(props, lon, lat);
            if input.id.is_empty() {
                return Err(fail(format!(
                    "feature {i}: property {:?} (the id) is missing",
                    fields.id
                )));
            }
            Ok(input)
        })
        .collect()
}

/// Reads assets from CSV text with a header row; coordinates in `crs` become WGS84.
///
/// The rules of [`crate::io::csv_input`] apply (a byte-order mark, quoted line breaks, line
/// numbers where a record starts, rows of the wrong width, record length). Columns other than
/// the fields become attributes, so the header must name every column once. Bytes in another
/// encoding (GBK exports): decode them first with [`crate::io::csv_input::decode_text`], as
/// [`crate::io::dispatch_spec`] does.
///
/// # Errors
/// [`Error::MissingColumn`] for the id or a coordinate column; [`Error::Table`] for a
/// repeated column name or an empty text; [`Error::BadRow`] naming the line and column of a
/// coordinate that is not a finite number within ±180 / ±90, or of a row of the wrong width;
/// the reader's errors.
pub fn read_csv(
    source_name: &str,
    text: &str,
    fields: &AssetFields,
    crs: Crs,
    converter: &Converter,
) -> Result<Vec<AssetInput>> {
    let options = CsvOptions::with_encoding(Encoding::Utf8);
    let mut reader = CsvReader::new(source_name, text.as_bytes(), &options)?;
    reader.require_unique_headers()?;
    reader.require(&fields.id, "the asset id")?;
    let ilon = reader.require(&fields.lon, "the asset's point")?;
    let ilat = reader.require(&fields.lat, "the asset's point")?;
    let mut record = csv::StringRecord::new();
    let mut out = Vec::new();
    while let Some(line) = reader.read(&mut record)? {
        let (x, y) = reader.point(&record, line, ilon, ilat)?;
        let (lon, lat) = converter.to_wgs84(crs, x, y);
        let pairs = reader
            .headers()
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.as_str(), v.to_string()));
        out.push(fields.input(pairs, lon, lat));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nearest::geodesic_distance_m;

    /// 3,000 assets of two classes on a jittered lattice, and 5,000 query points around them
    /// (more than one rayon chunk), some of them NaN or out of range.
    fn setup() -> (AssetSet, Vec<f64>, Vec<f64>) {
        let mut inputs = Vec::new();
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..3_000u32 {
            let class = if i % 3 == 0 { "0113" } else { "0103" };
            inputs.push(AssetInput {
                id: format!("420103{class}{:06}", i + 1),
                lon: 114.20 + 0.1 * next(),
                lat: 30.50 + 0.1 * next(),
                ..AssetInput::default()
            });
        }
        let set = AssetSet::build(None, &Catalog::builtin(), inputs).unwrap();
        let (mut lons, mut lats): (Vec<f64>, Vec<f64>) = (0..5_000)
            .map(|_| (114.19 + 0.12 * next(), 30.49 + 0.12 * next()))
            .unzip();
        lons[7] = f64::NAN;
        lats[4_100] = 95.0;
        (set, lons, lats)
    }

    #[test]
    fn nearest_many_parallel_equals_the_sequential_loop() {
        let (set, lons, lats) = setup();
        for (k, max, filter) in [
            (1, None, AssetFilter::default()),
            (3, Some(300.0), AssetFilter::classes(["0113"])),
        ] {
            let seq = set.nearest_many(&lons, &lats, k, max, &filter).unwrap();
            let par = set
                .nearest_many_parallel(&lons, &lats, k, max, &filter)
                .unwrap();
            assert_eq!(seq, par);
            assert!(par.iter().all(|h| h.0 != 7 && h.0 != 4_100));
        }
        assert!(matches!(
            set.nearest_many_parallel(&lons[..2], &lats[..3], 1, None, &AssetFilter::default()),
            Err(Error::LengthMismatch { .. })
        ));
    }

    #[test]
    fn within_many_equals_within_and_brute_force() {
        let (set, lons, lats) = setup();
        let filter = AssetFilter::classes(["0113"]);
        let radius = 400.0;
        let got = set.within_many(&lons, &lats, radius, &filter).unwrap();
        let mut expected = Vec::new();
        for i in 0..lons.len() {
            for (a, d) in set.within(lons[i], lats[i], radius, &filter) {
                let pos = set.assets().iter().position(|b| b.id == a.id).unwrap();
                expected.push((i as u32, pos as u32, d));
            }
        }
        assert_eq!(got, expected);
        assert!(got.len() > 1_000, "{} hits", got.len());
        // Brute force on a sample of points: the same set of assets, each within the radius.
        for i in (0..lons.len()).step_by(97) {
            let mine: Vec<u32> = got
                .iter()
                .filter(|h| h.0 == i as u32)
                .map(|h| h.1)
                .collect();
            let mut brute: Vec<u32> = Vec::new();
            if lons[i].is_finite() && lats[i].abs() <= 90.0 {
                for (p, a) in set.assets().iter().enumerate() {
                    let d = geodesic_distance_m(lons[i], lats[i], a.lon, a.lat);
                    if filter.accepts(a) && d <= radius {
                        brute.push(p as u32);
                    }
                }
            }
            let mut sorted = mine.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, brute, "point {i}");
        }
        assert!(set
            .within_many(&lons, &lats, -1.0, &filter)
            .unwrap()
            .is_empty());
        assert!(set.within_many(&lons, &lats[..1], radius, &filter).is_err());
    }
}
