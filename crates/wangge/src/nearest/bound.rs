//! The geometry behind the search: n-vectors, the WGS84 radii of curvature and the bounds that
//! relate the angle between two normals to the geodesic distance (see the module docs of
//! [`crate::nearest`] for the argument).

use std::sync::OnceLock;

use geographiclib_rs::Geodesic;

/// WGS84 semi-major axis, m.
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared, e² = f (2 − f).
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// The smallest radius of curvature of the WGS84 ellipsoid: the meridian radius at the
/// equator, M_min = a (1 − e²) ≈ 6 335 439.327 m.
pub(crate) const M_MIN: f64 = WGS84_A * (1.0 - WGS84_E2);

/// The largest radius of curvature of the WGS84 ellipsoid: both radii at the poles,
/// N_max = a / √(1 − e²) ≈ 6 399 593.626 m.
pub(crate) fn n_max() -> f64 {
    WGS84_A / (1.0 - WGS84_E2).sqrt()
}

/// Relative safety margin applied to every bound (covers the rounding of asin, sin, sqrt and
/// the products; each is a few ulps, i.e. ~1e-16 relative).
const REL_SLACK: f64 = 1e-12;

/// Absolute safety margin on angles, radians (≈ 0.63 µm on the ground). Covers the rounding
/// of the n-vector components (a few ulps of 1, i.e. ≲ 1e-15 absolute on a chord, which a
/// relative margin cannot cover for very short distances) and the error of Karney's
/// algorithm (≈ 15 nm ≈ 2.4e-15 rad).
const THETA_SLACK: f64 = 1e-13;

/// The shared WGS84 geodesic.
pub(crate) fn wgs84() -> &'static Geodesic {
    static GEOD: OnceLock<Geodesic> = OnceLock::new();
    GEOD.get_or_init(Geodesic::wgs84)
}

/// The unit normal of the ellipsoid at geodetic (lon, lat) in degrees:
/// (cos φ cos λ, cos φ sin λ, sin φ).
pub fn n_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (sin_lat, cos_lat) = lat.to_radians().sin_cos();
    let (sin_lon, cos_lon) = lon.to_radians().sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

/// The angle (radians) between two unit vectors whose chord has squared length `chord2`:
/// θ = 2 asin(c / 2), well conditioned for small angles (unlike acos of the dot product).
pub(crate) fn angle_from_chord2(chord2: f64) -> f64 {
    2.0 * (chord2.sqrt() * 0.5).min(1.0).asin()
}

/// A lower bound (m) on the geodesic distance between two points whose n-vectors, as
/// computed, are `chord2` apart (squared chord): M_min θ, shaved by the safety margins.
pub fn lower_bound_m(chord2: f64) -> f64 {
    let theta = (angle_from_chord2(chord2) - THETA_SLACK).max(0.0);
    M_MIN * theta * (1.0 - REL_SLACK)
}

/// An upper bound (m) on the geodesic distance between two points whose n-vectors, as
/// computed, are `chord2` apart (squared chord): N_max θ, widened by the safety margins (the
/// relative one a thousand times wider than for the lower bound: this bound only decides how
/// far the search looks, so generosity costs nothing but a few more candidates).
pub fn upper_bound_m(chord2: f64) -> f64 {
    n_max() * (angle_from_chord2(chord2) + THETA_SLACK) * (1.0 + 1000.0 * REL_SLACK)
}

/// The slope of [`reach_chord2`]: at least N_max / M_min = (1 − e²)^(−3/2) ≈ 1.010 126 8,
/// widened (a test checks it against the exact ratio with room for every rounding).
pub(crate) const REACH_SLOPE: f64 = 1.0102;

/// The absolute term of [`reach_chord2`], covering the two angle margins of
/// [`upper_bound_m`] and [`chord2_bound`] (2 × 1e-13 rad) times the slope.
const REACH_ABS: f64 = 3e-13;

/// How far, in squared chord, a k-NN search must look once it knows k candidates whose
/// squared chords are at most `chord2`: an upper bound on
/// `chord2_bound(upper_bound_m(chord2))`, i.e. on the chord of every point no farther than
/// the farthest of those candidates can be. Cheap (one square root) where it matters, for
/// θ ≤ 90°: there θ' = ρθ + O(ε) with ρ = N_max / M_min ≤ `REACH_SLOPE`, and
/// 2 sin(ρθ/2) ≤ ρ · 2 sin(θ/2) = ρ c whenever ρθ ≤ π (ρ sin x − sin ρx is 0 at 0 and
/// non-decreasing while ρx ≤ π), sin being 1-Lipschitz for the ε terms. Beyond 90°, the
/// exact composition.
pub(crate) fn reach_chord2(chord2: f64) -> f64 {
    if chord2 <= 2.0 {
        let c = REACH_SLOPE * chord2.sqrt() + REACH_ABS;
        c * c
    } else {
        chord2_bound(upper_bound_m(chord2))
    }
}

/// A squared chord that every point within geodesic distance `radius_m` stays within (as
/// computed): the chord of θ_max = radius / M_min, widened by the safety margins. Infinite when
/// θ_max reaches π (every point qualifies).
pub fn chord2_bound(radius_m: f64) -> f64 {
    let theta = radius_m / M_MIN * (1.0 + REL_SLACK) + THETA_SLACK;
    if theta >= std::f64::consts::PI {
        return f64::INFINITY;
    }
    let chord = 2.0 * (theta * 0.5).sin();
    chord * chord * (1.0 + REL_SLACK)
}
