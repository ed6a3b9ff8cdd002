//! Coordinate reference systems used by Chinese web maps, and conversion between them.
//!
//! Internally wangge works in WGS84 / CGCS2000 longitude and latitude degrees (the two differ by
//! centimetres, far below the accuracy of any consumer map). Users may hand in points or polygons
//! in **GCJ-02** (the obfuscated "Mars" coordinates of Amap, Tencent and WeChat) or **BD-09**
//! (Baidu, a further perturbation of GCJ-02); convert them at the edge with a [`Converter`] or the
//! free functions of this module.
//!
//! Every function takes and returns `(lon, lat)` in that order, in degrees. Non-finite input
//! (NaN or infinite in either coordinate) is returned unchanged, so it stays non-finite and never
//! panics.
//!
//! # Which points get the GCJ-02 offset
//!
//! GCJ-02 is only offset "inside China", which every public implementation approximates with a
//! bounding box; here that box is [`ChinaRegion`] (by default the box of the `eviltransform`
//! library). Outside it GCJ-02 equals WGS84. BD-09 is defined everywhere: outside the region BD-09
//! is Baidu's perturbation applied directly to the (unshifted) WGS84 point. See [`ChinaRegion`] for
//! the exact rule used in each direction.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A coordinate reference system for longitude/latitude input.
///
/// Parses case-insensitively from the usual names (see the [`FromStr`] impl), prints as
/// `wgs84`, `gcj02` or `bd09`, and (de)serializes as the same lowercase names (`cgcs2000` is also
/// accepted for [`Crs::Wgs84`]).
///
/// ```
/// use wangge::crs::Crs;
/// let crs: Crs = "GCJ-02".parse().unwrap();
/// assert_eq!(crs, Crs::Gcj02);
/// assert_eq!(crs.to_string(), "gcj02");
/// assert_eq!("epsg:4490".parse::<Crs>().unwrap(), Crs::Wgs84);
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS84 / CGCS2000 (EPSG:4326 / EPSG:4490): GPS coordinates, wangge's internal system.
    #[default]
    #[serde(alias = "cgcs2000")]
    Wgs84,
    /// GCJ-02: Amap (Gaode), Tencent, WeChat.
    Gcj02,
    /// BD-09: Baidu maps.
    Bd09,
}

impl Crs {
    /// All supported systems, in declaration order.
    pub const ALL: [Crs; 3] = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09];

    /// The canonical lowercase name: `"wgs84"`, `"gcj02"` or `"bd09"`.
    pub const fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Crs {
    type Err = Error;

    /// Case-insensitive, surrounding whitespace ignored: `wgs84`, `cgcs2000`, `epsg:4326`,
    /// `epsg:4490` → [`Crs::Wgs84`]; `gcj02`, `gcj-02` → [`Crs::Gcj02`]; `bd09`, `bd-09` →
    /// [`Crs::Bd09`]. Anything else is [`Error::UnknownCrs`].
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "wgs84" | "cgcs2000" | "epsg:4326" | "epsg:4490" => Ok(Crs::Wgs84),
            "gcj02" | "gcj-02" => Ok(Crs::Gcj02),
            "bd09" | "bd-09" => Ok(Crs::Bd09),
            _ => Err(Error::UnknownCrs(s.to_string())),
        }
    }
}

/// The one "inside China" test: a longitude/latitude bounding box (inclusive bounds).
///
/// The rule, in both directions, is "the GCJ-02 offset applies iff the **WGS84** point is in the
/// region" except where the inverse cannot know the WGS84 point yet:
///
/// * forward (WGS84 → GCJ-02): the offset is added iff `contains(wgs)`;
/// * inverse (GCJ-02 → WGS84): if `!contains(gcj)` the input is returned unchanged (it is its own
///   preimage, since the forward map is the identity there); otherwise the offset is removed by
///   iteration.
///
/// Away from the box edges the two maps are exact inverses of each other (to ≤ 1 mm). The only
/// inconsistency is a band along the edges as wide as the offset there (under 750 m for the
/// default box): a WGS84 point just inside whose GCJ-02 image falls just outside comes back
/// unchanged from the inverse, and a GCJ-02 point just inside that no WGS84 point maps to is
/// still un-offset. The default box edges are more than 100 km from Chinese territory (the
/// nearest, the western edge at 72.004°E, is ~1.5° west of China's westernmost point), so this
/// never matters for Chinese data; a custom region inherits the same edge behaviour.
///
/// Note the default box is coarse: it also covers e.g. Mongolia, Korea, parts of Japan and
/// South-East Asia, exactly like the reference implementations.
///
/// ```
/// use wangge::crs::ChinaRegion;
/// let china = ChinaRegion::default();
/// assert!(china.contains(116.39, 39.91)); // Beijing
/// assert!(!china.contains(-0.1276, 51.5072)); // London
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChinaRegion {
    /// Western bound, degrees.
    pub min_lon: f64,
    /// Eastern bound, degrees.
    pub max_lon: f64,
    /// Southern bound, degrees.
    pub min_lat: f64,
    /// Northern bound, degrees.
    pub max_lat: f64,
}

impl ChinaRegion {
    /// The box used by the `eviltransform` library: lon 72.004–137.8347, lat 0.8293–55.8271.
    pub const EVILTRANSFORM: ChinaRegion = ChinaRegion {
        min_lon: 72.004,
        max_lon: 137.8347,
        min_lat: 0.8293,
        max_lat: 55.8271,
    };

    /// Whether `(lon, lat)` lies in the box, bounds included. False for NaN.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

impl Default for ChinaRegion {
    /// [`ChinaRegion::EVILTRANSFORM`].
    fn default() -> Self {
        Self::EVILTRANSFORM
    }
}

/// Converts points between [`Crs`] systems, with a configurable [`ChinaRegion`].
///
/// Forward maps (to GCJ-02 / BD-09) are the public closed-form formulas. Inverse maps are solved
/// by fixed-point iteration against the forward formula until the step is below 1e-10 degrees,
/// so `forward(inverse(p))` reproduces `p` to well under a millimetre everywhere in China.
///
/// ```
/// use wangge::crs::{Converter, Crs};
/// let conv = Converter::default();
/// let (lon, lat) = conv.to_wgs84(Crs::Bd09, 116.404, 39.915);
/// let (blon, blat) = conv.from_wgs84(Crs::Bd09, lon, lat);
/// assert!((blon - 116.404).abs() < 1e-9 && (blat - 39.915).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Converter {
    /// Where the GCJ-02 offset applies.
    pub region: ChinaRegion,
}

/// Semi-major axis of Krasovsky 1940 used by GCJ-02 (not WGS84's 6378137).
const GCJ_A: f64 = 6378245.0;
/// Eccentricity squared used by GCJ-02.
const GCJ_EE: f64 = 0.006_693_421_622_965_943;
/// Baidu's `x_pi`.
const BD_X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;
/// Fixed-point iteration stops once both coordinates move less than this (degrees, ~10 µm).
const INVERSE_TOL: f64 = 1e-10;
/// Fixed-point iteration cap (convergence normally takes 2–4 steps).
const INVERSE_MAX_ITER: usize = 10;
/// The default converter, used by the free functions.
const DEFAULT: Converter = Converter::new(ChinaRegion::EVILTRANSFORM);

fn is_finite(lon: f64, lat: f64) -> bool {
    lon.is_finite() && lat.is_finite()
}

/// `2/3 · (20 sin πt + 40 sin(πt/3) + c12 sin(πt/12) + c30 sin(πt/30))`, the per-axis series.
fn axis_series(t: f64, c12: f64, c30: f64) -> f64 {
    let tp = t * std::f64::consts::PI;
    2.0 / 3.0
        * (20.0 * tp.sin()
            + 40.0 * (tp / 3.0).sin()
            + c12 * (tp / 12.0).sin()
            + c30 * (tp / 30.0).sin())
}

/// The GCJ-02 offset `(dlon, dlat)` in degrees at a WGS84 point, regardless of region.
fn gcj_offset(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let xp = x * std::f64::consts::PI;
    let common = 2.0 / 3.0 * (20.0 * (6.0 * xp).sin() + 20.0 * (2.0 * xp).sin());
    let sqrt_x = x.abs().sqrt();
    let dlat = -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_x
        + common
        + axis_series(y, 160.0, 320.0);
    let dlon = 300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_x
        + common
        + axis_series(x, 150.0, 300.0);
    let rad_lat = lat.to_radians();
    let m = 1.0 - GCJ_EE * rad_lat.sin().powi(2);
    let sqrt_m = m.sqrt();
    let dlat = dlat * 180.0 / (GCJ_A * (1.0 - GCJ_EE) / (m * sqrt_m) * std::f64::consts::PI);
    let dlon = dlon * 180.0 / (GCJ_A / sqrt_m * rad_lat.cos() * std::f64::consts::PI);
    (dlon, dlat)
}

/// GCJ-02 forward map without the region test.
fn gcj_forward(lon: f64, lat: f64) -> (f64, f64) {
    let (dlon, dlat) = gcj_offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// Solves `f(p) = target` by `p ← p − (f(p) − target)`, starting from `start`.
fn fixed_point(
    f: impl Fn(f64, f64) -> (f64, f64),
    start: (f64, f64),
    target: (f64, f64),
) -> (f64, f64) {
    let (mut lon, mut lat) = start;
    for _ in 0..INVERSE_MAX_ITER {
        let (flon, flat) = f(lon, lat);
        let (dlon, dlat) = (flon - target.0, flat - target.1);
        lon -= dlon;
        lat -= dlat;
        if dlon.abs() < INVERSE_TOL && dlat.abs() < INVERSE_TOL {
            break;
        }
    }
    (lon, lat)
}

impl Converter {
    /// A converter with the given region.
    pub const fn new(region: ChinaRegion) -> Self {
        Self { region }
    }

    /// WGS84 → GCJ-02: adds the offset iff the WGS84 point is inside [`Converter::region`].
    ///
    /// ```
    /// let (lon, lat) = wangge::crs::Converter::default().wgs84_to_gcj02(121.5272106, 31.1774276);
    /// assert!((lon - 121.531541859215).abs() < 1e-9 && (lat - 31.17530398364597).abs() < 1e-9);
    /// ```
    pub fn wgs84_to_gcj02(&self, lon: f64, lat: f64) -> (f64, f64) {
        if self.region.contains(lon, lat) {
            gcj_forward(lon, lat)
        } else {
            (lon, lat)
        }
    }

    /// GCJ-02 → WGS84: identity if the GCJ-02 point is outside the region, otherwise the
    /// iterative inverse of [`Converter::wgs84_to_gcj02`] (residual ≤ 1 mm).
    ///
    /// ```
    /// let conv = wangge::crs::Converter::default();
    /// let (lon, lat) = conv.gcj02_to_wgs84(121.531541859215, 31.17530398364597);
    /// assert!((lon - 121.5272106).abs() < 1e-9 && (lat - 31.1774276).abs() < 1e-9);
    /// ```
    pub fn gcj02_to_wgs84(&self, lon: f64, lat: f64) -> (f64, f64) {
        if !self.region.contains(lon, lat) {
            return (lon, lat);
        }
        let (dlon, dlat) = gcj_offset(lon, lat);
        fixed_point(gcj_forward, (lon - dlon, lat - dlat), (lon, lat))
    }

    /// GCJ-02 → BD-09 (Baidu's formula, defined everywhere; the region plays no part).
    ///
    /// ```
    /// let (lon, lat) = wangge::crs::Converter::default().gcj02_to_bd09(116.42703, 39.90245);
    /// assert!((lon - 116.43351).abs() < 1e-5 && (lat - 39.90851).abs() < 1e-5);
    /// ```
    pub fn gcj02_to_bd09(&self, lon: f64, lat: f64) -> (f64, f64) {
        if !is_finite(lon, lat) {
            return (lon, lat);
        }
        let z = lon.hypot(lat) + 0.00002 * (lat * BD_X_PI).sin();
        let theta = lat.atan2(lon) + 0.000003 * (lon * BD_X_PI).cos();
        (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
    }

    /// BD-09 → GCJ-02: Baidu's closed-form approximate inverse, refined by iteration against
    /// [`Converter::gcj02_to_bd09`] (residual ≤ 1 mm).
    ///
    /// ```
    /// let conv = wangge::crs::Converter::default();
    /// let (lon, lat) = conv.bd09_to_gcj02(116.404, 39.915);
    /// let (blon, blat) = conv.gcj02_to_bd09(lon, lat);
    /// assert!((blon - 116.404).abs() < 1e-9 && (blat - 39.915).abs() < 1e-9);
    /// ```
    pub fn bd09_to_gcj02(&self, lon: f64, lat: f64) -> (f64, f64) {
        if !is_finite(lon, lat) {
            return (lon, lat);
        }
        let (x, y) = (lon - 0.0065, lat - 0.006);
        let z = x.hypot(y) - 0.00002 * (y * BD_X_PI).sin();
        let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
        let start = (z * theta.cos(), z * theta.sin());
        fixed_point(|x, y| self.gcj02_to_bd09(x, y), start, (lon, lat))
    }

    /// WGS84 → BD-09 (via GCJ-02).
    pub fn wgs84_to_bd09(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (lon, lat) = self.wgs84_to_gcj02(lon, lat);
        self.gcj02_to_bd09(lon, lat)
    }

    /// BD-09 → WGS84 (via GCJ-02).
    pub fn bd09_to_wgs84(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (lon, lat) = self.bd09_to_gcj02(lon, lat);
        self.gcj02_to_wgs84(lon, lat)
    }

    /// Converts a point given in `from` to WGS84.
    ///
    /// ```
    /// use wangge::crs::{Converter, Crs};
    /// let conv = Converter::default();
    /// assert_eq!(conv.to_wgs84(Crs::Wgs84, 116.4, 39.9), (116.4, 39.9));
    /// let (lon, lat) = conv.to_wgs84(Crs::Gcj02, 116.38404722455657, 39.91334545536069);
    /// assert!((lon - 116.377817).abs() < 1e-9 && (lat - 39.911954).abs() < 1e-9);
    /// ```
    pub fn to_wgs84(&self, from: Crs, lon: f64, lat: f64) -> (f64, f64) {
        match from {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => self.gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => self.bd09_to_wgs84(lon, lat),
        }
    }

    /// Converts a WGS84 point to `to`.
    ///
    /// ```
    /// use wangge::crs::{Converter, Crs};
    /// let (lon, lat) = Converter::default().from_wgs84(Crs::Gcj02, 116.377817, 39.911954);
    /// assert!((lon - 116.38404722455657).abs() < 1e-9 && (lat - 39.91334545536069).abs() < 1e-9);
    /// ```
    pub fn from_wgs84(&self, to: Crs, lon: f64, lat: f64) -> (f64, f64) {
        match to {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => self.wgs84_to_gcj02(lon, lat),
            Crs::Bd09 => self.wgs84_to_bd09(lon, lat),
        }
    }

    /// Converts a point from `from` to `to` (through WGS84 when neither is WGS84).
    pub fn convert(&self, from: Crs, to: Crs, lon: f64, lat: f64) -> (f64, f64) {
        match (from, to) {
            _ if from == to => (lon, lat),
            (Crs::Gcj02, Crs::Bd09) => self.gcj02_to_bd09(lon, lat),
            (Crs::Bd09, Crs::Gcj02) => self.bd09_to_gcj02(lon, lat),
            _ => {
                let (lon, lat) = self.to_wgs84(from, lon, lat);
                self.from_wgs84(to, lon, lat)
            }
        }
    }

    /// Converts parallel coordinate arrays from `from` to WGS84 in place, in chunks over the
    /// rayon thread pool (each point independently, so the result is the same as one by one).
    ///
    /// If the lengths differ, returns [`Error::LengthMismatch`] and leaves both arrays untouched.
    ///
    /// ```
    /// use wangge::crs::{Converter, Crs};
    /// let mut lons = [116.38404722455657, 0.0];
    /// let mut lats = [39.91334545536069, 0.0];
    /// Converter::default().to_wgs84_in_place(Crs::Gcj02, &mut lons, &mut lats).unwrap();
    /// assert!((lons[0] - 116.377817).abs() < 1e-9 && (lats[0] - 39.911954).abs() < 1e-9);
    /// assert_eq!((lons[1], lats[1]), (0.0, 0.0));
    /// assert!(Converter::default().to_wgs84_in_place(Crs::Bd09, &mut lons, &mut [0.0]).is_err());
    /// ```
    pub fn to_wgs84_in_place(&self, from: Crs, lons: &mut [f64], lats: &mut [f64]) -> Result<()> {
        use rayon::prelude::*;
        Error::check_lengths(lons, lats)?;
        if from != Crs::Wgs84 {
            // Chunks over the rayon pool: each point is converted on its own, so the result does
            // not depend on the split.
            const CHUNK: usize = 8_192;
            lons.par_chunks_mut(CHUNK)
                .zip(lats.par_chunks_mut(CHUNK))
                .for_each(|(xs, ys)| {
                    for (lon, lat) in xs.iter_mut().zip(ys.iter_mut()) {
                        (*lon, *lat) = self.to_wgs84(from, *lon, *lat);
                    }
                });
        }
        Ok(())
    }
}

/// Why a lon/lat pair is unusable, or `None` when it is a finite point with |lon| <= 180 and
/// |lat| <= 90. The one validity rule for coordinates across the crate.
pub fn coordinate_problem(lon: f64, lat: f64) -> Option<&'static str> {
    if !lon.is_finite() || !lat.is_finite() {
        Some("coordinate is not finite")
    } else if lon.abs() > 180.0 {
        Some("longitude is outside ±180°")
    } else if lat.abs() > 90.0 {
        Some("latitude is outside ±90°")
    } else {
        None
    }
}

/// [`coordinate_problem`] as an [`Error::InvalidPoint`] naming `index` and `context`.
pub fn check_point(index: usize, lon: f64, lat: f64, context: &str) -> Result<()> {
    match coordinate_problem(lon, lat) {
        None => Ok(()),
        Some(problem) => Err(Error::InvalidPoint {
            index,
            lon,
            lat,
            reason: if context.is_empty() {
                problem.to_string()
            } else {
                format!("{context}: {problem}")
            },
        }),
    }
}

/// [`Converter::wgs84_to_gcj02`] with the default region.
///
/// ```
/// let (lon, lat) = wangge::crs::wgs84_to_gcj02(113.912316, 22.543847);
/// assert!((lon - 113.9171764808363).abs() < 1e-9 && (lat - 22.540796131694766).abs() < 1e-9);
/// ```
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    DEFAULT.wgs84_to_gcj02(lon, lat)
}

/// [`Converter::gcj02_to_wgs84`] with the default region.
///
/// ```
/// let (lon, lat) = wangge::crs::gcj02_to_wgs84(113.9171764808363, 22.540796131694766);
/// assert!((lon - 113.912316).abs() < 1e-9 && (lat - 22.543847).abs() < 1e-9);
/// ```
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    DEFAULT.gcj02_to_wgs84(lon, lat)
}

/// [`Converter::gcj02_to_bd09`] (the region plays no part).
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    DEFAULT.gcj02_to_bd09(lon, lat)
}

/// [`Converter::bd09_to_gcj02`] (the region plays no part).
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    DEFAULT.bd09_to_gcj02(lon, lat)
}

/// [`Converter::wgs84_to_bd09`] with the default region.
///
/// ```
/// let (blon, blat) = wangge::crs::wgs84_to_bd09(116.397, 39.908);
/// let (lon, lat) = wangge::crs::bd09_to_wgs84(blon, blat);
/// assert!((lon - 116.397).abs() < 1e-9 && (lat - 39.908).abs() < 1e-9);
/// ```
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    DEFAULT.wgs84_to_bd09(lon, lat)
}

/// [`Converter::bd09_to_wgs84`] with the default region.
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    DEFAULT.bd09_to_wgs84(lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spherical distance approximation in metres between two nearby points.
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;
        let dx = (a.0 - b.0) * M_PER_DEG * a.1.to_radians().cos();
        let dy = (a.1 - b.1) * M_PER_DEG;
        dx.hypot(dy)
    }

    /// SplitMix64 points uniform over mainland China's extent.
    fn china_points(seed: u64, n: usize) -> Vec<(f64, f64)> {
        let mut s = seed;
        let mut unit = move || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        };
        (0..n)
            .map(|_| (73.7 + 61.3 * unit(), 18.0 + 35.5 * unit()))
            .collect()
    }

    /// Max over `pts` of |forward(inverse(p)) − p| in metres.
    fn max_residual(
        pts: &[(f64, f64)],
        forward: fn(f64, f64) -> (f64, f64),
        inverse: fn(f64, f64) -> (f64, f64),
    ) -> f64 {
        pts.iter()
            .map(|&p| {
                let q = inverse(p.0, p.1);
                metres(forward(q.0, q.1), p)
            })
            .fold(0.0, f64::max)
    }

    // ((lat, lng) WGS, (lat, lng) GCJ) from eviltransform's test suite.
    const VECTORS: [((f64, f64), (f64, f64)); 3] = [
        (
            (31.1774276, 121.5272106),
            (31.17530398364597, 121.531541859215),
        ),
        (
            (22.543847, 113.912316),
            (22.540796131694766, 113.9171764808363),
        ),
        (
            (39.911954, 116.377817),
            (39.91334545536069, 116.38404722455657),
        ),
    ];

    #[test]
    fn public_vectors() {
        for ((wlat, wlon), (glat, glon)) in VECTORS {
            let (lon, lat) = wgs84_to_gcj02(wlon, wlat);
            assert!(
                (lon - glon).abs() < 1e-9 && (lat - glat).abs() < 1e-9,
                "{lon} {lat}"
            );
            let (lon, lat) = gcj02_to_wgs84(glon, glat);
            assert!(
                (lon - wlon).abs() < 1e-9 && (lat - wlat).abs() < 1e-9,
                "{lon} {lat}"
            );
        }
        let (lon, lat) = gcj02_to_bd09(116.42703, 39.90245);
        assert!(
            (lon - 116.43351).abs() < 1e-5 && (lat - 39.90851).abs() < 1e-5,
            "{lon} {lat}"
        );
    }

    #[test]
    fn inverse_residuals_below_one_millimetre() {
        let pts = china_points(0x5EED, 50_000);
        let gcj = max_residual(&pts, wgs84_to_gcj02, gcj02_to_wgs84);
        let bd = max_residual(&pts, gcj02_to_bd09, bd09_to_gcj02);
        let wgs_bd = max_residual(&pts, wgs84_to_bd09, bd09_to_wgs84);
        // And the other way round: wgs → gcj → wgs recovers the WGS point.
        let gcj_back = max_residual(&pts, gcj02_to_wgs84, wgs84_to_gcj02);
        eprintln!("max residuals (m): gcj {gcj:e}, bd {bd:e}, wgs<->bd {wgs_bd:e}, wgs->gcj->wgs {gcj_back:e}");
        for r in [gcj, bd, wgs_bd, gcj_back] {
            assert!(r <= 1e-3, "residual {r} m");
        }
    }

    #[test]
    fn offsets_are_hundreds_of_metres() {
        for p in china_points(7, 2_000) {
            let d = metres(wgs84_to_gcj02(p.0, p.1), p);
            assert!((20.0..1_500.0).contains(&d), "gcj offset {d} m at {p:?}");
            let d = metres(gcj02_to_bd09(p.0, p.1), p);
            assert!((100.0..2_000.0).contains(&d), "bd offset {d} m at {p:?}");
        }
        // Beijing: the well-known ~500 m shift.
        let p = (116.377817, 39.911954);
        let d = metres(wgs84_to_gcj02(p.0, p.1), p);
        assert!((300.0..800.0).contains(&d), "{d}");
    }

    #[test]
    fn identity_outside_region() {
        for p in [
            (-0.1276, 51.5072),
            (0.0, 0.0),
            (139.767125, 35.681236),
            (-104.9903, 39.7392),
        ] {
            assert_eq!(wgs84_to_gcj02(p.0, p.1), p);
            assert_eq!(gcj02_to_wgs84(p.0, p.1), p);
            // BD-09 still applies on top, and inverts.
            let b = wgs84_to_bd09(p.0, p.1);
            assert_ne!(b, p);
            let back = bd09_to_wgs84(b.0, b.1);
            assert!(metres(back, p) < 1e-3, "{back:?}");
        }
    }

    #[test]
    fn region_is_configurable_and_inclusive() {
        let r = ChinaRegion::default();
        assert_eq!(r, ChinaRegion::EVILTRANSFORM);
        assert_eq!(Converter::default().region, r);
        assert!(r.contains(72.004, 0.8293) && r.contains(137.8347, 55.8271));
        assert!(!r.contains(72.0039, 30.0) && !r.contains(100.0, 55.8272));
        assert!(!r.contains(f64::NAN, 30.0));

        let beijing_only = Converter::new(ChinaRegion {
            min_lon: 115.0,
            max_lon: 118.0,
            min_lat: 39.0,
            max_lat: 41.0,
        });
        let wuhan = (114.305, 30.593);
        assert_eq!(beijing_only.wgs84_to_gcj02(wuhan.0, wuhan.1), wuhan);
        assert_eq!(beijing_only.gcj02_to_wgs84(wuhan.0, wuhan.1), wuhan);
        assert_ne!(wgs84_to_gcj02(wuhan.0, wuhan.1), wuhan);
        let bj = (116.377817, 39.911954);
        assert_eq!(
            beijing_only.wgs84_to_gcj02(bj.0, bj.1),
            wgs84_to_gcj02(bj.0, bj.1)
        );
    }

    #[test]
    fn dispatch_and_batch() {
        let conv = Converter::default();
        let p = (116.377817, 39.911954);
        for crs in Crs::ALL {
            let q = conv.from_wgs84(crs, p.0, p.1);
            assert!(metres(conv.to_wgs84(crs, q.0, q.1), p) < 1e-3, "{crs}");
            for to in Crs::ALL {
                let r = conv.convert(crs, to, q.0, q.1);
                assert!(
                    metres(r, conv.from_wgs84(to, p.0, p.1)) < 1e-3,
                    "{crs}->{to}"
                );
            }
        }
        assert_ne!(conv.from_wgs84(Crs::Gcj02, p.0, p.1), p);

        let pts = china_points(11, 100);
        let bd: Vec<_> = pts.iter().map(|p| wgs84_to_bd09(p.0, p.1)).collect();
        let mut lons: Vec<f64> = bd.iter().map(|p| p.0).collect();
        let mut lats: Vec<f64> = bd.iter().map(|p| p.1).collect();
        conv.to_wgs84_in_place(Crs::Bd09, &mut lons, &mut lats)
            .unwrap();
        for (i, p) in pts.iter().enumerate() {
            assert!(metres((lons[i], lats[i]), *p) < 1e-3);
        }
        let err = conv
            .to_wgs84_in_place(Crs::Gcj02, &mut lons, &mut lats[..3])
            .unwrap_err();
        assert_eq!(
            err,
            Error::LengthMismatch {
                left_name: "lons",
                left: 100,
                right_name: "lats",
                right: 3
            }
        );
        assert!(
            metres((lons[0], lats[0]), pts[0]) < 1e-3,
            "untouched on error"
        );
    }

    #[test]
    fn names_parse_print_and_serde() {
        for (s, crs) in [
            ("wgs84", Crs::Wgs84),
            ("CGCS2000", Crs::Wgs84),
            ("EPSG:4326", Crs::Wgs84),
            ("epsg:4490", Crs::Wgs84),
            ("gcj02", Crs::Gcj02),
            ("GCJ-02", Crs::Gcj02),
            ("bd09", Crs::Bd09),
            (" Bd-09 ", Crs::Bd09),
        ] {
            assert_eq!(s.parse::<Crs>().unwrap(), crs, "{s}");
        }
        assert_eq!("mars".parse::<Crs>(), Err(Error::UnknownCrs("mars".into())));
        assert!("wgs-84x".parse::<Crs>().is_err());
        assert_eq!(Crs::default(), Crs::Wgs84);
        for crs in Crs::ALL {
            assert_eq!(crs.to_string().parse::<Crs>().unwrap(), crs);
            let json = serde_json::to_string(&crs).unwrap();
            assert_eq!(json, format!("\"{crs}\""));
            assert_eq!(serde_json::from_str::<Crs>(&json).unwrap(), crs);
        }
        assert_eq!(Crs::ALL.map(|c| c.to_string()), ["wgs84", "gcj02", "bd09"]);
        assert_eq!(
            serde_json::from_str::<Crs>("\"cgcs2000\"").unwrap(),
            Crs::Wgs84
        );
        assert!(serde_json::from_str::<Crs>("\"gcj-02\"").is_err());
    }

    #[test]
    fn non_finite_input_stays_non_finite() {
        let conv = Converter::default();
        let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        for bad in specials {
            for p in [(bad, 30.0), (116.0, bad), (bad, bad)] {
                for f in [
                    wgs84_to_gcj02,
                    gcj02_to_wgs84,
                    gcj02_to_bd09,
                    bd09_to_gcj02,
                    wgs84_to_bd09,
                    bd09_to_wgs84,
                ] {
                    let (lon, lat) = f(p.0, p.1);
                    assert!(
                        !(lon.is_finite() && lat.is_finite()),
                        "{p:?} -> {lon} {lat}"
                    );
                }
                for crs in Crs::ALL {
                    let (lon, lat) = conv.to_wgs84(crs, p.0, p.1);
                    assert!(!(lon.is_finite() && lat.is_finite()));
                }
            }
        }
        // Huge and polar finite values must not panic either.
        for p in [
            (1e308, 1e308),
            (-1e308, 90.0),
            (100.0, 90.0),
            (f64::MIN_POSITIVE, 0.0),
        ] {
            for crs in Crs::ALL {
                let _ = conv.to_wgs84(crs, p.0, p.1);
                let _ = conv.from_wgs84(crs, p.0, p.1);
            }
        }
    }
}
