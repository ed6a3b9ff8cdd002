//! Parents (named or by containment), gaps inside parents and children outside them.

use super::{Feature, Finding, FindingKind, Severity, Sink, ValidateOptions};
use crate::locate::PreparedRegion;
use crate::model::LevelInput;
use geo::{BooleanOps, BoundingRect, Geometry, InteriorPoint, Intersects, MultiPolygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::HashMap;

/// An R-tree entry: a feature's bounding box and its index in the level.
pub(super) type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The R-tree of the usable features' bounding boxes.
pub(super) fn bbox_tree(features: &[Feature]) -> RTree<BoxEntry> {
    RTree::bulk_load(
        features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let b = f.bbox?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                    i,
                ))
            })
            .collect(),
    )
}

/// Finds each child's parent: the named one, else the first region of the level above (in input
/// order) containing the child's interior point under the one-owner rule.
pub(super) fn assign_parents(
    input: &LevelInput,
    above: &[Feature],
    children: &mut [Feature],
    sink: &mut Sink,
) {
    let mut by_code: HashMap<&str, usize> = HashMap::new();
    for (i, f) in above.iter().enumerate() {
        by_code.entry(f.code.as_str()).or_insert(i);
    }
    let tree = bbox_tree(above);
    let prepared: Vec<Option<PreparedRegion>> = above
        .par_iter()
        .map(|f| f.geometry.as_ref().map(PreparedRegion::new))
        .collect();
    let parent_level = sink
        .level_name(above.first().map_or(0, |f| f.level))
        .to_string();
    let mut found = Vec::new();
    for (child, r) in children.iter_mut().zip(&input.regions) {
        match &r.parent {
            Some(code) => match by_code.get(code.as_str()) {
                Some(&i) => child.parent = Some(i),
                None => found.push((
                    FindingKind::UnknownParent,
                    vec![child.code.clone(), code.clone()],
                    format!("parent {code:?} is not a code of level {parent_level:?}"),
                    child.index,
                    child.geometry.clone(),
                )),
            },
            None => {
                let Some(p) = child.geometry.as_ref().and_then(|g| g.interior_point()) else {
                    continue;
                };
                let (x, y) = (p.x(), p.y());
                child.parent = tree
                    .locate_all_at_point(&[x, y])
                    .map(|e| e.data)
                    .filter(|&i| prepared[i].as_ref().is_some_and(|r| r.contains(x, y)))
                    .min();
                if child.parent.is_none() {
                    found.push((
                        FindingKind::NoParent,
                        vec![child.code.clone()],
                        format!("no region of level {parent_level:?} contains this feature"),
                        child.index,
                        child.geometry.clone(),
                    ));
                }
            }
        }
    }
    let level = children.first().map_or(0, |f| f.level);
    let level_name = sink.level_name(level).to_string();
    sink.extend(
        found
            .into_iter()
            .map(|(kind, codes, message, feature, g)| Finding {
                kind,
                severity: Severity::Error,
                message: format!("{level_name} #{feature} {:?}: {message}", codes[0]),
                codes,
                level: level_name.clone(),
                feature: Some(feature),
                geometry: g.map(Geometry::from),
                value: None,
            }),
    );
}

/// Gaps (parent area covered by no child) and parts of children outside their parent, per
/// parent with at least one child.
pub(super) fn check(
    above: &[Feature],
    children: &[Feature],
    names: &[String],
    options: &ValidateOptions,
) -> Vec<Finding> {
    let mut by_parent: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, c) in children.iter().enumerate() {
        if let (Some(p), Some(_)) = (c.parent, &c.geometry) {
            by_parent.entry(p).or_default().push(i);
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = by_parent.into_iter().collect();
    groups.sort_unstable();
    groups
        .par_iter()
        .flat_map_iter(|(p, kids)| {
            let parent = &above[*p];
            let mut out = Vec::new();
            let Some(pg) = &parent.geometry else {
                return out;
            };
            let union =
                geo::unary_union(kids.iter().filter_map(|&k| children[k].geometry.as_ref()));
            for piece in pg.difference(&union) {
                let area = super::sizes::area_m2(&piece);
                if area > options.gap_min_area_m2 {
                    out.push(Finding {
                        kind: FindingKind::Gap,
                        severity: Severity::Error,
                        codes: vec![parent.code.clone()],
                        level: names[parent.level].clone(),
                        feature: Some(parent.index),
                        message: format!(
                            "{:.2} m² of {} {:?} is covered by none of its {} {}",
                            area,
                            names[parent.level],
                            parent.code,
                            kids.len(),
                            names[parent.level + 1]
                        ),
                        geometry: Some(piece.into()),
                        value: Some(area),
                    });
                }
            }
            for piece in union.difference(pg) {
                let area = super::sizes::area_m2(&piece);
                if area <= options.gap_min_area_m2 {
                    continue;
                }
                let mut codes: Vec<String> = piece
                    .bounding_rect()
                    .map(|b| {
                        kids.iter()
                            .map(|&k| &children[k])
                            .filter(|c| {
                                c.bbox.is_some_and(|cb| cb.intersects(&b))
                                    && c.geometry.as_ref().is_some_and(|g| {
                                        g.intersection(&MultiPolygon(vec![piece.clone()]))
                                            .iter()
                                            .map(super::sizes::area_m2)
                                            .sum::<f64>()
                                            > 0.0
                                    })
                            })
                            .map(|c| c.code.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                let first = codes.first().cloned();
                codes.push(parent.code.clone());
                let feature = first
                    .as_ref()
                    .and_then(|code| kids.iter().map(|&k| &children[k]).find(|c| &c.code == code))
                    .map(|c| c.index);
                out.push(Finding {
                    kind: FindingKind::OutsideParent,
                    severity: Severity::Error,
                    message: format!(
                        "{:.2} m² of {} {} lies outside their parent {:?}",
                        area,
                        names[parent.level + 1],
                        codes[..codes.len() - 1].join(", "),
                        parent.code
                    ),
                    codes,
                    level: names[parent.level + 1].clone(),
                    feature,
                    geometry: Some(piece.into()),
                    value: Some(area),
                });
            }
            out
        })
        .collect()
}

/// The query box of a rectangle.
pub(super) fn envelope(b: &geo::Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y])
}
