//! Parsing one TOML code table (classes or crosswalk) into a [`Catalog`].

use super::{is_digits, Catalog, Class, ClassKind, Major, Scheme};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::{Spanned, Table, Value};

/// The top level of a table file. Rows stay raw so that their errors can name row and line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    scheme: Option<String>,
    kind: Option<String>,
    majors: Option<BTreeMap<String, String>>,
    class: Option<Vec<Spanned<Table>>>,
    pair: Option<Vec<Spanned<Table>>>,
}

/// What a table file holds.
enum TableKind {
    Classes(Scheme, ClassKind),
    Crosswalk,
}

pub(super) fn parse(source_name: &str, text: &str) -> Result<Catalog> {
    let fail = |reason: String| Error::Table {
        source_name: source_name.to_string(),
        reason,
    };
    let raw: RawTable = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|span| format!("line {}: ", line_of(text, span.start)))
            .unwrap_or_default();
        fail(format!("{at}{}", e.message().trim_end()))
    })?;
    let kind = match raw.kind.as_deref() {
        Some("component") => TableKind::Classes(scheme_of(&raw, &fail)?, ClassKind::Component),
        Some("event") => TableKind::Classes(scheme_of(&raw, &fail)?, ClassKind::Event),
        Some("crosswalk") => TableKind::Crosswalk,
        Some(other) => {
            return Err(fail(format!(
                "kind = {other:?}: expected \"component\", \"event\" or \"crosswalk\""
            )))
        }
        None => {
            return Err(fail(
                "missing top-level key `kind` (\"component\", \"event\" or \"crosswalk\")".into(),
            ))
        }
    };
    match kind {
        TableKind::Classes(scheme, kind) => {
            if raw.pair.is_some() {
                return Err(fail(
                    "[[pair]] rows belong in a table with kind = \"crosswalk\"".into(),
                ));
            }
            parse_classes(source_name, text, scheme, kind, raw)
        }
        TableKind::Crosswalk => {
            for (present, key) in [
                (raw.scheme.is_some(), "scheme"),
                (raw.majors.is_some(), "[majors]"),
                (raw.class.is_some(), "[[class]]"),
            ] {
                if present {
                    return Err(fail(format!(
                        "a crosswalk table (kind = \"crosswalk\") has only [[pair]] rows, \
                         not {key}"
                    )));
                }
            }
            parse_pairs(source_name, text, raw.pair.unwrap_or_default())
        }
    }
}

fn scheme_of(raw: &RawTable, fail: &impl Fn(String) -> Error) -> Result<Scheme> {
    match raw.scheme.as_deref() {
        Some("legacy") => Ok(Scheme::Legacy),
        Some("gb47678") => Ok(Scheme::Gb47678),
        Some(other) => Err(fail(format!(
            "scheme = {other:?}: expected \"legacy\" or \"gb47678\""
        ))),
        None => Err(fail(
            "missing top-level key `scheme` (\"legacy\" or \"gb47678\")".into(),
        )),
    }
}

fn parse_classes(
    source_name: &str,
    text: &str,
    scheme: Scheme,
    kind: ClassKind,
    raw: RawTable,
) -> Result<Catalog> {
    let fail = |reason: String| Error::Table {
        source_name: source_name.to_string(),
        reason,
    };
    let mut catalog = Catalog::empty();
    for (key, name) in raw.majors.unwrap_or_default() {
        if let Err(why) = check_major(scheme, kind, &key) {
            return Err(fail(format!("[majors] key {key:?}: {why}")));
        }
        if name.trim().is_empty() {
            return Err(fail(format!("[majors] key {key:?}: the name is empty")));
        }
        let major = Major {
            name,
            source: source_name.to_string(),
        };
        catalog.majors.insert((scheme, key), major);
    }
    // Code → "row N (line L)" of the row that defined it, to name both rows of a duplicate.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (index, row) in raw.class.unwrap_or_default().into_iter().enumerate() {
        let line = line_of(text, row.span().start);
        let label = format!("[[class]] row {} (line {line}", index + 1);
        let row = row.into_inner();
        let row_fail = |code: Option<&str>, why: String| {
            let code = code.map(|c| format!(", code {c:?}")).unwrap_or_default();
            fail(format!("{label}{code}): {why}"))
        };
        for key in row.keys() {
            if !["code", "name", "fanout"].contains(&key.as_str()) {
                let code = row.get("code").and_then(Value::as_str);
                return Err(row_fail(
                    code,
                    format!("unknown key {key:?} (allowed: code, name, fanout)"),
                ));
            }
        }
        let code = string_field(&row, "code").map_err(|why| row_fail(None, why))?;
        check_code(scheme, kind, code).map_err(|why| row_fail(Some(code), why))?;
        let name = string_field(&row, "name").map_err(|why| row_fail(Some(code), why))?;
        if name.trim().is_empty() {
            return Err(row_fail(Some(code), "`name` is empty".into()));
        }
        if name.trim() != name {
            return Err(row_fail(
                Some(code),
                format!("`name` {name:?} has leading or trailing whitespace"),
            ));
        }
        let fanout = match row.get("fanout") {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                return Err(row_fail(
                    Some(code),
                    format!(
                        "`fanout` must be true or false, found {} {other}",
                        other.type_str()
                    ),
                ))
            }
        };
        let this = format!("row {} (line {line})", index + 1);
        if let Some(first) = seen.get(code) {
            return Err(Error::DuplicateId {
                context: format!(
                    "{source_name}: [[class]] {this} repeats the class code of {first}"
                ),
                id: code.to_string(),
            });
        }
        seen.insert(code.to_string(), this);
        let class = Class {
            code: code.to_string(),
            name: name.to_string(),
            kind,
            scheme,
            fanout,
        };
        catalog
            .class_sources
            .insert(code.to_string(), source_name.to_string());
        catalog.classes.insert(code.to_string(), class);
    }
    Ok(catalog)
}

fn parse_pairs(source_name: &str, text: &str, rows: Vec<Spanned<Table>>) -> Result<Catalog> {
    let mut catalog = Catalog::empty();
    // Code → row label, for both directions.
    let mut first_old: BTreeMap<String, String> = BTreeMap::new();
    let mut first_new: BTreeMap<String, String> = BTreeMap::new();
    for (index, row) in rows.into_iter().enumerate() {
        let line = line_of(text, row.span().start);
        let label = format!("[[pair]] row {} (line {line})", index + 1);
        let row = row.into_inner();
        let fail = |why: String| Error::Table {
            source_name: source_name.to_string(),
            reason: format!("{label}: {why}"),
        };
        for key in row.keys() {
            if !["legacy", "gb47678"].contains(&key.as_str()) {
                return Err(fail(format!(
                    "unknown key {key:?} (allowed: legacy, gb47678)"
                )));
            }
        }
        let old = string_field(&row, "legacy").map_err(&fail)?;
        let new = string_field(&row, "gb47678").map_err(&fail)?;
        let old_kind = if old.len() == 6 {
            ClassKind::Event
        } else {
            ClassKind::Component
        };
        check_code(Scheme::Legacy, old_kind, old)
            .map_err(|why| fail(format!("legacy = {old:?}: {why}")))?;
        check_code(Scheme::Gb47678, ClassKind::Component, new)
            .map_err(|why| fail(format!("gb47678 = {new:?}: {why}")))?;
        for (code, first, side) in [
            (old, &mut first_old, "legacy"),
            (new, &mut first_new, "gb47678"),
        ] {
            if let Some(earlier) = first.get(code) {
                return Err(Error::DuplicateId {
                    context: format!(
                        "{source_name}: {label} pairs {side} code {code:?} again (first in \
                         {earlier}); the crosswalk is one to one"
                    ),
                    id: code.to_string(),
                });
            }
            first.insert(code.to_string(), label.clone());
        }
        catalog.to_new.insert(old.to_string(), new.to_string());
        catalog.to_old.insert(new.to_string(), old.to_string());
        catalog
            .pair_sources
            .insert(old.to_string(), source_name.to_string());
    }
    Ok(catalog)
}

/// A required string field of a row.
fn string_field<'a>(row: &'a Table, key: &str) -> std::result::Result<&'a str, String> {
    match row.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!(
            "`{key}` must be a string in quotes (e.g. {key} = \"0103\"), found {} {other}",
            other.type_str()
        )),
        None => Err(format!("missing key `{key}`")),
    }
}

/// Checks a class code against the layout of its scheme and kind.
pub(super) fn check_code(
    scheme: Scheme,
    kind: ClassKind,
    code: &str,
) -> std::result::Result<(), String> {
    if !is_digits(code) {
        return Err("a class code has only the digits 0-9".into());
    }
    let (len, layout) = layout(scheme, kind);
    if code.len() != len {
        let hint = if scheme == Scheme::Legacy && kind == ClassKind::Event && code.len() == 4 {
            format!(" (write the 4-digit event code {code} as 20{code})")
        } else {
            String::new()
        };
        return Err(format!(
            "has {} digits; a {scheme} {kind} code has {len}: {layout}{hint}",
            code.len()
        ));
    }
    let minor_len = scheme.minor_len();
    let (major, minor) = code.split_at(len - minor_len);
    check_major(scheme, kind, major)?;
    if minor.bytes().all(|b| b == b'0') {
        return Err(format!("minor class {minor:?} is all zeros"));
    }
    Ok(())
}

/// Checks a major class code (the code without its minor).
fn check_major(scheme: Scheme, kind: ClassKind, major: &str) -> std::result::Result<(), String> {
    let legacy_event = scheme == Scheme::Legacy && kind == ClassKind::Event;
    let (len, layout) = if legacy_event {
        (4, "\"20\" + 2 digits, e.g. \"2005\"")
    } else {
        (2, "2 digits, e.g. \"01\"")
    };
    if !is_digits(major) || major.len() != len {
        return Err(format!("a {scheme} {kind} major class is {layout}"));
    }
    if legacy_event && !major.starts_with("20") {
        return Err(format!(
            "a {scheme} {kind} major class starts with \"20\" (layout {layout})"
        ));
    }
    if major[len - 2..] == *"00" {
        return Err(format!("major class {major:?} is 00"));
    }
    Ok(())
}

/// Code length and a description of the layout.
fn layout(scheme: Scheme, kind: ClassKind) -> (usize, &'static str) {
    match (scheme, kind) {
        (Scheme::Legacy, ClassKind::Component) => {
            (4, "2-digit major + 2-digit minor, e.g. \"0118\"")
        }
        (Scheme::Legacy, ClassKind::Event) => {
            (6, "\"20\" + 2-digit major + 2-digit minor, e.g. \"200501\"")
        }
        (Scheme::Gb47678, _) => (5, "2-digit major + 3-digit minor, e.g. \"01037\""),
    }
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
