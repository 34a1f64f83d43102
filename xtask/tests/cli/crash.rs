//! A migrator killed with SIGKILL in the middle of a slow migration: the database stays at the
//! old version, the lock is released, and the next run applies everything.

use std::time::{Duration, Instant};

use crate::{state, xtask};

#[tokio::test]
async fn kill_9_mid_migration_leaves_the_old_version_and_the_next_run_completes() {
    let db = testdb::empty_database().await;
    let fixture = testdb::Fixture::new().table("t").migration(
        "slow",
        "CREATE TABLE u (id int);\nSELECT pg_sleep(30);\n",
        "DROP TABLE u;\n",
    );
    let dir = fixture.path();
    let mut child = xtask(dir)
        .args(["migrate", "--database-url", &db.url, "--migrations"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let watcher = db.connect().await;
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()";
    let deadline = Instant::now() + Duration::from_secs(20);
    while watcher
        .query_one(sleeping, &[])
        .await
        .unwrap()
        .get::<_, i64>(0)
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the slow migration never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The server notices the dead client within client_connection_check_interval (1 s), not
    // after the 30 s sleep.
    let deadline = Instant::now() + Duration::from_secs(10);
    while watcher
        .query_one(sleeping, &[])
        .await
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the killed migrator's transaction is still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        state(&db).await,
        (vec![], -1),
        "the killed run left something behind"
    );

    fixture.write(
        "002_slow.sql",
        "CREATE TABLE u (id int);\nSELECT pg_sleep(0.1);\n",
    );
    let output = xtask(dir)
        .args(["migrate", "--database-url", &db.url, "--migrations"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", crate::text(&output));
    let (tables, applied) = state(&db).await;
    assert_eq!((tables.len(), applied), (3, 2));
}
