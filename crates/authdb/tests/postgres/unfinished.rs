//! A no-transaction migration that an earlier run started and did not see finish (its migrator
//! killed between the statement and the row): the next migrate settles it from the catalog, or
//! stops and asks. Each test writes the unfinished row itself, as the killed run left it, in the
//! state each outcome of the statement leaves; `cli/crash.rs` kills a real migrator.

use authdb::unfinished::{Action, Answer};
use authdb::{MigrateOptions, Migrations};
use testdb::Fixture;
use tokio_postgres::Client;

use crate::{load, tracking_rows};

/// Table `t` with rows, then `002_t_index`: one no-transaction statement.
fn folder(statement: &str) -> Fixture {
    Fixture::new()
        .migration(
            "t",
            "CREATE TABLE t (id int, c int);\nINSERT INTO t SELECT g, g % 3 FROM generate_series(1, 30) g;\n",
            "DROP TABLE t;\n",
        )
        .migration(
            "t_index",
            &format!("-- authdb:no-transaction\n{statement}\n"),
            "DROP INDEX IF EXISTS t_c_idx;\n",
        )
}

/// Applies 001, then writes 002's row as a run killed during 002 leaves it: unfinished.
async fn started(client: &mut Client, migrations: &Migrations) {
    let options = MigrateOptions {
        up_to: Some(1),
        ..Default::default()
    };
    authdb::migrate(client, migrations, &options).await.unwrap();
    let m = migrations.get(2).unwrap();
    client
        .execute(
            "INSERT INTO public.authdb_schema_migrations (version, name, checksum, execution_ms, finished)
             VALUES ($1, $2, $3, 0, false)",
            &[&m.version, &m.stem, &m.checksum.to_hex()],
        )
        .await
        .unwrap();
}

async fn index_state(client: &Client) -> Option<bool> {
    client
        .query_opt(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('t_c_idx')",
            &[],
        )
        .await
        .unwrap()
        .map(|r| r.get(0))
}

async fn finished(client: &Client) -> Vec<(i64, bool)> {
    client
        .query(
            "SELECT version, finished FROM public.authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn an_index_build_that_finished_before_the_kill_is_recorded_not_run_again() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder("CREATE INDEX CONCURRENTLY t_c_idx ON t (c);");
    let migrations = fixture.load();
    started(&mut client, &migrations).await;
    client
        .batch_execute("CREATE INDEX CONCURRENTLY t_c_idx ON t (c)")
        .await
        .unwrap();
    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(report.recovered.len(), 1, "{report:?}");
    assert_eq!(report.recovered[0].action, Action::RecordApplied);
    assert_eq!(
        report.recovered[0].reason,
        "the index t_c_idx exists and is valid"
    );
    assert!(report.steps.is_empty(), "it ran 002 again: {report:?}");
    assert_eq!(finished(&client).await, [(1, true), (2, true)]);
    assert_eq!(index_state(&client).await, Some(true));
}

#[tokio::test]
async fn an_index_build_that_never_started_is_run() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder("CREATE INDEX CONCURRENTLY t_c_idx ON t (c);");
    let migrations = fixture.load();
    started(&mut client, &migrations).await;
    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        report.recovered[0].action,
        Action::RunAgain { drop_first: None }
    );
    assert_eq!(report.steps.len(), 1);
    assert_eq!(finished(&client).await, [(1, true), (2, true)]);
    assert_eq!(index_state(&client).await, Some(true));
}

#[tokio::test]
async fn an_invalid_index_left_by_the_interrupted_build_is_dropped_and_built_again() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder("CREATE UNIQUE INDEX CONCURRENTLY t_c_idx ON t (id);");
    let migrations = fixture.load();
    started(&mut client, &migrations).await;
    // An interrupted build leaves the index INVALID; a failed unique build does too.
    client
        .batch_execute("INSERT INTO t VALUES (1, 1)")
        .await
        .unwrap();
    let error = client
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY t_c_idx ON t (id)")
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
    );
    assert_eq!(index_state(&client).await, Some(false));
    client
        .batch_execute("DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t WHERE id = 1)")
        .await
        .unwrap();
    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        report.recovered[0].action,
        Action::RunAgain {
            drop_first: Some("DROP INDEX CONCURRENTLY IF EXISTS public.t_c_idx".to_string())
        }
    );
    assert_eq!(report.steps.len(), 1);
    assert_eq!(finished(&client).await, [(1, true), (2, true)]);
    assert_eq!(index_state(&client).await, Some(true));
}

#[tokio::test]
async fn a_statement_the_catalog_cannot_judge_stops_the_run_until_the_user_answers() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = sequence_bump().table("after");
    let migrations = fixture.load();
    started(&mut client, &migrations).await;
    let before = testdb::fingerprint(&client).await;
    let error = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!(
            "version 2 (002_bump) was started at {} and not seen to finish: it ran outside a \
             transaction and authdb cannot tell from the catalog whether it took effect. Check \
             what {} does, then run `cargo xtask migrate --unfinished applied` if it did, or \
             `--unfinished retry` to run it again. Nothing was applied",
            applied_at(&client, 2).await,
            migrations.get(2).unwrap().path.display()
        )
    );
    assert_eq!(
        testdb::fingerprint(&client).await,
        before,
        "it changed something"
    );

    for (answer, expected_nextval_calls) in [(Answer::Applied, 0), (Answer::Retry, 1)] {
        let db = testdb::empty_database().await;
        let mut client = db.connect().await;
        started(&mut client, &migrations).await;
        let options = MigrateOptions {
            unfinished: Some(answer),
            ..Default::default()
        };
        let report = authdb::migrate(&mut client, &migrations, &options)
            .await
            .unwrap();
        assert_eq!(report.recovered.len(), 1, "{answer:?}");
        let called: bool = client
            .query_one("SELECT is_called FROM s", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(called, expected_nextval_calls == 1, "{answer:?}");
        assert_eq!(
            finished(&client).await,
            [(1, true), (2, true), (3, true)],
            "{answer:?}"
        );
    }
}

/// The tracking table is read as `*`, its `applied_at` in the server's text: in the ISO
/// `DateStyle` it is converted on the client, from any time zone, and in another style read again
/// through the server. Either way the refusal quotes it in RFC 3339, UTC.
#[tokio::test]
async fn when_an_unfinished_migration_started_reads_the_same_in_any_date_style_and_time_zone() {
    for settings in [
        "SET DateStyle = 'ISO, MDY'; SET TimeZone = 'Asia/Kolkata'",
        "SET DateStyle = 'SQL, DMY'; SET TimeZone = 'America/St_Johns'",
        "SET DateStyle = 'German'; SET TimeZone = 'UTC'",
    ] {
        let db = testdb::empty_database().await;
        let mut client = db.connect().await;
        let fixture = sequence_bump();
        let migrations = fixture.load();
        started(&mut client, &migrations).await;
        let expected = applied_at(&client, 2).await;
        client.batch_execute(settings).await.unwrap();
        let error = authdb::migrate(&mut client, &migrations, &Default::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("was started at {expected} and not seen")),
            "{settings}: {error}"
        );
    }
}

/// A sequence's nextval under `-- authdb:no-transaction`: an effect no catalog records, and one
/// that must not happen twice.
fn sequence_bump() -> Fixture {
    Fixture::new()
        .migration("s", "CREATE SEQUENCE s;\n", "DROP SEQUENCE s;\n")
        .migration(
            "bump",
            "-- authdb:no-transaction\nSELECT nextval('s');\n",
            "SELECT setval('s', 1, false);\n",
        )
}

async fn applied_at(client: &Client, version: i64) -> String {
    client
        .query_one(
            "SELECT to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
               FROM public.authdb_schema_migrations WHERE version = $1",
            &[&version],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn an_unfinished_migration_whose_file_changed_is_refused() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder("CREATE INDEX CONCURRENTLY t_c_idx ON t (c);");
    started(&mut client, &fixture.load()).await;
    let rewritten = "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_c_idx ON t (id);\n";
    fixture.write("002_t_index.sql", rewritten);
    let migrations = fixture.load();
    let error = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("version 2 (002_t_index) was started at ")
            && error.ends_with(&format!(
                "and not seen to finish: its file {} has changed since (another name or \
                 checksum), so what ran is not what the folder says: restore the file as it \
                 was, then run migrate again. Nothing was applied",
                migrations.get(2).unwrap().path.display()
            )),
        "{error}"
    );
    assert_eq!(index_state(&client).await, None);
}

#[tokio::test]
async fn status_names_an_unfinished_migration_and_migrate_settles_it() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder("CREATE INDEX CONCURRENTLY t_c_idx ON t (c);");
    let migrations = fixture.load();
    started(&mut client, &migrations).await;
    let status = authdb::status(&client, &migrations).await.unwrap();
    let states: Vec<String> = status.entries.iter().map(|e| e.state.to_string()).collect();
    assert_eq!(states, ["applied", "unfinished"]);
    assert_eq!(status.refusal, None, "migrate settles it: no refusal");
    authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(tracking_rows(&client).await.len(), 2);
}

#[tokio::test]
async fn a_tracking_table_from_before_the_finished_column_is_read_then_upgraded() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new().table("a").table("b");
    let migrations = load(fixture.path());
    let first = migrations.get(1).unwrap();
    // The table as authdb made it before the column `finished`, with 001 recorded.
    client
        .execute(
            "CREATE TABLE public.authdb_schema_migrations (
                version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(), execution_ms bigint NOT NULL,
                applied_by text NOT NULL DEFAULT current_user)",
            &[],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO public.authdb_schema_migrations (version, name, checksum, execution_ms)
             VALUES ($1, $2, $3, 1)",
            &[&first.version, &first.stem, &first.checksum.to_hex()],
        )
        .await
        .unwrap();
    client
        .batch_execute("CREATE TABLE a (id int)")
        .await
        .unwrap();
    let status = authdb::status(&client, &migrations).await.unwrap();
    let states: Vec<String> = status.entries.iter().map(|e| e.state.to_string()).collect();
    assert_eq!(states, ["applied", "pending"]);
    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(finished(&client).await, [(1, true), (2, true)]);
}

/// A unique `CREATE INDEX CONCURRENTLY` that fails on duplicates leaves its index INVALID: the
/// next run names it with the statement that drops it and applies nothing, `status` lists it,
/// and `repair_invalid_indexes` drops it and builds it again.
#[tokio::test]
async fn an_invalid_index_a_pending_file_would_build_is_named_then_repaired_on_request() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = folder("CREATE UNIQUE INDEX CONCURRENTLY t_c_idx ON t (c);");
    let migrations = fixture.load();
    let error = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("could not create unique index \"t_c_idx\""),
        "{error}"
    );
    assert_eq!(index_state(&client).await, Some(false));
    assert_eq!(finished(&client).await, [(1, true)]);
    client
        .batch_execute("DELETE FROM t WHERE id > 3")
        .await
        .unwrap();

    let before = testdb::fingerprint(&client).await;
    let error = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!(
            "{}: the index t_c_idx this migration builds already exists and is INVALID (left by \
             an earlier CREATE INDEX CONCURRENTLY that failed or was interrupted), so building it \
             would fail. Nothing was applied. Drop it with `DROP INDEX CONCURRENTLY IF EXISTS \
             public.t_c_idx;` (it holds nothing a query uses), or run migrate with \
             --repair-invalid-indexes to drop it and build it again",
            migrations.get(2).unwrap().path.display()
        )
    );
    assert_eq!(testdb::fingerprint(&client).await, before);
    let status = authdb::status(&client, &migrations).await.unwrap();
    assert_eq!(
        status.invalid_indexes,
        [authdb::status::InvalidIndex {
            index: "public.t_c_idx".to_string(),
            table: "t".to_string(),
            drop: "DROP INDEX CONCURRENTLY public.t_c_idx".to_string(),
        }]
    );

    let options = MigrateOptions {
        repair_invalid_indexes: true,
        ..Default::default()
    };
    let report = authdb::migrate(&mut client, &migrations, &options)
        .await
        .unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(index_state(&client).await, Some(true));
    assert!(
        authdb::status(&client, &migrations)
            .await
            .unwrap()
            .invalid_indexes
            .is_empty()
    );
}

/// A file that declares its statement idempotent is run again after an interrupted run, without
/// asking: 012 of the repository copies passwords so.
#[tokio::test]
async fn an_unfinished_statement_its_file_declares_idempotent_runs_again() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let fixture = Fixture::new()
        .migration(
            "s",
            "CREATE TABLE copies (id int PRIMARY KEY);\n",
            "DROP TABLE copies;\n",
        )
        .migration(
            "copy",
            "-- authdb:no-transaction\n-- authdb:idempotent it skips what is there\n\
             INSERT INTO copies VALUES (1) ON CONFLICT DO NOTHING;\n",
            "DELETE FROM copies;\n",
        );
    let migrations = fixture.load();
    started(&mut client, &migrations).await;
    // The interrupted run's statement had committed: running it again changes nothing.
    client
        .batch_execute("INSERT INTO copies VALUES (1)")
        .await
        .unwrap();
    let report = authdb::migrate(&mut client, &migrations, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        report.recovered[0].reason,
        "the statement its file declares idempotent leaves the same result when run again"
    );
    assert_eq!(report.steps.len(), 1);
    assert_eq!(finished(&client).await, [(1, true), (2, true)]);
}
