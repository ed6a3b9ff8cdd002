//! Case tables: any bytes through the streaming CSV reader (with and without skipping bad
//! rows) and the whole statistics run on a small fixed city. Errors are fine; panics are not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wangge::analytics::{cases::CaseReader, Analyst, CaseColumns, StatsOptions};
use wangge::catalog::Catalog;
use wangge::City;

fn city() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| {
        let manifest = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/fixture/city.toml"
        );
        City::load(std::path::Path::new(manifest)).expect("the fixture city loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let catalog = Catalog::builtin();
    for skip in [false, true] {
        if let Ok(mut reader) =
            CaseReader::new("fuzz", data, &CaseColumns::default(), Some(&catalog), skip)
        {
            while let Ok(chunk) = reader.next_chunk(7) {
                if chunk.is_empty() {
                    break;
                }
            }
        }
        let options = StatsOptions {
            skip_invalid: skip,
            ..StatsOptions::default()
        };
        let _ = Analyst::new(city()).case_stats("fuzz", data, &options);
    }
});
