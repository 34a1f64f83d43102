//! What a rehearsal database needs before the probe starts: for adopt, the schema and rows an old
//! script left (a SQL file); then the synthetic users the probe acts as, and the statistics a live
//! database would have (the planner's estimates decide, for instance, how adopt makes a large
//! table's column NOT NULL).

use std::path::Path;

use tokio_postgres::Client;

use crate::error::{Error, Result, database};
use crate::notice::Notify;
use crate::seed::{Counts, seed_synthetic};
use crate::transaction::{Timeouts, run_script};

/// `users` synthetic users from `seed` (written with COPY), then ANALYZE. `progress` hears the
/// rows written, as for the seed command.
pub async fn seed(
    client: &mut Client,
    users: u64,
    seed: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Counts> {
    let counts = seed_synthetic(client, users, seed, progress).await?;
    client
        .batch_execute("ANALYZE")
        .await
        .map_err(database("analyzing the seeded tables"))?;
    Ok(counts)
}

/// Runs the SQL file at `path` (its text is `sql`) statement by statement, as the old script
/// did; a failure names the file, line and column.
pub async fn run_file(client: &Client, path: &Path, sql: &str) -> Result<()> {
    match run_script(client, path, sql, Timeouts::DEFAULT, &Notify::default()).await {
        Ok(_) => Ok(()),
        Err(Error::MigrationFailed {
            location, message, ..
        }) => Err(Error::LegacySql { location, message }),
        Err(other) => Err(other),
    }
}
