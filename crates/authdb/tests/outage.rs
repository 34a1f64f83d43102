//! The server stops answering in the middle of a migration (its container is paused): migrate
//! fails with a clear error within the statement timeout instead of hanging, and once the server
//! is back the database is at the old version and migrate completes. This binary has its own
//! container (see `testdb`), so pausing it disturbs no other test.

use std::process::Command;
use std::time::{Duration, Instant};

use authdb::MigrateOptions;

/// The tests pause the one server of this binary: one at a time.
static PAUSED: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits until a statement of another session sleeps in `pg_sleep`.
async fn until_sleeping(db: &testdb::TestDb) {
    let watcher = db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running: bool = watcher
            .query_one(
                "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database() \
                 AND state = 'active' \
                 AND wait_event = 'PgSleep' AND pid <> pg_backend_pid())",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if running {
            return;
        }
        assert!(Instant::now() < deadline, "the slow statement never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn docker(verb: &str) {
    let id = testdb::server().container_id();
    let status = Command::new("docker")
        .args([verb, id])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "docker {verb} failed");
}

/// Migrates `migrations` with a 1 s statement timeout through a Connection, as the command line
/// does (a silent server is probed on a second connection before the run gives up), pausing the
/// server once a `pg_sleep` statement runs (seen from another connection), however long the
/// steps before it take on a loaded machine. Unpauses before returning, even when the run hangs.
/// Returns the run's result and how long it took after the pause.
async fn migrate_paused(
    db: &testdb::TestDb,
    migrations: &authdb::Migrations,
) -> (authdb::Result<authdb::MigrateReport>, Duration) {
    let options = MigrateOptions {
        statement_timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    let info = authdb::ConnInfo::parse(&db.setting(), false).unwrap();
    let mut connection = authdb::connect(&info, authdb::Retry::default())
        .await
        .unwrap();
    let run = {
        let migrations = migrations.clone();
        tokio::spawn(async move { connection.migrate(&migrations, &options).await })
    };
    until_sleeping(db).await;
    docker("pause");
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), run).await;
    let waited = started.elapsed();
    docker("unpause");
    (
        result.expect("migrate hung on a paused server").unwrap(),
        waited,
    )
}

#[tokio::test]
async fn a_paused_server_gives_a_clear_error_in_time_and_nothing_is_applied() {
    let _one = PAUSED.lock().await;
    let db = testdb::empty_database().await;
    let fixture = testdb::Fixture::new().table("t").migration(
        "slow",
        "SELECT pg_sleep(2);\nCREATE TABLE u (id int);\n",
        "DROP TABLE u;\n",
    );
    let migrations = fixture.load();
    let (result, waited) = migrate_paused(&db, &migrations).await;

    // The statements went as one message, whose answers the server holds until it is done:
    // the error names the stretch the server was in, and what the second connection found.
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains(
            "001_create_t.sql:1:1: the server did not answer the statements from here to "
        ) && message.contains("002_slow.sql:2 (sent as one message) within ")
            && message.contains("a second connection could not reach the server either"),
        "{message}"
    );
    assert!(
        message.contains("nothing of this run is applied"),
        "{message}"
    );
    // The deadline (6 s) and the second connection's (at most 10 s), with a margin for load.
    assert!(waited < Duration::from_secs(25), "took {waited:?}");

    // Back up: the run left nothing, and a new run applies everything.
    let mut client = db.connect().await;
    let tracked: bool = client
        .query_one("SELECT to_regclass('t') IS NOT NULL OR to_regclass('authdb_schema_migrations') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!tracked, "the interrupted run left tables behind");
    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(report.steps.len(), 2);
}

/// A no-transaction file's statement in flight when the server stops answering: the client gives
/// up, and the file's row stays unfinished (the statement may still finish once the server
/// wakes), so the next run settles it from what it finds instead of forgetting a file that ran.
/// The torture suite found the row forgotten: the DELETE, queued behind the statement, ran when
/// the server woke.
#[tokio::test]
async fn a_no_transaction_file_the_server_did_not_answer_stays_unfinished() {
    let _one = PAUSED.lock().await;
    let db = testdb::empty_database().await;
    let fixture = testdb::Fixture::new().table("t").migration(
        "slow",
        "-- authdb:no-transaction\n-- authdb:idempotent sleeping twice changes nothing\nSELECT pg_sleep(2);\n",
        "SELECT 1;\n",
    );
    let migrations = fixture.load();
    let (result, _) = migrate_paused(&db, &migrations).await;
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("002_slow.sql:3:1: the server did not answer within 6 s"),
        "{message}"
    );
    assert!(message.contains("at version 1"), "{message}");

    // The server woke and cancelled the statement (its timeout); the row is still there.
    let mut client = db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let others: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if others == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the run's session never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows: Vec<(i64, bool)> = client
        .query(
            "SELECT version, finished FROM authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(rows, [(1, true), (2, false)]);
    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(report.recovered.len(), 1, "{report:?}");
    assert_eq!(report.steps.len(), 1);
}
