//! authdb-lint: checks a migrations folder without a database, fast enough for a pre-commit hook.
//!
//! [`lint`] reads the folder ([`folder`]: names, pairs, versions), compares it with
//! `migrations.lock` ([`lock`]), and runs every file through PostgreSQL's own parser
//! ([`parser`]) and the rules ([`checks`]), honouring the `-- authdb:` comments
//! ([`directives`]). Everything wrong is a [`Finding`] with a [`Rule`]. It is a crate of its own
//! so that the parser, C code built with libclang, stays out of the runtime library `authdb`.

pub mod checks;
pub mod directives;
pub mod error;
pub mod finding;
pub mod folder;
pub mod generate;
pub mod lock;
pub mod migration;
pub mod name;
mod parse_error;
pub mod parser;
pub mod rules;

use std::collections::HashSet;
use std::path::Path;

pub use error::{Error, Result};
pub use finding::Finding;
pub use folder::LOCK_FILE;
pub use generate::write_generated;
pub use rules::Rule;

use folder::{Folder, SqlFile};
use lock::Lock;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Record new files in migrations.lock: every file when there is no lock yet, else each new
    /// file without findings. A recorded file is never recorded again.
    pub update_lock: bool,
}

#[derive(Debug)]
pub struct Report {
    /// Sorted by file, line and column.
    pub findings: Vec<Finding>,
    /// Migration files checked (up and down).
    pub files: usize,
    pub statements: usize,
    /// Files `--update-lock` added to migrations.lock.
    pub recorded: Vec<String>,
    /// New files `--update-lock` left out because they have findings to fix first.
    pub unrecorded: Vec<String>,
}

pub fn lint(dir: &Path, options: Options) -> Result<Report> {
    let folder = Folder::read(dir)?;
    let mut findings = folder.findings;
    let lock_path = dir.join(LOCK_FILE);
    let lock_text = read_lock(&lock_path)?;
    let mut lock = match lock_text
        .as_deref()
        .map(|text| Lock::parse(text, &lock_path))
    {
        None => Some(Lock::default()),
        Some(Ok(lock)) => Some(lock),
        Some(Err(finding)) => {
            findings.push(finding);
            None
        }
    };
    // With an unreadable lock no file counts as new: the lock is the first thing to fix.
    let is_new = |lock: &Option<Lock>, file: &SqlFile| {
        lock.as_ref()
            .is_some_and(|lock| !lock.records(&file.file_name))
    };
    let mut checked: Vec<(Vec<Finding>, usize)> = folder
        .files
        .iter()
        .map(|file| check_file(file, is_new(&lock, file)))
        .collect();
    let mut recorded = Vec::new();
    let mut unrecorded = Vec::new();
    if options.update_lock
        && let Some(current) = &lock
    {
        // The first lock adopts the folder as it is; after that, a new migration (up and down
        // file together) is recorded once neither file has a finding, so that recording cannot
        // hide one, nor freeze a down file whose up file still has to change.
        let adopt = lock_text.is_none();
        let dirty: HashSet<(i64, &str)> = folder
            .files
            .iter()
            .zip(&checked)
            .filter(|(file, (own, _))| {
                !own.is_empty() || findings.iter().any(|f| f.file == file.path)
            })
            .map(|(file, _)| (file.name.version, file.name.name.as_str()))
            .collect();
        let mut candidates = Vec::new();
        for file in &folder.files {
            if !is_new(&lock, file) {
                continue;
            }
            if adopt || !dirty.contains(&(file.name.version, file.name.name.as_str())) {
                candidates.push(file);
            } else {
                unrecorded.push(file.file_name.clone());
            }
        }
        let (text, added) = current.updated(candidates);
        if lock_text.as_deref() != Some(text.as_str()) {
            write(&lock_path, &text)?;
        }
        lock = Some(Lock::parse(&text, &lock_path).expect("a rendered lock parses"));
        for (file, result) in folder.files.iter().zip(&mut checked) {
            if added.contains(&file.file_name) {
                *result = check_file(file, false);
            }
        }
        recorded = added;
    }
    if let Some(lock) = &lock {
        findings.extend(lock.check(&lock_path, &folder.files));
    }
    let mut statements = 0;
    for (found, count) in checked {
        findings.extend(found);
        statements += count;
    }
    findings
        .sort_by(|a, b| (&a.file, a.line, a.col, a.rule).cmp(&(&b.file, b.line, b.col, b.rule)));
    Ok(Report {
        findings,
        files: folder.files.len(),
        statements,
        recorded,
        unrecorded,
    })
}

fn check_file(file: &SqlFile, new: bool) -> (Vec<Finding>, usize) {
    match file.text.as_deref() {
        Some(text) if !text.trim().is_empty() => {
            migration::check(&file.path, text, file.name.down, new)
        }
        _ => (Vec::new(), 0),
    }
}

/// The lock's text; `None` when there is no lock yet.
fn read_lock(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
