//! A group's statements go several to a message, and PostgreSQL holds their answers until the
//! message is done: what that must not cost. Each file's time is its own, measured by the server;
//! a message longer than the client's deadline for an answer, whose statements each finish
//! within `statement_timeout`, completes when a second connection finds the server at work.

use std::time::Duration;

use authdb::{ConnInfo, MigrateOptions, Retry};
use testdb::Fixture;

use crate::tracking_rows;

async fn connection(db: &testdb::TestDb) -> authdb::Connection {
    let info = ConnInfo::parse(&db.setting(), false).unwrap();
    authdb::connect(&info, Retry::default()).await.unwrap()
}

#[tokio::test]
async fn each_file_of_a_message_gets_its_own_time() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration(
            "quick",
            "CREATE TABLE quick (id int);\n",
            "DROP TABLE quick;\n",
        )
        .migration("slow", "SELECT pg_sleep(0.4);\n", "SELECT 1;\n")
        .migration(
            "after",
            "CREATE TABLE after (id int);\n",
            "DROP TABLE after;\n",
        );
    let report = connection(&db)
        .await
        .migrate(&fixture.load(), &MigrateOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let ms: Vec<f64> = report.steps.iter().map(|s| s.duration_ms).collect();
    assert!(ms[1] >= 400.0, "the slow file's time: {ms:?}");
    // A client's clock would give the whole message to the first file, whose completion comes
    // back with the rest.
    assert!(ms[0] < 300.0 && ms[2] < 300.0, "{ms:?}");
    let client = db.connect().await;
    let stored: Vec<i64> = client
        .query(
            "SELECT execution_ms FROM authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(
        stored[1] >= 400 && stored[0] < 300 && stored[2] < 300,
        "{stored:?}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 3);
}

#[tokio::test]
async fn a_message_longer_than_the_deadline_completes_while_the_server_is_at_work() {
    // 16 statements of 0.5 s under a 2 s statement_timeout: each fits with 1.5 s to spare; the
    // message takes 8 s, past the client's 7 s deadline (2 s plus the 5 s grace) for an answer.
    let sleeps = "SELECT pg_sleep(0.5);\n".repeat(16);
    let fixture = Fixture::new().migration("slow", &sleeps, "SELECT 1;\n");
    let options = MigrateOptions {
        statement_timeout: Some(Duration::from_secs(2)),
        ..Default::default()
    };

    // A bare client has no second connection to ask: the silence is taken for a lost server.
    let bare = testdb::empty_database().await;
    let mut client = bare.connect().await;
    let message = authdb::migrate(&mut client, &fixture.load(), &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(
            "001_slow.sql:1:1: the server did not answer the statements from here to line 16 \
             (sent as one message) within 7 s, so the connection is presumed lost"
        ),
        "{message}"
    );

    let db = testdb::empty_database().await;
    let report = connection(&db)
        .await
        .migrate(&fixture.load(), &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.steps.len(), 1);
    assert!(report.steps[0].duration_ms >= 8000.0, "{:?}", report.steps);
}

/// What of authdb's a session holds: prepared statements, advisory locks, and its timeouts.
async fn left(client: &tokio_postgres::Client) -> (i32, i32, String, String) {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'authdb%')::int,
                    (SELECT count(*) FROM pg_locks
                      WHERE locktype = 'advisory' AND pid = pg_backend_pid())::int,
                    current_setting('lock_timeout'), current_setting('statement_timeout')",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

/// What a session an embedder goes on using holds after a run: no prepared statement of ours (the
/// tracking rows were once written with one), no session lock, the timeouts back at their
/// defaults; after a success, and after a failure in the group after a no-transaction file (sent
/// pipelined behind that file's finished row and the next BEGIN).
#[tokio::test]
async fn a_run_leaves_the_session_as_it_found_it() {
    let db = testdb::empty_database().await;
    let mut fixture = Fixture::new()
        .migration("t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n")
        .migration(
            "t_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
            "-- authdb:no-transaction\nDROP INDEX CONCURRENTLY t_id;\n",
        )
        .migration("u", "CREATE TABLE u (id int);\n", "DROP TABLE u;\n");
    let mut client = db.connect().await;
    let clean = (0, 0, "0".to_string(), "0".to_string());

    authdb::migrate(&mut client, &fixture.load(), &MigrateOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        left(&client).await,
        clean,
        "after a run that applied three files"
    );

    fixture.add("v", "CREATE TABLE v (id int);\n", "DROP TABLE v;\n");
    fixture.add(
        "v_index",
        "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY v_id ON v (id);\n",
        "-- authdb:no-transaction\nDROP INDEX CONCURRENTLY v_id;\n",
    );
    fixture.add(
        "broken",
        "CREATE TABLE w (id int);\nSELECT 1 / 0;\n",
        "DROP TABLE w;\n",
    );
    let error = authdb::migrate(&mut client, &fixture.load(), &MigrateOptions::default())
        .await
        .expect_err("the last file divides by zero");
    let shown = error.to_string();
    assert!(shown.contains("006_broken.sql:2:1"), "{shown}");
    assert!(shown.contains("division by zero"), "{shown}");
    assert_eq!(
        left(&client).await,
        clean,
        "after a run that failed: {shown}"
    );
    let versions: Vec<i64> = tracking_rows(&client).await.iter().map(|r| r.0).collect();
    assert_eq!(
        versions,
        [1, 2, 3, 4, 5],
        "the pieces before the failure stay"
    );
    assert!(!crate::tables(&client).await.contains(&"w".to_string()));
}

/// A rule on the tracking table that swallows a file's row (the history would then miss an
/// applied file) is caught, named, and rolled back. `DEALLOCATE ALL` in a file, which dropped
/// the prepared INSERT the rows were once written with, is harmless.
#[tokio::test]
async fn a_rule_that_swallows_the_tracking_rows_is_refused() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration(
            "t",
            "CREATE TABLE t (id int);\nDEALLOCATE ALL;\n",
            "DROP TABLE t;\n",
        )
        .migration(
            "rule",
            "CREATE RULE swallow AS ON INSERT TO public.authdb_schema_migrations DO INSTEAD NOTHING;\n",
            "DROP RULE swallow ON public.authdb_schema_migrations;\n",
        );
    let mut client = db.connect().await;
    let error = authdb::migrate(&mut client, &fixture.load(), &MigrateOptions::default())
        .await
        .expect_err("the rows were not written");
    let shown = error.to_string();
    assert!(shown.contains("002_rule.sql"), "{shown}");
    assert!(
        shown.contains("recording version 2 as applied wrote no row: a rule on"),
        "{shown}"
    );
    assert!(shown.contains("the whole run was rolled back"), "{shown}");
    assert!(crate::tables(&client).await.is_empty());
}

/// A group after a no-transaction file goes out behind that file's finished row and the next
/// BEGIN, before the answer that says the migration lock is ours. A migration that released the
/// session's lock (`pg_advisory_unlock_all`) lets another migrator take it meanwhile (the file
/// waits until it has, on this database: other tests' migrators hold the same key on theirs, so
/// nothing hangs on timing): the BEGIN then fails, and the group sent behind it does not run.
#[tokio::test]
async fn a_group_sent_behind_a_begin_that_finds_the_lock_taken_does_not_run() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration("a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
        .migration(
            "release",
            &format!(
                "-- authdb:no-transaction\nDO $$ BEGIN PERFORM pg_advisory_unlock_all(); \
                 FOR i IN 1..3000 LOOP EXIT WHEN EXISTS (SELECT FROM pg_locks \
                 WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 AND objid::bigint = {}); PERFORM pg_sleep(0.01); END LOOP; END $$;\n",
                authdb::runner::LOCK_KEY & 0xffff_ffff
            ),
            "SELECT 1;\n",
        )
        .migration("c", "CREATE TABLE c (id int);\n", "DROP TABLE c;\n");
    // Another migrator tries the lock once 001 is committed, and keeps it once it has it.
    let other = db.connect().await;
    let taker = tokio::spawn(async move {
        let sql = format!(
            "SELECT CASE WHEN to_regclass('public.a') IS NOT NULL \
             THEN pg_try_advisory_lock({}) ELSE false END",
            authdb::runner::LOCK_KEY
        );
        for _ in 0..2000 {
            let row = other.query_one(&sql, &[]).await.unwrap();
            if row.get::<_, bool>(0) {
                return Some(other);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    });
    let mut client = db.connect().await;
    let error = authdb::migrate(&mut client, &fixture.load(), &MigrateOptions::default())
        .await
        .expect_err("the lock was taken between the pieces");
    let _holder = taker
        .await
        .unwrap()
        .expect("the other session took the lock");
    let shown = error.to_string();
    assert!(
        shown.contains("another session holds the migration lock, which this run's session held"),
        "{shown}"
    );
    assert!(shown.contains("pg_advisory_unlock_all"), "{shown}");
    assert!(shown.contains("the database is at version 2"), "{shown}");
    let versions: Vec<i64> = tracking_rows(&client).await.iter().map(|r| r.0).collect();
    assert_eq!(versions, [1, 2]);
    assert!(!crate::tables(&client).await.contains(&"c".to_string()));
}

/// Each tracking row checks that the run's transaction is still open by its start time against
/// the message's, not by a setting of the session: a file that resets every setting (`RESET
/// ALL`) is applied and recorded like any other, and so are the files after it.
#[tokio::test]
async fn a_file_that_resets_the_session_is_recorded_like_any_other() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration("a", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
        .migration("reset", "RESET ALL;\n", "SELECT 1;\n")
        .migration("c", "CREATE TABLE c (id int);\n", "DROP TABLE c;\n");
    let mut client = db.connect().await;
    authdb::migrate(&mut client, &fixture.load(), &MigrateOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let versions: Vec<i64> = tracking_rows(&client).await.iter().map(|r| r.0).collect();
    assert_eq!(versions, [1, 2, 3]);
}
