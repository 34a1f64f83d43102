//! The tracking table: the database's own record of which migrations it has applied, with the
//! checksum each file had then. It is the single source of truth for "applied"; the files are the
//! source of truth for "what should be".

use tokio_postgres::GenericClient;

use crate::error::{Result, database};
use crate::migrations::Migration;

/// Unqualified, so it lives in the first schema of `search_path`, beside the tables it describes.
pub const TABLE: &str = "authdb_schema_migrations";

/// One row of the tracking table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    /// The file stem it was applied from, `001_create_users`.
    pub name: String,
    /// Hex SHA-256 of the file as it was applied.
    pub checksum: String,
    /// RFC 3339, UTC.
    pub applied_at: String,
    pub execution_ms: i64,
}

pub async fn exists(client: &impl GenericClient) -> Result<bool> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&TABLE])
        .await
        .map_err(database("checking for the tracking table"))?;
    Ok(row.get(0))
}

/// Creates the table if it is not there. Callers hold the migration lock, so two runs never race here.
pub async fn create(client: &impl GenericClient) -> Result<()> {
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (
            version      bigint      PRIMARY KEY,
            name         text        NOT NULL,
            checksum     text        NOT NULL,
            applied_at   timestamptz NOT NULL DEFAULT now(),
            execution_ms bigint      NOT NULL,
            applied_by   text        NOT NULL DEFAULT current_user
        )"
    );
    client
        .batch_execute(&sql)
        .await
        .map_err(database(format!("creating the tracking table {TABLE}")))
}

/// Every applied migration, in version order; none when the table does not exist yet.
pub async fn read(client: &impl GenericClient) -> Result<Vec<AppliedMigration>> {
    if !exists(client).await? {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT version, name, checksum,
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), execution_ms
         FROM {TABLE} ORDER BY version"
    );
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(database(format!("reading the tracking table {TABLE}")))?;
    Ok(rows
        .iter()
        .map(|row| AppliedMigration {
            version: row.get(0),
            name: row.get(1),
            checksum: row.get(2),
            applied_at: row.get(3),
            execution_ms: row.get(4),
        })
        .collect())
}

pub async fn record(
    client: &impl GenericClient,
    migration: &Migration,
    execution_ms: i64,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {TABLE} (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)"
    );
    client
        .execute(
            &sql,
            &[
                &migration.version,
                &migration.file_stem(),
                &migration.checksum.to_hex(),
                &execution_ms,
            ],
        )
        .await
        .map_err(database(format!(
            "recording version {} as applied",
            migration.version
        )))?;
    Ok(())
}
