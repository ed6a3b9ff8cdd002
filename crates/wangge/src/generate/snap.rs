//! Steps 6 and 7 of the method: the canonical vertex set, snapping, T-junction insertion and
//! ring cleaning.

use std::collections::HashMap;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::bbox::Bbox;
use super::clip::Piece;
use super::parent::PreparedParent;
use super::voronoi::Diagram;
use super::{Params, Pt, NONE};

/// Canonical vertex set with a hash grid for "nearest within tolerance" look-ups. Only look-ups
/// touch the hash map (never its iteration order), so results are deterministic.
struct Canon {
    pts: Vec<Pt>,
    head: HashMap<(i64, i64), u32>,
    next: Vec<u32>,
    inv_h: f64,
    tol2: f64,
}

impl Canon {
    fn new(tol: f64) -> Self {
        Self {
            pts: Vec::new(),
            head: HashMap::new(),
            next: Vec::new(),
            inv_h: 1.0 / tol,
            tol2: tol * tol,
        }
    }

    fn key(&self, p: Pt) -> (i64, i64) {
        (
            (p[0] * self.inv_h).floor() as i64,
            (p[1] * self.inv_h).floor() as i64,
        )
    }

    fn add(&mut self, p: Pt) -> u32 {
        let id = self.pts.len() as u32;
        self.pts.push(p);
        let prev = self.head.insert(self.key(p), id).unwrap_or(NONE);
        self.next.push(prev);
        id
    }

    fn chain(&self, key: (i64, i64)) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.head.get(&key).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            if cur == NONE {
                None
            } else {
                let id = cur;
                cur = self.next[id as usize];
                Some(id)
            }
        })
    }

    fn exact(&mut self, p: Pt) -> u32 {
        let found = self
            .chain(self.key(p))
            .find(|&id| self.pts[id as usize] == p);
        match found {
            Some(id) => id,
            None => self.add(p),
        }
    }

    /// The nearest canonical vertex within the tolerance (ties: lowest id), else a new one.
    fn snap(&mut self, p: Pt) -> u32 {
        let (kx, ky) = self.key(p);
        let mut best: Option<(f64, u32)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for id in self.chain((kx + dx, ky + dy)) {
                    let q = self.pts[id as usize];
                    let d2 = (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2);
                    if d2 <= self.tol2 && best.is_none_or(|(bd, bid)| (d2, id) < (bd, bid)) {
                        best = Some((d2, id));
                    }
                }
            }
        }
        match best {
            Some((_, id)) => id,
            None => self.add(p),
        }
    }
}

/// Polygons of one cell as rings of canonical ids (exterior first, open rings).
type IdShape = Vec<Vec<Vec<u32>>>;

pub(super) fn finalize(
    prep: &PreparedParent,
    diagram: &Diagram,
    pieces: Vec<Piece>,
    params: &Params,
) -> Vec<Option<MultiPolygon<f64>>> {
    let tol = params.tol;
    let mut canon = Canon::new(tol);
    let mut parent_ids = Vec::new();
    for ring in &prep.rings {
        for &p in &ring.pts {
            parent_ids.push(canon.exact(p));
        }
    }
    let near_parent = prep.bbox.expand(params.rect_margin);
    let mut vmap = vec![NONE; diagram.verts.len()];
    for (j, &v) in diagram.verts.iter().enumerate() {
        if near_parent.contains(v) {
            vmap[j] = canon.snap(v);
        }
    }

    let mut shapes: Vec<IdShape> = Vec::with_capacity(pieces.len());
    for (i, piece) in pieces.into_iter().enumerate() {
        let shape = match piece {
            Piece::Empty => Vec::new(),
            Piece::Inside => {
                let ring = diagram.cells[i]
                    .iter()
                    .map(|&j| {
                        if vmap[j as usize] == NONE {
                            vmap[j as usize] = canon.snap(diagram.verts[j as usize]);
                        }
                        vmap[j as usize]
                    })
                    .collect();
                vec![vec![ring]]
            }
            Piece::Clipped(mp) => {
                mp.0.iter()
                    .map(|poly| {
                        std::iter::once(poly.exterior())
                            .chain(poly.interiors())
                            .map(|ls| {
                                let n = ls.0.len();
                                let open = if n > 1 && ls.0[0] == ls.0[n - 1] {
                                    &ls.0[..n - 1]
                                } else {
                                    &ls.0[..]
                                };
                                open.iter().map(|c| canon.snap([c.x, c.y])).collect()
                            })
                            .collect()
                    })
                    .collect()
            }
        };
        shapes.push(clean_shape(shape));
    }

    // T-junction pass: give every edge the canonical vertices lying on its interior.
    let mut used: Vec<u32> = parent_ids;
    for shape in &shapes {
        for ring in shape.iter().flatten() {
            used.extend_from_slice(ring);
        }
    }
    used.sort_unstable();
    used.dedup();
    let tree = RTree::bulk_load(
        used.iter()
            .map(|&id| GeomWithData::new(canon.pts[id as usize], id))
            .collect(),
    );
    let mut found: Vec<(f64, u32)> = Vec::new();
    let shapes: Vec<IdShape> = shapes
        .into_iter()
        .map(|shape| {
            let shape = shape
                .into_iter()
                .map(|rings| {
                    rings
                        .into_iter()
                        .map(|ring| {
                            let n = ring.len();
                            let mut out = Vec::with_capacity(n + 4);
                            for k in 0..n {
                                let (a, b) = (ring[k], ring[(k + 1) % n]);
                                out.push(a);
                                on_edge(&canon.pts, &tree, a, b, tol, &mut found);
                                out.extend(found.iter().map(|&(_, id)| id));
                            }
                            out
                        })
                        .collect()
                })
                .collect();
            clean_shape(shape)
        })
        .collect();

    shapes
        .into_iter()
        .map(|shape| {
            if shape.is_empty() {
                return None;
            }
            let to_ls = |ring: &Vec<u32>| {
                let mut coords: Vec<Coord<f64>> = ring
                    .iter()
                    .map(|&id| {
                        let p = canon.pts[id as usize];
                        Coord { x: p[0], y: p[1] }
                    })
                    .collect();
                coords.push(coords[0]);
                LineString(coords)
            };
            Some(MultiPolygon(
                shape
                    .iter()
                    .map(|rings| {
                        Polygon::new(to_ls(&rings[0]), rings[1..].iter().map(to_ls).collect())
                    })
                    .collect(),
            ))
        })
        .collect()
}

/// Canonical vertices within `tol` of the interior of edge `a → b` (farther than `tol` from both
/// ends), in order from `a` to `b`. Computed on the edge oriented from the lower id to the higher
/// one, so both cells sharing an edge get exactly the same answer.
fn on_edge(
    pts: &[Pt],
    tree: &RTree<GeomWithData<Pt, u32>>,
    a: u32,
    b: u32,
    tol: f64,
    found: &mut Vec<(f64, u32)>,
) {
    found.clear();
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let (p, q) = (pts[lo as usize], pts[hi as usize]);
    let d = [q[0] - p[0], q[1] - p[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    if len2 <= 4.0 * tol * tol {
        return;
    }
    let env = Bbox::of([p, q]).expand(tol);
    let tol2 = tol * tol;
    for g in tree.locate_in_envelope(&env.aabb()) {
        let c = g.data;
        if c == lo || c == hi {
            continue;
        }
        let w = [g.geom()[0] - p[0], g.geom()[1] - p[1]];
        let along = w[0] * d[0] + w[1] * d[1];
        if along * along <= tol2 * len2 || along <= 0.0 || along >= len2 {
            continue;
        }
        let back = len2 - along;
        if back * back <= tol2 * len2 {
            continue;
        }
        let cross = w[0] * d[1] - w[1] * d[0];
        if cross * cross > tol2 * len2 {
            continue;
        }
        found.push((along / len2, c));
    }
    found.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    if a != lo {
        found.reverse();
    }
}

/// Clean every ring of a shape; drop polygons whose exterior collapsed.
fn clean_shape(shape: IdShape) -> IdShape {
    shape
        .into_iter()
        .filter_map(|rings| {
            let mut rings = rings.into_iter();
            let exterior = clean_ring(rings.next()?)?;
            let mut out = vec![exterior];
            out.extend(rings.filter_map(clean_ring));
            Some(out)
        })
        .collect()
}

/// Remove consecutive duplicates and zero-width spikes (`x y x`), cyclically; `None` if fewer
/// than three corners remain.
pub(super) fn clean_ring(ring: Vec<u32>) -> Option<Vec<u32>> {
    let mut st: Vec<u32> = Vec::with_capacity(ring.len());
    for id in ring {
        if st.last() == Some(&id) {
            continue;
        }
        if st.len() >= 2 && st[st.len() - 2] == id {
            st.pop();
            continue;
        }
        st.push(id);
    }
    // Wrap-around: the ring is cyclic.
    let mut start = 0;
    loop {
        let len = st.len() - start;
        if len < 3 {
            return None;
        }
        let last = st.len() - 1;
        if st[last] == st[start] {
            st.pop();
        } else if st[last - 1] == st[start] {
            // … x y | x …: spike at the last vertex.
            st.pop();
        } else if st[last] == st[start + 1] {
            // … y | x y …: spike at the first vertex.
            start += 1;
        } else {
            break;
        }
    }
    Some(st.split_off(start))
}
