//! Versions: immutable cities in a line of commits, with rollback and saving.

use super::edit::Edit;
use super::preview::Preview;
use super::PlanOptions;
use crate::error::{Error, Result};
use crate::model::City;
use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// One committed version: an immutable city and how it came to be.
#[derive(Debug)]
pub struct Version {
    number: u64,
    parent: Option<u64>,
    city: Arc<City>,
    edits: Vec<Edit>,
    note: String,
    retired: BTreeSet<String>,
}

impl Version {
    /// Its number: 1 for the first version, +1 for each commit or rollback.
    pub fn number(&self) -> u64 {
        self.number
    }
    /// The version it was made from (`None` for the first).
    pub fn parent(&self) -> Option<u64> {
        self.parent
    }
    /// Its city. Clone the `Arc` to keep using this version after later commits.
    pub fn city(&self) -> &Arc<City> {
        &self.city
    }
    /// The edits that made it from its parent (empty for the first version and rollbacks).
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }
    /// The note given at commit.
    pub fn note(&self) -> &str {
        &self.note
    }
    /// Every code retired up to this version (not in its city; not handed out again).
    pub fn retired(&self) -> &BTreeSet<String> {
        &self.retired
    }
}

/// The versions of one city, and which is current.
///
/// Readers call [`History::current`] and keep the returned `Arc` as long as they like: a commit
/// swaps the current version atomically and never changes a version already handed out.
/// Commits are serialised; a preview made on a version that is no longer current is refused
/// (make it again on the new one).
#[derive(Debug)]
pub struct History {
    versions: Mutex<Vec<Arc<Version>>>,
    current: ArcSwap<Version>,
    options: PlanOptions,
}

impl History {
    /// A history whose first version is `city` (a `City`, or an `Arc<City>` already shared
    /// with readers, which is not copied).
    pub fn new(city: impl Into<Arc<City>>, options: PlanOptions) -> History {
        let first = Arc::new(Version {
            number: 1,
            parent: None,
            city: city.into(),
            edits: Vec::new(),
            note: String::new(),
            retired: BTreeSet::new(),
        });
        History {
            versions: Mutex::new(vec![first.clone()]),
            current: ArcSwap::new(first),
            options,
        }
    }

    /// The options edits are checked with.
    pub fn options(&self) -> &PlanOptions {
        &self.options
    }

    /// The current version.
    pub fn current(&self) -> Arc<Version> {
        self.current.load_full()
    }

    /// Version `number`, if it exists.
    pub fn version(&self, number: u64) -> Option<Arc<Version>> {
        self.lock().iter().find(|v| v.number == number).cloned()
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> Vec<Arc<Version>> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Version>>> {
        // A panic while holding the lock cannot leave the list half-written (pushes are
        // atomic), so a poisoned lock is still usable.
        self.versions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `edits` to the current version without committing (see [`Preview::new`]).
    pub fn preview(&self, edits: Vec<Edit>) -> Result<Preview> {
        Preview::new(self.current(), edits, &self.options)
    }

    /// Makes a valid preview the current version.
    ///
    /// Refused, with nothing changed: a preview with errors in its report, one made on a
    /// version that is no longer current, or one made on another history.
    pub fn commit(&self, preview: Preview, note: &str) -> Result<Arc<Version>> {
        if let Some(first) = preview
            .report
            .findings
            .iter()
            .find(|f| f.severity == crate::validate::Severity::Error)
        {
            return Err(Error::Version(format!(
                "the edits leave {} error(s) and were not committed; the first: {} {:?}: {}",
                preview.report.count(crate::validate::Severity::Error),
                first.kind.name(),
                first.codes,
                first.message
            )));
        }
        let mut versions = self.lock();
        let current = self.current();
        if !Arc::ptr_eq(&preview.base, &current) {
            let reason = if preview.base.number == current.number {
                "the preview was made on another history".to_string()
            } else {
                format!(
                    "the preview was made on version {}, but version {} is current; preview again",
                    preview.base.number, current.number
                )
            };
            return Err(Error::Version(reason));
        }
        let mut retired = current.retired.clone();
        retired.extend(preview.codes.retired.iter().cloned());
        for c in &preview.codes.created {
            retired.remove(c);
        }
        let version = Arc::new(Version {
            number: current.number + 1,
            parent: Some(current.number),
            city: Arc::new(preview.city),
            edits: preview.edits,
            note: note.to_string(),
            retired,
        });
        versions.push(version.clone());
        self.current.store(version.clone());
        Ok(version)
    }

    /// Makes version `number`'s city current again, as a new version (history is never
    /// rewritten). Codes the rollback removes are retired.
    pub fn rollback(&self, number: u64, note: &str) -> Result<Arc<Version>> {
        let mut versions = self.lock();
        let target = versions
            .iter()
            .find(|v| v.number == number)
            .cloned()
            .ok_or_else(|| Error::Version(format!("no version {number}")))?;
        let current = self.current();
        let mut retired = current.retired.clone();
        retired.extend(current.city.regions().iter().map(|r| r.code.clone()));
        for r in target.city.regions() {
            retired.remove(&r.code);
        }
        let version = Arc::new(Version {
            number: current.number + 1,
            parent: Some(current.number),
            city: target.city.clone(),
            edits: Vec::new(),
            note: if note.is_empty() {
                format!("rollback to version {number}")
            } else {
                note.to_string()
            },
            retired,
        });
        versions.push(version.clone());
        self.current.store(version.clone());
        Ok(version)
    }

    /// Saves every version into `dir`: one snapshot per version (`v{number}.wgg`, written
    /// once: versions never change) and `history.json` (numbers, parents, edits, notes,
    /// retired codes, the current number), replaced crash-safely (temporary file, fsync,
    /// rename).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let io = |path: &Path, e: std::io::Error| Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let versions = self.versions();
        let mut records = Vec::with_capacity(versions.len());
        for v in &versions {
            let file = format!("v{}.wgg", v.number);
            let path = dir.join(&file);
            if !path.exists() {
                v.city.save(&path)?;
            }
            records.push(Record {
                number: v.number,
                parent: v.parent,
                file,
                edits: v.edits.clone(),
                note: v.note.clone(),
                retired: v.retired.iter().cloned().collect(),
            });
        }
        let file = HistoryFile {
            format: 1,
            current: self.current().number,
            versions: records,
        };
        let text =
            serde_json::to_string_pretty(&file).map_err(|e| Error::Version(e.to_string()))?;
        crate::io::snapshot::write_file(&dir.join("history.json"), text.as_bytes())
    }

    /// Loads a history saved by [`History::save`].
    pub fn load(dir: &Path, options: PlanOptions) -> Result<History> {
        let path = dir.join("history.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let file: HistoryFile = serde_json::from_str(&text).map_err(|e| Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if file.format != 1 {
            return Err(Error::Version(format!(
                "{}: history format {} (this build reads format 1)",
                path.display(),
                file.format
            )));
        }
        let mut versions: Vec<Arc<Version>> = Vec::with_capacity(file.versions.len());
        for r in file.versions {
            if versions.iter().any(|v| v.number == r.number)
                || r.parent
                    .is_some_and(|p| !versions.iter().any(|v| v.number == p))
            {
                return Err(Error::Version(format!(
                    "{}: version {} repeats or names an unknown parent",
                    path.display(),
                    r.number
                )));
            }
            let city = City::load(&dir.join(&r.file))?;
            versions.push(Arc::new(Version {
                number: r.number,
                parent: r.parent,
                city: Arc::new(city),
                edits: r.edits,
                note: r.note,
                retired: r.retired.into_iter().collect(),
            }));
        }
        let current = versions
            .iter()
            .find(|v| v.number == file.current)
            .cloned()
            .ok_or_else(|| {
                Error::Version(format!(
                    "{}: current version {} is not in the file",
                    path.display(),
                    file.current
                ))
            })?;
        Ok(History {
            versions: Mutex::new(versions),
            current: ArcSwap::new(current),
            options,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct HistoryFile {
    format: u32,
    current: u64,
    versions: Vec<Record>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    number: u64,
    parent: Option<u64>,
    file: String,
    edits: Vec<Edit>,
    note: String,
    retired: Vec<String>,
}
