//! Snapshots round-trip exactly; altered bytes give a typed error, never a panic.

use wangge::prelude::*;
use wangge::SnapshotError;

fn fixture() -> City {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/fixture/city.toml"
    );
    City::from_manifest(std::path::Path::new(path)).unwrap()
}

#[test]
fn round_trip_is_exact() {
    let city = fixture();
    let bytes = city.to_bytes();
    let back = City::from_bytes(&bytes).unwrap();
    assert_eq!(back.levels(), city.levels());
    assert_eq!(back.regions(), city.regions());
    assert_eq!(back.to_bytes(), bytes);
}

#[test]
fn bad_bytes_are_typed_errors() {
    let bytes = fixture().to_bytes();
    let snap = |b: &[u8]| match City::from_bytes(b) {
        Err(Error::Snapshot(e)) => e,
        other => panic!("expected a snapshot error, got {other:?}"),
    };
    assert_eq!(
        snap(&bytes[..10]),
        SnapshotError::Truncated {
            needed: 24,
            have: 10
        }
    );
    assert!(matches!(
        snap(&bytes[..bytes.len() - 1]),
        SnapshotError::Truncated { .. }
    ));
    let mut b = bytes.clone();
    b[0] = b'X';
    assert_eq!(snap(&b), SnapshotError::BadMagic);
    let mut b = bytes.clone();
    b[8] = 99;
    assert_eq!(
        snap(&b),
        SnapshotError::UnsupportedVersion {
            found: 99,
            supported: 1
        }
    );
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    assert!(matches!(snap(&b), SnapshotError::ChecksumMismatch { .. }));
    let mut b = bytes.clone();
    b.push(0);
    assert!(matches!(snap(&b), SnapshotError::Payload(_)));
}

#[test]
fn no_single_byte_change_or_cut_panics() {
    let bytes = fixture().to_bytes();
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] = b[i].wrapping_add(1);
        assert!(City::from_bytes(&b).is_err(), "byte {i}");
        assert!(City::from_bytes(&bytes[..i]).is_err(), "cut at {i}");
    }
}

#[test]
fn checksummed_but_inconsistent_payload_is_rejected() {
    // Re-checksum an altered payload: the consistency checks must still catch it.
    let bytes = fixture().to_bytes();
    let mut rejected = 0;
    for i in (24..bytes.len()).step_by(3) {
        let mut b = bytes.clone();
        b[i] ^= 0xff;
        let crc = crc32fast_hash(&b[24..]);
        b[20..24].copy_from_slice(&crc.to_le_bytes());
        if City::from_bytes(&b).is_err() {
            rejected += 1;
        }
    }
    assert!(rejected > 0);
}

/// CRC-32 (IEEE), bitwise: an independent implementation for the test.
fn crc32fast_hash(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
