//! The library's one error type. Each message is meant to be read by a person at a terminal or in CI:
//! it names the file, line or setting at fault and says what to do next. No message ever carries a
//! password: URLs appear only in their redacted form.

use std::path::PathBuf;

/// Everything that can go wrong in authdb, grouped by the step that meets it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // Reading the migrations folder.
    #[error("migrations folder {} does not exist: create it, or pass --migrations DIR", .0.display())]
    MigrationsDirMissing(PathBuf),
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: the name does not match NNN_name.sql (a version number, an underscore, a snake_case name, \
         and .sql or .down.sql): rename it, or move it out of the migrations folder",
        .0.display()
    )]
    BadFileName(PathBuf),
    #[error(
        "{}: version {version} is also used by {}: give one of them the next free number",
        path.display(), other.display()
    )]
    DuplicateVersion {
        version: i64,
        path: PathBuf,
        other: PathBuf,
    },
    #[error(
        "{}: a down file with no up file of the same version and name: rename it to match its \
         migration, or delete it",
        .0.display()
    )]
    OrphanDownFile(PathBuf),
    #[error(
        "{0:?} is not a migration name: use lowercase letters, digits and underscores, e.g. \
         add_users_display_name"
    )]
    BadMigrationName(String),
    #[error("{}: the file is empty: a migration needs at least one SQL statement", .0.display())]
    EmptyMigration(PathBuf),
    #[error("{}:{line}: the file is not valid UTF-8: save it as UTF-8", path.display())]
    NotUtf8 { path: PathBuf, line: usize },

    // Finding and parsing the database URL.
    #[error(
        "no database URL: pass --database-url, or set DATABASE_URL (or NEON_DB_URL) in the environment \
         or in a .env file"
    )]
    NoDatabaseUrl,
    #[error("{}:{line}: cannot parse this line of the .env file: expected KEY=value", path.display())]
    DotEnvSyntax { path: PathBuf, line: usize },
    #[error("{}: cannot read the .env file: {message}", path.display())]
    DotEnvRead { path: PathBuf, message: String },
    #[error("the database URL in {origin} is not valid: {reason}. It reads: {redacted}")]
    BadUrl {
        origin: String,
        reason: String,
        redacted: String,
    },
    #[error(
        "refusing to connect to {target} without TLS (sslmode=disable): the password and the data would \
         cross the network in clear. Use sslmode=require, or set AUTHDB_ALLOW_INSECURE=1 if this network \
         is private"
    )]
    InsecureRemote { target: String },

    // Connecting.
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("cannot connect to {target} after {attempts} attempts over {seconds:.1} s: {reason}")]
    Unreachable {
        target: String,
        attempts: u32,
        seconds: f64,
        reason: String,
    },

    // Comparing the folder with the tracking table.
    #[error(
        "{}: the file was changed after version {version} was applied (checksum in the database {recorded}, \
         file {actual}). An applied migration must not be edited: restore the file (git checkout -- {}) \
         and put the change in a new migration",
        path.display(), path.display()
    )]
    ModifiedMigration {
        version: i64,
        path: PathBuf,
        recorded: String,
        actual: String,
    },
    #[error(
        "version {version} ({name}) is recorded as applied in the database but {} has no file for it: \
         restore the file from version control, or point --migrations at the folder it came from",
        dir.display()
    )]
    MissingMigration {
        version: i64,
        name: String,
        dir: PathBuf,
    },
    #[error(
        "{}: this migration is pending but version {applied} is already applied, so it would run out \
         of order: renumber it above {applied}",
        path.display()
    )]
    OutOfOrder { path: PathBuf, applied: i64 },
    #[error(
        "{}: a no-transaction migration cannot run through a transaction-mode pooler (the lock \
         that keeps other migrators out needs a session of its own). Nothing was applied: run \
         migrate against the direct endpoint (the host name without -pooler)",
        path.display()
    )]
    NoTransactionThroughPooler { path: PathBuf },
    #[error("--target {target}: there is no migration with that version in {}", dir.display())]
    UnknownTarget { target: i64, dir: PathBuf },
    #[error(
        "--target {target} is below the applied version {applied}: migrate only moves forward; use \
         rollback to go back"
    )]
    TargetBehind { target: i64, applied: i64 },

    // Running migrations.
    #[error("{location}: {message}. {outcome}")]
    MigrationFailed {
        /// `path:line:col` (or just `path` when PostgreSQL gave no position).
        location: String,
        /// PostgreSQL's message, SQLSTATE, detail and hint.
        message: String,
        /// What state the failure left: [`ROLLED_BACK`] unless part of a split run was committed.
        outcome: String,
    },
    // Rolling back.
    #[error("nothing to roll back: the database has no applied migrations")]
    NothingToRollBack,
    #[error(
        "--to {target}: the database is at version {latest}, so there is nothing above {target} to roll back"
    )]
    RollbackTargetNotBelow { target: i64, latest: i64 },
    #[error(
        "{}: the down file is missing, so this migration cannot be rolled back: write it (it must undo \
         exactly what the up file does), or roll back to a later version",
        path.display()
    )]
    MissingDownFile { path: PathBuf },
    #[error(
        "the database changed between the plan and the rollback (another migrate or rollback ran): \
         nothing was rolled back; run the rollback again to see the new plan"
    )]
    RollbackPlanStale,

    // Seeding.
    #[error(
        "refusing to seed {target}: it is not on this machine, and demo accounts with a published \
         password must not reach production by accident. Pass --allow-remote if this database is \
         really meant for test data"
    )]
    SeedRemote { target: String },
    #[error("cannot seed {users} synthetic users: the number must be from 1 to {max}")]
    SeedUsers { users: u64, max: u64 },

    // Verifying and baselining.
    #[error(
        "{}: there is no snapshot of the schema: run `cargo xtask snapshot` to write it from the \
         migrations, and commit it",
        path.display()
    )]
    SnapshotMissing { path: PathBuf },
    #[error(
        "{}:{line}: {reason}. The file is generated: run `cargo xtask snapshot` to write it again",
        path.display()
    )]
    SnapshotSyntax {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "{}: the snapshot describes version {snapshot}, but the latest migration is {latest}: run \
         `cargo xtask snapshot` and commit the file",
        path.display()
    )]
    SnapshotStale {
        path: PathBuf,
        snapshot: String,
        latest: String,
    },
    #[error(
        "refusing to baseline: the database already records {count} applied migration(s) in {table}, \
         up to version {latest}. Baseline adopts a database migrated before authdb; this one is \
         tracked already: check it with `cargo xtask verify`"
    )]
    AlreadyTracked {
        table: String,
        count: usize,
        latest: i64,
    },

    #[error("{context}: {reason}")]
    Database { context: String, reason: String },
}

/// The outcome of a failed run that was one transaction.
pub const ROLLED_BACK: &str =
    "Nothing was applied: the whole run was rolled back, and the database is as it was";

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Renders a driver error with its causes and, for server errors, SQLSTATE, detail and hint:
/// tokio-postgres's own `Display` stops at "db error".
pub fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str(&format!("; detail: {detail}"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; hint: {hint}"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Wraps a driver error with what authdb was doing when it happened.
pub(crate) fn database(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
    let context = context.into();
    move |error| Error::Database {
        context,
        reason: describe(&error),
    }
}
