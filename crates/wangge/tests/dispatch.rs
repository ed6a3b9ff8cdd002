//! Dispatch (智能派单) against hand-made inputs whose answers are worked out by hand: which
//! departments, in which order and for which reason; which workers and assets; CRS at the edge;
//! typed errors; the live resource pool under concurrent updates; the bundled Wuhan manifest.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use wangge::assets::AssetInput;
use wangge::catalog::Catalog;
use wangge::crs::wgs84_to_gcj02;
use wangge::dispatch::departments::{parse_table, DepartmentTable};
use wangge::dispatch::{
    DepartmentInput, DepartmentMatch, DispatchOptions, DispatchResult, Dispatcher,
    JurisdictionInput, NearbyAssets, Reason, Resource, ResourceFilter, ResourcePool,
};
use wangge::nearest::geodesic_distance_m;
use wangge::prelude::*;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The conformance fixture: communities 420103001001 (社区A, lon 114.250–114.253) and
/// 420103001002 (社区B, lon 114.253–114.256), lat 30.550–30.553, with grids.
fn fixture() -> Arc<City> {
    Arc::new(City::from_manifest(&repo_root().join("tests/data/fixture/city.toml")).unwrap())
}

/// Interior of grid 420103001001002 (community A).
const P_A: (f64, f64) = (114.2515, 30.5525);
/// Interior of grid 420103001002003 (community B).
const P_B: (f64, f64) = (114.2545, 30.5505);
/// Inside the hole of grid 420103001001005: a gap owned by community A.
const P_GAP: (f64, f64) = (114.2515, 30.5515);
/// Outside the city.
const P_OUT: (f64, f64) = (114.30, 30.60);

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
    vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]]
}

fn region(
    code: &str,
    name: &str,
    parent: Option<&str>,
    geometry: Vec<Vec<Vec<[f64; 2]>>>,
) -> RegionInput {
    RegionInput {
        code: code.into(),
        name: name.into(),
        parent: parent.map(Into::into),
        geometry,
    }
}

/// Three levels: district 420103 (the whole box) > communities 420103001001 (west half, one grid
/// covering it) and 420103001002 (east half, no grids) > grid 420103001001001.
fn mini_city() -> Arc<City> {
    let city = City::build(
        vec![
            LevelInput {
                name: "district".into(),
                regions: vec![region(
                    "420103",
                    "江汉区",
                    None,
                    rect(114.25, 30.55, 114.256, 30.553),
                )],
            },
            LevelInput {
                name: "community".into(),
                regions: vec![
                    region(
                        "420103001001",
                        "社区A",
                        Some("420103"),
                        rect(114.25, 30.55, 114.253, 30.553),
                    ),
                    region(
                        "420103001002",
                        "社区B",
                        Some("420103"),
                        rect(114.253, 30.55, 114.256, 30.553),
                    ),
                ],
            },
            LevelInput {
                name: "grid".into(),
                regions: vec![region(
                    "420103001001001",
                    "网格001",
                    Some("420103001001"),
                    rect(114.25, 30.55, 114.253, 30.553),
                )],
            },
        ],
        &BuildOptions::default(),
    )
    .unwrap();
    Arc::new(city)
}

fn name_of(code: &str) -> String {
    format!("{code} 名称")
}

fn dept(
    code: &str,
    jurisdiction: JurisdictionInput,
    handles: &[&str],
    priority: i32,
) -> DepartmentInput {
    DepartmentInput {
        code: code.into(),
        name: name_of(code),
        level: String::new(),
        jurisdiction,
        handles: handles.iter().map(|s| s.to_string()).collect(),
        priority,
    }
}

fn city_wide() -> JurisdictionInput {
    JurisdictionInput::City("city".into())
}

fn regions(codes: &[&str]) -> JurisdictionInput {
    JurisdictionInput::Regions(codes.iter().map(|s| s.to_string()).collect())
}

fn dispatcher(city: Arc<City>, departments: Vec<DepartmentInput>) -> Dispatcher {
    Dispatcher::new(
        city,
        Catalog::builtin(),
        departments,
        Vec::new(),
        Vec::new(),
    )
    .unwrap()
}

/// Default options without the nearby hydrant list.
fn opts() -> DispatchOptions {
    DispatchOptions {
        nearby: Vec::new(),
        ..DispatchOptions::default()
    }
}

fn run(d: &Dispatcher, p: (f64, f64), category: &str, o: &DispatchOptions) -> DispatchResult {
    d.dispatch(p.0, p.1, category, o).unwrap()
}

fn depts(d: &Dispatcher, p: (f64, f64), category: &str) -> Vec<DepartmentMatch> {
    run(d, p, category, &opts()).departments
}

fn resp(code: &str, prefix: &str, primary: bool, fanout: bool) -> DepartmentMatch {
    DepartmentMatch {
        code: code.into(),
        name: name_of(code),
        reason: Reason::Responsible {
            prefix: prefix.into(),
            fanout,
            primary,
        },
    }
}

fn territorial(code: &str, name: &str, level: &str) -> DepartmentMatch {
    DepartmentMatch {
        code: code.into(),
        name: name.into(),
        reason: Reason::Territorial {
            level: level.into(),
        },
    }
}

fn asset(id: &str, p: (f64, f64), main_dept: Option<&str>) -> AssetInput {
    AssetInput {
        id: id.into(),
        lon: p.0,
        lat: p.1,
        main_dept: main_dept.map(Into::into),
        ..AssetInput::default()
    }
}

fn worker(id: &str, kind: &str, p: (f64, f64), on_duty: bool, home: Option<&str>) -> Resource {
    Resource {
        id: id.into(),
        kind: kind.into(),
        lon: p.0,
        lat: p.1,
        on_duty,
        home_grid: home.map(Into::into),
    }
}

fn codes(chain: &[wangge::dispatch::RegionRef]) -> Vec<&str> {
    chain.iter().map(|r| r.code.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Specific vs general prefix
// ---------------------------------------------------------------------------------------------

#[test]
fn specific_prefix_before_general() {
    // The general department first in the table, so table order cannot give the answer.
    let d = dispatcher(
        fixture(),
        vec![
            dept("B-GENERAL", city_wide(), &["01"], 0),
            dept("A-RAIN", city_wide(), &["0103"], 0),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0103"),
        vec![
            resp("A-RAIN", "0103", true, false),
            resp("B-GENERAL", "01", false, false),
        ]
    );
    assert_eq!(
        depts(&d, P_A, "0102"),
        vec![resp("B-GENERAL", "01", true, false)]
    );
    // The GB/T 47678.5 rain cover 01003 has major 01; "0103" does not cover it.
    assert_eq!(
        depts(&d, P_A, "01003"),
        vec![resp("B-GENERAL", "01", true, false)]
    );
    // Specificity beats a smaller jurisdiction and a better priority.
    let d = dispatcher(
        fixture(),
        vec![
            dept("B-GENERAL", regions(&["420103001001002"]), &["01"], -10),
            dept("A-RAIN", city_wide(), &["0103"], 10),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0103"),
        vec![
            resp("A-RAIN", "0103", true, false),
            resp("B-GENERAL", "01", false, false),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. District vs city bureau; priority; code
// ---------------------------------------------------------------------------------------------

#[test]
fn smaller_jurisdiction_before_city_bureau() {
    let d = dispatcher(
        fixture(),
        vec![
            dept("CITY-CGW", city_wide(), &["03"], 0),
            dept("COMM-A-CGJ", regions(&["420103001001"]), &["03"], 0),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0305"),
        vec![
            resp("COMM-A-CGJ", "03", true, false),
            resp("CITY-CGW", "03", false, false),
        ]
    );
    // Community B is outside COMM-A-CGJ's jurisdiction.
    assert_eq!(
        depts(&d, P_B, "0305"),
        vec![resp("CITY-CGW", "03", true, false)]
    );
    // A grid-level jurisdiction is smaller still.
    let d = dispatcher(
        fixture(),
        vec![
            dept("CITY-CGW", city_wide(), &["03"], 0),
            dept("COMM-A-CGJ", regions(&["420103001001"]), &["03"], 0),
            dept("GRID-002", regions(&["420103001001002"]), &["03"], 0),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0305"),
        vec![
            resp("GRID-002", "03", true, false),
            resp("COMM-A-CGJ", "03", false, false),
            resp("CITY-CGW", "03", false, false),
        ]
    );
}

#[test]
fn community_and_grid_jurisdictions() {
    let d = dispatcher(
        mini_city(),
        vec![
            dept("CITY", city_wide(), &["03"], 0),
            dept("COMM-B", regions(&["420103001002"]), &["03"], 0),
            dept("GRID-1", regions(&["420103001001001"]), &["03"], 0),
        ],
    );
    // (114.2515, 30.5515) is in grid 001 of community A; (114.2545, 30.5515) in community B.
    assert_eq!(
        depts(&d, (114.2515, 30.5515), "0305"),
        vec![
            resp("GRID-1", "03", true, false),
            resp("CITY", "03", false, false)
        ]
    );
    assert_eq!(
        depts(&d, (114.2545, 30.5515), "0305"),
        vec![
            resp("COMM-B", "03", true, false),
            resp("CITY", "03", false, false)
        ]
    );
}

#[test]
fn priority_then_code_break_ties() {
    // Equal specificity and equal area (the same community): priority, then code.
    let d = dispatcher(
        fixture(),
        vec![
            dept("X-1", regions(&["420103001001"]), &["03"], 2),
            dept("X-2", regions(&["420103001001"]), &["03"], 1),
            // Priority never overrides a smaller jurisdiction.
            dept("X-0-CITY", city_wide(), &["03"], -100),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0305"),
        vec![
            resp("X-2", "03", true, false),
            resp("X-1", "03", false, false),
            resp("X-0-CITY", "03", false, false),
        ]
    );
    let d = dispatcher(
        fixture(),
        vec![
            dept("X-2", regions(&["420103001001"]), &["03"], 0),
            dept("X-1", regions(&["420103001001"]), &["03"], 0),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0305"),
        vec![
            resp("X-1", "03", true, false),
            resp("X-2", "03", false, false)
        ]
    );
    // In the mini city the district is the only top region, so "city" and ["420103"] have the
    // same area: the tie goes to priority, then to the code.
    let d = dispatcher(
        mini_city(),
        vec![
            dept("Z-DISTRICT", regions(&["420103"]), &["03"], 0),
            dept("A-CITY", city_wide(), &["03"], 1),
        ],
    );
    assert_eq!(
        d.departments()
            .get("Z-DISTRICT")
            .unwrap()
            .jurisdiction_area_m2,
        d.departments().get("A-CITY").unwrap().jurisdiction_area_m2
    );
    assert_eq!(
        depts(&d, (114.2515, 30.5515), "0305"),
        vec![
            resp("Z-DISTRICT", "03", true, false),
            resp("A-CITY", "03", false, false)
        ]
    );
    let d = dispatcher(
        mini_city(),
        vec![
            dept("Z-DISTRICT", regions(&["420103"]), &["03"], 0),
            dept("A-CITY", city_wide(), &["03"], 0),
        ],
    );
    assert_eq!(
        depts(&d, (114.2515, 30.5515), "0305"),
        vec![
            resp("A-CITY", "03", true, false),
            resp("Z-DISTRICT", "03", false, false)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Jurisdiction by polygon
// ---------------------------------------------------------------------------------------------

#[test]
fn polygon_jurisdiction_follows_the_one_owner_rule() {
    let d = dispatcher(
        fixture(),
        vec![
            dept("CITY", city_wide(), &["0103"], 0),
            dept(
                "POLY",
                JurisdictionInput::Polygon {
                    polygon: rect(114.251, 30.551, 114.252, 30.552),
                },
                &["0103"],
                0,
            ),
        ],
    );
    let inside = vec![
        resp("POLY", "0103", true, false),
        resp("CITY", "0103", false, false),
    ];
    let outside = vec![resp("CITY", "0103", true, false)];
    for (p, expected, what) in [
        (
            (114.2515, 30.5515),
            &inside,
            "interior (a gap of the city, still in the polygon)",
        ),
        ((114.2511, 30.5519), &inside, "interior"),
        ((114.251, 30.5515), &inside, "west edge"),
        ((114.2515, 30.551), &inside, "south edge"),
        ((114.251, 30.551), &inside, "south-west corner"),
        ((114.252, 30.5515), &outside, "east edge"),
        ((114.2515, 30.552), &outside, "north edge"),
        ((114.252, 30.551), &outside, "south-east corner"),
        ((114.251, 30.552), &outside, "north-west corner"),
        ((114.2525, 30.5515), &outside, "east of it"),
        ((114.2505, 30.5515), &outside, "west of it"),
    ] {
        assert_eq!(&depts(&d, p, "0103"), expected, "{what} {p:?}");
    }
}

#[test]
fn polygon_jurisdiction_with_a_hole_and_its_area() {
    // Grid 005 of the fixture (a square with a square hole) as a polygon of its own, and the
    // same outline written clockwise.
    let outer = vec![
        [114.251, 30.551],
        [114.252, 30.551],
        [114.252, 30.552],
        [114.251, 30.552],
        [114.251, 30.551],
    ];
    let hole = vec![
        [114.2513, 30.5513],
        [114.2513, 30.5517],
        [114.2517, 30.5517],
        [114.2517, 30.5513],
        [114.2513, 30.5513],
    ];
    let mut clockwise = outer.clone();
    clockwise.reverse();
    let d = dispatcher(
        fixture(),
        vec![
            dept(
                "HOLED",
                JurisdictionInput::Polygon {
                    polygon: vec![vec![outer, hole]],
                },
                &["0103"],
                0,
            ),
            dept(
                "CW",
                JurisdictionInput::Polygon {
                    polygon: vec![vec![clockwise]],
                },
                &["0102"],
                0,
            ),
            dept("GRID-005", regions(&["420103001001005"]), &["0104"], 0),
        ],
    );
    let area = |code: &str| d.departments().get(code).unwrap().jurisdiction_area_m2;
    let grid_area = d
        .city()
        .region(d.city().by_code("420103001001005").unwrap())
        .area_m2;
    assert!((area("HOLED") - grid_area).abs() < 1e-6 * grid_area);
    assert!((area("GRID-005") - grid_area).abs() < 1e-6 * grid_area);
    // The outline without the hole is larger by the hole (≈ 38.4 m × 44.4 m).
    assert!(
        area("CW") > area("HOLED") + 1_500.0,
        "{} {}",
        area("CW"),
        area("HOLED")
    );
    let first = |p: (f64, f64), category: &str| depts(&d, p, category)[0].code.clone();
    // In the hole: neither the holed polygon nor the grid; the plain outline does cover it.
    assert_ne!(first(P_GAP, "0103"), "HOLED");
    assert_ne!(first(P_GAP, "0104"), "GRID-005");
    assert_eq!(first(P_GAP, "0102"), "CW");
    // The hole's west edge belongs to the hole, its east edge to the polygon (as for the grid).
    assert_ne!(first((114.2513, 30.5515), "0103"), "HOLED");
    assert_eq!(first((114.2517, 30.5515), "0103"), "HOLED");
    assert_eq!(first((114.2517, 30.5515), "0104"), "GRID-005");
    assert_eq!(first((114.2511, 30.5511), "0103"), "HOLED");
}

#[test]
fn polygon_and_region_jurisdictions_agree_on_borders() {
    // Grid 006 (lon 114.252–114.253, lat 30.551–30.552) given once as a region code and once as
    // its own polygon: both must cover exactly the same lattice points, borders included.
    let d = dispatcher(
        fixture(),
        vec![
            dept("BY-CODE", regions(&["420103001001006"]), &["0103"], 0),
            dept(
                "BY-POLYGON",
                JurisdictionInput::Polygon {
                    polygon: rect(114.252, 30.551, 114.253, 30.552),
                },
                &["0102"],
                0,
            ),
        ],
    );
    let city = d.city().clone();
    let xs = [114.2515, 114.252, 114.2525, 114.253, 114.2535];
    let ys = [30.5505, 30.551, 30.5515, 30.552, 30.5525];
    let mut covered = 0;
    for &x in &xs {
        for &y in &ys {
            let owner_is_006 = city
                .locate(x, y)
                .is_some_and(|h| h.leaf().code == "420103001001006");
            let by_code = depts(&d, (x, y), "0103")
                .first()
                .is_some_and(|m| m.code == "BY-CODE");
            let by_polygon = depts(&d, (x, y), "0102")
                .first()
                .is_some_and(|m| m.code == "BY-POLYGON");
            assert_eq!(by_code, owner_is_006, "region jurisdiction at ({x}, {y})");
            assert_eq!(
                by_polygon, owner_is_006,
                "polygon jurisdiction at ({x}, {y})"
            );
            covered += usize::from(owner_is_006);
        }
    }
    // (114.252, 30.551), (114.252, 30.5515), (114.2525, 30.551), (114.2525, 30.5515).
    assert_eq!(covered, 4);
}

// ---------------------------------------------------------------------------------------------
// 4. Asset-owned reports
// ---------------------------------------------------------------------------------------------

#[test]
fn reported_asset_main_department_comes_first() {
    let city = fixture();
    let d = Dispatcher::new(
        city,
        Catalog::builtin(),
        vec![
            dept("A-RAIN", city_wide(), &["0103"], 0),
            dept("B-GENERAL", city_wide(), &["01"], 0),
        ],
        vec![
            asset("4201030103000001", P_A, Some("B-GENERAL")),
            asset("4201030103000002", P_A, Some("A-RAIN")),
            asset("4201030103000003", P_A, None),
        ],
        Vec::new(),
    )
    .unwrap();
    let with = |id: &str| DispatchOptions {
        asset_id: Some(id.into()),
        ..opts()
    };
    let asset_main = |code: &str, id: &str| DepartmentMatch {
        code: code.into(),
        name: name_of(code),
        reason: Reason::AssetMain { asset: id.into() },
    };
    // B is less specific, but it is the asset's 主管部门; it is not listed a second time.
    assert_eq!(
        run(&d, P_A, "0103", &with("4201030103000001")).departments,
        vec![
            asset_main("B-GENERAL", "4201030103000001"),
            resp("A-RAIN", "0103", true, false),
        ]
    );
    assert_eq!(
        run(&d, P_A, "0103", &with("4201030103000002")).departments,
        vec![
            asset_main("A-RAIN", "4201030103000002"),
            resp("B-GENERAL", "01", false, false),
        ]
    );
    // No 主管部门: the ordinary rule.
    assert_eq!(
        run(&d, P_A, "0103", &with("4201030103000003")).departments,
        vec![
            resp("A-RAIN", "0103", true, false),
            resp("B-GENERAL", "01", false, false),
        ]
    );
    assert_eq!(
        d.dispatch(P_A.0, P_A.1, "0103", &with("4201030103000009")),
        Err(Error::UnknownId {
            kind: "asset",
            id: "4201030103000009".into()
        })
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Fan-out
// ---------------------------------------------------------------------------------------------

#[test]
fn fanout_category_goes_to_every_utility() {
    assert!(Catalog::builtin().get("0114").unwrap().fanout);
    let d = dispatcher(
        fixture(),
        vec![
            dept("CITY", city_wide(), &["01"], -5),
            dept("U-A", city_wide(), &["0114"], 3),
            dept("U-B", city_wide(), &["0114"], 0),
            dept("U-Z", regions(&["420103001001"]), &["0114"], 9),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0114"),
        vec![
            resp("U-Z", "0114", true, true),
            resp("U-B", "0114", true, true),
            resp("U-A", "0114", true, true),
            resp("CITY", "01", false, false),
        ]
    );
    assert_eq!(
        depts(&d, P_B, "0114"),
        vec![
            resp("U-B", "0114", true, true),
            resp("U-A", "0114", true, true),
            resp("CITY", "01", false, false),
        ]
    );
    // The same departments for a category that does not fan out: one primary.
    assert!(!Catalog::builtin().get("0113").unwrap().fanout);
    let d = dispatcher(
        fixture(),
        vec![
            dept("CITY", city_wide(), &["01"], -5),
            dept("U-A", city_wide(), &["0113"], 3),
            dept("U-B", city_wide(), &["0113"], 0),
        ],
    );
    assert_eq!(
        depts(&d, P_A, "0113"),
        vec![
            resp("U-B", "0113", true, false),
            resp("U-A", "0113", false, false),
            resp("CITY", "01", false, false),
        ]
    );
    // 01023 (不明井盖) fans out too; here only the general department handles it.
    let d = dispatcher(fixture(), vec![dept("CITY", city_wide(), &["01"], 0)]);
    assert_eq!(
        depts(&d, P_A, "01023"),
        vec![resp("CITY", "01", true, true)]
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Territorial fallback
// ---------------------------------------------------------------------------------------------

#[test]
fn fallback_to_territorial_owner() {
    let d = dispatcher(fixture(), vec![dept("RAIN", city_wide(), &["0103"], 0)]);
    let at_level = |p: (f64, f64), level: &str| {
        run(
            &d,
            p,
            "0118",
            &DispatchOptions {
                territorial_level: level.into(),
                ..opts()
            },
        )
        .departments
    };
    assert_eq!(
        at_level(P_A, "community"),
        vec![territorial("420103001001", "社区A", "community")]
    );
    assert_eq!(
        at_level(P_A, "grid"),
        vec![territorial("420103001001002", "网格002", "grid")]
    );
    // No level of that name (the default "street"): the leaf's parent.
    assert_eq!(
        at_level(P_A, "street"),
        vec![territorial("420103001001", "社区A", "community")]
    );
    assert_eq!(
        at_level(P_B, "no-such-level"),
        vec![territorial("420103001002", "社区B", "community")]
    );
    // A gap: the community is the owner itself.
    assert_eq!(
        at_level(P_GAP, "community"),
        vec![territorial("420103001001", "社区A", "community")]
    );
    // Outside the city: nobody, and no chain.
    let r = run(&d, P_OUT, "0118", &opts());
    assert!(r.departments.is_empty(), "{:?}", r.departments);
    assert!(r.chain.is_empty());
    // Also for a category a city-wide department handles.
    let r = run(&d, P_OUT, "0103", &opts());
    assert!(r.departments.is_empty(), "{:?}", r.departments);
    assert!(r.chain.is_empty());
}

#[test]
fn fallback_level_distinguishes_parent_and_named_level() {
    let d = dispatcher(mini_city(), vec![dept("RAIN", city_wide(), &["0103"], 0)]);
    let at_level = |p: (f64, f64), level: &str| {
        let r = run(
            &d,
            p,
            "200501",
            &DispatchOptions {
                territorial_level: level.into(),
                ..opts()
            },
        );
        (codes(&r.chain).join(">"), r.departments)
    };
    let in_grid = (114.2515, 30.5515);
    let in_b = (114.2545, 30.5515);
    assert_eq!(
        at_level(in_grid, "district"),
        (
            "420103>420103001001>420103001001001".to_string(),
            vec![territorial("420103", "江汉区", "district")]
        )
    );
    assert_eq!(
        at_level(in_grid, "nope"),
        (
            "420103>420103001001>420103001001001".to_string(),
            vec![territorial("420103001001", "社区A", "community")]
        )
    );
    // Community B has no grids: the owner is the community, its parent the district.
    assert_eq!(
        at_level(in_b, "nope"),
        (
            "420103>420103001002".to_string(),
            vec![territorial("420103", "江汉区", "district")]
        )
    );
    assert_eq!(
        at_level(in_b, "community"),
        (
            "420103>420103001002".to_string(),
            vec![territorial("420103001002", "社区B", "community")]
        )
    );
}

#[test]
fn fallback_to_a_level_below_the_owner_stays_at_the_owner() {
    let d = dispatcher(mini_city(), vec![dept("RAIN", city_wide(), &["0103"], 0)]);
    let r = run(
        &d,
        (114.2545, 30.5515),
        "200501",
        &DispatchOptions {
            territorial_level: "grid".into(),
            ..opts()
        },
    );
    assert_eq!(codes(&r.chain), ["420103", "420103001002"]);
    assert_eq!(
        r.departments,
        vec![territorial("420103001002", "社区B", "community")]
    );
}

#[test]
fn jurisdiction_area_counts_each_place_once() {
    let d = dispatcher(
        fixture(),
        vec![
            dept("B-PLAIN", regions(&["420103001001"]), &["03"], 0),
            dept(
                "A-NESTED",
                regions(&["420103001001", "420103001001002"]),
                &["03"],
                0,
            ),
        ],
    );
    let area = |code: &str| d.departments().get(code).unwrap().jurisdiction_area_m2;
    assert!(
        (area("A-NESTED") - area("B-PLAIN")).abs() < 1e-6 * area("B-PLAIN"),
        "{} vs {}",
        area("A-NESTED"),
        area("B-PLAIN")
    );
    // Same coverage, same area, same priority: the code decides.
    assert_eq!(
        depts(&d, P_A, "0305"),
        vec![
            resp("A-NESTED", "03", true, false),
            resp("B-PLAIN", "03", false, false)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Workers
// ---------------------------------------------------------------------------------------------

const G: &str = "420103001001002"; // the grid of P_A

fn worker_dispatcher() -> Dispatcher {
    Dispatcher::new(
        fixture(),
        Catalog::builtin(),
        vec![dept("RAIN", city_wide(), &["0103"], 0)],
        Vec::new(),
        vec![
            worker("W-SAME-FAR", "worker", (114.2515, 30.5545), true, Some(G)), // ≈ 222 m
            worker("W-SAME-NEAR", "worker", (114.2515, 30.5535), true, Some(G)), // ≈ 111 m
            worker(
                "W-OTHER",
                "worker",
                (114.2516, 30.5525),
                true,
                Some("420103001001001"),
            ), // ≈ 9.6 m
            worker("W-NOHOME", "worker", (114.2520, 30.5525), true, None),      // ≈ 48 m
            worker("W-OFF", "worker", P_A, false, Some(G)),
            worker("CAR", "patrol_car", P_A, true, Some(G)),
            worker("W-FAR", "worker", P_OUT, true, Some("420103001002001")),
        ],
    )
    .unwrap()
}

fn worker_ids(r: &DispatchResult) -> Vec<(&str, bool)> {
    r.workers
        .iter()
        .map(|w| (w.id.as_str(), w.same_grid))
        .collect()
}

#[test]
fn workers_same_grid_first_then_nearest() {
    let d = worker_dispatcher();
    let with = |k: usize, max: Option<f64>| DispatchOptions {
        workers: k,
        worker_max_distance_m: max,
        ..opts()
    };
    let r = run(&d, P_A, "0103", &with(3, None));
    assert_eq!(
        worker_ids(&r),
        [
            ("W-SAME-NEAR", true),
            ("W-SAME-FAR", true),
            ("W-OTHER", false)
        ]
    );
    let snap = d.resources().snapshot();
    for w in &r.workers {
        let res = snap.get(&w.id).unwrap();
        let expected = geodesic_distance_m(P_A.0, P_A.1, res.lon, res.lat);
        assert!(
            (w.distance_m - expected).abs() <= 1e-6,
            "{}: {} vs {expected}",
            w.id,
            w.distance_m
        );
    }
    assert_eq!(
        worker_ids(&run(&d, P_A, "0103", &with(1, None))),
        [("W-SAME-NEAR", true)]
    );
    assert!(run(&d, P_A, "0103", &with(0, None)).workers.is_empty());
    // Off duty and the patrol car never count; only 5 workers qualify.
    assert_eq!(
        worker_ids(&run(&d, P_A, "0103", &with(10, None))),
        [
            ("W-SAME-NEAR", true),
            ("W-SAME-FAR", true),
            ("W-OTHER", false),
            ("W-NOHOME", false),
            ("W-FAR", false),
        ]
    );
    // The distance limit applies to same-grid workers too.
    assert_eq!(
        worker_ids(&run(&d, P_A, "0103", &with(5, Some(150.0)))),
        [
            ("W-SAME-NEAR", true),
            ("W-OTHER", false),
            ("W-NOHOME", false)
        ]
    );
    // Another grid: nobody of its own grid, so plain distance order.
    let in_001 = (114.2505, 30.5525);
    assert_eq!(
        worker_ids(&run(&d, in_001, "0103", &with(2, None))),
        [("W-OTHER", true), ("W-NOHOME", false)]
    );
    // A different kind.
    let cars = DispatchOptions {
        worker_kind: "patrol_car".into(),
        ..with(3, None)
    };
    let r = run(&d, P_A, "0103", &cars);
    assert_eq!(worker_ids(&r), [("CAR", true)]);
    assert_eq!(r.workers[0].distance_m, 0.0);
    // Outside the city there is no grid: nearest first.
    assert_eq!(
        worker_ids(&run(&d, P_OUT, "0103", &with(2, None))),
        [("W-FAR", false), ("W-SAME-FAR", false)]
    );
}

#[test]
fn workers_follow_live_updates() {
    let d = worker_dispatcher();
    let with3 = DispatchOptions {
        workers: 3,
        worker_max_distance_m: None,
        ..opts()
    };
    let v = d.resources().set_on_duty(&[("W-OFF", true)]).unwrap();
    assert_eq!(v, 1);
    assert_eq!(
        worker_ids(&run(&d, P_A, "0103", &with3)),
        [("W-OFF", true), ("W-SAME-NEAR", true), ("W-SAME-FAR", true)]
    );
    // W-SAME-NEAR moves far away; W-NOHOME moves next to the report.
    let v = d
        .resources()
        .update_positions(&[
            ("W-SAME-NEAR", 114.40, 30.70),
            ("W-NOHOME", 114.25151, 30.5525),
        ])
        .unwrap();
    assert_eq!(v, 2);
    assert_eq!(
        worker_ids(&run(&d, P_A, "0103", &with3)),
        [("W-OFF", true), ("W-SAME-FAR", true), ("W-SAME-NEAR", true)]
    );
    let four = DispatchOptions {
        workers: 4,
        worker_max_distance_m: None,
        ..opts()
    };
    assert_eq!(
        worker_ids(&run(&d, P_A, "0103", &four)),
        [
            ("W-OFF", true),
            ("W-SAME-FAR", true),
            ("W-SAME-NEAR", true),
            ("W-NOHOME", false)
        ]
    );
    // The default limit (5 km) leaves out the worker now ≈ 23 km away.
    let default4 = DispatchOptions {
        workers: 4,
        ..opts()
    };
    assert_eq!(default4.worker_max_distance_m, Some(5_000.0));
    assert_eq!(
        worker_ids(&run(&d, P_A, "0103", &default4)),
        [
            ("W-OFF", true),
            ("W-SAME-FAR", true),
            ("W-NOHOME", false),
            ("W-OTHER", false)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Assets of the reported class, nearby lists
// ---------------------------------------------------------------------------------------------

fn north(p: (f64, f64), dlat: f64) -> (f64, f64) {
    (p.0, p.1 + dlat)
}

fn asset_dispatcher() -> Dispatcher {
    let mut damaged = asset("4201030103000001", north(P_A, 0.0002), None); // ≈ 22 m
    damaged.state = "破损".into();
    Dispatcher::new(
        fixture(),
        Catalog::builtin(),
        vec![dept("RAIN", city_wide(), &["0103", "01003"], 0)],
        vec![
            damaged,
            asset("42010301003000001", north(P_A, 0.0001), None), // 01003 ≈ 11 m
            asset("4201030103000002", north(P_A, 0.0035), None),  // ≈ 388 m
            asset("4201030103000003", north(P_A, 0.0055), None),  // ≈ 610 m
            asset("4201030102000001", north(P_A, 0.00005), None), // 0102 ≈ 5.5 m
            asset("42010301013000001", north(P_A, -0.00015), None), // hydrant ≈ 17 m
            asset("4201030113000001", north(P_A, -0.0003), None), // hydrant ≈ 33 m
            asset("4201030113000002", north(P_A, -0.01), None),   // hydrant ≈ 1.1 km
        ],
        Vec::new(),
    )
    .unwrap()
}

fn hit_ids(hits: &[wangge::dispatch::AssetHit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn nearest_assets_of_the_reported_class() {
    let d = asset_dispatcher();
    let r = run(&d, P_A, "0103", &DispatchOptions::default());
    assert_eq!(
        hit_ids(&r.assets),
        ["42010301003000001", "4201030103000001", "4201030103000002"]
    );
    assert_eq!(r.assets[0].class, "01003");
    assert_eq!(r.assets[1].class, "0103");
    assert_eq!(r.assets[1].state, "damaged");
    assert_eq!(r.assets[0].state, "intact");
    for h in &r.assets {
        let a = d.assets().get(&h.id).unwrap();
        let expected = geodesic_distance_m(P_A.0, P_A.1, a.lon, a.lat);
        assert!((h.distance_m - expected).abs() <= 1e-6, "{}", h.id);
    }
    // The default hydrant list: both schemes, nearest first.
    assert_eq!(r.nearby.len(), 1);
    assert_eq!(r.nearby[0].0, "hydrants");
    assert_eq!(
        hit_ids(&r.nearby[0].1),
        ["42010301013000001", "4201030113000001"]
    );
    // The 500 m default limit holds however many are asked for; without it the 4th comes.
    let more = DispatchOptions {
        assets: 10,
        ..DispatchOptions::default()
    };
    assert_eq!(run(&d, P_A, "0103", &more).assets.len(), 3);
    let unlimited = DispatchOptions {
        assets: 10,
        asset_max_distance_m: None,
        ..DispatchOptions::default()
    };
    assert_eq!(
        hit_ids(&run(&d, P_A, "0103", &unlimited).assets),
        [
            "42010301003000001",
            "4201030103000001",
            "4201030103000002",
            "4201030103000003"
        ]
    );
    let near = DispatchOptions {
        asset_max_distance_m: Some(15.0),
        ..DispatchOptions::default()
    };
    assert_eq!(
        hit_ids(&run(&d, P_A, "0103", &near).assets),
        ["42010301003000001"]
    );
    // The GB/T 47678.5 category finds the legacy assets through the crosswalk.
    assert_eq!(
        hit_ids(&run(&d, P_A, "01003", &DispatchOptions::default()).assets),
        ["42010301003000001", "4201030103000001", "4201030103000002"]
    );
    // Another class: only its own.
    assert_eq!(
        hit_ids(&run(&d, P_A, "0102", &DispatchOptions::default()).assets),
        ["4201030102000001"]
    );
    // An event: no assets, but the nearby list still comes.
    let r = run(&d, P_A, "200501", &DispatchOptions::default());
    assert!(r.assets.is_empty(), "{:?}", r.assets);
    assert_eq!(
        hit_ids(&r.nearby[0].1),
        ["42010301013000001", "4201030113000001"]
    );
    // assets = 0: none.
    let none = DispatchOptions {
        assets: 0,
        ..DispatchOptions::default()
    };
    assert!(run(&d, P_A, "0103", &none).assets.is_empty());
    // Custom nearby lists.
    let custom = DispatchOptions {
        nearby: vec![
            NearbyAssets {
                label: "covers".into(),
                classes: vec!["01".into()],
                k: 3,
                max_distance_m: None,
            },
            NearbyAssets {
                label: "hydrants".into(),
                classes: vec!["0113".into()],
                k: 5,
                max_distance_m: None,
            },
        ],
        ..DispatchOptions::default()
    };
    let r = run(&d, P_A, "200501", &custom);
    assert_eq!(r.nearby[0].0, "covers");
    assert_eq!(
        hit_ids(&r.nearby[0].1),
        ["4201030102000001", "42010301003000001", "42010301013000001"]
    );
    assert_eq!(r.nearby[1].0, "hydrants");
    assert_eq!(
        hit_ids(&r.nearby[1].1),
        ["4201030113000001", "4201030113000002"]
    );
}

#[test]
fn nearby_lists_respect_their_distance_limit() {
    let d = asset_dispatcher();
    // Hydrants: 42010301013000001 ≈ 17 m, 4201030113000001 ≈ 33 m, 4201030113000002 ≈ 1.11 km.
    let limited = DispatchOptions {
        nearby: vec![NearbyAssets {
            label: "hydrants within 1 km".into(),
            classes: vec!["0113".into()],
            k: 5,
            max_distance_m: Some(1_000.0),
        }],
        ..DispatchOptions::default()
    };
    let r = run(&d, P_A, "200501", &limited);
    assert_eq!(hit_ids(&r.nearby[0].1), ["4201030113000001"]);
    // The default list stops at 1 km: 55 m south of the far hydrant the other two are
    // ≈ 1.13 km and ≈ 1.15 km away.
    assert_eq!(
        DispatchOptions::default().nearby[0].max_distance_m,
        Some(1_000.0)
    );
    let south = north(P_A, -0.0105);
    let r = run(&d, south, "200501", &DispatchOptions::default());
    assert_eq!(hit_ids(&r.nearby[0].1), ["4201030113000002"]);
}

// ---------------------------------------------------------------------------------------------
// 9. GCJ-02 input
// ---------------------------------------------------------------------------------------------

#[test]
fn gcj02_input_gives_the_wgs84_result() {
    let base = asset_dispatcher();
    let d = Dispatcher::new(
        base.city().clone(),
        Catalog::builtin(),
        vec![
            dept("RAIN", city_wide(), &["0103"], 0),
            dept("COMM-A", regions(&["420103001001"]), &["01"], 0),
        ],
        base.assets()
            .assets()
            .iter()
            .map(|a| AssetInput {
                id: a.id.clone(),
                lon: a.lon,
                lat: a.lat,
                ..AssetInput::default()
            })
            .collect(),
        worker_dispatcher()
            .resources()
            .snapshot()
            .resources()
            .to_vec(),
    )
    .unwrap();
    for (p, category) in [(P_A, "0103"), (P_B, "0102"), (P_GAP, "200501")] {
        let wgs = run(&d, p, category, &DispatchOptions::default());
        let (gx, gy) = wgs84_to_gcj02(p.0, p.1);
        assert!(
            (gx - p.0).abs() > 1e-3 || (gy - p.1).abs() > 1e-3,
            "GCJ-02 shifts the point"
        );
        let gcj = run(
            &d,
            (gx, gy),
            category,
            &DispatchOptions {
                crs: Crs::Gcj02,
                ..DispatchOptions::default()
            },
        );
        assert!((gcj.lon - p.0).abs() < 1e-9 && (gcj.lat - p.1).abs() < 1e-9);
        assert_eq!(gcj.chain, wgs.chain);
        assert!(!wgs.chain.is_empty());
        assert_eq!(gcj.departments, wgs.departments);
        assert_eq!(gcj.category, wgs.category);
        assert_eq!(gcj.category_name, wgs.category_name);
        let ids = |r: &DispatchResult| {
            (
                r.workers
                    .iter()
                    .map(|w| (w.id.clone(), w.same_grid))
                    .collect::<Vec<_>>(),
                hit_ids(&r.assets)
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
                r.nearby
                    .iter()
                    .map(|(l, h)| (l.clone(), hit_ids(h).join(",")))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(ids(&gcj), ids(&wgs));
        for (a, b) in gcj.workers.iter().zip(&wgs.workers) {
            assert!((a.distance_m - b.distance_m).abs() < 1e-3);
        }
        for (a, b) in gcj.assets.iter().zip(&wgs.assets) {
            assert!((a.distance_m - b.distance_m).abs() < 1e-3);
        }
        // BD-09 too.
        let (bx, by) = wangge::crs::wgs84_to_bd09(p.0, p.1);
        let bd = run(
            &d,
            (bx, by),
            category,
            &DispatchOptions {
                crs: Crs::Bd09,
                ..DispatchOptions::default()
            },
        );
        assert_eq!(bd.chain, wgs.chain);
        assert_eq!(bd.departments, wgs.departments);
        assert_eq!(ids(&bd), ids(&wgs));
        // The GCJ-02 coordinates taken as WGS84 land somewhere else (outside the fixture).
        let wrong = run(&d, (gx, gy), category, &DispatchOptions::default());
        assert_ne!(wrong.chain, wgs.chain);
    }
}

// ---------------------------------------------------------------------------------------------
// 10. Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_reports_are_typed_errors() {
    let d = dispatcher(fixture(), vec![dept("RAIN", city_wide(), &["0103"], 0)]);
    assert_eq!(
        d.dispatch(P_A.0, P_A.1, "0199", &opts()),
        Err(Error::UnknownClass {
            context: "report category".into(),
            code: "0199".into()
        })
    );
    assert!(matches!(
        d.dispatch(P_A.0, P_A.1, "", &opts()),
        Err(Error::UnknownClass { .. })
    ));
    for (lon, lat) in [
        (f64::NAN, P_A.1),
        (P_A.0, f64::NAN),
        (f64::INFINITY, P_A.1),
        (181.0, P_A.1),
        (P_A.0, -90.5),
    ] {
        let e = d.dispatch(lon, lat, "0103", &opts()).unwrap_err();
        assert!(
            matches!(e, Error::InvalidPoint { index: 0, .. }),
            "{lon} {lat}: {e:?}"
        );
    }
    // The point is checked before the category.
    assert!(matches!(
        d.dispatch(f64::NAN, 0.0, "0199", &opts()),
        Err(Error::InvalidPoint { .. })
    ));
}

fn table_error(departments: Vec<DepartmentInput>) -> Error {
    DepartmentTable::build(&fixture(), &Catalog::builtin(), departments).unwrap_err()
}

#[test]
fn bad_department_tables_are_typed_errors() {
    assert_eq!(
        table_error(vec![
            dept("D1", city_wide(), &["01"], 0),
            dept("D2", city_wide(), &["02"], 0),
            dept("D1", city_wide(), &["03"], 0),
        ]),
        Error::DuplicateId {
            context: "department 2 (code \"D1\")".into(),
            id: "D1".into()
        }
    );
    let e = table_error(vec![dept(
        "D1",
        regions(&["420103001001", "420103009009"]),
        &["01"],
        0,
    )]);
    assert!(
        matches!(&e, Error::Table { source_name, reason }
            if source_name.contains("department 0") && reason.contains("420103009009")),
        "{e:?}"
    );
    for bad in ["99", "0199", "010", "", "2099"] {
        let e = table_error(vec![
            dept("OK", city_wide(), &["01"], 0),
            dept("D1", city_wide(), &["0103", bad], 0),
        ]);
        assert!(
            matches!(&e, Error::Table { source_name, reason }
                if source_name.contains("department 1") && reason.contains(&format!("{bad:?}"))),
            "handles {bad:?}: {e:?}"
        );
    }
    let e = table_error(vec![dept(
        "D1",
        JurisdictionInput::City("town".into()),
        &["01"],
        0,
    )]);
    assert!(
        matches!(&e, Error::Table { reason, .. } if reason.contains("\"town\"")),
        "{e:?}"
    );
    // Valid prefixes of every layout are accepted.
    DepartmentTable::build(
        &fixture(),
        &Catalog::builtin(),
        vec![dept(
            "D1",
            city_wide(),
            &["01", "0103", "01003", "2005", "200501", "09", "09001"],
            0,
        )],
    )
    .unwrap();
    // The same errors through Dispatcher::new.
    assert!(matches!(
        Dispatcher::new(
            fixture(),
            Catalog::builtin(),
            vec![dept("D1", city_wide(), &["99"], 0)],
            Vec::new(),
            Vec::new()
        ),
        Err(Error::Table { .. })
    ));
}

#[test]
fn department_tables_from_toml() {
    let text = r#"
[[department]]
code = "CITY"
name = "市城管委"
level = "city"
jurisdiction = "city"
handles = ["03"]
priority = 10

[[department]]
code = "COMM-A"
name = "社区A城管"
jurisdiction = ["420103001001"]
handles = ["03", "0305"]

[[department]]
code = "POLY"
name = "片区"
jurisdiction = { polygon = [[[[114.253, 30.55], [114.256, 30.55], [114.256, 30.553], [114.253, 30.553], [114.253, 30.55]]]] }
handles = ["0305"]
"#;
    let parsed = parse_table("deps.toml", text).unwrap();
    assert_eq!(parsed.len(), 3);
    assert_eq!(parsed[0].jurisdiction, city_wide());
    assert_eq!(parsed[0].priority, 10);
    assert_eq!(parsed[1].jurisdiction, regions(&["420103001001"]));
    assert_eq!(parsed[1].level, "");
    assert_eq!(parsed[1].priority, 0);
    assert_eq!(
        parsed[2].jurisdiction,
        JurisdictionInput::Polygon {
            polygon: rect(114.253, 30.55, 114.256, 30.553)
        }
    );
    let d = Dispatcher::new(
        fixture(),
        Catalog::builtin(),
        parsed,
        Vec::new(),
        Vec::new(),
    )
    .unwrap();
    let named = |code: &str, name: &str, prefix: &str, primary: bool| DepartmentMatch {
        code: code.into(),
        name: name.into(),
        reason: Reason::Responsible {
            prefix: prefix.into(),
            fanout: false,
            primary,
        },
    };
    assert_eq!(
        depts(&d, P_A, "0305"),
        vec![
            named("COMM-A", "社区A城管", "0305", true),
            named("CITY", "市城管委", "03", false)
        ]
    );
    assert_eq!(
        depts(&d, P_B, "0305"),
        vec![
            named("POLY", "片区", "0305", true),
            named("CITY", "市城管委", "03", false)
        ]
    );
    // Table errors.
    for (bad, what) in [
        ("[[department]]\ncode = \"X\"\nname = \"x\"\njurisdiction = \"city\"\nhandles = [\"01\"]\ncolour = \"red\"\n", "unknown key"),
        ("[[department]]\ncode = \"X\"\nname = \"x\"\nhandles = [\"01\"]\n", "no jurisdiction"),
        ("[[department]]\ncode = \"X\"\nname = \"x\"\njurisdiction = 3\nhandles = [\"01\"]\n", "jurisdiction of the wrong type"),
        ("department = 1\n", "not a table array"),
        ("[[department]\n", "malformed TOML"),
    ] {
        let e = parse_table("deps.toml", bad).unwrap_err();
        assert!(
            matches!(&e, Error::Table { source_name, .. } if source_name == "deps.toml"),
            "{what}: {e:?}"
        );
    }
    // "town" parses (it is a string) and is rejected when the table is built.
    let town = parse_table(
        "deps.toml",
        "[[department]]\ncode = \"X\"\nname = \"x\"\njurisdiction = \"town\"\nhandles = [\"01\"]\n",
    )
    .unwrap();
    assert!(matches!(
        DepartmentTable::build(&fixture(), &Catalog::builtin(), town),
        Err(Error::Table { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// 11. Position updates racing queries
// ---------------------------------------------------------------------------------------------

const N_WORKERS: usize = 256;

fn pool_ids() -> Vec<String> {
    (0..N_WORKERS).map(|i| format!("W{i:03}")).collect()
}

fn pool_at(p: (f64, f64)) -> ResourcePool {
    ResourcePool::new(
        pool_ids()
            .into_iter()
            .map(|id| worker(&id, "worker", p, true, None))
            .collect(),
    )
    .unwrap()
}

/// The position of every resource, if they all share one.
fn common_position(snap: &wangge::dispatch::ResourceSnapshot) -> Option<(f64, f64)> {
    let first = &snap.resources()[0];
    snap.resources()
        .iter()
        .all(|r| r.lon == first.lon && r.lat == first.lat)
        .then_some((first.lon, first.lat))
}

/// Increments a counter when dropped (also while unwinding).
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn position_updates_racing_queries_are_never_torn_or_lost() {
    const WRITERS: usize = 3;
    const READERS: usize = 2;
    const ROUNDS: usize = 150;
    let start = (114.0, 30.0);
    let pool = pool_at(start);
    let ids = pool_ids();
    // Version → the position that update published.
    let written: Mutex<Vec<(u64, (f64, f64))>> = Mutex::new(vec![(0, start)]);
    let writers_done = AtomicUsize::new(0);
    let observed: Vec<Vec<(u64, (f64, f64))>> = std::thread::scope(|s| {
        for t in 0..WRITERS {
            let (pool, ids, written, writers_done) = (&pool, &ids, &written, &writers_done);
            s.spawn(move || {
                // Counts the writer as done even if it panics, so the readers stop.
                let _done = Done(writers_done);
                for i in 0..ROUNDS {
                    let p = (
                        114.0 + 0.01 * t as f64 + 1e-5 * (i + 1) as f64,
                        30.0 + 1e-5 * (i + 1) as f64,
                    );
                    let batch: Vec<(&str, f64, f64)> =
                        ids.iter().map(|id| (id.as_str(), p.0, p.1)).collect();
                    let v = pool.update_positions(&batch).unwrap();
                    written.lock().unwrap().push((v, p));
                    if i % 10 == 0 {
                        // A batch that moves everyone and then names an unknown id: rejected whole.
                        let mut bad: Vec<(&str, f64, f64)> =
                            ids.iter().map(|id| (id.as_str(), 100.0, 10.0)).collect();
                        bad.push(("nobody", 100.0, 10.0));
                        assert_eq!(
                            pool.update_positions(&bad),
                            Err(Error::UnknownId {
                                kind: "resource",
                                id: "nobody".into()
                            })
                        );
                        // And one whose last position is NaN.
                        let mut nan: Vec<(&str, f64, f64)> =
                            ids.iter().map(|id| (id.as_str(), 101.0, 11.0)).collect();
                        nan.push((ids[0].as_str(), f64::NAN, 11.0));
                        assert!(matches!(
                            pool.update_positions(&nan),
                            Err(Error::InvalidPoint { .. })
                        ));
                    }
                }
            });
        }
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let (pool, writers_done) = (&pool, &writers_done);
                s.spawn(move || {
                    let mut seen = Vec::new();
                    let mut last = 0u64;
                    let filter = ResourceFilter::default();
                    loop {
                        let done = writers_done.load(Ordering::SeqCst) == WRITERS;
                        let snap = pool.snapshot();
                        assert!(
                            snap.version() >= last,
                            "version went back: {} < {last}",
                            snap.version()
                        );
                        last = snap.version();
                        assert_eq!(snap.resources().len(), N_WORKERS);
                        let p = common_position(&snap).unwrap_or_else(|| {
                            panic!("torn snapshot at version {}", snap.version())
                        });
                        // The index agrees with the resources of the same snapshot.
                        let near = snap.nearest(p.0, p.1, N_WORKERS, None, &filter);
                        assert_eq!(near.len(), N_WORKERS);
                        assert!(
                            near.iter().all(|(_, d)| *d == 0.0),
                            "index and resources disagree"
                        );
                        seen.push((snap.version(), p));
                        if done {
                            break seen;
                        }
                    }
                })
            })
            .collect();
        readers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut written = written.into_inner().unwrap();
    written.sort_by_key(|w| w.0);
    let total = (WRITERS * ROUNDS) as u64;
    // Every successful update got its own version, 1..=total: none lost, none repeated.
    assert_eq!(
        written.iter().map(|w| w.0).collect::<Vec<_>>(),
        (0..=total).collect::<Vec<_>>()
    );
    let by_version: std::collections::HashMap<u64, (f64, f64)> = written.iter().copied().collect();
    let mut reads = 0;
    for seen in &observed {
        for (v, p) in seen {
            assert_eq!(
                by_version.get(v),
                Some(p),
                "snapshot {v} shows a position nobody published"
            );
            reads += 1;
        }
    }
    assert!(reads >= READERS);
    let snap = pool.snapshot();
    assert_eq!(snap.version(), total);
    assert_eq!(common_position(&snap), Some(by_version[&total]));
}

#[test]
fn rejected_batches_change_nothing() {
    let pool = ResourcePool::new(vec![
        worker("A", "worker", (114.25, 30.55), true, None),
        worker("B", "worker", (114.26, 30.56), true, None),
    ])
    .unwrap();
    let v = pool.update_positions(&[("A", 114.251, 30.551)]).unwrap();
    assert_eq!(v, 1);
    let before = pool.snapshot();
    assert_eq!(
        pool.update_positions(&[("A", 114.3, 30.6), ("B", 114.3, 30.6), ("C", 114.3, 30.6)]),
        Err(Error::UnknownId {
            kind: "resource",
            id: "C".into()
        })
    );
    let e = pool
        .update_positions(&[("A", 114.3, 30.6), ("B", f64::NAN, 30.6)])
        .unwrap_err();
    assert!(matches!(e, Error::InvalidPoint { index: 1, .. }), "{e:?}");
    let e = pool
        .update_positions(&[("A", 114.3, 30.6), ("B", 114.3, 91.0)])
        .unwrap_err();
    assert!(matches!(e, Error::InvalidPoint { index: 1, .. }), "{e:?}");
    assert_eq!(
        pool.set_on_duty(&[("A", false), ("Z", false)]),
        Err(Error::UnknownId {
            kind: "resource",
            id: "Z".into()
        })
    );
    let after = pool.snapshot();
    assert_eq!(after.version(), 1);
    assert_eq!(after.resources(), before.resources());
    assert_eq!(
        (after.get("A").unwrap().lon, after.get("A").unwrap().lat),
        (114.251, 30.551)
    );
    assert!(after.get("A").unwrap().on_duty);
    // The index was not rebuilt from a half-applied batch either.
    let near = after.nearest(114.3, 30.6, 1, Some(1000.0), &ResourceFilter::default());
    assert!(near.is_empty());
    // Resource pool construction errors.
    assert!(matches!(
        ResourcePool::new(vec![
            worker("A", "worker", (114.25, 30.55), true, None),
            worker("A", "worker", (114.26, 30.56), true, None),
        ]),
        Err(Error::DuplicateId { .. })
    ));
    assert!(matches!(
        ResourcePool::new(vec![worker("A", "worker", (f64::NAN, 30.55), true, None)]),
        Err(Error::InvalidPoint { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// 12. The bundled Wuhan manifest
// ---------------------------------------------------------------------------------------------

#[test]
fn bundled_wuhan_manifest() {
    assert!(matches!(
        Dispatcher::from_manifest(&repo_root().join("tests/data/fixture/city.toml")),
        Err(Error::Manifest { .. })
    ));
    let d = Dispatcher::from_manifest(&repo_root().join("data/wuhan.toml")).unwrap();
    assert!(d.assets().len() > 5000, "{} assets", d.assets().len());
    assert!(!d.resources().snapshot().resources().is_empty());
    assert!(d.departments().get("D420100-SWJ").is_some());
    let city = d.city().clone();
    // A point inside street 420103002, found by sampling its bbox.
    let street = city.by_code("420103002").expect("street 420103002");
    let [x0, y0, x1, y1] = city.prepared()[street.index()].bbox();
    let p = (1..20)
        .flat_map(|i| (1..20).map(move |j| (i, j)))
        .map(|(i, j)| {
            (
                x0 + (x1 - x0) * i as f64 / 20.0,
                y0 + (y1 - y0) * j as f64 / 20.0,
            )
        })
        .find(|&(x, y)| {
            city.locate(x, y).is_some_and(|h| {
                h.chain().iter().any(|r| r.code == "420103002") && h.leaf().level == 3
            })
        })
        .expect("a point in street 420103002");
    let o = DispatchOptions::default();
    let r = run(&d, p, "0103", &o);
    assert_eq!(codes(&r.chain)[..2], ["420103", "420103002"]);
    assert_eq!(r.category_name, "雨水井盖");
    let first = &r.departments[0];
    assert_eq!(first.code, "D420100-SWJ");
    assert_eq!(first.name, "武汉市水务局");
    assert_eq!(
        first.reason,
        Reason::Responsible {
            prefix: "0103".into(),
            fanout: false,
            primary: true
        }
    );
    assert_eq!(
        r.departments
            .iter()
            .map(|m| m.code.as_str())
            .collect::<Vec<_>>(),
        ["D420100-SWJ", "D420100-CGW"]
    );
    assert!(!r.assets.is_empty());
    assert!(r
        .assets
        .iter()
        .all(|a| a.class == "0103" || a.class == "01003"));
    assert!(!r.workers.is_empty());
    let r = run(&d, p, "0305", &o);
    assert_eq!(
        r.departments
            .iter()
            .map(|m| (m.code.as_str(), m.reason.clone()))
            .collect::<Vec<_>>(),
        [
            (
                "D420103-CGJ",
                Reason::Responsible {
                    prefix: "03".into(),
                    fanout: false,
                    primary: true
                }
            ),
            (
                "D420100-CGW",
                Reason::Responsible {
                    prefix: "03".into(),
                    fanout: false,
                    primary: false
                }
            ),
        ]
    );
    let r = run(&d, p, "200501", &o);
    assert_eq!(
        r.departments
            .iter()
            .map(|m| m.code.as_str())
            .collect::<Vec<_>>(),
        ["D420103002-JD", "D420103-CGJ", "D420100-CGW"]
    );
    assert!(r.assets.is_empty());
    // The same event in the GB/T 47678.5 scheme.
    let r = run(&d, p, "09001", &o);
    assert_eq!(r.departments[0].code, "D420103002-JD");
    // The synthetic inventory's rain covers name the water authority as 主管部门.
    let cover = d
        .assets()
        .assets()
        .iter()
        .find(|a| a.class == "0103")
        .expect("a rain cover");
    assert_eq!(cover.main_dept.as_deref(), Some("D420100-SWJ"));
    let r = run(
        &d,
        (cover.lon, cover.lat),
        "0103",
        &DispatchOptions {
            asset_id: Some(cover.id.clone()),
            ..DispatchOptions::default()
        },
    );
    assert_eq!(
        r.departments[0].reason,
        Reason::AssetMain {
            asset: cover.id.clone()
        }
    );
    assert_eq!(r.departments[0].code, "D420100-SWJ");
    assert_eq!(r.assets[0].id, cover.id);
    assert_eq!(r.assets[0].distance_m, 0.0);
    assert_eq!(
        r.departments
            .iter()
            .filter(|m| m.code == "D420100-SWJ")
            .count(),
        1
    );
}
