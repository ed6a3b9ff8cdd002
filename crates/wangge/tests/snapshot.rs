//! Snapshots round-trip exactly, with the stored index answering like a fresh build; every cut
//! and every flipped bit of a snapshot is a typed error, never a panic; re-checksummed damage
//! never panics; format 1 still loads; saving is crash-safe.

use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};
use wangge::io::snapshot::{write_file, FORMAT_VERSION};
use wangge::locate::{CellLocator, CELLS_PER_VERTEX};
use wangge::prelude::*;
use wangge::SnapshotError;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> City {
    City::from_manifest(&repo().join("tests/data/fixture/city.toml")).unwrap()
}

/// The fixture's snapshot as written by format 1 (before format 2 existed), committed.
fn fixture_v1_bytes() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fixture_v1.wgg")).unwrap()
}

fn snap_err(b: &[u8]) -> SnapshotError {
    match City::from_bytes(b) {
        Err(Error::Snapshot(e)) => e,
        other => panic!("expected a snapshot error, got {other:?}"),
    }
}

/// Points that exercise a city: seeded random points over (and beyond) its extent, every
/// vertex and every edge midpoint of every region, and NaN.
fn probe_points(city: &City, random: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut bb = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for r in city.regions() {
        for poly in &r.geometry.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for w in ring.0.windows(2) {
                    xs.extend([w[0].x, (w[0].x + w[1].x) / 2.0]);
                    ys.extend([w[0].y, (w[0].y + w[1].y) / 2.0]);
                    bb = [
                        bb[0].min(w[0].x),
                        bb[1].min(w[0].y),
                        bb[2].max(w[0].x),
                        bb[3].max(w[0].y),
                    ];
                }
            }
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let (dx, dy) = ((bb[2] - bb[0]) * 0.05, (bb[3] - bb[1]) * 0.05);
    for _ in 0..random {
        xs.push(rng.random_range(bb[0] - dx..bb[2] + dx));
        ys.push(rng.random_range(bb[1] - dy..bb[3] + dy));
    }
    xs.push(f64::NAN);
    ys.push(0.0);
    (xs, ys)
}

/// `loaded` answers every probe exactly like `built`, one by one and in batches.
fn assert_same_answers(built: &City, loaded: &City, random: usize) {
    let (xs, ys) = probe_points(built, random);
    let want = built.locate_many(&xs, &ys).unwrap();
    assert_eq!(loaded.locate_many(&xs, &ys).unwrap(), want);
    assert_eq!(loaded.locate_many_parallel(&xs, &ys).unwrap(), want);
    for (i, (&x, &y)) in xs.iter().zip(&ys).enumerate().step_by(7) {
        let got = loaded.locate(x, y).map(|h| h.leaf_id().0);
        assert_eq!(got.unwrap_or(NO_OWNER), want[i], "point {i} ({x}, {y})");
    }
}

#[test]
fn round_trip_is_exact() {
    let city = fixture();
    let bytes = city.to_bytes();
    assert_eq!(
        u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
        FORMAT_VERSION
    );
    let back = City::from_bytes(&bytes).unwrap();
    assert_eq!(back.levels(), city.levels());
    assert_eq!(back.regions(), city.regions());
    assert_eq!(back.level_ranges(), city.level_ranges());
    assert_eq!(back.to_bytes(), bytes);
    assert_same_answers(&city, &back, 20_000);
}

#[test]
fn the_demo_city_loads_with_its_index_and_answers_like_the_built_one() {
    let city = City::from_manifest(&repo().join("data/wuhan.toml")).unwrap();
    let bytes = city.to_bytes();
    let back = City::from_bytes(&bytes).unwrap();
    assert_eq!(back.regions(), city.regions());
    assert_eq!(back.to_bytes(), bytes);
    assert_same_answers(&city, &back, 300_000);
    // The legacy format rebuilds the index: the same answers again.
    let v1 = City::from_bytes(&city.to_bytes_v1()).unwrap();
    assert_eq!(v1.regions(), city.regions());
    assert_eq!(v1.to_bytes(), bytes);
}

#[test]
fn format_1_still_loads_and_is_written_unchanged() {
    let city = fixture();
    let old = fixture_v1_bytes();
    assert_eq!(u32::from_le_bytes(old[8..12].try_into().unwrap()), 1);
    // The committed file was written by the format-1 code; the legacy writer still matches it.
    assert_eq!(city.to_bytes_v1(), old);
    let back = City::from_bytes(&old).unwrap();
    assert_eq!(back.regions(), city.regions());
    assert_eq!(back.to_bytes(), city.to_bytes());
    assert_same_answers(&city, &back, 20_000);
}

#[test]
fn other_versions_say_which_they_are_and_which_is_read() {
    for found in [0u32, 3, 99, u32::MAX] {
        let mut b = fixture().to_bytes();
        b[8..12].copy_from_slice(&found.to_le_bytes());
        let e = snap_err(&b);
        assert_eq!(
            e,
            SnapshotError::UnsupportedVersion {
                found,
                oldest: 1,
                newest: FORMAT_VERSION
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("version {found}")) && msg.contains("versions 1 to 2"),
            "{msg}"
        );
    }
}

#[test]
fn header_damage_is_named() {
    let bytes = fixture().to_bytes();
    assert_eq!(
        snap_err(&bytes[..10]),
        SnapshotError::Truncated {
            needed: 24,
            have: 10
        }
    );
    let mut b = bytes.clone();
    b[0] = b'X';
    assert_eq!(snap_err(&b), SnapshotError::BadMagic);
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    assert!(matches!(
        snap_err(&b),
        SnapshotError::ChecksumMismatch { .. }
    ));
    let mut b = bytes.clone();
    b.push(0);
    assert!(matches!(snap_err(&b), SnapshotError::Payload(_)));
    // A version field turned from 2 into 1 is caught by the checksum (format 2's covers it).
    let mut b = bytes.clone();
    b[8] = 1;
    assert!(matches!(
        snap_err(&b),
        SnapshotError::ChecksumMismatch { .. }
    ));
}

#[test]
fn every_cut_and_every_flipped_bit_is_an_error() {
    for bytes in [fixture().to_bytes(), fixture_v1_bytes()] {
        for len in 0..bytes.len() {
            match snap_err(&bytes[..len]) {
                SnapshotError::Truncated { have, .. } => assert_eq!(have, len),
                SnapshotError::BadMagic if len < 8 => {}
                e => panic!("cut at {len}: {e:?}"),
            }
        }
        let mut b = bytes.clone();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                b[i] ^= 1 << bit;
                snap_err(&b);
                b[i] ^= 1 << bit;
            }
            // Whole bytes too: every single-byte change the CRC is built to catch.
            b[i] ^= 0xff;
            snap_err(&b);
            b[i] = b[i].wrapping_add(0x80);
            snap_err(&b);
            b[i] = bytes[i];
        }
    }
}

/// Replaces a format-2 snapshot's checksum with the right one for its (altered) bytes.
fn reseal(b: &mut [u8]) {
    let mut crc = crc32_ieee(&b[8..20], !0);
    crc = crc32_ieee(&b[24..], crc);
    b[20..24].copy_from_slice(&(!crc).to_le_bytes());
}

/// CRC-32 (IEEE), bitwise, from a running state: an independent implementation for the test.
fn crc32_ieee(data: &[u8], mut crc: u32) -> u32 {
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
    crc
}

#[test]
fn rechecksummed_damage_never_panics() {
    let city = fixture();
    let bytes = city.to_bytes();
    let mut same = bytes.clone();
    reseal(&mut same);
    assert_eq!(same, bytes, "the test's CRC agrees with the writer's");
    let (xs, ys) = probe_points(&city, 2_000);
    let (mut rejected, mut loaded) = (0, 0);
    for i in 24..bytes.len() {
        for change in [0xffu8, 0x01, 0x80] {
            let mut b = bytes.clone();
            b[i] ^= change;
            reseal(&mut b);
            match City::from_bytes(&b) {
                Err(Error::Snapshot(SnapshotError::Payload(msg))) => {
                    assert!(msg.contains("section") || msg.contains("region"), "{msg}");
                    rejected += 1;
                }
                Err(e) => panic!("byte {i}: unexpected error {e:?}"),
                Ok(damaged) => {
                    // Whatever it answers, it answers without panicking.
                    loaded += 1;
                    let _ = damaged.locate_many(&xs, &ys).unwrap();
                    for (&x, &y) in xs.iter().zip(&ys).step_by(5) {
                        let _ = damaged.locate(x, y).map(|h| h.chain().len());
                    }
                }
            }
        }
    }
    eprintln!(
        "{} bytes, 3 changes each: {rejected} rejected, {loaded} loaded and queried",
        bytes.len() - 24
    );
    assert!(rejected > loaded, "rejected {rejected}, loaded {loaded}");
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    let bytes = fixture().to_bytes();
    // The REGN section's region count: right after LEVL. Find it by its tag.
    let at = bytes.windows(4).position(|w| w == b"REGN").unwrap() + 12;
    for count in [u64::MAX, 1 << 60, u32::MAX as u64] {
        let mut b = bytes.clone();
        b[at..at + 8].copy_from_slice(&count.to_le_bytes());
        reseal(&mut b);
        assert!(matches!(snap_err(&b), SnapshotError::Payload(_)));
    }
}

#[test]
fn save_replaces_the_file_whole_and_leaves_no_temporary() {
    let dir = std::env::temp_dir().join(format!("wangge-save-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("city.wgg");
    std::fs::write(&path, b"old contents").unwrap();
    let city = fixture();
    city.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), city.to_bytes());
    assert_eq!(City::load(&path).unwrap().regions(), city.regions());
    // Saving again over it works and leaves only the one file.
    city.save(&path).unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("city.wgg")]);
    // A failed write names the path and leaves what was there, with no temporary behind.
    let blocker = dir.join("a_directory");
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("inside"), b"x").unwrap();
    match write_file(&blocker, &city.to_bytes()) {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("a_directory"), "{path}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert_eq!(std::fs::read(blocker.join("inside")).unwrap(), b"x");
    match city.save(&dir.join("missing/city.wgg")) {
        Err(Error::Io { path, .. }) => assert!(path.contains("missing"), "{path}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a_directory", "city.wgg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Inputs the cargo-fuzz `snapshot` target found (tests/data/fuzz/snapshot-*.bin, verbatim):
/// the first byte picks the target's mode (0 raw, 1 sealed as format 1, 2 sealed as format 2),
/// the rest is the payload. Each must load or fail with a typed error; a city that loads has a
/// cell grid within the budget of its input (the timeout finding: a 1.6 kB format-1 snapshot
/// whose index rebuild made the largest grid allowed).
#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("snapshot-") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let (mode, payload) = data.split_first().unwrap();
        let bytes = match mode % 3 {
            0 => payload.to_vec(),
            version => {
                let mut b = b"WANGGE\0S".to_vec();
                b.extend_from_slice(&u32::from(version).to_le_bytes());
                b.extend_from_slice(&(payload.len() as u64).to_le_bytes());
                let crc = if version == 1 {
                    crc32_ieee(payload, !0)
                } else {
                    crc32_ieee(payload, crc32_ieee(&b[8..20], !0))
                };
                b.extend_from_slice(&(!crc).to_le_bytes());
                b.extend_from_slice(payload);
                b
            }
        };
        if let Ok(city) = City::from_bytes(&bytes) {
            let prepared: std::sync::Arc<[_]> = city.prepared().to_vec().into();
            let vertices: usize = prepared.iter().map(|p| p.vertex_count()).sum();
            let cells: usize = CellLocator::new(prepared, city.level_ranges()).stats()[..3]
                .iter()
                .sum();
            assert!(
                cells <= (vertices * CELLS_PER_VERTEX).max(4096),
                "{name}: {cells} cells for {vertices} vertices"
            );
        }
        n += 1;
    }
    assert!(n >= 1, "no fuzz findings found");
}

/// `City::load` reads a snapshot's header first: a header claiming a payload over
/// `max_snapshot_bytes` (here on a sparse 64 GiB file), or a length the file does not have, is
/// refused before the rest is read; the limit can be raised or lowered by name.
#[test]
fn snapshot_files_are_checked_from_their_header_before_reading() {
    let dir = std::env::temp_dir().join(format!("wangge-snapread-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = fixture().to_bytes();
    let header_with_len = |len: u64| {
        let mut h = bytes[..24].to_vec();
        h[12..20].copy_from_slice(&len.to_le_bytes());
        h
    };

    // A sparse file as long as its header says: 64 GiB, refused on the limit at once.
    let huge = dir.join("huge.wgg");
    let len = 64u64 << 30;
    std::fs::write(&huge, header_with_len(len)).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(len + 24)
        .unwrap();
    match City::load(&huge) {
        Err(Error::Limit {
            limit: "max_snapshot_bytes",
            max,
            found,
            source_name,
            ..
        }) => {
            assert_eq!((max, found), (1 << 30, len + 24));
            assert!(source_name.ends_with("huge.wgg"), "{source_name}");
        }
        other => panic!("expected the snapshot limit, got {other:?}"),
    }

    // The header promises more than the file holds: truncated, from the metadata.
    let short = dir.join("short.wgg");
    let mut b = header_with_len(1_000);
    b.extend_from_slice(&[0; 100]);
    std::fs::write(&short, &b).unwrap();
    match City::load(&short) {
        Err(Error::Snapshot(SnapshotError::Truncated { needed, have })) => {
            assert_eq!((needed, have), (1_024, 124));
        }
        other => panic!("expected truncated, got {other:?}"),
    }
    // Bytes after the payload.
    let long = dir.join("long.wgg");
    let mut b = bytes.clone();
    b.extend_from_slice(b"junk");
    std::fs::write(&long, &b).unwrap();
    match City::load(&long) {
        Err(Error::Snapshot(SnapshotError::Payload(what))) => {
            assert!(what.contains("4 bytes after the payload"), "{what}")
        }
        other => panic!("expected trailing bytes, got {other:?}"),
    }

    // The real snapshot loads, and the limit is a name like the others.
    let good = dir.join("good.wgg");
    std::fs::write(&good, &bytes).unwrap();
    assert_eq!(City::load(&good).unwrap().regions(), fixture().regions());
    let tight = [("max_snapshot_bytes".to_string(), bytes.len() as u64 - 1)];
    assert!(matches!(
        City::load_with_limits(&good, &tight),
        Err(Error::Limit { found, .. }) if found == bytes.len() as u64
    ));
    let exact = [("max_snapshot_bytes".to_string(), bytes.len() as u64)];
    assert!(City::load_with_limits(&good, &exact).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
