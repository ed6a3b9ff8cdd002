//! A uniform cell grid in front of the exact test: most points are answered by one array read.
//!
//! The bounding box of all regions is cut into square-ish cells of about half the typical size of
//! a deepest-level region (at most [`MAX_CELLS`] cells). For each cell the build records which
//! regions have an edge touching it (conservatively: the edge's bounding box meets the cell) and,
//! among the regions that touch it with no edge, the best one that covers it completely (deepest
//! level, then lowest id). A cell no edge touches gets its answer stored directly; any other cell
//! keeps a short candidate list in answer order.
//!
//! # Why it is exact
//! A point's cell is `floor((x − x0)·nx/W)`, a monotone function of `x` (likewise for `y`). Let `p`
//! lie in cell `C` and let `q` be a point of the segment from `p` to `C`'s centre `c` (whose cell
//! is checked to be `C`): by monotonicity `q`'s cell is `C` too. So if an edge crossed the
//! segment, its bounding box would contain `q` and the edge would be registered in `C`. Hence a
//! region with no edge registered in `C` contains `p` exactly when it contains `c`, and since no
//! edge passes near `p`, the shifted point `p'` of the one-owner rule agrees with `p`. Regions with
//! an edge in `C` are tested exactly. Cells of one region's bounding box that none of its edges
//! touch form components in which membership is constant (the same argument between 4-adjacent
//! cells), so one centre test per component decides them. Answers are therefore bit-identical
//! to the R-tree path and to the brute-force oracle, which the tests check.

use super::{Locator, PreparedRegion, NO_OWNER};
use std::ops::Range;
use std::sync::Arc;

/// Upper bound on the number of cells.
pub const MAX_CELLS: usize = 1 << 22;
/// Marks a cell word as a direct answer (low bits = region id, or [`NO_OWNER`] masked).
const DIRECT: u32 = 1 << 31;
const NONE_DIRECT: u32 = DIRECT | (NO_OWNER >> 1);

/// A candidate of a boundary cell: exact test, or known to cover the whole cell.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    id: u32,
    covers: bool,
}

/// Point locator over a uniform cell grid (module docs).
#[derive(Clone)]
pub struct CellLocator {
    prepared: Arc<[PreparedRegion]>,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    sx: f64,
    sy: f64,
    nx: usize,
    ny: usize,
    cells: Vec<u32>,
    offsets: Vec<u32>,
    candidates: Vec<Candidate>,
}

impl std::fmt::Debug for CellLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellLocator")
            .field("cells", &(self.nx, self.ny))
            .field("candidates", &self.candidates.len())
            .finish()
    }
}

/// Region order of answers: deeper level first, then lower id.
fn rank(level: &[u16], id: u32) -> (std::cmp::Reverse<u16>, u32) {
    (std::cmp::Reverse(level[id as usize]), id)
}

impl CellLocator {
    /// Builds the grid over `prepared` regions grouped in per-level id ranges.
    pub fn new(prepared: Arc<[PreparedRegion]>, levels: &[Range<u32>]) -> Self {
        let mut level = vec![0u16; prepared.len()];
        for (l, r) in levels.iter().enumerate() {
            for i in r.clone() {
                level[i as usize] = l as u16;
            }
        }
        let usable = |b: &[f64; 4]| b[0] <= b[2] && b[1] <= b[3] && b.iter().all(|v| v.is_finite());
        let bb = prepared.iter().map(|p| p.bbox()).filter(usable).fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            },
        );
        let mut me = CellLocator {
            prepared: prepared.clone(),
            x0: bb[0],
            y0: bb[1],
            x1: bb[2],
            y1: bb[3],
            sx: 0.0,
            sy: 0.0,
            nx: 1,
            ny: 1,
            cells: vec![NONE_DIRECT],
            offsets: vec![0],
            candidates: Vec::new(),
        };
        if !usable(&bb) {
            return me;
        }
        let (w, h) = (
            (bb[2] - bb[0]).max(f64::MIN_POSITIVE),
            (bb[3] - bb[1]).max(f64::MIN_POSITIVE),
        );
        let side = cell_side(&prepared, levels, w, h);
        me.nx = ((w / side).ceil() as usize).clamp(1, MAX_CELLS);
        me.ny = ((h / side).ceil() as usize).clamp(1, MAX_CELLS / me.nx);
        me.sx = me.nx as f64 / w;
        me.sy = me.ny as f64 / h;
        me.fill(&level);
        me
    }

    #[inline]
    fn col(&self, x: f64) -> usize {
        (((x - self.x0) * self.sx) as usize).min(self.nx - 1)
    }

    #[inline]
    fn row(&self, y: f64) -> usize {
        (((y - self.y0) * self.sy) as usize).min(self.ny - 1)
    }

    fn centre(&self, cx: usize, cy: usize) -> Option<(f64, f64)> {
        let x = self.x0 + (cx as f64 + 0.5) / self.sx;
        let y = self.y0 + (cy as f64 + 0.5) / self.sy;
        (self.col(x) == cx && self.row(y) == cy).then_some((x, y))
    }

    fn fill(&mut self, level: &[u16]) {
        let ncells = self.nx * self.ny;
        // (cell, region) pairs for every edge touching a cell; the best covering region per cell.
        let mut touched: Vec<(u32, u32)> = Vec::new();
        let mut cover = vec![NO_OWNER; ncells];
        let prepared = self.prepared.clone();
        for (id, region) in prepared.iter().enumerate() {
            let id = id as u32;
            let b = region.bbox();
            if !(b[0] <= b[2] && b[1] <= b[3]) {
                continue;
            }
            let (c0, c1, r0, r1) = (
                self.col(b[0]),
                self.col(b[2]),
                self.row(b[1]),
                self.row(b[3]),
            );
            let bw = c1 - c0 + 1;
            // 0 = not touched yet unknown, 1 = touched by an edge, 2/3 = decided out/in.
            let mut state = vec![0u8; bw * (r1 - r0 + 1)];
            region.for_each_edge(|a, e| {
                let (ea, eb) = (self.col(a[0].min(e[0])), self.col(a[0].max(e[0])));
                let (ra, rb) = (self.row(a[1].min(e[1])), self.row(a[1].max(e[1])));
                for cy in ra..=rb {
                    for cx in ea..=eb {
                        state[(cy - r0) * bw + cx - c0] = 1;
                    }
                }
            });
            for cy in r0..=r1 {
                for cx in c0..=c1 {
                    let local = (cy - r0) * bw + cx - c0;
                    if state[local] == 0 {
                        self.decide_component(region, &mut state, local, bw, (c0, r0));
                    }
                    let cell = cy * self.nx + cx;
                    match state[local] {
                        1 => touched.push((cell as u32, id)),
                        3 if cover[cell] == NO_OWNER
                            || rank(level, id) < rank(level, cover[cell]) =>
                        {
                            cover[cell] = id
                        }
                        _ => {}
                    }
                }
            }
        }
        touched.sort_unstable_by_key(|&(cell, id)| (cell, rank(level, id)));
        touched.dedup();
        let mut cells = vec![0u32; ncells];
        let mut offsets = vec![0u32];
        let mut candidates = Vec::new();
        let mut t = touched.into_iter().peekable();
        for (cell, word) in cells.iter_mut().enumerate() {
            let best = cover[cell];
            let mut list: Vec<Candidate> = Vec::new();
            while let Some(&(c, id)) = t.peek() {
                if c as usize != cell {
                    break;
                }
                t.next();
                // Candidates ranked after the covering region can never answer.
                if best == NO_OWNER || rank(level, id) < rank(level, best) {
                    list.push(Candidate { id, covers: false });
                }
            }
            if list.is_empty() {
                *word = if best == NO_OWNER {
                    NONE_DIRECT
                } else {
                    DIRECT | best
                };
                continue;
            }
            if best != NO_OWNER {
                list.push(Candidate {
                    id: best,
                    covers: true,
                });
            }
            *word = offsets.len() as u32 - 1;
            candidates.extend(list);
            offsets.push(candidates.len() as u32);
        }
        self.cells = cells;
        self.offsets = offsets;
        self.candidates = candidates;
    }

    /// Flood-fills the untouched component of `start` in a region's bbox cells and marks it
    /// inside (3) or outside (2) from one exact centre test; a cell whose centre rounds into
    /// another cell is marked touched (1) instead, so it gets an exact test at query time.
    fn decide_component(
        &self,
        region: &PreparedRegion,
        state: &mut [u8],
        start: usize,
        bw: usize,
        (c0, r0): (usize, usize),
    ) {
        let bh = state.len() / bw;
        let mut component = vec![start];
        state[start] = 4; // visiting
        let mut i = 0;
        while i < component.len() {
            let k = component[i];
            i += 1;
            let (x, y) = (k % bw, k / bw);
            let mut push = |n: usize| {
                if state[n] == 0 {
                    state[n] = 4;
                    component.push(n);
                }
            };
            if x > 0 {
                push(k - 1);
            }
            if x + 1 < bw {
                push(k + 1);
            }
            if y > 0 {
                push(k - bw);
            }
            if y + 1 < bh {
                push(k + bw);
            }
        }
        let inside = component.iter().find_map(|&k| {
            self.centre(c0 + k % bw, r0 + k / bw)
                .map(|(x, y)| region.contains(x, y))
        });
        for &k in &component {
            state[k] = match (inside, self.centre(c0 + k % bw, r0 + k / bw)) {
                (Some(true), Some(_)) => 3,
                (Some(false), Some(_)) => 2,
                _ => 1,
            };
        }
    }
}

/// Half the median bbox side of the deepest level's regions, but no smaller than the side that
/// gives [`MAX_CELLS`] cells over `w × h`.
fn cell_side(prepared: &[PreparedRegion], levels: &[Range<u32>], w: f64, h: f64) -> f64 {
    let floor = (w * h / MAX_CELLS as f64).sqrt();
    let deepest = levels
        .iter()
        .rev()
        .find(|r| !r.is_empty())
        .cloned()
        .unwrap_or(0..0);
    let mut sides: Vec<f64> = deepest
        .map(|i| {
            let b = prepared[i as usize].bbox();
            (b[2] - b[0]).max(b[3] - b[1])
        })
        .filter(|s| s.is_finite() && *s > 0.0)
        .collect();
    if sides.is_empty() {
        return floor.max(w.max(h));
    }
    let mid = sides.len() / 2;
    let (_, median, _) = sides.select_nth_unstable_by(mid, f64::total_cmp);
    (*median / 2.0).max(floor)
}

impl Locator for CellLocator {
    #[inline]
    fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        // `p'` is east and north of `p`: a point on the east or north edge of the extent is
        // outside every region. NaN fails the comparisons.
        if !(lon >= self.x0 && lon < self.x1 && lat >= self.y0 && lat < self.y1) {
            return None;
        }
        let word = self.cells[self.row(lat) * self.nx + self.col(lon)];
        if word & DIRECT != 0 {
            let id = word & !DIRECT;
            return (id != NO_OWNER >> 1).then_some(id);
        }
        let range = self.offsets[word as usize] as usize..self.offsets[word as usize + 1] as usize;
        self.candidates[range]
            .iter()
            .find(|c| c.covers || self.prepared[c.id as usize].contains(lon, lat))
            .map(|c| c.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::BruteForceLocator;
    use geo::{LineString, MultiPolygon, Polygon};
    use proptest::prelude::*;

    /// Level 0: a few large random triangles (overlapping, like districts); level 1: a jittered
    /// lattice of quads sharing their vertices exactly (like grids).
    fn regions(
        n: usize,
        jitter: &[f64],
        tris: &[[f64; 6]],
    ) -> (Vec<PreparedRegion>, Vec<Range<u32>>) {
        let poly = |pts: Vec<(f64, f64)>| {
            PreparedRegion::new(&MultiPolygon(vec![Polygon::new(
                LineString::from(pts),
                vec![],
            )]))
        };
        let mut out: Vec<PreparedRegion> = tris
            .iter()
            .map(|t| poly(vec![(t[0], t[1]), (t[2], t[3]), (t[4], t[5])]))
            .collect();
        let level0 = 0..out.len() as u32;
        let v = |i: usize, j: usize| {
            let k = j * (n + 1) + i;
            let interior = i > 0 && i < n && j > 0 && j < n;
            let (dx, dy) = if interior {
                (
                    jitter[2 * k % jitter.len()],
                    jitter[(2 * k + 1) % jitter.len()],
                )
            } else {
                (0.0, 0.0)
            };
            (i as f64 + dx, j as f64 + dy)
        };
        for j in 0..n {
            for i in 0..n {
                out.push(poly(vec![
                    v(i, j),
                    v(i + 1, j),
                    v(i + 1, j + 1),
                    v(i, j + 1),
                ]));
            }
        }
        let level1 = level0.end..out.len() as u32;
        (out, vec![level0, level1])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn cells_answer_exactly_like_brute_force(
            n in 1usize..8,
            jitter in prop::collection::vec(-0.35f64..0.35, 2..30),
            tris in prop::collection::vec(prop::array::uniform6(-2.0f64..10.0), 0..4),
            random in prop::collection::vec((-1.0f64..9.0, -1.0f64..9.0), 64),
        ) {
            let (prepared, levels) = regions(n, &jitter, &tris);
            let prepared: Arc<[PreparedRegion]> = prepared.into();
            let cells = CellLocator::new(prepared.clone(), &levels);
            let brute = BruteForceLocator::new(&prepared, &levels);
            let mut pts = random;
            // Lattice vertices, points on cell borders and cell corners, cell centres.
            for j in 0..=n {
                for i in 0..=n {
                    pts.push((i as f64, j as f64));
                }
            }
            for k in 0..=cells.nx.min(40) {
                let x = cells.x0 + k as f64 / cells.sx;
                for m in 0..=cells.ny.min(40) {
                    let y = cells.y0 + m as f64 / cells.sy;
                    pts.push((x, y));
                    pts.push((x, pts[m % 64].1));
                    pts.push((x + 0.5 / cells.sx, y + 0.5 / cells.sy));
                }
            }
            for (x, y) in pts {
                prop_assert_eq!(cells.locate(x, y), brute.locate(x, y), "({}, {})", x, y);
            }
        }
    }

    #[test]
    fn empty_and_degenerate_inputs_answer_none() {
        let cells = CellLocator::new(Arc::from(Vec::new()), &[]);
        assert_eq!(cells.locate(0.0, 0.0), None);
        assert_eq!(cells.locate(f64::NAN, 0.0), None);
    }
}
