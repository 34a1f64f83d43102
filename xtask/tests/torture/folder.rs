//! The migration files of a case, written as a user would: `NNN_name.sql` with its down file.
//! Every file leaves something the checks can see: a table and a marker row, or an index; and an
//! ordinary file counts each time it is executed, even when its transaction rolls back.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::case::Spec;

/// Rows a backfill's table holds, and how many a batch copies.
pub const FILL_ROWS: i64 = 40;
pub const BATCH: i64 = 6;

/// A case's folder on disk.
pub struct Folder {
    dir: TempDir,
    pub specs: Vec<Spec>,
    pub versions: Vec<i64>,
    /// Per migration, whether it is a contract step.
    pub contract: Vec<bool>,
    /// Failing migrations have been fixed.
    pub fixed: bool,
}

/// Where migration `index`'s failing statement is: the line of `SELECT 1 / 0`.
pub struct Failure {
    pub line: usize,
}

impl Folder {
    /// The folder of `specs`, where migrations `pick % len` of `contract` are contract steps.
    pub fn write(specs: &[Spec], contract: &[u8]) -> Folder {
        let versions = (1..=specs.len() as i64).collect();
        let mut steps = vec![false; specs.len()];
        for pick in contract {
            steps[usize::from(*pick) % specs.len()] = true;
        }
        let folder = Folder {
            dir: tempfile::tempdir().unwrap(),
            specs: specs.to_vec(),
            versions,
            contract: steps,
            fixed: false,
        };
        for index in 0..specs.len() {
            folder.write_migration(index);
        }
        folder
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Where a plain migrate from `from` applied migrations stops: before the first contract
    /// step it would reach.
    pub fn held_from(&self, from: usize) -> usize {
        (from..self.len())
            .find(|&index| self.contract[index])
            .unwrap_or(self.len())
    }

    pub fn file(&self, index: usize) -> PathBuf {
        let v = self.versions[index];
        self.path().join(format!("{v:03}_m{v}.sql"))
    }

    /// Where migration `index` fails, if it does now.
    pub fn failure(&self, index: usize) -> Option<Failure> {
        if self.fixed {
            return None;
        }
        let (_, failing) = self.up(index);
        failing.map(|line| Failure { line })
    }

    pub fn fix(&mut self) {
        self.fixed = true;
        for index in 0..self.len() {
            if self.specs[index].fails() {
                self.write_migration(index);
            }
        }
    }

    fn write_migration(&self, index: usize) {
        let v = self.versions[index];
        let (mut up, _) = self.up(index);
        if self.contract[index] {
            // Last, so that the failing statement's line stays where `up` says.
            up.push("-- authdb:contract torture".to_string());
        }
        std::fs::write(self.file(index), up.join("\n") + "\n").unwrap();
        let down = match self.specs[index] {
            Spec::Plain { .. } => format!(
                "DELETE FROM torture_effects WHERE version = {v};\nDROP TABLE torture_t{v};\n"
            ),
            Spec::Concurrent => {
                format!("-- authdb:no-transaction\nDROP INDEX CONCURRENTLY torture_i{v};\n")
            }
            Spec::Backfill => format!(
                "-- authdb:no-transaction\nUPDATE torture_fill_{v} SET copied = NULL, times = 0;\n"
            ),
        };
        std::fs::write(self.path().join(format!("{v:03}_m{v}.down.sql")), down).unwrap();
    }

    /// The up file's lines, and the line (1-based) of the statement that fails, if any.
    fn up(&self, index: usize) -> (Vec<String>, Option<usize>) {
        let v = self.versions[index];
        match self.specs[index] {
            Spec::Concurrent => (
                vec![
                    "-- authdb:no-transaction".to_string(),
                    format!("CREATE INDEX CONCURRENTLY torture_i{v} ON torture_base (id);"),
                ],
                None,
            ),
            Spec::Backfill => (
                vec![
                    "-- authdb:no-transaction".to_string(),
                    "-- authdb:backfill torture".to_string(),
                    format!(
                        "UPDATE torture_fill_{v} SET copied = id, times = times + 1 WHERE id IN \
                         (SELECT id FROM torture_fill_{v} WHERE copied IS NULL ORDER BY id LIMIT {});",
                        crate::folder::BATCH
                    ),
                ],
                None,
            ),
            Spec::Plain {
                fillers,
                fails_at,
                sleep_ms,
                touches_base,
            } => {
                let mut lines = vec![
                    format!("-- torture: migration {v}"),
                    format!("SELECT nextval('torture_attempts_{v}');"),
                    format!("CREATE TABLE torture_t{v} (id int);"),
                    format!("INSERT INTO torture_effects (version) VALUES ({v});"),
                ];
                let fails_at = fails_at
                    .filter(|_| !self.fixed)
                    .map(|at| usize::from(at) % (usize::from(fillers) + 1));
                let mut failing = None;
                for filler in 0..=usize::from(fillers) {
                    if fails_at == Some(filler) {
                        lines.push("SELECT 1 / 0;".to_string());
                        failing = Some(lines.len());
                    }
                    if filler < usize::from(fillers) {
                        lines.push(format!(
                            "UPDATE torture_effects SET version = version WHERE version = {v};"
                        ));
                    }
                }
                if touches_base {
                    lines.push("UPDATE torture_base SET id = id WHERE id < 0;".to_string());
                }
                if sleep_ms > 0 {
                    lines.push(format!(
                        "SELECT pg_sleep({});",
                        f64::from(sleep_ms) / 1000.0
                    ));
                }
                (lines, failing)
            }
        }
    }

    /// Appends a comment to applied migration `index` (a changed checksum), and returns a guard that restores it.
    pub fn edit(&self, index: usize) -> Restore {
        let path = self.file(index);
        let original = std::fs::read(&path).unwrap();
        let mut edited = original.clone();
        edited.extend_from_slice(b"-- edited after it was applied\n");
        std::fs::write(&path, edited).unwrap();
        Restore {
            path,
            original: Some(original),
        }
    }

    /// Adds another migration under `version`, and returns a guard that removes it.
    pub fn add(&self, version: i64) -> Restore {
        let path = self.path().join(format!("{version:03}_below.sql"));
        std::fs::write(&path, "CREATE TABLE torture_below (id int);\n").unwrap();
        std::fs::write(
            self.path().join(format!("{version:03}_below.down.sql")),
            "DROP TABLE torture_below;\n",
        )
        .unwrap();
        Restore {
            path,
            original: None,
        }
    }
}

/// Puts a file back as it was (or removes one that was added, with its down file) when dropped.
pub struct Restore {
    path: PathBuf,
    original: Option<Vec<u8>>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        match &self.original {
            Some(bytes) => std::fs::write(&self.path, bytes).unwrap(),
            None => {
                std::fs::remove_file(&self.path).unwrap();
                std::fs::remove_file(self.path.with_extension("down.sql")).unwrap();
            }
        }
    }
}
