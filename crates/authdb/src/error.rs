//! The library's one error type. Each message is meant to be read by a person at a terminal or in CI:
//! it names the file, line or setting at fault and says what to do next. No message ever carries a
//! password: URLs appear only in their redacted form.

use std::path::PathBuf;

/// Everything that can go wrong in authdb, grouped by the step that meets it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // Reading the migrations folder.
    #[error(transparent)]
    FolderUnreadable(#[from] authdb_folder::folder::ReadError),
    #[error("{}", folder_problems(dir, problems))]
    Folder {
        dir: PathBuf,
        /// Every problem of the folder, as lint reports them.
        problems: Vec<authdb_folder::Problem>,
    },
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    // Finding and parsing the database URL.
    #[error(
        "no database URL: pass --database-url, or set DATABASE_URL (or NEON_DB_URL) in the environment \
         or in a .env file"
    )]
    NoDatabaseUrl,
    #[error(
        "{origin} is empty: give the database URL, or leave it out to use DATABASE_URL (or \
         NEON_DB_URL) from the environment or a .env file"
    )]
    EmptyDatabaseUrl { origin: String },
    #[error("{}:{line}: cannot parse this line of the .env file: {reason}", path.display())]
    DotEnvSyntax {
        path: PathBuf,
        line: usize,
        /// What is wrong, never the line's text (it may hold a secret).
        reason: String,
    },
    #[error("{}: cannot read the .env file: {message}", path.display())]
    DotEnvRead { path: PathBuf, message: String },
    #[error("the database URL in {origin} is not valid: {reason}. It reads: {redacted}")]
    BadUrl {
        origin: String,
        reason: String,
        redacted: String,
        /// The driver's error, when the driver refused it.
        #[source]
        source: Option<tokio_postgres::Error>,
    },
    #[error(
        "refusing to connect to {url} without TLS (sslmode=disable): the password and the data would \
         cross the network in clear. Use sslmode=require, or set AUTHDB_ALLOW_INSECURE=1 if this network \
         is private"
    )]
    InsecureRemote { url: String },

    // Connecting.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        url: String,
        reason: String,
        /// The driver's error, with its SQLSTATE when the server refused; `None` when the
        /// failure was not the driver's (no answer in time, a CA file that is not PEM).
        #[source]
        source: Option<tokio_postgres::Error>,
    },
    #[error("cannot connect to {url} after {attempts} attempts over {seconds:.1} s: {reason}")]
    Unreachable {
        url: String,
        attempts: u32,
        seconds: f64,
        reason: String,
        /// The last attempt's driver error, as for [`Error::Connect`].
        #[source]
        source: Option<tokio_postgres::Error>,
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
        "version {version} in the database is {recorded}, a different migration from {} (another \
         branch's, applied here before yours was numbered): its file is not in this folder, so \
         nothing runs. Roll it back with that branch's down file (check the branch out and run \
         `cargo xtask rollback --to {}`), or, for a local database, start over with `cargo xtask dev \
         --reset`; then renumber yours after the last version if both must stay",
        path.display(), version - 1
    )]
    DifferentMigration {
        version: i64,
        recorded: String,
        path: PathBuf,
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
    #[error("--to {version}: there is no migration with that version in {}", dir.display())]
    UnknownVersion { version: i64, dir: PathBuf },
    #[error(
        "--to {version} is below the applied version {applied}: migrate only moves forward; use \
         rollback to go back"
    )]
    UpToBehind { version: i64, applied: i64 },

    // Running migrations.
    #[error("{location}: {message}. {outcome}")]
    MigrationFailed {
        /// `path:line:col` (or just `path` when PostgreSQL gave no position).
        location: String,
        /// PostgreSQL's message, SQLSTATE, detail and hint.
        message: String,
        /// What state the failure left: [`ROLLED_BACK`] unless part of a split run was committed.
        outcome: String,
        /// The driver's error, with its SQLSTATE; `None` when the client gave up waiting.
        #[source]
        source: Option<tokio_postgres::Error>,
    },
    // Rolling back.
    #[error("nothing to roll back: the database has no applied migrations")]
    NothingToRollBack,
    #[error(
        "--to {to}: the database is at version {latest}, so there is nothing above {to} to roll back"
    )]
    RollbackToNotBelow { to: i64, latest: i64 },
    #[error(
        "the database changed between the plan and the rollback (another migrate or rollback ran): \
         nothing was rolled back; run the rollback again to see the new plan"
    )]
    RollbackPlanStale,

    // Seeding.
    #[error(
        "refusing to seed {url}: it is not on this machine, and demo accounts with a published \
         password must not reach production by accident. Pass --allow-remote if this database is \
         really meant for test data"
    )]
    SeedRemote { url: String },
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
        "refusing to write a snapshot that holds nothing: the migrations (up to version {version}) \
         created {count} object(s) ({examples}), but none where the snapshot reads: every schema \
         except PostgreSQL's own (pg_catalog, information_schema, pg_toast, pg_temp) and \
         objects of extensions. verify would then pass on any database without looking. Create \
         them in a schema of your own (CREATE SCHEMA app; CREATE TABLE app.t ...); nothing was \
         written"
    )]
    SnapshotEmpty {
        version: String,
        count: usize,
        examples: String,
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

    // Any step on the network.
    #[error(
        "the server did not answer {what} within {} s: the connection is presumed lost (a paused \
         or unreachable server, or a proxy that stopped forwarding). Nothing is committed that was \
         not reported as committed; check that the server is up, then run the command again",
        waited.as_secs_f64()
    )]
    NoAnswer {
        what: String,
        waited: std::time::Duration,
    },
    #[error(
        "another migrate or rollback holds the migration lock ({holder}) and did not finish within \
         {:.1} s: nothing was applied. Run again once it is done, or wait longer with --lock-wait",
        waited.as_secs_f64()
    )]
    MigrationLocked {
        holder: String,
        waited: std::time::Duration,
    },
    #[error(
        "{location}: the run's transaction ended inside this file (the server reports another \
         transaction than the one the run began), so what ran before it may be committed. The \
         database records version {} as applied; this file is not recorded, and any of its statements \
         may have run: check with `cargo xtask status` and `cargo xtask verify` before running again",
        version.map_or("none".to_string(), |v| v.to_string())
    )]
    TransactionEnded {
        location: String,
        version: Option<i64>,
    },

    #[error("hashing a seed password failed: {reason}")]
    PasswordHash { reason: String },

    // The dev database.
    #[error(
        "the dev database does not match the migrations: {}. `cargo xtask dev --reset` deletes it \
         and starts over",
        problems.join("; ")
    )]
    DevDiffers { problems: Vec<String> },

    // Adopting.
    #[error(
        "adopt cannot reconcile this database automatically, so nothing was changed: {}",
        reasons.join("; ")
    )]
    AdoptRefused { reasons: Vec<String> },
    #[error(
        "the database changed between the plan and --apply (another adopt, migrate or a hand-made \
         change): nothing was changed; plan again and review the new script"
    )]
    AdoptPlanStale,
    #[error(
        "the reconciliation script ran, but the schema still differs from the snapshot ({}), so it \
         was rolled back and nothing changed. This is a gap in adopt's planner: please report it, \
         and reconcile these by hand",
        differences.join("; ")
    )]
    AdoptIncomplete { differences: Vec<String> },

    // Rehearsing.
    #[error(
        "nothing to rehearse: the database already has every migration of {} up to version {}; \
         rehearse a database at an earlier version (--from N)",
        dir.display(),
        version.map_or("none".to_string(), |v| v.to_string())
    )]
    NothingToRehearse { dir: PathBuf, version: Option<i64> },
    #[error(
        "the probe needs users with a session to look up, and the database has none: seed some \
         first (--users N, at least 1)"
    )]
    NoAccountsToProbe,
    #[error(
        "{location}: {message}. The database to rehearse on is built from this file, and it must \
         run as it is"
    )]
    LegacySql { location: String, message: String },

    #[error("{context}: {reason}")]
    Database {
        context: String,
        reason: String,
        /// The driver's error, with its SQLSTATE; `None` when the failure was not the driver's.
        #[source]
        source: Option<tokio_postgres::Error>,
    },
}

/// One paragraph for every problem of the folder: nothing runs until they are fixed.
fn folder_problems(dir: &std::path::Path, problems: &[authdb_folder::Problem]) -> String {
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    match listed.as_slice() {
        [one] => format!("{one}. Nothing was run: the migrations folder must be valid first"),
        _ => format!(
            "the migrations folder {} has {} problems, so nothing was run: {}",
            dir.display(),
            listed.len(),
            listed.join("; ")
        ),
    }
}

/// The outcome of a failed run that was one transaction.
pub const ROLLED_BACK: &str =
    "Nothing was applied: the whole run was rolled back, and the database is as it was";

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The SQLSTATE of the server's refusal behind this error, if a server refused: `28P01` for
    /// a wrong password, `3D000` for a database that does not exist, `57014` for a cancelled
    /// statement. Found by walking the error's causes, so every variant that keeps the driver's
    /// error answers.
    pub fn sqlstate(&self) -> Option<&str> {
        driver_error(self)
            .and_then(tokio_postgres::Error::code)
            .map(tokio_postgres::error::SqlState::code)
    }
}

/// The first driver error among `error`'s causes.
pub(crate) fn driver_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a tokio_postgres::Error> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(driver) = error.downcast_ref::<tokio_postgres::Error>() {
            return Some(driver);
        }
        cause = error.source();
    }
    None
}

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
        source: Some(error),
    }
}
