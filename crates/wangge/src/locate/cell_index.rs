//! A uniform cell grid in front of the exact test: most points are answered by one array read,
//! the rest by a few edges stored next to their cell.
//!
//! The bounding box of all regions is cut into square-ish cells of about half the typical size of
//! a deepest-level region (at most [`MAX_CELLS`] cells, and at most [`CELLS_PER_VERTEX`] per
//! vertex of the input, so a small input cannot make a large grid; coarser when the edges' and
//! regions' bounding boxes would meet more than [`PAIRS_PER_VERTEX`] cells per vertex, so that
//! long edges over a fine grid cannot make the build quadratic). For each cell the build records which
//! regions have an edge touching it (conservatively: the edge's bounding box meets the cell) and,
//! among the regions that touch it with no edge, the best one that covers it completely (deepest
//! level, then lowest id). A cell no edge touches gets its answer stored directly. Any other cell
//! ("boundary cell") gets an **edge block**, in the manner of S2's shape index: the candidate
//! regions in answer order, which of them contain the cell centre `c`, and the distinct edges of
//! those candidates that touch the cell, each tagged with the candidates it bounds. A query `p`
//! starts from the centre's memberships and flips a candidate for every one of its edges that the
//! segment `c → p` crosses; the first candidate left inside answers, else the covering region.
//! Cells over the block limits ([`BLOCK_MAX_CANDIDATES`], [`BLOCK_MAX_EDGES`]), or whose centre
//! rounds into a neighbour, keep a ranked candidate list and test whole regions instead.
//!
//! # Why it is exact
//! A point's cell is `floor((x − x0)·nx/W)`, a monotone function of `x` (likewise for `y`). Let `p`
//! lie in cell `C` and let `q` be a point of the segment from `p` to `C`'s centre `c` (whose cell
//! is checked to be `C`): by monotonicity `q`'s cell is `C` too. So if an edge crossed the
//! segment, its bounding box would contain `q` and the edge would be registered in `C`. Hence a
//! region with no edge registered in `C` contains `p` exactly when it contains `c`, and since no
//! edge passes near `p`, the shifted point `p'` of the one-owner rule agrees with `p`. Regions with
//! an edge in `C` are decided exactly: by their full test in a candidate list, or in a block by
//! the centre's exact membership and the exact, symbolically perturbed crossing test
//! [`segment_crosses`] on the segment `c' → p'` (shifted like the rule's `p'`, so it never touches
//! a vertex and every crossing flips membership). Cells of one region's bounding box that none of
//! its edges touch form components in which membership is constant (the same argument between
//! 4-adjacent cells), so one centre test per component decides them. Answers are therefore
//! bit-identical to the R-tree path and to the brute-force oracle, which the tests check,
//! including edges and vertices placed exactly on cell centres and borders.

use super::predicate::{left_of, segment_crosses};
use super::{Locator, PreparedRegion, NO_OWNER};
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::Arc;

mod store;
pub(crate) use store::{CellParts, CheckedCellParts};

/// Upper bound on the number of cells.
pub const MAX_CELLS: usize = 1 << 22;
/// Cells allowed per input vertex (at least 4096 in all): real partitions use
/// far fewer (the central-Wuhan city 0.6, the bundled demo city 110), while a tiny
/// region far from a huge one would otherwise make the whole `MAX_CELLS` grid out of a
/// few bytes of input (a cargo-fuzz `snapshot` finding: a 1.6 kB format-1 snapshot took
/// seconds to load).
pub const CELLS_PER_VERTEX: usize = 256;
/// The cell budget of an input with very few vertices.
const MIN_CELL_BUDGET: usize = 4096;
/// (edge, cell) and (region, cell) pairs the build may visit per input vertex, on top of 4 per
/// cell: the pairs of an edge are the cells its bounding box meets, those of a region the cells
/// of its bounding box. Real cities need about 5 per vertex (the central-Wuhan city 4.9, the
/// fixture 5.7; the demo city 97, but that is 0.9 per cell), while long edges crossing a fine
/// grid (a few huge diagonal regions over many small ones) would need a number of pairs that
/// grows with the product of edges and cells, and 16 bytes of memory each. Over the budget the
/// cells are made coarser until the pairs fit: answers stay exact, queries in those cells just
/// test more edges.
const PAIRS_PER_VERTEX: u64 = 16;
/// Marks a cell word as a direct answer (low bits = region id, or [`NO_OWNER`] masked).
const DIRECT: u32 = 1 << 31;
const NONE_DIRECT: u32 = DIRECT | (NO_OWNER >> 1);
/// Marks a cell word as an edge block (low bits = its start in `blocks`); otherwise the low bits
/// index a candidate list.
const BLOCK: u32 = 1 << 30;
/// Most candidates an edge block handles (one bit each in a `u32` mask).
const BLOCK_MAX_CANDIDATES: usize = 32;
/// Most distinct edges an edge block keeps; busier cells use a candidate list.
const BLOCK_MAX_EDGES: usize = 48;
/// Words of a block header and of one edge (see [`CellLocator::blocks`]).
const HEADER_WORDS: usize = 3;
const EDGE_WORDS: usize = 3;
/// Side of the square tiles of cells whose blocks are stored together, so that nearby cells'
/// blocks share cache lines and pages (points sorted along a space-filling curve benefit).
const TILE: usize = 16;

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
    /// Edge blocks, one per boundary cell that fits the limits, as 32-bit words: header
    /// `[inside mask, cover, edge count | candidate count << 16]`, then per edge
    /// `[a, b | (c left of a→b) << 31, mask]` with `a`, `b` indices into `vertices`, then the
    /// candidate ids. `c` is the cell centre ([`CellLocator::centre`]), candidate `i` is bit `i`
    /// of the masks (answer order), `inside` says which candidates contain `c`, an edge's mask
    /// which candidates it bounds. Blocks are stored tile by tile ([`TILE`]).
    blocks: Vec<u32>,
    /// Every distinct edge endpoint of the blocks, once.
    vertices: Vec<[f64; 2]>,
}

impl std::fmt::Debug for CellLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellLocator")
            .field("cells", &(self.nx, self.ny))
            .field("candidates", &self.candidates.len())
            .field("block_words", &self.blocks.len())
            .field("stats", &self.stats())
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
        Self::with_side(prepared, levels, None)
    }

    /// [`CellLocator::new`] with the cell side chosen by the caller (tests place edges exactly
    /// through cell centres with it) or, for `None`, by [`cell_side`].
    fn with_side(
        prepared: Arc<[PreparedRegion]>,
        levels: &[Range<u32>],
        side: Option<f64>,
    ) -> Self {
        let mut level = vec![0u16; prepared.len()];
        for (l, r) in levels.iter().enumerate() {
            for i in r.clone() {
                level[i as usize] = l as u16;
            }
        }
        let bb = extent(&prepared);
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
            blocks: Vec::new(),
            vertices: Vec::new(),
        };
        if !usable(&bb) {
            return me;
        }
        let (w, h) = span(&bb);
        let vertices: usize = prepared.iter().map(|p| p.vertex_count()).sum();
        let budget = vertices
            .saturating_mul(CELLS_PER_VERTEX)
            .clamp(MIN_CELL_BUDGET, MAX_CELLS);
        let side = side.unwrap_or_else(|| cell_side(&prepared, levels, w, h, budget));
        me.nx = ((w / side).ceil() as usize).clamp(1, budget);
        me.ny = ((h / side).ceil() as usize).clamp(1, budget / me.nx);
        me.sx = me.nx as f64 / w;
        me.sy = me.ny as f64 / h;
        // Bound the fill's time and memory ([`PAIRS_PER_VERTEX`]): coarser cells until the
        // (region, cell) and (edge, cell) pairs it visits fit the budget.
        loop {
            let budget = (vertices as u64)
                .saturating_mul(PAIRS_PER_VERTEX)
                .saturating_add(4 * (me.nx * me.ny) as u64);
            if me.nx * me.ny == 1 || me.fill_pairs(budget) <= budget {
                break;
            }
            me.nx = me.nx.div_ceil(2);
            me.ny = me.ny.div_ceil(2);
            me.sx = me.nx as f64 / w;
            me.sy = me.ny as f64 / h;
        }
        me.fill(&level);
        me
    }

    /// The (region, cell) pairs of every region's bounding box plus the (edge, cell) pairs of
    /// every edge's, as [`CellLocator::fill`] visits them; counting stops past `stop`.
    fn fill_pairs(&self, stop: u64) -> u64 {
        let mut pairs: u64 = 0;
        for region in self.prepared.iter() {
            let b = region.bbox();
            if !(b[0] <= b[2] && b[1] <= b[3]) {
                continue;
            }
            let cells = |x0: f64, y0: f64, x1: f64, y1: f64| {
                ((self.col(x1) - self.col(x0) + 1) * (self.row(y1) - self.row(y0) + 1)) as u64
            };
            pairs = pairs.saturating_add(cells(b[0], b[1], b[2], b[3]));
            region.for_each_edge(|a, e| {
                pairs = pairs.saturating_add(cells(
                    a[0].min(e[0]),
                    a[1].min(e[1]),
                    a[0].max(e[0]),
                    a[1].max(e[1]),
                ));
            });
            if pairs > stop {
                break;
            }
        }
        pairs
    }

    #[inline]
    fn col(&self, x: f64) -> usize {
        (((x - self.x0) * self.sx) as usize).min(self.nx - 1)
    }

    #[inline]
    fn row(&self, y: f64) -> usize {
        (((y - self.y0) * self.sy) as usize).min(self.ny - 1)
    }

    /// The centre of cell `(cx, cy)`, as build and queries both compute it.
    #[inline]
    fn centre_of(&self, cx: usize, cy: usize) -> [f64; 2] {
        [
            self.x0 + (cx as f64 + 0.5) / self.sx,
            self.y0 + (cy as f64 + 0.5) / self.sy,
        ]
    }

    /// [`CellLocator::centre_of`] when rounding keeps it inside its cell.
    fn centre(&self, cx: usize, cy: usize) -> Option<(f64, f64)> {
        let [x, y] = self.centre_of(cx, cy);
        (self.col(x) == cx && self.row(y) == cy).then_some((x, y))
    }

    fn fill(&mut self, level: &[u16]) {
        let ncells = self.nx * self.ny;
        // (cell, region) pairs for every edge touching a cell, the edges themselves per cell
        // (endpoints interned in `vertices`), and the best covering region per cell.
        let mut touched: Vec<(u32, u32)> = Vec::new();
        let mut hits: Vec<EdgeHit> = Vec::new();
        let mut cover = vec![NO_OWNER; ncells];
        let mut vertices: Vec<[f64; 2]> = Vec::new();
        let mut vertex_ids: FxHashMap<(u64, u64), u32> = FxHashMap::default();
        vertex_ids.reserve(
            self.prepared
                .iter()
                .map(|p| p.vertex_count())
                .sum::<usize>()
                / 2,
        );
        let mut intern = |p: [f64; 2]| {
            *vertex_ids
                .entry((p[0].to_bits(), p[1].to_bits()))
                .or_insert_with(|| {
                    vertices.push(p);
                    vertices.len() as u32 - 1
                })
        };
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
            // Consecutive edges share an endpoint: intern it once.
            let mut last: Option<([f64; 2], u32)> = None;
            region.for_each_edge(|a, e| {
                let (ea, eb) = (self.col(a[0].min(e[0])), self.col(a[0].max(e[0])));
                let (ra, rb) = (self.row(a[1].min(e[1])), self.row(a[1].max(e[1])));
                let ends = (a != e).then(|| {
                    let first = match last {
                        Some((q, i)) if q == a => i,
                        _ => intern(a),
                    };
                    let second = intern(e);
                    last = Some((e, second));
                    (first, second)
                });
                for cy in ra..=rb {
                    for cx in ea..=eb {
                        state[(cy - r0) * bw + cx - c0] = 1;
                        if let Some((a, b)) = ends {
                            let cell = (cy * self.nx + cx) as u32;
                            hits.push(EdgeHit { cell, id, a, b });
                        }
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
        drop(vertex_ids);
        touched.sort_unstable_by_key(|&(cell, id)| (cell, rank(level, id)));
        touched.dedup();
        // Per cell, the regions that can answer there (ranked before the covering region).
        let mut list_offsets = vec![0u32; ncells + 1];
        let mut lists: Vec<u32> = Vec::with_capacity(touched.len());
        let mut t = touched.into_iter().peekable();
        for cell in 0..ncells {
            let best = cover[cell];
            while let Some(&(c, id)) = t.peek() {
                if c as usize != cell {
                    break;
                }
                t.next();
                if best == NO_OWNER || rank(level, id) < rank(level, best) {
                    lists.push(id);
                }
            }
            list_offsets[cell + 1] = lists.len() as u32;
        }
        let (hit_offsets, hits) = by_cell(hits, ncells);
        let blocks_allowed = vertices.len() < 1 << 31;
        // Vertices are renumbered in the order blocks first use them, so they sit in memory
        // next to their cells' blocks.
        let mut used = Renumber {
            new_id: vec![u32::MAX; vertices.len()],
            vertices: Vec::new(),
        };
        let mut cells = vec![0u32; ncells];
        let mut offsets = vec![0u32];
        let mut candidates = Vec::new();
        let mut blocks = Vec::new();
        let mut scratch = Vec::new();
        for (cx, cy) in tiled(self.nx, self.ny) {
            let cell = cy * self.nx + cx;
            let best = cover[cell];
            let list = &lists[list_offsets[cell] as usize..list_offsets[cell + 1] as usize];
            if list.is_empty() {
                cells[cell] = if best == NO_OWNER {
                    NONE_DIRECT
                } else {
                    DIRECT | best
                };
                continue;
            }
            let cell_hits = &hits[hit_offsets[cell] as usize..hit_offsets[cell + 1] as usize];
            let block = match self.centre(cx, cy) {
                Some(c) if blocks_allowed => push_block(
                    &mut blocks,
                    &vertices,
                    &mut used,
                    &prepared,
                    c,
                    list,
                    best,
                    cell_hits,
                    &mut scratch,
                ),
                _ => None,
            };
            if let Some(start) = block {
                cells[cell] = BLOCK | start;
                continue;
            }
            candidates.extend(list.iter().map(|&id| Candidate { id, covers: false }));
            if best != NO_OWNER {
                candidates.push(Candidate {
                    id: best,
                    covers: true,
                });
            }
            cells[cell] = offsets.len() as u32 - 1;
            offsets.push(candidates.len() as u32);
        }
        self.cells = cells;
        self.offsets = offsets;
        self.candidates = candidates;
        self.blocks = blocks;
        self.vertices = used.vertices;
    }

    /// The rank of the point's cell in block storage order (tile by tile), or `u32::MAX` for a
    /// point outside the extent (or NaN). Queries taken in this order read neighbouring blocks.
    #[inline]
    pub fn storage_key(&self, lon: f64, lat: f64) -> u32 {
        if !(lon >= self.x0 && lon < self.x1 && lat >= self.y0 && lat < self.y1) {
            return u32::MAX;
        }
        let (cx, cy) = (self.col(lon), self.row(lat));
        let tile = (cy / TILE) * self.nx.div_ceil(TILE) + cx / TILE;
        (tile * TILE * TILE + (cy % TILE) * TILE + cx % TILE) as u32
    }

    /// `(storage key, input position)` of every point, sorted by key (a stable radix sort);
    /// at most `u32::MAX` points.
    pub fn storage_order(&self, lons: &[f64], lats: &[f64]) -> Vec<(u32, u32)> {
        let mut order: Vec<(u32, u32)> = lons
            .iter()
            .zip(lats)
            .enumerate()
            .map(|(i, (&x, &y))| (self.storage_key(x, y), i as u32))
            .collect();
        radsort::sort_by_key(&mut order, |&(key, _)| key);
        order
    }

    /// Owners of the points of `order` (from [`CellLocator::storage_order`]), in that order.
    /// The coordinates are gathered first, in one pass of independent reads, so that the
    /// dependent reads of the index are not queued behind them.
    pub fn locate_ordered(&self, lons: &[f64], lats: &[f64], order: &[(u32, u32)]) -> Vec<u32> {
        let pts: Vec<(u32, [f64; 2])> = order
            .iter()
            .map(|&(key, i)| (key, [lons[i as usize], lats[i as usize]]))
            .collect();
        pts.iter()
            .map(|&(key, [x, y])| match key {
                u32::MAX => NO_OWNER,
                _ => self.locate(x, y).unwrap_or(NO_OWNER),
            })
            .collect()
    }

    /// Cell counts by kind `[direct, edge block, candidate list]`, the edges of all blocks and
    /// the candidates of all lists (for tuning and the benchmark reports).
    pub fn stats(&self) -> [usize; 5] {
        let mut k = [0usize; 5];
        for &w in &self.cells {
            if w & DIRECT != 0 {
                k[0] += 1;
            } else if w & BLOCK != 0 {
                k[1] += 1;
                k[3] += (self.blocks[(w & !BLOCK) as usize + 2] & 0xffff) as usize;
            } else {
                k[2] += 1;
            }
        }
        k[4] = self.candidates.len();
        k
    }

    /// Answers a point of a block cell: the candidates containing the centre, flipped by every
    /// edge the segment from the centre to the point crosses ([`segment_crosses`]).
    #[inline]
    fn block_answer(&self, start: usize, (cx, cy): (usize, usize), p: [f64; 2]) -> Option<u32> {
        let w = &self.blocks[start..];
        let c = self.centre_of(cx, cy);
        let edges = (w[2] & 0xffff) as usize;
        let mut mask = w[0];
        let ids = HEADER_WORDS + edges * EDGE_WORDS;
        if p != c {
            for e in w[HEADER_WORDS..ids].chunks_exact(EDGE_WORDS) {
                let a = self.vertices[e[0] as usize];
                let b = self.vertices[(e[1] & !(1 << 31)) as usize];
                if segment_crosses(a, b, c, p, e[1] >> 31 != 0) {
                    mask ^= e[2];
                }
            }
        }
        if mask == 0 {
            let cover = w[1];
            return (cover != NO_OWNER).then_some(cover);
        }
        Some(w[ids + mask.trailing_zeros() as usize])
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

/// True when a bounding box is finite and not inverted.
fn usable(b: &[f64; 4]) -> bool {
    b[0] <= b[2] && b[1] <= b[3] && b.iter().all(|v| v.is_finite())
}

/// The bounding box of every usable region bbox (infinite and inverted when there is none).
fn extent(prepared: &[PreparedRegion]) -> [f64; 4] {
    prepared.iter().map(|p| p.bbox()).filter(usable).fold(
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
    )
}

/// Width and height of an extent as the cell arithmetic uses them (never zero).
fn span(bb: &[f64; 4]) -> (f64, f64) {
    (
        (bb[2] - bb[0]).max(f64::MIN_POSITIVE),
        (bb[3] - bb[1]).max(f64::MIN_POSITIVE),
    )
}

/// Half the median bbox side of the deepest level's regions, but no smaller than the side that
/// gives `budget` cells over `w × h`.
fn cell_side(
    prepared: &[PreparedRegion],
    levels: &[Range<u32>],
    w: f64,
    h: f64,
    budget: usize,
) -> f64 {
    let floor = (w * h / budget as f64).sqrt();
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

/// One edge (endpoints as vertex indices) of region `id` whose bounding box meets `cell`.
struct EdgeHit {
    cell: u32,
    id: u32,
    a: u32,
    b: u32,
}

/// Groups edge hits by cell (a counting sort): `hits[offsets[c]..offsets[c + 1]]` are cell `c`'s.
fn by_cell(hits: Vec<EdgeHit>, ncells: usize) -> (Vec<u32>, Vec<EdgeHit>) {
    let mut offsets = vec![0u32; ncells + 1];
    for h in &hits {
        offsets[h.cell as usize + 1] += 1;
    }
    for i in 0..ncells {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    let mut sorted: Vec<EdgeHit> = (0..hits.len())
        .map(|_| EdgeHit {
            cell: 0,
            id: 0,
            a: 0,
            b: 0,
        })
        .collect();
    for h in hits {
        let slot = &mut next[h.cell as usize];
        sorted[*slot as usize] = h;
        *slot += 1;
    }
    (offsets, sorted)
}

/// Vertex ids in first-use order: `new_id[old]`, and the vertices in the new order.
struct Renumber {
    new_id: Vec<u32>,
    vertices: Vec<[f64; 2]>,
}

impl Renumber {
    fn id(&mut self, old: u32, vertices: &[[f64; 2]]) -> u32 {
        let slot = &mut self.new_id[old as usize];
        if *slot == u32::MAX {
            *slot = self.vertices.len() as u32;
            self.vertices.push(vertices[old as usize]);
        }
        *slot
    }
}

/// The cells of an `nx × ny` grid, [`TILE`] × [`TILE`] tile after tile.
fn tiled(nx: usize, ny: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..ny.div_ceil(TILE)).flat_map(move |ty| {
        (0..nx.div_ceil(TILE)).flat_map(move |tx| {
            (ty * TILE..((ty + 1) * TILE).min(ny))
                .flat_map(move |cy| (tx * TILE..((tx + 1) * TILE).min(nx)).map(move |cx| (cx, cy)))
        })
    })
}

/// Appends the edge block of a cell with centre `c` (layout in [`CellLocator::blocks`]) and
/// returns its start, or `None` when the cell exceeds the block limits (it then keeps a
/// candidate list). An edge shared by several candidates is stored once with all their bits;
/// one that a candidate has twice cancels out, as its two crossings would.
#[allow(clippy::too_many_arguments)]
fn push_block(
    blocks: &mut Vec<u32>,
    vertices: &[[f64; 2]],
    used: &mut Renumber,
    prepared: &[PreparedRegion],
    (cx, cy): (f64, f64),
    list: &[u32],
    cover: u32,
    hits: &[EdgeHit],
    scratch: &mut Vec<((u32, u32), u32)>,
) -> Option<u32> {
    if list.len() > BLOCK_MAX_CANDIDATES {
        return None;
    }
    let merged = scratch;
    merged.clear();
    merged.extend(hits.iter().filter_map(|h| {
        let bit = list.iter().position(|&id| id == h.id)?;
        Some(((h.a.min(h.b), h.a.max(h.b)), 1u32 << bit))
    }));
    merged.sort_unstable_by_key(|&(key, _)| key);
    // Merge equal edges in place (XOR of their masks), dropping those that cancel out.
    let mut kept = 0;
    for i in 0..merged.len() {
        let (key, mask) = merged[i];
        if kept > 0 && merged[kept - 1].0 == key {
            merged[kept - 1].1 ^= mask;
        } else {
            merged[kept] = (key, mask);
            kept += 1;
        }
    }
    merged.truncate(kept);
    merged.retain(|&(_, mask)| mask != 0);
    let words = HEADER_WORDS + merged.len() * EDGE_WORDS + list.len();
    if merged.len() > BLOCK_MAX_EDGES || blocks.len() + words > BLOCK as usize {
        return None;
    }
    let inside = list
        .iter()
        .enumerate()
        .filter(|&(_, &id)| prepared[id as usize].contains(cx, cy))
        .fold(0u32, |m, (i, _)| m | 1 << i);
    let start = blocks.len() as u32;
    blocks.extend([
        inside,
        cover,
        merged.len() as u32 | (list.len() as u32) << 16,
    ]);
    for &((a, b), mask) in merged.iter() {
        let left = left_of(vertices[a as usize], vertices[b as usize], cx, cy) as u32;
        let (a, b) = (used.id(a, vertices), used.id(b, vertices));
        blocks.extend([a, b | left << 31, mask]);
    }
    blocks.extend_from_slice(list);
    Some(start)
}

impl Locator for CellLocator {
    #[inline]
    fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        // `p'` is east and north of `p`: a point on the east or north edge of the extent is
        // outside every region. NaN fails the comparisons.
        if !(lon >= self.x0 && lon < self.x1 && lat >= self.y0 && lat < self.y1) {
            return None;
        }
        let (cx, cy) = (self.col(lon), self.row(lat));
        let word = self.cells[cy * self.nx + cx];
        if word & DIRECT != 0 {
            let id = word & !DIRECT;
            return (id != NO_OWNER >> 1).then_some(id);
        }
        if word & BLOCK != 0 {
            return self.block_answer((word & !BLOCK) as usize, (cx, cy), [lon, lat]);
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
            // The index as a snapshot stores and reloads it.
            let stored = CellLocator::from_parts(
                prepared.clone(),
                cells.to_parts().check(prepared.len()).unwrap(),
            )
            .unwrap();
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
                prop_assert_eq!(stored.locate(x, y), brute.locate(x, y), "({}, {})", x, y);
            }
        }
    }

    /// Counts cells answered directly, by an edge block and by a candidate list.
    fn kinds(cells: &CellLocator) -> [usize; 3] {
        cells.cells.iter().fold([0; 3], |mut k, &w| {
            k[if w & DIRECT != 0 {
                0
            } else if w & BLOCK != 0 {
                1
            } else {
                2
            }] += 1;
            k
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Cells of side 0.5 over the 8 × 8 lattice put centres on quarter points; vertices on
        /// quarter points then put edges (and vertices) exactly through centres, and queries on
        /// eighth points land on centres, edges, vertices and cell borders.
        #[test]
        fn blocks_are_exact_when_edges_pass_through_cell_centres(
            jitter in prop::collection::vec(-1i32..=1, 2..30),
            tris in prop::collection::vec(prop::array::uniform6(0i32..=32), 0..4),
        ) {
            let jitter: Vec<f64> = jitter.iter().map(|&j| j as f64 * 0.25).collect();
            let tris: Vec<[f64; 6]> = tris.iter().map(|t| t.map(|v| v as f64 * 0.25)).collect();
            let (mut prepared, mut levels) = regions(8, &jitter, &tris);
            // A frame fixing the extent to [0, 8]².
            let frame = PreparedRegion::new(&MultiPolygon(vec![Polygon::new(
                LineString::from(vec![(0.0, 0.0), (8.0, 0.0), (8.0, 8.0), (0.0, 8.0)]),
                vec![],
            )]));
            prepared.insert(0, frame);
            levels = std::iter::once(0..1)
                .chain(levels.iter().map(|r| r.start + 1..r.end + 1))
                .collect();
            let prepared: Arc<[PreparedRegion]> = prepared.into();
            let cells = CellLocator::with_side(prepared.clone(), &levels, Some(0.5));
            prop_assert_eq!((cells.nx, cells.ny), (16, 16));
            prop_assert!(kinds(&cells)[1] > 0, "no edge blocks: {:?}", kinds(&cells));
            let brute = BruteForceLocator::new(&prepared, &levels);
            let stored = CellLocator::from_parts(
                prepared.clone(),
                cells.to_parts().check(prepared.len()).unwrap(),
            )
            .unwrap();
            for i in -1..=66 {
                for j in -1..=66 {
                    let (x, y) = (i as f64 * 0.125, j as f64 * 0.125);
                    prop_assert_eq!(cells.locate(x, y), brute.locate(x, y), "({}, {})", x, y);
                    prop_assert_eq!(stored.locate(x, y), brute.locate(x, y), "({}, {})", x, y);
                }
            }
        }
    }

    #[test]
    fn busy_cells_fall_back_to_candidate_lists() {
        // 40 thin slivers fanning out of one cell: more edges than a block keeps.
        let fan: Vec<PreparedRegion> = (0..40)
            .map(|i| {
                let t = i as f64 / 40.0;
                PreparedRegion::new(&MultiPolygon(vec![Polygon::new(
                    LineString::from(vec![
                        (0.0, t),
                        (10.0, t),
                        (10.0, t + 0.025),
                        (0.0, t + 0.025),
                    ]),
                    vec![],
                )]))
            })
            .collect();
        let prepared: Arc<[PreparedRegion]> = fan.into();
        let levels: Vec<Range<u32>> = std::iter::once(0..40).collect();
        let cells = CellLocator::with_side(prepared.clone(), &levels, Some(1.0));
        let k = kinds(&cells);
        assert!(k[2] > 0 && k[1] == 0, "{k:?}");
        let brute = BruteForceLocator::new(&prepared, &levels);
        for i in 0..=100 {
            for j in 0..=110 {
                let (x, y) = (i as f64 / 10.0, j as f64 / 100.0);
                assert_eq!(cells.locate(x, y), brute.locate(x, y), "({x}, {y})");
            }
        }
    }

    #[test]
    fn empty_and_degenerate_inputs_answer_none() {
        let cells = CellLocator::new(Arc::from(Vec::new()), &[]);
        assert_eq!(cells.locate(0.0, 0.0), None);
        assert_eq!(cells.locate(f64::NAN, 0.0), None);
    }

    /// Long diagonal edges over a fine grid: 2,500 small squares set a fine cell size, and 40
    /// thin diagonal slivers across the whole extent have edges whose bounding boxes meet
    /// nearly every cell. Without the pair budget the build visited about 40 × 4 × 1M
    /// (edge, cell) pairs; now the cells get coarser until the pairs fit, with exact answers.
    #[test]
    fn long_edges_over_a_fine_grid_stay_within_the_pair_budget() {
        let poly = |pts: Vec<(f64, f64)>| {
            PreparedRegion::new(&MultiPolygon(vec![Polygon::new(
                LineString::from(pts),
                vec![],
            )]))
        };
        let mut regions: Vec<PreparedRegion> = (0..40)
            .map(|k| {
                let d = k as f64 * 0.5;
                poly(vec![
                    (d, 0.0),
                    (d + 0.3, 0.0),
                    (100.0, 100.0 - d),
                    (100.0, 100.3 - d),
                ])
            })
            .collect();
        let top = 0..regions.len() as u32;
        for i in 0..50 {
            for j in 0..50 {
                let (x, y) = (i as f64 * 0.01, 50.0 + j as f64 * 0.01);
                regions.push(poly(vec![
                    (x, y),
                    (x + 0.01, y),
                    (x + 0.01, y + 0.01),
                    (x, y + 0.01),
                ]));
            }
        }
        let levels = vec![top.clone(), top.end..regions.len() as u32];
        let prepared: Arc<[PreparedRegion]> = regions.into();
        let cells = CellLocator::new(prepared.clone(), &levels);
        let vertices: usize = prepared.iter().map(|p| p.vertex_count()).sum();
        let budget = vertices as u64 * PAIRS_PER_VERTEX + 4 * (cells.nx * cells.ny) as u64;
        let pairs = cells.fill_pairs(u64::MAX);
        assert!(pairs <= budget, "{pairs} pairs, budget {budget}");
        // The median square alone asks for 200 × 200 cells of 0.005° over 100°: 4M cells.
        assert!(
            cells.nx * cells.ny < 1 << 20,
            "{} cells",
            cells.nx * cells.ny
        );
        let brute = BruteForceLocator::new(&prepared, &levels);
        for i in 0..=300 {
            for j in 0..=300 {
                let (x, y) = (i as f64 / 3.0, j as f64 / 3.0);
                assert_eq!(cells.locate(x, y), brute.locate(x, y), "({x}, {y})");
            }
        }
        for i in 0..=100 {
            for j in 0..=100 {
                let (x, y) = (i as f64 * 0.005, 50.0 + j as f64 * 0.005);
                assert_eq!(cells.locate(x, y), brute.locate(x, y), "({x}, {y})");
            }
        }
    }

    #[test]
    fn a_tiny_region_far_from_a_huge_one_gets_a_small_grid() {
        // A 1e-6° square at the origin under a 100° outline: the median grid side alone would
        // ask for MAX_CELLS cells; the budget allows 256 per vertex (the cargo-fuzz `snapshot`
        // finding). Answers stay exact.
        let square = |x0: f64, y0: f64, side: f64| {
            PreparedRegion::new(&MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (x0, y0),
                    (x0 + side, y0),
                    (x0 + side, y0 + side),
                    (x0, y0 + side),
                ]),
                vec![],
            )]))
        };
        let prepared: Arc<[PreparedRegion]> =
            vec![square(-50.0, -50.0, 100.0), square(0.0, 0.0, 1e-6)].into();
        let levels = vec![0..1, 1..2];
        let cells = CellLocator::new(prepared.clone(), &levels);
        let total: usize = kinds(&cells).iter().sum();
        let vertices: usize = prepared.iter().map(|p| p.vertex_count()).sum();
        assert!(
            total <= (vertices * CELLS_PER_VERTEX).max(MIN_CELL_BUDGET),
            "{total} cells for {vertices} vertices"
        );
        let brute = BruteForceLocator::new(&prepared, &levels);
        for i in -60..=60 {
            for j in -60..=60 {
                let (x, y) = (i as f64 * 0.9, j as f64 * 0.9);
                assert_eq!(cells.locate(x, y), brute.locate(x, y), "({x}, {y})");
            }
        }
        for (x, y) in [
            (0.0, 0.0),
            (5e-7, 5e-7),
            (1e-6, 1e-6),
            (2e-6, 5e-7),
            (-1e-9, 0.0),
        ] {
            assert_eq!(cells.locate(x, y), brute.locate(x, y), "({x}, {y})");
        }
    }
}
