//! Tests against a real PostgreSQL: one container for this binary (see the `testdb` crate), one
//! fresh database per test. Tests of the engine run on folders they write (`testdb::Fixture`);
//! tests of the repository's own schema read `migrations/` and never count its files.

mod adopt;
mod adopt_any;
mod baseline;
mod batch;
mod concurrency;
mod connect;
mod coverage;
mod drift;
mod email;
mod failover;
mod migrate;
mod repository;
mod retry;
mod rollback;
mod schema;
mod scope;
mod seed;
mod unfinished;
mod verify;

use std::path::Path;

use authdb::{MigrateOptions, MigrateReport, Migrations};
use tokio_postgres::Client;

pub fn load(dir: &Path) -> Migrations {
    Migrations::load(dir).unwrap_or_else(|e| panic!("{e}"))
}

pub async fn migrate(client: &mut Client, dir: &Path) -> authdb::Result<MigrateReport> {
    authdb::migrate(client, &load(dir), &MigrateOptions::default()).await
}

/// Migrates the repository's folder up to `version` (all of it for `None`).
pub async fn migrate_repository(client: &mut Client, version: Option<i64>) {
    let options = MigrateOptions {
        up_to: version,
        ..Default::default()
    };
    authdb::migrate(client, &load(&testdb::migrations_dir()), &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

pub use testdb::tables;

/// (version, name, checksum) of every tracking row.
pub async fn tracking_rows(client: &Client) -> Vec<(i64, String, String)> {
    client
        .query(
            "SELECT version, name, checksum FROM public.authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}
