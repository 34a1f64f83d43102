//! A `-- authdb:no-transaction` file's own run, outside any transaction: what it drops first (an
//! INVALID index an earlier failed build left), its statement, and what its row says after.

use std::time::Duration;

use tokio_postgres::Client;

use super::MigrateOptions;
use crate::error::{Error, Result};
use crate::migrations::Migration;
use crate::retry;
use crate::timings;
use crate::tracking;
use crate::transaction::{SERVER_GRACE, Timeouts, bounded, run_script, set_timeouts, simple};
use crate::unfinished::{self, Recovery};

/// Runs a no-transaction migration whose unfinished row is committed (the caller marks it
/// finished); `timeouts` become the session's first, unless `timeouts_set` says the caller set
/// them.
/// On the statement's own failure the row goes (the statement did not complete; what an
/// interrupted index build leaves is found before the next run); on a lost connection, or a
/// server that did not answer in time, it stays, for the next run to judge.
pub(super) async fn run_alone(
    client: &Client,
    migration: &Migration,
    repairs: &[(i64, String)],
    timeouts: Timeouts,
    options: &MigrateOptions,
    timeouts_set: bool,
) -> Result<(Duration, Option<crate::backfill::Backfilled>)> {
    if !timeouts_set {
        set_timeouts(client, timeouts, "SET").await?;
    }
    let drop_first = repairs
        .iter()
        .find(|(version, _)| *version == migration.version)
        .map(|(_, sql)| sql);
    if let Some(sql) = drop_first {
        let what = format!("{sql}, before running {} again", migration.path.display());
        let deadline = timeouts.statement.map(|limit| limit + SERVER_GRACE);
        bounded(&what, deadline, simple(client, sql, &what)).await?;
    }
    let result = match migration.backfill {
        true => {
            let pause = options.backfill_pause;
            crate::backfill::run(client, migration, timeouts, pause, &options.notify)
                .await
                .map(|(elapsed, done)| (elapsed, Some(done)))
        }
        false => run_script(
            client,
            &migration.path,
            &migration.sql,
            timeouts,
            &options.notify,
        )
        .await
        .map(|elapsed| (elapsed, None)),
    };
    match result {
        Ok(ran) => Ok(ran),
        Err(error) => {
            // A lock timeout is retried: the row stays unfinished, and the next attempt finds
            // out from the catalog what the interrupted statement left (an INVALID index).
            let retried = retry::is_lock_timeout(&error) && unfinished::recoverable(&migration.sql);
            // Only the server's own answer says the statement ended. A client that gave up
            // waiting (a paused server) does not know: the statement may still run, or finish,
            // once the server wakes, so its row stays for the next run to judge. (Sent now, the
            // DELETE would wait behind the statement and run when the server woke.)
            let answered = matches!(
                &error,
                Error::MigrationFailed {
                    source: Some(_),
                    ..
                }
            );
            if answered && !client.is_closed() && !retried {
                let _ = tracking::forget(client, migration.version).await;
            }
            Err(error)
        }
    }
}

/// The INVALID indexes the pending no-transaction files would build again (an earlier failed
/// `CREATE INDEX CONCURRENTLY` leaves one, and building it again fails): each is refused with the
/// statement that drops it, or, with `repair_invalid_indexes`, dropped concurrently first. The
/// one an interrupted run of ours left is dropped without asking: its unfinished row proves it.
pub(super) async fn invalid_indexes(
    client: &Client,
    pending: &[&Migration],
    recovered: &[Recovery],
    options: &MigrateOptions,
    validity: &std::collections::HashMap<i64, bool>,
) -> Result<Vec<(i64, String)>> {
    let mut repairs: Vec<(i64, String)> = recovered
        .iter()
        .filter_map(|r| match &r.action {
            unfinished::Action::RunAgain {
                drop_first: Some(sql),
            } => Some((r.version, sql.clone())),
            _ => None,
        })
        .collect();
    for migration in pending.iter().filter(|m| m.no_transaction) {
        if repairs
            .iter()
            .any(|(version, _)| *version == migration.version)
        {
            continue;
        }
        let Some((name, table)) = unfinished::built_index(&migration.sql) else {
            continue;
        };
        if validity.get(&migration.version) != Some(&false) {
            continue;
        }
        let drop = format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            unfinished::qualified_index(client, &name, &table).await?
        );
        if !options.repair_invalid_indexes {
            return Err(Error::InvalidIndex {
                path: migration.path.clone(),
                index: name,
                drop,
            });
        }
        repairs.push((migration.version, drop));
    }
    Ok(repairs)
}

/// A no-transaction file's group: one file, its statements timed by the client (they commit on
/// their own, outside the server clock of a group).
pub(super) fn alone(migration: &Migration, elapsed: Duration) -> timings::Group {
    let ms = elapsed.as_secs_f64() * 1000.0;
    timings::Group {
        first_version: migration.version,
        last_version: migration.version,
        files: 1,
        no_transaction: true,
        messages: authdb_folder::sql::statements(&migration.sql).count(),
        bytes: migration.sql.len(),
        wall_ms: ms,
        execute_ms: ms,
        tracking_ms: 0.0,
        client_ms: 0.0,
        commit_ms: 0.0,
    }
}
