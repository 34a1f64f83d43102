//! What `cargo xtask dev` does to its database once the server runs: migrate it, check it against
//! the snapshot (a dev database someone changed by hand, or one another branch migrated, is said
//! so, with the way to start over), and load the demo users. The folder and the snapshot are read
//! by the caller before any server starts.

use serde::Serialize;

use crate::connect::Connection;
use crate::error::{Error, Result};
use crate::migrations::Migrations;
use crate::runner::{MigrateOptions, MigrateReport};
use crate::seed::{self, Counts};
use crate::snapshot::Snapshot;

/// What preparing the dev database did.
#[derive(Debug, Clone, Serialize)]
pub struct Prepared {
    pub migrated: MigrateReport,
    pub seeded: Counts,
}

/// Migrates, verifies against `snapshot`, and seeds the demo users (idempotent).
pub async fn prepare(
    connection: &mut Connection,
    migrations: &Migrations,
    snapshot: &Snapshot,
) -> Result<Prepared> {
    let migrated = crate::runner::migrate(
        &mut connection.client,
        migrations,
        &MigrateOptions::default(),
    )
    .await?;
    let verified = crate::verify::verify(&connection.client, migrations, snapshot).await?;
    if !verified.ok() {
        return Err(Error::DevDiffers {
            problems: verified.problems(),
        });
    }
    let seeded = seed::seed_demo(&mut connection.client).await?;
    Ok(Prepared { migrated, seeded })
}
