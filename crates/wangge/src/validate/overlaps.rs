//! Overlaps between features of one level: candidate pairs from an R-tree of bounding boxes,
//! the overlap itself from geo's boolean intersection.

use super::coverage::{bbox_tree, envelope};
use super::{Feature, Finding, FindingKind, Severity, ValidateOptions};
use geo::{BooleanOps, MultiPolygon};
use rayon::prelude::*;

/// Every pair of features of the level whose intersection exceeds `overlap_min_area_m2`.
pub(super) fn check(
    features: &[Feature],
    names: &[String],
    options: &ValidateOptions,
) -> Vec<Finding> {
    let tree = bbox_tree(features);
    features
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, a)| {
            let mut out = Vec::new();
            let (Some(ga), Some(ba)) = (&a.geometry, &a.bbox) else {
                return out;
            };
            let mut candidates: Vec<usize> = tree
                .locate_in_envelope_intersecting(&envelope(ba))
                .map(|e| e.data)
                .filter(|&j| j > i)
                .collect();
            candidates.sort_unstable();
            for j in candidates {
                let b = &features[j];
                let Some(gb) = &b.geometry else { continue };
                let overlap: MultiPolygon<f64> = ga.intersection(gb);
                let area: f64 = overlap.iter().map(super::sizes::area_m2).sum();
                if area > options.overlap_min_area_m2 {
                    out.push(Finding {
                        kind: FindingKind::Overlap,
                        severity: Severity::Error,
                        codes: vec![a.code.clone(), b.code.clone()],
                        level: names[a.level].clone(),
                        feature: Some(a.index),
                        message: format!(
                            "{} {:?} (#{}) and {:?} (#{}) overlap by {:.2} m²",
                            names[a.level], a.code, a.index, b.code, b.index, area
                        ),
                        geometry: Some(overlap.into()),
                        value: Some(area),
                    });
                }
            }
            out
        })
        .collect()
}
