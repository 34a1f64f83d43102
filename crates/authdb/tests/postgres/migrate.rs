//! The runner: ordering, one transaction per run, the tracking table, and refusals.

use authdb::{MigrateOptions, State};

use crate::{folder, load, migrate, repo_migrations, tables, tracking_rows};

#[tokio::test]
async fn fresh_migrate_creates_everything_and_records_each_file() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = testdb::migrations_dir();
    let report = migrate(&mut client, &dir).await.unwrap();

    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "001_create_users",
            "002_create_sessions",
            "003_create_software_background",
            "004_create_hardware_background",
            "005_create_indexes",
            "006_create_triggers"
        ]
    );
    assert_eq!((report.from_version, report.to_version), (None, Some(6)));
    assert_eq!(
        tables(&client).await,
        [
            "authdb_schema_migrations",
            "hardware_background",
            "sessions",
            "software_background",
            "users"
        ]
    );
    let expected: Vec<(i64, String, String)> = load(&dir)
        .list
        .iter()
        .map(|m| (m.version, m.file_stem(), m.checksum.to_hex()))
        .collect();
    assert_eq!(tracking_rows(&client).await, expected);
}

#[tokio::test]
async fn a_second_migrate_is_a_no_op() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    let before = authdb::tracking::read(&client).await.unwrap();
    let report = migrate(&mut client, &testdb::migrations_dir())
        .await
        .unwrap();
    assert!(report.steps.is_empty());
    assert_eq!((report.from_version, report.to_version), (Some(6), Some(6)));
    assert_eq!(authdb::tracking::read(&client).await.unwrap(), before);
    assert_eq!(before.len(), 6);
}

#[tokio::test]
async fn a_failing_migration_leaves_no_trace_and_names_file_line_and_column() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = folder(&[
        ("001_ok.sql", "CREATE TABLE first (id int);\n"),
        (
            "002_broken.sql",
            "CREATE TABLE second (id int);\n-- the next statement is wrong\nCREATE TABEL third (id int);\n",
        ),
    ]);
    let message = migrate(&mut client, dir.path())
        .await
        .unwrap_err()
        .to_string();
    let expected = format!(
        "{}:3:8: syntax error at or near \"TABEL\" (SQLSTATE 42601). Nothing was applied",
        dir.path().join("002_broken.sql").display()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert_eq!(
        tables(&client).await,
        Vec::<String>::new(),
        "no table, not even the tracking table"
    );
}

#[tokio::test]
async fn a_failure_after_earlier_runs_keeps_the_database_at_its_old_version() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = repo_migrations(1);
    migrate(&mut client, dir.path()).await.unwrap();
    std::fs::copy(
        testdb::migrations_dir().join("002_create_sessions.sql"),
        dir.path().join("002_create_sessions.sql"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("003_bad.sql"),
        "SELECT 1;\nINSERT INTO nope VALUES (1);\n",
    )
    .unwrap();
    let message = migrate(&mut client, dir.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("003_bad.sql:2:13: relation \"nope\" does not exist (SQLSTATE 42P01)"),
        "{message}"
    );
    assert_eq!(tables(&client).await, ["authdb_schema_migrations", "users"]);
    assert_eq!(tracking_rows(&client).await.len(), 1);
}

#[tokio::test]
async fn a_modified_applied_migration_is_refused_and_nothing_runs() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = repo_migrations(2);
    migrate(&mut client, dir.path()).await.unwrap();
    let edited = dir.path().join("002_create_sessions.sql");
    let sql = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(
        &edited,
        sql.replace("token      text", "token      varchar(64)"),
    )
    .unwrap();
    std::fs::copy(
        testdb::migrations_dir().join("003_create_software_background.sql"),
        dir.path().join("003_create_software_background.sql"),
    )
    .unwrap();

    let message = migrate(&mut client, dir.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "{}: the file was changed after version 2 was applied",
            edited.display()
        )),
        "{message}"
    );
    assert!(
        message.contains("put the change in a new migration"),
        "{message}"
    );
    assert!(
        !tables(&client)
            .await
            .contains(&"software_background".to_string())
    );

    let states: Vec<State> = authdb::status(&client, &load(dir.path()))
        .await
        .unwrap()
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(states, [State::Applied, State::Modified, State::Pending]);
}

#[tokio::test]
async fn an_applied_migration_without_its_file_is_refused() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = repo_migrations(2);
    migrate(&mut client, dir.path()).await.unwrap();
    std::fs::remove_file(dir.path().join("002_create_sessions.sql")).unwrap();
    std::fs::remove_file(dir.path().join("002_create_sessions.down.sql")).unwrap();
    let message = migrate(&mut client, dir.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(
            "version 2 (002_create_sessions) is recorded as applied in the database but"
        ),
        "{message}"
    );
    let states: Vec<State> = authdb::status(&client, &load(dir.path()))
        .await
        .unwrap()
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(states, [State::Applied, State::Missing]);
}

#[tokio::test]
async fn a_crlf_checkout_is_not_a_modification() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let dir = repo_migrations(6);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
    }
    let entries = authdb::status(&client, &load(dir.path())).await.unwrap();
    assert!(
        entries.iter().all(|e| e.state == State::Applied),
        "{entries:?}"
    );
}

#[tokio::test]
async fn dry_run_changes_nothing_and_target_stops_at_a_version() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let migrations = load(&testdb::migrations_dir());

    let dry = MigrateOptions {
        dry_run: true,
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &dry)
        .await
        .unwrap();
    assert_eq!(report.steps.len(), 6);
    assert!(report.dry_run);
    assert_eq!(tables(&client).await, Vec::<String>::new());

    let to_three = MigrateOptions {
        target: Some(3),
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &to_three)
        .await
        .unwrap();
    assert_eq!((report.from_version, report.to_version), (None, Some(3)));
    let entries = authdb::status(&client, &migrations).await.unwrap();
    let states: Vec<State> = entries.iter().map(|e| e.state).collect();
    use State::{Applied, Pending};
    assert_eq!(
        states,
        [Applied, Applied, Applied, Pending, Pending, Pending]
    );

    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!((report.from_version, report.to_version), (Some(3), Some(6)));
}

#[tokio::test]
async fn lock_timeout_gives_up_instead_of_queueing_behind_the_application() {
    let db = testdb::migrated_database().await;
    let app = db.connect().await;
    app.batch_execute("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE;")
        .await
        .unwrap();

    let mut client = db.connect().await;
    let dir = repo_migrations(6);
    std::fs::write(
        dir.path().join("007_add_name.sql"),
        "ALTER TABLE users ADD COLUMN name text;\n",
    )
    .unwrap();
    let options = MigrateOptions {
        lock_timeout: Some(std::time::Duration::from_millis(300)),
        ..Default::default()
    };
    let message = authdb::migrate(&mut client, &load(dir.path()), &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("007_add_name.sql"), "{message}");
    assert!(
        message.contains("canceling statement due to lock timeout (SQLSTATE 55P03)"),
        "{message}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 6);
    app.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn a_no_transaction_migration_runs_on_its_own_between_committed_pieces() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = folder(&[
        ("001_t.sql", "CREATE TABLE t (id int);\n"),
        (
            "002_t_index.sql",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
        ),
        ("003_u.sql", "CREATE TABLE u (id int);\n"),
    ]);
    let report = migrate(&mut client, dir.path()).await.unwrap();
    assert_eq!(report.steps.len(), 3);
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id_idx'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(valid);
    assert_eq!(tracking_rows(&client).await.len(), 3);
}

#[tokio::test]
async fn a_failed_no_transaction_migration_says_what_was_committed() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = folder(&[
        ("001_t.sql", "CREATE TABLE t (id int);\n"),
        (
            "002_t_index.sql",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_x_idx ON t (x);\n",
        ),
        ("003_u.sql", "CREATE TABLE u (id int);\n"),
    ]);
    let message = migrate(&mut client, dir.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("002_t_index.sql: column \"x\" does not exist (SQLSTATE 42703)"),
        "{message}"
    );
    assert!(
        message.contains("the database is at version 1; this migration ran outside a transaction"),
        "{message}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 1);
    assert_eq!(tables(&client).await, ["authdb_schema_migrations", "t"]);
    // The session lock was released: another run is not blocked.
    let mut other = db.connect().await;
    std::fs::write(
        dir.path().join("002_t_index.sql"),
        "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
    )
    .unwrap();
    let run = migrate(&mut other, dir.path());
    tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("the migration lock was not released")
        .unwrap();
    assert_eq!(tracking_rows(&client).await.len(), 3);
}

#[tokio::test]
async fn a_no_transaction_migration_is_refused_through_a_pooler() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let dir = folder(&[
        ("001_t.sql", "CREATE TABLE t (id int);\n"),
        (
            "002_t_index.sql",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
        ),
    ]);
    let options = MigrateOptions {
        through_pooler: true,
        ..Default::default()
    };
    let message = authdb::migrate(&mut client, &load(dir.path()), &options)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        format!(
            "{}: a no-transaction migration cannot run through a transaction-mode pooler (the lock \
             that keeps other migrators out needs a session of its own). Nothing was applied: run \
             migrate against the direct endpoint (the host name without -pooler)",
            dir.path().join("002_t_index.sql").display()
        )
    );
    assert_eq!(tables(&client).await, Vec::<String>::new());
}
