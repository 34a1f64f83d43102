//! Lock retries: a statement that gives up waiting for a table lock the application holds rolls
//! the run back and tries again, waiting briefly at first; each retry is heard once, with who
//! held the lock, and counted; nothing is partial between attempts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use authdb::{MigrateOptions, Notice, Notify};
use testdb::Fixture;
use tokio_postgres::Client;

use crate::tracking_rows;

/// `users`, then a migration that counts its executions and alters `users`.
fn folder() -> Fixture {
    Fixture::new()
        .migration(
            "users",
            "CREATE TABLE users (id int);\nCREATE SEQUENCE executions;\n",
            "DROP TABLE users;\nDROP SEQUENCE executions;\n",
        )
        .migration(
            "add_name",
            "SELECT nextval('executions');\nALTER TABLE users ADD COLUMN name text;\n",
            "ALTER TABLE users DROP COLUMN name;\n",
        )
}

/// An application session holding `mode` on `users` (as a request's transaction does), named
/// so the retries can name it.
async fn holder(db: &testdb::TestDb, mode: &str) -> Client {
    let app = db.connect().await;
    app.batch_execute(&format!(
        "SET application_name = 'signup-worker'; BEGIN; LOCK TABLE users IN {mode} MODE;"
    ))
    .await
    .unwrap();
    app
}

fn listening() -> (Notify, Arc<Mutex<Vec<Notice>>>) {
    let heard: Arc<Mutex<Vec<Notice>>> = Arc::default();
    let sink = heard.clone();
    (
        Notify::new(move |n| sink.lock().unwrap().push(n.clone())),
        heard,
    )
}

async fn executions(client: &Client) -> i64 {
    client
        .query_one(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM executions",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_lock_held_past_the_timeout_is_waited_out_with_retries() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder();
    let migrations = fixture.load();
    let first = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    authdb::migrate(&mut client, &migrations, &first)
        .await
        .unwrap();
    let app = holder(&db, "ACCESS SHARE").await;
    let app_pid: i32 = app
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    // The request ends after about a second and a half: longer than the first attempts wait.
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        app.batch_execute("COMMIT").await.unwrap();
    });
    let (notify, heard) = listening();
    let options = MigrateOptions {
        lock_timeout: Some(Duration::from_millis(400)),
        notify,
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &options)
        .await
        .unwrap();
    release.await.unwrap();
    assert_eq!(report.steps.len(), 1, "{report:?}");
    assert!(!report.retries.is_empty(), "{report:?}");
    let first_retry = &report.retries[0];
    assert_eq!(first_retry.attempt, 1);
    assert_eq!(
        first_retry.lock_timeout_ms, 100,
        "the first attempt waits 100 ms"
    );
    assert!(
        first_retry.location.ends_with("002_add_name.sql:2:1"),
        "{first_retry:?}"
    );
    assert!(
        first_retry.held_by.starts_with(&format!(
            "pid {app_pid}, application_name signup-worker, AccessShareLock on users"
        )),
        "{first_retry:?}"
    );
    assert!(
        report.retries.iter().all(|r| r.lock_timeout_ms <= 400),
        "never longer than --lock-timeout: {:?}",
        report.retries
    );
    let said: Vec<Notice> = heard
        .lock()
        .unwrap()
        .iter()
        .filter(|n| matches!(n, Notice::LockRetry(_)))
        .cloned()
        .collect();
    assert_eq!(said.len(), report.retries.len(), "each retry is said once");
    // Every attempt ran the file from its start and was rolled back whole: the file ran once per
    // attempt, and its effect is there once.
    assert_eq!(executions(&client).await, report.retries.len() as i64 + 1);
    assert_eq!(tracking_rows(&client).await.len(), 2);
}

#[tokio::test]
async fn retries_end_at_their_count_and_the_error_says_how_many_attempts() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder();
    let migrations = fixture.load();
    let first = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    authdb::migrate(&mut client, &migrations, &first)
        .await
        .unwrap();
    let _app = holder(&db, "ACCESS SHARE").await;
    let before = tracking_rows(&client).await;
    let options = MigrateOptions {
        lock_timeout: Some(Duration::from_millis(200)),
        lock_retries: 2,
        ..Default::default()
    };
    let error = authdb::migrate(&mut client, &migrations, &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("002_add_name.sql:2:1: canceling statement due to lock timeout (SQLSTATE 55P03). Nothing was applied")
            && error.ends_with(
                "(after 3 attempts that each gave up waiting for a lock and were rolled back; see \
                 --lock-retries)"
            ),
        "{error}"
    );
    assert_eq!(tracking_rows(&client).await, before, "nothing is partial");
    assert_eq!(executions(&client).await, 3);
}

#[tokio::test]
async fn retrying_stops_at_the_time_bound() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder();
    let migrations = fixture.load();
    let first = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    authdb::migrate(&mut client, &migrations, &first)
        .await
        .unwrap();
    let _app = holder(&db, "ACCESS SHARE").await;
    let options = MigrateOptions {
        lock_timeout: Some(Duration::from_millis(200)),
        lock_retries: 1000,
        lock_retry_time: Some(Duration::from_secs(2)),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let error = authdb::migrate(&mut client, &migrations, &options)
        .await
        .unwrap_err();
    assert_eq!(error.sqlstate(), Some("55P03"));
    // The bound is checked between attempts: the last one may start just before it (one
    // attempt and one pause later at most), and a loaded machine adds its own delays.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// `CREATE INDEX CONCURRENTLY` that gives up waiting may leave its index INVALID; its row stays
/// unfinished, so the next attempt drops what it left and builds it again, without asking.
#[tokio::test]
async fn a_concurrent_index_that_gave_up_waiting_is_retried_cleanly() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new().table("users").migration(
        "users_id",
        "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n",
        "-- authdb:no-transaction\nDROP INDEX CONCURRENTLY users_id_idx;\n",
    );
    let migrations = fixture.load();
    let first = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    authdb::migrate(&mut client, &migrations, &first)
        .await
        .unwrap();
    // SHARE UPDATE EXCLUSIVE: what VACUUM or another index build holds; the build waits for it.
    let app = holder(&db, "SHARE UPDATE EXCLUSIVE").await;
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        app.batch_execute("COMMIT").await.unwrap();
    });
    let options = MigrateOptions {
        lock_timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &options)
        .await
        .unwrap();
    release.await.unwrap();
    assert!(!report.retries.is_empty(), "{report:?}");
    let state: (bool, bool) = {
        let row = client
            .query_one(
                "SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_id_idx'::regclass),
                        (SELECT bool_and(finished) FROM authdb_schema_migrations)",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(state, (true, true));
}

/// What the retries are for: a request holds a row of `users` for twice the lock timeout while a
/// migration needs `users` whole. Without retries the deploy fails after blocking sign-ins for the
/// whole lock timeout; with them it succeeds, and no sign-in waits longer than one attempt's
/// short timeout (a generous margin keeps the bound honest on a loaded machine: 2 s, where one
/// attempt at the configured timeout would block sign-ins 3 s).
#[tokio::test]
async fn a_request_holding_a_row_for_twice_the_timeout_is_waited_out_without_blocking_sign_ins() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder();
    let migrations = fixture.load();
    let first = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    authdb::migrate(&mut client, &migrations, &first)
        .await
        .unwrap();
    client
        .batch_execute("INSERT INTO users SELECT generate_series(1, 100)")
        .await
        .unwrap();
    let lock_timeout = Duration::from_secs(3);
    let request = db.connect().await;
    request
        .batch_execute("BEGIN; SELECT 1 FROM users WHERE id = 100 FOR UPDATE")
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(lock_timeout * 2).await;
        request.batch_execute("COMMIT").await.unwrap();
    });
    // Sign-ins: a look-up of another user every 10 ms, each timed.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let (stop, probe) = (stop.clone(), db.connect().await);
        tokio::spawn(async move {
            let mut longest = Duration::ZERO;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = std::time::Instant::now();
                probe
                    .query_one("SELECT id FROM users WHERE id = 7", &[])
                    .await
                    .unwrap();
                longest = longest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            longest
        })
    };
    let options = MigrateOptions {
        lock_timeout: Some(lock_timeout),
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &options)
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let longest = probe.await.unwrap();
    release.await.unwrap();
    assert_eq!(report.steps.len(), 1);
    assert!(report.retries.len() >= 2, "{:?}", report.retries);
    let longest_attempt = report.retries.iter().map(|r| r.lock_timeout_ms).max();
    assert!(longest_attempt <= Some(400), "{:?}", report.retries);
    assert!(
        longest < Duration::from_secs(2),
        "a sign-in waited {longest:?} behind the migration"
    );
}
