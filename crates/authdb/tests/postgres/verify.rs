//! verify and the snapshot: the committed snapshot (and its picture) is what the migrations
//! create, and every kind of drift a person can make by hand is reported in words that say what
//! to fix.

use std::path::Path;

use authdb::snapshot::{PICTURE_FILE, SNAPSHOT_FILE, Snapshot, diff};
use authdb::{MigrateOptions, VerifyReport};
use testdb::Fixture;
use tokio_postgres::Client;

use crate::{load, migrate};

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

/// Two tables and a column added later, with the snapshot they create.
async fn fixture() -> Fixture {
    Fixture::new()
        .table("a")
        .table("b")
        .migration(
            "b_name",
            "ALTER TABLE b ADD COLUMN name text;\n",
            "ALTER TABLE b DROP COLUMN name;\n",
        )
        .with_snapshot()
        .await
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
    let latest = load(&testdb::migrations_dir()).latest_version();
    assert_eq!(fresh.version, latest);
    assert!(!fresh.tables.contains_key(authdb::tracking::TABLE));
    let picture = std::fs::read_to_string(testdb::migrations_dir().join(PICTURE_FILE)).unwrap();
    assert!(
        fresh.to_picture() == picture.replace("\r\n", "\n"),
        "migrations/{PICTURE_FILE} is stale: run `cargo xtask snapshot` and commit it"
    );
}

#[tokio::test]
async fn a_migrated_database_passes() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let report = verify(&client, &testdb::migrations_dir()).await;
    assert_eq!(report.problems(), Vec::<String>::new());
    assert!(report.ok());
    let latest = load(&testdb::migrations_dir()).latest_version();
    assert_eq!(
        (report.database_version, report.snapshot_version),
        (latest, latest)
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
async fn a_table_set_unlogged() {
    // Its rows are not written to the WAL: gone after a crash, and missing on every replica.
    assert_eq!(
        drift("ALTER TABLE sessions SET UNLOGGED").await,
        ["table sessions: unlogged (emptied after a crash), expected logged"]
    );
}

#[tokio::test]
async fn storage_parameters_set() {
    assert_eq!(
        drift(
            "ALTER TABLE users SET (fillfactor = 50, autovacuum_enabled = false,
                                   toast.autovacuum_enabled = false)"
        )
        .await,
        [
            "storage parameter users.autovacuum_enabled: false, expected the default",
            "storage parameter users.fillfactor: 50, expected the default",
            "storage parameter users.toast.autovacuum_enabled: false, expected the default",
        ]
    );
}

#[tokio::test]
async fn index_storage_parameters_set() {
    // A key's index is described by its constraint, whose definition PostgreSQL prints without
    // them: the snapshot adds them.
    assert_eq!(
        drift(
            "ALTER INDEX sessions_pkey SET (fillfactor = 60);
             ALTER INDEX sessions_expires_at_idx SET (fillfactor = 50, deduplicate_items = off)"
        )
        .await,
        [
            "constraint sessions.sessions_pkey: definition is PRIMARY KEY (id) WITH (fillfactor='60'), \
             expected PRIMARY KEY (id)",
            "index sessions_expires_at_idx: definition is (expires_at) WITH (fillfactor='50', \
             deduplicate_items=off), expected (expires_at)",
        ]
    );
}

#[tokio::test]
async fn replica_identity_changed() {
    assert_eq!(
        drift(
            "ALTER TABLE sessions REPLICA IDENTITY USING INDEX sessions_token_key;
             ALTER TABLE users REPLICA IDENTITY FULL"
        )
        .await,
        [
            "table sessions: replica identity is using index sessions_token_key, expected default",
            "table users: replica identity is full, expected default",
        ]
    );
}

#[tokio::test]
async fn row_level_security_enabled_or_forced() {
    assert_eq!(
        drift(
            "ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
             ALTER TABLE users FORCE ROW LEVEL SECURITY"
        )
        .await,
        [
            "table sessions: row level security is on, expected row level security is off",
            "table users: row level security is forced on the owner, expected row level security \
             is not forced on the owner",
        ]
    );
}

#[tokio::test]
async fn a_table_access_method_changed() {
    // ALTER TABLE ... SET ACCESS METHOD needs PostgreSQL 15; the tests run on 15 and 17.
    assert_eq!(
        drift(
            "CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
             ALTER TABLE sessions SET ACCESS METHOD heap2"
        )
        .await,
        [
            "table sessions: access method is heap2, expected heap",
            "access method heap2: not in the snapshot",
        ]
    );
}

/// Partitions, inheritance and options set by a migration: written, read back, and each undone
/// by hand is reported. A partition's copies of its parent's key, index and trigger are the
/// parent's, and not listed; detached, it keeps the key and the index (and loses the trigger).
#[tokio::test]
async fn partitions_inheritance_and_options_round_trip_and_drift() {
    let fixture = Fixture::new().migration(
        "options",
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))
             PARTITION BY RANGE (at);
         CREATE TABLE events_2024 PARTITION OF events
             FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE INDEX events_at_idx ON events (at);
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
         CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION touch();
         CREATE TABLE event_refs (id bigint, at date, FOREIGN KEY (id, at) REFERENCES events);
         CREATE TABLE parent (a integer);
         CREATE TABLE child (b integer) INHERITS (parent);
         CREATE UNLOGGED TABLE audit (id bigint) WITH (fillfactor = 70);
         ALTER TABLE audit REPLICA IDENTITY FULL;
         ALTER TABLE audit ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
        ",
        "DROP TABLE audit, child, parent, event_refs, events; DROP FUNCTION touch();\n",
    );
    let dir = fixture.path();
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, dir).await.unwrap();
    let snapshot = Snapshot::capture(&client).await.unwrap();
    let text = snapshot.to_text();
    let tables = &text[text.find("\ntable ").unwrap()..text.find("\ntracking table").unwrap()];
    assert_eq!(
        tables,
        "
table audit, unlogged, row level security, force row level security
  replica identity full
  with fillfactor=70
  column id bigint

table child
  inherits parent
  column a integer
  column b integer

table event_refs
  column id bigint
  column at date
  constraint event_refs_id_at_fkey FOREIGN KEY (id, at) REFERENCES events(id, at)

table events
  partition by RANGE (at)
  column id bigint, not null
  column at date, not null
  constraint events_pkey PRIMARY KEY (id, at)
  index events_at_idx btree (at)
  trigger events_touch enabled BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION touch()

table events_2024
  partition of events
  partition bound FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  column id bigint, not null
  column at date, not null

table parent
  column a integer
"
    );
    assert_eq!(Snapshot::parse(&text).unwrap(), snapshot);

    client
        .batch_execute(
            "ALTER TABLE audit RESET (fillfactor), REPLICA IDENTITY DEFAULT, SET LOGGED;
             ALTER TABLE child NO INHERIT parent;
             ALTER TABLE events DETACH PARTITION events_2024",
        )
        .await
        .unwrap();
    let live = Snapshot::capture(&client).await.unwrap();
    let differences: Vec<String> = diff(&snapshot, &live)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        differences,
        [
            "table audit: logged, expected unlogged (emptied after a crash)",
            "table audit: replica identity is default, expected full",
            "storage parameter audit.fillfactor: the default, expected 70",
            "table child: inherits nothing, expected inherits parent",
            "table events_2024: not a partition, expected a partition of events FOR VALUES FROM \
             ('2024-01-01') TO ('2025-01-01')",
            "constraint events_2024.events_2024_pkey: not in the snapshot",
            "index events_2024_at_idx: not in the snapshot",
        ]
    );
}

#[tokio::test]
async fn a_modified_migration_file() {
    let fixture = fixture().await;
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, fixture.path()).await.unwrap();
    fixture.write(
        "002_create_b.sql",
        "CREATE TABLE b (id int);\n-- an edit after the fact\n",
    );
    let report = verify(&client, fixture.path()).await;
    assert_eq!(
        report.problems(),
        [
            "migration 002_create_b: modified: the file changed after it was applied; restore it \
             and put the change in a new migration"
        ]
    );
    assert!(!report.ok());
}

#[tokio::test]
async fn a_pending_migration_leaves_the_schema_uncompared() {
    let fixture = fixture().await;
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let options = MigrateOptions {
        up_to: Some(2),
        ..Default::default()
    };
    authdb::migrate(&mut client, &fixture.load(), &options)
        .await
        .unwrap();
    let report = verify(&client, fixture.path()).await;
    assert_eq!(
        report.problems(),
        [
            "migration 003_b_name: pending: not applied to this database yet (cargo xtask migrate)",
            "the schema was not compared: the database is at version 2, the snapshot describes version 3",
        ]
    );
}

#[tokio::test]
async fn a_snapshot_older_than_the_migrations_is_reported() {
    let mut fixture = fixture().await;
    fixture.add(
        "add_nickname",
        "ALTER TABLE a ADD COLUMN nickname text;\n",
        "ALTER TABLE a DROP COLUMN nickname;\n",
    );
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, fixture.path()).await.unwrap();
    let problems = verify(&client, fixture.path()).await.problems();
    let expected = format!(
        "{}: the snapshot describes version 3, but the latest migration is 4: run `cargo xtask \
         snapshot` and commit the file; the schema was not compared",
        fixture.path().join(SNAPSHOT_FILE).display()
    );
    assert_eq!(problems, [expected]);
}

#[tokio::test]
async fn snapshot_file_errors_name_the_file_and_line() {
    let fixture = Fixture::new().table("a");
    let message = Snapshot::load(fixture.path()).unwrap_err().to_string();
    let path = fixture.path().join(SNAPSHOT_FILE);
    assert_eq!(
        message,
        format!(
            "{}: there is no snapshot of the schema: run `cargo xtask snapshot` to write it from \
             the migrations, and commit it",
            path.display()
        )
    );
    std::fs::write(&path, "version 1\n\ntable users\n  colum id uuid\n").unwrap();
    let message = Snapshot::load(fixture.path()).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}:4: `colum id uuid`: expected column, constraint, index, trigger, policy, an \
             option, owner, grant or comment. The file is generated: run `cargo xtask snapshot` \
             to write it again",
            path.display()
        )
    );
}
