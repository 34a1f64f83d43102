//! What the database holds next to the folder, read without the migration lock and without
//! changing anything: safe to run beside a migrate in progress, and what CI prints after a failure.

use serde::Serialize;
use tokio_postgres::Client;

use crate::error::Result;
use crate::migrations::Migrations;
use crate::plan;
use crate::tracking;

/// What `status` reports: every migration with its state, and why migrate would refuse to run.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub entries: Vec<plan::Entry>,
    /// The error migrate would stop with (a modified, missing or different migration), if any.
    pub refusal: Option<String>,
    /// Every INVALID index (a failed or interrupted `CREATE INDEX CONCURRENTLY` leaves one: it
    /// costs every write and serves no query), with the statement that drops it.
    pub invalid_indexes: Vec<InvalidIndex>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvalidIndex {
    /// `schema.name`, quoted as SQL needs.
    pub index: String,
    pub table: String,
    pub drop: String,
}

/// Every migration with its state, without taking the lock or changing anything.
pub async fn status(client: &Client, migrations: &Migrations) -> Result<Status> {
    let applied = tracking::read(client).await?;
    let invalid = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), i.indrelid::regclass::text
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE NOT (i.indisvalid AND i.indisready)
              ORDER BY 1",
            &[],
        )
        .await
        .map_err(crate::error::database("listing INVALID indexes"))?;
    Ok(Status {
        invalid_indexes: invalid
            .iter()
            .map(|row| {
                let index: String = row.get(0);
                InvalidIndex {
                    drop: format!("DROP INDEX CONCURRENTLY {index}"),
                    index,
                    table: row.get(1),
                }
            })
            .collect(),
        entries: plan::compare(migrations, &applied),
        // An unfinished row is no refusal: migrate settles it (the entry says `unfinished`).
        refusal: plan::check_history(migrations, &finished(&applied))
            .err()
            .map(|e| e.to_string()),
    })
}

fn finished(applied: &[tracking::AppliedMigration]) -> Vec<tracking::AppliedMigration> {
    applied.iter().filter(|a| a.finished).cloned().collect()
}
