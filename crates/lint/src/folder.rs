//! The migrations folder as lint sees it: every entry classified, every migration's text read and
//! normalised exactly as migrate reads it, and the checks that span files (duplicate versions,
//! gaps, up/down pairs). Unlike `authdb::Migrations::load`, which stops at the first problem,
//! this reports all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// The library's own normalisation: the lock and the tracking table can never disagree.
use authdb::migrations::normalise;

use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::name::MigrationName;
use crate::rules::Rule;

/// The lock file's name inside the migrations folder.
pub const LOCK_FILE: &str = "migrations.lock";

/// Files that may live beside the migrations (the same list as migrate's).
const COMPANIONS: &[&str] = &["schema.snapshot", "schema.md", LOCK_FILE];

/// A correctly named migration file.
#[derive(Debug, Clone)]
pub struct SqlFile {
    pub path: PathBuf,
    pub file_name: String,
    pub name: MigrationName,
    /// The text with a BOM removed and CRLF turned into LF, what migrate sends and checksums;
    /// `None` when it is not UTF-8.
    pub text: Option<String>,
}

#[derive(Debug)]
pub struct Folder {
    /// Sorted by version, each up file before its down file.
    pub files: Vec<SqlFile>,
    pub findings: Vec<Finding>,
}

impl Folder {
    pub fn read(dir: &Path) -> Result<Folder> {
        if !dir.is_dir() {
            return Err(Error::MissingDir(dir.to_path_buf()));
        }
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        let mut findings = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') || COMPANIONS.contains(&file_name.as_str()) {
                continue;
            }
            let is_file = entry.file_type().map_err(io)?.is_file();
            match MigrationName::parse(&file_name) {
                Some(name) if is_file => {
                    let (text, finding) = read_text(&path)?;
                    findings.extend(finding);
                    files.push(SqlFile {
                        path,
                        file_name,
                        name,
                        text,
                    });
                }
                _ if is_file && file_name.to_ascii_lowercase().ends_with(".sql") => {
                    findings.push(Finding::file(path, Rule::FileName, "not a migration name"));
                }
                _ => findings.push(Finding::file(
                    path,
                    Rule::StrayFile,
                    "not a migration, migrations.lock or schema.snapshot",
                )),
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        findings.extend(duplicate_versions(&files));
        findings.extend(version_gaps(&files));
        findings.extend(unpaired(&files));
        Ok(Folder { files, findings })
    }
}

/// Reads a file as migrate does: UTF-8, BOM dropped, CRLF normalised, not blank.
fn read_text(path: &Path) -> Result<(Option<String>, Option<Finding>)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(valid)
                .rsplit('\n')
                .next()
                .map_or(0, |l| l.chars().count())
                + 1;
            let what = "not UTF-8 from here on";
            let finding = Finding::at(path.to_path_buf(), (line, col), Rule::NotUtf8, what);
            return Ok((None, Some(finding)));
        }
    };
    let text = normalise(&text);
    let finding = text
        .trim()
        .is_empty()
        .then(|| Finding::file(path.to_path_buf(), Rule::EmptyFile, "the file is empty"));
    Ok((Some(text), finding))
}

fn ups(files: &[SqlFile]) -> impl Iterator<Item = &SqlFile> {
    files.iter().filter(|f| !f.name.down)
}

fn duplicate_versions(files: &[SqlFile]) -> Vec<Finding> {
    let mut first: BTreeMap<i64, &SqlFile> = BTreeMap::new();
    let mut findings = Vec::new();
    for file in ups(files) {
        match first.get(&file.name.version) {
            Some(other) => findings.push(Finding::file(
                file.path.clone(),
                Rule::DuplicateVersion,
                format_args!("version {} is also {}", file.name.version, other.file_name),
            )),
            None => {
                first.insert(file.name.version, file);
            }
        }
    }
    findings
}

fn version_gaps(files: &[SqlFile]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut previous: Option<i64> = None;
    for file in ups(files) {
        let version = file.name.version;
        if let Some(before) = previous
            && version > before + 1
        {
            let missing = if version == before + 2 {
                format!("{} is missing", before + 1)
            } else {
                format!("{} to {} are missing", before + 1, version - 1)
            };
            findings.push(Finding::file(
                file.path.clone(),
                Rule::VersionGap,
                format_args!("version {version} follows {before}: {missing}"),
            ));
        }
        previous = Some(version);
    }
    findings
}

fn unpaired(files: &[SqlFile]) -> Vec<Finding> {
    let key = |f: &SqlFile| (f.name.version, f.name.name.clone());
    let up_keys: BTreeSet<_> = ups(files).map(key).collect();
    let down_keys: BTreeSet<_> = files.iter().filter(|f| f.name.down).map(key).collect();
    let mut findings = Vec::new();
    for file in files {
        let stem = file
            .file_name
            .trim_end_matches(".sql")
            .trim_end_matches(".down");
        if file.name.down && !up_keys.contains(&key(file)) {
            let what = format_args!("no up file {stem}.sql for this down file");
            findings.push(Finding::file(file.path.clone(), Rule::OrphanDownFile, what));
        } else if !file.name.down && !down_keys.contains(&key(file)) {
            let what = format_args!("no down file {stem}.down.sql");
            findings.push(Finding::file(
                file.path.clone(),
                Rule::MissingDownFile,
                what,
            ));
        }
    }
    findings
}
