//! The stored form of a [`CellLocator`] (what a snapshot keeps so that loading does not rebuild
//! the index) and the checks that make a stored index safe to query.
//!
//! The cell extent and scale are not stored: they are recomputed from the regions' bounding
//! boxes exactly as the build computes them, so they cannot disagree with the regions. What is
//! stored is the grid size, the cell words, the candidate lists, the edge blocks and their
//! vertices. [`CellParts::check`] verifies, in one pass over each array, every invariant a query
//! relies on to stay in bounds: region ids below the region count, list offsets monotone and
//! within the candidates, blocks well-formed (sizes, masks within the candidate count, vertex
//! indices in range) and cell words pointing at the start of a block or at a list. A stored index
//! that passes cannot make a query panic or read out of bounds; whether it gives the same answers
//! as a fresh build is what the snapshot's checksum vouches for.

use super::{
    extent, span, usable, Candidate, CellLocator, BLOCK, BLOCK_MAX_CANDIDATES, BLOCK_MAX_EDGES,
    DIRECT, EDGE_WORDS, HEADER_WORDS, MAX_CELLS, NONE_DIRECT,
};
use crate::locate::{PreparedRegion, NO_OWNER};
use std::sync::Arc;

/// Marks a stored candidate that covers its whole cell (the rest of the word is its id).
const COVERS: u32 = 1 << 31;

/// A [`CellLocator`] without its regions: the arrays a snapshot stores.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CellParts {
    /// Cells along x.
    pub nx: u32,
    /// Cells along y.
    pub ny: u32,
    /// One word per cell, row-major (see [`CellLocator`]'s field docs for the encoding).
    pub cells: Vec<u32>,
    /// Candidate list bounds: list `k` is `candidates[offsets[k]..offsets[k + 1]]`.
    pub offsets: Vec<u32>,
    /// Candidate ids, with [`COVERS`] set on a candidate that covers its whole cell.
    pub candidates: Vec<u32>,
    /// The edge blocks, back to back.
    pub blocks: Vec<u32>,
    /// The blocks' edge endpoints.
    pub vertices: Vec<[f64; 2]>,
}

/// [`CellParts`] that passed [`CellParts::check`] for a given region count.
#[derive(Debug)]
pub(crate) struct CheckedCellParts {
    parts: CellParts,
    regions: usize,
}

impl CellLocator {
    /// The stored form of this index.
    pub(crate) fn to_parts(&self) -> CellParts {
        CellParts {
            nx: self.nx as u32,
            ny: self.ny as u32,
            cells: self.cells.clone(),
            offsets: self.offsets.clone(),
            candidates: self
                .candidates
                .iter()
                .map(|c| c.id | if c.covers { COVERS } else { 0 })
                .collect(),
            blocks: self.blocks.clone(),
            vertices: self.vertices.clone(),
        }
    }

    /// Rebuilds the locator from checked parts over the same regions it was built on. The
    /// extent and scale are recomputed from `prepared`; the grid size must fit them.
    pub(crate) fn from_parts(
        prepared: Arc<[PreparedRegion]>,
        checked: CheckedCellParts,
    ) -> Result<Self, String> {
        let CheckedCellParts { parts, regions } = checked;
        if regions != prepared.len() {
            return Err(format!(
                "the index was checked for {regions} regions, the city has {}",
                prepared.len()
            ));
        }
        let bb = extent(&prepared);
        let (sx, sy) = if usable(&bb) {
            let (w, h) = span(&bb);
            (parts.nx as f64 / w, parts.ny as f64 / h)
        } else if (parts.nx, parts.ny) == (1, 1) {
            (0.0, 0.0)
        } else {
            return Err(format!(
                "the regions have no usable extent but the index has {} × {} cells",
                parts.nx, parts.ny
            ));
        };
        Ok(CellLocator {
            prepared,
            x0: bb[0],
            y0: bb[1],
            x1: bb[2],
            y1: bb[3],
            sx,
            sy,
            nx: parts.nx as usize,
            ny: parts.ny as usize,
            cells: parts.cells,
            offsets: parts.offsets,
            candidates: parts
                .candidates
                .into_iter()
                .map(|w| Candidate {
                    id: w & !COVERS,
                    covers: w & COVERS != 0,
                })
                .collect(),
            blocks: parts.blocks,
            vertices: parts.vertices,
        })
    }
}

impl CellParts {
    /// Checks every invariant queries rely on (module docs) for a city of `regions` regions;
    /// the error names the first violation found.
    pub(crate) fn check(self, regions: usize) -> Result<CheckedCellParts, String> {
        let region = |id: u32| (id as usize) < regions;
        let ncells = self.nx as u64 * self.ny as u64;
        if self.nx == 0 || self.ny == 0 || ncells > MAX_CELLS as u64 {
            return Err(format!(
                "grid of {} × {} cells (each side at least 1, at most {MAX_CELLS} cells)",
                self.nx, self.ny
            ));
        }
        if self.cells.len() as u64 != ncells {
            return Err(format!(
                "{} cell words for {} × {} cells",
                self.cells.len(),
                self.nx,
                self.ny
            ));
        }
        if self.offsets.first() != Some(&0) {
            return Err("candidate list offsets do not start at 0".into());
        }
        if let Some(k) = self.offsets.windows(2).position(|w| w[0] > w[1]) {
            return Err(format!("candidate list offsets decrease at list {k}"));
        }
        let end = *self.offsets.last().unwrap_or(&0) as usize;
        if end != self.candidates.len() {
            return Err(format!(
                "candidate list offsets end at {end}, there are {} candidates",
                self.candidates.len()
            ));
        }
        if let Some(k) = self.candidates.iter().position(|&w| !region(w & !COVERS)) {
            return Err(format!(
                "candidate {k} names region {} of {regions}",
                self.candidates[k] & !COVERS
            ));
        }
        if self.vertices.len() >= 1 << 31 {
            return Err(format!(
                "{} block vertices (at most 2^31)",
                self.vertices.len()
            ));
        }
        if self.blocks.len() > BLOCK as usize {
            return Err(format!("{} block words (at most 2^30)", self.blocks.len()));
        }
        let starts = self.check_blocks(regions)?;
        let lists = self.offsets.len() - 1;
        for (cell, &w) in self.cells.iter().enumerate() {
            let ok = if w & DIRECT != 0 {
                w == NONE_DIRECT || region(w & !DIRECT)
            } else if w & BLOCK != 0 {
                let start = (w & !BLOCK) as usize;
                starts
                    .get(start / 64)
                    .is_some_and(|bits| bits >> (start % 64) & 1 != 0)
            } else {
                (w as usize) < lists
            };
            if !ok {
                return Err(format!(
                    "cell {cell} (column {}, row {}) has word {w:#010x}, which names no region, \
                     block start or candidate list",
                    cell % self.nx as usize,
                    cell / self.nx as usize
                ));
            }
        }
        Ok(CheckedCellParts {
            parts: self,
            regions,
        })
    }

    /// Walks the blocks back to back, checking each, and returns a bit set of their starts.
    fn check_blocks(&self, regions: usize) -> Result<Vec<u64>, String> {
        let region = |id: u32| (id as usize) < regions;
        let nv = self.vertices.len();
        let mut starts = vec![0u64; self.blocks.len().div_ceil(64)];
        let mut at = 0;
        while at < self.blocks.len() {
            let bad = |what: String| Err(format!("edge block at word {at}: {what}"));
            let w = &self.blocks[at..];
            if w.len() < HEADER_WORDS {
                return bad("header cut off at the end of the blocks".into());
            }
            let (edges, ncand) = ((w[2] & 0xffff) as usize, (w[2] >> 16) as usize);
            if ncand == 0 || ncand > BLOCK_MAX_CANDIDATES || edges > BLOCK_MAX_EDGES {
                return bad(format!(
                    "{edges} edges and {ncand} candidates (1 to {BLOCK_MAX_CANDIDATES} \
                     candidates, at most {BLOCK_MAX_EDGES} edges)"
                ));
            }
            let size = HEADER_WORDS + edges * EDGE_WORDS + ncand;
            if w.len() < size {
                return bad(format!(
                    "needs {size} words, {} are left in the blocks",
                    w.len()
                ));
            }
            let allowed = if ncand == 32 {
                u32::MAX
            } else {
                (1u32 << ncand) - 1
            };
            if w[0] & !allowed != 0 {
                return bad(format!(
                    "inside mask {:#x} names candidates beyond its {ncand}",
                    w[0]
                ));
            }
            if w[1] != NO_OWNER && !region(w[1]) {
                return bad(format!("covering region {} of {regions}", w[1]));
            }
            let ids = HEADER_WORDS + edges * EDGE_WORDS;
            for (k, e) in w[HEADER_WORDS..ids].chunks_exact(EDGE_WORDS).enumerate() {
                let (a, b) = (e[0] as usize, (e[1] & !(1 << 31)) as usize);
                if a >= nv || b >= nv {
                    return bad(format!(
                        "edge {k} joins vertices {a} and {b}, there are {nv}"
                    ));
                }
                if e[2] & !allowed != 0 {
                    return bad(format!(
                        "edge {k}'s mask {:#x} names candidates beyond its {ncand}",
                        e[2]
                    ));
                }
            }
            if let Some(&id) = w[ids..size].iter().find(|&&id| !region(id)) {
                return bad(format!("candidate region {id} of {regions}"));
            }
            starts[at / 64] |= 1 << (at % 64);
            at += size;
        }
        Ok(starts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::{BruteForceLocator, Locator};
    use geo::{LineString, MultiPolygon, Polygon};
    use std::ops::Range;

    /// A 6 × 6 lattice of unit squares under one frame: blocks, direct cells and (with a
    /// small side) candidate lists are all present.
    fn lattice() -> (Arc<[PreparedRegion]>, Vec<Range<u32>>) {
        let square = |x: f64, y: f64, s: f64| {
            PreparedRegion::new(&MultiPolygon(vec![Polygon::new(
                LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s)]),
                vec![],
            )]))
        };
        let mut out = vec![square(0.0, 0.0, 6.0)];
        for j in 0..6 {
            for i in 0..6 {
                out.push(square(i as f64, j as f64, 1.0));
            }
        }
        (out.into(), vec![0..1, 1..37])
    }

    #[test]
    fn parts_round_trip_to_identical_answers() {
        let (prepared, levels) = lattice();
        let built = CellLocator::with_side(prepared.clone(), &levels, Some(0.7));
        let parts = built.to_parts();
        let loaded =
            CellLocator::from_parts(prepared.clone(), parts.clone().check(37).unwrap()).unwrap();
        assert_eq!(loaded.to_parts(), parts);
        assert_eq!(
            (loaded.x0, loaded.y0, loaded.x1, loaded.y1, loaded.sx, loaded.sy),
            (built.x0, built.y0, built.x1, built.y1, built.sx, built.sy)
        );
        let brute = BruteForceLocator::new(&prepared, &levels);
        for i in -2..=50 {
            for j in -2..=50 {
                let (x, y) = (i as f64 * 0.125, j as f64 * 0.125);
                assert_eq!(loaded.locate(x, y), built.locate(x, y), "({x}, {y})");
                assert_eq!(loaded.locate(x, y), brute.locate(x, y), "({x}, {y})");
            }
        }
    }

    #[test]
    fn every_broken_invariant_is_named() {
        let (prepared, levels) = lattice();
        let parts = CellLocator::with_side(prepared, &levels, Some(0.7)).to_parts();
        assert!(!parts.blocks.is_empty());
        let fails = |f: &dyn Fn(&mut CellParts), needle: &str| {
            let mut p = parts.clone();
            f(&mut p);
            let e = p.check(37).expect_err(needle);
            assert!(e.contains(needle), "{e:?} lacks {needle:?}");
        };
        fails(&|p| p.nx = 0, "grid of 0");
        fails(&|p| p.ny = MAX_CELLS as u32, "at most");
        fails(
            &|p| {
                p.cells.pop();
            },
            "cell words for",
        );
        fails(&|p| p.offsets[0] = 1, "do not start at 0");
        fails(&|p| p.offsets = vec![0, 2, 1], "decrease at list 1");
        fails(&|p| p.offsets.push(u32::MAX), "candidates");
        fails(&|p| p.candidates.push(99), "end at");
        fails(&|p| p.cells[0] = DIRECT | 37, "names no region");
        fails(&|p| p.cells[0] = BLOCK | 1, "names no region");
        fails(&|p| p.cells[0] = 5, "names no region");
        fails(&|p| p.blocks[2] = 0, "candidates (1 to");
        fails(&|p| p.blocks[0] = u32::MAX, "inside mask");
        fails(&|p| p.blocks[1] = 37, "covering region");
        fails(
            &|p| {
                p.blocks.pop();
            },
            "left in the blocks",
        );
        fails(&|p| p.vertices.clear(), "joins vertices");
        let edges = (parts.blocks[2] & 0xffff) as usize;
        let ncand = (parts.blocks[2] >> 16) as usize;
        assert!(edges > 0 && ncand < 32);
        fails(&|p| p.blocks[HEADER_WORDS + 2] = 1 << ncand, "mask");
        fails(
            &|p| p.blocks[HEADER_WORDS + edges * EDGE_WORDS] = 40,
            "candidate region",
        );
        // Fewer regions than the index names.
        assert!(parts.clone().check(1).is_err());
    }

    #[test]
    fn stored_lists_are_checked() {
        let (prepared, levels) = lattice();
        // A block limit of 0 edges is not reachable from outside; lists come from busy cells,
        // so build one with every cell a list by checking a hand-made index instead.
        let mut parts = CellLocator::with_side(prepared.clone(), &levels, Some(0.7)).to_parts();
        parts.cells.iter_mut().for_each(|w| *w = 0);
        parts.offsets = vec![0, 2];
        parts.candidates = vec![5, COVERS];
        let loaded =
            CellLocator::from_parts(prepared.clone(), parts.clone().check(37).unwrap()).unwrap();
        // Every point: region 5 if it contains it, else the frame (covers).
        assert_eq!(loaded.locate(4.5, 0.5), Some(5));
        assert_eq!(loaded.locate(2.5, 2.5), Some(0));
        parts.candidates[1] = 37 | COVERS;
        assert!(parts.check(37).unwrap_err().contains("candidate 1"));
    }
}
