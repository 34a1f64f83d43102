//! The migration lock: one advisory key that serialises every migrate, rollback, baseline and
//! adopt on a database.
//!
//! It is only ever *tried* (`pg_try_advisory_xact_lock`), never waited for inside PostgreSQL. A
//! migrator blocked in the server on the lock keeps a transaction open, and a
//! `CREATE INDEX CONCURRENTLY` run by the lock's holder waits for every open transaction that
//! might see its table: each would wait for the other. PostgreSQL's deadlock detector then cancels
//! one of them, and when it cancels the index build, the next migrator executes the file a second
//! time. So a migrator that finds the lock taken rolls back at once and tries again from the
//! client after a pause: between tries it holds no transaction, no snapshot and no lock, so no
//! migrator ever waits for another inside the server and no cycle can form, whatever the folder
//! holds. This is the one lock order of ARCHITECTURE.md: the migration lock first, by tries
//! only; then the table locks the migrations' own statements take, each bounded by
//! `lock_timeout`.

use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

use crate::error::{Error, Result};
use crate::notice::{Notice, Notify};
use crate::transaction::{
    STEP_DEADLINE, Timeouts, bounded, first_value, simple, statement_rows, timeout_settings,
};

/// The advisory lock's key ("authdb" in ASCII). Taken at transaction level, so COMMIT or ROLLBACK
/// releases it, also through a transaction-mode pooler, and the server does when the client dies.
pub const LOCK_KEY: i64 = 0x6175_7468_6462;

/// The first pause between two tries, and the longest: short enough that a waiting migrator
/// starts within a quarter of a second of the holder's COMMIT, long enough that a hundred of them
/// cost the server nothing.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// Opens a transaction holding the migration lock, with the run's settings, or fails with
/// [`Error::MigrationLocked`] once `timeouts.lock_wait` has passed. While another session holds
/// it, says so once through `notify` (who, since when).
///
/// `then` is sent in the same message, after the lock is tried: queries the caller would
/// otherwise send next, a round trip each. They must be read-only and unable to fail, since
/// they run whether or not the lock is ours (and go with the ROLLBACK when it is not). Returns
/// their rows, a list per statement, from the try that took the lock.
pub(crate) async fn acquire(
    client: &Client,
    timeouts: Timeouts,
    notify: &Notify,
    then: &str,
) -> Result<Vec<Vec<SimpleQueryRow>>> {
    let try_sql = try_message(timeouts, then);
    // One round trip when nobody else migrates: a migrate with nothing to do is mostly this.
    if let Some(rows) = try_once(client, &try_sql).await? {
        return Ok(rows);
    }
    let started = Instant::now();
    let holder = holder(client).await?;
    notify.send(&Notice::WaitingForLock {
        holder: holder.clone(),
    });
    let mut pause = FIRST_PAUSE;
    loop {
        let waited = started.elapsed();
        if let Some(limit) = timeouts.lock_wait
            && waited >= limit
        {
            return Err(Error::MigrationLocked { holder, waited });
        }
        let left = timeouts.lock_wait.map_or(pause, |limit| limit - waited);
        tokio::time::sleep(jittered(pause).min(left)).await;
        if let Some(rows) = try_once(client, &try_sql).await? {
            return Ok(rows);
        }
        pause = (pause * 3 / 2).min(LONGEST_PAUSE);
    }
}

/// The message of one try: BEGIN, the run's settings, the lock, [`CATALOG_CAUGHT_UP`], then
/// `then`.
fn try_message(timeouts: Timeouts, then: &str) -> String {
    format!(
        "BEGIN; {} SELECT pg_try_advisory_xact_lock({LOCK_KEY}); {CATALOG_CAUGHT_UP}; {then}",
        timeout_settings(timeouts, "SET LOCAL")
    )
}

/// Sent right after the lock is tried, so that what the statements behind it find by name is what
/// the lock's last holder committed. A session reads names through caches that it brings up to
/// date only when it starts a transaction or takes a lock on a table, and `to_regclass` takes
/// none: a holder that committed the tracking table between this try's BEGIN and its lock (a
/// waiting migrator tries again just as the holder finishes) left this session's "no such table"
/// from its previous try standing, and the run then planned from an empty history and failed
/// creating the table (found by the torture suite, one case in 2,000). Opening a catalog that no
/// statement before it touches takes a new lock, which brings the caches up to date. It reads no
/// rows and needs no privilege beyond what every role has, and cost 0.1 ms in a new session.
const CATALOG_CAUGHT_UP: &str = "SELECT pg_catalog.pg_relation_size('pg_catalog.pg_description')";

/// One try: the transaction stays open when the lock is ours, and is rolled back at once when it
/// is not, so that nothing of ours is open while we pause. When it is ours, the rows of the
/// statements after the lock's.
async fn try_once(client: &Client, sql: &str) -> Result<Option<Vec<Vec<SimpleQueryRow>>>> {
    let what = "BEGIN and the migration lock";
    let messages = bounded(what, Some(STEP_DEADLINE), simple(client, sql, what)).await?;
    // BEGIN and the settings return no rows: the first statement with a row is the lock's, the
    // next [`CATALOG_CAUGHT_UP`]'s.
    let mut results = statement_rows(messages)
        .into_iter()
        .skip_while(Vec::is_empty);
    let locked = results.next().and_then(|rows| rows.into_iter().next());
    results.next();
    if locked.as_ref().and_then(|row| row.get(0)) == Some("t") {
        return Ok(Some(results.collect()));
    }
    let what = "the ROLLBACK after finding the migration lock taken";
    bounded(what, Some(STEP_DEADLINE), simple(client, "ROLLBACK", what)).await?;
    Ok(None)
}

/// Between three quarters and five quarters of `pause`: migrators that found the lock taken at
/// the same moment do not all try again at the same moment.
fn jittered(pause: Duration) -> Duration {
    pause.mul_f64(0.75 + fastrand::f64() / 2.0)
}

/// Takes the session-level lock on the same key, inside a transaction that holds the
/// transaction-level one: a split run keeps other migrators out between its pieces. It cannot
/// wait (no other session can hold the key while we hold it), and it is tried, not waited for,
/// so that this stays true by construction.
pub(crate) async fn hold_for_session(client: &Client) -> Result<()> {
    let what = "taking the session-level migration lock";
    let messages = bounded(
        what,
        Some(STEP_DEADLINE),
        simple(client, &session_try(), what),
    )
    .await?;
    session_held(first_value(&messages).as_deref())
}

/// A split run's next transaction, holding the transaction-level lock, in one message that fails
/// (a division by zero) unless the lock is ours: sent pipelined with the statements that follow,
/// it must stop them rather than wait and try again, as [`acquire`] does, behind their backs.
/// The session-level lock this session holds since the run's first COMMIT makes it ours, unless
/// a migration released that lock and another migrator took it.
pub(crate) fn begin_held(timeouts: Timeouts, then: &str) -> String {
    format!(
        "BEGIN; {} SELECT 1 / pg_try_advisory_xact_lock({LOCK_KEY})::int; {then}",
        timeout_settings(timeouts, "SET LOCAL")
    )
}

/// What [`begin_held`]'s failure means.
pub(crate) fn lost(error: Error) -> Error {
    match &error {
        Error::Database {
            source: Some(source),
            ..
        } if source.code() == Some(&SqlState::DIVISION_BY_ZERO) => Error::Database {
            context: "opening the run's next transaction under the migration lock".to_string(),
            reason: "another session holds the migration lock, which this run's session held \
                     since its first COMMIT: did a migration release it (pg_advisory_unlock_all)?"
                .to_string(),
            source: None,
        },
        _ => error,
    }
}

/// The query [`hold_for_session`] sends, for a caller that sends it with others.
pub(crate) fn session_try() -> String {
    format!("SELECT pg_try_advisory_lock({LOCK_KEY})")
}

/// Whether [`session_try`]'s answer took the lock.
pub(crate) fn session_held(answer: Option<&str>) -> Result<()> {
    match answer {
        Some("t") => Ok(()),
        _ => Err(Error::Database {
            context: "taking the session-level migration lock".to_string(),
            reason: "another session holds it although this transaction holds the \
                     transaction-level lock on the same key"
                .to_string(),
            source: None,
        }),
    }
}

/// Releases the session-level lock and the session settings of a split run. Done even after a
/// failure (the session may be reused by whoever embeds us); its own failure is ignored, since a
/// lost connection has released everything already.
pub(crate) async fn release_session(client: &Client) {
    let release = format!(
        "SELECT pg_advisory_unlock({LOCK_KEY}); RESET lock_timeout; RESET statement_timeout; \
         RESET client_connection_check_interval"
    );
    let _ = tokio::time::timeout(STEP_DEADLINE, client.batch_execute(&release)).await;
}

/// Who holds the migration lock, for the one notice and the error: pid, application, user,
/// client address and how long their transaction has been open.
async fn holder(client: &Client) -> Result<String> {
    let sql = format!(
        "SELECT a.pid::text, coalesce(nullif(a.application_name, ''), '(none)'), a.usename::text,
                coalesce(host(a.client_addr), 'local'),
                to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                extract(epoch FROM now() - a.xact_start)::int::text
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid::bigint = {} AND l.objid::bigint = {}
          LIMIT 1",
        LOCK_KEY >> 32,
        LOCK_KEY & 0xffff_ffff
    );
    let what = "finding who holds the migration lock";
    let messages = bounded(what, Some(STEP_DEADLINE), simple(client, &sql, what)).await?;
    let row = messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    });
    Ok(match row {
        Some(row) => {
            let field = |i| row.get(i).unwrap_or("?");
            format!(
                "pid {}, application_name {}, user {}, from {}, since {} ({} s ago)",
                field(0),
                field(1),
                field(2),
                field(3),
                field(4),
                field(5)
            )
        }
        // Released between the try and this query: the wait will be short.
        None => "another session (it has just released it)".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_stay_within_a_quarter_of_their_nominal_length() {
        for _ in 0..1000 {
            let pause = jittered(Duration::from_millis(100));
            assert!(pause >= Duration::from_millis(75) && pause <= Duration::from_millis(125));
        }
    }

    /// The race the torture suite found, made certain: the holder commits the tracking table
    /// after this session's BEGIN and before its lock, while the session still remembers "no
    /// such table" from its previous try. The try is made to wait for the lock instead (no
    /// `lock_timeout`), so that the holder can commit inside that window, once `pg_locks` shows
    /// the session waiting. Without [`CATALOG_CAUGHT_UP`] the shape says "no table". (The
    /// holder's table has no primary key: with its index, PostgreSQL 17 took the news in while
    /// waiting for the lock, which a try that does not wait never does.)
    #[tokio::test]
    async fn what_a_try_finds_by_name_is_what_the_last_holder_committed() {
        let db = testdb::empty_database().await;
        let (waiter, holder, watcher) =
            (db.connect().await, db.connect().await, db.connect().await);
        let shape = crate::tracking::shape_query();
        let message = try_message(Timeouts::DEFAULT, &shape);
        let first = try_once(&waiter, &message)
            .await
            .unwrap()
            .expect("the lock is free");
        assert!(!crate::tracking::Shape::from_rows(&first[0]).table);
        simple(&waiter, "ROLLBACK", "ending the first try")
            .await
            .unwrap();

        holder
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({LOCK_KEY});
                 CREATE TABLE {} (version bigint)",
                crate::tracking::QUALIFIED
            ))
            .await
            .unwrap();
        let patient = Timeouts {
            lock: None,
            ..Timeouts::DEFAULT
        };
        let waiting = try_message(patient, &shape).replace(
            &format!("pg_try_advisory_xact_lock({LOCK_KEY})"),
            &format!("pg_advisory_xact_lock({LOCK_KEY}) IS NOT NULL"),
        );
        assert!(!waiting.contains("pg_try_advisory_xact_lock"));
        let second = tokio::spawn(async move { try_once(&waiter, &waiting).await });
        let seen_waiting =
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
        // Until the try waits, or has ended some other way (its result then says how).
        while !second.is_finished()
            && watcher
                .query_one(seen_waiting, &[])
                .await
                .unwrap()
                .get::<_, i64>(0)
                == 0
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        holder.batch_execute("COMMIT").await.unwrap();

        let rows = second
            .await
            .unwrap()
            .unwrap()
            .expect("the lock, once committed");
        let found = crate::tracking::Shape::from_rows(&rows[0]);
        assert!(
            found.schema && found.table,
            "the committed table was not seen"
        );
        db.drop_database().await;
    }
}
