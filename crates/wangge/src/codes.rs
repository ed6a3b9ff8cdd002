//! Grid codes per GB/T 30428.1 / CJ/T 213.
//!
//! A unit grid code has 15 digits: a 6-digit administrative division (GB/T 2260, district level or
//! above), a 3-digit street (街道/乡镇), a 3-digit community (社区/村) and a 3-digit serial. The legacy
//! 14-digit form has a 2-digit serial (`00` marks a community-level pseudo grid). The codes of the
//! levels above a grid are the prefixes of lengths 6, 9 and 12.
//!
//! ```
//! use wangge::codes::{GridCode, CodeKind};
//! let g = GridCode::parse("420103003005012").unwrap();
//! assert_eq!((g.admin(), g.street(), g.community(), g.serial()), ("420103", "003", "005", "012"));
//! assert_eq!(g.community_code(), "420103003005");
//! assert_eq!(CodeKind::of("420103003").unwrap(), CodeKind::Street);
//! assert!(GridCode::parse("42010300300501").unwrap().is_legacy());
//! assert!(GridCode::parse("4201030030050").is_err());
//! ```

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// GB/T 2260 province-level prefixes (first two digits of an administrative division code).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// Which level of the standard hierarchy a code's length denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CodeKind {
    /// 6 digits: administrative division (区/县 or above).
    District,
    /// 9 digits: street / town (街道/乡镇).
    Street,
    /// 12 digits: community / village (社区/村).
    Community,
    /// 14 digits: legacy unit grid (2-digit serial).
    LegacyGrid,
    /// 15 digits: unit grid.
    Grid,
}

impl CodeKind {
    /// Number of digits of this kind.
    #[allow(clippy::len_without_is_empty)] // a code length, never empty
    pub const fn len(self) -> usize {
        match self {
            CodeKind::District => 6,
            CodeKind::Street => 9,
            CodeKind::Community => 12,
            CodeKind::LegacyGrid => 14,
            CodeKind::Grid => 15,
        }
    }

    /// Classifies and validates a standard code: digits only, a known length, a known province
    /// prefix, and no all-zero street, community or (15-digit) serial field.
    pub fn of(code: &str) -> Result<CodeKind> {
        let bad = |reason: &str| Error::InvalidCode {
            code: code.to_string(),
            reason: reason.to_string(),
        };
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("must contain only the digits 0-9"));
        }
        let kind = match code.len() {
            6 => CodeKind::District,
            9 => CodeKind::Street,
            12 => CodeKind::Community,
            14 => CodeKind::LegacyGrid,
            15 => CodeKind::Grid,
            n => {
                return Err(bad(&format!(
                    "has {n} digits; expected 6 (district), 9 (street), 12 (community), 14 (legacy grid) or 15 (grid)"
                )))
            }
        };
        if !PROVINCES.contains(&&code[..2]) {
            return Err(bad(&format!(
                "starts with {:?}, not a GB/T 2260 province code",
                &code[..2]
            )));
        }
        if &code[2..6] == "0000" {
            return Err(bad(
                "digits 3-6 are 0000: a grid hierarchy starts at district level",
            ));
        }
        if code.len() >= 9 && &code[6..9] == "000" {
            return Err(bad("street field (digits 7-9) is 000"));
        }
        if code.len() >= 12 && &code[9..12] == "000" {
            return Err(bad("community field (digits 10-12) is 000"));
        }
        if kind == CodeKind::Grid && &code[12..15] == "000" {
            return Err(bad("grid serial (digits 13-15) is 000"));
        }
        Ok(kind)
    }
}

/// A parsed unit grid code (15-digit, or legacy 14-digit).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GridCode {
    code: String,
}

impl GridCode {
    /// Parses and validates a 15- or 14-digit grid code.
    pub fn parse(code: &str) -> Result<GridCode> {
        match CodeKind::of(code)? {
            CodeKind::Grid | CodeKind::LegacyGrid => Ok(GridCode {
                code: code.to_string(),
            }),
            kind => Err(Error::InvalidCode {
                code: code.to_string(),
                reason: format!(
                    "is a {kind:?} code ({} digits), not a grid code (15 or 14 digits)",
                    kind.len()
                ),
            }),
        }
    }

    /// Builds a 15-digit code from a 12-digit community code and a serial in 1..=999.
    pub fn from_parts(community: &str, serial: u32) -> Result<GridCode> {
        if CodeKind::of(community)? != CodeKind::Community {
            return Err(Error::InvalidCode {
                code: community.to_string(),
                reason: "a grid code extends a 12-digit community code".into(),
            });
        }
        if !(1..=999).contains(&serial) {
            return Err(Error::InvalidCode {
                code: format!("{community}{serial:03}"),
                reason: format!("serial {serial} is outside 1..=999"),
            });
        }
        GridCode::parse(&format!("{community}{serial:03}"))
    }

    /// The full code.
    pub fn as_str(&self) -> &str {
        &self.code
    }
    /// True for the 14-digit legacy layout.
    pub fn is_legacy(&self) -> bool {
        self.code.len() == 14
    }
    /// Digits 1-6: administrative division.
    pub fn admin(&self) -> &str {
        &self.code[..6]
    }
    /// Digits 7-9: street.
    pub fn street(&self) -> &str {
        &self.code[6..9]
    }
    /// Digits 10-12: community.
    pub fn community(&self) -> &str {
        &self.code[9..12]
    }
    /// The serial (3 digits, or 2 in the legacy form).
    pub fn serial(&self) -> &str {
        &self.code[12..]
    }
    /// The 9-digit street code (prefix).
    pub fn street_code(&self) -> &str {
        &self.code[..9]
    }
    /// The 12-digit community code (prefix).
    pub fn community_code(&self) -> &str {
        &self.code[..12]
    }
}

impl std::fmt::Display for GridCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code)
    }
}

impl std::str::FromStr for GridCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        GridCode::parse(s)
    }
}

/// Checks that `child` is a valid standard code one or more levels below `parent` and extends it.
pub fn check_extends(parent: &str, child: &str) -> std::result::Result<(), String> {
    let pk = CodeKind::of(parent).map_err(|e| e.to_string())?;
    let ck = CodeKind::of(child).map_err(|e| e.to_string())?;
    if ck <= pk {
        return Err(format!(
            "is a {ck:?} code but its parent {parent:?} is a {pk:?} code: a child's code must be longer"
        ));
    }
    if !child.starts_with(parent) {
        return Err(format!("does not start with its parent's code {parent:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_example_splits_into_fields() {
        let g = GridCode::parse("320582110152102").unwrap();
        assert_eq!(g.admin(), "320582");
        assert_eq!(g.street(), "110");
        assert_eq!(g.community(), "152");
        assert_eq!(g.serial(), "102");
        assert_eq!(g.street_code(), "320582110");
        assert!(!g.is_legacy());
    }

    #[test]
    fn legacy_allows_community_pseudo_grid() {
        let g = GridCode::parse("32058211015200").unwrap();
        assert!(g.is_legacy());
        assert_eq!(g.serial(), "00");
    }

    #[test]
    fn rejects_malformed_codes() {
        for (code, needle) in [
            ("32058211015210", ""), // valid legacy: checked below not to error
            ("3205821101521021", "16 digits"),
            ("32058211015210a", "only the digits"),
            ("990582110152102", "province"),
            ("320000110152102", "0000"),
            ("320582000152102", "street"),
            ("320582110000102", "community"),
            ("320582110152000", "serial"),
        ] {
            let r = GridCode::parse(code);
            if needle.is_empty() {
                assert!(r.is_ok(), "{code}");
            } else {
                let msg = r.unwrap_err().to_string();
                assert!(msg.contains(needle), "{code}: {msg}");
            }
        }
        assert!(GridCode::parse("320582110").is_err());
    }

    #[test]
    fn from_parts_pads_serial() {
        assert_eq!(
            GridCode::from_parts("420103003005", 7).unwrap().as_str(),
            "420103003005007"
        );
        assert!(GridCode::from_parts("420103003005", 1000).is_err());
        assert!(GridCode::from_parts("420103003", 1).is_err());
    }

    #[test]
    fn extends_checks_prefix_and_depth() {
        assert!(check_extends("420103", "420103003").is_ok());
        assert!(check_extends("420103003005", "420103003005001").is_ok());
        assert!(check_extends("420103", "420103003005001").is_ok());
        assert!(check_extends("420103", "420104003").is_err());
        assert!(check_extends("420103003", "420103").is_err());
    }
}
