//! Applying migrations. A run is one transaction: it takes the migration lock, reads the tracking
//! table, applies every pending file and records it, then commits. Any failure rolls the whole run
//! back, so the database is always at the old version or the new one, never in between.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;

use crate::error::{Error, Result, database, describe};
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
pub async fn migrate(
    client: &mut Client,
    migrations: &Migrations,
    options: &MigrateOptions,
) -> Result<MigrateReport> {
    let started = Instant::now();
    let tx = client
        .transaction()
        .await
        .map_err(database("starting the migration transaction"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(database("taking the migration lock"))?;
    // Only after the lock: waiting for another migrator to finish is fine, waiting on the
    // application's table locks is not.
    set_timeouts(&tx, options).await?;

    let applied = tracking::read(&tx).await?;
    plan::check_history(migrations, &applied)?;
    let pending = plan::pending(migrations, &applied, options.target)?;
    let from_version = applied.iter().map(|a| a.version).max();
    let to_version = pending.last().map(|m| m.version).or(from_version);

    let mut steps = Vec::with_capacity(pending.len());
    if options.dry_run || pending.is_empty() {
        steps.extend(pending.iter().map(|m| Step {
            version: m.version,
            name: m.file_stem(),
            duration_ms: 0.0,
        }));
        tx.rollback()
            .await
            .map_err(database("ending the migration transaction"))?;
    } else {
        tracking::create(&tx).await?;
        for migration in pending {
            let step_started = Instant::now();
            tx.batch_execute(&migration.sql)
                .await
                .map_err(|e| failure(migration, &e))?;
            let elapsed = step_started.elapsed();
            tracking::record(&tx, migration, elapsed.as_millis() as i64).await?;
            steps.push(Step {
                version: migration.version,
                name: migration.file_stem(),
                duration_ms: elapsed.as_secs_f64() * 1000.0,
            });
        }
        tx.commit().await.map_err(|e| Error::MigrationFailed {
            location: "COMMIT".into(),
            message: describe(&e),
        })?;
    }
    Ok(MigrateReport {
        dry_run: options.dry_run,
        from_version,
        to_version,
        steps,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// Every migration with its state, without taking the lock or changing anything.
pub async fn status(client: &Client, migrations: &Migrations) -> Result<Vec<Entry>> {
    let applied = tracking::read(client).await?;
    Ok(plan::compare(migrations, &applied))
}

async fn set_timeouts(
    tx: &tokio_postgres::Transaction<'_>,
    options: &MigrateOptions,
) -> Result<()> {
    let mut sql = String::new();
    if let Some(t) = options.lock_timeout {
        sql.push_str(&format!("SET LOCAL lock_timeout = {};", t.as_millis()));
    }
    if let Some(t) = options.statement_timeout {
        sql.push_str(&format!("SET LOCAL statement_timeout = {};", t.as_millis()));
    }
    if sql.is_empty() {
        return Ok(());
    }
    tx.batch_execute(&sql)
        .await
        .map_err(database("setting lock_timeout and statement_timeout"))
}

/// Names the file, and the line and column when PostgreSQL points at one.
fn failure(migration: &Migration, error: &tokio_postgres::Error) -> Error {
    let path = migration.path.display();
    let mut message = describe(error);
    let location = match error.as_db_error().and_then(|db| db.position()) {
        Some(ErrorPosition::Original(position)) => {
            let (line, col) = line_col(&migration.sql, *position as usize);
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
    Error::MigrationFailed { location, message }
}
