//! Step 3 of the method: the Voronoi cells of the seeds, from spade's Delaunay triangulation.

use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

use super::frame::Frame;
use super::parent::PreparedParent;
use super::{Pt, NONE};
use crate::error::{Error, Result};

/// A Delaunay site: position in the local plane and seed index (`usize::MAX` for dummies).
struct Site {
    p: Point2<f64>,
    id: usize,
}

impl HasPosition for Site {
    type Scalar = f64;

    fn position(&self) -> Point2<f64> {
        self.p
    }
}

/// Voronoi cells of the seeds: shared vertices (lon/lat) and, per seed, its ring of vertex ids
/// (counter-clockwise; empty if the seed was merged with an identical one).
pub(super) struct Diagram {
    pub(super) verts: Vec<Pt>,
    pub(super) cells: Vec<Vec<u32>>,
}

pub(super) fn voronoi(
    sites: &[Pt],
    frame: &Frame,
    prep: &PreparedParent,
    spacing: f64,
) -> Result<Diagram> {
    let lo = frame.to_local(prep.bbox.min);
    let hi = frame.to_local(prep.bbox.max);
    let diag = ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2)).sqrt();
    let m = 2.0 * diag + 4.0 * spacing;
    let (x0, x1, y0, y1) = (lo[0] - m, hi[0] + m, lo[1] - m, hi[1] + m);
    let (xm, ym) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    let dummies = [
        [x0, y0],
        [xm, y0],
        [x1, y0],
        [x1, ym],
        [x1, y1],
        [xm, y1],
        [x0, y1],
        [x0, ym],
    ];
    let mut all: Vec<Site> = sites
        .iter()
        .enumerate()
        .map(|(id, p)| Site {
            p: Point2::new(p[0], p[1]),
            id,
        })
        .collect();
    all.extend(dummies.iter().map(|p| Site {
        p: Point2::new(p[0], p[1]),
        id: usize::MAX,
    }));
    let tri: DelaunayTriangulation<Site> = DelaunayTriangulation::bulk_load(all)
        .map_err(|e| Error::Generate(format!("Delaunay triangulation failed: {e:?}")))?;

    let mut handle_of = vec![None; sites.len()];
    for v in tri.vertices() {
        let id = v.data().id;
        if id < sites.len() {
            handle_of[id] = Some(v.fix());
        }
    }
    let mut face_vert = vec![NONE; tri.num_all_faces()];
    let mut verts: Vec<Pt> = Vec::new();
    let mut cells = Vec::with_capacity(sites.len());
    for h in handle_of {
        let mut ring: Vec<u32> = Vec::new();
        if let Some(h) = h {
            for e in tri.vertex(h).out_edges() {
                let Some(face) = e.face().as_inner() else {
                    return Err(Error::Generate(
                        "internal: a seed lies on the hull of the triangulation".into(),
                    ));
                };
                let fi = face.fix().index();
                if face_vert[fi] == NONE {
                    let c = face.circumcenter();
                    face_vert[fi] = verts.len() as u32;
                    verts.push(frame.to_lonlat([c.x, c.y]));
                }
                let id = face_vert[fi];
                if ring
                    .last()
                    .is_none_or(|&l| verts[l as usize] != verts[id as usize])
                {
                    ring.push(id);
                }
            }
            while ring.len() > 1 && verts[ring[0] as usize] == verts[*ring.last().unwrap() as usize]
            {
                ring.pop();
            }
            if ring.len() < 3 {
                ring.clear();
            }
        }
        cells.push(ring);
    }
    Ok(Diagram { verts, cells })
}
