//! Synthetic assets and workers for a city whose real inventory is not public.
//!
//! Deterministic for a seed. Assets: in every region of the deepest level, `per_region`
//! components at random points inside it, of common classes (rain/sewage/water covers, street
//! lamps, hydrants, bins, toilets), with 16-digit legacy ids (the district's admin code + class +
//! a serial per class), a 90/7/3 % mix of 完好/破损/丢失, and as 主管部门 the department the
//! dispatch rule itself picks for that class at that point. Workers: one per region of the level
//! above the deepest (e.g. one per community), responsible for a random grid of it, placed in
//! that grid, 80 % on duty.

use crate::assets::AssetInput;
use crate::dispatch::{DepartmentTable, ReportFacts, Resource};
use crate::model::{City, RegionId};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Common classes and their relative frequency in the synthetic inventory.
const CLASSES: [(&str, &str, u32); 8] = [
    ("0103", "雨水井盖", 6),
    ("0102", "污水井盖", 4),
    ("0101", "上水井盖", 3),
    ("0118", "路灯", 6),
    ("0113", "消防设施", 2),
    ("0305", "垃圾箱", 4),
    ("0114", "无主井盖", 1),
    ("0301", "公共厕所", 1),
];

/// How to generate an inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySpec {
    /// Assets per region of the deepest level.
    #[serde(default = "default_per_region")]
    pub per_region: usize,
    /// Seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_per_region() -> usize {
    3
}
fn default_seed() -> u64 {
    1
}

impl Default for InventorySpec {
    fn default() -> Self {
        InventorySpec {
            per_region: default_per_region(),
            seed: default_seed(),
        }
    }
}

/// A random point inside a region (rejection sampling in its bbox), or `None` if 200 tries miss.
fn point_in(city: &City, id: RegionId, rng: &mut ChaCha8Rng) -> Option<(f64, f64)> {
    let [x0, y0, x1, y1] = city.prepared()[id.index()].bbox();
    (0..200).find_map(|_| {
        let (x, y) = (rng.random_range(x0..x1), rng.random_range(y0..y1));
        (city.locate(x, y).map(|h| h.leaf_id()) == Some(id)).then_some((x, y))
    })
}

fn deepest(city: &City) -> usize {
    city.levels().len() - 1
}

/// The 6-digit administrative code of a region's top ancestor (or `420100` if not standard).
fn admin_code(city: &City, id: RegionId) -> String {
    let top = &city.chain(id)[0].code;
    if top.len() >= 6 && top.bytes().all(|b| b.is_ascii_digit()) {
        top[..6].to_string()
    } else {
        "420100".into()
    }
}

/// Generates assets (module docs).
pub fn assets(city: &City, departments: &DepartmentTable, spec: &InventorySpec) -> Vec<AssetInput> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let total: u32 = CLASSES.iter().map(|c| c.2).sum();
    let mut serials: HashMap<(String, &str), u32> = HashMap::new();
    let mut out = Vec::new();
    for (id, region) in city.level_regions(deepest(city)) {
        for _ in 0..spec.per_region {
            let Some((x, y)) = point_in(city, id, &mut rng) else {
                continue;
            };
            let mut pick = rng.random_range(0..total);
            let &(class, name, _) = CLASSES
                .iter()
                .find(|c| {
                    let hit = pick < c.2;
                    pick = pick.saturating_sub(c.2);
                    hit
                })
                .expect("pick < total");
            let admin = admin_code(city, id);
            let serial = serials.entry((admin.clone(), class)).or_insert(0);
            *serial += 1;
            let state = match rng.random_range(0..100) {
                0..90 => "完好",
                90..97 => "破损",
                _ => "丢失",
            };
            let hit = city.locate(x, y);
            let main = departments
                .resolve(&ReportFacts {
                    hit: hit.as_ref(),
                    lon: x,
                    lat: y,
                    category: class,
                    fanout: false,
                    asset_main: None,
                    territorial_level: None,
                })
                .into_iter()
                .find(|m| matches!(m.reason, crate::dispatch::Reason::Responsible { .. }))
                .map(|m| m.code);
            out.push(AssetInput {
                id: format!("{admin}{class}{serial:06}"),
                class: Some(class.into()),
                name: name.into(),
                lon: x,
                lat: y,
                main_dept: main,
                state: state.into(),
                grid: Some(region.code.clone()),
                ..AssetInput::default()
            });
        }
    }
    out
}

/// Generates workers (module docs).
pub fn workers(city: &City, spec: &InventorySpec) -> Vec<Resource> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5747);
    let level = deepest(city);
    let mut out = Vec::new();
    let parents: Vec<RegionId> = match level {
        0 => city.level_regions(0).map(|(id, _)| id).collect(),
        l => city
            .level_regions(l - 1)
            .map(|(id, _)| id)
            .filter(|&p| !city.children(p).is_empty())
            .collect(),
    };
    for p in parents {
        let grids = if level == 0 {
            vec![p]
        } else {
            city.children(p).to_vec()
        };
        let home = grids[rng.random_range(0..grids.len())];
        let Some((x, y)) = point_in(city, home, &mut rng) else {
            continue;
        };
        out.push(Resource {
            id: format!("W{:05}", out.len() + 1),
            kind: "worker".into(),
            lon: x,
            lat: y,
            on_duty: rng.random_range(0..10) < 8,
            home_grid: Some(city.region(home).code.clone()),
        });
    }
    out
}
