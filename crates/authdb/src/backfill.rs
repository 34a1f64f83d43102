//! A `-- authdb:backfill` migration: its one statement sent again and again, each time alone
//! (so PostgreSQL runs it in a transaction of its own and commits it), until it changes no row.
//! A batch holds its row locks only while it runs, so the service's writes to the same table
//! wait at most one batch; and because the statement leaves the rows already done out of the
//! next batch (the folder insists on a `LIMIT`, the docs on the `WHERE`), a run killed between
//! batches, or in one, is resumed by running the file again: a batch that did not commit did
//! nothing, one that did is not repeated.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::error::Result;
use crate::migrations::Migration;
use crate::notice::{Notice, Notify};
use crate::transaction::{SERVER_GRACE, Timeouts, failure_in_message, unanswered};

/// What a backfill did: how many batches it sent and how many rows they changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Backfilled {
    pub batches: u64,
    pub rows: u64,
}

/// One batch done, for the progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub path: std::path::PathBuf,
    /// Counted from 1 in this run.
    pub batch: u64,
    /// Changed by this batch; 0 ends the backfill.
    pub rows: u64,
    /// Changed by this run so far.
    pub total: u64,
    /// Rows per second over this run so far.
    pub rate: u64,
    /// How long the batch held its locks.
    pub took: Duration,
}

/// Runs the batches of `migration` (a no-transaction file: the session's timeouts are set),
/// pausing `pause` between two. Every batch is under the statement deadline; a failing one is
/// named by file, line and column like any statement.
pub(crate) async fn run(
    client: &Client,
    migration: &Migration,
    timeouts: Timeouts,
    pause: Option<Duration>,
    notify: &Notify,
) -> Result<(Duration, Backfilled)> {
    let sql = &migration.sql;
    let statement = authdb_folder::sql::statements(sql)
        .next()
        .expect("a backfill file holds one statement (the folder checks)");
    let text = &sql[statement.range.clone()];
    let start = statement.range.start;
    let (line, _) = authdb_folder::position::at_byte(sql, start);
    let here = |done: bool| match done {
        false => Notice::Statement {
            path: migration.path.clone(),
            line,
        },
        true => Notice::StatementDone {
            path: migration.path.clone(),
            line,
        },
    };
    let deadline = timeouts.statement.map(|limit| limit + SERVER_GRACE);
    let started = Instant::now();
    let mut done = Backfilled::default();
    loop {
        let batch_started = Instant::now();
        // Each batch is a statement to whoever watches them (rehearse times and blames each).
        notify.send(&here(false));
        let sent = async {
            client
                .simple_query(text)
                .await
                .map_err(|e| failure_in_message(&migration.path, sql, start, 0, e))
        };
        let messages = match deadline {
            None => sent.await?,
            Some(limit) => tokio::time::timeout(limit, sent)
                .await
                .map_err(|_| unanswered(&migration.path, sql, start, limit))??,
        };
        let rows = messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::CommandComplete(rows) => Some(*rows),
                _ => None,
            })
            .sum::<u64>();
        notify.send(&here(true));
        done.batches += 1;
        done.rows += rows;
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        notify.send(&Notice::Backfill(Batch {
            path: migration.path.clone(),
            batch: done.batches,
            rows,
            total: done.rows,
            rate: (done.rows as f64 / seconds).round() as u64,
            took: batch_started.elapsed(),
        }));
        if rows == 0 {
            return Ok((started.elapsed(), done));
        }
        if let Some(pause) = pause {
            tokio::time::sleep(pause).await;
        }
    }
}
