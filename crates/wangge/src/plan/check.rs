//! Validating what an edit set touched, without re-validating the whole city.

use super::draft::Draft;
use crate::model::City;
use crate::validate::{validate_levels, Report, ValidateOptions};
use std::collections::BTreeSet;

/// Validates the neighbourhood of the edits with [`validate_levels`] and keeps the findings
/// that concern it.
///
/// The regions checked: every touched region (changed or created), every parent of a touched
/// or retired region (before and after the edits) with all its children, and the ancestors of
/// all of these (so parent codes resolve). Overlaps with regions of other parents show up as
/// parts outside the parent, so siblings are enough. A finding is kept when one of its codes is
/// touched or is such a parent; findings among untouched siblings are the base version's, not
/// the edits'.
pub(crate) fn check(base: &City, draft: &Draft<'_>, options: &ValidateOptions) -> Report {
    let mut parents: BTreeSet<String> = BTreeSet::new();
    for code in draft.touched() {
        if let Some(p) = &draft.entries[code].parent {
            parents.insert(p.clone());
        }
    }
    for code in draft.changed.iter().chain(&draft.retired) {
        if let Some(id) = base.by_code(code) {
            if let Some(p) = base.region(id).parent {
                parents.insert(base.region(p).code.clone());
            }
        }
    }
    parents.retain(|p| draft.entries.contains_key(p));
    let focus: BTreeSet<String> = draft
        .touched()
        .cloned()
        .chain(parents.iter().cloned())
        .collect();

    let mut include: BTreeSet<String> = focus.clone();
    for (code, e) in &draft.entries {
        if e.parent.as_ref().is_some_and(|p| parents.contains(p)) {
            include.insert(code.clone());
        }
    }
    for code in include.clone() {
        let mut up = draft.entries[&code].parent.clone();
        while let Some(p) = up {
            if !include.insert(p.clone()) {
                break;
            }
            up = draft.entries[&p].parent.clone();
        }
    }
    let levels = draft.subset_levels(|c| include.contains(c));
    let options = ValidateOptions {
        code_scheme: draft.scheme,
        ..options.clone()
    };
    let mut report = validate_levels(&levels, &options);
    report
        .findings
        .retain(|f| f.codes.iter().any(|c| focus.contains(c)));
    report
}
