//! Synthetic partition of a region into cells of about a given area.
//!
//! Chinese cities publish no open boundaries for streets (街道), communities (社区) or unit grids
//! (单元网格), so wangge synthesises them: a real district polygon is cut into streets, each street
//! into communities, each community into grids. This module is the single-level primitive,
//! [`partition`]; composing levels and assigning codes happens elsewhere.
//!
//! # Method
//!
//! 1. **Local isotropic plane.** Longitude and latitude degrees are not isotropic (a degree of
//!    longitude shrinks with `cos(lat)`), so seeds and the Voronoi diagram live in the plane
//!    `x = (lon − lon₀)·cos(lat₀)`, `y = lat − lat₀`, where `(lon₀, lat₀)` is the centre of the
//!    parent's bounding box. Around a district (tens of kilometres) this plane is a good local
//!    equal-scale map. Lengths are converted with a **spherical** Earth of mean radius
//!    6 371 008.8 m (one degree of `y` = 111 195 m); the error against the WGS84 ellipsoid is below
//!    1 % of the cell side, which only nudges the lattice spacing, never the cover.
//! 2. **Seeds.** A square lattice with spacing `√target / metres-per-degree` is laid over the
//!    parent's bounding box, centred on it. Every lattice point is jittered by up to ±30 % of the
//!    spacing on each axis with a ChaCha8 random generator seeded from
//!    [`PartitionOptions::seed`]; the draws are made in lattice order, so the result depends on the
//!    seed and nothing else. Points that fall inside the parent (even–odd rule) become seeds and
//!    remember their lattice row (0 = northernmost) and column (0 = westernmost).
//! 3. **Voronoi cells.** The seeds are triangulated with spade's Delaunay triangulation together
//!    with eight far dummy seeds on a square around the bounding box (farther from the parent
//!    than any two parent points are from each other, so no dummy ever owns a piece of the
//!    parent and every real cell is bounded). A seed's cell is the polygon of the circumcentres of
//!    the triangles around it; each circumcentre is computed once, so neighbouring cells share
//!    their vertices bit for bit. Vertices are mapped back to longitude/latitude.
//! 4. **Clip.** A cell whose (slightly enlarged) bounding box is crossed by no parent edge — found
//!    with an R-tree over the parent's edges — lies wholly inside or wholly outside the parent and
//!    is used as is or dropped. Only the remaining boundary cells are intersected with the parent
//!    using geo's `BooleanOps`. To keep this fast and precise the parent is first cut down to a
//!    small rectangle around the cell with a Sutherland–Hodgman pass (which keeps the even–odd
//!    parity of every point inside the rectangle, and skips whole blocks of far vertices), so the
//!    boolean operation sees a few dozen vertices instead of thousands and its integer rounding
//!    grid is proportional to the cell, not to the district.
//! 5. **Lloyd relaxation** (optional, [`PartitionOptions::lloyd_iterations`] rounds). Each round
//!    moves every seed to the centroid of its clipped cell, which evens out cell sizes along the
//!    parent's boundary. Seeds keep their lattice row and column, so the reading order is stable.
//! 6. **Snap.** The boolean operation rounds every output vertex to a per-operation integer grid,
//!    so two neighbouring clipped cells would otherwise disagree in the last bits, and even the
//!    parent's own vertices come back perturbed. All output vertices are therefore snapped to a
//!    canonical vertex set built in priority order: first the parent's own vertices (kept exactly),
//!    then the Voronoi vertices, then any other output vertex (clustered first come, first
//!    served). Snapping picks the nearest canonical vertex within the tolerance
//!    (`max(1e-9°, extent·2⁻²⁶)`, about 0.1 mm for a district; a hash grid makes it O(1)).
//!    Consecutive duplicates and zero-width spikes are removed afterwards and rings that collapse
//!    below three corners are dropped.
//! 7. **T-junctions.** The boolean operation also drops vertices that are collinear on its grid
//!    (densified straight parent edges), and a cell's edge may run through a vertex that its
//!    neighbour has (a parent vertex on a Voronoi edge, say). Every cell edge therefore receives,
//!    in order along the edge, each canonical vertex used anywhere (or belonging to the parent)
//!    that lies within the tolerance of the edge's interior. After this pass the cells on the
//!    parent's boundary run through every parent vertex, and every interior edge is shared by
//!    exactly two cells with identical vertex sequences.
//!
//! # What remains approximate
//!
//! * Vertices where a Voronoi edge crosses a parent edge cannot lie exactly on the parent edge in
//!   floating point; they lie within the tolerance of it (both neighbours use the same point).
//! * Two parent vertices closer than the tolerance are both kept; a cell edge is not given a
//!   vertex that lies within the tolerance of one of its own end points.
//! * Features of the parent thinner than the tolerance (slits, hair-thin spikes) may be bridged
//!   or cut by up to the tolerance.
//! * Each call sees one parent only. When two neighbouring parents are partitioned separately,
//!   the crossing vertices of one parent's cells sit (within the tolerance) on the common border
//!   but are not vertices of the other parent's cells: across a parent border, children meet
//!   with T-junctions and sub-tolerance slivers. Exactness holds within each parent.
//!
//! The union of the cells therefore equals the parent, and cells overlap nowhere, up to the
//! snapping tolerance.

mod bbox;
mod clip;
mod frame;
mod parent;
mod snap;
mod voronoi;

use geo::MultiPolygon;

use crate::error::{Error, Result};

use clip::{clip_all, piece_centroid};
use frame::{lattice_seeds, Frame};
use parent::PreparedParent;
use snap::finalize;
use voronoi::voronoi;

/// Mean Earth radius (IUGG) used for the spherical metres-per-degree conversion.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Smallest snapping tolerance, in degrees (about 0.1 mm).
const BASE_TOL_DEG: f64 = 1e-9;
/// 2⁻²⁶: the snapping tolerance grows with the parent's extent by this factor.
const TOL_PER_EXTENT: f64 = 1.0 / 67_108_864.0;
/// Marker for "no id".
const NONE: u32 = u32::MAX;

/// Options for one [`partition`].
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionOptions {
    /// Desired cell area in square metres (must be finite and positive). Seeds are laid on a
    /// square lattice whose spacing is the square root of this area, so cells away from the
    /// parent's boundary come out close to it; cells cut by the boundary are smaller or larger.
    pub target_area_m2: f64,
    /// Seed of the ChaCha8 generator that jitters the lattice. The same parent, options and seed
    /// always give bit-identical cells.
    pub seed: u64,
    /// Rounds of Lloyd relaxation: each moves every seed to the centroid of its clipped cell.
    /// `0` keeps the jittered lattice; `1` is the usual choice.
    pub lloyd_iterations: u32,
}

impl PartitionOptions {
    /// Options with the given target area, seed 0 and one Lloyd round.
    pub fn new(target_area_m2: f64) -> Self {
        Self {
            target_area_m2,
            seed: 0,
            lloyd_iterations: 1,
        }
    }
}

/// One generated cell of a [`partition`].
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The cell, in longitude/latitude degrees. A MultiPolygon because the parent's boundary may
    /// cut one Voronoi cell into several pieces. Exteriors are counter-clockwise, holes clockwise
    /// (except for the single-cell result, which is the parent exactly as given).
    /// Vertices on a border with another cell are bit-identical in both cells; vertices on the
    /// parent's boundary are the parent's own vertices or lie within the snapping tolerance of a
    /// parent edge.
    pub polygon: MultiPolygon<f64>,
    /// Lattice row of the cell's seed, 0 = northernmost.
    pub row: u32,
    /// Lattice column of the cell's seed, 0 = westernmost.
    pub col: u32,
}

/// Partition `parent` (longitude/latitude degrees, WGS84) into cells of about
/// `opts.target_area_m2` square metres.
///
/// The cells are clipped Voronoi cells of a jittered square lattice of seeds (see the
/// [module documentation](self) for the method). Together they cover the parent exactly up to a
/// sub-millimetre snapping tolerance, they do not overlap, neighbours share their border vertices
/// bit for bit and cells on the parent's boundary reuse the parent's own vertices.
///
/// Cells are returned in reading order — rows from north to south, and west to east within a
/// row (GB/T 30428.1: 从西向东、由北至南) — by the lattice position of their seeds. Seeds whose cell
/// turns out empty are skipped, so row/column numbers may have gaps.
///
/// If the parent is not larger than one cell, or no lattice point falls inside it (or only one
/// does), the result is a single cell equal to the parent, with row 0 and column 0.
///
/// # Errors
///
/// [`Error::Generate`] if the target area is not a finite positive number, if the parent is
/// empty, has non-finite or out-of-range coordinates or zero area, or if the lattice would be
/// absurdly large (more than twenty million points).
pub fn partition(parent: &MultiPolygon<f64>, opts: &PartitionOptions) -> Result<Vec<Cell>> {
    let target = opts.target_area_m2;
    if !(target.is_finite() && target > 0.0) {
        return Err(Error::Generate(format!(
            "target area must be a finite positive number of square metres, got {target}"
        )));
    }
    let prep = PreparedParent::new(parent)?;
    let frame = Frame::new(&prep.bbox)?;
    let metres_per_degree = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    // Area in the local plane (exteriors minus holes, whatever their winding).
    let parent_area = prep.local_area(&frame) * metres_per_degree * metres_per_degree;
    if parent_area.is_nan() || parent_area <= 1e-6 {
        return Err(Error::Generate(format!(
            "parent has no area ({parent_area} m²): its rings are degenerate"
        )));
    }
    if parent_area <= target {
        return Ok(single_cell(parent));
    }

    let spacing = target.sqrt() / metres_per_degree;
    let seeds = lattice_seeds(&prep, &frame, spacing, opts.seed)?;
    if seeds.len() <= 1 {
        return Ok(single_cell(parent));
    }

    let extent = (prep.bbox.max[0] - prep.bbox.min[0]).max(prep.bbox.max[1] - prep.bbox.min[1]);
    let tol = BASE_TOL_DEG.max(extent * TOL_PER_EXTENT);
    let params = Params {
        tol,
        delta: 8.0 * tol,
        rect_margin: (1000.0 * tol).max(1e-3 * spacing),
    };

    let mut sites: Vec<[f64; 2]> = seeds.iter().map(|s| s.uv).collect();
    for _ in 0..opts.lloyd_iterations {
        let diagram = voronoi(&sites, &frame, &prep, spacing)?;
        let pieces = clip_all(&prep, &diagram, &params);
        let mut moved = false;
        for (i, piece) in pieces.iter().enumerate() {
            if let Some(c) = piece_centroid(piece, &diagram, i) {
                let uv = frame.to_local(c);
                if uv[0].is_finite() && uv[1].is_finite() {
                    moved |= uv != sites[i];
                    sites[i] = uv;
                }
            }
        }
        if !moved {
            break;
        }
    }
    let diagram = voronoi(&sites, &frame, &prep, spacing)?;
    let pieces = clip_all(&prep, &diagram, &params);
    let polygons = finalize(&prep, &diagram, pieces, &params);

    let cells: Vec<Cell> = seeds
        .iter()
        .zip(polygons)
        .filter_map(|(seed, polygon)| {
            polygon.map(|polygon| Cell {
                polygon,
                row: seed.row,
                col: seed.col,
            })
        })
        .collect();
    if cells.is_empty() {
        // Cannot happen for a parent with area, but never return an empty cover.
        return Ok(single_cell(parent));
    }
    Ok(cells)
}

/// The fallback result: the parent itself as one cell.
fn single_cell(parent: &MultiPolygon<f64>) -> Vec<Cell> {
    vec![Cell {
        polygon: parent.clone(),
        row: 0,
        col: 0,
    }]
}

type Pt = [f64; 2];

/// Tolerances of one partition, in degrees.
struct Params {
    /// Snapping tolerance.
    tol: f64,
    /// Enlargement of a cell's box when looking for parent edges near it.
    delta: f64,
    /// Margin of the clipping rectangle around `cell box ∩ parent box`.
    rect_margin: f64,
}

#[cfg(test)]
mod tests;
