//! Step 4 of the method: each Voronoi cell clipped to the parent, and the centroids used by the
//! Lloyd relaxation of step 5.

use geo::{BooleanOps, Centroid, MultiPolygon};

use super::bbox::Bbox;
use super::parent::{clip_to_rect, polygon_from_pts, PreparedParent};
use super::voronoi::Diagram;
use super::{Params, Pt};

/// A cell after clipping.
pub(super) enum Piece {
    /// Nothing of the parent.
    Empty,
    /// Wholly inside the parent: the Voronoi polygon itself.
    Inside,
    /// Cut by the parent's boundary (raw boolean-operation output, not yet snapped).
    Clipped(MultiPolygon<f64>),
}

pub(super) fn clip_all(prep: &PreparedParent, diagram: &Diagram, params: &Params) -> Vec<Piece> {
    (0..diagram.cells.len())
        .map(|i| clip_cell(prep, diagram, i, params))
        .collect()
}

fn clip_cell(prep: &PreparedParent, diagram: &Diagram, i: usize, params: &Params) -> Piece {
    let ids = &diagram.cells[i];
    if ids.len() < 3 {
        return Piece::Empty;
    }
    let pts: Vec<Pt> = ids.iter().map(|&j| diagram.verts[j as usize]).collect();
    let bbox = Bbox::of(pts.iter().copied());
    if !prep.edges_touch(&bbox.expand(params.delta)) {
        // The box holds no parent edge, so it is wholly inside or wholly outside the parent.
        return if prep.contains(pts[0]) {
            Piece::Inside
        } else {
            Piece::Empty
        };
    }
    let rect = bbox.intersect(&prep.bbox);
    if !rect.is_valid() {
        return Piece::Empty;
    }
    let rect = rect.expand(params.rect_margin);
    let parts = prep.clipped_to(&rect);
    if parts.is_empty() {
        return Piece::Empty;
    }
    let mut cell = pts;
    let mut tmp = Vec::new();
    clip_to_rect(&mut cell, &mut tmp, &rect);
    if cell.len() < 3 {
        return Piece::Empty;
    }
    let out = polygon_from_pts(&cell).intersection(&MultiPolygon(parts));
    if out.0.is_empty() {
        Piece::Empty
    } else {
        Piece::Clipped(out)
    }
}

pub(super) fn piece_centroid(piece: &Piece, diagram: &Diagram, i: usize) -> Option<Pt> {
    let p = match piece {
        Piece::Empty => return None,
        Piece::Inside => {
            let pts: Vec<Pt> = diagram.cells[i]
                .iter()
                .map(|&j| diagram.verts[j as usize])
                .collect();
            polygon_from_pts(&pts).centroid()?
        }
        Piece::Clipped(mp) => mp.centroid()?,
    };
    Some([p.x(), p.y()])
}
