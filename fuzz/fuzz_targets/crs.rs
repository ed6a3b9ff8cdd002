//! GCJ-02 / BD-09 conversions: finite in, finite out; inside China the inverse comes back
//! within a millimetre-level bound.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge::crs::Converter;
use wangge::Crs;

fuzz_target!(|data: [u8; 16]| {
    let lon = f64::from_le_bytes(data[..8].try_into().unwrap());
    let lat = f64::from_le_bytes(data[8..].try_into().unwrap());
    let c = Converter::default();
    for crs in [Crs::Gcj02, Crs::Bd09] {
        let (x, y) = c.from_wgs84(crs, lon, lat);
        let (bx, by) = c.to_wgs84(crs, x, y);
        if lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0 {
            assert!(
                x.is_finite() && y.is_finite(),
                "{crs:?} ({lon}, {lat}) -> ({x}, {y})"
            );
            assert!(
                bx.is_finite() && by.is_finite(),
                "{crs:?} back ({x}, {y}) -> ({bx}, {by})"
            );
            // Inside mainland China's box the offset applies and the inverse must undo it.
            if (73.0..=135.0).contains(&lon) && (18.0..=54.0).contains(&lat) {
                let err = (bx - lon).abs().max((by - lat).abs());
                assert!(
                    err < 1e-8,
                    "{crs:?} round trip of ({lon}, {lat}) off by {err}°"
                );
            }
        }
    }
});
