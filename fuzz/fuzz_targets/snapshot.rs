//! Snapshot decoding: raw bytes, and payloads sealed with a valid header and checksum (so the
//! decoder behind the checksum is reached). Never a panic, and queries on whatever loads never
//! panic. Raw bytes that load (the checksum matched, so they are bytes the writer produced)
//! must answer like the brute-force oracle; re-sealed payloads are deliberate tampering, which
//! the format only promises to survive without panics or out-of-bounds reads (an index that
//! disagrees with its regions cannot be detected without rebuilding it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge::City;

#[path = "common.rs"]
mod common;

/// Header + payload with a correct CRC, as the writer seals them (module docs of
/// `wangge::io::snapshot`): version 1's CRC covers the payload, version 2's the version and
/// length fields and then the payload.
fn seal(version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = b"WANGGE\0S".to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    if version >= 2 {
        h.update(&out[8..20]);
    }
    h.update(payload);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = match mode % 3 {
        0 => rest.to_vec(),
        1 => seal(1, rest),
        _ => seal(2, rest),
    };
    if let Ok(city) = City::from_bytes(&bytes) {
        let points = common::vertices(&city, 256);
        if mode % 3 == 0 {
            common::check_locate(&city, &points);
        } else {
            let (xs, ys): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
            let owners = city.locate_many(&xs, &ys).unwrap_or_default();
            let _ = city.owners_by_level(&owners);
            for &(x, y) in &points {
                if let Some(l) = city.locate(x, y) {
                    let _ = l.chain();
                }
            }
        }
    }
});
