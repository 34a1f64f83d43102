//! verify and the snapshot: the committed snapshot is what the migrations create, and every kind
//! of drift a person can make by hand is reported in words that say what to fix.

use std::path::Path;

use authdb::snapshot::{SNAPSHOT_FILE, Snapshot, bench_schema_sql, diff};
use authdb::{MigrateOptions, VerifyReport};
use tempfile::TempDir;
use tokio_postgres::Client;

use crate::{folder, load, migrate, repo_migrations};

async fn verify(client: &Client, dir: &Path) -> VerifyReport {
    let migrations = load(dir);
    let snapshot = Snapshot::load(dir).unwrap();
    authdb::verify(client, &migrations, &snapshot)
        .await
        .unwrap()
}

/// What verify says about a migrated database after `sql` changed it by hand.
async fn drift(sql: &str) -> Vec<String> {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    client.batch_execute(sql).await.unwrap();
    verify(&client, &testdb::migrations_dir()).await.problems()
}

/// The repository's migrations up to `last` with the committed snapshot, in a folder a test may change.
fn folder_with_snapshot(last: i64) -> TempDir {
    let dir = repo_migrations(last);
    std::fs::copy(
        testdb::migrations_dir().join(SNAPSHOT_FILE),
        dir.path().join(SNAPSHOT_FILE),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn the_committed_snapshot_is_what_the_migrations_create() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, &testdb::migrations_dir())
        .await
        .unwrap();
    let fresh = Snapshot::capture(&client).await.unwrap();
    let committed = std::fs::read_to_string(testdb::migrations_dir().join(SNAPSHOT_FILE)).unwrap();
    assert!(
        fresh.to_text() == committed.replace("\r\n", "\n"),
        "migrations/{SNAPSHOT_FILE} is stale: run `cargo xtask snapshot` and commit it. Differences: {:?}",
        diff(&Snapshot::parse(&committed).unwrap(), &fresh)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    assert_eq!(Snapshot::parse(&committed).unwrap(), fresh);
    assert_eq!(fresh.version, Some(6));
    assert!(!fresh.tables.contains_key(authdb::tracking::TABLE));
}

#[tokio::test]
async fn a_migrated_database_passes() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let report = verify(&client, &testdb::migrations_dir()).await;
    assert_eq!(report.problems(), Vec::<String>::new());
    assert!(report.ok());
    assert_eq!(
        (report.database_version, report.snapshot_version),
        (Some(6), Some(6))
    );
}

#[tokio::test]
async fn a_missing_table() {
    // Its columns, indexes and triggers go with it: one difference, not twenty.
    assert_eq!(
        drift("DROP TABLE hardware_background").await,
        ["table hardware_background: missing"]
    );
}

#[tokio::test]
async fn a_column_type_changed() {
    assert_eq!(
        drift("ALTER TABLE sessions ALTER COLUMN expires_at TYPE timestamp").await,
        [
            "column sessions.expires_at: type is timestamp without time zone, expected timestamp with time zone"
        ]
    );
}

#[tokio::test]
async fn nullability_dropped() {
    assert_eq!(
        drift("ALTER TABLE sessions ALTER COLUMN token DROP NOT NULL").await,
        ["column sessions.token: nullable, expected NOT NULL"]
    );
}

#[tokio::test]
async fn a_default_changed_or_dropped() {
    assert_eq!(
        drift(
            "ALTER TABLE users ALTER COLUMN created_at SET DEFAULT clock_timestamp();
             ALTER TABLE users ALTER COLUMN id DROP DEFAULT"
        )
        .await,
        [
            "column users.created_at: default is clock_timestamp(), expected now()",
            "column users.id: no default, expected gen_random_uuid()",
        ]
    );
}

#[tokio::test]
async fn a_missing_index() {
    assert_eq!(
        drift("DROP INDEX software_background_preferred_languages_idx").await,
        ["index software_background_preferred_languages_idx: missing"]
    );
}

#[tokio::test]
async fn an_index_method_changed() {
    assert_eq!(
        drift(
            "DROP INDEX sessions_expires_at_idx;
             CREATE INDEX sessions_expires_at_idx ON sessions USING brin (expires_at)"
        )
        .await,
        ["index sessions_expires_at_idx: method is brin, expected btree"]
    );
}

#[tokio::test]
async fn a_foreign_key_action_changed() {
    assert_eq!(
        drift(
            "ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey,
                 ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
                 ON DELETE SET NULL"
        )
        .await,
        [
            "constraint sessions.sessions_user_id_fkey: ON DELETE action is SET NULL, expected CASCADE"
        ]
    );
}

#[tokio::test]
async fn a_check_constraint_changed() {
    assert_eq!(
        drift(
            "ALTER TABLE hardware_background
                 DROP CONSTRAINT hardware_background_experience_level_check,
                 ADD CONSTRAINT hardware_background_experience_level_check
                     CHECK (experience_level IN ('beginner', 'expert'))"
        )
        .await,
        [
            "constraint hardware_background.hardware_background_experience_level_check: definition is \
             CHECK (experience_level = ANY (ARRAY['beginner'::text, 'expert'::text])), expected \
             CHECK (experience_level = ANY (ARRAY['beginner'::text, 'intermediate'::text, \
             'advanced'::text, 'expert'::text]))"
        ]
    );
}

#[tokio::test]
async fn a_missing_trigger() {
    assert_eq!(
        drift("DROP TRIGGER users_set_updated_at ON users").await,
        ["trigger users.users_set_updated_at: missing"]
    );
}

#[tokio::test]
async fn a_disabled_trigger() {
    assert_eq!(
        drift("ALTER TABLE sessions DISABLE TRIGGER sessions_set_updated_at").await,
        ["trigger sessions.sessions_set_updated_at: disabled, expected enabled"]
    );
}

#[tokio::test]
async fn a_function_body_changed() {
    assert_eq!(
        drift(
            "CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger
             LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$"
        )
        .await,
        ["function update_updated_at_column(): the body differs from the snapshot's"]
    );
}

#[tokio::test]
async fn an_extra_table_column_and_index() {
    assert_eq!(
        drift(
            "CREATE TABLE audit_log (id bigint);
             ALTER TABLE users ADD COLUMN nickname text;
             CREATE INDEX users_created_at_idx ON users (created_at)"
        )
        .await,
        [
            "table audit_log: not in the snapshot",
            "column users.nickname: not in the snapshot",
            "index users_created_at_idx: not in the snapshot",
        ]
    );
}

#[tokio::test]
async fn a_modified_migration_file() {
    let dir = folder_with_snapshot(6);
    let path = dir.path().join("003_create_software_background.sql");
    let sql = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{sql}\n-- an edit after the fact\n")).unwrap();
    let db = testdb::migrated_database().await;
    let report = verify(&db.connect().await, dir.path()).await;
    assert_eq!(
        report.problems(),
        [
            "migration 003_create_software_background: modified: the file changed after it was \
             applied; restore it and put the change in a new migration"
        ]
    );
    assert!(!report.ok());
}

#[tokio::test]
async fn a_pending_migration_leaves_the_schema_uncompared() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let options = MigrateOptions {
        target: Some(5),
        ..Default::default()
    };
    authdb::migrate(&mut client, &load(&testdb::migrations_dir()), &options)
        .await
        .unwrap();
    let report = verify(&client, &testdb::migrations_dir()).await;
    assert_eq!(
        report.problems(),
        [
            "migration 006_create_triggers: pending: not applied to this database yet (cargo xtask migrate)",
            "the schema was not compared: the database is at version 5, the snapshot describes version 6",
        ]
    );
}

#[tokio::test]
async fn a_snapshot_older_than_the_migrations_is_reported() {
    let dir = folder_with_snapshot(6);
    std::fs::write(
        dir.path().join("007_add_nickname.sql"),
        "ALTER TABLE users ADD COLUMN nickname text;\n",
    )
    .unwrap();
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, dir.path()).await.unwrap();
    let problems = verify(&client, dir.path()).await.problems();
    let expected = format!(
        "{}: the snapshot describes version 6, but the latest migration is 7: run `cargo xtask \
         snapshot` and commit the file; the schema was not compared",
        dir.path().join(SNAPSHOT_FILE).display()
    );
    assert_eq!(problems, [expected]);
}

#[tokio::test]
async fn snapshot_file_errors_name_the_file_and_line() {
    let dir = folder(&[("001_a.sql", "SELECT 1;\n")]);
    let message = Snapshot::load(dir.path()).unwrap_err().to_string();
    let path = dir.path().join(SNAPSHOT_FILE);
    assert_eq!(
        message,
        format!(
            "{}: there is no snapshot of the schema: run `cargo xtask snapshot` to write it from \
             the migrations, and commit it",
            path.display()
        )
    );
    std::fs::write(&path, "version 1\n\ntable users\n  colum id uuid\n").unwrap();
    let message = Snapshot::load(dir.path()).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}:4: `colum id uuid`: expected column, constraint, index or trigger. The file is \
             generated: run `cargo xtask snapshot` to write it again",
            path.display()
        )
    );
}

#[tokio::test]
async fn the_benchmark_schema_round_trips() {
    let dir = folder(&[("001_bench.sql", &bench_schema_sql(200))]);
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, dir.path()).await.unwrap();
    let snapshot = Snapshot::capture(&client).await.unwrap();
    assert_eq!(snapshot.tables.len(), 200);
    let table = &snapshot.tables["bench_199"];
    assert_eq!(
        (
            table.columns.len(),
            table.constraints.len(),
            table.indexes.len(),
            table.triggers.len()
        ),
        (9, 4, 2, 1)
    );
    let parsed = Snapshot::parse(&snapshot.to_text()).unwrap();
    assert_eq!(parsed, snapshot);
    assert!(diff(&parsed, &snapshot).is_empty());
}
