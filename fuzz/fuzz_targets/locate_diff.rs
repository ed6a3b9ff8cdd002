//! Differential: a random guillotine partition (rectangles split on a 1/64 lattice, two
//! levels) built into a city; query points on the same lattice (so many lie exactly on edges
//! and vertices) located by the index, singly and in batches, equal the brute-force oracle.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge::{BuildOptions, City, CodeScheme, LevelInput, RegionInput};

#[path = "common.rs"]
mod common;

const STEP: f64 = 0.001 / 64.0;

fn rect(x0: u32, y0: u32, x1: u32, y1: u32) -> Vec<Vec<Vec<[f64; 2]>>> {
    let p = |x: u32, y: u32| [114.0 + f64::from(x) * STEP, 30.0 + f64::from(y) * STEP];
    vec![vec![vec![
        p(x0, y0),
        p(x1, y0),
        p(x1, y1),
        p(x0, y1),
        p(x0, y0),
    ]]]
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (splits, queries) = data.split_at(data.len().min(48));
    // Guillotine splits of a 256 × 256 lattice square.
    let mut cells = vec![(0u32, 0u32, 256u32, 256u32)];
    for w in splits.chunks(2) {
        let (pick, at) = (usize::from(w[0]), u32::from(*w.get(1).unwrap_or(&128)));
        let i = pick % cells.len();
        let (x0, y0, x1, y1) = cells[i];
        let vertical = pick & 1 == 0;
        let (lo, hi) = if vertical { (x0, x1) } else { (y0, y1) };
        if hi - lo < 2 {
            continue;
        }
        let cut = lo + 1 + at % (hi - lo - 1);
        cells.swap_remove(i);
        if vertical {
            cells.push((x0, y0, cut, y1));
            cells.push((cut, y0, x1, y1));
        } else {
            cells.push((x0, y0, x1, cut));
            cells.push((x0, cut, x1, y1));
        }
    }
    let grids = cells
        .iter()
        .enumerate()
        .map(|(i, &(x0, y0, x1, y1))| RegionInput {
            code: format!("g{i:03}"),
            name: String::new(),
            parent: Some("top".into()),
            geometry: rect(x0, y0, x1, y1),
        })
        .collect();
    let levels = vec![
        LevelInput {
            name: "top".into(),
            regions: vec![RegionInput {
                code: "top".into(),
                name: String::new(),
                parent: None,
                geometry: rect(0, 0, 256, 256),
            }],
        },
        LevelInput {
            name: "grid".into(),
            regions: grids,
        },
    ];
    let options = BuildOptions {
        code_scheme: CodeScheme::Free,
        ..BuildOptions::default()
    };
    let city = City::build(levels, &options).expect("a guillotine partition is valid");
    let mut points: Vec<(f64, f64)> = queries
        .chunks(2)
        .map(|q| {
            let x = f64::from(q[0]) * 260.0 / 255.0 - 2.0;
            let y = f64::from(*q.get(1).unwrap_or(&0)) * 260.0 / 255.0 - 2.0;
            (114.0 + x.round() * STEP, 30.0 + y.round() * STEP)
        })
        .collect();
    points.extend(common::vertices(&city, 512));
    common::check_locate(&city, &points);
});
