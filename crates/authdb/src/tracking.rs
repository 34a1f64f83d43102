//! The tracking table: the database's own record of which migrations it has applied, with the
//! checksum each file had then. It is the single source of truth for "applied"; the files are the
//! source of truth for "what should be".
//!
//! It always lives in one fixed schema, `public`, and every statement names it with the schema:
//! a session whose `search_path` puts another schema first cannot create a second history.

use tokio_postgres::{Client, GenericClient, SimpleQueryMessage, SimpleQueryRow};

use crate::error::{Error, Result, database};
use crate::migrations::Migration;
use crate::quote::literal;
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
    /// False for a `-- authdb:no-transaction` migration that was started and not seen to finish:
    /// it ran outside a transaction, so its row is written before it runs (see [`start`]).
    pub finished: bool,
}

pub async fn exists(client: &impl GenericClient) -> Result<bool> {
    Ok(shape(client).await?.table)
}

/// What of the tracking table is there: its schema, the table, and the column `finished` (a
/// table an authdb older than that column made has not, until the next migrate adds it).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shape {
    pub schema: bool,
    pub table: bool,
    /// `None` until known: the rows tell (see [`read_from`]), and only an empty table of an
    /// older authdb leaves it to [`create_from`] to ask.
    pub finished: Option<bool>,
}

/// The query [`Shape::from_rows`] reads: it cannot fail, so it may share a message with the
/// migration lock (see [`crate::lock::acquire`]). Two name lookups and no table: in a new
/// session, asking pg_attribute for the column `finished` as well cost 0.4 ms of the 11 ms a
/// migrate with nothing to do takes, and the rows answer it for free.
pub(crate) fn shape_query() -> String {
    format!(
        "SELECT to_regnamespace('{SCHEMA}') IS NOT NULL, to_regclass('{QUALIFIED}') IS NOT NULL"
    )
}

impl Shape {
    pub(crate) fn from_rows(rows: &[SimpleQueryRow]) -> Shape {
        let has = |i: usize| rows.first().and_then(|r| r.get(i)) == Some("t");
        Shape {
            schema: has(0),
            table: has(1),
            finished: None,
        }
    }
}

async fn shape(client: &impl GenericClient) -> Result<Shape> {
    let rows = simple_rows(client, &shape_query(), "checking for the tracking table").await?;
    Ok(Shape::from_rows(&rows))
}

/// Whether the table has the column `finished`, asked of the catalog.
async fn has_finished(client: &impl GenericClient, context: &str) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('{QUALIFIED}')
                           AND attname = 'finished' AND NOT attisdropped)"
    );
    let rows = simple_rows(client, &sql, context).await?;
    Ok(rows.first().and_then(|r| r.get(0)) == Some("t"))
}

/// Creates the table (and its schema, should `public` have been dropped) if it is not there, and
/// brings a table an earlier authdb made up to date. Callers hold the migration lock, so two runs
/// never race here.
pub async fn create(client: &impl GenericClient) -> Result<()> {
    let what = format!("creating the tracking table {QUALIFIED}");
    let found = bounded(&what, Some(STEP_DEADLINE), shape(client)).await?;
    create_from(client, found).await
}

/// [`create`], when the caller has read the table's [`Shape`] under the lock already.
pub(crate) async fn create_from(client: &impl GenericClient, found: Shape) -> Result<()> {
    // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege on the database first, which a
    // role that owns its tables but not the database may lack: only ask when it is missing. The
    // same for the column `finished`: the ALTER takes the table's strongest lock, so only once.
    // Plain statements chosen here, not a DO block deciding on the server: the first DO block of
    // a session loads PL/pgSQL (as a fresh database's first statement, psql timed the DO block
    // at 19 ms and its CREATE TABLE alone at 7 ms).
    let what = format!("creating the tracking table {QUALIFIED}");
    let mut statements = Vec::new();
    if !found.schema {
        statements.push(format!("CREATE SCHEMA {SCHEMA}"));
    }
    if !found.table {
        statements.push(format!(
            "CREATE TABLE {QUALIFIED} (
                version      bigint      PRIMARY KEY,
                name         text        NOT NULL,
                checksum     text        NOT NULL,
                applied_at   timestamptz NOT NULL DEFAULT now(),
                execution_ms bigint      NOT NULL,
                applied_by   text        NOT NULL DEFAULT current_user,
                finished     boolean     NOT NULL DEFAULT true
             )"
        ));
    } else if !match found.finished {
        Some(known) => known,
        None => bounded(&what, Some(STEP_DEADLINE), has_finished(client, &what)).await?,
    } {
        statements.push(format!(
            "ALTER TABLE {QUALIFIED} ADD COLUMN finished boolean NOT NULL DEFAULT true"
        ));
    }
    if statements.is_empty() {
        return Ok(());
    }
    let sql = statements.join(";\n");
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
    let found = shape(client).await?;
    Ok(read_known(client, found, context).await?.0)
}

/// [`read`], when the caller has read the table's [`Shape`] under the lock already: no round
/// trip when there is no table. Returns the shape with what the rows told of the column
/// `finished`.
pub(crate) async fn read_from(
    client: &impl GenericClient,
    found: Shape,
) -> Result<(Vec<AppliedMigration>, Shape)> {
    let context = format!("reading the tracking table {QUALIFIED}");
    bounded(
        &context,
        Some(STEP_DEADLINE),
        read_known(client, found, &context),
    )
    .await
}

async fn read_known(
    client: &impl GenericClient,
    found: Shape,
    context: &str,
) -> Result<(Vec<AppliedMigration>, Shape)> {
    if !found.table {
        return Ok((Vec::new(), found));
    }
    // Every column, as the table has them: a table an older authdb made, without `finished`,
    // reads the same (every row finished), and the answer's columns say whether it has it. No
    // conversion on the server: `to_char(applied_at AT TIME ZONE 'UTC')` and an ORDER BY made
    // this read cost a new session 1.7 ms where `*` costs 0.8 ms (most of a migrate with nothing
    // to do, after connecting).
    let sql = format!("SELECT * FROM {QUALIFIED}");
    let messages = client
        .simple_query(&sql)
        .await
        .map_err(database(context.to_string()))?;
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(described) => {
                columns = described.iter().map(|c| c.name().to_string()).collect();
            }
            SimpleQueryMessage::Row(row) => rows.push(row),
            _ => {}
        }
    }
    let column = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| Error::Database {
                context: context.to_string(),
                reason: format!("the table has no column {name}"),
                source: None,
            })
    };
    let (version, name, checksum) = (column("version")?, column("name")?, column("checksum")?);
    let (applied_at, execution_ms) = (column("applied_at")?, column("execution_ms")?);
    let finished = column("finished").ok();
    let mut applied = rows
        .iter()
        .map(|row| {
            let text = |i: usize| row.get(i).unwrap_or_default().to_string();
            let number = |i: usize| {
                text(i).parse::<i64>().map_err(|_| Error::Database {
                    context: context.to_string(),
                    reason: format!("{} is not a number: {:?}", columns[i], text(i)),
                    source: None,
                })
            };
            Ok(AppliedMigration {
                version: number(version)?,
                name: text(name),
                checksum: text(checksum),
                applied_at: text(applied_at),
                execution_ms: number(execution_ms)?,
                finished: finished.is_none_or(|i| text(i) == "t"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    applied.sort_by_key(|a| a.version);
    in_utc(client, &mut applied, context).await?;
    let shape = Shape {
        finished: Some(finished.is_some()),
        ..found
    };
    Ok((applied, shape))
}

/// Each row's `applied_at` as RFC 3339 in UTC, from the server's text in the ISO `DateStyle`
/// (PostgreSQL's default), and in any other from the server, which costs a round trip.
async fn in_utc(
    client: &impl GenericClient,
    applied: &mut [AppliedMigration],
    context: &str,
) -> Result<()> {
    let mut unread = false;
    for row in applied.iter_mut() {
        match iso_to_utc(&row.applied_at) {
            Some(utc) => row.applied_at = utc,
            None => unread = true,
        }
    }
    if !unread {
        return Ok(());
    }
    let sql = format!(
        "SELECT version, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
           FROM {QUALIFIED}"
    );
    let utc: std::collections::HashMap<i64, String> = simple_rows(client, &sql, context)
        .await?
        .iter()
        .filter_map(|row| Some((row.get(0)?.parse().ok()?, row.get(1)?.to_string())))
        .collect();
    for row in applied.iter_mut() {
        if let Some(at) = utc.get(&row.version) {
            row.applied_at = at.clone();
        }
    }
    Ok(())
}

/// `2026-12-07 07:57:56.489421+05:30` (a `timestamptz` as PostgreSQL writes it in the ISO
/// `DateStyle`) as `2026-12-07T02:27:56Z`; `None` for any other form.
fn iso_to_utc(text: &str) -> Option<String> {
    use time::macros::format_description;
    let iso = format_description!(
        version = 2,
        "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]\
         [offset_hour sign:mandatory][optional [:[offset_minute]]][optional [:[offset_second]]]"
    );
    let rfc = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    );
    let at = time::OffsetDateTime::parse(text, iso).ok()?;
    at.to_offset(time::UtcOffset::UTC).format(rfc).ok()
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

/// What starts a group's clock: the marks [`record_statement`] measures from.
const CLOCK: &str = "set_config('authdb.mark', clock_timestamp()::text, true), \
                     set_config('authdb.group', clock_timestamp()::text, true)";

/// Starts a group's clock on the server: [`record_statement`] measures each file from it. The
/// server keeps the time because it alone sees a statement end: in a message of several
/// statements, PostgreSQL holds their completions until the message is done, so a client's
/// clock would give the whole message to the first file. Returns the session's process id, for
/// [`crate::probe`].
pub(crate) async fn start_clock(client: &Client) -> Result<i32> {
    let sql = format!("SELECT {CLOCK}, pg_backend_pid()");
    let what = "starting the group's clock";
    let rows = bounded(what, Some(STEP_DEADLINE), simple_rows(client, &sql, what)).await?;
    rows.first()
        .and_then(|row| row.get(2))
        .and_then(|pid| pid.parse().ok())
        .ok_or_else(|| Error::Database {
            context: what.to_string(),
            reason: "no process id".to_string(),
            source: None,
        })
}

/// The statement that records `migration` as applied when a group's statements go one at a
/// time (a paced run; `batch.rs` sends [`Recorder`]'s marks instead): it fails with [`ENDED`] (a division by zero) unless
/// `transaction` is still the open one, so a file that ended the run's transaction is caught
/// here, on the server, and the failure stops the rest of the message before anything else
/// runs. It stores the file's time since the clock's last mark ([`start_clock`], then the row
/// before it), and returns that time and the group's, in seconds (see [`Recorded`]). A file
/// that resets the session's settings loses its time (0), not its row.
pub(crate) fn record_statement(migration: &Migration, transaction: &str) -> String {
    format!(
        "INSERT INTO {QUALIFIED} (version, name, checksum, execution_ms) \
         SELECT {}, {}, {}, round(f.seconds * 1000) \
         FROM (SELECT {} AS seconds) f \
         WHERE 1 / (pg_current_xact_id()::text = {})::int = 1 \
         AND set_config('authdb.file', f.seconds::text, true) IS NOT NULL \
         RETURNING current_setting('authdb.file'), {}, \
         set_config('authdb.mark', clock_timestamp()::text, true)",
        migration.version,
        literal(&migration.stem),
        literal(&migration.checksum.to_hex()),
        since("authdb.mark"),
        literal(transaction),
        since("authdb.group"),
    )
}

/// Seconds on the server's clock since the time the setting `mark` holds; 0 when a file reset
/// the session's settings.
fn since(mark: &str) -> String {
    format!(
        "coalesce(extract(epoch FROM clock_timestamp() \
         - nullif(current_setting('{mark}', true), '')::timestamptz), 0)"
    )
}

/// A group's tracking rows as `batch.rs` sends them: after each file a plain INSERT of its row,
/// then a mark that returns the file's time and restarts the clock. A fresh database paid
/// 0.4 ms a file for a row written with `INSERT ... SELECT ... RETURNING` (prepared or not:
/// PostgreSQL plans each of a prepared statement's first five EXECUTEs anew), 2.6 ms on the
/// repository's first six files; the INSERT of literals and the mark cost 0.1 ms a file.
///
/// Each row is written right after its file, in the same transaction: a file that ended the
/// transaction (a COMMIT the static check could not see) leaves the rows of the files before
/// it committed with them, so the history stays the truth.
pub(crate) struct Recorder {
    mark: String,
}

impl Recorder {
    pub(crate) fn new() -> Recorder {
        Recorder {
            mark: format!(
                "SELECT current_setting('authdb.file', true), {}, \
                 set_config('authdb.mark', clock_timestamp()::text, true)",
                since("authdb.group"),
            ),
        }
    }

    /// The group's clock started ([`start_clock`]), as the first statement of its first message.
    pub(crate) fn start_clock(&self) -> String {
        format!("SELECT {CLOCK}")
    }

    /// `migration`'s row, with its time since the clock's last mark (kept for [`Recorder::mark`],
    /// so that a file's time is its statements', and its row's counts as the rows'). Fails with [`ENDED`] (a
    /// division by zero) when the run's transaction has ended, so a file that ended it is caught
    /// here, on the server, and the failure stops the rest of the message. The transaction began
    /// in an earlier message than any of the group's (`BEGIN` goes alone, or with the lock), and
    /// a transaction that starts inside a message takes that message's arrival as its start
    /// (PostgreSQL's `transaction_timestamp()` is then `statement_timestamp()`): so the two
    /// differ exactly while the run's transaction is the open one, with no transaction id to
    /// ask for first, and whatever a file resets (`RESET ALL`) cannot change them.
    pub(crate) fn row(&self, migration: &Migration) -> String {
        format!(
            "INSERT INTO {QUALIFIED} (version, name, checksum, execution_ms) \
             VALUES ({}, {}, {}, round(set_config('authdb.file', {}::text, true)::float8 * 1000) \
             * (1 / (transaction_timestamp() <> statement_timestamp())::int))",
            migration.version,
            literal(&migration.stem),
            literal(&migration.checksum.to_hex()),
            since("authdb.mark"),
        )
    }

    /// After a file's row: the file's time (as its row took it) and the group's so far
    /// ([`Recorded`]), the clock marked again.
    pub(crate) fn mark(&self) -> &str {
        &self.mark
    }
}

/// What [`record_statement`] and [`Recorder::mark`] return: the file's time, and the group's so
/// far (each file's and
/// each row's), as the server measured them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Recorded {
    pub file: std::time::Duration,
    pub group: std::time::Duration,
}

impl Recorded {
    /// From the row returned; zero where a value does not parse.
    pub(crate) fn from_row(row: &SimpleQueryRow) -> Recorded {
        let seconds = |index: usize| {
            let value: f64 = row.get(index).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            std::time::Duration::from_secs_f64(value.max(0.0))
        };
        Recorded {
            file: seconds(0),
            group: seconds(1),
        }
    }
}

/// The SQLSTATE [`record_statement`] and [`Recorder::row`] fail with when the run's transaction
/// has ended.
pub(crate) const ENDED: &str = "22012";

/// Writes the row of a no-transaction migration before it runs, unfinished, in the run's
/// transaction `transaction` (committed with the migrations before it). Its statement runs outside
/// any transaction, so without this row a migrator killed after the statement and before its
/// row would leave an effect that no row records, and the next run would execute it again.
pub async fn start(client: &Client, migration: &Migration, transaction: &str) -> Result<()> {
    // Simple queries with literals, here and below: one round trip, where a prepared statement
    // takes two, and a no-transaction file pays each of them.
    let sql = format!(
        "INSERT INTO {QUALIFIED} (version, name, checksum, execution_ms, finished)
         SELECT {}, {}, {}, 0, false WHERE pg_current_xact_id()::text = {}",
        migration.version,
        literal(&migration.stem),
        literal(&migration.checksum.to_hex()),
        literal(transaction),
    );
    let what = format!("recording that version {} starts", migration.version);
    match bounded(&what, Some(STEP_DEADLINE), count(client, &sql, &what)).await? {
        1 => Ok(()),
        _ => Err(Error::TransactionEnded {
            location: migration.path.display().to_string(),
            version: None,
        }),
    }
}

/// The rows a simple query's one statement changed.
async fn count(client: &Client, sql: &str, what: &str) -> Result<u64> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(database(what.to_string()))?;
    Ok(messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(0))
}

/// Marks `version`'s unfinished row as applied, once its statement has succeeded.
pub async fn finish(client: &Client, version: i64, execution_ms: i64) -> Result<()> {
    let sql = format!(
        "UPDATE {QUALIFIED} SET finished = true, execution_ms = {execution_ms}, applied_at = now()
          WHERE version = {version} AND NOT finished"
    );
    let what = format!("recording version {version} as applied");
    match bounded(&what, Some(STEP_DEADLINE), count(client, &sql, &what)).await? {
        1 => Ok(()),
        n => Err(Error::Database {
            context: what,
            reason: format!("{n} unfinished rows for it, where the run wrote one"),
            source: None,
        }),
    }
}

/// Marks `version`'s row unfinished in the run's transaction `transaction`, before its
/// no-transaction down file runs: a rollback killed during it leaves the truth, "in flux", for
/// the next run to settle from the catalog.
pub async fn unfinish(client: &Client, version: i64, transaction: &str) -> Result<()> {
    let sql = format!(
        "UPDATE {QUALIFIED} SET finished = false
          WHERE version = $1 AND finished AND pg_current_xact_id()::text = $2"
    );
    let what = format!("recording that version {version} is being rolled back");
    let run = async {
        client
            .execute(&sql, &[&version, &transaction])
            .await
            .map_err(database(what.clone()))
    };
    match bounded(&what, Some(STEP_DEADLINE), run).await? {
        1 => Ok(()),
        _ => Err(Error::TransactionEnded {
            location: format!("version {version}"),
            version: None,
        }),
    }
}

/// Removes `version`'s unfinished row: its statement failed, or is to be run again.
pub async fn forget(client: &Client, version: i64) -> Result<()> {
    let sql = format!("DELETE FROM {QUALIFIED} WHERE version = {version} AND NOT finished");
    let what = format!("removing the unfinished row of version {version}");
    bounded(&what, Some(STEP_DEADLINE), count(client, &sql, &what))
        .await
        .map(drop)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_at_in_the_iso_style_is_read_into_utc() {
        for (server, utc) in [
            (
                "2026-12-07 07:57:56.489421+00",
                Some("2026-12-07T07:57:56Z"),
            ),
            ("2026-12-07 07:57:56+00", Some("2026-12-07T07:57:56Z")),
            ("2026-12-07 07:57:56.5+05:30", Some("2026-12-07T02:27:56Z")),
            ("2026-12-31 23:00:00-03", Some("2027-01-01T02:00:00Z")),
            ("1890-01-01 00:00:00+00:53:28", Some("1889-12-31T23:06:32Z")),
            ("Mon Dec 07 07:57:56.489421 2026 UTC", None),
            ("07.12.2026 07:57:56.489421 UTC", None),
            ("2026-12-07 07:57:56+00 BC", None),
            ("", None),
        ] {
            assert_eq!(iso_to_utc(server).as_deref(), utc, "{server}");
        }
    }
}
