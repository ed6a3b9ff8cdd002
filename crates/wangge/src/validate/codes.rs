//! Code checks: format, uniqueness, prefix of the parent, serial order.

use super::{Feature, FindingKind, Severity, Sink, ValidateOptions};
use crate::codes::{check_extends, CodeKind};
use crate::model::CodeScheme;
use geo::{Centroid, Coord, LineString, Rect};
use std::collections::HashMap;

/// Runs every code check over all levels (top first).
pub(super) fn check(levels: &[Vec<Feature>], options: &ValidateOptions, sink: &mut Sink) {
    let standard = options.code_scheme == CodeScheme::Standard;
    let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
    for (level, features) in levels.iter().enumerate() {
        for f in features {
            let name = sink.level_name(level).to_string();
            let geometry = || f.geometry.clone().map(Into::into);
            if f.code.is_empty() {
                sink.feature(
                    f,
                    FindingKind::CodeFormat,
                    Severity::Error,
                    vec![],
                    format!("{name} #{}: the code is empty", f.index),
                    geometry(),
                    None,
                );
                continue;
            }
            let valid = !standard || CodeKind::of(&f.code).is_ok();
            if let (true, Err(e)) = (standard, CodeKind::of(&f.code)) {
                sink.feature(
                    f,
                    FindingKind::CodeFormat,
                    Severity::Error,
                    vec![f.code.clone()],
                    format!("{name} #{}: {e}", f.index),
                    geometry(),
                    None,
                );
            }
            match seen.get(f.code.as_str()) {
                Some(&(first_level, first)) => {
                    let first_name = sink.level_name(first_level).to_string();
                    sink.feature(
                        f,
                        FindingKind::DuplicateCode,
                        Severity::Error,
                        vec![f.code.clone()],
                        format!(
                            "{name} #{}: code {:?} is already used by {first_name} #{first}",
                            f.index, f.code
                        ),
                        geometry(),
                        None,
                    );
                }
                None => {
                    seen.insert(&f.code, (level, f.index));
                }
            }
            let parent = match (level, f.parent) {
                (1.., Some(p)) => &levels[level - 1][p],
                _ => continue,
            };
            if standard && valid && CodeKind::of(&parent.code).is_ok() {
                if let Err(reason) = check_extends(&parent.code, &f.code) {
                    sink.feature(
                        f,
                        FindingKind::CodePrefix,
                        Severity::Error,
                        vec![f.code.clone(), parent.code.clone()],
                        format!("{name} #{} {:?} {reason}", f.index, f.code),
                        geometry(),
                        None,
                    );
                }
            }
        }
        if standard {
            serial_order(features, sink);
        }
    }
}

/// One sibling for the serial order check.
struct Placed<'a> {
    f: &'a Feature,
    serial: &'a str,
    centroid: Coord<f64>,
    bbox: Rect<f64>,
}

/// Warns on consecutive serials where the later one reads clearly before the earlier one
/// (module docs: north of its whole box, or in its row and west of its whole box).
fn serial_order(features: &[Feature], sink: &mut Sink) {
    let mut groups: HashMap<&str, Vec<Placed>> = HashMap::new();
    for f in features {
        let (Ok(CodeKind::Street | CodeKind::Community | CodeKind::Grid), Some(g), Some(bbox)) =
            (CodeKind::of(&f.code), &f.geometry, f.bbox)
        else {
            continue;
        };
        let Some(c) = g.centroid() else { continue };
        let (prefix, serial) = f.code.split_at(f.code.len() - 3);
        groups.entry(prefix).or_default().push(Placed {
            f,
            serial,
            centroid: c.0,
            bbox,
        });
    }
    let mut groups: Vec<(&str, Vec<Placed>)> = groups.into_iter().collect();
    groups.sort_by(|a, b| a.0.cmp(b.0));
    for (_, mut siblings) in groups {
        siblings.sort_by(|a, b| a.serial.cmp(b.serial).then(a.f.index.cmp(&b.f.index)));
        for w in siblings.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let in_band = |p: &Placed, y: f64| y >= p.bbox.min().y && y <= p.bbox.max().y;
            let north = b.centroid.y > a.bbox.max().y;
            let same_row = in_band(a, b.centroid.y) && in_band(b, a.centroid.y);
            let west = same_row && b.centroid.x < a.bbox.min().x;
            if !(north || west) {
                continue;
            }
            let level = sink.level_name(b.f.level).to_string();
            sink.feature(
                b.f,
                FindingKind::SerialOrder,
                Severity::Warning,
                vec![a.f.code.clone(), b.f.code.clone()],
                format!(
                    "{level} {:?} comes after {:?} but lies {} of it (serials run west→east, north→south)",
                    b.f.code,
                    a.f.code,
                    if north { "north" } else { "west" }
                ),
                Some(LineString(vec![a.centroid, b.centroid]).into()),
                None,
            );
        }
    }
}
