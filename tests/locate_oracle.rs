//! `locate` against brute-force oracles: geo's independent point-in-polygon on a million random
//! points over the generated Wuhan hierarchy, exhaustive search on every vertex, and proptest
//! partitions with points exactly on shared vertices and edges.

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use wangge::locate::{BruteForceLocator, Locator};
use wangge::prelude::*;
use wangge_tests::{boxes, oracle_owner, repo_root};

fn wuhan() -> City {
    City::from_manifest(&repo_root().join("data/wuhan.toml")).unwrap()
}

#[test]
fn a_million_random_points_agree_with_geo() {
    let city = wuhan();
    let boxes = boxes(&city);
    let jianghan = city.by_code("420103").unwrap();
    let [x0, y0, x1, y1] = city.prepared()[jianghan.index()].bbox();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let n = 1_000_000;
    let (mut lons, mut lats) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let (x, y) = if i % 10 == 0 {
            (rng.random_range(113.6..115.1), rng.random_range(29.9..31.4)) // all of Wuhan and beyond
        } else {
            (
                rng.random_range(x0 - 0.01..x1 + 0.01),
                rng.random_range(y0 - 0.01..y1 + 0.01),
            )
        };
        lons.push(x);
        lats.push(y);
    }
    // Non-finite coordinates have no owner, wherever they sit in the (internally sorted) batch.
    (lons[5], lats[17], lons[999_998]) = (f64::NAN, f64::INFINITY, f64::NEG_INFINITY);
    let got = city.locate_many(&lons, &lats).unwrap();
    assert_eq!(city.locate_many_parallel(&lons, &lats).unwrap(), got);
    assert_eq!([got[5], got[17], got[999_998]], [NO_OWNER; 3]);
    // The owner at every level agrees with each owner's chain of regions.
    let sample = &got[..20_000];
    let by_level = city.owners_by_level(sample);
    for (i, &owner) in sample.iter().enumerate() {
        let mut want = vec![NO_OWNER; city.levels().len()];
        if owner != NO_OWNER {
            for r in city.chain(RegionId(owner)) {
                want[r.level] = city.by_code(&r.code).unwrap().0;
            }
        }
        let have: Vec<u32> = by_level.iter().map(|level| level[i]).collect();
        assert_eq!(have, want, "point {i}");
    }
    let mut at_grid = 0;
    for i in 0..n {
        let want = oracle_owner(&city, &boxes, lons[i], lats[i]).unwrap_or(NO_OWNER);
        assert_eq!(got[i], want, "point {i} ({}, {})", lons[i], lats[i]);
        at_grid += (want != NO_OWNER && city.region(RegionId(want)).level == 3) as usize;
    }
    // The test must exercise the grid level, not only districts.
    assert!(at_grid > n / 4, "only {at_grid} points landed in grids");
}

#[test]
fn every_vertex_has_one_owner_and_index_equals_exhaustive_search() {
    let city = wuhan();
    let brute = BruteForceLocator::new(city.prepared(), city.level_ranges());
    let owners = |level: usize, x: f64, y: f64| -> Vec<u32> {
        city.level_ranges()[level]
            .clone()
            .filter(|&i| city.prepared()[i as usize].contains(x, y))
            .collect()
    };
    let mut checked = 0;
    // On every level below the top: each vertex of a child has at most one owner on that level,
    // and exactly one (a child of it) when a parent with children owns it: children tile their
    // parents exactly, across parents too.
    for level in 1..city.levels().len() {
        for (_, r) in city.level_regions(level) {
            for c in r
                .geometry
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|l| l.0.iter())
            {
                let (x, y) = (c.x, c.y);
                assert_eq!(
                    city.locate(x, y).map(|h| h.leaf_id().0),
                    brute.locate(x, y),
                    "vertex ({x}, {y})"
                );
                let children = owners(level, x, y);
                let parents = owners(level - 1, x, y);
                assert!(
                    children.len() <= 1 && parents.len() <= 1,
                    "({x}, {y}): {children:?} {parents:?}"
                );
                match (parents.first(), children.first()) {
                    (Some(&p), Some(&c)) => {
                        assert_eq!(city.region(RegionId(c)).parent, Some(RegionId(p)))
                    }
                    (Some(&p), None) => assert!(
                        city.children(RegionId(p)).is_empty(),
                        "({x}, {y}) falls between the children of {}",
                        city.region(RegionId(p)).code
                    ),
                    (None, Some(&c)) => panic!(
                        "({x}, {y}) is in {} but not in its parent",
                        city.region(RegionId(c)).code
                    ),
                    (None, None) => {}
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 20_000, "{checked}");
}

/// A jittered lattice of quads over [0, n] × [0, m] (scaled into Wuhan), one region per quad,
/// with exactly shared vertices.
fn lattice(n: usize, m: usize, jitter: &[f64]) -> (City, Vec<[f64; 2]>) {
    let vertex = |i: usize, j: usize| -> [f64; 2] {
        let k = j * (n + 1) + i;
        let interior = i > 0 && i < n && j > 0 && j < m;
        let (dx, dy) = if interior {
            (
                jitter[2 * k % jitter.len()],
                jitter[(2 * k + 1) % jitter.len()],
            )
        } else {
            (0.0, 0.0)
        };
        [
            114.0 + (i as f64 + dx) * 1e-3,
            30.0 + (j as f64 + dy) * 1e-3,
        ]
    };
    let mut regions = Vec::new();
    for j in 0..m {
        for i in 0..n {
            let ring = vec![
                vertex(i, j),
                vertex(i + 1, j),
                vertex(i + 1, j + 1),
                vertex(i, j + 1),
                vertex(i, j),
            ];
            regions.push(RegionInput {
                code: format!("q{j:02}{i:02}"),
                name: String::new(),
                parent: None,
                geometry: vec![vec![ring]],
            });
        }
    }
    let verts = (0..=m)
        .flat_map(|j| (0..=n).map(move |i| (i, j)))
        .map(|(i, j)| vertex(i, j))
        .collect();
    let options = BuildOptions {
        code_scheme: CodeScheme::Free,
        ..Default::default()
    };
    (
        City::build(
            vec![LevelInput {
                name: "quad".into(),
                regions,
            }],
            &options,
        )
        .unwrap(),
        verts,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn lattice_vertices_and_edges_have_exactly_one_owner(
        n in 1usize..6, m in 1usize..6,
        jitter in prop::collection::vec(-0.3f64..0.3, 2..40),
        t in prop::collection::vec(0.0f64..1.0, 8),
        random in prop::collection::vec((-0.5f64..6.5, -0.5f64..6.5), 32),
    ) {
        let (city, verts) = lattice(n, m, &jitter);
        let brute = BruteForceLocator::new(city.prepared(), city.level_ranges());
        let x_max = 114.0 + n as f64 * 1e-3;
        let y_max = 30.0 + m as f64 * 1e-3;
        // Vertices: one owner strictly inside the lattice's outer boundary; the semi-open rule
        // decides the boundary (owned on the west and south sides only).
        for &[x, y] in &verts {
            let owners = city.prepared().iter().filter(|p| p.contains(x, y)).count();
            let expect = usize::from(x < x_max && y < y_max);
            prop_assert_eq!(owners, expect, "vertex ({}, {})", x, y);
            prop_assert_eq!(city.locate(x, y).map(|h| h.leaf_id().0), brute.locate(x, y));
        }
        // Points on the (axis-aligned) outer edges and random points: index = exhaustive search,
        // and the owner is one of the quads geo says touch the point.
        let mut pts: Vec<(f64, f64)> = t.iter().map(|&s| (114.0, 30.0 + s * m as f64 * 1e-3)).collect();
        pts.extend(t.iter().map(|&s| (114.0 + s * n as f64 * 1e-3, 30.0)));
        pts.extend(random.iter().map(|&(a, b)| (114.0 + a * 1e-3, 30.0 + b * 1e-3)));
        for (x, y) in pts {
            let got = city.locate(x, y).map(|h| h.leaf_id().0);
            prop_assert_eq!(got, brute.locate(x, y));
            use geo::Intersects;
            let touching: Vec<u32> = (0..city.len() as u32)
                .filter(|&i| city.regions()[i as usize].geometry.intersects(&geo::Point::new(x, y)))
                .collect();
            match got {
                Some(id) => prop_assert!(touching.contains(&id), "({}, {}) owned by {} but touches {:?}", x, y, id, touching),
                None => {
                    use geo::Contains;
                    let p = geo::Point::new(x, y);
                    prop_assert!(
                        city.regions().iter().all(|r| !r.geometry.contains(&p)),
                        "({}, {}) unowned but strictly inside a quad", x, y
                    );
                }
            }
        }
    }
}
