//! The tracking table: the database's own record of which migrations it has applied, with the
//! checksum each file had then. It is the single source of truth for "applied"; the files are the
//! source of truth for "what should be".

use tokio_postgres::{GenericClient, SimpleQueryMessage, SimpleQueryRow};

use crate::error::{Error, Result, database};
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
    let sql = format!("SELECT to_regclass('{TABLE}') IS NOT NULL");
    let rows = simple_rows(client, &sql, "checking for the tracking table").await?;
    Ok(rows.first().and_then(|r| r.get(0)) == Some("t"))
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
/// Simple queries: one round trip each where prepared ones take two, and a migrate with nothing
/// to do is little more than these.
pub async fn read(client: &impl GenericClient) -> Result<Vec<AppliedMigration>> {
    if !exists(client).await? {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT version, name, checksum,
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), execution_ms
         FROM {TABLE} ORDER BY version"
    );
    let context = format!("reading the tracking table {TABLE}");
    let rows = simple_rows(client, &sql, &context).await?;
    rows.iter()
        .map(|row| {
            let text = |i: usize| row.get(i).unwrap_or_default().to_string();
            let number = |i: usize| {
                text(i).parse::<i64>().map_err(|_| Error::Database {
                    context: context.clone(),
                    reason: format!("column {i} is not a number: {:?}", text(i)),
                })
            };
            Ok(AppliedMigration {
                version: number(0)?,
                name: text(1),
                checksum: text(2),
                applied_at: text(3),
                execution_ms: number(4)?,
            })
        })
        .collect()
}

async fn simple_rows(
    client: &impl GenericClient,
    sql: &str,
    context: &str,
) -> Result<Vec<SimpleQueryRow>> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(database(context.to_string()))?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
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
