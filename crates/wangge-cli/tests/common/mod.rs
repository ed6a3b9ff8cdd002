//! Helpers shared by the CLI integration tests: scratch directories, running the binary,
//! reading CSV output back.
#![allow(dead_code)] // each test file uses a different subset

use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

/// A scratch directory, unique per test and process; removed afterwards unless the test failed.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("wangge-cli-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        TempDir(dir)
    }

    /// The path of `name` in the directory, as an argument.
    pub fn path(&self, name: &str) -> String {
        let path = self.0.join(name);
        path.to_str().expect("temp paths are UTF-8").to_string()
    }

    /// Writes `contents` to `name` and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        fs::write(&path, contents).unwrap_or_else(|e| panic!("{path}: {e}"));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("keeping {} for inspection", self.0.display());
        } else {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// What a run of the binary did.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success; returns the run for further checks.
    pub fn ok(self) -> Self {
        assert!(
            self.status.success(),
            "wangge failed ({}); stderr:\n{}",
            self.status,
            self.stderr
        );
        self
    }

    /// Asserts an orderly failure: non-zero exit code, no panic, an error message on stderr
    /// containing every one of `needles`.
    pub fn fails_with(self, needles: &[&str]) -> Self {
        let code = self.status.code();
        assert!(
            matches!(code, Some(c) if c != 0 && c != 101),
            "expected an error exit, got {}; stderr:\n{}",
            self.status,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "wangge panicked:\n{}",
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr does not mention {needle:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    /// The stderr line mentioning `needle` (panics if none does).
    pub fn stderr_line(&self, needle: &str) -> &str {
        self.stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no stderr line mentions {needle:?}:\n{}", self.stderr))
    }
}

/// Runs `wangge ARGS`.
pub fn wangge(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(args)
        .output()
        .expect("cannot run wangge");
    Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A CSV file read back: header and rows.
#[derive(Debug)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &str) -> Table {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut rows = parse_csv(&text).into_iter();
        let header = rows.next().unwrap_or_else(|| panic!("{path} is empty"));
        let rows: Vec<_> = rows.collect();
        for row in &rows {
            assert_eq!(row.len(), header.len(), "{path}: ragged row {row:?}");
        }
        Table { header, rows }
    }

    /// The values of one column, top to bottom.
    pub fn column(&self, name: &str) -> Vec<&str> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header));
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }

    /// The row whose column `key` is `value`, as a lookup by column name.
    pub fn row_where(&self, key: &str, value: &str) -> Row<'_> {
        let i = self.column(key).iter().position(|v| *v == value);
        let i = i.unwrap_or_else(|| panic!("no row with {key} = {value:?}"));
        Row {
            table: self,
            row: &self.rows[i],
        }
    }
}

/// One row of a [`Table`].
pub struct Row<'a> {
    pub table: &'a Table,
    pub row: &'a [String],
}

impl Row<'_> {
    pub fn get(&self, name: &str) -> &str {
        let i = self.table.header.iter().position(|h| h == name);
        let i = i.unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.table.header));
        &self.row[i]
    }
}

/// Minimal RFC 4180 reader: quoted fields with commas, doubled quotes and newlines; LF or CRLF.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
