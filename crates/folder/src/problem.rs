//! Everything that can be wrong with a migrations folder, in one catalogue. Each problem has an id
//! (lint prints it, and the README lists it), says what is wrong where, why it matters and what to
//! do. migrate refuses a folder with any problem and prints the same text lint does, so the two
//! cannot disagree.

use std::fmt;
use std::path::PathBuf;

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based line and column (in characters); 1:1 for a problem of the whole file.
    pub line: usize,
    pub col: usize,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// A `.sql` file whose name is not a migration name; the reason says which part.
    FileName {
        reason: &'static str,
    },
    /// Not a migration and not a companion file: "a directory", "a symbolic link", ...
    StrayFile {
        what: &'static str,
    },
    NotUtf8,
    /// PostgreSQL accepts no NUL character in a query.
    NulByte,
    /// No SQL statement, only blanks or comments; `template` when it is still `new`'s text.
    NoStatements {
        template: bool,
    },
    DuplicateVersion {
        other: String,
    },
    VersionGap {
        previous: i64,
        version: i64,
    },
    MissingDownFile {
        expected: String,
    },
    OrphanDownFile {
        expected_up: String,
    },
    /// `BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`...: the keywords as written.
    TransactionControl {
        keywords: String,
    },
    /// A no-transaction file (up or down) holding more than one statement.
    NoTransactionStatements {
        count: usize,
    },
    /// A statement nested deeper than [`crate::sql::MAX_DEPTH`]: it is never parsed.
    TooDeep,
    /// `-- authdb:contract` in a down file, where it means nothing.
    ContractInDown,
    /// A `-- authdb:backfill` file that cannot run in batches; the reason says why.
    Backfill {
        reason: &'static str,
    },
}

impl ProblemKind {
    /// The id lint prints and the README documents.
    pub fn id(&self) -> &'static str {
        match self {
            ProblemKind::FileName { .. } => "file-name",
            ProblemKind::StrayFile { .. } => "stray-file",
            ProblemKind::NotUtf8 => "not-utf8",
            ProblemKind::NulByte => "nul-byte",
            ProblemKind::NoStatements { .. } => "empty-file",
            ProblemKind::DuplicateVersion { .. } => "duplicate-version",
            ProblemKind::VersionGap { .. } => "version-gap",
            ProblemKind::MissingDownFile { .. } => "missing-down-file",
            ProblemKind::OrphanDownFile { .. } => "orphan-down-file",
            ProblemKind::TransactionControl { .. } => "transaction-control",
            ProblemKind::NoTransactionStatements { .. } => "no-transaction-statements",
            ProblemKind::TooDeep => "too-deep",
            ProblemKind::ContractInDown => "contract-in-down",
            ProblemKind::Backfill { .. } => "backfill",
        }
    }

    /// Every id, for the README and for lint's catalogue.
    pub const IDS: &[&str] = &[
        "file-name",
        "stray-file",
        "not-utf8",
        "nul-byte",
        "empty-file",
        "duplicate-version",
        "version-gap",
        "missing-down-file",
        "orphan-down-file",
        "transaction-control",
        "no-transaction-statements",
        "too-deep",
        "contract-in-down",
        "backfill",
    ];

    /// What is wrong, why it matters, and what to do, in one sentence.
    pub fn message(&self) -> String {
        match self {
            ProblemKind::FileName { reason } => format!(
                "not a migration name: {reason}; name it NNN_snake_case.sql, and its undo \
                 NNN_snake_case.down.sql"
            ),
            ProblemKind::StrayFile { what } => format!(
                "{what}, not a migration nor migrations.lock, schema.snapshot or schema.md: a \
                 stray file is refused so that a mistyped name is never skipped silently; move it \
                 out of the migrations folder"
            ),
            ProblemKind::NotUtf8 => {
                "not UTF-8 from here on: migrations are sent to PostgreSQL as UTF-8 text; save \
                 the file as UTF-8"
                    .into()
            }
            ProblemKind::NulByte => {
                "a NUL character, which PostgreSQL does not accept in a query; delete it".into()
            }
            ProblemKind::NoStatements { template: true } => {
                "still the template `cargo xtask new` wrote: it holds no SQL statement; write the \
                 migration (a down file undoes exactly what its up file does)"
                    .into()
            }
            ProblemKind::NoStatements { template: false } => {
                "holds no SQL statement, only blanks or comments: an empty migration is almost \
                 always an unsaved file; write it, or delete it"
                    .into()
            }
            ProblemKind::DuplicateVersion { other } => format!(
                "version also used by {other}: two files with one version run in an order nobody \
                 chose; renumber the one that no shared database has applied yet after the last \
                 version (renumbering an applied one would run it twice)"
            ),
            ProblemKind::VersionGap { previous, version } => {
                let missing = if *version == previous + 2 {
                    format!("{} is missing", previous + 1)
                } else {
                    format!("{} to {} are missing", previous + 1, version - 1)
                };
                format!(
                    "version {version} follows {previous} ({missing}): a gap is usually a deleted \
                     or not yet merged migration; number migrations consecutively"
                )
            }
            ProblemKind::MissingDownFile { expected } => format!(
                "no down file {expected}: rollback needs the exact undo of every migration; add it"
            ),
            ProblemKind::OrphanDownFile { expected_up } => format!(
                "no up file {expected_up} for this down file: a down file undoes the up file of \
                 the same number and name; rename it after its up file, or delete it"
            ),
            ProblemKind::TransactionControl { keywords } => format!(
                "{keywords} controls the transaction: every migration runs inside the run's one \
                 transaction (and each down file inside rollback's), so this would commit or lose \
                 part of the run and run the rest without the lock; delete it (authdb begins and \
                 commits), and put a statement that cannot run in a transaction alone in a file \
                 whose first line is `-- authdb:no-transaction`"
            ),
            ProblemKind::NoTransactionStatements { count } => format!(
                "this no-transaction file holds {count} statements: a file run outside a \
                 transaction cannot be undone half-way, and PostgreSQL runs several statements \
                 of one query in a transaction anyway; put each statement in a file of its own"
            ),
            ProblemKind::TooDeep => format!(
                "the statement nests deeper than {} from here (each open parenthesis or bracket \
                 counts one, and so does each token since the last comma at every open level), \
                 deeper than authdb's SQL parser reads: no migration needs this; split the \
                 expression (a long `a OR b OR ...` chain is `x IN (...)` or `x = ANY (...)`)",
                crate::sql::MAX_DEPTH
            ),
            ProblemKind::ContractInDown => {
                "`-- authdb:contract` in a down file: a contract step is its up file, which \
                 migrate holds back until the rollout is over; move the comment to the up file"
                    .into()
            }
            ProblemKind::Backfill { reason } => format!("this backfill cannot run: {reason}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.kind.id(),
            self.kind.message()
        )
    }
}
