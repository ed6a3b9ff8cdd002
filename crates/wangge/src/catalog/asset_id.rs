//! Component ids (管理部件标识码): 16-digit legacy and 17-digit GB/T 47678.5.

use super::{Catalog, ClassKind, Scheme};
use crate::error::{Error, Result};
use std::fmt;

/// GB/T 2260 province-level prefixes (first two digits of an administrative division code).
/// A copy of the private list in `crate::codes`.
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// A checked component id.
///
/// | scheme | digits | layout |
/// |---|---|---|
/// | legacy | 16 | 6 admin (GB/T 2260) + 2 major + 2 minor + 6 serial |
/// | GB/T 47678.5 | 17 | 6 admin + 2 major + 3 minor + 6 serial |
///
/// [`AssetId::parse`] checks, in this order: digits only (no trimming), 16 or 17 digits, a
/// GB/T 2260 province code in digits 1–2 (only the province: the rest of the admin code is not
/// checked against a division list), a serial other than `000000`, and that the embedded class
/// is a component class of the id's scheme in the catalog. Serialises as its string.
///
/// ```
/// use wangge::catalog::{AssetId, Catalog, Scheme};
/// let catalog = Catalog::builtin();
/// let id = AssetId::parse(&catalog, "asset 3", "3205820102048188")?;
/// assert_eq!((id.admin(), id.class_code(), id.serial()), ("320582", "0102", "048188"));
/// assert_eq!(catalog.get(id.class_code()).unwrap().name, "污水井盖");
/// let new = AssetId::parse(&catalog, "asset 4", "32058201002048188")?;
/// assert_eq!((new.scheme(), new.class_code()), (Scheme::Gb47678, "01002"));
/// # Ok::<(), wangge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId {
    id: String,
    scheme: Scheme,
}

impl AssetId {
    /// Parses and checks a component id against `catalog`. `context` says where the id was found
    /// (e.g. `"assets.csv line 12"`) and starts every error message.
    ///
    /// Errors: [`Error::InvalidAssetId`] for a malformed id; [`Error::UnknownClass`] when the
    /// embedded class is not a component class of the id's scheme in the catalog (its context
    /// names the id).
    ///
    /// ```
    /// use wangge::catalog::{AssetId, Catalog};
    /// let err = AssetId::parse(&Catalog::builtin(), "line 7", "3205820199048188").unwrap_err();
    /// assert!(err.to_string().starts_with("line 7"));
    /// assert!(err.to_string().contains("\"0199\""));
    /// ```
    pub fn parse(catalog: &Catalog, context: &str, id: &str) -> Result<AssetId> {
        let invalid = |reason: String| Error::InvalidAssetId {
            context: context.to_string(),
            id: id.to_string(),
            reason,
        };
        if let Some((position, c)) = id.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(invalid(format!(
                "character {} ({c:?}) is not a digit",
                position + 1
            )));
        }
        let scheme = match id.len() {
            16 => Scheme::Legacy,
            17 => Scheme::Gb47678,
            n => {
                return Err(invalid(format!(
                    "has {n} digits; a component id has 16 (legacy: 6 admin + 2 major + 2 minor \
                     + 6 serial) or 17 (GB/T 47678.5: 6 admin + 2 major + 3 minor + 6 serial)"
                )))
            }
        };
        if !PROVINCES.contains(&&id[..2]) {
            return Err(invalid(format!(
                "admin code {} does not start with a GB/T 2260 province code",
                &id[..6]
            )));
        }
        let asset = AssetId {
            id: id.to_string(),
            scheme,
        };
        if asset.serial() == "000000" {
            return Err(invalid("serial (last 6 digits) is 000000".into()));
        }
        let code = asset.class_code();
        let unknown = |why: &str| Error::UnknownClass {
            context: format!("{context}: component id {id:?}{why}"),
            code: code.to_string(),
        };
        match catalog.get(code) {
            None => Err(unknown("")),
            Some(class) if class.kind != ClassKind::Component => Err(unknown(&format!(
                " ({code} is the {} class {}, not a component class)",
                class.kind, class.name
            ))),
            // Table parsing ties code length to scheme, so this only guards the invariant.
            Some(class) if class.scheme != scheme => {
                Err(unknown(&format!(" ({code} is a {} class)", class.scheme)))
            }
            Some(_) => Ok(asset),
        }
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The 6-digit administrative division code (digits 1–6).
    pub fn admin(&self) -> &str {
        &self.id[..6]
    }

    /// The class code: 4 digits (legacy) or 5 digits (GB/T 47678.5), after the admin code.
    pub fn class_code(&self) -> &str {
        &self.id[6..self.id.len() - 6]
    }

    /// The 6-digit serial (the last 6 digits).
    pub fn serial(&self) -> &str {
        &self.id[self.id.len() - 6..]
    }

    /// Legacy for 16 digits, GB/T 47678.5 for 17.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl serde::Serialize for AssetId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.id)
    }
}
