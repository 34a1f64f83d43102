//! The migration transaction and what runs inside it. Migrate and rollback share these rules:
//! BEGIN, then the advisory lock, then the timeouts; each file's failure names the file, line and
//! column; a failure ends in ROLLBACK; and the client never waits forever on a silent server.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio_postgres::Client;
use tokio_postgres::error::ErrorPosition;

use crate::error::{Error, ROLLED_BACK, Result, database, describe};
use authdb_folder::position;

/// Key of the transaction-level advisory lock that serialises migrators ("authdb" in ASCII).
/// Transaction-level so it is released by COMMIT or ROLLBACK, even through a transaction-mode
/// pooler, and by the server if the client dies.
pub const LOCK_KEY: i64 = 0x6175_7468_6462;

/// The lock and statement timeouts of a run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Timeouts {
    pub lock: Option<Duration>,
    pub statement: Option<Duration>,
}

/// BEGIN, then the migration lock, then the timeouts: only after the lock, because waiting for
/// another migrator to finish is fine, waiting on the application's table locks is not.
pub(crate) async fn begin_locked(client: &Client, timeouts: Timeouts) -> Result<()> {
    // One round trip: a migrate with nothing to do is mostly connection set-up and these.
    // client_connection_check_interval: if this process dies mid-run (kill -9, lost network),
    // the server notices within a second even during a long statement, and rolls back and
    // releases the lock (PostgreSQL 14+).
    let sql = format!(
        "BEGIN; SET LOCAL client_connection_check_interval = 1000; \
         SELECT pg_advisory_xact_lock({LOCK_KEY}); {}",
        timeout_settings(timeouts, "SET LOCAL")
    );
    match client.batch_execute(&sql).await {
        Ok(()) => Ok(()),
        Err(error) => {
            let error = database("starting the migration transaction and taking its lock")(error);
            Err(abort(client, error).await)
        }
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
    // A live server answers a ROLLBACK at once; a lost one never will.
    let rollback = client.batch_execute("ROLLBACK");
    let _ = tokio::time::timeout(Duration::from_secs(1), rollback).await;
    error
}

/// How much longer than `statement_timeout` the client waits for an answer before it presumes
/// the server gone (paused, partitioned): the server cancels a slow statement itself first.
const SERVER_GRACE: Duration = Duration::from_secs(5);

/// Runs one file's SQL; a failure names the file and, when PostgreSQL points at one, the line
/// and column. With a statement timeout, the client also stops waiting after that time plus
/// [`SERVER_GRACE`], so a server that stopped answering gives an error instead of a hang.
pub(crate) async fn run_script(
    client: &Client,
    path: &Path,
    sql: &str,
    timeouts: Timeouts,
) -> Result<Duration> {
    let started = Instant::now();
    let run = client.batch_execute(sql);
    let result = match timeouts.statement {
        Some(limit) => tokio::time::timeout(limit + SERVER_GRACE, run)
            .await
            .map_err(|_| unanswered(path, limit + SERVER_GRACE))?,
        None => run.await,
    };
    result.map_err(|e| failure(path, sql, &e))?;
    Ok(started.elapsed())
}

fn unanswered(path: &Path, waited: Duration) -> Error {
    Error::MigrationFailed {
        location: path.display().to_string(),
        message: format!(
            "the server did not answer within {} s (--statement-timeout plus {} s), so the connection \
             is presumed lost",
            waited.as_secs(),
            SERVER_GRACE.as_secs()
        ),
        outcome:
            "The server rolls the unfinished transaction back: nothing of this run is applied. \
                  Check that the server is up, then run migrate again"
                .to_string(),
    }
}

/// `SET LOCAL` inside a transaction; `SET` for a migration that runs on its own.
pub(crate) async fn set_timeouts(client: &Client, timeouts: Timeouts, set: &str) -> Result<()> {
    let sql = timeout_settings(timeouts, set);
    if sql.is_empty() {
        return Ok(());
    }
    client
        .batch_execute(&sql)
        .await
        .map_err(database("setting lock_timeout and statement_timeout"))
}

/// The statements that set the run's timeouts; empty when there are none.
fn timeout_settings(timeouts: Timeouts, set: &str) -> String {
    let mut sql = String::new();
    for (name, value) in [
        ("lock_timeout", timeouts.lock),
        ("statement_timeout", timeouts.statement),
    ] {
        if let Some(value) = value {
            sql.push_str(&format!("{set} {name} = {}; ", value.as_millis()));
        }
    }
    sql
}

fn failure(path: &Path, sql: &str, error: &tokio_postgres::Error) -> Error {
    let path = path.display();
    let mut message = describe(error);
    let location = match error.as_db_error().and_then(|db| db.position()) {
        Some(ErrorPosition::Original(position)) => {
            let (line, col) = position::at_char(sql, *position as usize);
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
