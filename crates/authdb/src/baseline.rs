//! Adopting a database that was migrated before authdb, with the old Python script or psql: the
//! tables exist but nothing records which migrations made them, so `migrate` would try to create
//! them again. When the live schema matches the snapshot of the latest version, every migration
//! is recorded as applied, without running any; when it does not, nothing changes and the
//! differences say why.

use serde::Serialize;
use tokio_postgres::Client;

use crate::adopt::{refuse_if_tracked, schema_differences, snapshot_version};
use crate::error::Result;
use crate::migrations::Migrations;
use crate::snapshot::{Difference, Snapshot};
use crate::tracking;
use crate::transaction::{Timeouts, abort, begin_locked, end};

/// What `baseline` did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Baseline {
    /// The schema matched: these migrations (`001_create_users`, ...) are now recorded as applied.
    Recorded {
        version: i64,
        migrations: Vec<String>,
    },
    /// The schema differs from the snapshot: nothing was recorded.
    Refused { differences: Vec<Difference> },
}

/// Compares the live schema with `snapshot` (which must describe the folder's latest version)
/// and, when they match, records every migration as applied, in one transaction under the
/// migration lock. Refuses a database whose tracking table already has rows.
pub async fn baseline(
    client: &mut Client,
    migrations: &Migrations,
    snapshot: &Snapshot,
) -> Result<Baseline> {
    let version = snapshot_version(migrations, snapshot)?;
    begin_locked(client, Timeouts::DEFAULT, &Default::default()).await?;
    match record_if_matching(client, migrations, snapshot, version).await {
        Ok(outcome @ Baseline::Recorded { .. }) => {
            end(client, "COMMIT").await?;
            Ok(outcome)
        }
        Ok(refused) => {
            end(client, "ROLLBACK").await?;
            Ok(refused)
        }
        Err(error) => Err(abort(client, error).await),
    }
}

/// The part of a baseline that runs inside the locked transaction.
async fn record_if_matching(
    client: &Client,
    migrations: &Migrations,
    snapshot: &Snapshot,
    version: i64,
) -> Result<Baseline> {
    refuse_if_tracked(client).await?;
    let differences = schema_differences(snapshot, &Snapshot::capture(client).await?);
    if !differences.is_empty() {
        return Ok(Baseline::Refused { differences });
    }
    tracking::create(client).await?;
    for migration in &migrations.list {
        tracking::record(client, migration, 0, None).await?;
    }
    Ok(Baseline::Recorded {
        version,
        migrations: migrations.list.iter().map(|m| m.file_stem()).collect(),
    })
}
