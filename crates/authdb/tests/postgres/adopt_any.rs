//! adopt and baseline on whatever database they are pointed at: an empty one, one that lacks
//! tables (the database baseline tells the user to adopt), one with tables the snapshot does not
//! know. adopt plans what is missing from the snapshot or refuses with the reason, and never
//! fails on its own queries; baseline records nothing and says what differs.

use authdb::adopt::{AdoptOptions, AdoptPlan};
use authdb::snapshot::Snapshot;
use authdb::{Baseline, Migrations};
use tokio_postgres::Client;

use crate::{load, tables};

fn repository() -> (Migrations, Snapshot) {
    let migrations = load(&testdb::migrations_dir());
    let snapshot = Snapshot::load(&migrations.dir).unwrap();
    (migrations, snapshot)
}

async fn plan(client: &Client, options: &AdoptOptions) -> AdoptPlan {
    let (migrations, snapshot) = repository();
    authdb::plan_adopt(client, &migrations, &snapshot, options)
        .await
        .unwrap_or_else(|e| panic!("adopt must plan, not fail: {e}"))
}

/// Applies `plan`, then verify must pass.
async fn apply_then_verify(client: &Client, options: &AdoptOptions, plan: &AdoptPlan) {
    let (migrations, snapshot) = repository();
    authdb::apply_adopt(client, &migrations, &snapshot, options, plan)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = authdb::verify(client, &migrations, &snapshot)
        .await
        .unwrap();
    assert_eq!(report.problems(), Vec::<String>::new());
}

fn resolves(plan: &AdoptPlan) -> Vec<&str> {
    plan.statements
        .iter()
        .map(|s| s.resolves.as_str())
        .collect()
}

/// The repository's schema, migrated the old way: no tracking table.
async fn untracked() -> testdb::TestDb {
    let db = testdb::migrated_database().await;
    db.connect()
        .await
        .batch_execute("DROP TABLE public.authdb_schema_migrations")
        .await
        .unwrap();
    db
}

#[tokio::test]
async fn an_empty_database_is_built_from_the_snapshot() {
    let db = testdb::empty_database().await;
    let client = db.connect().await;
    let options = AdoptOptions::default();
    let plan = plan(&client, &options).await;
    assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
    let resolves = resolves(&plan);
    for table in [
        "hardware_background",
        "sessions",
        "software_background",
        "users",
    ] {
        let line = format!("table {table}: missing (created empty)");
        assert!(resolves.contains(&line.as_str()), "{resolves:?}");
    }
    assert!(resolves.contains(&"function update_updated_at_column(): missing"));
    apply_then_verify(&client, &options, &plan).await;
}

/// The database `baseline` sends the user to adopt: one table gone. adopt used to fail on its
/// own count of that table's rows.
#[tokio::test]
async fn a_missing_table_is_created_with_its_keys_indexes_and_trigger() {
    let db = untracked().await;
    let client = db.connect().await;
    client
        .batch_execute("DROP TABLE hardware_background")
        .await
        .unwrap();
    let options = AdoptOptions::default();
    let plan = plan(&client, &options).await;
    assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
    let resolves = resolves(&plan);
    for expected in [
        "table hardware_background: missing (created empty)",
        "constraint hardware_background.hardware_background_user_id_fkey: missing",
        "index hardware_background_device_types_idx: missing",
        "trigger hardware_background.hardware_background_set_updated_at: missing",
    ] {
        assert!(
            resolves.contains(&expected),
            "{expected:?} not in {resolves:?}"
        );
    }
    apply_then_verify(&client, &options, &plan).await;
}

#[tokio::test]
async fn extra_tables_are_kept_or_dropped_and_a_missing_one_is_created() {
    let db = untracked().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "DROP TABLE sessions;
             CREATE TABLE audit_log (id bigint);
             CREATE SCHEMA reporting;
             CREATE TABLE reporting.daily (day date)",
        )
        .await
        .unwrap();
    let options = AdoptOptions::default();
    let kept = plan(&client, &options).await;
    assert!(kept.refusals.is_empty(), "{:?}", kept.refusals);
    let kept_names: Vec<String> = kept.kept.iter().map(ToString::to_string).collect();
    assert_eq!(
        kept_names,
        [
            "schema reporting",
            "table audit_log",
            "table reporting.daily"
        ]
    );
    assert!(resolves(&kept).contains(&"table sessions: missing (created empty)"));

    let drop_extra = AdoptOptions {
        drop_extra: true,
        ..AdoptOptions::default()
    };
    let dropped = plan(&client, &drop_extra).await;
    let sql: Vec<&str> = dropped.statements.iter().map(|s| s.sql.as_str()).collect();
    for drop in [
        "DROP TABLE audit_log",
        "DROP TABLE reporting.daily",
        "DROP SCHEMA reporting",
    ] {
        assert!(sql.contains(&drop), "{drop:?} not in {sql:?}");
    }
    apply_then_verify(&client, &drop_extra, &dropped).await;
    // The snapshot's tables and the tracking table, nothing else: the repository's schema is
    // read from the snapshot, never listed here.
    let (_, snapshot) = repository();
    let mut expected: Vec<String> = snapshot
        .tables
        .iter()
        .filter(|(_, table)| table.kind == authdb::snapshot::RelationKind::Table)
        .map(|(name, _)| name.clone())
        .collect();
    expected.push("authdb_schema_migrations".to_string());
    expected.sort();
    assert_eq!(tables(&client).await, expected);
}

/// A table that is missing while one the snapshot does not know holds rows: the data may be
/// there under another name, so adopt refuses rather than create an empty table beside it.
#[tokio::test]
async fn a_missing_table_beside_an_unknown_one_with_rows_is_refused() {
    let db = untracked().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "ALTER TABLE hardware_background RENAME TO hw_background;
             INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x');
             INSERT INTO hw_background (user_id, experience_level)
                 SELECT id, 'beginner' FROM users",
        )
        .await
        .unwrap();
    let plan = plan(&client, &AdoptOptions::default()).await;
    let reasons: Vec<&str> = plan.refusals.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "table hardware_background is missing while tables the schema does not know hold rows \
          (hw_background (1 row)): its data may be there under another name; move it by hand \
          (or drop those tables) and plan again"
        ]
    );
}

/// baseline records nothing on a database that differs, and says how.
#[tokio::test]
async fn baseline_refuses_empty_incomplete_and_extra_databases_and_says_how() {
    let (migrations, snapshot) = repository();
    let cases: [(&str, Option<&str>, &[&str]); 3] = [
        (
            "empty",
            None,
            &[
                "table hardware_background: missing",
                "table sessions: missing",
                "table software_background: missing",
                "table users: missing",
            ],
        ),
        (
            "a missing table",
            Some("DROP TABLE hardware_background"),
            &["table hardware_background: missing"],
        ),
        (
            "extra tables",
            Some("CREATE TABLE audit_log (id bigint); CREATE SCHEMA stray"),
            &[
                "schema stray: not in the snapshot",
                "table audit_log: not in the snapshot",
            ],
        ),
    ];
    for (what, change, says) in cases {
        let db = match change {
            None => testdb::empty_database().await,
            Some(sql) => {
                let db = untracked().await;
                db.connect().await.batch_execute(sql).await.unwrap();
                db
            }
        };
        let mut client = db.connect().await;
        let outcome = authdb::baseline(&mut client, &migrations, &snapshot)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let Baseline::Refused { differences } = outcome else {
            panic!("{what}: baseline recorded a database that differs");
        };
        let lines: Vec<String> = differences.iter().map(ToString::to_string).collect();
        for line in says {
            assert!(
                lines.contains(&line.to_string()),
                "{what}: {line:?} not in {lines:?}"
            );
        }
        let tracked: bool = client
            .query_one(
                "SELECT to_regclass('public.authdb_schema_migrations') IS NOT NULL",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(!tracked, "{what}: baseline left a tracking table");
    }
}

/// adopt never creates a role: a grant to one the server does not have is refused, by name.
#[tokio::test]
async fn a_role_the_server_lacks_is_refused() {
    let fixture = testdb::Fixture::new().migration(
        "grant",
        "CREATE TABLE notes (body text);\nGRANT SELECT ON notes TO PUBLIC;\n",
        "DROP TABLE notes;\n",
    );
    let fixture = fixture.with_snapshot().await;
    let text = std::fs::read_to_string(fixture.path().join("schema.snapshot")).unwrap();
    assert!(text.contains("\n  grant PUBLIC SELECT\n"), "{text}");
    fixture.write(
        "schema.snapshot",
        &text.replace(
            "\n  grant PUBLIC SELECT\n",
            "\n  grant authdb_nobody SELECT\n",
        ),
    );
    let migrations = fixture.load();
    let snapshot = Snapshot::load(fixture.path()).unwrap();
    let db = testdb::empty_database().await;
    let plan = authdb::plan_adopt(
        &db.connect().await,
        &migrations,
        &snapshot,
        &AdoptOptions::default(),
    )
    .await
    .unwrap();
    let reasons: Vec<&str> = plan.refusals.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "role authdb_nobody does not exist on this server, and the snapshot gives it an object \
          or privileges: roles belong to the server, not to the migrations' schema, so adopt does \
          not create them; create it (CREATE ROLE authdb_nobody), then plan again"
        ]
    );
}
