//! Slivers (tiny or thin polygon parts) and unit grid areas outside the configured range.

use super::{Feature, FindingKind, Severity, Sink, ValidateOptions};
use crate::codes::CodeKind;
use crate::model::CodeScheme;
use geo::orient::{Direction, Orient};
use geo::{Geodesic, GeodesicArea, Length, LineString, Polygon};
use rayon::prelude::*;

/// Geodesic area (m²) of a polygon, whatever its rings' winding. A degenerate (zero planar
/// area) piece keeps its winding under `orient`, and wound the wrong way its geodesic area is
/// the rest of the globe; no region is larger than half the globe, so the smaller of it and
/// the explicitly reversed rings' area is the answer.
pub(super) fn area_m2(p: &Polygon<f64>) -> f64 {
    let a = p.orient(Direction::Default).geodesic_area_unsigned();
    if a > 1e14 {
        let reversed = |r: &LineString<f64>| LineString(r.0.iter().rev().copied().collect());
        let flipped = Polygon::new(
            reversed(p.exterior()),
            p.interiors().iter().map(reversed).collect(),
        );
        a.min(flipped.geodesic_area_unsigned())
    } else {
        a
    }
}

/// Polsby–Popper thinness 4πA/P² with the geodesic perimeter of all rings (1 for a disc).
pub(super) fn thinness(p: &Polygon<f64>, area: f64) -> f64 {
    let perimeter: f64 = std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| Geodesic.length(r))
        .sum();
    if perimeter > 0.0 {
        4.0 * std::f64::consts::PI * area / (perimeter * perimeter)
    } else {
        0.0
    }
}

/// Whether a feature is a unit grid for the area range: with standard codes, a 15- or 14-digit
/// code; with free codes, any feature of the deepest level.
fn is_grid(f: &Feature, deepest: bool, scheme: CodeScheme) -> bool {
    match scheme {
        CodeScheme::Standard => matches!(
            CodeKind::of(&f.code),
            Ok(CodeKind::Grid | CodeKind::LegacyGrid)
        ),
        CodeScheme::Free => deepest,
    }
}

/// One polygon part: its index, geodesic area (m²) and thinness.
type Part = (usize, f64, f64);

/// Slivers on every level; the area range on unit grids.
pub(super) fn check(
    features: &[Feature],
    deepest: bool,
    options: &ValidateOptions,
    sink: &mut Sink,
) {
    let measured: Vec<(f64, Vec<Part>)> = features
        .par_iter()
        .map(|f| {
            let Some(g) = &f.geometry else {
                return (0.0, Vec::new());
            };
            let parts: Vec<Part> = g
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let a = area_m2(p);
                    (i, a, thinness(p, a))
                })
                .collect();
            (parts.iter().map(|p| p.1).sum(), parts)
        })
        .collect();
    for (f, (total, parts)) in features.iter().zip(measured) {
        let Some(g) = &f.geometry else { continue };
        let level = sink.level_name(f.level).to_string();
        for (i, area, thin) in parts {
            let part = &g.0[i];
            if area < options.sliver_area_m2 {
                sink.feature(
                    f,
                    FindingKind::Sliver,
                    Severity::Warning,
                    vec![f.code.clone()],
                    format!(
                        "{level} {:?}: polygon part {i} has only {area:.3} m² (sliver under {} m²)",
                        f.code, options.sliver_area_m2
                    ),
                    Some(part.clone().into()),
                    Some(area),
                );
            } else if thin < options.sliver_thinness {
                sink.feature(
                    f,
                    FindingKind::Sliver,
                    Severity::Warning,
                    vec![f.code.clone()],
                    format!(
                        "{level} {:?}: polygon part {i} is thin: Polsby–Popper {thin:.4} < {}",
                        f.code, options.sliver_thinness
                    ),
                    Some(part.clone().into()),
                    Some(thin),
                );
            }
        }
        if !is_grid(f, deepest, options.code_scheme) {
            continue;
        }
        let (emin, emax) = options.area_error_m2;
        let (wmin, wmax) = options.area_warn_m2;
        let severity = if total < emin || total > emax {
            Severity::Error
        } else if total < wmin || total > wmax {
            Severity::Warning
        } else {
            continue;
        };
        let (lo, hi) = if severity == Severity::Error {
            (emin, emax)
        } else {
            (wmin, wmax)
        };
        sink.feature(
            f,
            FindingKind::AreaOutOfRange,
            severity,
            vec![f.code.clone()],
            format!(
                "{level} {:?}: area {total:.1} m² is outside {lo}–{hi} m² ({severity} range)",
                f.code
            ),
            Some(g.clone().into()),
            Some(total),
        );
    }
}
