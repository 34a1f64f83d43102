//! The guarantees of "nothing partial, nothing lost, no hang" through the binary, with the inputs
//! that broke them before: transaction control inside a migration or a down file, a dry run of a
//! down file with side effects, another migrator holding the lock, a search_path that puts
//! another schema first.

use std::time::{Duration, Instant};

use testdb::Fixture;

use crate::{state, text, xtask};

fn run(args: &[&str]) -> (i32, String, String) {
    let cwd = tempfile::tempdir().unwrap();
    let output = xtask(cwd.path()).args(args).output().unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

#[tokio::test]
async fn rollback_inside_a_migration_is_refused_before_anything_runs() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .table("a")
        .migration(
            "half",
            "CREATE TABLE b (id int);\nROLLBACK;\nCREATE TABLE c (id int);\n",
            "DROP TABLE c;\nDROP TABLE b;\n",
        )
        .table("d");
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["migrate", "--database-url", &db.url, "--migrations", dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("002_half.sql:2:1: transaction-control: ROLLBACK controls the transaction"),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was run"), "{stderr}");
    assert_eq!(state(&db).await, (vec![], -1));
}

#[tokio::test]
async fn a_dry_run_of_a_down_file_changes_no_byte_and_commit_in_one_is_refused() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new().migration(
        "counter",
        "CREATE SEQUENCE counter;\nSELECT setval('counter', 42);\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n",
        "SELECT setval('counter', 1, false);\nDELETE FROM t;\nDROP TABLE t;\nDROP SEQUENCE counter;\n",
    );
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["migrate", "--database-url", &db.url, "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let before = testdb::fingerprint(&db.connect().await).await;

    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec![
            "rollback",
            "--all",
            "--database-url",
            &db.url,
            "--migrations",
            dir,
        ];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run(&args);
        // Without --dry-run and without a terminal, the plan is shown and refused.
        let expected_code = if extra.is_empty() { 1 } else { 0 };
        assert_eq!(code, expected_code, "{stdout}{stderr}");
        assert!(
            stdout.contains("001_counter.down.sql:1: runs SELECT setval('counter', 1, false)")
                && stdout.contains("001_counter.down.sql:2: deletes every row of t (1 row)"),
            "{stdout}"
        );
        assert_eq!(
            testdb::fingerprint(&db.connect().await).await,
            before,
            "rollback {extra:?} moved something"
        );
    }

    fixture.write(
        "001_counter.down.sql",
        "DROP TABLE t;\nCOMMIT;\nDROP SEQUENCE counter;\n",
    );
    let (code, stdout, stderr) = run(&[
        "rollback",
        "--all",
        "--dry-run",
        "--database-url",
        &db.url,
        "--migrations",
        dir,
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("001_counter.down.sql:2:1: transaction-control: COMMIT"),
        "{stderr}"
    );
    assert_eq!(testdb::fingerprint(&db.connect().await).await, before);
}

#[tokio::test]
async fn another_migrator_holding_the_lock_is_named_once_and_waited_for_a_bounded_time() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new().table("a");
    let holder = db.connect().await;
    holder
        .batch_execute(&format!(
            "SET application_name = 'deploy-7'; SELECT pg_advisory_lock({})",
            authdb::runner::LOCK_KEY
        ))
        .await
        .unwrap();
    let dir = fixture.path().to_str().unwrap();
    let started = Instant::now();
    let (code, stdout, stderr) = run(&[
        "migrate",
        "--database-url",
        &db.url,
        "--migrations",
        dir,
        "--lock-wait",
        "1",
    ]);
    let took = started.elapsed();
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(
        stderr
            .matches("waiting for the migration lock held by pid ")
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("application_name deploy-7"), "{stderr}");
    assert!(
        stderr.contains("error: another migrate or rollback holds the migration lock"),
        "{stderr}"
    );
    assert_eq!(state(&db).await, (vec![], -1));
}

#[tokio::test]
async fn a_search_path_that_puts_another_schema_first_keeps_one_history() {
    let db = testdb::empty_database().await;
    db.connect()
        .await
        .batch_execute("CREATE SCHEMA app")
        .await
        .unwrap();
    let fixture = Fixture::new().table("a").table("b");
    let dir = fixture.path().to_str().unwrap();
    let with_app = format!("{}?options=-csearch_path%3Dapp,public", db.url);
    let (code, stdout, stderr) =
        run(&["migrate", "--database-url", &with_app, "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = run(&["status", "--database-url", &db.url, "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("2 applied, 0 pending, 0 modified, 0 missing"),
        "{stdout}"
    );
    let histories: i64 = db
        .connect()
        .await
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname = 'authdb_schema_migrations'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(histories, 1);
}

#[tokio::test]
async fn another_branch_s_migration_under_our_version_is_named_not_called_modified() {
    let db = testdb::empty_database().await;
    let theirs = Fixture::new().table("a").migration(
        "add_nickname",
        "ALTER TABLE a ADD COLUMN nickname text;\n",
        "ALTER TABLE a DROP COLUMN nickname;\n",
    );
    let dir = theirs.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["migrate", "--database-url", &db.url, "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let ours = Fixture::new().table("a").migration(
        "add_locale",
        "ALTER TABLE a ADD COLUMN locale text;\n",
        "ALTER TABLE a DROP COLUMN locale;\n",
    );
    let dir = ours.path().to_str().unwrap();
    let before = state(&db).await;
    let (code, stdout, stderr) = run(&["migrate", "--database-url", &db.url, "--migrations", dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let expected = format!(
        "version 2 in the database is 002_add_nickname, another migration than {}/002_add_locale.sql",
        dir
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains("cargo xtask rollback --to 1") && !stderr.contains("git checkout"),
        "{stderr}"
    );

    let (code, stdout, stderr) = run(&["status", "--database-url", &db.url, "--migrations", dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("002_add_locale  different  the database has 002_add_nickname"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("migrate will refuse to run: {expected}")),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(&[
        "rollback",
        "--dry-run",
        "--database-url",
        &db.url,
        "--migrations",
        dir,
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(state(&db).await, before);
}
