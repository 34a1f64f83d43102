//! Rollback on folders the tests write: plans come from reading the down files and change no byte,
//! the rollback itself is one transaction, and every refusal leaves the database untouched.

use authdb::{RollbackOptions, RollbackTo};
use testdb::Fixture;
use tokio_postgres::Client;

use crate::{migrate, tables, tracking_rows};

fn options(to: RollbackTo) -> RollbackOptions {
    RollbackOptions::new(to)
}

async fn roll_back(
    client: &Client,
    fixture: &Fixture,
    to: RollbackTo,
) -> authdb::Result<Vec<authdb::rollback::Revert>> {
    let migrations = fixture.load();
    let plan = authdb::plan_rollback(client, &migrations, &options(to)).await?;
    authdb::rollback(client, &migrations, &options(to), &plan).await
}

/// Users with rows, a counter, and down files that drop, delete, reset and run other things.
fn fixture() -> Fixture {
    Fixture::new()
        .migration(
            "users",
            "CREATE TABLE users (id int PRIMARY KEY, email text);\n\
             INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x'), (3, NULL);\n",
            "DROP TABLE users;\n",
        )
        .migration(
            "sessions",
            "CREATE SEQUENCE tokens;\n\
             CREATE TABLE sessions (id int, user_id int REFERENCES users (id));\n\
             CREATE VIEW active AS SELECT * FROM sessions;\n\
             INSERT INTO sessions VALUES (1, 1), (2, 2);\nSELECT setval('tokens', 42);\n",
            "DROP TABLE sessions CASCADE;\nDROP SEQUENCE tokens;\n",
        )
        .migration(
            "display_name",
            "ALTER TABLE users ADD COLUMN display_name text;\nUPDATE users SET display_name = email;\n",
            "ALTER TABLE users DROP COLUMN display_name;\nSELECT setval('tokens', 1, false);\n\
             DELETE FROM sessions WHERE id > 1;\n",
        )
}

#[tokio::test]
async fn the_plan_reads_the_down_files_counts_what_they_touch_and_changes_no_byte() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = fixture();
    migrate(&mut client, fixture.path()).await.unwrap();
    let before = testdb::fingerprint(&client).await;

    let plan = authdb::plan_rollback(&client, &fixture.load(), &options(RollbackTo::All))
        .await
        .unwrap();
    assert_eq!((plan.from_version, plan.to_version), (3, None));
    let steps: Vec<i64> = plan.steps.iter().map(|s| s.version).collect();
    assert_eq!(steps, [3, 2, 1]);
    let lines: Vec<String> = plan
        .effects
        .iter()
        .map(|e| {
            let file = e.file.file_name().unwrap().to_string_lossy();
            format!("{file}:{}: {}", e.line, e.description)
        })
        .collect();
    assert_eq!(
        lines,
        [
            "003_display_name.down.sql:1: drops column users.display_name (2 non-null values)",
            "003_display_name.down.sql:2: runs SELECT setval('tokens', 1, false)",
            "003_display_name.down.sql:3: deletes the rows of sessions its WHERE matches (of 2 now)",
            "002_sessions.down.sql:1: drops table sessions (2 rows), and with CASCADE: view active",
            "002_sessions.down.sql:2: drops sequence tokens",
            "001_users.down.sql:1: drops table users (3 rows)",
        ]
    );
    assert_eq!(
        testdb::fingerprint(&client).await,
        before,
        "planning moved something (a sequence, a row, the tracking table)"
    );
}

#[tokio::test]
async fn rollback_reverts_in_one_transaction_down_to_the_version_asked() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = fixture();
    migrate(&mut client, fixture.path()).await.unwrap();

    let reverted = roll_back(&client, &fixture, RollbackTo::Last)
        .await
        .unwrap();
    assert_eq!(reverted.iter().map(|r| r.version).collect::<Vec<_>>(), [3]);
    assert_eq!(tracking_rows(&client).await.len(), 2);

    let reverted = roll_back(&client, &fixture, RollbackTo::Version(0))
        .await
        .unwrap();
    assert_eq!(
        reverted.iter().map(|r| r.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(tables(&client).await, ["authdb_schema_migrations"]);
    assert!(tracking_rows(&client).await.is_empty());
}

#[tokio::test]
async fn a_failing_down_file_rolls_everything_back() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new().table("a").migration(
        "b",
        "CREATE TABLE b (id int);\n",
        "DROP TABLE b;\nDROP TABLE not_there;\n",
    );
    migrate(&mut client, fixture.path()).await.unwrap();
    let before = testdb::fingerprint(&client).await;
    let message = roll_back(&client, &fixture, RollbackTo::All)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "{}:2:1: table \"not_there\" does not exist (SQLSTATE 42P01). Nothing was applied",
            fixture.path().join("002_b.down.sql").display()
        )),
        "{message}"
    );
    assert_eq!(testdb::fingerprint(&client).await, before);
}

#[tokio::test]
async fn a_stale_plan_is_refused() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = fixture();
    migrate(&mut client, fixture.path()).await.unwrap();
    let migrations = fixture.load();
    let plan = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::Last))
        .await
        .unwrap();
    roll_back(&client, &fixture, RollbackTo::Last)
        .await
        .unwrap();
    let message = authdb::rollback(&client, &migrations, &options(RollbackTo::Last), &plan)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("the database changed between the plan and the rollback"),
        "{message}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 2);
}

#[tokio::test]
async fn refusals_name_the_fault_and_change_nothing() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = fixture();
    migrate(&mut client, fixture.path()).await.unwrap();
    let before = testdb::fingerprint(&client).await;

    let plan_error = |fixture: &Fixture, to| {
        let migrations = fixture.load();
        let client = &client;
        async move {
            authdb::plan_rollback(client, &migrations, &options(to))
                .await
                .unwrap_err()
                .to_string()
        }
    };
    let message = plan_error(&fixture, RollbackTo::Version(3)).await;
    assert_eq!(
        message,
        "--to 3: the database is at version 3, so there is nothing above 3 to roll back"
    );
    let message = plan_error(&fixture, RollbackTo::Version(9)).await;
    assert_eq!(
        message,
        format!(
            "--to 9: there is no migration with that version in {}",
            fixture.path().display()
        )
    );

    let edited = fixture.path().join("002_sessions.sql");
    let original = std::fs::read_to_string(&edited).unwrap();
    fixture.write("002_sessions.sql", &original.replace("tokens", "tokenz"));
    let message = plan_error(&fixture, RollbackTo::All).await;
    assert!(
        message.starts_with(&format!(
            "{}: the file was changed after version 2",
            edited.display()
        )),
        "{message}"
    );
    assert_eq!(testdb::fingerprint(&client).await, before);

    let empty = testdb::empty_database().await;
    let message = authdb::plan_rollback(
        &empty.connect().await,
        &Fixture::new().table("a").load(),
        &options(RollbackTo::Last),
    )
    .await
    .unwrap_err()
    .to_string();
    assert_eq!(
        message,
        "nothing to roll back: the database has no applied migrations"
    );
}

#[tokio::test]
async fn a_down_file_that_leaves_the_transaction_is_caught_on_the_server() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new().table("a").table("b");
    migrate(&mut client, fixture.path()).await.unwrap();
    let mut migrations = fixture.load();
    // Past the folder's check, as SQL the lexer could not see through would be.
    migrations.list[1].down.sql = "DROP TABLE b; COMMIT;".into();
    let plan = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::All))
        .await
        .unwrap();
    let message = authdb::rollback(&client, &migrations, &options(RollbackTo::All), &plan)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "{}: the run's transaction ended inside this file",
            fixture.path().join("002_create_b.down.sql").display()
        )),
        "{message}"
    );
    assert!(
        message.contains("The database records version 2 as applied"),
        "{message}"
    );
}

/// `t`, an index built and dropped concurrently (both files `-- authdb:no-transaction`), and
/// `u`: the index's down file splits the rollback.
fn concurrent(down_index: &str) -> Fixture {
    Fixture::new()
        .table("t")
        .migration(
            "t_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n",
            &format!("-- authdb:no-transaction\nDROP INDEX CONCURRENTLY {down_index};\n"),
        )
        .table("u")
}

async fn index_exists(client: &Client) -> bool {
    client
        .query_one("SELECT to_regclass('t_id_idx') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_no_transaction_down_file_runs_alone_between_committed_pieces() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = concurrent("t_id_idx");
    migrate(&mut client, fixture.path()).await.unwrap();
    let migrations = fixture.load();
    let plan = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::All))
        .await
        .unwrap();
    let alone: Vec<(i64, bool)> = plan
        .steps
        .iter()
        .map(|s| (s.version, s.no_transaction))
        .collect();
    assert_eq!(alone, [(3, false), (2, true), (1, false)]);
    assert!(index_exists(&client).await, "the plan ran a down file");
    let steps = authdb::rollback(&client, &migrations, &options(RollbackTo::All), &plan)
        .await
        .unwrap();
    assert_eq!(steps.len(), 3);
    assert!(!index_exists(&client).await);
    assert!(tracking_rows(&client).await.is_empty());
    assert!(
        tables(&client)
            .await
            .iter()
            .all(|t| t.starts_with("authdb"))
    );
    // Nothing is left locked: the session lock of the split run is released.
    let locks: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(locks, 0);
}

#[tokio::test]
async fn a_failing_no_transaction_down_file_says_which_version_the_database_is_at() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = concurrent("no_such_idx");
    migrate(&mut client, fixture.path()).await.unwrap();
    let error = roll_back(&client, &fixture, RollbackTo::All)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "002_t_index.down.sql:2:1: index \"no_such_idx\" does not exist (SQLSTATE 42704)"
        ),
        "{error}"
    );
    assert!(
        error.contains(
            "The down files before it were committed (the run was split by a no-transaction down \
             file): the database is at version 2; this down file ran outside a transaction"
        ),
        "{error}"
    );
    let rows: Vec<(i64, bool)> = client
        .query(
            "SELECT version, finished FROM authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rows,
        [(1, true), (2, true)],
        "003 is reverted, 002 stays applied"
    );
    assert!(index_exists(&client).await);
}

/// A rollback killed during its `DROP INDEX CONCURRENTLY` leaves the row unfinished; the next
/// rollback settles it from the catalog, whichever way the drop went.
#[tokio::test]
async fn an_interrupted_concurrent_drop_is_settled_by_the_next_rollback() {
    for dropped in [true, false] {
        let db = testdb::empty_database().await;
        let mut client = db.connect().await;
        let fixture = concurrent("t_id_idx");
        migrate(&mut client, fixture.path()).await.unwrap();
        roll_back(&client, &fixture, RollbackTo::Version(2))
            .await
            .unwrap();
        client
            .batch_execute("UPDATE authdb_schema_migrations SET finished = false WHERE version = 2")
            .await
            .unwrap();
        if dropped {
            client
                .batch_execute("DROP INDEX CONCURRENTLY t_id_idx")
                .await
                .unwrap();
        }
        let migrations = fixture.load();
        let plan = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::All))
            .await
            .unwrap();
        let settled = plan.settled.clone().expect("the unfinished row is settled");
        let reverted: Vec<i64> = plan.steps.iter().map(|s| s.version).collect();
        if dropped {
            assert_eq!(settled.reason, "the index t_id_idx does not exist");
            assert_eq!(reverted, [1], "{plan:?}");
        } else {
            assert_eq!(settled.reason, "the index t_id_idx exists and is valid");
            assert_eq!(reverted, [2, 1], "{plan:?}");
        }
        authdb::rollback(&client, &migrations, &options(RollbackTo::All), &plan)
            .await
            .unwrap();
        assert!(!index_exists(&client).await);
        assert!(tracking_rows(&client).await.is_empty());
    }
}
