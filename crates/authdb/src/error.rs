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
        "version {version} in the database is {recorded}, another migration than {} (their names \
         and their checksums differ), most likely another branch's, applied here first. Nothing \
         runs. If both must stay, give the next free number to the one that no shared database \
         (production) has applied yet, and bring the other's files into this folder (merge its \
         branch). If {recorded} should not be in this database, revert it with its own down file, \
         from the branch that has it: `cargo xtask rollback --to {}` shows what it would drop \
         and asks first (a local database can instead start over with `cargo xtask dev --reset`)",
        path.display(), version - 1
    )]
    DifferentMigration {
        version: i64,
        recorded: String,
        path: PathBuf,
    },
    #[error(
        "{}: version {version} was applied as {recorded}, and this file has the same content (its \
         checksum is unchanged): it was renamed, nothing else. Nothing runs, and nothing needs \
         rolling back. Rename it back (`git mv {} {}` and `git mv {} {}`), or record the new \
         name: `UPDATE public.authdb_schema_migrations SET name = '{}' WHERE version = {version} \
         AND name = '{}'`",
        path.display(),
        path.display(), path.with_file_name(format!("{recorded}.sql")).display(),
        down.display(), down.with_file_name(format!("{recorded}.down.sql")).display(),
        stem(path), recorded.replace('\'', "''")
    )]
    RenamedMigration {
        version: i64,
        /// The name the database recorded.
        recorded: String,
        path: PathBuf,
        down: PathBuf,
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
        "{}: the index {index} this migration builds already exists and is INVALID (left by an \
         earlier CREATE INDEX CONCURRENTLY that failed or was interrupted), so building it would \
         fail. Nothing was applied. Drop it with `{drop};` (it holds nothing a query uses), or \
         run migrate with --repair-invalid-indexes to drop it and build it again",
        path.display()
    )]
    InvalidIndex {
        path: PathBuf,
        index: String,
        drop: String,
    },
    #[error(
        "version {version} ({name}) was started at {started} and not seen to finish: {reason}. \
         Nothing was applied"
    )]
    UnfinishedMigration {
        version: i64,
        name: String,
        started: String,
        reason: String,
    },
    #[error(
        "{}: {} not recorded in public.authdb_schema_migrations, but later versions are \
         (up to {latest}): a gap in the recorded history (a row deleted by hand, or the database \
         changed by another tool), not a new migration, since migrate applies the folder in order. \
         Nothing runs: running {} now could apply {} a second time, and so would renumbering {}. \
         `cargo xtask verify` compares the schema with the snapshot: if they match, only the \
         record is missing; restore the row from a backup, or empty the table (`DELETE FROM \
         public.authdb_schema_migrations`) and run `cargo xtask baseline`, which records every \
         migration again once it has checked that the schema equals the snapshot",
        path.display(),
        subject(versions),
        them(versions),
        them(versions),
        them(versions),
    )]
    HistoryGap {
        /// The first unrecorded file.
        path: PathBuf,
        versions: Vec<i64>,
        latest: i64,
    },
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
        "--to {version} is below the applied version {applied}: migrate only moves forward. To go \
         back to version {version}, `cargo xtask rollback --to {version}` lists what the down \
         files would drop and asks first"
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
        "{location}: {}. Rolling back {total} migrations in one transaction takes more \
         locks than the server lets one transaction hold (max_locks_per_transaction): {done} \
         down files ran before this one. Nothing was rolled back: the whole rollback was undone, \
         and the database is as it was. Roll back in steps of at most {} migrations, each its \
         own transaction: {} (or raise max_locks_per_transaction on the server)",
        message.trim_end_matches('.'),
        rollback_step(*done),
        steps(targets)
    )]
    RollbackTooLarge {
        location: String,
        /// PostgreSQL's message, SQLSTATE and hint.
        message: String,
        total: usize,
        /// Down files that ran before the one that failed.
        done: usize,
        /// The `--to` of each step, in order (boxed: every `Result` of the library carries
        /// this enum's size).
        targets: Box<[i64]>,
        #[source]
        source: Option<tokio_postgres::Error>,
    },
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
    #[error(
        "cannot seed: the database has no table {} (it is at version {}{}): run `cargo xtask \
         migrate` first",
        missing.join(", "),
        version.map_or("none".to_string(), |v| v.to_string()),
        latest.map_or(String::new(), |v| format!("; the migrations go up to version {v}"))
    )]
    SeedUnmigrated {
        missing: Vec<String>,
        version: Option<i64>,
        latest: Option<i64>,
    },
    #[error("cannot seed {users} synthetic users: the number must be from 1 to {max}")]
    SeedUsers { users: u64, max: u64 },

    // Verifying and baselining.
    #[error(
        "{}: there is no snapshot of the schema: run `cargo xtask snapshot` to write it from the \
         migrations, and commit it",
        path.display()
    )]
    SnapshotMissing { path: PathBuf },
    /// A live version's file says where its parameters come from in a way rehearse cannot play.
    #[error("{location}: {reason}")]
    LiveArgs { location: String, reason: String },
    /// `new --rename-column` cannot plan the change from the snapshot.
    #[error("{what}: {reason}; nothing was written")]
    Expand { what: String, reason: String },
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

    /// A step of a run that failed on the server outside any migration's SQL (reading the
    /// catalog, writing a row), with what the database holds now.
    #[error("{cause}. {outcome}")]
    RunStopped {
        #[source]
        cause: Box<Error>,
        outcome: String,
    },
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

/// `001_create_users` of `migrations/001_create_users.sql`.
fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// "version 3 is", "versions 3 and 5 are", "versions 3, 5 and 6 are".
fn subject(versions: &[i64]) -> String {
    let text: Vec<String> = versions.iter().map(i64::to_string).collect();
    match text.split_last() {
        Some((last, [])) => format!("version {last} is"),
        Some((last, rest)) => format!("versions {} and {last} are", rest.join(", ")),
        None => String::new(),
    }
}

/// How many migrations one step of a rollback that ran out of locks after `done` down files
/// reverts: half as many, so that each step stays well inside the lock table.
pub(crate) fn rollback_step(done: usize) -> usize {
    (done / 2).max(1)
}

/// "`cargo xtask rollback --to 250`, then `--to 200`, ..., then `--to 0`": every step when
/// there are few, else the first three and the last.
fn steps(targets: &[i64]) -> String {
    let to = |v: &i64| format!("`--to {v}`");
    let mut shown: Vec<String> = match targets.len() {
        0..=5 => targets.iter().map(to).collect(),
        _ => {
            let mut first: Vec<String> = targets[..3].iter().map(to).collect();
            first.push(format!("... ({} steps in all)", targets.len()));
            first.extend(targets.last().map(to));
            first
        }
    };
    if let Some(first) = shown.first_mut() {
        *first = format!("`cargo xtask rollback {}", first.trim_start_matches('`'));
    }
    shown.join(", then ")
}

fn them(versions: &[i64]) -> &'static str {
    if versions.len() == 1 { "it" } else { "them" }
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
