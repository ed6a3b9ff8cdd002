//! Synthetic nested hierarchies: subdivide each region of a level into children of a target
//! area with [`generate::partition`], and give the children standard codes and names.
//!
//! Below a 6-digit district the children are streets (9 digits), below a street communities
//! (12), below a community unit grids (15); serials run 001, 002, … in the partition's reading
//! order (north→south rows, west→east within a row), as GB/T 30428.1 asks for grid serials.
//! Parents whose codes are not standard get free-form child codes `PARENT-NNN`.
//!
//! Everything generated is synthetic: no open street, community or grid boundaries exist.

pub mod cases;
pub mod inventory;

use crate::codes::CodeKind;
use crate::error::{Error, Location, Result};
use crate::generate::{self, PartitionOptions};
use crate::model::geometry::{to_multipolygon, to_raw};
use crate::model::{LevelInput, RegionInput};
use serde::{Deserialize, Serialize};

/// How to generate one level from the level above.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// Target area of a child, m² (streets ~5e6, communities ~5e5, grids ~1e4).
    pub target_area_m2: f64,
    /// Seed of the generator; the same seed gives the same output.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Lloyd relaxation rounds (more = rounder cells, slower).
    #[serde(default = "default_lloyd")]
    pub lloyd_iterations: u32,
    /// Subdivide only these parent codes (all parents when absent).
    #[serde(default)]
    pub parents: Option<Vec<String>>,
}

fn default_seed() -> u64 {
    1
}
fn default_lloyd() -> u32 {
    1
}

impl GenerateSpec {
    /// A spec with the default seed and Lloyd rounds for all parents.
    pub fn new(target_area_m2: f64) -> Self {
        GenerateSpec {
            target_area_m2,
            seed: default_seed(),
            lloyd_iterations: default_lloyd(),
            parents: None,
        }
    }
}

/// Generates the children of `parents` (the level above, already in WGS84).
/// `parent_level` names that level in errors.
pub fn generate_children(
    parent_level: &str,
    parents: &[RegionInput],
    spec: &GenerateSpec,
) -> Result<Vec<RegionInput>> {
    let mut out = Vec::new();
    for (feature, parent) in parents.iter().enumerate() {
        if let Some(only) = &spec.parents {
            if !only.contains(&parent.code) {
                continue;
            }
        }
        let at = Location {
            level: parent_level.to_string(),
            feature,
            code: Some(parent.code.clone()),
        };
        let geometry = to_multipolygon(&at, &parent.geometry)?;
        // Each parent gets its own stream, so adding a parent does not change the others.
        let seed = spec.seed ^ fnv1a(parent.code.as_bytes());
        let options = PartitionOptions {
            target_area_m2: spec.target_area_m2,
            seed,
            lloyd_iterations: spec.lloyd_iterations,
        };
        let cells = generate::partition(&geometry, &options)
            .map_err(|e| Error::Generate(format!("{at}: {e}")))?;
        let (label, width, standard) = child_layout(&parent.code);
        if standard && cells.len() > 999 {
            return Err(Error::Generate(format!(
                "{at}: {} children do not fit a 3-digit serial; raise target_area_m2",
                cells.len()
            )));
        }
        for (i, cell) in cells.into_iter().enumerate() {
            let serial = i + 1;
            let code = if standard {
                format!("{}{serial:0width$}", parent.code)
            } else {
                format!("{}-{serial:0width$}", parent.code)
            };
            out.push(RegionInput {
                code,
                name: format!("{label}{serial:0width$}"),
                parent: Some(parent.code.clone()),
                geometry: to_raw(&cell.polygon),
            });
        }
    }
    Ok(out)
}

/// Name label, serial width and whether the child code is standard, from the parent's code.
fn child_layout(parent: &str) -> (&'static str, usize, bool) {
    match CodeKind::of(parent) {
        Ok(CodeKind::District) => ("街道", 3, true),
        Ok(CodeKind::Street) => ("社区", 3, true),
        Ok(CodeKind::Community) => ("网格", 3, true),
        _ => ("区块", 3, false),
    }
}

/// FNV-1a, a fixed, platform-independent hash for per-parent seeds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Generates levels below `top`, one per `(name, spec)`, each subdividing the one above.
pub fn generate_levels(
    top: LevelInput,
    specs: &[(String, GenerateSpec)],
) -> Result<Vec<LevelInput>> {
    let mut levels = vec![top];
    for (name, spec) in specs {
        let above = levels.last().expect("levels starts non-empty");
        let regions = generate_children(&above.name, &above.regions, spec)?;
        levels.push(LevelInput {
            name: name.clone(),
            regions,
        });
    }
    stitch(&mut levels);
    Ok(levels)
}

/// How close (degrees, ≈ 0.1 mm) a vertex must be to another region's edge to be inserted in it.
pub const STITCH_TOLERANCE_DEG: f64 = 1e-9;

/// Makes borders shared across parents and levels identical, vertex for vertex.
///
/// [`generate::partition`] is exact within one parent, but where a child's edge crosses its
/// parent's border the new vertex can only lie within rounding of that border, and the
/// neighbouring parent's children cross it at other points. This pass inserts into every edge,
/// of every region on every level, each vertex of any region lying within
/// [`STITCH_TOLERANCE_DEG`] of the edge's interior, ordered along the edge. Afterwards the two
/// sides of any border (children of different parents, and the parents themselves) run through
/// the same vertices, so the one-owner rule holds across the whole hierarchy. Shapes move by
/// less than the tolerance. Applied to generated hierarchies only; real data is left as given.
pub fn stitch(levels: &mut [LevelInput]) {
    use rstar::{RTree, AABB};
    let mut vertices: Vec<[f64; 2]> = levels
        .iter()
        .flat_map(|l| &l.regions)
        .flat_map(|r| r.geometry.iter().flatten().flatten().copied())
        .collect();
    vertices.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    vertices.dedup();
    let tree = RTree::bulk_load(vertices);
    let tol = STITCH_TOLERANCE_DEG;
    let mut found: Vec<[f64; 2]> = Vec::new();
    for ring in levels
        .iter_mut()
        .flat_map(|l| &mut l.regions)
        .flat_map(|r| r.geometry.iter_mut().flatten())
    {
        let mut out = Vec::with_capacity(ring.len());
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            let env = AABB::from_corners(
                [a[0].min(b[0]) - tol, a[1].min(b[1]) - tol],
                [a[0].max(b[0]) + tol, a[1].max(b[1]) + tol],
            );
            found.clear();
            found.extend(
                tree.locate_in_envelope(&env)
                    .filter(|v| on_edge_interior(**v, a, b, tol))
                    .copied(),
            );
            // Order along the edge by its dominant axis: the reversed edge of the neighbour
            // gets exactly the reversed order.
            let axis = usize::from((b[1] - a[1]).abs() > (b[0] - a[0]).abs());
            let forward = b[axis] > a[axis];
            found.sort_by(|p, q| {
                let o = p[axis].total_cmp(&q[axis]);
                if forward {
                    o
                } else {
                    o.reverse()
                }
            });
            out.extend_from_slice(&found);
        }
        if let Some(&last) = ring.last() {
            out.push(last);
        }
        *ring = out;
    }
}

/// True when `v` lies within `tol` of segment `a–b` but farther than `tol` from both ends.
fn on_edge_interior(v: [f64; 2], a: [f64; 2], b: [f64; 2], tol: f64) -> bool {
    let d2 = |p: [f64; 2], q: [f64; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
    let t2 = tol * tol;
    if d2(v, a) <= t2 || d2(v, b) <= t2 {
        return false;
    }
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return false;
    }
    let t = ((v[0] - a[0]) * dx + (v[1] - a[1]) * dy) / len2;
    if !(0.0..=1.0).contains(&t) {
        return false;
    }
    let cross = (v[0] - a[0]) * dy - (v[1] - a[1]) * dx;
    cross * cross <= t2 * len2
}
