//! The tracking table: the database's own record of which migrations it has applied, with the
//! checksum each file had then. It is the single source of truth for "applied"; the files are the
//! source of truth for "what should be".
//!
//! It always lives in one fixed schema, `public`, and every statement names it with the schema:
//! a session whose `search_path` puts another schema first cannot create a second history.

use tokio_postgres::{Client, GenericClient, SimpleQueryMessage, SimpleQueryRow};

use crate::error::{Error, Result, database};
use crate::migrations::Migration;
use crate::transaction::{STEP_DEADLINE, abort, bounded};

/// The schema of the tracking table.
pub const SCHEMA: &str = "public";
/// The table's own name, as pg_class knows it.
pub const TABLE: &str = "authdb_schema_migrations";
/// How every statement names it.
pub const QUALIFIED: &str = "public.authdb_schema_migrations";

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
    let sql = format!("SELECT to_regclass('{QUALIFIED}') IS NOT NULL");
    let rows = simple_rows(client, &sql, "checking for the tracking table").await?;
    Ok(rows.first().and_then(|r| r.get(0)) == Some("t"))
}

/// Creates the table (and its schema, should `public` have been dropped) if it is not there.
/// Callers hold the migration lock, so two runs never race here.
pub async fn create(client: &impl GenericClient) -> Result<()> {
    // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege on the database first, which a
    // role that owns its tables but not the database may lack: only ask when it is missing.
    let sql = format!(
        "DO $authdb$ BEGIN
             IF to_regnamespace('{SCHEMA}') IS NULL THEN CREATE SCHEMA {SCHEMA}; END IF;
         END $authdb$;
         CREATE TABLE IF NOT EXISTS {QUALIFIED} (
            version      bigint      PRIMARY KEY,
            name         text        NOT NULL,
            checksum     text        NOT NULL,
            applied_at   timestamptz NOT NULL DEFAULT now(),
            execution_ms bigint      NOT NULL,
            applied_by   text        NOT NULL DEFAULT current_user
        )"
    );
    let what = format!("creating the tracking table {QUALIFIED}");
    let run = async {
        client
            .batch_execute(&sql)
            .await
            .map_err(database(what.clone()))
    };
    bounded(&what, Some(STEP_DEADLINE), run).await
}

/// Every applied migration, in version order; none when the table does not exist yet.
/// Simple queries: one round trip each where prepared ones take two, and a migrate with nothing
/// to do is little more than these.
pub async fn read(client: &impl GenericClient) -> Result<Vec<AppliedMigration>> {
    let context = format!("reading the tracking table {QUALIFIED}");
    bounded(&context, Some(STEP_DEADLINE), read_rows(client, &context)).await
}

async fn read_rows(client: &impl GenericClient, context: &str) -> Result<Vec<AppliedMigration>> {
    if !exists(client).await? {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT version, name, checksum,
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), execution_ms
         FROM {QUALIFIED} ORDER BY version"
    );
    let rows = simple_rows(client, &sql, context).await?;
    rows.iter()
        .map(|row| {
            let text = |i: usize| row.get(i).unwrap_or_default().to_string();
            let number = |i: usize| {
                text(i).parse::<i64>().map_err(|_| Error::Database {
                    context: context.to_string(),
                    reason: format!("column {i} is not a number: {:?}", text(i)),
                    source: None,
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

/// Records `migration` as applied. With `transaction`, only while that transaction is still the
/// open one: a file that ended it (a COMMIT the static check could not see) is caught here, on
/// the server, before anything else runs.
pub async fn record(
    client: &Client,
    migration: &Migration,
    execution_ms: i64,
    transaction: Option<&str>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {QUALIFIED} (version, name, checksum, execution_ms)
         SELECT $1, $2, $3, $4 WHERE $5::text IS NULL OR pg_current_xact_id()::text = $5"
    );
    let what = format!("recording version {} as applied", migration.version);
    let run = async {
        client
            .execute(
                &sql,
                &[
                    &migration.version,
                    &migration.stem,
                    &migration.checksum.to_hex(),
                    &execution_ms,
                    &transaction,
                ],
            )
            .await
            .map_err(|error| crate::recording::failed(migration, error))
    };
    let inserted = bounded(&what, Some(STEP_DEADLINE), run).await?;
    if inserted == 1 {
        return Ok(());
    }
    Err(Error::TransactionEnded {
        location: migration.path.display().to_string(),
        version: None,
    })
}

/// The error for a run whose transaction a file ended at `location`: what it committed stays,
/// so after rolling back whatever is open now, it reads which version the database records.
pub(crate) async fn ended(client: &Client, location: String) -> Error {
    let _ = abort(client, Error::NothingToRollBack).await;
    let version = read(client)
        .await
        .ok()
        .and_then(|rows| rows.last().map(|r| r.version));
    Error::TransactionEnded { location, version }
}

/// Removes `version`'s row while `transaction` is still the open one (see [`record`]).
pub async fn remove(client: &Client, migration: &Migration, transaction: &str) -> Result<()> {
    let sql =
        format!("DELETE FROM {QUALIFIED} WHERE version = $1 AND pg_current_xact_id()::text = $2");
    let what = format!("removing version {} from {QUALIFIED}", migration.version);
    let run = async {
        client
            .execute(&sql, &[&migration.version, &transaction])
            .await
            .map_err(database(what.clone()))
    };
    let deleted = bounded(&what, Some(STEP_DEADLINE), run).await?;
    if deleted == 1 {
        return Ok(());
    }
    Err(Error::TransactionEnded {
        location: migration.down.path.display().to_string(),
        version: None,
    })
}
