//! The runner, on folders the tests write: ordering, one transaction per run, the tracking table,
//! refusals, and the guarantees that hold whatever a migration file holds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use authdb::{MigrateOptions, Notice, Notify, State};
use testdb::Fixture;

use crate::{migrate, tables, tracking_rows};

fn three_tables() -> Fixture {
    Fixture::new().table("a").table("b").table("c")
}

#[tokio::test]
async fn fresh_migrate_applies_in_order_and_records_each_file() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = three_tables();
    let report = migrate(&mut client, fixture.path()).await.unwrap();

    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["001_create_a", "002_create_b", "003_create_c"]);
    assert_eq!((report.from_version, report.to_version), (None, Some(3)));
    assert_eq!(
        tables(&client).await,
        ["a", "authdb_schema_migrations", "b", "c"]
    );
    let expected: Vec<(i64, String, String)> = fixture
        .load()
        .list
        .iter()
        .map(|m| (m.version, m.file_stem(), m.checksum.to_hex()))
        .collect();
    assert_eq!(tracking_rows(&client).await, expected);
}

#[tokio::test]
async fn a_second_migrate_is_a_no_op() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = three_tables();
    migrate(&mut client, fixture.path()).await.unwrap();
    let before = testdb::fingerprint(&client).await;
    let report = migrate(&mut client, fixture.path()).await.unwrap();
    assert!(report.steps.is_empty());
    assert_eq!((report.from_version, report.to_version), (Some(3), Some(3)));
    assert_eq!(testdb::fingerprint(&client).await, before);
}

#[tokio::test]
async fn a_failing_migration_leaves_no_trace_and_names_file_line_and_column() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new().table("first").migration(
        "broken",
        "CREATE TABLE second (id int);\n-- the next statement is wrong\nCREATE TABEL third (id int);\n",
        "DROP TABLE second;\n",
    );
    let message = migrate(&mut client, fixture.path())
        .await
        .unwrap_err()
        .to_string();
    let expected = format!(
        "{}:3:8: syntax error at or near \"TABEL\" (SQLSTATE 42601). Nothing was applied",
        fixture.path().join("002_broken.sql").display()
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
    let mut fixture = Fixture::new().table("a");
    migrate(&mut client, fixture.path()).await.unwrap();
    let before = testdb::fingerprint(&client).await;
    fixture.add("create_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n");
    fixture.add(
        "bad",
        "SELECT 1;\nINSERT INTO nope VALUES (1);\n",
        "SELECT 1;\n",
    );
    let message = migrate(&mut client, fixture.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("003_bad.sql:2:13: relation \"nope\" does not exist (SQLSTATE 42P01)"),
        "{message}"
    );
    assert_eq!(testdb::fingerprint(&client).await, before);
}

#[tokio::test]
async fn a_modified_applied_migration_is_refused_and_nothing_runs() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let mut fixture = Fixture::new().table("a").table("b");
    migrate(&mut client, fixture.path()).await.unwrap();
    fixture.write("002_create_b.sql", "CREATE TABLE b (id bigint);\n");
    fixture.add("create_c", "CREATE TABLE c (id int);\n", "DROP TABLE c;\n");
    let before = testdb::fingerprint(&client).await;

    let message = migrate(&mut client, fixture.path())
        .await
        .unwrap_err()
        .to_string();
    let edited = fixture.path().join("002_create_b.sql");
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
    assert_eq!(testdb::fingerprint(&client).await, before);

    let states: Vec<State> = authdb::status(&client, &fixture.load())
        .await
        .unwrap()
        .entries
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(states, [State::Applied, State::Modified, State::Pending]);
}

#[tokio::test]
async fn an_applied_migration_without_its_file_is_refused() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new().table("a").table("b");
    migrate(&mut client, fixture.path()).await.unwrap();
    std::fs::remove_file(fixture.path().join("002_create_b.sql")).unwrap();
    std::fs::remove_file(fixture.path().join("002_create_b.down.sql")).unwrap();
    let message = migrate(&mut client, fixture.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("version 2 (002_create_b) is recorded as applied in the database but"),
        "{message}"
    );
    let states: Vec<State> = authdb::status(&client, &fixture.load())
        .await
        .unwrap()
        .entries
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(states, [State::Applied, State::Missing]);
}

#[tokio::test]
async fn a_crlf_checkout_is_not_a_modification() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new().migration(
        "two_lines",
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
        "DROP TABLE b;\nDROP TABLE a;\n",
    );
    migrate(&mut client, fixture.path()).await.unwrap();
    for entry in std::fs::read_dir(fixture.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
    }
    let entries = authdb::status(&client, &fixture.load())
        .await
        .unwrap()
        .entries;
    assert!(
        entries.iter().all(|e| e.state == State::Applied),
        "{entries:?}"
    );
}

#[tokio::test]
async fn a_dry_run_changes_no_byte_and_up_to_stops_at_a_version() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new()
        .migration(
            "counter",
            "CREATE SEQUENCE counter;\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n",
            "DROP TABLE a;\nDROP SEQUENCE counter;\n",
        )
        .migration(
            "moves_the_counter",
            "SELECT setval('counter', 42);\nINSERT INTO a VALUES (2);\n",
            "SELECT setval('counter', 1, false);\nDELETE FROM a WHERE id = 2;\n",
        )
        .table("c");
    let migrations = fixture.load();
    let to_one = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &to_one)
        .await
        .unwrap();
    assert_eq!((report.from_version, report.to_version), (None, Some(1)));
    let before = testdb::fingerprint(&client).await;

    let dry = MigrateOptions {
        dry_run: true,
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &dry)
        .await
        .unwrap();
    assert!(report.dry_run);
    let planned: Vec<i64> = report.steps.iter().map(|s| s.version).collect();
    assert_eq!(planned, [2, 3]);
    assert_eq!(
        testdb::fingerprint(&client).await,
        before,
        "a dry run moved something"
    );

    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!((report.from_version, report.to_version), (Some(1), Some(3)));
}

#[tokio::test]
async fn lock_timeout_gives_up_instead_of_queueing_behind_the_application() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let mut fixture = Fixture::new().table("users");
    migrate(&mut client, fixture.path()).await.unwrap();
    let app = db.connect().await;
    app.batch_execute("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE;")
        .await
        .unwrap();
    fixture.add(
        "add_name",
        "ALTER TABLE users ADD COLUMN name text;\n",
        "ALTER TABLE users DROP COLUMN name;\n",
    );
    let options = MigrateOptions {
        lock_timeout: Some(Duration::from_millis(300)),
        lock_retries: 0,
        ..Default::default()
    };
    let message = authdb::migrate(&mut client, &fixture.load(), &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("002_add_name.sql"), "{message}");
    assert!(
        message.contains("canceling statement due to lock timeout (SQLSTATE 55P03)"),
        "{message}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 1);
    app.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn waiting_for_another_migrator_is_said_once_and_gives_up_in_time() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = three_tables();
    let other = db.connect().await;
    other
        .batch_execute(&format!(
            "SET application_name = 'deploy-42'; SELECT pg_advisory_lock({})",
            authdb::runner::LOCK_KEY
        ))
        .await
        .unwrap();
    let other_pid: i32 = other
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let heard: Arc<Mutex<Vec<Notice>>> = Arc::default();
    let sink = heard.clone();
    let options = MigrateOptions {
        lock_wait: Some(Duration::from_millis(800)),
        notify: Notify::new(move |notice| sink.lock().unwrap().push(notice.clone())),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let message = authdb::migrate(&mut client, &fixture.load(), &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let holder = format!("pid {other_pid}, application_name deploy-42");
    assert!(
        message.starts_with("another migrate or rollback holds the migration lock")
            && message.contains(&holder)
            && message.contains("nothing was applied"),
        "{message}"
    );
    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert!(
        heard[0]
            .to_string()
            .starts_with(&format!("waiting for the migration lock held by {holder}")),
        "{}",
        heard[0]
    );
    assert_eq!(tables(&client).await, Vec::<String>::new());

    // Once the other one is done, the same run goes through.
    other
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .await
        .unwrap();
    migrate(&mut client, fixture.path()).await.unwrap();
}

#[tokio::test]
async fn transaction_control_in_a_file_is_refused_before_anything_runs() {
    let db = testdb::empty_database().await;
    let client = db.connect().await;
    let fixture = Fixture::new().table("a").migration(
        "sneaky",
        "CREATE TABLE b (id int);\n  commit;\nCREATE TABLE c (id int);\n",
        "DROP TABLE c;\nDROP TABLE b;\n",
    );
    let message = authdb::Migrations::load(fixture.path())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "{}:2:3: transaction-control: COMMIT controls the transaction",
            fixture.path().join("002_sneaky.sql").display()
        )),
        "{message}"
    );
    assert!(message.ends_with("Nothing was run: the migrations folder must be valid first"));
    assert_eq!(tables(&client).await, Vec::<String>::new());
}

/// The server-side half of "one transaction means one transaction": whatever the static check
/// missed, a file that ends the run's transaction is caught before its tracking row is written,
/// and the error says what the database now records.
#[tokio::test]
async fn a_file_that_leaves_the_transaction_is_caught_on_the_server_and_reported_truthfully() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = three_tables();
    let mut migrations = fixture.load();
    // Bypass the folder's check, as SQL the lexer could not see through would.
    migrations.list[1].sql = "CREATE TABLE b (id int); COMMIT; CREATE TABLE b2 (id int);".into();
    let message = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "{}: the run's transaction ended inside this file",
            fixture.path().join("002_create_b.sql").display()
        )),
        "{message}"
    );
    // The COMMIT made 001 and half of 002 permanent: the message says version 1 is recorded.
    assert!(
        message.contains("The database records version 1 as applied"),
        "{message}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 1);
    assert!(!tables(&client).await.contains(&"c".to_string()), "003 ran");
}

#[tokio::test]
async fn the_tracking_table_lives_in_public_whatever_the_search_path() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    client
        .batch_execute("CREATE SCHEMA app; SET search_path = app, public")
        .await
        .unwrap();
    let fixture = three_tables();
    migrate(&mut client, fixture.path()).await.unwrap();
    let where_: Vec<String> = client
        .query(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relname = 'authdb_schema_migrations'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(where_, ["public.authdb_schema_migrations"]);
    // A session with the default search_path sees the same history: nothing is pending.
    let mut plain = db.connect().await;
    let report = migrate(&mut plain, fixture.path()).await.unwrap();
    assert!(report.steps.is_empty(), "{report:?}");
}

/// The tracking table is made with what is missing and nothing else: the schema `public` when it
/// was dropped, the column `finished` on a table an authdb before no-transaction files made (its
/// rows count as finished), neither when both are there.
#[tokio::test]
async fn the_tracking_table_is_completed_from_whatever_an_earlier_authdb_left() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = three_tables();
    client
        .batch_execute("DROP SCHEMA public CASCADE")
        .await
        .unwrap();
    client
        .batch_execute("CREATE SCHEMA app; SET search_path = app")
        .await
        .unwrap();
    let options = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    authdb::migrate(
        &mut client,
        &authdb::Migrations::load(fixture.path()).unwrap(),
        &options,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let finished: i64 = client
        .query_one(
            "SELECT count(*) FROM public.authdb_schema_migrations WHERE finished",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(finished, 1);

    // As an authdb before no-transaction files left it: no column `finished`.
    client
        .batch_execute("ALTER TABLE public.authdb_schema_migrations DROP COLUMN finished")
        .await
        .unwrap();
    let report = migrate(&mut client, fixture.path()).await.unwrap();
    let applied: Vec<i64> = report.steps.iter().map(|s| s.version).collect();
    assert_eq!(applied, [2, 3], "version 1 stays applied");
    let rows: Vec<(i64, bool)> = client
        .query(
            "SELECT version, finished FROM public.authdb_schema_migrations ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, [(1, true), (2, true), (3, true)]);

    // Empty, as an older authdb could leave it: no row tells whether the column is there.
    client
        .batch_execute(
            "DELETE FROM public.authdb_schema_migrations;
             ALTER TABLE public.authdb_schema_migrations DROP COLUMN finished;
             DROP TABLE app.a, app.b, app.c",
        )
        .await
        .unwrap();
    let report = migrate(&mut client, fixture.path()).await.unwrap();
    assert_eq!(report.steps.len(), 3);
    assert_eq!(tracking_rows(&client).await.len(), 3);
}

#[tokio::test]
async fn a_no_transaction_migration_runs_on_its_own_between_committed_pieces() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new()
        .table("t")
        .migration(
            "t_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
            "DROP INDEX t_id_idx;\n",
        )
        .table("u");
    let report = migrate(&mut client, fixture.path()).await.unwrap();
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
    let fixture = Fixture::new()
        .table("t")
        .migration(
            "t_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_x_idx ON t (x);\n",
            "DROP INDEX t_x_idx;\n",
        )
        .table("u");
    let message = migrate(&mut client, fixture.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("002_t_index.sql:2:1: column \"x\" does not exist (SQLSTATE 42703)"),
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
    fixture.write(
        "002_t_index.sql",
        "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
    );
    let run = migrate(&mut other, fixture.path());
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the migration lock was not released")
        .unwrap();
    assert_eq!(tracking_rows(&client).await.len(), 3);
}

/// Both kinds of no-transaction file: an index built CONCURRENTLY, and a backfill (whose batches
/// each commit on their own, so they need the session lock as much).
#[tokio::test]
async fn a_no_transaction_migration_is_refused_through_a_pooler() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    for (name, sql) in [
        (
            "t_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
        ),
        (
            "t_backfill",
            "-- authdb:no-transaction\n-- authdb:backfill sets id, 100 rows a batch\n\
             UPDATE t SET id = 1 WHERE ctid IN (SELECT ctid FROM t WHERE id IS NULL LIMIT 100);\n",
        ),
    ] {
        let fixture = Fixture::new()
            .table("t")
            .migration(name, sql, "SELECT 1;\n");
        let options = MigrateOptions {
            through_pooler: true,
            ..Default::default()
        };
        let message = authdb::migrate(&mut client, &fixture.load(), &options)
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "{}: a no-transaction migration cannot run through a transaction-mode pooler (the \
                 lock that keeps other migrators out needs a session of its own). Nothing was \
                 applied: run migrate against the direct endpoint (the host name without -pooler)",
                fixture.path().join(format!("002_{name}.sql")).display()
            )
        );
        assert_eq!(tables(&client).await, Vec::<String>::new());
    }
}

/// A data migration of 100,000 statements: applied whole (several statements to a message, each
/// still its own statement), every row there, and a failure at its last statement named exactly.
#[tokio::test]
async fn a_file_of_a_hundred_thousand_statements_is_applied_and_a_failure_in_it_is_placed() {
    const ROWS: usize = 100_000;
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let mut sql = String::from("CREATE TABLE bulk (id bigint PRIMARY KEY, name text NOT NULL);\n");
    for id in 1..=ROWS {
        sql.push_str(&format!(
            "INSERT INTO bulk VALUES ({id}, 'user {id} -- not a comment; nor an end');\n"
        ));
    }
    let fixture = Fixture::new().migration("bulk", &sql, "DROP TABLE bulk;\n");
    migrate(&mut client, fixture.path()).await.unwrap();
    let count: i64 = client
        .query_one("SELECT count(*) FROM bulk", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, ROWS as i64);

    // The same with its last row a duplicate: nothing applied, the line named.
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    sql.push_str("INSERT INTO bulk VALUES (1, 'again');\n");
    let fixture = Fixture::new().migration("bulk", &sql, "DROP TABLE bulk;\n");
    let error = migrate(&mut client, fixture.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!(
            "{}:{}:1: duplicate key value violates unique constraint \"bulk_pkey\"",
            fixture.path().join("001_bulk.sql").display(),
            ROWS + 2
        )),
        "{error}"
    );
    assert_eq!(tables(&client).await, Vec::<String>::new());
}
