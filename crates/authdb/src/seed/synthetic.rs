//! Synthetic users for load and speed tests: N users, each with both backgrounds and a session,
//! written with binary COPY, one stream per table, which is what makes 100,000 users take
//! seconds. Rows are made as the stream takes them (see `generator.rs`), never collected, so
//! memory stays flat from a hundred users to a hundred million.

use std::pin::pin;

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::{Client, Transaction};

use super::Counts;
use super::generator::{Generator, SYNTHETIC_DOMAIN, SyntheticTable};
use crate::error::{Result, database};

/// Rows between two calls of the progress callback.
const REPORT_EVERY: u64 = 1000;

/// Replaces earlier synthetic users with `users` new ones (1 to [`super::MAX_USERS`]), in one
/// transaction. `progress` is called with the number of rows written since its last call.
pub async fn seed_synthetic(
    client: &mut Client,
    users: u64,
    seed: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Counts> {
    let generator = Generator::new(users, seed)?;
    let tx = client
        .transaction()
        .await
        .map_err(database("starting the seed transaction"))?;
    delete_synthetic(&tx).await?;
    let mut counts = Counts::default();
    for table in SyntheticTable::ALL {
        let written = copy(&tx, &generator, table, progress).await?;
        *counts.of(table) = written;
    }
    tx.commit()
        .await
        .map_err(database("committing the synthetic users"))?;
    Ok(counts)
}

/// Deletes every synthetic user; their sessions and backgrounds go with them (ON DELETE
/// CASCADE). Demo and real users are left alone. Returns the number of users deleted.
pub async fn delete_synthetic(tx: &Transaction<'_>) -> Result<u64> {
    tx.execute(
        "DELETE FROM users WHERE email LIKE '%@' || $1",
        &[&SYNTHETIC_DOMAIN],
    )
    .await
    .map_err(database("removing the previous synthetic users"))
}

/// One table's rows through one COPY stream, made as the stream takes them.
async fn copy(
    tx: &Transaction<'_>,
    generator: &Generator,
    table: SyntheticTable,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    let context = || format!("writing synthetic rows to {}", table.name());
    let sql = format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        table.name(),
        table.columns()
    );
    let sink = tx.copy_in(&sql).await.map_err(database(context()))?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, table.types()));
    let mut unreported = 0;
    for row in generator.rows(table) {
        writer
            .as_mut()
            .write(&row.params())
            .await
            .map_err(database(context()))?;
        unreported += 1;
        if unreported == REPORT_EVERY {
            progress(unreported);
            unreported = 0;
        }
    }
    let written = writer.finish().await.map_err(database(context()))?;
    if unreported > 0 {
        progress(unreported);
    }
    Ok(written)
}
