//! A group of ordinary files in the run's transaction: sent several statements to a message
//! (`batch.rs`), or one at a time for a caller that must see each (rehearse), and, when its
//! first message goes out pipelined behind what opens the transaction, its outcome held until
//! the runner reaches it.

use std::sync::atomic::AtomicI32;
use std::time::Instant;

use tokio_postgres::Client;

use super::MigrateOptions;
use crate::batch;
use crate::error::{Error, Result};
use crate::migrations::Migration;
use crate::tracking;
use crate::transaction::{Opened, Tail, Timeouts, run_script_then};

/// Runs a group of ordinary files in the open transaction `opened`, each with its tracking
/// row: several statements to a message (`batch.rs`), or, when the caller must see each statement
/// start and end (rehearse), one at a time. Returns each file's time and what sending them took.
/// The server's clock for the group starts first: each tracking row stores its file's time.
pub(super) async fn run_group(
    client: &Client,
    group: &[&Migration],
    opened: &Opened,
    pid: &AtomicI32,
    timeouts: Timeouts,
    options: &MigrateOptions,
) -> Result<batch::Applied> {
    let transaction = opened.transaction.as_str();
    if !options.paced {
        return batched(client, group, pid, timeouts, options).await;
    }
    tracking::start_clock(client).await?;
    let mut applied = batch::Applied::default();
    for migration in group {
        let record = tracking::record_statement(migration, transaction);
        let ran = run_script_then(
            client,
            &migration.path,
            &migration.sql,
            timeouts,
            &options.notify,
            Some(&record),
        )
        .await?;
        match ran {
            (elapsed, Tail::Rows(1)) => {
                applied.times.push(elapsed);
                applied.server += elapsed;
                applied.bytes += migration.sql.len() + record.len();
                applied.messages += authdb_folder::sql::statements(&migration.sql).count() + 1;
            }
            (_, Tail::Failed(error)) if error.code().map(|c| c.code()) != Some(tracking::ENDED) => {
                return Err(crate::recording::failed(migration, error));
            }
            _ => {
                return Err(Error::TransactionEnded {
                    location: migration.path.display().to_string(),
                    version: None,
                });
            }
        }
    }
    Ok(applied)
}

/// [`batch::run_group`] with the run's options.
pub(super) async fn batched(
    client: &Client,
    group: &[&Migration],
    pid: &AtomicI32,
    timeouts: Timeouts,
    options: &MigrateOptions,
) -> Result<batch::Applied> {
    batch::run_group(
        client,
        group,
        pid,
        timeouts,
        &options.notify,
        options.server_notices.as_ref(),
        options.probe.as_ref(),
    )
    .await
}

/// The ordinary files from `index` up to the next no-transaction one: they share a transaction.
pub(super) fn group_at<'p, 'm>(pending: &'p [&'m Migration], index: usize) -> &'p [&'m Migration] {
    let end = pending[index..]
        .iter()
        .position(|m| m.no_transaction)
        .map_or(pending.len(), |offset| index + offset);
    &pending[index..end]
}

/// A group whose first message went out pipelined behind what opens its transaction (the
/// opening of the run, or a no-transaction file's finished row and the next BEGIN): its
/// outcome, and when it was sent.
pub(super) struct Ahead {
    pub ran: Result<batch::Applied>,
    pub started: Instant,
}
