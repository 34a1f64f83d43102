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
}

/// Every migration with its state, without taking the lock or changing anything.
pub async fn status(client: &Client, migrations: &Migrations) -> Result<Status> {
    let applied = tracking::read(client).await?;
    Ok(Status {
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
