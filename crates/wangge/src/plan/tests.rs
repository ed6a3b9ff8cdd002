use super::*;
use crate::locate::{BruteForceLocator, Locator};
use crate::model::{BuildOptions, City, LevelInput, RegionInput};
use crate::synth::{generate_levels, GenerateSpec};
use crate::validate::{validate_levels, FindingKind, Severity};
use geo::{BoundingRect, Centroid, Contains, Intersects, Point};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

// ---------- hand-made cities: 0.001° squares in a row ----------

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
    vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]]
}

fn region(code: &str, parent: Option<&str>, g: Vec<Vec<Vec<[f64; 2]>>>) -> RegionInput {
    RegionInput {
        code: code.into(),
        name: String::new(),
        parent: parent.map(Into::into),
        geometry: g,
    }
}

const X0: f64 = 114.0;
const Y0: f64 = 30.0;
const D: f64 = 0.001;

/// Street 420103001 with communities …001 (grids 001, 002) and …002 (grids 001, 002), all
/// D × D squares in one row from X0.
fn row_city() -> City {
    let c1 = "420103001001";
    let c2 = "420103001002";
    let sq = |i: f64, j: f64| square(X0 + i * D, Y0, X0 + j * D, Y0 + D);
    City::build(
        vec![
            LevelInput {
                name: "street".into(),
                regions: vec![region("420103001", None, sq(0.0, 4.0))],
            },
            LevelInput {
                name: "community".into(),
                regions: vec![
                    region(c1, Some("420103001"), sq(0.0, 2.0)),
                    region(c2, Some("420103001"), sq(2.0, 4.0)),
                ],
            },
            LevelInput {
                name: "grid".into(),
                regions: vec![
                    region("420103001001001", Some(c1), sq(0.0, 1.0)),
                    region("420103001001002", Some(c1), sq(1.0, 2.0)),
                    region("420103001002001", Some(c2), sq(2.0, 3.0)),
                    region("420103001002002", Some(c2), sq(3.0, 4.0)),
                ],
            },
        ],
        &BuildOptions::default(),
    )
    .unwrap()
}

fn leaf(city: &City, lon: f64, lat: f64) -> Option<String> {
    city.locate(lon, lat).map(|l| l.leaf().code.clone())
}

fn vertical(x: f64) -> Vec<[f64; 2]> {
    vec![[x, Y0 - D], [x, Y0 + 2.0 * D]]
}

#[test]
fn split_gives_next_serials_in_reading_order_and_keeps_the_area() {
    let city = row_city();
    let before = city
        .region(city.by_code("420103001001001").unwrap())
        .area_m2;
    let history = History::new(city, PlanOptions::default());
    let preview = history
        .preview(vec![Edit::Split {
            grid: "420103001001001".into(),
            line: vertical(X0 + 0.4 * D),
            codes: None,
        }])
        .unwrap();
    assert!(preview.is_valid(), "{:?}", preview.report().findings);
    assert_eq!(preview.codes().retired, ["420103001001001"]);
    // 002 is in use, so the parts get 003 (west) and 004 (east).
    assert_eq!(
        preview.codes().created,
        ["420103001001003", "420103001001004"]
    );
    let new = preview.city();
    assert_eq!(
        leaf(new, X0 + 0.2 * D, Y0 + 0.5 * D).unwrap(),
        "420103001001003"
    );
    assert_eq!(
        leaf(new, X0 + 0.7 * D, Y0 + 0.5 * D).unwrap(),
        "420103001001004"
    );
    let after: f64 = ["420103001001003", "420103001001004"]
        .iter()
        .map(|c| new.region(new.by_code(c).unwrap()).area_m2)
        .sum();
    assert!(
        (after - before).abs() < 1e-6 * before,
        "{after} vs {before}"
    );
    let areas = preview.diff();
    assert_eq!(areas.count(Change::Removed), 1);
    assert_eq!(areas.count(Change::Added), 2);
    assert!(areas
        .regions
        .iter()
        .any(|a| a.code == "420103001001001" && a.after_m2.is_none()));
    // Untouched grids keep code and shape.
    for code in ["420103001001002", "420103001002001", "420103001002002"] {
        let base = history.current();
        let old = base.city().region(base.city().by_code(code).unwrap());
        assert_eq!(
            old.geometry,
            new.region(new.by_code(code).unwrap()).geometry
        );
    }
    let v2 = history.commit(preview, "split").unwrap();
    assert_eq!(v2.number(), 2);
    assert!(v2.retired().contains("420103001001001"));
}

#[test]
fn retired_codes_are_not_handed_out_again_unless_configured() {
    for (reuse, expected) in [(false, "420103001001005"), (true, "420103001001001")] {
        let history = History::new(
            row_city(),
            PlanOptions {
                reuse_retired_codes: reuse,
                ..PlanOptions::default()
            },
        );
        let split = Edit::Split {
            grid: "420103001001001".into(),
            line: vertical(X0 + 0.5 * D),
            codes: None,
        };
        history
            .commit(history.preview(vec![split]).unwrap(), "")
            .unwrap();
        let merge = Edit::Merge {
            grids: vec!["420103001001003".into(), "420103001001004".into()],
            code: if reuse {
                Some("420103001001001".into())
            } else {
                None
            },
        };
        let p = history.preview(vec![merge]).unwrap();
        assert_eq!(p.codes().created, [expected], "reuse {reuse}");
        if !reuse {
            let explicit = Edit::Merge {
                grids: vec!["420103001001003".into(), "420103001001004".into()],
                code: Some("420103001001001".into()),
            };
            let err = history.preview(vec![explicit]).unwrap_err();
            assert!(err.to_string().contains("was retired"), "{err}");
        }
    }
}

#[test]
fn reshape_moves_the_shared_border_and_keeps_codes() {
    let history = History::new(row_city(), PlanOptions::default());
    let preview = history
        .preview(vec![Edit::Reshape {
            grids: ["420103001001001".into(), "420103001001002".into()],
            line: vertical(X0 + 1.3 * D),
        }])
        .unwrap();
    assert!(preview.is_valid(), "{:?}", preview.report().findings);
    assert_eq!(
        preview.codes().changed,
        ["420103001001001", "420103001001002"]
    );
    assert!(preview.codes().created.is_empty());
    let new = preview.city();
    assert_eq!(
        leaf(new, X0 + 1.2 * D, Y0 + 0.5 * D).unwrap(),
        "420103001001001"
    );
    assert_eq!(
        leaf(new, X0 + 1.4 * D, Y0 + 0.5 * D).unwrap(),
        "420103001001002"
    );
    let a = new.region(new.by_code("420103001001001").unwrap()).area_m2;
    let b = new.region(new.by_code("420103001001002").unwrap()).area_m2;
    assert!((a / b - 1.3 / 0.7).abs() < 1e-6, "{a} {b}");
    // Case points between the old and the new border change owner; others do not.
    let moved = preview
        .moved_points(
            &["in", "out", "far"],
            &[X0 + 1.1 * D, X0 + 1.5 * D, X0 + 3.5 * D],
            &[Y0 + 0.5 * D; 3],
        )
        .unwrap();
    assert_eq!(
        moved,
        [OwnerChange {
            id: "in".into(),
            before: Some("420103001001002".into()),
            after: Some("420103001001001".into()),
        }]
    );
}

#[test]
fn reassign_moves_the_grid_and_the_community_borders() {
    let history = History::new(row_city(), PlanOptions::default());
    let preview = history
        .preview(vec![Edit::Reassign {
            grid: "420103001001002".into(),
            parent: "420103001002".into(),
            code: None,
        }])
        .unwrap();
    assert!(preview.is_valid(), "{:?}", preview.report().findings);
    assert_eq!(preview.codes().created, ["420103001002003"]);
    assert_eq!(preview.codes().changed, ["420103001001", "420103001002"]);
    let new = preview.city();
    let chain: Vec<String> = new
        .locate(X0 + 1.5 * D, Y0 + 0.5 * D)
        .unwrap()
        .chain()
        .iter()
        .map(|r| r.code.clone())
        .collect();
    assert_eq!(chain, ["420103001", "420103001002", "420103001002003"]);
    let c1 = new.region(new.by_code("420103001001").unwrap());
    let c2 = new.region(new.by_code("420103001002").unwrap());
    assert!((c2.area_m2 / c1.area_m2 - 3.0).abs() < 1e-6);
    // A grid two communities away does not touch the new parent.
    let far = history.preview(vec![Edit::Reassign {
        grid: "420103001001001".into(),
        parent: "420103001002".into(),
        code: None,
    }]);
    assert!(far.unwrap_err().to_string().contains("does not touch"));
}

#[test]
fn an_overlapping_replacement_is_reported_and_cannot_be_committed() {
    let history = History::new(row_city(), PlanOptions::default());
    let before = history.current();
    let preview = history
        .preview(vec![Edit::Replace {
            grid: "420103001001001".into(),
            geometry: square(X0, Y0, X0 + 1.5 * D, Y0 + D),
        }])
        .unwrap();
    assert!(!preview.is_valid());
    let overlap = preview
        .report()
        .of_kind(FindingKind::Overlap)
        .next()
        .unwrap();
    assert_eq!(overlap.codes, ["420103001001001", "420103001001002"]);
    let err = history.commit(preview, "bad").unwrap_err();
    assert!(err.to_string().contains("overlap"), "{err}");
    assert!(Arc::ptr_eq(&history.current(), &before));
    assert_eq!(history.versions().len(), 1);
}

#[test]
fn edits_that_cannot_apply_name_the_edit_and_the_codes() {
    let history = History::new(row_city(), PlanOptions::default());
    let cases: Vec<(Edit, &str)> = vec![
        (
            Edit::Merge {
                grids: vec!["420103001001001".into(), "nope".into()],
                code: None,
            },
            "no region has code \"nope\"",
        ),
        (
            Edit::Merge {
                grids: vec!["420103001001002".into(), "420103001002001".into()],
                code: None,
            },
            "different communities",
        ),
        (
            Edit::Merge {
                grids: vec!["420103001001001".into(), "420103001002002".into()],
                code: None,
            },
            "different communities",
        ),
        (
            Edit::Split {
                grid: "420103001001".into(),
                line: vertical(X0 + 0.5 * D),
                codes: None,
            },
            "deepest level",
        ),
        (
            Edit::Split {
                grid: "420103001001001".into(),
                line: vertical(X0 + 2.5 * D),
                codes: None,
            },
            "does not cut",
        ),
        (
            Edit::Split {
                grid: "420103001001001".into(),
                line: vec![[f64::NAN, 0.0], [1.0, 1.0]],
                codes: None,
            },
            "line position 0",
        ),
        (
            Edit::Split {
                grid: "420103001001001".into(),
                line: vertical(X0 + 0.5 * D),
                codes: Some(vec!["420103001001002".into(), "420103001001009".into()]),
            },
            "is in use",
        ),
        (
            Edit::Reshape {
                grids: ["420103001001001".into(), "420103001001002".into()],
                line: vertical(X0 + 3.5 * D),
            },
            "does not divide",
        ),
    ];
    for (edit, expected) in cases {
        let err = history.preview(vec![edit.clone()]).unwrap_err();
        assert!(
            matches!(err, crate::Error::Edit { edit: 0, .. }) && err.to_string().contains(expected),
            "{edit:?}: {err}"
        );
    }
    // The second edit of a set is named as edit 1.
    let err = history
        .preview(vec![
            Edit::Split {
                grid: "420103001001001".into(),
                line: vertical(X0 + 0.5 * D),
                codes: None,
            },
            Edit::Split {
                grid: "420103001001001".into(),
                line: vertical(X0 + 0.5 * D),
                codes: None,
            },
        ])
        .unwrap_err();
    assert!(
        matches!(
            err,
            crate::Error::Edit {
                edit: 1,
                op: "split",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("removed by an earlier edit"));
}

#[test]
fn stale_previews_rollback_diff_and_saved_histories() {
    let history = History::new(row_city(), PlanOptions::default());
    let split = |x: f64| Edit::Split {
        grid: "420103001002002".into(),
        line: vertical(x),
        codes: None,
    };
    let p1 = history.preview(vec![split(X0 + 3.5 * D)]).unwrap();
    let p2 = history.preview(vec![split(X0 + 3.6 * D)]).unwrap();
    let v2 = history.commit(p1, "first").unwrap();
    let err = history.commit(p2, "second").unwrap_err();
    assert!(err.to_string().contains("made on version 1"), "{err}");
    let other = History::new(row_city(), PlanOptions::default());
    let foreign = other.preview(vec![split(X0 + 3.5 * D)]).unwrap();
    let fresh = History::new(row_city(), PlanOptions::default());
    let err = fresh.commit(foreign, "").unwrap_err();
    assert!(err.to_string().contains("another history"), "{err}");

    let v1 = history.version(1).unwrap();
    let d = diff(v1.city(), v2.city());
    assert_eq!(
        (
            d.count(Change::Added),
            d.count(Change::Removed),
            d.count(Change::Changed)
        ),
        (2, 1, 2)
    );
    // The cut ends on the community's and the street's border, which gain its end vertices.
    let changed: Vec<(&str, f64)> = d
        .regions
        .iter()
        .filter(|r| r.change == Change::Changed)
        .map(|r| (r.code.as_str(), r.after_m2.unwrap() - r.before_m2.unwrap()))
        .collect();
    assert_eq!(changed[0].0, "420103001");
    assert_eq!(changed[1].0, "420103001002");
    assert!(changed.iter().all(|c| c.1.abs() < 1e-3), "{changed:?}");
    let gj = d.to_geojson();
    assert_eq!(gj.features.len(), 5);
    assert!(d.to_text().starts_with("2 added, 1 removed, 2 changed"));

    let v3 = history.rollback(1, "").unwrap();
    assert_eq!(v3.number(), 3);
    assert!(Arc::ptr_eq(v3.city(), v1.city()));
    assert!(v3.retired().contains("420103001002003"));
    assert!(!v3.retired().contains("420103001002002"));

    let dir = std::env::temp_dir().join(format!("wangge-plan-{}", std::process::id()));
    history.save(&dir).unwrap();
    let loaded = History::load(&dir, PlanOptions::default()).unwrap();
    assert_eq!(loaded.current().number(), 3);
    assert_eq!(loaded.versions().len(), 3);
    assert_eq!(loaded.version(2).unwrap().edits(), v2.edits());
    assert!(diff(loaded.version(2).unwrap().city(), v2.city())
        .regions
        .is_empty());
    // After the rollback, a new split must not reuse the codes version 2 handed out.
    let p = loaded.preview(vec![split(X0 + 3.5 * D)]).unwrap();
    assert_eq!(p.codes().created, ["420103001002005", "420103001002006"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn impact_names_assets_resources_and_home_grids() {
    use crate::dispatch::Resource;
    let history = History::new(row_city(), PlanOptions::default());
    let preview = history
        .preview(vec![Edit::Merge {
            grids: vec!["420103001002001".into(), "420103001002002".into()],
            code: None,
        }])
        .unwrap();
    let worker = |id: &str, x: f64, home: &str| Resource {
        id: id.into(),
        kind: "worker".into(),
        lon: X0 + x * D,
        lat: Y0 + 0.5 * D,
        on_duty: true,
        home_grid: Some(home.into()),
    };
    let workers = [
        worker("w1", 2.5, "420103001002001"),
        worker("w2", 0.5, "420103001001001"),
    ];
    assert_eq!(
        preview.home_grid_changes(&workers),
        [HomeGridChange {
            id: "w1".into(),
            grid: "420103001002001".into(),
            effect: HomeGridEffect::Retired,
        }]
    );
    let moved = preview.moved_resources(&workers);
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].after.as_deref(), Some("420103001002003"));
    let cases: (&[&str], &[f64], &[f64]) = (&["c1"], &[X0 + 3.5 * D], &[Y0 + 0.5 * D]);
    let report = preview.impact(None, &workers, Some(cases)).unwrap();
    assert!(report.valid);
    assert_eq!(report.cases.len(), 1);
    assert_eq!(report.regions.count(Change::Added), 1);
    let text = report.to_text();
    assert!(text.contains("created: 420103001002003"), "{text}");
    assert!(text.contains("w1: 420103001002001 retired"), "{text}");
    assert_eq!(
        report.to_geojson().features.len(),
        report.regions.regions.len()
    );
}

// ---------- property tests on a generated city ----------

/// A generated district of about 70 grids in 2 streets and 7 communities.
fn generated() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| {
        let top = LevelInput {
            name: "district".into(),
            regions: vec![region(
                "420103",
                None,
                square(114.25, 30.55, 114.258, 30.558),
            )],
        };
        let spec = |name: &str, area: f64| (name.to_string(), GenerateSpec::new(area));
        let levels = generate_levels(
            top,
            &[
                spec("street", 3e5),
                spec("community", 1e5),
                spec("grid", 1e4),
            ],
        )
        .unwrap();
        City::build(levels, &BuildOptions::default()).unwrap()
    })
}

fn grids(city: &City) -> Vec<&crate::model::Region> {
    city.level_regions(city.levels().len() - 1)
        .map(|(_, r)| r)
        .collect()
}

/// A random edit of the generated city: split a grid through its centroid at an angle, merge
/// a grid with a neighbour, or reshape a pair along a line through their border's middle.
fn random_edit(city: &City, kind: u8, pick: usize, angle: f64, shift: f64) -> Option<Edit> {
    let all = grids(city);
    let g = all[pick % all.len()];
    let c = g.geometry.centroid()?;
    let r = 0.01;
    let line = |p: Point<f64>| {
        let (dx, dy) = (angle.cos() * r, angle.sin() * r);
        vec![[p.x() - dx, p.y() - dy], [p.x() + dx, p.y() + dy]]
    };
    if kind == 0 {
        return Some(Edit::Split {
            grid: g.code.clone(),
            line: line(c),
            codes: None,
        });
    }
    let neighbour = all
        .iter()
        .find(|o| o.code != g.code && o.parent == g.parent && o.geometry.intersects(&g.geometry))?;
    if kind == 1 {
        return Some(Edit::Merge {
            grids: vec![g.code.clone(), neighbour.code.clone()],
            code: None,
        });
    }
    let nc = neighbour.geometry.centroid()?;
    let mid = Point::new(
        c.x() + (nc.x() - c.x()) * (0.5 + shift),
        c.y() + (nc.y() - c.y()) * (0.5 + shift),
    );
    Some(Edit::Reshape {
        grids: [g.code.clone(), neighbour.code.clone()],
        line: line(mid),
    })
}

fn check_partition(city: &City, points: &[(f64, f64)]) {
    // The full validator finds no overlap, gap or part outside a parent.
    let levels: Vec<LevelInput> = (0..city.levels().len())
        .map(|l| LevelInput {
            name: city.levels()[l].clone(),
            regions: city
                .level_regions(l)
                .map(|(_, r)| RegionInput {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    parent: r.parent.map(|p| city.region(p).code.clone()),
                    geometry: crate::model::geometry::to_raw(&r.geometry),
                })
                .collect(),
        })
        .collect();
    let report = validate_levels(&levels, &crate::validate::ValidateOptions::default());
    for f in &report.findings {
        assert!(
            !(f.severity == Severity::Error
                && matches!(
                    f.kind,
                    FindingKind::Overlap | FindingKind::Gap | FindingKind::OutsideParent
                )),
            "{f:?}"
        );
    }
    // Locate equals brute force, and each point inside the district lies in exactly one grid.
    let brute = BruteForceLocator::new(city.prepared(), city.level_ranges());
    let leaves = grids(city);
    for &(x, y) in points {
        let fast = city.locate(x, y).map(|l| l.leaf_id().0);
        let slow = brute.locate(x, y);
        assert_eq!(fast, slow, "({x}, {y})");
        let p = Point::new(x, y);
        let inside: Vec<&str> = leaves
            .iter()
            .filter(|r| r.geometry.contains(&p))
            .map(|r| r.code.as_str())
            .collect();
        if let Some(owner) = fast {
            let owner = city.region(crate::RegionId(owner));
            if inside.len() == 1 {
                assert_eq!(inside[0], owner.code, "({x}, {y})");
            }
        }
        assert!(inside.len() <= 1, "({x}, {y}) in {inside:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn committed_edits_keep_a_valid_partition(
        kind in 0u8..3,
        pick in 0usize..1000,
        angle in 0.0f64..std::f64::consts::PI,
        shift in -0.3f64..0.3,
        points in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0), 300),
    ) {
        let base = generated();
        let Some(edit) = random_edit(base, kind, pick, angle, shift) else {
            return Ok(());
        };
        let history = History::new(base.clone(), PlanOptions::default());
        let v1 = history.current();
        let Ok(preview) = history.preview(vec![edit.clone()]) else {
            prop_assert_eq!(history.versions().len(), 1);
            return Ok(());
        };
        if !preview.is_valid() {
            prop_assert!(history.commit(preview, "").is_err());
            prop_assert!(Arc::ptr_eq(&history.current(), &v1));
            return Ok(());
        }
        let codes = preview.codes().clone();
        let v2 = history.commit(preview, "").unwrap();
        let new = v2.city();
        // Untouched grids keep their code; their shape too unless only stitched.
        for r in grids(base) {
            if codes.retired.contains(&r.code) || codes.changed.contains(&r.code) {
                continue;
            }
            let kept = new.by_code(&r.code).map(|id| new.region(id));
            prop_assert!(kept.is_some(), "{} lost", r.code);
            if !codes.stitched.contains(&r.code) {
                prop_assert_eq!(&kept.unwrap().geometry, &r.geometry);
            }
        }
        let area = |c: &City| grids(c).iter().map(|r| r.area_m2).sum::<f64>();
        prop_assert!((area(new) - area(base)).abs() < 1e-6 * area(base));
        let bbox = base.regions()[0].geometry.bounding_rect().unwrap();
        let mut pts: Vec<(f64, f64)> = points
            .iter()
            .map(|&(u, v)| (bbox.min().x + u * bbox.width(), bbox.min().y + v * bbox.height()))
            .collect();
        // Every vertex of the touched grids: the hardest points for the one-owner rule.
        for c in codes.created.iter().chain(&codes.changed) {
            let id = new.by_code(c).unwrap();
            for p in new.region(id).geometry.iter() {
                pts.extend(p.exterior().0.iter().map(|c| (c.x, c.y)));
            }
        }
        check_partition(new, &pts);
    }
}
