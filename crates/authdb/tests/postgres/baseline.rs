//! baseline: a database migrated the old way (each file run with psql, no tracking table) is
//! adopted when its schema matches the snapshot, and left untouched when it does not.

use authdb::snapshot::Snapshot;
use authdb::{Baseline, Migrations};
use tokio_postgres::Client;

use crate::{load, migrate, tables, tracking_rows};

/// What `psql -f 00N_....sql` did, file by file: no tracking table, nothing recorded.
async fn run_the_old_way(client: &Client, migrations: &Migrations, last: i64) {
    for migration in migrations.list.iter().filter(|m| m.version <= last) {
        client.batch_execute(&migration.sql).await.unwrap();
    }
}

async fn baseline(client: &mut Client) -> authdb::Result<Baseline> {
    let migrations = load(&testdb::migrations_dir());
    let snapshot = Snapshot::load(&migrations.dir).unwrap();
    authdb::baseline(client, &migrations, &snapshot).await
}

#[tokio::test]
async fn a_database_migrated_the_old_way_is_adopted_then_migrate_and_verify_pass() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let migrations = load(&testdb::migrations_dir());
    run_the_old_way(&client, &migrations, 6).await;

    let Baseline::Recorded {
        version,
        migrations: recorded,
    } = baseline(&mut client).await.unwrap()
    else {
        panic!("the schema matches the snapshot, so baseline must record");
    };
    assert_eq!(version, 6);
    let names: Vec<String> = migrations.list.iter().map(|m| m.file_stem()).collect();
    assert_eq!(recorded, names);
    let expected: Vec<(i64, String, String)> = migrations
        .list
        .iter()
        .map(|m| (m.version, m.file_stem(), m.checksum.to_hex()))
        .collect();
    assert_eq!(tracking_rows(&client).await, expected);

    let report = migrate(&mut client, &testdb::migrations_dir())
        .await
        .unwrap();
    assert!(report.steps.is_empty(), "{report:?}");
    let snapshot = Snapshot::load(&migrations.dir).unwrap();
    let verified = authdb::verify(&client, &migrations, &snapshot)
        .await
        .unwrap();
    assert_eq!(verified.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn a_differing_schema_is_refused_and_nothing_changes() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    // The old steps stopped before the triggers.
    run_the_old_way(&client, &load(&testdb::migrations_dir()), 5).await;
    let before = tables(&client).await;

    let Baseline::Refused { differences } = baseline(&mut client).await.unwrap() else {
        panic!("the triggers are missing, so baseline must refuse");
    };
    let messages: Vec<String> = differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "function update_updated_at_column(): missing",
            "trigger hardware_background.hardware_background_set_updated_at: missing",
            "trigger sessions.sessions_set_updated_at: missing",
            "trigger software_background.software_background_set_updated_at: missing",
            "trigger users.users_set_updated_at: missing",
        ]
    );
    assert_eq!(tables(&client).await, before);
    assert!(!authdb::tracking::exists(&client).await.unwrap());
}

#[tokio::test]
async fn a_tracked_database_is_refused() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    let before = tracking_rows(&client).await;
    let message = baseline(&mut client).await.unwrap_err().to_string();
    assert_eq!(
        message,
        "refusing to baseline: the database already records 6 applied migration(s) in \
         authdb_schema_migrations, up to version 6. Baseline adopts a database migrated before \
         authdb; this one is tracked already: check it with `cargo xtask verify`"
    );
    assert_eq!(tracking_rows(&client).await, before);
}

#[tokio::test]
async fn a_snapshot_of_another_version_is_refused() {
    let dir = crate::repo_migrations(5);
    let migrations = load(dir.path());
    let snapshot = Snapshot::load(&testdb::migrations_dir()).unwrap();
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    let message = authdb::baseline(&mut client, &migrations, &snapshot)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        format!(
            "{}: the snapshot describes version 6, but the latest migration is 5: run `cargo \
             xtask snapshot` and commit the file",
            dir.path().join("schema.snapshot").display()
        )
    );
    assert!(!authdb::tracking::exists(&client).await.unwrap());
}
