//! Synthetic nested hierarchies: subdivide each region of a level into children of a target
//! area with [`generate::partition`], and give the children standard codes and names.
//!
//! Below a 6-digit district the children are streets (9 digits), below a street communities
//! (12), below a community unit grids (15); serials run 001, 002, … in the partition's reading
//! order (north→south rows, west→east within a row), as GB/T 30428.1 asks for grid serials.
//! Parents whose codes are not standard get free-form child codes `PARENT-NNN`.
//!
//! Everything generated is synthetic: no open street, community or grid boundaries exist.

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
pub fn generate_levels(top: LevelInput, specs: &[(String, GenerateSpec)]) -> Result<Vec<LevelInput>> {
    let mut levels = vec![top];
    for (name, spec) in specs {
        let above = levels.last().expect("levels starts non-empty");
        let regions = generate_children(&above.name, &above.regions, spec)?;
        levels.push(LevelInput {
            name: name.clone(),
            regions,
        });
    }
    Ok(levels)
}
