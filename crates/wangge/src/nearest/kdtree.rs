//! A flat, implicit kd-tree over n-vectors: the points permuted into tree order, a balanced
//! tree of fixed depth whose node `i` has children `2i + 1` and `2i + 2`, one split (axis,
//! value) per inner node, and a depth-first walk that visits the nearer child first and prunes
//! by the squared chord to each subtree's cell. No allocation per walk; the caller decides what
//! a leaf's points are worth.

use rayon::prelude::*;

/// Most points in a leaf: the depth is the smallest that brings every leaf to this size.
const LEAF_SIZE: usize = 32;

/// Below this many points a subtree is built on the current thread.
const PARALLEL_MIN: usize = 1 << 15;

/// One indexed point: its n-vector and its index in the input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    /// The n-vector (unit normal of the ellipsoid at the point).
    pub(crate) p: [f64; 3],
    /// Index of the point in the input of `PointIndex::new`.
    pub(crate) index: u32,
}

/// An axis-aligned box; the empty box has `lo = +∞`, `hi = −∞`.
#[derive(Clone, Copy, Debug)]
struct Aabb {
    lo: [f64; 3],
    hi: [f64; 3],
}

impl Aabb {
    const EMPTY: Aabb = Aabb {
        lo: [f64::INFINITY; 3],
        hi: [f64::NEG_INFINITY; 3],
    };

    fn of(items: &[Item]) -> Aabb {
        items.iter().fold(Aabb::EMPTY, |b, it| b.union_point(&it.p))
    }

    fn union_point(mut self, p: &[f64; 3]) -> Aabb {
        for ((lo, hi), &x) in self.lo.iter_mut().zip(&mut self.hi).zip(p) {
            *lo = lo.min(x);
            *hi = hi.max(x);
        }
        self
    }

    fn union(mut self, other: &Aabb) -> Aabb {
        for j in 0..3 {
            self.lo[j] = self.lo[j].min(other.lo[j]);
            self.hi[j] = self.hi[j].max(other.hi[j]);
        }
        self
    }

    /// Per axis, the distance from `q` to the box (0 inside its extent): a lower bound on
    /// `|p − q|` on that axis for every point `p` in the box, as computed (rounding is
    /// monotone, so `lo − q` rounds to at most `p − q`). Infinite for the empty box.
    fn offsets(&self, q: &[f64; 3]) -> [f64; 3] {
        let mut off = [0.0; 3];
        for j in 0..3 {
            off[j] = (self.lo[j] - q[j]).max(q[j] - self.hi[j]).max(0.0);
        }
        off
    }
}

/// The squared length of per-axis offsets, summed in the order the leaf loop sums a point's
/// squared chord (((0 + dx²) + dy²) + dz², 0 + dx² being exact): with offsets that are lower
/// bounds on a point's per-axis differences, never more than that point's squared chord.
#[inline]
fn length2(off: &[f64; 3]) -> f64 {
    off[0] * off[0] + off[1] * off[1] + off[2] * off[2]
}

/// The tree. Leaf `j` (node `first_leaf + j`) holds the points at positions
/// `leaf_start[j]..leaf_start[j + 1]` of `xyz` (one coordinate array per axis, so that a leaf's
/// chords are computed in one vectorised loop) and `ids`. Inner node `i` splits on axis
/// `axes[i]` at `splits[i]`: its left child's points are at most `splits[i]` on that axis, its
/// right child's at least.
pub(crate) struct KdTree {
    xyz: [Vec<f64>; 3],
    ids: Vec<u32>,
    axes: Vec<u8>,
    splits: Vec<f64>,
    root: Aabb,
    leaf_start: Vec<usize>,
    first_leaf: usize,
}

impl KdTree {
    /// Builds the tree over `items` (taken in any order). Each node splits its points at the
    /// median along the widest axis of its cell (the points' bounding box, cut at each split),
    /// the two halves in parallel while they are large.
    pub(crate) fn new(mut items: Vec<Item>) -> KdTree {
        let n = items.len();
        let mut depth = 0u32;
        while n.div_ceil(1usize << depth) > LEAF_SIZE {
            depth += 1;
        }
        let root = items
            .par_chunks(PARALLEL_MIN)
            .map(Aabb::of)
            .reduce(|| Aabb::EMPTY, |a, b| a.union(&b));
        let first_leaf = (1usize << depth) - 1;
        let mut axes = vec![0u8; first_leaf];
        let mut splits = vec![0.0f64; first_leaf];
        for (node, axis, at) in split(&mut items, root, depth, 0) {
            axes[node] = axis;
            splits[node] = at;
        }

        // Leaf ranges: each node's range splits at lo + (hi − lo) / 2, as in `split`.
        let mut bounds: Vec<usize> = vec![0, n];
        for _ in 0..depth {
            let mut next = Vec::with_capacity(bounds.len() * 2 - 1);
            for w in bounds.windows(2) {
                next.push(w[0]);
                next.push(w[0] + (w[1] - w[0]) / 2);
            }
            next.push(n);
            bounds = next;
        }
        let axis = |j: usize| items.par_iter().map(|it| it.p[j]).collect::<Vec<f64>>();
        let ((x, y), (z, ids)) = rayon::join(
            || rayon::join(|| axis(0), || axis(1)),
            || rayon::join(|| axis(2), || items.par_iter().map(|it| it.index).collect()),
        );
        KdTree {
            xyz: [x, y, z],
            ids,
            axes,
            splits,
            root,
            leaf_start: bounds,
            first_leaf,
        }
    }

    /// Walks the leaves whose cell lies within squared chord `threshold` of `q`, nearer child
    /// first. `leaf` gets each such leaf's squared chords from `q`, its points' indices and
    /// the current threshold, and returns the new threshold (it may only shrink it); a subtree
    /// whose cell is farther than the threshold at the time it is reached is skipped. Returns
    /// the final threshold.
    pub(crate) fn walk(
        &self,
        q: &[f64; 3],
        mut threshold: f64,
        mut leaf: impl FnMut(&[f64], &[u32], f64) -> f64,
    ) -> f64 {
        let mut chords = [0.0f64; LEAF_SIZE];
        // Pending subtrees (node, squared distance to its cell, per-axis offsets of the cell):
        // at most one sibling per level plus the current node.
        let mut stack = [(0usize, 0.0f64, [0.0f64; 3]); 64];
        let off = self.root.offsets(q);
        stack[0] = (0, length2(&off), off);
        let mut top = 1;
        while top > 0 {
            top -= 1;
            let (mut node, d, off) = stack[top];
            if d > threshold {
                continue;
            }
            // Down the nearer side, leaving the farther one on the stack.
            while node < self.first_leaf {
                let axis = usize::from(self.axes[node]);
                let diff = q[axis] - self.splits[node];
                let (near, far) = if diff < 0.0 {
                    (2 * node + 1, 2 * node + 2)
                } else {
                    (2 * node + 2, 2 * node + 1)
                };
                let mut far_off = off;
                far_off[axis] = far_off[axis].max(diff.abs());
                let far_d = length2(&far_off);
                if far_d <= threshold {
                    stack[top] = (far, far_d, far_off);
                    top += 1;
                }
                node = near;
            }
            let j = node - self.first_leaf;
            let range = self.leaf_start[j]..self.leaf_start[j + 1];
            let chords = &mut chords[..range.len()];
            let [xs, ys, zs] = &self.xyz;
            let (xs, ys, zs) = (&xs[range.clone()], &ys[range.clone()], &zs[range.clone()]);
            for (((c, x), y), z) in chords.iter_mut().zip(xs).zip(ys).zip(zs) {
                let (dx, dy, dz) = (x - q[0], y - q[1], z - q[2]);
                *c = dx * dx + dy * dy + dz * dz;
            }
            threshold = leaf(chords, &self.ids[range], threshold);
        }
        threshold
    }
}

/// Permutes `items` into tree order below node `node` of cell `cell` with `levels` levels left;
/// returns the splits of its inner nodes as (node, axis, value).
fn split(items: &mut [Item], cell: Aabb, levels: u32, node: usize) -> Vec<(usize, u8, f64)> {
    if levels == 0 {
        return Vec::new();
    }
    let axis = (0..3)
        .max_by(|&i, &j| (cell.hi[i] - cell.lo[i]).total_cmp(&(cell.hi[j] - cell.lo[j])))
        .unwrap_or(0);
    let mid = items.len() / 2;
    let at = if items.is_empty() {
        0.0
    } else {
        items.select_nth_unstable_by(mid, |a, b| a.p[axis].total_cmp(&b.p[axis]));
        items[mid].p[axis]
    };
    let (mut left_cell, mut right_cell) = (cell, cell);
    left_cell.hi[axis] = at;
    right_cell.lo[axis] = at;
    let (left, right) = items.split_at_mut(mid);
    let (l, r) = (2 * node + 1, 2 * node + 2);
    let (mut a, b) = if left.len() >= PARALLEL_MIN {
        rayon::join(
            || split(left, left_cell, levels - 1, l),
            || split(right, right_cell, levels - 1, r),
        )
    } else {
        (
            split(left, left_cell, levels - 1, l),
            split(right, right_cell, levels - 1, r),
        )
    };
    a.extend(b);
    a.push((node, axis as u8, at));
    a
}
