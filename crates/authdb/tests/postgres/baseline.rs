//! baseline: a database migrated the old way (each file run with psql, no tracking table) is
//! adopted when its schema matches the snapshot, and left untouched when it does not.

use authdb::snapshot::Snapshot;
use authdb::{Baseline, Migrations};
use testdb::Fixture;
use tokio_postgres::Client;

use crate::{load, migrate, tracking_rows};

/// Two tables, a function and a trigger: enough for every kind of difference baseline reports.
async fn fixture() -> Fixture {
    Fixture::new()
        .table("a")
        .migration(
            "touch",
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
             CREATE TRIGGER a_touch BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch();\n",
            "DROP TRIGGER a_touch ON a;\nDROP FUNCTION touch();\n",
        )
        .with_snapshot()
        .await
}

/// What `psql -f 00N_....sql` did, file by file: no tracking table, nothing recorded.
async fn run_the_old_way(client: &Client, migrations: &Migrations, last: i64) {
    for migration in migrations.list.iter().filter(|m| m.version <= last) {
        client.batch_execute(&migration.sql).await.unwrap();
    }
}

async fn baseline(client: &mut Client, fixture: &Fixture) -> authdb::Result<Baseline> {
    let migrations = fixture.load();
    let snapshot = Snapshot::load(&migrations.dir).unwrap();
    authdb::baseline(client, &migrations, &snapshot).await
}

#[tokio::test]
async fn a_database_migrated_the_old_way_is_adopted_then_migrate_and_verify_pass() {
    let fixture = fixture().await;
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let migrations = fixture.load();
    run_the_old_way(&client, &migrations, 2).await;

    let Baseline::Recorded {
        version,
        migrations: recorded,
    } = baseline(&mut client, &fixture).await.unwrap()
    else {
        panic!("the schema matches the snapshot, so baseline must record");
    };
    assert_eq!(version, 2);
    assert_eq!(recorded, ["001_create_a", "002_touch"]);
    let expected: Vec<(i64, String, String)> = migrations
        .list
        .iter()
        .map(|m| (m.version, m.file_stem(), m.checksum.to_hex()))
        .collect();
    assert_eq!(tracking_rows(&client).await, expected);

    let report = migrate(&mut client, fixture.path()).await.unwrap();
    assert!(report.steps.is_empty(), "{report:?}");
    let snapshot = Snapshot::load(&migrations.dir).unwrap();
    let verified = authdb::verify(&client, &migrations, &snapshot)
        .await
        .unwrap();
    assert_eq!(verified.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn a_differing_schema_is_refused_and_nothing_changes() {
    let fixture = fixture().await;
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    // The old steps stopped before the trigger.
    run_the_old_way(&client, &load(fixture.path()), 1).await;
    let before = testdb::fingerprint(&client).await;

    let Baseline::Refused { differences } = baseline(&mut client, &fixture).await.unwrap() else {
        panic!("the trigger is missing, so baseline must refuse");
    };
    let messages: Vec<String> = differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["function touch(): missing", "trigger a.a_touch: missing"]
    );
    assert_eq!(testdb::fingerprint(&client).await, before);
    assert!(!authdb::tracking::exists(&client).await.unwrap());
}

#[tokio::test]
async fn a_tracked_database_is_refused() {
    let fixture = fixture().await;
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, fixture.path()).await.unwrap();
    let before = tracking_rows(&client).await;
    let message = baseline(&mut client, &fixture)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "refusing to baseline: the database already records 2 applied migration(s) in \
         authdb_schema_migrations, up to version 2. Baseline adopts a database migrated before \
         authdb; this one is tracked already: check it with `cargo xtask verify`"
    );
    assert_eq!(tracking_rows(&client).await, before);
}

#[tokio::test]
async fn a_snapshot_of_another_version_is_refused() {
    let mut fixture = fixture().await;
    fixture.add("create_b", "CREATE TABLE b (id int);\n", "DROP TABLE b;\n");
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let message = baseline(&mut client, &fixture)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        format!(
            "{}: the snapshot describes version 2, but the latest migration is 3: run `cargo \
             xtask snapshot` and commit the file",
            fixture.path().join("schema.snapshot").display()
        )
    );
    assert!(!authdb::tracking::exists(&client).await.unwrap());
}
