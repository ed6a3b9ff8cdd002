use super::bbox::Bbox;
use super::snap::clean_ring;
use super::*;
use geo::{Contains, Coord, GeodesicArea, Intersects, LineString, Point, Polygon};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

const LON0: f64 = 114.27;
const LAT0: f64 = 30.58;

/// Local kilometres → lon/lat around Wuhan.
fn km(x: f64, y: f64) -> Coord<f64> {
    Coord {
        x: LON0 + x / (111.195 * LAT0.to_radians().cos()),
        y: LAT0 + y / 111.195,
    }
}

/// A closed ring through `pts` (km), every edge split into collinear pieces of at most
/// 40 m. Short edges keep the difference between a geodesic edge and a straight lon/lat edge
/// (the crate's model) far below the 1e-6 area check; the extra vertices are collinear, which
/// also exercises the re-insertion of vertices the boolean operation drops.
fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
    let n = pts.len();
    let mut c = Vec::new();
    for i in 0..n {
        let (a, b) = (pts[i], pts[(i + 1) % n]);
        let pieces = ((b.0 - a.0).hypot(b.1 - a.1) / 0.04).ceil().max(1.0) as usize;
        for k in 0..pieces {
            let t = k as f64 / pieces as f64;
            c.push(km(a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
        }
    }
    c.push(c[0]);
    LineString(c)
}

/// An L-shape (about 1 km across) with a hole and a wiggly side.
fn l_shape() -> MultiPolygon<f64> {
    let mut outer = vec![(0.0, 0.0), (1.0, 0.0), (1.0, 0.45), (0.45, 0.45)];
    for i in 0..24 {
        let y = 0.45 + 0.55 * i as f64 / 24.0;
        outer.push((0.45 + 0.03 * (y * 40.0).sin(), y));
    }
    outer.extend([(0.45, 1.0), (0.0, 1.0)]);
    let hole = [
        (0.15, 0.12),
        (0.17, 0.3),
        (0.3, 0.28),
        (0.33, 0.2),
        (0.25, 0.1),
    ];
    MultiPolygon(vec![Polygon::new(ring(&outer), vec![ring(&hole)])])
}

/// Three islands: one with a hole, a round one and one smaller than a cell.
fn islands() -> MultiPolygon<f64> {
    let a = Polygon::new(
        ring(&[
            (0.0, 0.0),
            (0.6, 0.05),
            (0.55, 0.5),
            (0.3, 0.7),
            (-0.05, 0.45),
        ]),
        vec![ring(&[(0.2, 0.2), (0.22, 0.35), (0.38, 0.3), (0.35, 0.18)])],
    );
    let circle: Vec<(f64, f64)> = (0..40)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / 40.0;
            (1.1 + 0.3 * t.cos(), 0.4 + 0.25 * t.sin())
        })
        .collect();
    let b = Polygon::new(ring(&circle), vec![]);
    let c = Polygon::new(
        ring(&[(0.7, 0.6), (0.73, 0.6), (0.74, 0.63), (0.7, 0.62)]),
        vec![],
    );
    MultiPolygon(vec![a, b, c])
}

/// A blob of radius ≈ `r_km` with `n` vertices and a lake.
fn blob(r_km: f64, n: usize) -> MultiPolygon<f64> {
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            let r = r_km
                * (1.0
                    + 0.15 * (3.0 * t).sin()
                    + 0.05 * (17.0 * t).cos()
                    + 0.01 * (131.0 * t).sin());
            (r * t.cos(), r * t.sin())
        })
        .collect();
    let lake: Vec<(f64, f64)> = (0..60)
        .map(|i| {
            let t = -std::f64::consts::TAU * i as f64 / 60.0;
            (0.3 * r_km + 0.1 * r_km * t.cos(), 0.08 * r_km * t.sin())
        })
        .collect();
    MultiPolygon(vec![Polygon::new(ring(&pts), vec![ring(&lake)])])
}

fn opts(target: f64) -> PartitionOptions {
    PartitionOptions {
        target_area_m2: target,
        seed: 7,
        lloyd_iterations: 1,
    }
}

/// A directed edge by the bits of its end points.
type EdgeKey = ((u64, u64), (u64, u64));

fn key(c: Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

fn parent_edges(parent: &MultiPolygon<f64>) -> Vec<(Coord<f64>, Coord<f64>)> {
    let mut e = Vec::new();
    for poly in &parent.0 {
        for ls in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ls.0.windows(2) {
                e.push((w[0], w[1]));
            }
        }
    }
    e
}

fn seg_dist(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let d = b - a;
    let len2 = d.x * d.x + d.y * d.y;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * d.x + (p.y - a.y) * d.y) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.x - a.x - t * d.x).hypot(p.y - a.y - t * d.y)
}

fn boundary_dist(edges: &[(Coord<f64>, Coord<f64>)], p: Coord<f64>) -> f64 {
    edges
        .iter()
        .map(|&(a, b)| seg_dist(p, a, b))
        .fold(f64::INFINITY, f64::min)
}

fn rings_of(cell: &Cell) -> impl Iterator<Item = &LineString<f64>> {
    cell.polygon
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

fn area(mp: &MultiPolygon<f64>) -> f64 {
    mp.geodesic_area_unsigned()
}

/// The exact-topology checks shared by the L-shape and island tests.
fn check_topology(parent: &MultiPolygon<f64>, cells: &[Cell]) {
    const TOL: f64 = 1e-9;
    let edges = parent_edges(parent);
    let parent_vertices: HashSet<(u64, u64)> = edges.iter().map(|e| key(e.0)).collect();

    // 1. Every directed edge appears once; its reverse appears once in another cell, or the
    //    edge runs along the parent's boundary.
    let mut owner: HashMap<EdgeKey, usize> = HashMap::new();
    for (i, cell) in cells.iter().enumerate() {
        for ls in rings_of(cell) {
            assert!(ls.0.len() >= 4, "ring with fewer than 4 positions");
            assert_eq!(ls.0.first(), ls.0.last(), "ring not closed");
            for w in ls.0.windows(2) {
                assert_ne!(key(w[0]), key(w[1]), "repeated vertex");
                let prev = owner.insert((key(w[0]), key(w[1])), i);
                assert!(prev.is_none(), "directed edge used twice (overlap)");
            }
        }
    }
    let mut shared = 0;
    let mut on_boundary = 0;
    for cell in cells {
        for ls in rings_of(cell) {
            for w in ls.0.windows(2) {
                if owner.contains_key(&(key(w[1]), key(w[0]))) {
                    shared += 1;
                    continue;
                }
                on_boundary += 1;
                let mid = Coord {
                    x: 0.5 * (w[0].x + w[1].x),
                    y: 0.5 * (w[0].y + w[1].y),
                };
                for p in [w[0], w[1], mid] {
                    let d = boundary_dist(&edges, p);
                    assert!(
                        d <= 2.0 * TOL,
                        "unshared edge {:?} -> {:?} is {d:e}° off the parent boundary",
                        w[0],
                        w[1]
                    );
                }
            }
        }
    }
    assert!(shared > 0 && on_boundary > 0);

    // 2. Cell vertices on the parent boundary are parent vertices or lie on parent edges.
    let mut cell_vertices = HashSet::new();
    for cell in cells {
        for ls in rings_of(cell) {
            for &c in &ls.0 {
                cell_vertices.insert(key(c));
                let d = boundary_dist(&edges, c);
                if d < 1e-7 {
                    assert!(
                        parent_vertices.contains(&key(c)) || d <= TOL,
                        "vertex {c:?} near the boundary is neither a parent vertex nor on an edge ({d:e}°)"
                    );
                }
            }
        }
    }
    // 3. Every parent vertex (including collinear ones) is used, bit for bit, by some cell.
    for v in &parent_vertices {
        assert!(
            cell_vertices.contains(v),
            "parent vertex not used by any cell"
        );
    }

    // 4. Sampling (geo `Contains` for the parent's open interior, `Intersects` for the closed
    //    cells): random points, plus points within 1e-8° of every cell vertex, where micro
    //    gaps or overlaps would show.
    let bb = Bbox::of(edges.iter().map(|e| [e.0.x, e.0.y]));
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut samples: Vec<Coord<f64>> = (0..4000)
        .map(|_| Coord {
            x: rng.random_range(bb.min[0]..bb.max[0]),
            y: rng.random_range(bb.min[1]..bb.max[1]),
        })
        .collect();
    let mut verts: Vec<(u64, u64)> = cell_vertices.into_iter().collect();
    verts.sort_unstable();
    for (x, y) in verts {
        for _ in 0..3 {
            samples.push(Coord {
                x: f64::from_bits(x) + rng.random_range(-1e-8..1e-8),
                y: f64::from_bits(y) + rng.random_range(-1e-8..1e-8),
            });
        }
    }
    let (mut inside, mut outside) = (0, 0);
    for c in samples {
        if boundary_dist(&edges, c) <= 2.0 * TOL {
            continue;
        }
        let p = Point(c);
        let n = cells
            .iter()
            .filter(|cell| cell.polygon.intersects(&p))
            .count();
        if parent.contains(&p) {
            inside += 1;
            assert_eq!(n, 1, "point {c:?} inside the parent is in {n} cells");
        } else {
            outside += 1;
            assert_eq!(n, 0, "point {c:?} outside the parent is in {n} cells");
        }
    }
    assert!(inside > 1000 && outside > 100);
}

/// Cover check: the cells' areas add up to the parent's, both in the crate's model (edges
/// straight in lon/lat: planar area in square degrees, within 1e-9) and geodesically
/// (within 1e-6; geodesic edges bulge away from straight lon/lat edges, which is why the
/// test parents have short edges).
fn check_area(parent: &MultiPolygon<f64>, cells: &[Cell], target: f64) {
    use geo::Area;
    let planar: f64 = cells.iter().map(|c| c.polygon.unsigned_area()).sum();
    let pp = parent.unsigned_area();
    assert!(
        ((planar - pp) / pp).abs() < 1e-9,
        "cells cover {planar} deg² of a {pp} deg² parent"
    );
    let total: f64 = cells.iter().map(|c| area(&c.polygon)).sum();
    let pa = area(parent);
    assert!(
        ((total - pa) / pa).abs() < 1e-6,
        "cells cover {total} m² of a {pa} m² parent"
    );
    let mean = total / cells.len() as f64;
    assert!(
        (mean / target - 1.0).abs() < 0.3,
        "mean cell area {mean} m² vs target {target} m²"
    );
}

fn check_order(cells: &[Cell]) {
    for w in cells.windows(2) {
        assert!(
            (w[0].row, w[0].col) < (w[1].row, w[1].col),
            "not in reading order: {:?} then {:?}",
            (w[0].row, w[0].col),
            (w[1].row, w[1].col)
        );
    }
}

#[test]
fn deterministic_and_in_reading_order() {
    let parent = l_shape();
    let a = partition(&parent, &opts(10_000.0)).unwrap();
    let b = partition(&parent, &opts(10_000.0)).unwrap();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.row, x.col), (y.row, y.col));
        let kx: Vec<_> = rings_of(x)
            .flat_map(|l| l.0.iter().map(|&c| key(c)))
            .collect();
        let ky: Vec<_> = rings_of(y)
            .flat_map(|l| l.0.iter().map(|&c| key(c)))
            .collect();
        assert_eq!(kx, ky);
    }
    check_order(&a);
    assert!(a.windows(2).any(|w| w[0].row < w[1].row), "only one row");
    let mut o = opts(10_000.0);
    o.seed = 8;
    let c = partition(&parent, &o).unwrap();
    assert_ne!(a, c, "the seed has no effect");
}

#[test]
fn l_shape_with_hole_area_and_topology() {
    let parent = l_shape();
    for lloyd in [0, 1, 3] {
        let mut o = opts(10_000.0);
        o.lloyd_iterations = lloyd;
        let cells = partition(&parent, &o).unwrap();
        assert!(cells.len() > 40, "{} cells", cells.len());
        check_order(&cells);
        check_topology(&parent, &cells);
        check_area(&parent, &cells, 10_000.0);
    }
}

#[test]
fn multipolygon_area_and_topology() {
    let parent = islands();
    let cells = partition(&parent, &opts(10_000.0)).unwrap();
    check_order(&cells);
    check_topology(&parent, &cells);
    check_area(&parent, &cells, 10_000.0);
    // The islands are separate, so some cell must be cut into several pieces or the small
    // island must be absorbed: at least one cell is a MultiPolygon of 2+ parts.
    assert!(cells.iter().any(|c| c.polygon.0.len() > 1));
}

#[test]
fn larger_blob_mean_area() {
    let parent = blob(1.5, 700);
    let cells = partition(&parent, &opts(20_000.0)).unwrap();
    check_area(&parent, &cells, 20_000.0);
    check_order(&cells);
    // Most cells are untouched Voronoi polygons away from the boundary.
    let mean = cells.iter().map(|c| area(&c.polygon)).sum::<f64>() / cells.len() as f64;
    assert!((mean / 20_000.0 - 1.0).abs() < 0.1, "mean {mean}");
}

#[test]
fn ring_orientation_does_not_matter() {
    use geo::Area;
    let mut parent = l_shape();
    parent.0[0].exterior_mut(|ls| ls.0.reverse());
    parent.0[0].interiors_mut(|rings| rings[0].0.reverse());
    let cells = partition(&parent, &opts(10_000.0)).unwrap();
    check_topology(&parent, &cells);
    let planar: f64 = cells.iter().map(|c| c.polygon.unsigned_area()).sum();
    let expected = l_shape().unsigned_area();
    assert!(((planar - expected) / expected).abs() < 1e-9);
}

#[test]
fn small_parent_is_one_cell() {
    let parent = MultiPolygon(vec![Polygon::new(
        ring(&[(0.0, 0.0), (0.05, 0.0), (0.05, 0.05), (0.0, 0.05)]),
        vec![],
    )]);
    let cells = partition(&parent, &opts(10_000.0)).unwrap();
    assert_eq!(cells.len(), 1);
    assert_eq!(cells[0].polygon, parent);
    assert_eq!((cells[0].row, cells[0].col), (0, 0));
}

#[test]
fn bad_input_is_rejected() {
    let parent = l_shape();
    for t in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            partition(&parent, &opts(t)),
            Err(Error::Generate(_))
        ));
    }
    assert!(matches!(
        partition(&MultiPolygon(vec![]), &opts(10_000.0)),
        Err(Error::Generate(_))
    ));
    let degenerate = MultiPolygon(vec![Polygon::new(
        ring(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]),
        vec![],
    )]);
    assert!(matches!(
        partition(&degenerate, &opts(10_000.0)),
        Err(Error::Generate(_))
    ));
    let mut nan = l_shape();
    nan.0[0].exterior_mut(|ls| ls.0[3].x = f64::NAN);
    assert!(matches!(
        partition(&nan, &opts(10_000.0)),
        Err(Error::Generate(_))
    ));
}

#[test]
fn ring_cleaning() {
    assert_eq!(clean_ring(vec![1, 2, 2, 3, 1]), Some(vec![1, 2, 3]));
    assert_eq!(clean_ring(vec![1, 2, 3, 2, 4]), Some(vec![1, 2, 4]));
    assert_eq!(clean_ring(vec![5, 1, 2, 3, 1]), Some(vec![1, 2, 3]));
    assert_eq!(clean_ring(vec![1, 2, 1]), None);
    assert_eq!(clean_ring(vec![1, 2, 3, 4, 2]), Some(vec![2, 3, 4]));
}

/// Timing in release mode:
/// `cargo test --release -p wangge --lib generate -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let district = blob(3.1, 2000);
    println!("parent {:.1} km²", area(&district) / 1e6);
    let t = Instant::now();
    let cells = partition(&district, &opts(10_000.0)).unwrap();
    println!(
        "30 km² → {} cells of 10 000 m²: {:?}",
        cells.len(),
        t.elapsed()
    );
    check_area(&district, &cells, 10_000.0);

    let big = blob(12.6, 5000);
    println!("parent {:.1} km²", area(&big) / 1e6);
    for target in [5e6, 5e5, 1e4] {
        let t = Instant::now();
        let cells = partition(&big, &opts(target)).unwrap();
        println!(
            "{:.0} km² → {} cells of {target} m²: {:?}",
            area(&big) / 1e6,
            cells.len(),
            t.elapsed()
        );
        check_area(&big, &cells, target);
    }
}
/// Loads the bundled real districts of Wuhan (GCJ-02; the datum does not matter here).
fn wuhan_districts() -> Option<Vec<(String, MultiPolygon<f64>)>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/wuhan/districts_gcj02.geojson"
    );
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let ring = |r: &serde_json::Value| -> LineString<f64> {
        LineString(
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| Coord {
                    x: c[0].as_f64().unwrap(),
                    y: c[1].as_f64().unwrap(),
                })
                .collect(),
        )
    };
    let poly = |p: &serde_json::Value| -> Polygon<f64> {
        let rings = p.as_array().unwrap();
        Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    };
    let mut out = Vec::new();
    for f in v["features"].as_array()? {
        let g = &f["geometry"];
        let mp = match g["type"].as_str()? {
            "Polygon" => MultiPolygon(vec![poly(&g["coordinates"])]),
            _ => MultiPolygon(g["coordinates"].as_array()?.iter().map(poly).collect()),
        };
        out.push((f["properties"]["adcode"].as_str()?.to_string(), mp));
    }
    Some(out)
}

/// A faster version of the topology check for large inputs: directed edges unique, unshared
/// edges on the parent's boundary (within the partition's tolerance), planar cover.
fn fast_check(parent: &MultiPolygon<f64>, cells: &[Cell]) {
    use geo::Area;
    let prep = PreparedParent::new(parent).unwrap();
    let extent = (prep.bbox.max[0] - prep.bbox.min[0]).max(prep.bbox.max[1] - prep.bbox.min[1]);
    let tol = BASE_TOL_DEG.max(extent * TOL_PER_EXTENT);
    let dist = |p: Coord<f64>| {
        let env = Bbox::of([[p.x, p.y]]).expand(4.0 * tol);
        prep.edges
            .locate_in_envelope_intersecting(&env.aabb())
            .map(|s| {
                seg_dist(
                    p,
                    Coord {
                        x: s.a[0],
                        y: s.a[1],
                    },
                    Coord {
                        x: s.b[0],
                        y: s.b[1],
                    },
                )
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut owner: HashMap<EdgeKey, usize> = HashMap::new();
    for (i, cell) in cells.iter().enumerate() {
        for ls in rings_of(cell) {
            for w in ls.0.windows(2) {
                assert!(owner.insert((key(w[0]), key(w[1])), i).is_none(), "overlap");
            }
        }
    }
    for cell in cells {
        for ls in rings_of(cell) {
            for w in ls.0.windows(2) {
                if owner.contains_key(&(key(w[1]), key(w[0]))) {
                    continue;
                }
                let mid = Coord {
                    x: 0.5 * (w[0].x + w[1].x),
                    y: 0.5 * (w[0].y + w[1].y),
                };
                for p in [w[0], w[1], mid] {
                    assert!(
                        dist(p) <= 2.0 * tol,
                        "unshared edge off the boundary at {p:?}"
                    );
                }
            }
        }
    }
    let planar: f64 = cells.iter().map(|c| c.polygon.unsigned_area()).sum();
    let pp = parent.unsigned_area();
    assert!(((planar - pp) / pp).abs() < 1e-9, "cover {planar} vs {pp}");
}

/// Real districts of Wuhan: every district into streets, and 江汉区 through the whole
/// hierarchy. `cargo test --release -p wangge --lib generate -- --ignored --nocapture`.
#[test]
#[ignore]
fn wuhan_real_districts() {
    let Some(districts) = wuhan_districts() else {
        println!("data/wuhan/districts_gcj02.geojson not found; skipped");
        return;
    };
    for (code, d) in &districts {
        let t = Instant::now();
        let streets = partition(d, &opts(5e6)).unwrap();
        let el = t.elapsed();
        let prep = PreparedParent::new(d).unwrap();
        let frame = Frame::new(&prep.bbox).unwrap();
        let km2 = prep.local_area(&frame) * 111.195f64.powi(2);
        println!(
            "{code}: {km2:.0} km², {} vertices → {} streets in {el:?}",
            prep.rings.iter().map(|r| r.pts.len()).sum::<usize>(),
            streets.len()
        );
        fast_check(d, &streets);
    }
    let (_, jianghan) = districts.iter().find(|(c, _)| c == "420103").unwrap();
    let t = Instant::now();
    let streets = partition(jianghan, &opts(5e6)).unwrap();
    let mut communities = Vec::new();
    for s in &streets {
        let c = partition(&s.polygon, &opts(5e5)).unwrap();
        fast_check(&s.polygon, &c);
        communities.extend(c);
    }
    let mut grids = 0;
    for c in &communities {
        let g = partition(&c.polygon, &opts(1e4)).unwrap();
        fast_check(&c.polygon, &g);
        grids += g.len();
    }
    println!(
        "420103 hierarchy: {} streets, {} communities, {grids} grids in {:?} (with checks)",
        streets.len(),
        communities.len(),
        t.elapsed()
    );
    let (_, hongshan) = districts.iter().find(|(c, _)| c == "420111").unwrap();
    let t = Instant::now();
    let grids = partition(hongshan, &opts(1e4)).unwrap();
    println!(
        "420111 → {} grids of 10 000 m² in {:?}",
        grids.len(),
        t.elapsed()
    );
    fast_check(hongshan, &grids);
}
