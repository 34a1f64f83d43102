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

/// A migrator killed while its `CREATE INDEX CONCURRENTLY` builds: the server cancels the build
/// within a second (the session checks its client), which leaves the index INVALID and the
/// file's row unfinished; the next run drops the index concurrently, builds it again and records
/// it, once.
#[tokio::test]
async fn kill_9_mid_concurrent_index_is_settled_by_the_next_run() {
    let db = testdb::empty_database().await;
    // A function that sleeps on each row makes the build slow enough to be killed mid-way; it
    // is IMMUTABLE only so that an index may call it.
    let fixture = testdb::Fixture::new()
        .migration(
            "t",
            "CREATE TABLE t (id int);\n\
             INSERT INTO t SELECT generate_series(1, 20);\n\
             CREATE FUNCTION slow(i int) RETURNS int LANGUAGE sql IMMUTABLE AS \
             $$ SELECT i + 0 * length(pg_sleep(0.15)::text) $$;\n",
            "DROP TABLE t;\nDROP FUNCTION slow(int);\n",
        )
        .migration(
            "t_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_slow_idx ON t (slow(id));\n",
            "DROP INDEX t_slow_idx;\n",
        );
    let dir = fixture.path();
    let mut child = xtask(dir)
        .args(["migrate", "--database-url", &db.url, "--migrations"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let watcher = db.connect().await;
    let building = "SELECT count(*) FROM pg_stat_activity
                     WHERE query LIKE 'CREATE INDEX CONCURRENTLY t_slow_idx%' AND pid <> pg_backend_pid()";
    let count = |sql: &'static str| {
        let watcher = &watcher;
        async move { watcher.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(building).await == 0 {
        assert!(Instant::now() < deadline, "the index build never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(building).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the killed build is still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left: (bool, bool) = {
        let row = watcher
            .query_one(
                "SELECT (SELECT NOT finished FROM authdb_schema_migrations WHERE version = 2),
                        (SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 't_slow_idx'::regclass)",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(left, (true, true), "(row unfinished, index invalid)");

    // status names it, and is not a refusal: migrate settles it.
    let status = xtask(dir)
        .args(["status", "--database-url", &db.url, "--migrations"])
        .arg(dir)
        .output()
        .unwrap();
    let (stdout, stderr) = crate::text(&status);
    assert_eq!(status.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 unfinished (migrate settles it)"),
        "{stdout}"
    );

    let output = xtask(dir)
        .args(["migrate", "--database-url", &db.url, "--migrations"])
        .arg(dir)
        .output()
        .unwrap();
    let (stdout, stderr) = crate::text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "002_t_index was started by an earlier run and not seen to finish: the interrupted \
             build left the index t_slow_idx INVALID: it is dropped concurrently and built again; \
             run again"
        ),
        "{stdout}"
    );
    let row = watcher
        .query_one(
            "SELECT (SELECT bool_and(finished) FROM authdb_schema_migrations),
                    (SELECT indisvalid FROM pg_index WHERE indexrelid = 't_slow_idx'::regclass)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, bool>(0), row.get::<_, bool>(1)), (true, true));
}

/// A migrator killed in the middle of a contract step (`migrate --contract` after the rollout):
/// the step's transaction dies with it, so the database stays at the held boundary with the old
/// column in place, and the next `--contract` finishes it.
#[tokio::test]
async fn kill_9_mid_contract_step_leaves_the_boundary_and_the_next_contract_finishes() {
    let db = testdb::empty_database().await;
    let fixture = testdb::Fixture::new()
        .migration(
            "create_users",
            "CREATE TABLE users (id int PRIMARY KEY, email text, email_address text);\n\
             INSERT INTO users SELECT n, n || '@example.com', n || '@example.com' FROM generate_series(1, 100) AS n;\n",
            "DROP TABLE users;\n",
        )
        .migration(
            "drop_email",
            "-- authdb:contract the version before email_address still reads email\n\
             ALTER TABLE users DROP COLUMN email;\n\
             SELECT pg_sleep(3);\n",
            "ALTER TABLE users ADD COLUMN email text;\nUPDATE users SET email = email_address;\n",
        );
    let dir = fixture.path();
    let migrate = |contract: bool| {
        let mut command = xtask(dir);
        command
            .args(["migrate", "--database-url", &db.url, "--migrations"])
            .arg(dir);
        if contract {
            command.arg("--contract");
        }
        command
    };
    let output = migrate(false).output().unwrap();
    let (stdout, stderr) = crate::text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("held back: 002_drop_email"), "{stdout}");

    let mut child = migrate(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let watcher = db.connect().await;
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()";
    let count = || async {
        watcher
            .query_one(sleeping, &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while count().await == 0 {
        assert!(Instant::now() < deadline, "the contract step never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while count().await > 0 {
        assert!(
            Instant::now() < deadline,
            "the killed contract step is still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let columns = "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position)
                     FROM information_schema.columns WHERE table_name = 'users'";
    let row = watcher.query_one(columns, &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "id, email, email_address");
    assert_eq!(state(&db).await.1, 1, "at the held boundary");

    let output = migrate(true).output().unwrap();
    let (stdout, stderr) = crate::text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("applied 002_drop_email"), "{stdout}");
    let row = watcher.query_one(columns, &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "id, email_address");
    assert_eq!(state(&db).await.1, 2);
}
