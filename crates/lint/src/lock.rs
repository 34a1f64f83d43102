//! `migrations/migrations.lock`, the idea of Atlas's `atlas.sum`: the checksum of every migration
//! file, and a `set` checksum over all those lines. A recorded file that changes was edited after
//! it may have been applied; a set that no longer matches its lines was merged from two branches
//! that each added migrations (and since every addition rewrites the `set` line, git reports such
//! a merge as a conflict in the first place). The per-file checksum is the one migrate records in
//! the tracking table, so the lock and the database agree on what "edited" means.

use std::collections::BTreeSet;
use std::path::Path;

use authdb_folder::{Checksum, FileName, SqlFile};

use crate::finding::Finding;
use crate::rule::Rule;

const HEADER: &str = "\
# migrations.lock: the checksum of every migration file, written by `cargo xtask lint --update-lock`.
# On a merge conflict here, keep the target branch's version, renumber your new migrations after its
# last one, and run `cargo xtask lint --update-lock` again.
";

/// One recorded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub file_name: String,
    /// Lowercase hex SHA-256 of the normalised text, as [`Checksum::to_hex`] writes it.
    pub checksum: String,
    /// Where it is in migrations.lock, for findings.
    pub line: usize,
}

/// A parsed lock file; an absent file is an empty lock.
#[derive(Debug, Clone, Default)]
pub struct Lock {
    pub entries: Vec<Entry>,
    /// The recorded set checksum and its line.
    pub set: Option<(String, usize)>,
}

impl Lock {
    /// Reads the lock's text. A line that is not a comment, the `set` line or `file checksum` is a
    /// finding; the first one is returned, since nothing after it can be trusted.
    pub fn parse(text: &str, path: &Path) -> Result<Lock, Finding> {
        let mut lock = Lock::default();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let bad = |what: &str| {
                let what = format!("line {number} {what}");
                Finding::own(path.to_path_buf(), (number, 1), Rule::LockSyntax, what)
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if ["<<<<<<<", "=======", ">>>>>>>", "|||||||"]
                .iter()
                .any(|marker| line.starts_with(marker))
            {
                return Err(bad("is a merge conflict marker"));
            }
            let Some((key, checksum)) = line.split_once(' ') else {
                return Err(bad("is not `file checksum`"));
            };
            if key != "set" && FileName::parse(key).is_err() {
                return Err(bad("does not name a migration file"));
            }
            if !is_hex_sha256(checksum) {
                return Err(bad("does not end in a SHA-256 checksum"));
            }
            if key == "set" {
                if lock.set.is_some() {
                    return Err(bad("is a second set line"));
                }
                lock.set = Some((checksum.to_string(), number));
            } else if lock.entries.iter().any(|e| e.file_name == key) {
                return Err(bad("records a file a second time"));
            } else {
                lock.entries.push(Entry {
                    file_name: key.to_string(),
                    checksum: checksum.to_string(),
                    line: number,
                });
            }
        }
        if lock.set.is_none() && !lock.entries.is_empty() {
            let finding = Finding::own(path.to_path_buf(), (1, 1), Rule::LockSyntax, "no set line");
            return Err(finding);
        }
        Ok(lock)
    }

    pub fn records(&self, file_name: &str) -> bool {
        self.entries.iter().any(|e| e.file_name == file_name)
    }

    /// Compares the lock with the folder: edited, new and vanished files, and the set.
    pub fn check(&self, path: &Path, files: &[SqlFile]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for file in files {
            let Some(text) = &file.text else { continue };
            match self.entries.iter().find(|e| e.file_name == file.file_name) {
                None => findings.push(Finding::own(
                    file.path.clone(),
                    (1, 1),
                    Rule::LockNewFile,
                    "not yet recorded in migrations.lock",
                )),
                Some(entry) if entry.checksum != Checksum::of(text).to_hex() => {
                    findings.push(Finding::own(
                        file.path.clone(),
                        (1, 1),
                        Rule::LockEdited,
                        format_args!(
                            "edited since migrations.lock recorded it (line {})",
                            entry.line
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let present: BTreeSet<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
        for entry in &self.entries {
            if !present.contains(entry.file_name.as_str()) {
                findings.push(Finding::own(
                    path.to_path_buf(),
                    (entry.line, 1),
                    Rule::LockMissingFile,
                    format_args!("records {}, which is not in the folder", entry.file_name),
                ));
            }
        }
        if let Some((set, line)) = &self.set
            && *set != set_checksum(&self.entries)
        {
            findings.push(Finding::own(
                path.to_path_buf(),
                (*line, 1),
                Rule::LockSet,
                "the set checksum does not match the files recorded below it",
            ));
        }
        findings
    }

    /// The lock with these files added where they are new. Recorded entries are kept as they are,
    /// even for a file that was edited or deleted since: re-recording would defeat the lock.
    /// Returns the text to write and the names of the files it adds.
    pub fn updated<'a>(
        &self,
        files: impl IntoIterator<Item = &'a SqlFile>,
    ) -> (String, Vec<String>) {
        let mut entries: Vec<Entry> = self.entries.clone();
        let mut added = Vec::new();
        for file in files {
            let Some(text) = &file.text else { continue };
            if entries.iter().all(|e| e.file_name != file.file_name) {
                added.push(file.file_name.clone());
                entries.push(Entry {
                    file_name: file.file_name.clone(),
                    checksum: Checksum::of(text).to_hex(),
                    line: 0,
                });
            }
        }
        entries.sort_by_key(|e| FileName::parse(&e.file_name).ok());
        (render(&entries), added)
    }
}

/// The lock file's text for these entries, in this order.
pub fn render(entries: &[Entry]) -> String {
    let mut text = format!("{HEADER}set {}\n", set_checksum(entries));
    for entry in entries {
        text.push_str(&entry_line(entry));
    }
    text
}

/// The checksum of the recorded lines in their order: any added, removed or changed line changes it.
fn set_checksum(entries: &[Entry]) -> String {
    let lines: String = entries.iter().map(entry_line).collect();
    Checksum::of(&lines).to_hex()
}

fn entry_line(entry: &Entry) -> String {
    format!("{} {}\n", entry.file_name, entry.checksum)
}

fn is_hex_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
