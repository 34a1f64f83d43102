//! The migration transaction and what runs inside it. Migrate, rollback and baseline share these
//! rules: BEGIN, then the advisory lock (waiting for another migrator is said once, and bounded),
//! then the timeouts; each file's failure names the file, line and column; a failure ends in
//! ROLLBACK; and no step waits on the server without a deadline.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use authdb_folder::position;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

use crate::error::{Error, ROLLED_BACK, Result, describe};
use crate::notice::{Notice, Notify};

pub use crate::lock::LOCK_KEY;

/// How long a short step (BEGIN, a read of the tracking table, COMMIT...) may go unanswered
/// before the server is presumed gone: paused, partitioned, or a proxy that stopped forwarding.
pub const STEP_DEADLINE: Duration = Duration::from_secs(30);

/// How much longer than a server-side timeout the client waits for an answer: the server
/// cancels a slow statement itself first, and says so.
pub const SERVER_GRACE: Duration = Duration::from_secs(5);

/// How long a migration's statement may wait for a table lock the application holds, by
/// default: long enough for a busy table, short enough that the application's own queries do
/// not queue behind the migration for long.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a run waits for another migrate or rollback to finish, by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);
/// How long one statement may run, by default: generous for a real index build, but a bound.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The waits of a run. `None` means "no limit", which the user chose explicitly.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// `lock_timeout` for the migrations' statements (the application's table locks).
    pub lock: Option<Duration>,
    /// `statement_timeout` for each statement.
    pub statement: Option<Duration>,
    /// How long to wait for another migrator's lock.
    pub lock_wait: Option<Duration>,
}

impl Timeouts {
    pub const DEFAULT: Timeouts = Timeouts {
        lock: Some(DEFAULT_LOCK_TIMEOUT),
        statement: Some(DEFAULT_STATEMENT_TIMEOUT),
        lock_wait: Some(DEFAULT_LOCK_WAIT),
    };
}

/// Runs one network step with a deadline. `what` completes "the server did not answer ...".
pub(crate) async fn bounded<T>(
    what: &str,
    limit: Option<Duration>,
    step: impl Future<Output = Result<T>>,
) -> Result<T> {
    match limit {
        None => step.await,
        Some(limit) => tokio::time::timeout(limit, step)
            .await
            .map_err(|_| Error::NoAnswer {
                what: what.to_string(),
                waited: limit,
            })?,
    }
}

/// BEGIN, the migration lock, then the timeouts: the timeouts only bind the migrations'
/// statements, because waiting for another migrator is a different wait ([`Timeouts::lock_wait`]).
pub(crate) async fn begin_locked(
    client: &Client,
    timeouts: Timeouts,
    notify: &Notify,
) -> Result<()> {
    begin_locked_then(client, timeouts, notify, "")
        .await
        .map(drop)
}

/// [`begin_locked`], with `then` (read-only queries that cannot fail) in the same message: see
/// [`crate::lock::acquire`]. Returns their rows, a list per statement.
pub(crate) async fn begin_locked_then(
    client: &Client,
    timeouts: Timeouts,
    notify: &Notify,
    then: &str,
) -> Result<Vec<Vec<SimpleQueryRow>>> {
    match crate::lock::acquire(client, timeouts, notify, then).await {
        Ok(rows) => Ok(rows),
        Err(error) => Err(abort(client, error).await),
    }
}

/// A transaction holding the migration lock, its id and the session's process id ([`OPEN`]),
/// in one round trip.
pub(crate) async fn begin_opened(
    client: &Client,
    timeouts: Timeouts,
    notify: &Notify,
) -> Result<Opened> {
    let rows = begin_locked_then(client, timeouts, notify, OPEN).await?;
    match Opened::from_rows(rows.first().map_or(&[], Vec::as_slice)) {
        Ok(opened) => Ok(opened),
        Err(error) => Err(abort(client, error).await),
    }
}

/// [`begin_opened`] for a split run's next transaction, whose statements are sent behind it
/// before its answer: fails, and makes them fail, unless the migration lock is ours (see
/// [`crate::lock::begin_held`]).
pub(crate) async fn begin_held(client: &Client, timeouts: Timeouts) -> Result<Opened> {
    let what = "BEGIN and the migration lock";
    let sql = crate::lock::begin_held(timeouts, OPEN);
    let messages = bounded(what, Some(STEP_DEADLINE), simple(client, &sql, what))
        .await
        .map_err(crate::lock::lost)?;
    let rows = statement_rows(messages);
    Opened::from_rows(rows.last().map_or(&[], Vec::as_slice))
}

/// A transaction that can only read, for plans: whatever a plan's query does, PostgreSQL refuses
/// to write in it. Repeatable read, so every count is of the same moment.
pub(crate) async fn begin_read_only(client: &Client) -> Result<()> {
    let what = "starting a read-only transaction for the plan";
    let sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    bounded(what, Some(STEP_DEADLINE), simple(client, sql, what))
        .await
        .map(drop)
}

/// The id of the open transaction. Each file's tracking row is written only while it is still
/// this one, which proves (on the server, whatever the SQL did) that the run never left it.
pub(crate) async fn transaction_id(client: &Client) -> Result<String> {
    let what = "reading the run's transaction id";
    let messages = bounded(what, Some(STEP_DEADLINE), simple(client, OPEN, what)).await?;
    let rows = statement_rows(messages)
        .into_iter()
        .next()
        .unwrap_or_default();
    Ok(Opened::from_rows(&rows)?.transaction)
}

/// Reads the open transaction's id (see [`transaction_id`]) and the session's process id, so
/// that opening a transaction costs no round trip of its own: it shares the message that takes
/// the migration lock.
pub(crate) const OPEN: &str = "SELECT pg_current_xact_id()::text, pg_backend_pid()";

/// What [`OPEN`] returned.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    pub transaction: String,
    /// The session's process id, for [`crate::probe`].
    pub pid: i32,
}

impl Opened {
    pub(crate) fn from_rows(rows: &[SimpleQueryRow]) -> Result<Opened> {
        let row = rows.first();
        let transaction = row.and_then(|r| r.get(0));
        let pid = row.and_then(|r| r.get(1)).and_then(|p| p.parse().ok());
        match (transaction, pid) {
            (Some(transaction), Some(pid)) => Ok(Opened {
                transaction: transaction.to_string(),
                pid,
            }),
            _ => Err(Error::Database {
                context: "reading the run's transaction id".to_string(),
                reason: "no row".to_string(),
                source: None,
            }),
        }
    }
}

/// What a split run is doing, for its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    Migrate,
    Rollback,
}

/// Corrects the outcome of a failure in a split run: what an earlier piece committed stays (the
/// database is at `committed`), and a file that ran outside a transaction may have left
/// something behind.
pub(crate) fn partly_committed(
    error: Error,
    committed: Option<Option<i64>>,
    rolled_back: bool,
    run: Run,
) -> Error {
    let Error::MigrationFailed {
        location,
        message,
        outcome,
        source,
    } = error
    else {
        return error;
    };
    let (pieces, split_by, file) = match run {
        Run::Migrate => ("migrations", "migration", "migration"),
        Run::Rollback => ("down files", "down file", "down file"),
    };
    let before = match committed {
        Some(version) => format!(
            "The {pieces} before it were committed (the run was split by a no-transaction \
             {split_by}): the database is at version {}",
            version.map_or("none".to_string(), |v| v.to_string())
        ),
        None => "Nothing before it was applied".to_string(),
    };
    let outcome = match (committed, rolled_back) {
        (None, true) => outcome,
        (Some(_), true) => format!("{before}; this part of the run was rolled back"),
        (_, false) => format!(
            "{before}; this {file} ran outside a transaction (-- authdb:no-transaction), so \
             check what it left, e.g. an INVALID index to drop before retrying"
        ),
    };
    Error::MigrationFailed {
        location,
        message,
        outcome,
        source,
    }
}

/// COMMIT or ROLLBACK. A failed COMMIT means nothing of the run was applied; an unanswered one
/// leaves it unknown, and the error says so.
/// `command` may carry authdb's own statements before the COMMIT (the files' times): messages
/// name the COMMIT or ROLLBACK only.
pub(crate) async fn end(client: &Client, command: &str) -> Result<()> {
    let name = command.rsplit(';').next().unwrap_or(command).trim();
    let run = async {
        client
            .batch_execute(command)
            .await
            .map_err(|e| Error::MigrationFailed {
                location: name.to_string(),
                message: describe(&e),
                outcome: ROLLED_BACK.to_string(),
                source: Some(e),
            })
    };
    bounded(&format!("the {name}"), Some(STEP_DEADLINE), run).await
}

/// Rolls back after `error` and returns it. The ROLLBACK's own failure is ignored: a broken
/// connection has already rolled the transaction back on the server.
pub(crate) async fn abort(client: &Client, error: Error) -> Error {
    // A live server answers a ROLLBACK at once; a lost one never will.
    let rollback = client.batch_execute("ROLLBACK");
    let _ = tokio::time::timeout(Duration::from_secs(1), rollback).await;
    error
}

/// Runs one file's SQL, statement by statement as the folder's splitter finds them (psql's
/// rule), so a failure always names the file, line and column, even when PostgreSQL gives no
/// position, and a listener hears which statement is running and when it is done. The client
/// waits for each statement at most `statement_timeout` plus [`SERVER_GRACE`]: the server
/// cancels it first. Lines are counted as the statements go, once over the file: a file of
/// 400,000 statements costs its length, not its length times its statements.
pub(crate) async fn run_script(
    client: &Client,
    path: &Path,
    sql: &str,
    timeouts: Timeouts,
    notify: &Notify,
) -> Result<Duration> {
    run_script_then(client, path, sql, timeouts, notify, None)
        .await
        .map(|(elapsed, _)| elapsed)
}

/// What became of authdb's statement sent with a file's last statement.
#[derive(Debug)]
pub(crate) enum Tail {
    /// None was sent.
    None,
    /// It ran and changed this many rows.
    Rows(u64),
    /// The file's statements all ran, and it failed (the run's transaction is aborted).
    Failed(tokio_postgres::Error),
}

/// [`run_script`], with `tail` (authdb's own statement: the file's tracking row) sent in the
/// same message as the file's last statement, which saves the file a round trip; returns how
/// many rows `tail` changed. The tail runs only if the last statement succeeded; its own
/// failure is told apart from the statement's by the statement's completion, which comes first.
pub(crate) async fn run_script_then(
    client: &Client,
    path: &Path,
    sql: &str,
    timeouts: Timeouts,
    notify: &Notify,
    tail: Option<&str>,
) -> Result<(Duration, Tail)> {
    let started = Instant::now();
    let deadline = timeouts.statement.map(|limit| limit + SERVER_GRACE);
    let mut lines = position::Lines::new(sql);
    let mut statements = authdb_folder::sql::statements(sql).peekable();
    let mut tail_outcome = Tail::None;
    while let Some(statement) = statements.next() {
        let text = &sql[statement.range.clone()];
        let (line, _) = lines.at(statement.range.start);
        notify.send(&Notice::Statement {
            path: path.to_path_buf(),
            line,
        });
        let last_with_tail = tail.filter(|_| statements.peek().is_none());
        let run = async {
            match last_with_tail {
                None => client.batch_execute(text).await.map(|()| Tail::None),
                Some(tail) => with_tail(client, text, tail).await,
            }
            .map_err(|e| failure(path, sql, statement.range.start, e))
        };
        let outcome = match deadline {
            None => run.await?,
            Some(limit) => tokio::time::timeout(limit, run)
                .await
                .map_err(|_| unanswered(path, sql, statement.range.start, limit))??,
        };
        if last_with_tail.is_some() {
            tail_outcome = outcome;
        }
        notify.send(&Notice::StatementDone {
            path: path.to_path_buf(),
            line,
        });
    }
    Ok((started.elapsed(), tail_outcome))
}

/// `statement`, then `tail`, in one message. The statement's own failure is the error; once it
/// has completed, the tail's failure is [`Tail::Failed`].
async fn with_tail(
    client: &Client,
    statement: &str,
    tail: &str,
) -> Result<Tail, tokio_postgres::Error> {
    use futures_util::TryStreamExt;
    // A newline ends a comment the statement may end with; an empty statement is harmless.
    let message = format!("{statement}\n;\n{tail}");
    let stream = client.simple_query_raw(&message).await?;
    futures_util::pin_mut!(stream);
    let mut completed = Vec::new();
    loop {
        match stream.try_next().await {
            Ok(Some(SimpleQueryMessage::CommandComplete(rows))) => completed.push(rows),
            Ok(Some(_)) => {}
            Ok(None) => {
                return Ok(completed
                    .last()
                    .map_or(Tail::None, |rows| Tail::Rows(*rows)));
            }
            Err(error) if completed.is_empty() => return Err(error),
            Err(error) => return Ok(Tail::Failed(error)),
        }
    }
}

/// What became of a run whose connection was given up on a silent server.
pub(crate) const PRESUMED_LOST: &str = "The server rolls the unfinished transaction back: \
     nothing of this run is applied. Check that the server is up, then run migrate again";

pub(crate) fn unanswered(path: &Path, sql: &str, start: usize, waited: Duration) -> Error {
    let (line, col) = position::at_byte(sql, start);
    Error::MigrationFailed {
        location: format!("{}:{line}:{col}", path.display()),
        message: format!(
            "the server did not answer within {} s (--statement-timeout plus {} s), so the \
             connection is presumed lost",
            waited.as_secs(),
            SERVER_GRACE.as_secs()
        ),
        outcome: PRESUMED_LOST.to_string(),
        source: None,
    }
}

/// `SET LOCAL` inside a transaction; `SET` for a migration that runs on its own.
pub(crate) async fn set_timeouts(client: &Client, timeouts: Timeouts, set: &str) -> Result<()> {
    let sql = timeout_settings(timeouts, set);
    let what = "setting lock_timeout and statement_timeout";
    bounded(what, Some(STEP_DEADLINE), simple(client, &sql, what))
        .await
        .map(drop)
}

/// The statements that set the run's timeouts; none is an explicit 0 (no limit), so a role's
/// or server's own default never applies by surprise. client_connection_check_interval: if this
/// process dies mid-run (kill -9, lost network), the server notices within a second even during
/// a long statement, cancels it, rolls back and releases the lock (PostgreSQL 14+).
pub(crate) fn timeout_settings(timeouts: Timeouts, set: &str) -> String {
    format!(
        "{set} client_connection_check_interval = 1000; {set} lock_timeout = {}; \
         {set} statement_timeout = {};",
        millis(timeouts.lock),
        millis(timeouts.statement)
    )
}

fn millis(limit: Option<Duration>) -> u128 {
    limit.map_or(0, |d| d.as_millis().max(1))
}

/// A simple query (one round trip), its driver error kept as the source.
pub(crate) async fn simple(
    client: &Client,
    sql: &str,
    context: &str,
) -> Result<Vec<SimpleQueryMessage>> {
    client
        .simple_query(sql)
        .await
        .map_err(crate::error::database(context.to_string()))
}

/// The rows of a message's statements, a list per statement (each ends with its
/// `CommandComplete`; a statement without rows has an empty list).
pub(crate) fn statement_rows(messages: Vec<SimpleQueryMessage>) -> Vec<Vec<SimpleQueryRow>> {
    let mut results = Vec::new();
    let mut rows = Vec::new();
    for message in messages {
        match message {
            SimpleQueryMessage::Row(row) => rows.push(row),
            SimpleQueryMessage::CommandComplete(_) => results.push(std::mem::take(&mut rows)),
            _ => {}
        }
    }
    results
}

/// The first column of the first row, if any.
pub(crate) fn first_value(messages: &[SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
        _ => None,
    })
}

/// The error of the statement that starts at byte `start` of the file `sql`: PostgreSQL's
/// position is counted in characters of that statement.
fn failure(path: &Path, sql: &str, start: usize, error: tokio_postgres::Error) -> Error {
    failure_in_message(path, sql, start, 0, error)
}

/// [`failure`] for a statement sent after `before` characters of other text in its message:
/// PostgreSQL counts the error's position from the message's start.
pub(crate) fn failure_in_message(
    path: &Path,
    sql: &str,
    start: usize,
    before: usize,
    error: tokio_postgres::Error,
) -> Error {
    let path = path.display();
    let mut message = describe(&error);
    let statement_at = position::at_byte(sql, start);
    let (line, col) = match error.as_db_error().and_then(|db| db.position()) {
        Some(ErrorPosition::Original(position)) if (*position as usize) > before => {
            let within = sql[start..]
                .char_indices()
                .nth((*position as usize - before).saturating_sub(1))
                .map_or(sql.len(), |(i, _)| start + i);
            position::at_byte(sql, within)
        }
        // An error inside a function body: PostgreSQL points into the body, not the file.
        Some(ErrorPosition::Internal { query, .. }) => {
            message.push_str(&format!(" (in the statement: {query})"));
            statement_at
        }
        _ => statement_at,
    };
    if let Some(context) = error.as_db_error().and_then(|db| db.where_()) {
        message.push_str(&format!(" (context: {context})"));
    }
    if error.as_db_error().is_none() {
        message
            .push_str(" (the connection failed; the server rolls back an unfinished transaction)");
    }
    Error::MigrationFailed {
        location: format!("{path}:{line}:{col}"),
        message,
        outcome: ROLLED_BACK.to_string(),
        source: Some(error),
    }
}
