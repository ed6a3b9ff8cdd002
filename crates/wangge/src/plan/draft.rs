//! A working copy of a city's regions that edits are applied to, before it is built into the
//! next version.

use super::edit::Edit;
use super::shapes::{self, Snapper};
use super::PlanOptions;
use crate::codes::{check_extends, CodeKind};
use crate::error::{Error, Location, Result};
use crate::model::geometry::{to_multipolygon, to_raw};
use crate::model::{City, CodeScheme, LevelInput, RegionInput};
use crate::synth::{stitch, STITCH_TOLERANCE_DEG};
use geo::{BoundingRect, MultiPolygon, Rect};
use std::collections::{BTreeMap, BTreeSet};

/// One region of the draft.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub level: usize,
    pub name: String,
    pub parent: Option<String>,
    pub geometry: MultiPolygon<f64>,
}

/// The draft: every region by code, and what the edits did.
pub(crate) struct Draft<'a> {
    pub levels: Vec<String>,
    pub entries: BTreeMap<String, Entry>,
    /// Codes still present whose shape or parent changed.
    pub changed: BTreeSet<String>,
    /// Codes the edits created.
    pub created: BTreeSet<String>,
    /// Codes of the base the edits removed.
    pub retired: BTreeSet<String>,
    /// Codes whose shape only gained vertices where a neighbour's new vertex lies on their
    /// border (see [`Draft::stitch_neighbourhood`]).
    pub stitched: BTreeSet<String>,
    /// Shapes, as they were in the base, of the regions retired or changed.
    pub old_shapes: Vec<MultiPolygon<f64>>,
    /// Codes retired by earlier versions.
    reserved: &'a BTreeSet<String>,
    pub scheme: CodeScheme,
    options: &'a PlanOptions,
}

fn edit_error(edit: usize, op: &'static str, reason: String) -> Error {
    Error::Edit { edit, op, reason }
}

impl<'a> Draft<'a> {
    /// A draft holding every region of `city`.
    pub fn new(city: &City, reserved: &'a BTreeSet<String>, options: &'a PlanOptions) -> Self {
        let entries = city
            .regions()
            .iter()
            .map(|r| {
                let entry = Entry {
                    level: r.level,
                    name: r.name.clone(),
                    parent: r.parent.map(|p| city.region(p).code.clone()),
                    geometry: r.geometry.clone(),
                };
                (r.code.clone(), entry)
            })
            .collect();
        Draft {
            levels: city.levels().to_vec(),
            entries,
            changed: BTreeSet::new(),
            created: BTreeSet::new(),
            retired: BTreeSet::new(),
            stitched: BTreeSet::new(),
            old_shapes: Vec::new(),
            reserved,
            scheme: CodeScheme::infer(city.regions().iter().map(|r| r.code.as_str())),
            options,
        }
    }

    fn leaf_level(&self) -> usize {
        self.levels.len() - 1
    }

    /// The unit grid `code`, or an error saying why it cannot be edited.
    fn grid(&self, edit: usize, op: &'static str, code: &str) -> Result<Entry> {
        match self.entries.get(code) {
            None if self.retired.contains(code) => Err(edit_error(
                edit,
                op,
                format!("grid {code:?} was removed by an earlier edit of this set"),
            )),
            None if self.reserved.contains(code) => Err(edit_error(
                edit,
                op,
                format!("grid {code:?} was retired by an earlier version"),
            )),
            None => Err(edit_error(edit, op, format!("no region has code {code:?}"))),
            Some(e) if e.level != self.leaf_level() => Err(edit_error(
                edit,
                op,
                format!(
                    "{code:?} is a {} region; edits apply to the deepest level ({})",
                    self.levels[e.level],
                    self.levels[self.leaf_level()]
                ),
            )),
            Some(e) => Ok(e.clone()),
        }
    }

    fn check_line(edit: usize, op: &'static str, line: &[[f64; 2]]) -> Result<()> {
        if line.len() < 2 {
            return Err(edit_error(
                edit,
                op,
                format!("the line has {} positions; it needs at least 2", line.len()),
            ));
        }
        if let Some(problem) = line
            .iter()
            .enumerate()
            .find_map(|(i, &[x, y])| crate::crs::coordinate_problem(x, y).map(|p| (i, p)))
        {
            return Err(edit_error(
                edit,
                op,
                format!("line position {}: {}", problem.0, problem.1),
            ));
        }
        Ok(())
    }

    fn used(&self, code: &str) -> bool {
        self.entries.contains_key(code)
            || (!self.options.reuse_retired_codes
                && (self.retired.contains(code) || self.reserved.contains(code)))
    }

    /// A code for a new grid under `parent`: `explicit` after checking it, or the next free
    /// serial (one past the highest serial in use or retired; the lowest free one when that
    /// overflows).
    fn allocate(
        &self,
        edit: usize,
        op: &'static str,
        parent: &str,
        explicit: Option<&str>,
    ) -> Result<String> {
        if let Some(code) = explicit {
            if self.used(code) {
                let why = if self.entries.contains_key(code) {
                    "is in use"
                } else {
                    "was retired (set reuse_retired_codes to allow it)"
                };
                return Err(edit_error(edit, op, format!("code {code:?} {why}")));
            }
            if self.scheme == CodeScheme::Standard {
                CodeKind::of(code).map_err(|e| edit_error(edit, op, e.to_string()))?;
                check_extends(parent, code)
                    .map_err(|r| edit_error(edit, op, format!("code {code:?} {r}")))?;
            } else if code.is_empty() {
                return Err(edit_error(edit, op, "a code must not be empty".into()));
            }
            return Ok(code.to_string());
        }
        if self.scheme != CodeScheme::Standard {
            return Err(edit_error(
                edit,
                op,
                "the city's codes are free-form, so new codes cannot be derived: give them \
                 (\"code\" / \"codes\")"
                    .into(),
            ));
        }
        let sibling_width = self
            .entries
            .iter()
            .find(|(_, e)| e.parent.as_deref() == Some(parent))
            .map(|(c, _)| c.len() - parent.len());
        let width = sibling_width.unwrap_or(3);
        let serial_of = |code: &str| -> Option<u32> {
            (code.len() == parent.len() + width && code.starts_with(parent))
                .then(|| code[parent.len()..].parse().ok())
                .flatten()
        };
        let taken: BTreeSet<u32> = self
            .entries
            .keys()
            .chain(self.retired.iter())
            .chain(self.reserved.iter())
            .filter(|c| self.used(c))
            .filter_map(|c| serial_of(c))
            .collect();
        let max = 10u32.pow(width as u32) - 1;
        let next = taken.last().map_or(1, |m| m + 1);
        let serial = if next <= max {
            Some(next)
        } else {
            (1..=max).find(|s| !taken.contains(s))
        };
        let serial = serial.ok_or_else(|| {
            edit_error(
                edit,
                op,
                format!("community {parent:?} has no free serial left"),
            )
        })?;
        let code = format!("{parent}{serial:0width$}");
        CodeKind::of(&code).map_err(|e| edit_error(edit, op, e.to_string()))?;
        Ok(code)
    }

    /// An error unless `g` is a valid (multi)polygon; `what` names the shape in the message.
    fn check_shape(edit: usize, op: &'static str, what: &str, g: &MultiPolygon<f64>) -> Result<()> {
        use geo::Validation;
        match g.validation_errors().into_iter().next() {
            None => Ok(()),
            Some(problem) => Err(edit_error(
                edit,
                op,
                format!("{what} is not a valid polygon ({problem})"),
            )),
        }
    }

    fn retire(&mut self, code: &str) {
        if let Some(e) = self.entries.remove(code) {
            self.changed.remove(code);
            if !self.created.remove(code) && self.retired.insert(code.to_string()) {
                self.old_shapes.push(e.geometry);
            }
        }
    }

    fn insert(&mut self, code: String, entry: Entry) {
        self.created.insert(code.clone());
        self.entries.insert(code, entry);
    }

    fn set_geometry(&mut self, code: &str, geometry: MultiPolygon<f64>) {
        let Some(e) = self.entries.get_mut(code) else {
            return;
        };
        let old = std::mem::replace(&mut e.geometry, geometry);
        if !self.created.contains(code) && self.changed.insert(code.to_string()) {
            self.old_shapes.push(old);
        }
    }

    /// Applies one edit (the `index`-th of its set).
    pub fn apply(&mut self, index: usize, edit: &Edit) -> Result<()> {
        let op = edit.op();
        match edit {
            Edit::Split { grid, line, codes } => {
                let e = self.grid(index, op, grid)?;
                Self::check_line(index, op, line)?;
                let snapper = Snapper::new([&e.geometry], &[line]);
                let pieces: Vec<_> = shapes::slice(&e.geometry, line)
                    .iter()
                    .filter_map(|p| snapper.polygon(p))
                    .collect();
                if pieces.len() < 2 {
                    return Err(edit_error(
                        index,
                        op,
                        format!(
                            "the line does not cut grid {grid:?} in two: it must cross the \
                             grid from border to border"
                        ),
                    ));
                }
                if let Some(codes) = codes {
                    if codes.len() != pieces.len() {
                        return Err(edit_error(
                            index,
                            op,
                            format!(
                                "the line cuts {grid:?} into {} parts but {} codes are given",
                                pieces.len(),
                                codes.len()
                            ),
                        ));
                    }
                }
                let parent = e.parent.clone().unwrap_or_default();
                self.retire(grid);
                for (k, piece) in shapes::reading_order(pieces).into_iter().enumerate() {
                    let explicit = codes.as_ref().map(|c| c[k].as_str());
                    let code = self.allocate(index, op, &parent, explicit)?;
                    self.insert(
                        code,
                        Entry {
                            geometry: MultiPolygon(vec![piece]),
                            ..e.clone()
                        },
                    );
                }
            }
            Edit::Merge { grids, code } => {
                let entries = self.siblings(index, op, grids, 2)?;
                let union = shapes::union_all(entries.iter().map(|e| &e.geometry));
                let union = Snapper::new(entries.iter().map(|e| &e.geometry), &[]).multi(&union);
                if union.0.len() != 1 {
                    return Err(edit_error(
                        index,
                        op,
                        format!(
                            "grids {grids:?} do not form one connected area ({} parts)",
                            union.0.len()
                        ),
                    ));
                }
                Self::check_shape(
                    index,
                    op,
                    &format!(
                        "the union of {grids:?} (grids that touch only at a point cannot merge)"
                    ),
                    &union,
                )?;
                let parent = entries[0].parent.clone().unwrap_or_default();
                for g in grids {
                    self.retire(g);
                }
                let code = self.allocate(index, op, &parent, code.as_deref())?;
                self.insert(
                    code,
                    Entry {
                        geometry: union,
                        ..entries[0].clone()
                    },
                );
            }
            Edit::Reshape { grids, line } => {
                let entries = self.siblings(index, op, grids, 2)?;
                Self::check_line(index, op, line)?;
                let (a, b) = (&entries[0].geometry, &entries[1].geometry);
                let snapper = Snapper::new([a, b], &[line]);
                let union = snapper.multi(&shapes::union_all([a, b]));
                let (mut to_a, mut to_b) = (Vec::new(), Vec::new());
                for piece in shapes::slice(&union, line) {
                    let Some(piece) = snapper.polygon(&piece) else {
                        continue;
                    };
                    let g = MultiPolygon(vec![piece.clone()]);
                    if shapes::overlap_area(&g, a) >= shapes::overlap_area(&g, b) {
                        to_a.push(piece);
                    } else {
                        to_b.push(piece);
                    }
                }
                if to_a.is_empty() || to_b.is_empty() {
                    let all = if to_a.is_empty() {
                        &grids[1]
                    } else {
                        &grids[0]
                    };
                    return Err(edit_error(
                        index,
                        op,
                        format!(
                            "the line does not divide grids {grids:?}: every part would go to \
                             {all:?}"
                        ),
                    ));
                }
                let (to_a, to_b) = (MultiPolygon(to_a), MultiPolygon(to_b));
                Self::check_shape(index, op, &format!("the new {:?}", grids[0]), &to_a)?;
                Self::check_shape(index, op, &format!("the new {:?}", grids[1]), &to_b)?;
                self.set_geometry(&grids[0], to_a);
                self.set_geometry(&grids[1], to_b);
            }
            Edit::Reassign { grid, parent, code } => self.reassign(index, grid, parent, code)?,
            Edit::Replace { grid, geometry } => {
                let e = self.grid(index, op, grid)?;
                let at = Location {
                    level: self.levels[e.level].clone(),
                    feature: index,
                    code: Some(grid.clone()),
                };
                let geometry = to_multipolygon(&at, geometry)
                    .map_err(|err| edit_error(index, op, err.to_string()))?;
                self.set_geometry(grid, geometry);
            }
        }
        Ok(())
    }

    /// The grids named, checked: at least `min`, distinct, unit grids, one parent.
    fn siblings(
        &self,
        edit: usize,
        op: &'static str,
        codes: &[String],
        min: usize,
    ) -> Result<Vec<Entry>> {
        if codes.len() < min {
            return Err(edit_error(
                edit,
                op,
                format!("needs at least {min} grids, got {}", codes.len()),
            ));
        }
        let distinct: BTreeSet<&String> = codes.iter().collect();
        if distinct.len() != codes.len() {
            return Err(edit_error(
                edit,
                op,
                format!("a grid is named twice in {codes:?}"),
            ));
        }
        let entries: Vec<Entry> = codes
            .iter()
            .map(|c| self.grid(edit, op, c))
            .collect::<Result<_>>()?;
        if let Some(other) = entries.iter().position(|e| e.parent != entries[0].parent) {
            return Err(edit_error(
                edit,
                op,
                format!(
                    "{:?} and {:?} are in different communities ({:?}, {:?}); reassign one first",
                    codes[0],
                    codes[other],
                    entries[0].parent.as_deref().unwrap_or(""),
                    entries[other].parent.as_deref().unwrap_or("")
                ),
            ));
        }
        Ok(entries)
    }

    /// The codes of `code` and its ancestors, itself first.
    fn chain(&self, code: &str) -> Vec<String> {
        std::iter::successors(Some(code.to_string()), |c| {
            self.entries.get(c).and_then(|e| e.parent.clone())
        })
        .collect()
    }

    fn reassign(
        &mut self,
        index: usize,
        grid: &str,
        parent: &str,
        code: &Option<String>,
    ) -> Result<()> {
        let op = "reassign";
        let e = self.grid(index, op, grid)?;
        match self.entries.get(parent) {
            Some(p) if p.level + 1 == e.level => {}
            Some(p) => {
                return Err(edit_error(
                    index,
                    op,
                    format!(
                        "{parent:?} is a {} region; a grid's parent is a {}",
                        self.levels[p.level],
                        self.levels[e.level - 1]
                    ),
                ))
            }
            None => {
                return Err(edit_error(
                    index,
                    op,
                    format!("no region has code {parent:?}"),
                ))
            }
        }
        let old_parent = e.parent.clone().unwrap_or_default();
        if old_parent == parent {
            return Err(edit_error(
                index,
                op,
                format!("grid {grid:?} is already in {parent:?}"),
            ));
        }
        let (old_chain, new_chain) = (self.chain(&old_parent), self.chain(parent));
        for (from, to) in old_chain.iter().zip(&new_chain) {
            if from == to {
                break;
            }
            let (fg, tg) = (&self.entries[from].geometry, &self.entries[to].geometry);
            let snapper = Snapper::new([fg, tg, &e.geometry], &[]);
            let shrunk = snapper.multi(&shapes::difference(fg, &e.geometry));
            if shrunk.0.is_empty() {
                return Err(edit_error(
                    index,
                    op,
                    format!("moving grid {grid:?} would leave {from:?} with no area"),
                ));
            }
            let grown = snapper.multi(&shapes::union_all([tg, &e.geometry]));
            Self::check_shape(index, op, &format!("{from:?} without the grid"), &shrunk)?;
            Self::check_shape(index, op, &format!("{to:?} with the grid"), &grown)?;
            if grown.0.len() > tg.0.len() {
                return Err(edit_error(
                    index,
                    op,
                    format!("grid {grid:?} does not touch {to:?}"),
                ));
            }
            let (from, to) = (from.clone(), to.clone());
            self.set_geometry(&from, shrunk);
            self.set_geometry(&to, grown);
        }
        self.retire(grid);
        let code = self.allocate(index, op, parent, code.as_deref())?;
        self.insert(
            code,
            Entry {
                parent: Some(parent.to_string()),
                ..e
            },
        );
        Ok(())
    }

    /// Codes whose shapes the edits touched: changed and created.
    pub fn touched(&self) -> impl Iterator<Item = &String> {
        self.changed.iter().chain(&self.created)
    }

    /// Bounding box of every touched shape, old and new.
    pub fn envelope(&self) -> Option<Rect<f64>> {
        self.touched()
            .filter_map(|c| self.entries[c].geometry.bounding_rect())
            .chain(self.old_shapes.iter().filter_map(|g| g.bounding_rect()))
            .reduce(|a, b| {
                Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            })
    }

    /// Inserts the edits' new vertices into the borders of the regions around them (every
    /// level), as [`stitch`] does for generated cities: where a cut ends on a border shared
    /// with a neighbour, the neighbour's edge gets the same vertex, so the two sides stay
    /// identical and no point falls between them.
    pub fn stitch_neighbourhood(&mut self) -> Result<()> {
        let Some(env) = self.envelope() else {
            return Ok(());
        };
        let tol = STITCH_TOLERANCE_DEG;
        let near: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                e.geometry.bounding_rect().is_some_and(|r| {
                    r.min().x <= env.max().x + tol
                        && r.max().x >= env.min().x - tol
                        && r.min().y <= env.max().y + tol
                        && r.max().y >= env.min().y - tol
                })
            })
            .map(|(c, _)| c.clone())
            .collect();
        let mut level = LevelInput {
            name: String::new(),
            regions: near
                .iter()
                .map(|c| RegionInput {
                    code: c.clone(),
                    name: String::new(),
                    parent: None,
                    geometry: to_raw(&self.entries[c].geometry),
                })
                .collect(),
        };
        stitch(std::slice::from_mut(&mut level));
        for r in level.regions {
            let e = &self.entries[&r.code];
            if to_raw(&e.geometry) == r.geometry {
                continue;
            }
            let at = Location {
                level: self.levels[e.level].clone(),
                feature: 0,
                code: Some(r.code.clone()),
            };
            let g = to_multipolygon(&at, &r.geometry)?;
            self.entries
                .get_mut(&r.code)
                .expect("near codes exist")
                .geometry = g;
            if !self.changed.contains(&r.code) && !self.created.contains(&r.code) {
                self.stitched.insert(r.code);
            }
        }
        Ok(())
    }

    /// The draft as build input, levels top first, regions in code order.
    pub fn to_levels(&self) -> Vec<LevelInput> {
        self.subset_levels(|_| true)
    }

    /// The regions `keep` accepts, as build input.
    pub fn subset_levels(&self, keep: impl Fn(&str) -> bool) -> Vec<LevelInput> {
        let mut levels: Vec<LevelInput> = self
            .levels
            .iter()
            .map(|name| LevelInput {
                name: name.clone(),
                regions: Vec::new(),
            })
            .collect();
        for (code, e) in &self.entries {
            if keep(code) {
                levels[e.level].regions.push(RegionInput {
                    code: code.clone(),
                    name: e.name.clone(),
                    parent: e.parent.clone(),
                    geometry: to_raw(&e.geometry),
                });
            }
        }
        levels
    }
}
