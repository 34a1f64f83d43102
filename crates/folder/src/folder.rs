//! Reading a migrations folder in one pass: every entry classified, every migration file read and
//! normalised exactly as it will be sent, its statements found, and every [`Problem`] collected
//! (not only the first), so lint can list them all and migrate can refuse with all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::checksum::normalise_owned;
use crate::directive::{BACKFILL, CONTRACT, is_no_transaction, said};
use crate::name::FileName;
use crate::position;
use crate::problem::{Problem, ProblemKind};
use crate::sql::{self, Kind};
use crate::template::is_template;

/// A correctly named migration file.
#[derive(Debug, Clone)]
pub struct SqlFile {
    pub path: PathBuf,
    pub file_name: String,
    pub name: FileName,
    /// The text with a BOM removed and CRLF turned into LF: what is checksummed and sent.
    /// `None` when the file is not UTF-8.
    pub text: Option<String>,
    /// The first line is `-- authdb:no-transaction`.
    pub no_transaction: bool,
    /// An up file that says `-- authdb:contract`: held back until the rollout is over.
    pub contract: bool,
    /// An up file that says `-- authdb:backfill`: its statement runs in batches.
    pub backfill: bool,
    /// How many statements it holds.
    pub statements: usize,
}

/// A migrations folder as read.
#[derive(Debug, Clone)]
pub struct Folder {
    pub dir: PathBuf,
    /// Correctly named migration files, by version, each up file before its down file.
    pub files: Vec<SqlFile>,
    /// Sorted by file, line and column.
    pub problems: Vec<Problem>,
}

/// The folder could not be read at all.
#[derive(Debug)]
pub enum ReadError {
    Missing(PathBuf),
    /// Something that is not a directory: a file, a pipe.
    NotAFolder(PathBuf),
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Missing(dir) => write!(
                f,
                "migrations folder {} does not exist: create it, or pass --migrations DIR",
                dir.display()
            ),
            ReadError::NotAFolder(path) => write!(
                f,
                "migrations folder {} is a file, not a folder: pass the folder that holds the \
                 migrations (--migrations DIR)",
                path.display()
            ),
            ReadError::Io { path, source } => {
                write!(f, "{}: cannot read: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io { source, .. } => Some(source),
            ReadError::Missing(_) | ReadError::NotAFolder(_) => None,
        }
    }
}

impl Folder {
    pub fn read(dir: &Path) -> Result<Folder, ReadError> {
        if !dir.is_dir() {
            return Err(match dir.exists() {
                true => ReadError::NotAFolder(dir.to_path_buf()),
                false => ReadError::Missing(dir.to_path_buf()),
            });
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReadError::Io { path, source }
        };
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') {
                continue;
            }
            // Not followed: a symbolic link is refused, so the checksummed text is the reviewed one.
            let kind = entry.file_type().map_err(io(&path))?;
            let stray = |what| Problem {
                path: path.clone(),
                line: 1,
                col: 1,
                kind: ProblemKind::StrayFile { what },
            };
            if crate::COMPANIONS.contains(&file_name.as_str()) {
                // Read by lint, verify and snapshot: a directory cannot be, and a pipe would be
                // read for ever.
                if !kind.is_file() && !kind.is_symlink() {
                    problems.push(stray("not a regular file, where a companion file belongs"));
                }
                continue;
            }
            if kind.is_symlink() {
                problems.push(stray("a symbolic link (migrations are regular files)"));
                continue;
            }
            if kind.is_dir() {
                problems.push(stray("a directory"));
                continue;
            }
            let name = match FileName::parse(&file_name) {
                Ok(name) if kind.is_file() => name,
                Err(reason) if file_name.to_ascii_lowercase().ends_with(".sql") => {
                    problems.push(Problem {
                        path,
                        line: 1,
                        col: 1,
                        kind: ProblemKind::FileName { reason },
                    });
                    continue;
                }
                _ => {
                    problems.push(stray("a file"));
                    continue;
                }
            };
            let file = read_file(path, file_name, name, &mut problems)?;
            files.push(file);
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        problems.extend(duplicate_versions(&files));
        problems.extend(version_gaps(&files));
        problems.extend(unpaired(&files));
        problems.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        Ok(Folder {
            dir: dir.to_path_buf(),
            files,
            problems,
        })
    }

    /// The up files, in version order.
    pub fn ups(&self) -> impl Iterator<Item = &SqlFile> {
        self.files.iter().filter(|f| !f.name.down)
    }

    /// The down file of an up file, if there is one.
    pub fn down_of(&self, up: &SqlFile) -> Option<&SqlFile> {
        self.files.iter().find(|f| {
            f.name.down && f.name.version == up.name.version && f.name.name == up.name.name
        })
    }
}

/// Reads one migration file and checks its text: encoding, statements, transaction control and
/// the no-transaction rules.
fn read_file(
    path: PathBuf,
    file_name: String,
    name: FileName,
    problems: &mut Vec<Problem>,
) -> Result<SqlFile, ReadError> {
    let bytes = std::fs::read(&path).map_err(|source| ReadError::Io {
        path: path.clone(),
        source,
    })?;
    let at = |line: usize, col: usize, kind| Problem {
        path: path.clone(),
        line,
        col,
        kind,
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => normalise_owned(text),
        Err(error) => {
            let valid =
                String::from_utf8_lossy(&error.as_bytes()[..error.utf8_error().valid_up_to()])
                    .into_owned();
            let (line, col) = position::at_byte(&valid, valid.len());
            problems.push(at(line, col, ProblemKind::NotUtf8));
            return Ok(SqlFile {
                path,
                file_name,
                name,
                text: None,
                no_transaction: false,
                contract: false,
                backfill: false,
                statements: 0,
            });
        }
    };
    if let Some(nul) = text.find('\0') {
        let (line, col) = position::at_byte(&text, nul);
        problems.push(at(line, col, ProblemKind::NulByte));
    }
    let no_transaction = is_no_transaction(&text);
    let contract = said(&text, CONTRACT);
    if let (true, Some(directive)) = (name.down, &contract) {
        let (line, col) = position::at_byte(&text, directive.offset);
        problems.push(at(line, col, ProblemKind::ContractInDown));
    }
    let contract = contract.is_some() && !name.down;
    let backfill = said(&text, BACKFILL);
    if let Some(directive) = &backfill {
        let reason = if name.down {
            Some(
                "rollback runs a down file once, in its transaction: undo a backfill with a \
                 statement that needs no batches, or with a backfill migration of its own",
            )
        } else if !no_transaction {
            Some(
                "a backfill commits each batch on its own, so it cannot share the run's \
                 transaction: make the file's first line `-- authdb:no-transaction`",
            )
        } else if !has_limit(&text) {
            Some(
                "its statement has no LIMIT, so one batch would change every row and hold \
                 their locks until the end: change a bounded number of rows per batch, and leave \
                 the rows already done out of the next one (`... WHERE id IN (SELECT id FROM t \
                 WHERE <not done yet> LIMIT 1000)`)",
            )
        } else {
            None
        };
        if let Some(reason) = reason {
            let (line, col) = position::at_byte(&text, directive.offset);
            problems.push(at(line, col, ProblemKind::Backfill { reason }));
        }
    }
    let backfill = backfill.is_some() && !name.down;
    let mut count = 0;
    let mut second = None;
    for statement in sql::statements(&text) {
        count += 1;
        if count == 2 {
            second = Some(statement.range.start);
        }
        if let Some(offset) = statement.too_deep {
            let (line, col) = position::at_byte(&text, offset);
            problems.push(at(line, col, ProblemKind::TooDeep));
        }
        if let Kind::TransactionControl(keywords) = statement.kind {
            let (line, col) = position::at_byte(&text, statement.range.start);
            problems.push(at(line, col, ProblemKind::TransactionControl { keywords }));
        }
    }
    if count == 0 {
        let template = is_template(&name, &text);
        problems.push(at(1, 1, ProblemKind::NoStatements { template }));
    }
    if let (true, Some(offset)) = (no_transaction, second) {
        let (line, col) = position::at_byte(&text, offset);
        problems.push(at(
            line,
            col,
            ProblemKind::NoTransactionStatements { count },
        ));
    }
    Ok(SqlFile {
        path,
        file_name,
        name,
        no_transaction,
        contract,
        backfill,
        text: Some(text),
        statements: count,
    })
}

/// Whether a `LIMIT` keyword stands in the SQL (not in a string, a comment or a body).
fn has_limit(text: &str) -> bool {
    sql::tokens(text).any(|t| {
        t.kind == squawk_lexer::TokenKind::Ident
            && text[t.start..t.end].eq_ignore_ascii_case("limit")
    })
}

fn whole_file(file: &SqlFile, kind: ProblemKind) -> Problem {
    Problem {
        path: file.path.clone(),
        line: 1,
        col: 1,
        kind,
    }
}

fn duplicate_versions(files: &[SqlFile]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for down in [false, true] {
        let mut first: BTreeMap<i64, &SqlFile> = BTreeMap::new();
        for file in files.iter().filter(|f| f.name.down == down) {
            match first.get(&file.name.version) {
                Some(other) => problems.push(whole_file(
                    file,
                    ProblemKind::DuplicateVersion {
                        other: other.file_name.clone(),
                    },
                )),
                None => {
                    first.insert(file.name.version, file);
                }
            }
        }
    }
    problems
}

fn version_gaps(files: &[SqlFile]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut previous: Option<i64> = None;
    for file in files.iter().filter(|f| !f.name.down) {
        let version = file.name.version;
        if let Some(previous) = previous
            && version > previous + 1
        {
            problems.push(whole_file(
                file,
                ProblemKind::VersionGap { previous, version },
            ));
        }
        previous = Some(version);
    }
    problems
}

fn unpaired(files: &[SqlFile]) -> Vec<Problem> {
    let key = |f: &SqlFile| (f.name.version, f.name.name.clone());
    let ups: BTreeSet<_> = files.iter().filter(|f| !f.name.down).map(key).collect();
    let downs: BTreeSet<_> = files.iter().filter(|f| f.name.down).map(key).collect();
    files
        .iter()
        .filter_map(|file| {
            let partner = file.name.partner();
            if file.name.down && !ups.contains(&key(file)) {
                Some(whole_file(
                    file,
                    ProblemKind::OrphanDownFile {
                        expected_up: partner,
                    },
                ))
            } else if !file.name.down && !downs.contains(&key(file)) {
                Some(whole_file(
                    file,
                    ProblemKind::MissingDownFile { expected: partner },
                ))
            } else {
                None
            }
        })
        .collect()
}
