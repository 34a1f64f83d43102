//! Tests against a real PostgreSQL: one container for this binary (see the `testdb` crate), one
//! fresh database per test.

mod baseline;
mod concurrency;
mod connect;
mod migrate;
mod rollback;
mod schema;
mod seed;
mod verify;

use std::path::Path;

use authdb::{MigrateOptions, MigrateReport, Migrations};
use tempfile::TempDir;
use tokio_postgres::Client;

/// A migrations folder holding exactly these files.
pub fn folder(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, sql) in files {
        std::fs::write(dir.path().join(name), sql).unwrap();
    }
    dir
}

/// The repository's migrations (with their down files) up to `last` (inclusive), copied into a folder a test may change.
pub fn repo_migrations(last: i64) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for m in load(&testdb::migrations_dir())
        .list
        .iter()
        .filter(|m| m.version <= last)
    {
        let files = [&m.path, &m.down.path];
        for path in files {
            std::fs::copy(path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

pub fn load(dir: &Path) -> Migrations {
    Migrations::load(dir).unwrap()
}

pub async fn migrate(client: &mut Client, dir: &Path) -> authdb::Result<MigrateReport> {
    authdb::migrate(client, &load(dir), &MigrateOptions::default()).await
}

pub use testdb::tables;

/// (version, name, checksum) of every tracking row.
pub async fn tracking_rows(client: &Client) -> Vec<(i64, String, String)> {
    client
        .query(
            "SELECT version, name, checksum FROM authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}
