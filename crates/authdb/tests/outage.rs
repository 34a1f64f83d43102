//! The server stops answering in the middle of a migration (its container is paused): migrate
//! fails with a clear error within the statement timeout instead of hanging, and once the server
//! is back the database is at the old version and migrate completes. This binary has its own
//! container (see `testdb`), so pausing it disturbs no other test.

use std::process::Command;
use std::time::{Duration, Instant};

use authdb::MigrateOptions;

fn docker(verb: &str) {
    let id = testdb::server().container_id();
    let status = Command::new("docker")
        .args([verb, id])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "docker {verb} failed");
}

#[tokio::test]
async fn a_paused_server_gives_a_clear_error_in_time_and_nothing_is_applied() {
    let db = testdb::empty_database().await;
    let fixture = testdb::Fixture::new().table("t").migration(
        "slow",
        "SELECT pg_sleep(2);\nCREATE TABLE u (id int);\n",
        "DROP TABLE u;\n",
    );
    let migrations = fixture.load();
    // The server is paused once the slow statement runs (seen from another connection), however
    // long the steps before it take on a loaded machine: paused earlier, a short step would wait
    // out its own deadline. The statements go in batches, so no notice marks the moment.
    let options = MigrateOptions {
        statement_timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    };

    // Through a Connection, as the command line does: a silent server is probed on a second
    // connection before the run gives up.
    let info = authdb::ConnInfo::parse(&db.setting(), false).unwrap();
    let mut connection = authdb::connect(&info, authdb::Retry::default())
        .await
        .unwrap();
    let watcher = db.connect().await;
    let run = {
        let migrations = migrations.clone();
        tokio::spawn(async move { connection.migrate(&migrations, &options).await })
    };
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
            break;
        }
        assert!(Instant::now() < deadline, "the slow statement never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(watcher);
    docker("pause");
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("migrate hung on a paused server")
        .unwrap();
    let waited = started.elapsed();
    docker("unpause");

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
