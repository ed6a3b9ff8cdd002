//! Not a criterion bench: heap bytes of the built indexes next to the raw coordinate bytes
//! (the "index memory ≤ 2× the raw coordinate bytes"), measured with a counting
//! global allocator. Runs in a few seconds plus the fixture build; prints a small table.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use wangge::locate::{CellLocator, PreparedRegion};
use wangge::nearest::PointIndex;
use wangge::City;
use wangge_benches::{bench_mode, central_manifest, jianghan_manifest, read_levels, BBox, Points};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only a counter is updated on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Heap bytes held by what `make` returns (allocated during `make` and still live after it).
fn held<T>(make: impl FnOnce() -> T) -> (T, usize) {
    let before = live();
    let value = make();
    (value, live().saturating_sub(before))
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn city_row(name: &str, manifest: &std::path::Path) {
    let (levels, options) = read_levels(manifest);
    let snapshot = City::build(levels, &options)
        .expect("bundled city builds")
        .to_bytes();
    // The city as a snapshot load makes it: regions plus every index.
    let (city, total) = held(|| City::from_bytes(&snapshot).expect("valid snapshot"));
    // Deep copies have the heap footprint of the originals minus any spare `Vec` capacity.
    let (regions, region_bytes) = held(|| city.regions().to_vec());
    let (prepared, prepared_bytes) = held(|| city.prepared().to_vec());
    drop(prepared);
    let coords: usize = regions
        .iter()
        .flat_map(|r| r.geometry.iter())
        .map(|p| {
            p.exterior().coords().count()
                + p.interiors()
                    .iter()
                    .map(|r| r.coords().count())
                    .sum::<usize>()
        })
        .sum();
    let raw = coords * 16;
    let index = total.saturating_sub(region_bytes);
    println!(
        "| {name} ({} regions) | {} ({coords} vertices × 16 B) | {} | {} | {} | {} | {:.2}× |",
        city.len(),
        mb(raw),
        mb(total),
        mb(region_bytes),
        mb(prepared_bytes),
        mb(index.saturating_sub(prepared_bytes)),
        index as f64 / raw as f64
    );
}

/// The city's cell index rebuilt on its own: heap bytes and how its cells answer.
fn cell_index_row(name: &str, manifest: &std::path::Path) {
    let city = City::from_manifest(manifest).expect("bundled city builds");
    let prepared: std::sync::Arc<[PreparedRegion]> = city.prepared().to_vec().into();
    let (locator, bytes) = held(|| CellLocator::new(prepared.clone(), city.level_ranges()));
    let [direct, blocks, lists, block_edges, list_candidates] = locator.stats();
    println!(
        "| {name} | {} | {direct} | {blocks} | {:.1} | {lists} | {list_candidates} | {} |",
        direct + blocks + lists,
        block_edges as f64 / blocks.max(1) as f64,
        mb(bytes)
    );
}

fn main() {
    // Keep `cargo test --benches` instant.
    if !bench_mode() {
        println!("memory: skipped (run with `cargo bench`)");
        return;
    }
    println!(
        "| data | raw coordinates | city total | regions (copy) | prepared rings (copy) | \
         rest: cell index, code map, children, spare capacity | (total − regions) / raw |"
    );
    println!("|---|---|---|---|---|---|---|");
    city_row("jianghan", &jianghan_manifest());
    city_row("central", &central_manifest());
    for n in [1_000_000usize, 2_000_000] {
        let points = Points::clustered(BBox::WUHAN_CENTRAL, n, 20_000, 300.0, n as u64);
        let (index, bytes) =
            held(|| PointIndex::new(&points.lons, &points.lats).expect("valid assets"));
        println!(
            "| PointIndex {}M assets | {} | {} | — | — | (incl. its own copy of the coordinates) | {:.2}× |",
            n / 1_000_000,
            mb(n * 16),
            mb(bytes),
            bytes as f64 / (n * 16) as f64
        );
        drop(index);
    }
    println!();
    println!(
        "| cell index | cells | answered directly | edge blocks | edges per block | \
         candidate lists | list candidates | heap |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    cell_index_row("jianghan", &jianghan_manifest());
    cell_index_row("central", &central_manifest());
}
