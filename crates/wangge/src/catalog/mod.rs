//! Code tables of component (部件) and event (事件 / 事项) classes, the legacy ⇄ GB/T 47678.5
//! crosswalk, and component ids.
//!
//! Cities use different code tables, so the tables are data: TOML files, one per table. wangge
//! bundles the classes it knows ([`Catalog::builtin`], from `data/codes/` in the repository); a
//! city adds its own classes with [`Catalog::merge`].
//!
//! # Code layouts
//!
//! | table | layout | example |
//! |---|---|---|
//! | legacy components (CJ/T 214 / GB/T 30428.2) | 2-digit major + 2-digit minor | `0118` 路灯 |
//! | legacy events | `20` + 2-digit major + 2-digit minor | `200501` 无照经营游商 |
//! | GB/T 47678.5 components (管理部件) | 2-digit major + 3-digit minor | `01037` 路灯 |
//! | GB/T 47678.5 matters (管理事项) | 2-digit major + 3-digit minor | `09001` 无照经营游商 |
//!
//! Every code in a catalog names one class, so a code alone finds it ([`Catalog::get`]):
//!
//! - **Legacy events** use the same 2 + 2 digits as legacy components in their sources (event
//!   `0501` 无照经营游商, component `0501` 宣传栏). wangge writes them as the Beijing Chaoyang
//!   platform does, with a `20` in front: `200501`; their majors are 4 digits (`"2005"`
//!   街面秩序). [`legacy_event_code`] converts a bare 4-digit event code.
//! - **GB/T 47678.5 matters** 01xxx–05xxx mirror the component classes with the same code
//!   (matter `01003` 雨水井盖异常 ↔ component `01003` 雨水井盖). They are not separate entries:
//!   look such a matter code up and you get the component class. Event classes proper have
//!   majors 06–10.
//!
//! The *major* of a code is the code without its minor: the first 2 digits of a 4- or 5-digit
//! code, the first 4 of a 6-digit legacy event code ([`major_of`]). [`prefix_matches`] uses it.
//!
//! # Table files
//!
//! ```toml
//! # header comment: where the rows come from, and whether they are verified
//! scheme = "legacy"        # or "gb47678"
//! kind = "component"       # or "event"
//!
//! [majors]                 # optional: names of major classes
//! "01" = "公用设施"
//!
//! [[class]]
//! code = "0114"            # a string: digits in the layout above
//! name = "无主井盖"
//! fanout = true            # optional, default false
//! ```
//!
//! Parsing is strict: an unknown key, a missing or empty `name`, a code that is not a string of
//! digits in the table's layout (minor `00`/`000` and major `00` are rejected too), a repeated
//! code, or a major key in the wrong layout is an error naming the table and the row
//! (`[[class]] row 3 (line 41, code "0103")`). The crosswalk is a table of its own:
//!
//! ```toml
//! kind = "crosswalk"       # no scheme, no majors, no classes
//! [[pair]]
//! legacy = "0118"          # legacy component or 6-digit legacy event code
//! gb47678 = "01037"
//! ```
//!
//! The crosswalk is one to one: a legacy code and a GB/T 47678.5 code each appear in at most one
//! pair, so both [`Catalog::to_gb47678`] and [`Catalog::to_legacy`] are unambiguous. A crosswalk
//! may be loaded before or without the classes it names; [`Catalog::validate`] checks that every
//! pair joins two known classes of the same kind.
//!
//! # Merging
//!
//! [`Catalog::merge`] only *adds*: new classes, majors and pairs are taken; one defined again
//! identically (same name, kind, scheme and `fanout`) is accepted; one defined differently is an
//! [`Error::DuplicateId`] naming both tables, and the catalog is left unchanged. A city that
//! renames or re-flags bundled classes builds its catalog from its own tables, starting from
//! [`Catalog::empty`].
//!
//! ```
//! use wangge::catalog::{Catalog, ClassKind, Scheme};
//!
//! let mut catalog = Catalog::builtin();
//! assert_eq!(catalog.get("0118").unwrap().name, "路灯");
//! assert_eq!(catalog.to_gb47678("0118"), Some("01037"));
//! assert_eq!(catalog.major_name(Scheme::Legacy, "01"), Some("公用设施"));
//!
//! let city = Catalog::parse_table(
//!     "suzhou_local.toml",
//!     "scheme = \"legacy\"\nkind = \"component\"\n[[class]]\ncode = \"2101\"\nname = \"防蚊闸\"\n",
//! )?;
//! catalog.merge(city)?;
//! assert_eq!(catalog.get("2101").unwrap().kind, ClassKind::Component);
//! # Ok::<(), wangge::Error>(())
//! ```
//!
//! The bundled tables come from secondary sources and several are marked unverified; see the
//! header of each file in `data/codes/` and `data/SOURCES.md`.

mod asset_id;
mod table;
#[cfg(test)]
mod tests;

pub use asset_id::AssetId;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

/// Which coding standard a class code follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// CJ/T 214-2007 / GB/T 30428.2-2013: 4-digit component codes, 6-digit (`20…`) event codes in
    /// wangge's layout.
    Legacy,
    /// GB/T 47678.5-2026: 5-digit codes for components and matters.
    Gb47678,
}

impl Scheme {
    /// The scheme a code's layout denotes: 4 digits, or 6 digits starting with `20`, are legacy;
    /// 5 digits are GB/T 47678.5. `None` for anything else. Does not look the code up.
    ///
    /// ```
    /// use wangge::catalog::Scheme;
    /// assert_eq!(Scheme::of_code("0118"), Some(Scheme::Legacy));
    /// assert_eq!(Scheme::of_code("200501"), Some(Scheme::Legacy));
    /// assert_eq!(Scheme::of_code("01037"), Some(Scheme::Gb47678));
    /// assert_eq!(Scheme::of_code("118"), None);
    /// ```
    pub fn of_code(code: &str) -> Option<Scheme> {
        if !is_digits(code) {
            return None;
        }
        match code.len() {
            4 => Some(Scheme::Legacy),
            6 if code.starts_with("20") => Some(Scheme::Legacy),
            5 => Some(Scheme::Gb47678),
            _ => None,
        }
    }

    /// The name used in table files: `"legacy"` or `"gb47678"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Legacy => "legacy",
            Scheme::Gb47678 => "gb47678",
        }
    }

    /// Digits of the minor class in this scheme (2 legacy, 3 GB/T 47678.5).
    fn minor_len(self) -> usize {
        match self {
            Scheme::Legacy => 2,
            Scheme::Gb47678 => 3,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a class is a component (部件, a physical facility) or an event (事件 / 事项).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassKind {
    /// A component class (部件): manhole covers, street lights, bins, ...
    Component,
    /// An event or matter class (事件 / 事项): street vending, exposed rubbish, ...
    Event,
}

impl ClassKind {
    /// The name used in table files: `"component"` or `"event"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClassKind::Component => "component",
            ClassKind::Event => "event",
        }
    }
}

impl fmt::Display for ClassKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One component or event class of a code table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    /// The class code (layouts in the [module docs](self)).
    pub code: String,
    /// The class name, e.g. `雨水井盖`.
    pub name: String,
    /// Component or event.
    pub kind: ClassKind,
    /// Legacy or GB/T 47678.5.
    pub scheme: Scheme,
    /// Reports of this class go to several departments at once (e.g. 无主井盖: every utility).
    pub fanout: bool,
}

impl Class {
    /// The major class code: the code without its minor (`"01"` for `0118` and `01037`,
    /// `"2005"` for `200501`).
    pub fn major(&self) -> &str {
        &self.code[..self.code.len() - self.scheme.minor_len()]
    }

    /// The minor class code (`"18"` for `0118`, `"037"` for `01037`).
    pub fn minor(&self) -> &str {
        &self.code[self.code.len() - self.scheme.minor_len()..]
    }
}

/// A major class name and the table that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Major {
    name: String,
    source: String,
}

/// A set of code tables: classes by code, major class names, and the crosswalk.
///
/// See the [module docs](self) for code layouts, the table format and the merge rule.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    classes: BTreeMap<String, Class>,
    /// Code → name of the table that defined the class (for error messages).
    class_sources: BTreeMap<String, String>,
    majors: BTreeMap<(Scheme, String), Major>,
    /// Crosswalk legacy → GB/T 47678.5.
    to_new: BTreeMap<String, String>,
    /// Crosswalk GB/T 47678.5 → legacy.
    to_old: BTreeMap<String, String>,
    /// Legacy code of a pair → name of the table that gave the pair.
    pair_sources: BTreeMap<String, String>,
}

/// The bundled tables: (label used in error messages, TOML text).
const BUILTIN_TABLES: [(&str, &str); 5] = [
    (
        "builtin:components_legacy.toml",
        include_str!("../../../../data/codes/components_legacy.toml"),
    ),
    (
        "builtin:components_gb47678.toml",
        include_str!("../../../../data/codes/components_gb47678.toml"),
    ),
    (
        "builtin:events_legacy.toml",
        include_str!("../../../../data/codes/events_legacy.toml"),
    ),
    (
        "builtin:events_gb47678.toml",
        include_str!("../../../../data/codes/events_gb47678.toml"),
    ),
    (
        "builtin:crosswalk.toml",
        include_str!("../../../../data/codes/crosswalk.toml"),
    ),
];

impl Catalog {
    /// A catalog with no classes, majors or pairs.
    pub fn empty() -> Catalog {
        Catalog::default()
    }

    /// The tables bundled with wangge (`data/codes/*.toml`, embedded at compile time): legacy and
    /// GB/T 47678.5 components and events, and the crosswalk. Built once, then cloned.
    ///
    /// ```
    /// use wangge::catalog::Catalog;
    /// let catalog = Catalog::builtin();
    /// assert_eq!(catalog.get("0113").unwrap().name, "消防设施");
    /// assert!(catalog.get("0114").unwrap().fanout);
    /// ```
    ///
    /// # Panics
    /// If a bundled table is malformed, which the crate's tests rule out.
    pub fn builtin() -> Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut catalog = Catalog::empty();
                for (name, text) in BUILTIN_TABLES {
                    let table = Catalog::parse_table(name, text)
                        .unwrap_or_else(|e| panic!("bundled code table is malformed: {e}"));
                    catalog
                        .merge(table)
                        .unwrap_or_else(|e| panic!("bundled code tables conflict: {e}"));
                }
                catalog
            })
            .clone()
    }

    /// Parses one table file (classes of one scheme and kind, or the crosswalk; format in the
    /// [module docs](self)). `source_name` labels errors, e.g. the file name.
    ///
    /// Errors: [`Error::Table`] for malformed TOML, unknown or missing keys and bad codes or names;
    /// [`Error::DuplicateId`] for a code given twice. Both name the row and its line.
    ///
    /// ```
    /// use wangge::catalog::Catalog;
    /// let err = Catalog::parse_table("city.toml", "scheme = \"legacy\"\nkind = \"component\"\n\
    ///     [[class]]\ncode = \"01037\"\nname = \"路灯\"\n").unwrap_err();
    /// assert!(err.to_string().contains("[[class]] row 1 (line 3"));
    /// ```
    pub fn parse_table(source_name: &str, text: &str) -> Result<Catalog> {
        table::parse(source_name, text)
    }

    /// Reads and parses one table file ([`Catalog::parse_table`]); the path labels errors.
    /// A file that cannot be read gives [`Error::Io`].
    pub fn load(path: impl AsRef<Path>) -> Result<Catalog> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Catalog::parse_table(&path.display().to_string(), &text)
    }

    /// Adds another catalog's classes, major names and crosswalk pairs.
    ///
    /// New codes are added; a code already present must be defined identically (name, kind,
    /// scheme, fanout), a major must have the same name, and a pair must not remap a code that
    /// is already paired. Otherwise [`Error::DuplicateId`] names the code and both tables, and
    /// `self` is unchanged.
    ///
    /// ```
    /// use wangge::catalog::Catalog;
    /// let mut catalog = Catalog::builtin();
    /// let renamed = Catalog::parse_table("city.toml",
    ///     "scheme = \"legacy\"\nkind = \"component\"\n[[class]]\ncode = \"0118\"\nname = \"街灯\"\n")?;
    /// assert!(catalog.merge(renamed).is_err());
    /// assert_eq!(catalog.get("0118").unwrap().name, "路灯");
    /// # Ok::<(), wangge::Error>(())
    /// ```
    pub fn merge(&mut self, other: Catalog) -> Result<()> {
        // Check everything first so that a failed merge changes nothing.
        for (code, class) in &other.classes {
            if let Some(existing) = self.classes.get(code) {
                if existing != class {
                    return Err(Error::DuplicateId {
                        context: format!(
                            "code table merge: class {} in {} conflicts with {} in {}",
                            describe(class),
                            source_of(&other.class_sources, code),
                            describe(existing),
                            source_of(&self.class_sources, code),
                        ),
                        id: code.clone(),
                    });
                }
            }
        }
        for (key, major) in &other.majors {
            if let Some(existing) = self.majors.get(key) {
                if existing.name != major.name {
                    return Err(Error::DuplicateId {
                        context: format!(
                            "code table merge: {} major class named {:?} in {} but {:?} in {}",
                            key.0, major.name, major.source, existing.name, existing.source
                        ),
                        id: key.1.clone(),
                    });
                }
            }
        }
        for (old, new) in &other.to_new {
            let source = source_of(&other.pair_sources, old);
            if let Some(existing) = self.to_new.get(old) {
                if existing != new {
                    return Err(Error::DuplicateId {
                        context: format!(
                            "code table merge: crosswalk maps legacy {old} to {new} in {source} \
                             but to {existing} in {}",
                            source_of(&self.pair_sources, old)
                        ),
                        id: old.clone(),
                    });
                }
            }
            if let Some(existing) = self.to_old.get(new) {
                if existing != old {
                    return Err(Error::DuplicateId {
                        context: format!(
                            "code table merge: crosswalk maps {new} back to legacy {old} in \
                             {source} but to {existing} in {}",
                            source_of(&self.pair_sources, existing)
                        ),
                        id: new.clone(),
                    });
                }
            }
        }
        for (code, class) in other.classes {
            if !self.classes.contains_key(&code) {
                if let Some(source) = other.class_sources.get(&code) {
                    self.class_sources.insert(code.clone(), source.clone());
                }
                self.classes.insert(code, class);
            }
        }
        for (key, major) in other.majors {
            self.majors.entry(key).or_insert(major);
        }
        for (old, new) in other.to_new {
            if !self.to_new.contains_key(&old) {
                if let Some(source) = other.pair_sources.get(&old) {
                    self.pair_sources.insert(old.clone(), source.clone());
                }
                self.to_old.insert(new.clone(), old.clone());
                self.to_new.insert(old, new);
            }
        }
        Ok(())
    }

    /// The class with this code, if the catalog has it.
    ///
    /// ```
    /// use wangge::catalog::{Catalog, ClassKind};
    /// let catalog = Catalog::builtin();
    /// assert_eq!(catalog.get("09001").unwrap().kind, ClassKind::Event);
    /// assert!(catalog.get("0199").is_none());
    /// ```
    pub fn get(&self, code: &str) -> Option<&Class> {
        self.classes.get(code)
    }

    /// The class with this code, or [`Error::UnknownClass`] carrying `context` (where the code
    /// was found, e.g. `"report line 5"`).
    ///
    /// ```
    /// use wangge::catalog::Catalog;
    /// let err = Catalog::builtin().require("report line 5", "0199").unwrap_err();
    /// assert_eq!(err.to_string(), "report line 5: unknown class code \"0199\"");
    /// ```
    pub fn require(&self, context: &str, code: &str) -> Result<&Class> {
        self.get(code).ok_or_else(|| Error::UnknownClass {
            context: context.to_string(),
            code: code.to_string(),
        })
    }

    /// Every class, sorted by code (as strings, so the schemes interleave: `01001` < `0101`).
    pub fn classes(&self) -> impl Iterator<Item = &Class> {
        self.classes.values()
    }

    /// The classes of one scheme and kind, sorted by code.
    ///
    /// ```
    /// use wangge::catalog::{Catalog, ClassKind, Scheme};
    /// let catalog = Catalog::builtin();
    /// let first = catalog.classes_of(Scheme::Legacy, ClassKind::Component).next().unwrap();
    /// assert_eq!((first.code.as_str(), first.name.as_str()), ("0101", "上水井盖"));
    /// ```
    pub fn classes_of(&self, scheme: Scheme, kind: ClassKind) -> impl Iterator<Item = &Class> {
        self.classes
            .values()
            .filter(move |c| c.scheme == scheme && c.kind == kind)
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True if the catalog has no classes (it may still hold majors or pairs).
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The name of a major class: `major` is the code without its minor (`"01"`; `"2005"` for
    /// legacy events).
    ///
    /// ```
    /// use wangge::catalog::{Catalog, Scheme};
    /// let catalog = Catalog::builtin();
    /// assert_eq!(catalog.major_name(Scheme::Gb47678, "01"), Some("市政公用设施"));
    /// assert_eq!(catalog.major_name(Scheme::Gb47678, "09"), Some("街面秩序类"));
    /// assert_eq!(catalog.major_name(Scheme::Legacy, "2005"), Some("街面秩序"));
    /// ```
    pub fn major_name(&self, scheme: Scheme, major: &str) -> Option<&str> {
        self.majors
            .get(&(scheme, major.to_string()))
            .map(|m| m.name.as_str())
    }

    /// True when `prefix` can select categories in [`prefix_matches`]: a class code of the
    /// table, or a major class of either scheme ("01", "0103", "2005", "09001").
    ///
    /// ```
    /// use wangge::catalog::Catalog;
    /// let c = Catalog::builtin();
    /// assert!(c.knows_prefix("01") && c.knows_prefix("0103") && c.knows_prefix("2005"));
    /// assert!(!c.knows_prefix("011") && !c.knows_prefix("99") && !c.knows_prefix(""));
    /// ```
    pub fn knows_prefix(&self, prefix: &str) -> bool {
        self.get(prefix).is_some()
            || [Scheme::Legacy, Scheme::Gb47678]
                .into_iter()
                .any(|s| self.major_name(s, prefix).is_some())
    }

    /// The GB/T 47678.5 code paired with a legacy code in the crosswalk.
    ///
    /// ```
    /// use wangge::catalog::Catalog;
    /// let catalog = Catalog::builtin();
    /// assert_eq!(catalog.to_gb47678("0114"), Some("01023"));
    /// assert_eq!(catalog.to_gb47678("200501"), Some("09001"));
    /// ```
    pub fn to_gb47678(&self, legacy: &str) -> Option<&str> {
        self.to_new.get(legacy).map(String::as_str)
    }

    /// The legacy code paired with a GB/T 47678.5 code in the crosswalk.
    ///
    /// ```
    /// use wangge::catalog::Catalog;
    /// assert_eq!(Catalog::builtin().to_legacy("01037"), Some("0118"));
    /// ```
    pub fn to_legacy(&self, new: &str) -> Option<&str> {
        self.to_old.get(new).map(String::as_str)
    }

    /// Every crosswalk pair `(legacy, gb47678)`, sorted by legacy code.
    pub fn crosswalk(&self) -> impl Iterator<Item = (&str, &str)> {
        self.to_new.iter().map(|(a, b)| (a.as_str(), b.as_str()))
    }

    /// Checks that every crosswalk pair joins a known legacy class and a known GB/T 47678.5
    /// class of the same kind. Call it once all tables are merged.
    ///
    /// Errors: [`Error::UnknownClass`] for a code with no class (the context names the pair and
    /// its table); [`Error::Table`] for a pair joining a component and an event.
    pub fn validate(&self) -> Result<()> {
        for (old, new) in &self.to_new {
            let source = source_of(&self.pair_sources, old);
            let context = format!("{source}: crosswalk pair {old} -> {new}");
            let old_class = self.require(&context, old)?;
            let new_class = self.require(&context, new)?;
            if old_class.scheme != Scheme::Legacy || new_class.scheme != Scheme::Gb47678 {
                return Err(Error::Table {
                    source_name: source.to_string(),
                    reason: format!(
                        "crosswalk pair {old} -> {new}: needs a legacy and a gb47678 class, \
                         found {} and {}",
                        old_class.scheme, new_class.scheme
                    ),
                });
            }
            if old_class.kind != new_class.kind {
                return Err(Error::Table {
                    source_name: source.to_string(),
                    reason: format!(
                        "crosswalk pair {old} -> {new} joins {} {} with {} {}",
                        old_class.kind, old_class.name, new_class.kind, new_class.name
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Whether a dispatch rule's category `prefix` covers the class `code`.
///
/// A prefix matches a code when it equals the code, or equals the code's major ([`major_of`]):
/// `"01"` matches `0103` and `01003` (major class 01 of either scheme), `"0103"` matches only
/// `0103` — not `01030`, whose major is `01`. `"2005"` matches the legacy events `2005xx`. An
/// empty prefix matches nothing. Neither argument is looked up in a catalog.
///
/// ```
/// use wangge::catalog::prefix_matches;
/// assert!(prefix_matches("01", "0103"));
/// assert!(prefix_matches("01", "01003"));
/// assert!(prefix_matches("0103", "0103"));
/// assert!(!prefix_matches("0103", "01030"));
/// assert!(!prefix_matches("010", "01003"));
/// assert!(prefix_matches("2005", "200501"));
/// assert!(!prefix_matches("", "0103"));
/// ```
pub fn prefix_matches(prefix: &str, code: &str) -> bool {
    !prefix.is_empty() && (prefix == code || major_of(code) == Some(prefix))
}

/// The major class of a code by its layout: the first 2 digits of a 4-digit (legacy) or 5-digit
/// (GB/T 47678.5) code, the first 4 of a 6-digit legacy event code `20…`; `None` otherwise.
///
/// ```
/// use wangge::catalog::major_of;
/// assert_eq!(major_of("0118"), Some("01"));
/// assert_eq!(major_of("01037"), Some("01"));
/// assert_eq!(major_of("200501"), Some("2005"));
/// assert_eq!(major_of("01"), None);
/// ```
pub fn major_of(code: &str) -> Option<&str> {
    let scheme = Scheme::of_code(code)?;
    Some(&code[..code.len() - scheme.minor_len()])
}

/// The catalog code of a legacy event given in its sources' bare 4-digit form: `"0501"` (街面秩序 /
/// 无照经营游商) → `"200501"`. `None` unless `code` is 4 digits.
///
/// ```
/// use wangge::catalog::{legacy_event_code, Catalog};
/// let code = legacy_event_code("0501").unwrap();
/// assert_eq!(Catalog::builtin().get(&code).unwrap().name, "无照经营游商");
/// ```
pub fn legacy_event_code(code: &str) -> Option<String> {
    (code.len() == 4 && is_digits(code)).then(|| format!("20{code}"))
}

/// True if `s` is non-empty and all ASCII digits.
fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `"0118" 路灯 (legacy component)` for merge errors.
fn describe(class: &Class) -> String {
    let fanout = if class.fanout { ", fanout" } else { "" };
    format!(
        "{:?} {} ({} {}{fanout})",
        class.code, class.name, class.scheme, class.kind
    )
}

fn source_of<'a>(sources: &'a BTreeMap<String, String>, code: &str) -> &'a str {
    sources.get(code).map_or("(unnamed table)", String::as_str)
}
