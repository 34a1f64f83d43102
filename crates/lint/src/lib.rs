//! authdb-lint: checks a migrations folder without a database, fast enough for a pre-commit hook.
//!
//! [`lint`] reads the folder through `authdb-folder` (the definition migrate uses, so every
//! [`authdb_folder::Problem`] migrate would refuse is a finding here, with the same id and text),
//! compares it with `migrations.lock` ([`lock`]), and checks each migration not yet recorded
//! there statement by statement ([`file`], [`statement`]): squawk's parser and squawk's rules
//! ([`squawk_rules`] says which run where), authdb's own checks, and the `-- authdb:` directives
//! ([`directives`]). Pure Rust: no C, no libclang, no database driver.

mod directives;
mod error;
mod file;
mod finding;
mod lock;
mod no_transaction;
mod relations;
mod rule;
mod run;
pub mod squawk_rules;
mod statement;

use std::collections::HashSet;
use std::path::Path;

pub use authdb_folder::LOCK_FILE;
use authdb_folder::{Folder, SqlFile};
pub use error::{Error, Result};
pub use finding::Finding;
pub use rule::{OWN, Rule};
pub use statement::PG_VERSION;

use lock::Lock;
use run::Run;
use statement::FileKind;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Record new files in migrations.lock: every file when there is no lock yet, else each new
    /// migration whose files have no findings. Never a file with a problem of the folder (such
    /// as `new`'s untouched template), and never a recorded file again.
    pub update_lock: bool,
}

#[derive(Debug)]
pub struct Report {
    /// Sorted by file, line and column.
    pub findings: Vec<Finding>,
    /// Migration files read (up and down).
    pub files: usize,
    pub statements: usize,
    /// Files `--update-lock` added to migrations.lock.
    pub recorded: Vec<String>,
    /// New files `--update-lock` left out because they have findings to fix first.
    pub unrecorded: Vec<String>,
}

/// Lints `dir`; squawk's parser runs on its own stack (see `authdb_folder::sql::on_parser_stack`).
pub fn lint(dir: &Path, options: Options) -> Result<Report> {
    authdb_folder::sql::on_parser_stack(|| lint_here(dir, options))
}

fn lint_here(dir: &Path, options: Options) -> Result<Report> {
    let folder = Folder::read(dir)?;
    let mut findings: Vec<Finding> = folder.problems.iter().map(Finding::problem).collect();
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
    let mut checked = check_new_files(&folder, lock.as_ref());
    let mut recorded = Vec::new();
    let mut unrecorded = Vec::new();
    if options.update_lock
        && let Some(current) = &lock
    {
        // A migration (up and down file together) is recorded once neither file has a finding,
        // so that recording cannot hide one, nor freeze a down file whose up file still has to
        // change. The first lock adopts the folder as it is, except what migrate would refuse.
        let adopt = lock_text.is_none();
        let refused: HashSet<&Path> = folder.problems.iter().map(|p| p.path.as_path()).collect();
        let held_back: HashSet<(i64, &str)> = folder
            .files
            .iter()
            .zip(&checked)
            .filter(|(file, own)| {
                refused.contains(file.path.as_path()) || (!adopt && !own.is_empty())
            })
            .map(|(file, _)| (file.name.version, file.name.name.as_str()))
            .collect();
        let mut candidates = Vec::new();
        for file in folder.files.iter().filter(|f| is_new(Some(current), f)) {
            if held_back.contains(&(file.name.version, file.name.name.as_str())) {
                unrecorded.push(file.file_name.clone());
            } else {
                candidates.push(file);
            }
        }
        let (text, added) = current.updated(candidates);
        if lock_text.as_deref() != Some(text.as_str()) {
            write(&lock_path, &text)?;
        }
        lock = Some(Lock::parse(&text, &lock_path).expect("a rendered lock parses"));
        // What was just recorded has left the run: check the rest again without it.
        checked = check_new_files(&folder, lock.as_ref());
        recorded = added;
    }
    if let Some(lock) = &lock {
        findings.extend(lock.check(&lock_path, &folder.files));
    }
    findings.extend(checked.into_iter().flatten());
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.col, a.rule.id()).cmp(&(&b.file, b.line, b.col, b.rule.id()))
    });
    Ok(Report {
        findings,
        files: folder.files.len(),
        statements: folder.files.iter().map(|f| f.statements).sum(),
        recorded,
        unrecorded,
    })
}

/// Not yet recorded in the lock. With an unreadable lock no file counts as new: the lock is the
/// first thing to fix.
fn is_new(lock: Option<&Lock>, file: &SqlFile) -> bool {
    lock.is_some_and(|lock| !lock.records(&file.file_name))
}

/// The findings of each new file (empty for the others), in the folder's order. A recorded file
/// can no longer change, so a finding there could not be acted on. The new up files form one
/// run, in version order: what one creates is new for the next. A down file runs at rollback,
/// apart from the run, so the down files are checked on a second thread meanwhile.
fn check_new_files(folder: &Folder, lock: Option<&Lock>) -> Vec<Vec<Finding>> {
    let downs = || -> Vec<Vec<Finding>> {
        let files = folder.files.iter();
        files
            .map(|file| match new_file(lock, file, true) {
                Some((text, kind)) => file::check(&file.path, text, kind, &mut Run::default()),
                None => Vec::new(),
            })
            .collect()
    };
    let ups = || -> Vec<Vec<Finding>> {
        let mut run = Run::default();
        let files = folder.files.iter();
        files
            .map(|file| {
                let Some((text, kind)) = new_file(lock, file, false) else {
                    return Vec::new();
                };
                if kind.no_transaction {
                    run.end_transaction();
                }
                let found = file::check(&file.path, text, kind, &mut run);
                if kind.no_transaction {
                    run.end_transaction();
                }
                found
            })
            .collect()
    };
    // A thread pays off only with work to share: a commit's one or two new migrations are
    // checked faster than a thread is scheduled on a busy machine.
    let down_statements: usize = folder
        .files
        .iter()
        .filter(|file| new_file(lock, file, true).is_some())
        .map(|file| file.statements)
        .sum();
    let (ups, downs) = if down_statements < THREAD_WORTHWHILE {
        (ups(), downs())
    } else {
        std::thread::scope(|scope| {
            let downs = scope.spawn(downs);
            let ups = ups();
            (ups, downs.join().expect("checking the down files panicked"))
        })
    };
    // Each file is an up file or a down file: one of the two is empty.
    ups.into_iter()
        .zip(downs)
        .map(|(up, down)| if up.is_empty() { down } else { up })
        .collect()
}

/// Statements in new down files from which they are checked on a thread of their own (each
/// costs about 25 µs; starting and joining a thread, tens of µs, more on a loaded machine).
const THREAD_WORTHWHILE: usize = 100;

/// The text and kind of a new down file (`down`) or up file, if `file` is one.
fn new_file<'a>(lock: Option<&Lock>, file: &'a SqlFile, down: bool) -> Option<(&'a str, FileKind)> {
    if file.name.down != down || !is_new(lock, file) {
        return None;
    }
    let kind = FileKind {
        down,
        no_transaction: file.no_transaction,
    };
    Some((file.text.as_deref()?, kind))
}

/// The lock's text; `None` when there is no lock yet.
fn read_lock(path: &Path) -> Result<Option<String>> {
    // A pipe would be read for ever (the folder reports it as a problem too).
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("not a regular file"),
        });
    }
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
