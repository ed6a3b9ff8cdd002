//! Region ids by code: an open-addressing hash table of ids that hashes the regions' own codes,
//! so building it copies no strings (a city of 100k regions builds it in a few milliseconds,
//! where a `HashMap<String, _>` cloned every code).

use super::{Region, RegionId};
use std::hash::BuildHasher;

const EMPTY: u32 = u32::MAX;

/// Region ids by code (later ids win when a code repeats, as the regions' order says).
#[derive(Debug, Clone, Default)]
pub(crate) struct CodeIndex {
    slots: Vec<u32>,
}

fn hash(code: &str) -> usize {
    rustc_hash::FxBuildHasher.hash_one(code) as usize
}

impl CodeIndex {
    /// Indexes every region's code; at most half the slots are used.
    pub(crate) fn new(regions: &[Region]) -> CodeIndex {
        let mut slots = vec![EMPTY; (regions.len() * 2).next_power_of_two().max(2)];
        let mask = slots.len() - 1;
        for (id, r) in regions.iter().enumerate() {
            let mut at = hash(&r.code) & mask;
            loop {
                let slot = &mut slots[at];
                if *slot == EMPTY || regions[*slot as usize].code == r.code {
                    *slot = id as u32;
                    break;
                }
                at = (at + 1) & mask;
            }
        }
        CodeIndex { slots }
    }

    /// The id of the region with this code, looked up among the `regions` it was built on.
    pub(crate) fn get(&self, regions: &[Region], code: &str) -> Option<RegionId> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = hash(code) & mask;
        loop {
            match self.slots[at] {
                EMPTY => return None,
                id if regions.get(id as usize).is_some_and(|r| r.code == code) => {
                    return Some(RegionId(id))
                }
                _ => at = (at + 1) & mask,
            }
        }
    }
}
