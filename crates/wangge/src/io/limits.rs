//! Limits on the size of GeoJSON inputs read from sources nobody controls.
//!
//! A vendor's file, a citizen upload or a copy from an old city system can be hostile or
//! simply broken: a 50 GB file, a ring of ten million positions, a MultiPolygon of a million
//! parts. [`ReadLimits`] bounds what one GeoJSON level may hold, so that such an input is refused
//! with an [`Error::Limit`] naming the file, the limit and where it was exceeded **before** it
//! can exhaust memory or time:
//!
//! - the file size is checked from the file's metadata before a byte is read, and the read
//!   itself stops one byte past the limit (a file that grows, or a device or pipe whose
//!   metadata says nothing, cannot slip through);
//! - features, positions and rings are counted while the document is parsed, and parsing stops
//!   at the first item over a limit, so memory stays proportional to the limits, not to the file;
//! - [`ReadLimits::max_ring_vertices`] and [`ReadLimits::max_feature_rings`] bound the work of
//!   the polygon validity check of [`City::build`](crate::City::build), whose worst case grows
//!   with the square of a ring's positions and of a feature's rings.
//!
//! JSON nesting needs no limit of its own: coordinates nested deeper than a MultiPolygon's four
//! levels are refused where they start, and any other value the reader keeps (a property it
//! was asked for) is parsed with serde_json's fixed recursion limit of 128; members it does not
//! need are skipped without recursion. A deeply nested document is therefore a
//! [`Error::GeoJson`], never a stack overflow.
//!
//! The defaults ([`ReadLimits::default`]) were chosen by measurement (figures in the README's
//! "Input limits" section): the bundled data and the generated 100k-grid central Wuhan city pass
//! with ample room (its grid level is a 47 MB file of 97,573 features, 686,815 positions, at
//! most 32 positions in a ring and 3 rings in a feature), and the largest inputs the defaults
//! admit build within a bounded peak memory. Raise a limit only for input you trust; in a
//! manifest, a `[limits]` table sets them (see [`crate::io::manifest`]).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// Bounds on one GeoJSON level (one file or one text); see the [module docs](self).
///
/// Every field is a maximum; `u64::MAX` means "no limit" ([`ReadLimits::unlimited`]).
/// Deserialised from a manifest's `[limits]` table or a binding's dict, missing fields keep
/// their defaults and unknown fields are refused (a misspelt limit must not pass silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadLimits {
    /// Bytes of one GeoJSON document (file size, or text length). Default 256 MiB.
    pub max_file_bytes: u64,
    /// Features in one level. Default 1,000,000.
    pub max_features: u64,
    /// Positions in one level, over all its features and rings. Default 8,000,000.
    pub max_vertices: u64,
    /// Positions in one ring. Default 1,000,000.
    pub max_ring_vertices: u64,
    /// Rings in one level, over all features (exterior rings and holes; an empty polygon of a
    /// MultiPolygon counts as one). Default 2,000,000.
    pub max_rings: u64,
    /// Rings in one feature, over all its polygons (exterior rings and holes). Default 10,000.
    pub max_feature_rings: u64,
    /// Bytes of a snapshot file loaded by [`City::load`](crate::City::load) (the `--city` of
    /// the CLI), checked against its header before the rest is read. Default 1 GiB: the
    /// central-Wuhan snapshot (99,761 regions) is 39 MB and loads at 176 MB peak RSS.
    pub max_snapshot_bytes: u64,
}

/// The defaults, measured with `/usr/bin/time -v wangge build` (release build, 2-core machine):
/// the central-Wuhan city from its exported files (grid level 47 MB, 97,573 features, 686,815
/// positions) peaks at 290 MB; the largest inputs these defaults admit peak at 1.7 GB (256 MiB
/// of 653,127 grid-like features), 1.8 GB (1,000,000 small squares), and 2.9 GB (8,000,000
/// positions in 4,437 full-height combs, the shape that costs most per position); a file one
/// position over `max_vertices` is refused after 1.2 s at 311 MB.
impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file_bytes: 256 << 20,
            max_features: 1_000_000,
            max_vertices: 8_000_000,
            max_ring_vertices: 1_000_000,
            max_rings: 2_000_000,
            max_feature_rings: 10_000,
            max_snapshot_bytes: 1 << 30,
        }
    }
}

impl ReadLimits {
    /// No limit at all: for input you trust completely (your own exports).
    pub fn unlimited() -> Self {
        ReadLimits {
            max_file_bytes: u64::MAX,
            max_features: u64::MAX,
            max_vertices: u64::MAX,
            max_ring_vertices: u64::MAX,
            max_rings: u64::MAX,
            max_feature_rings: u64::MAX,
            max_snapshot_bytes: u64::MAX,
        }
    }

    /// The limits' names as the manifest, the CLI (`--limit NAME=N`) and the bindings spell
    /// them, in declaration order.
    pub const NAMES: [&'static str; 7] = [
        "max_file_bytes",
        "max_features",
        "max_vertices",
        "max_ring_vertices",
        "max_rings",
        "max_feature_rings",
        "max_snapshot_bytes",
    ];

    /// The value of one limit by name ([`ReadLimits::NAMES`]); `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<u64> {
        let mut copy = *self;
        copy.slot(name).map(|v| *v)
    }

    /// Sets one limit by name ([`ReadLimits::NAMES`]); [`Error::InvalidParameter`] for an
    /// unknown name.
    pub fn set(&mut self, name: &str, value: u64) -> Result<()> {
        let slot = self.slot(name).ok_or_else(|| Error::InvalidParameter {
            name: "limits".into(),
            value: name.into(),
            reason: format!("unknown limit; the limits are {}", Self::NAMES.join(", ")),
        })?;
        *slot = value;
        Ok(())
    }

    /// The field a limit's name stands for: the one mapping of names to fields.
    fn slot(&mut self, name: &str) -> Option<&mut u64> {
        Some(match name {
            "max_file_bytes" => &mut self.max_file_bytes,
            "max_features" => &mut self.max_features,
            "max_vertices" => &mut self.max_vertices,
            "max_ring_vertices" => &mut self.max_ring_vertices,
            "max_rings" => &mut self.max_rings,
            "max_feature_rings" => &mut self.max_feature_rings,
            "max_snapshot_bytes" => &mut self.max_snapshot_bytes,
            _ => return None,
        })
    }

    /// These limits with some of them set by name ([`ReadLimits::set`]), in order.
    pub fn with_overrides(mut self, overrides: &[(String, u64)]) -> Result<Self> {
        for (name, value) in overrides {
            self.set(name, *value)?;
        }
        Ok(self)
    }

    /// Parses one override `NAME=N` (as `wangge build --limit max_features=2000000` takes it;
    /// `N` may use `_` separators, or be `none` for no limit), checking the name.
    pub fn parse_override(assignment: &str) -> Result<(String, u64)> {
        let bad = |reason: &str| Error::InvalidParameter {
            name: "limits".into(),
            value: assignment.into(),
            reason: reason.into(),
        };
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| bad("expected NAME=N, e.g. max_features=2000000"))?;
        let value = value.trim();
        let value = if value.eq_ignore_ascii_case("none") {
            u64::MAX
        } else {
            value
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| bad("N must be a whole number >= 0 or `none`"))?
        };
        let name = name.trim().to_string();
        ReadLimits::default().set(&name, value)?;
        Ok((name, value))
    }

    /// [`Error::Limit`] when `found > max`.
    pub(crate) fn check(
        source_name: &str,
        what: impl FnOnce() -> String,
        limit: &'static str,
        max: u64,
        found: u64,
    ) -> Result<()> {
        if found <= max {
            return Ok(());
        }
        Err(Error::Limit {
            source_name: source_name.to_string(),
            what: what(),
            limit,
            max,
            found,
        })
    }

    /// Checks the size of a text already in memory against `max_file_bytes`.
    pub fn check_text(&self, source_name: &str, text: &str) -> Result<()> {
        Self::check(
            source_name,
            || "bytes".into(),
            "max_file_bytes",
            self.max_file_bytes,
            text.len() as u64,
        )
    }

    /// Reads a UTF-8 file, refusing it without reading when its metadata says it is larger than
    /// `max_file_bytes`, and stopping the read one byte past the limit when the metadata was
    /// wrong (a device, a pipe, a file growing meanwhile).
    pub fn read_file(&self, path: &Path) -> Result<String> {
        let name = path.display().to_string();
        let (file, meta) = super::open_for_bounded_read(path, "a GeoJSON file")?;
        Self::check(
            &name,
            || "bytes".into(),
            "max_file_bytes",
            self.max_file_bytes,
            meta.len(),
        )?;
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(self.max_file_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| super::io_error(path, e))?;
        Self::check(
            &name,
            || "bytes (read; more than the file's metadata said)".into(),
            "max_file_bytes",
            self.max_file_bytes,
            bytes.len() as u64,
        )?;
        String::from_utf8(bytes).map_err(|e| Error::GeoJson {
            source_name: name,
            reason: format!(
                "not UTF-8 (byte {}); GeoJSON is UTF-8 (RFC 8259): convert the file, e.g. \
                 `iconv -f GBK -t UTF-8`",
                e.utf8_error().valid_up_to()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_set_and_parse() {
        let mut l = ReadLimits::default();
        for (i, name) in ReadLimits::NAMES.iter().enumerate() {
            l.set(name, i as u64 + 1).unwrap();
        }
        assert_eq!(
            l,
            ReadLimits {
                max_file_bytes: 1,
                max_features: 2,
                max_vertices: 3,
                max_ring_vertices: 4,
                max_rings: 5,
                max_feature_rings: 6,
                max_snapshot_bytes: 7,
            }
        );
        let overrides = [
            ReadLimits::parse_override("max_features=2_000_000").unwrap(),
            ReadLimits::parse_override(" max_vertices = none").unwrap(),
        ];
        let l = l.with_overrides(&overrides).unwrap();
        assert_eq!((l.max_features, l.max_vertices), (2_000_000, u64::MAX));
        for bad in [
            "max_features",
            "max_feature=3",
            "max_features=-1",
            "max_features=1e6",
        ] {
            assert!(
                matches!(
                    ReadLimits::parse_override(bad),
                    Err(Error::InvalidParameter { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn serde_keeps_defaults_and_refuses_unknown_fields() {
        let l: ReadLimits = toml::from_str("max_features = 5").unwrap();
        assert_eq!(
            l,
            ReadLimits {
                max_features: 5,
                ..ReadLimits::default()
            }
        );
        assert!(toml::from_str::<ReadLimits>("max_feature = 5").is_err());
    }
}
