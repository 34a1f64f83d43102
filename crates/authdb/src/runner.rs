//! Applying migrations. A run is one transaction: it takes the migration lock, reads the tracking
//! table, applies every pending file and records it, then commits. Any failure rolls the whole run
//! back, so the database is always at the old version or the new one, never in between.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;

use crate::error::{Error, ROLLED_BACK, Result, database, describe};
use crate::migrations::{Migration, Migrations, line_col};
use crate::plan::{self, Entry};
use crate::tracking;

/// Key of the transaction-level advisory lock that serialises migrators ("authdb" in ASCII).
/// Transaction-level so it is released by COMMIT or ROLLBACK, even through a transaction-mode
/// pooler, and by the server if the client dies.
pub const LOCK_KEY: i64 = 0x6175_7468_6462;

#[derive(Debug, Clone, Default)]
pub struct MigrateOptions {
    /// Apply up to and including this version.
    pub target: Option<i64>,
    /// Plan, print, change nothing.
    pub dry_run: bool,
    /// `lock_timeout` for the migrations' statements: how long to wait for a table lock held by
    /// the application before giving up, instead of queueing the application's queries behind us.
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout` for each statement.
    pub statement_timeout: Option<Duration>,
}

/// One migration of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub version: i64,
    pub name: String,
    /// Zero in a dry run.
    pub duration_ms: f64,
}

/// What a run did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    pub dry_run: bool,
    /// The highest applied version before the run, if any.
    pub from_version: Option<i64>,
    /// The highest applied version after the run (planned, in a dry run).
    pub to_version: Option<i64>,
    pub steps: Vec<Step>,
    pub duration_ms: f64,
}

/// Applies the pending migrations in one transaction under the migration lock.
///
/// A migration marked `-- authdb:no-transaction` cannot share it: the migrations before it are
/// committed, it runs alone, and the rest follow in a new transaction. A session-level lock on
/// the same key is held across the pieces, so no other migrator slips in between.
pub async fn migrate(
    client: &mut Client,
    migrations: &Migrations,
    options: &MigrateOptions,
) -> Result<MigrateReport> {
    let started = Instant::now();
    let timeouts = Timeouts::from(options);
    begin_locked(client, timeouts).await?;
    let planned = plan_migrate(client, migrations, options).await;
    let (pending, from_version) = match planned {
        Ok(planned) => planned,
        Err(error) => return Err(abort(client, error).await),
    };
    let to_version = pending.last().map(|m| m.version).or(from_version);
    let mut report = MigrateReport {
        dry_run: options.dry_run,
        from_version,
        to_version,
        steps: Vec::with_capacity(pending.len()),
        duration_ms: 0.0,
    };
    if options.dry_run || pending.is_empty() {
        report.steps.extend(pending.iter().map(|m| Step {
            version: m.version,
            name: m.file_stem(),
            duration_ms: 0.0,
        }));
        end(client, "ROLLBACK").await?;
        report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        return Ok(report);
    }
    let split = pending.iter().any(|m| m.no_transaction);
    let applied = apply(client, &pending, timeouts, split, &mut report.steps).await;
    if split {
        // Released even after a failure: the session may be reused by whoever embeds us.
        let _ = client
            .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
            .await;
    }
    applied?;
    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// Reads the tracking table and decides what to apply. Runs inside the locked transaction.
async fn plan_migrate<'a>(
    client: &Client,
    migrations: &'a Migrations,
    options: &MigrateOptions,
) -> Result<(Vec<&'a Migration>, Option<i64>)> {
    let applied = tracking::read(client).await?;
    plan::check_history(migrations, &applied)?;
    let pending = plan::pending(migrations, &applied, options.target)?;
    if !options.dry_run && !pending.is_empty() {
        tracking::create(client).await?;
    }
    Ok((pending, applied.iter().map(|a| a.version).max()))
}

/// Applies `pending`, starting inside the open locked transaction, and commits.
async fn apply(
    client: &Client,
    pending: &[&Migration],
    timeouts: Timeouts,
    split: bool,
    steps: &mut Vec<Step>,
) -> Result<()> {
    if split {
        client
            .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
            .await
            .map_err(database("taking the session-level migration lock"))?;
    }
    let mut in_transaction = true;
    // The version the database is at, once a piece of a split run has been committed.
    let mut committed = None;
    for migration in pending {
        if migration.no_transaction && in_transaction {
            end(client, "COMMIT").await?;
            committed = steps.last().map(|s| s.version);
            in_transaction = false;
        } else if !migration.no_transaction && !in_transaction {
            begin_locked(client, timeouts).await?;
            in_transaction = true;
        }
        if migration.no_transaction {
            set_timeouts(client, timeouts, "SET").await?;
        }
        let result = run_script(client, &migration.path, &migration.sql).await;
        let result = match result {
            Ok(elapsed) => tracking::record(client, migration, elapsed.as_millis() as i64)
                .await
                .map(|()| elapsed),
            Err(error) => Err(error),
        };
        let elapsed = match result {
            Ok(elapsed) => elapsed,
            Err(error) if in_transaction => {
                let error = abort(client, error).await;
                return Err(partly_committed(error, committed, true));
            }
            Err(error) => return Err(partly_committed(error, committed, false)),
        };
        if !in_transaction {
            committed = Some(migration.version);
        }
        steps.push(Step {
            version: migration.version,
            name: migration.file_stem(),
            duration_ms: elapsed.as_secs_f64() * 1000.0,
        });
    }
    if in_transaction {
        end(client, "COMMIT").await?;
    }
    Ok(())
}

/// Corrects the outcome of a failure in a split run: what an earlier piece committed stays, and
/// a migration that ran outside a transaction may have left something behind.
fn partly_committed(error: Error, committed: Option<i64>, rolled_back: bool) -> Error {
    let Error::MigrationFailed {
        location,
        message,
        outcome,
    } = error
    else {
        return error;
    };
    let before = match committed {
        Some(version) => format!(
            "The migrations before it were committed (the run was split by a no-transaction \
             migration): the database is at version {version}"
        ),
        None => "Nothing before it was applied".to_string(),
    };
    let outcome = match (committed, rolled_back) {
        (None, true) => outcome,
        (Some(_), true) => format!("{before}; this part of the run was rolled back"),
        (_, false) => format!(
            "{before}; this migration ran outside a transaction (-- authdb:no-transaction), so \
             check what it left, e.g. an INVALID index to drop before retrying"
        ),
    };
    Error::MigrationFailed {
        location,
        message,
        outcome,
    }
}

/// The lock and statement timeouts of a run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Timeouts {
    pub lock: Option<Duration>,
    pub statement: Option<Duration>,
}

impl From<&MigrateOptions> for Timeouts {
    fn from(options: &MigrateOptions) -> Self {
        Timeouts {
            lock: options.lock_timeout,
            statement: options.statement_timeout,
        }
    }
}

/// BEGIN, then the migration lock, then the timeouts: only after the lock, because waiting for
/// another migrator to finish is fine, waiting on the application's table locks is not.
pub(crate) async fn begin_locked(client: &Client, timeouts: Timeouts) -> Result<()> {
    client
        .batch_execute("BEGIN")
        .await
        .map_err(database("starting the migration transaction"))?;
    let locked = client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(database("taking the migration lock"));
    let result = match locked {
        Ok(_) => set_timeouts(client, timeouts, "SET LOCAL").await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(()),
        Err(error) => Err(abort(client, error).await),
    }
}

/// COMMIT or ROLLBACK; a failed COMMIT means nothing of the run was applied.
pub(crate) async fn end(client: &Client, command: &str) -> Result<()> {
    client
        .batch_execute(command)
        .await
        .map_err(|e| Error::MigrationFailed {
            location: command.to_string(),
            message: describe(&e),
            outcome: ROLLED_BACK.to_string(),
        })
}

/// Rolls back after `error` and returns it. The ROLLBACK's own failure is ignored: a broken
/// connection has already rolled the transaction back on the server.
pub(crate) async fn abort(client: &Client, error: Error) -> Error {
    let _ = client.batch_execute("ROLLBACK").await;
    error
}

/// Runs one file's SQL; a failure names the file and, when PostgreSQL points at one, the line
/// and column.
pub(crate) async fn run_script(client: &Client, path: &Path, sql: &str) -> Result<Duration> {
    let started = Instant::now();
    client
        .batch_execute(sql)
        .await
        .map_err(|e| failure(path, sql, &e))?;
    Ok(started.elapsed())
}

/// Every migration with its state, without taking the lock or changing anything.
pub async fn status(client: &Client, migrations: &Migrations) -> Result<Vec<Entry>> {
    let applied = tracking::read(client).await?;
    Ok(plan::compare(migrations, &applied))
}

/// `SET LOCAL` inside a transaction; `SET` for a migration that runs on its own.
async fn set_timeouts(client: &Client, timeouts: Timeouts, set: &str) -> Result<()> {
    let mut sql = String::new();
    for (name, value) in [
        ("lock_timeout", timeouts.lock),
        ("statement_timeout", timeouts.statement),
    ] {
        if let Some(value) = value {
            sql.push_str(&format!("{set} {name} = {};", value.as_millis()));
        }
    }
    if sql.is_empty() {
        return Ok(());
    }
    client
        .batch_execute(&sql)
        .await
        .map_err(database("setting lock_timeout and statement_timeout"))
}

fn failure(path: &Path, sql: &str, error: &tokio_postgres::Error) -> Error {
    let path = path.display();
    let mut message = describe(error);
    let location = match error.as_db_error().and_then(|db| db.position()) {
        Some(ErrorPosition::Original(position)) => {
            let (line, col) = line_col(sql, *position as usize);
            format!("{path}:{line}:{col}")
        }
        // An error inside a function body: PostgreSQL points into the body, not the file.
        Some(ErrorPosition::Internal { query, .. }) => {
            message.push_str(&format!(" (in the statement: {query})"));
            path.to_string()
        }
        None => path.to_string(),
    };
    if let Some(context) = error.as_db_error().and_then(|db| db.where_()) {
        message.push_str(&format!(" (context: {context})"));
    }
    if error.as_db_error().is_none() {
        message
            .push_str(" (the connection failed; the server rolls back an unfinished transaction)");
    }
    Error::MigrationFailed {
        location,
        message,
        outcome: ROLLED_BACK.to_string(),
    }
}
