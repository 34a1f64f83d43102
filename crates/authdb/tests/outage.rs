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
    // The server is paused once the slow statement is sent, however long the steps before it
    // take on a loaded machine: paused earlier, a short step would wait out its own deadline.
    let (sent, slow_statement_sent) = tokio::sync::oneshot::channel();
    let sent = std::sync::Mutex::new(Some(sent));
    let options = MigrateOptions {
        statement_timeout: Some(Duration::from_secs(1)),
        notify: authdb::Notify::new(move |notice| {
            if let authdb::Notice::Statement { path, .. } = notice
                && path.ends_with("002_slow.sql")
                && let Some(sent) = sent.lock().unwrap().take()
            {
                let _ = sent.send(());
            }
        }),
        ..Default::default()
    };

    let mut client = db.connect().await;
    let run = {
        let migrations = migrations.clone();
        tokio::spawn(async move { authdb::migrate(&mut client, &migrations, &options).await })
    };
    slow_statement_sent.await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    docker("pause");
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("migrate hung on a paused server")
        .unwrap();
    let waited = started.elapsed();
    docker("unpause");

    let message = result.unwrap_err().to_string();
    assert!(
        message.contains(
            "002_slow.sql:1:1: the server did not answer within 6 s (--statement-timeout plus 5 s)"
        ),
        "{message}"
    );
    assert!(
        message.contains("nothing of this run is applied"),
        "{message}"
    );
    assert!(waited < Duration::from_secs(10), "took {waited:?}");

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
