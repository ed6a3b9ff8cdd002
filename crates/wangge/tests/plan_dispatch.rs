//! A planner's commit reaches dispatch: `Dispatcher::with_city` on the new version.

use std::path::Path;
use std::sync::Arc;
use wangge::dispatch::{DispatchOptions, Dispatcher};
use wangge::plan::{Edit, History, PlanOptions};

#[test]
fn dispatch_follows_a_committed_split() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/wuhan.toml");
    let before = Dispatcher::from_manifest(&manifest).unwrap();
    let city = before.city().clone();
    // An asset and its grid.
    let asset = before
        .assets()
        .assets()
        .iter()
        .find(|a| a.region.is_some())
        .unwrap()
        .clone();
    let grid = city.region(asset.region.unwrap()).code.clone();
    let history = History::new(city.clone(), PlanOptions::default());
    assert!(Arc::ptr_eq(history.current().city(), &city));
    // Cut the grid east–west a little south of the asset.
    let cut = asset.lat - 1e-5;
    let preview = history
        .preview(vec![Edit::Split {
            grid: grid.clone(),
            line: vec![[asset.lon - 0.01, cut], [asset.lon + 0.01, cut]],
            codes: None,
        }])
        .unwrap();
    assert!(preview.is_valid(), "{:?}", preview.report().findings);
    let moved = preview.moved_assets(before.assets());
    assert!(moved.iter().any(|m| m.id == asset.id), "{moved:?}");
    let v2 = history.commit(preview, "split").unwrap();

    let after = before.with_city(v2.city().clone()).unwrap();
    let new_grid = v2
        .city()
        .locate(asset.lon, asset.lat)
        .unwrap()
        .leaf()
        .code
        .clone();
    assert_ne!(new_grid, grid);
    let relocated = after.assets().get(&asset.id).unwrap();
    assert_eq!(v2.city().region(relocated.region.unwrap()).code, new_grid);
    let options = DispatchOptions::default();
    let class = asset.class.clone();
    let old = before
        .dispatch(asset.lon, asset.lat, &class, &options)
        .unwrap();
    let new = after
        .dispatch(asset.lon, asset.lat, &class, &options)
        .unwrap();
    assert_eq!(old.chain.last().unwrap().code, grid);
    assert_eq!(new.chain.last().unwrap().code, new_grid);
    // The resource pool is shared: both dispatchers see one set of live positions.
    assert!(Arc::ptr_eq(before.resources(), after.resources()));
}
