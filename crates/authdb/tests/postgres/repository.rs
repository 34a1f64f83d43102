//! The repository's own migrations, read from `migrations/` whatever it holds: the folder is
//! valid, and every migration, the newest included, round-trips: migrate to N, roll back to N-1
//! and the schema equals a database migrated straight to N-1, migrate again and it equals N, with
//! the rows of the tables a migration does not change kept byte for byte. This is what lets a
//! reviewer trust a new down file.

use std::collections::BTreeMap;

use authdb::snapshot::Snapshot;
use authdb::{RollbackOptions, RollbackTo};
use tokio_postgres::Client;

use crate::{load, migrate_repository, tables, tracking_rows};

/// Each table's rows, as a checksum, by name.
async fn rows(client: &Client) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for table in tables(client).await {
        if table == authdb::tracking::TABLE {
            continue; // applied_at changes: it is the history, not data
        }
        let sql = format!(
            "SELECT coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {table} t"
        );
        found.insert(table, client.query_one(&sql, &[]).await.unwrap().get(0));
    }
    found
}

async fn roll_back_last(client: &Client) {
    let migrations = load(&testdb::migrations_dir());
    let options = RollbackOptions::new(RollbackTo::Last);
    let plan = authdb::plan_rollback(client, &migrations, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    authdb::rollback(client, &migrations, &options, &plan)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The migrations' schema: the snapshot without authdb's own tracking table, which a rollback
/// keeps (empty) and a database never migrated does not have.
async fn schema(client: &tokio_postgres::Client) -> Snapshot {
    Snapshot {
        tracking: None,
        ..Snapshot::capture(client).await.unwrap()
    }
}

/// The schema of a database migrated straight to `version` (none: empty).
async fn straight_to(version: Option<i64>) -> Snapshot {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    if version.is_some() {
        migrate_repository(&mut client, version).await;
    }
    schema(&client).await
}

#[tokio::test]
async fn every_migration_round_trips_with_the_data_in_place() {
    let migrations = load(&testdb::migrations_dir());
    let versions: Vec<i64> = migrations.list.iter().map(|m| m.version).collect();
    assert!(!versions.is_empty(), "the repository has no migrations");

    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate_repository(&mut client, None).await;
    authdb::seed::seed_demo(&mut client).await.unwrap();

    for (i, &version) in versions.iter().enumerate().rev() {
        let before = i.checked_sub(1).map(|j| versions[j]);
        let at_version = schema(&client).await;
        let rows_at_version = rows(&client).await;

        roll_back_last(&client).await;
        let rolled_back = schema(&client).await;
        assert_eq!(
            rolled_back,
            straight_to(before).await,
            "rolling back {version} does not give the schema of the version before"
        );
        let rows_before = rows(&client).await;
        for (table, checksum) in &rows_before {
            // A table the migration does not change keeps its rows through the down file.
            if at_version.tables.get(table) == rolled_back.tables.get(table) {
                assert_eq!(
                    Some(checksum),
                    rows_at_version.get(table),
                    "rolling back {version} changed the rows of {table}"
                );
            }
        }

        migrate_repository(&mut client, Some(version)).await;
        assert_eq!(
            schema(&client).await,
            at_version,
            "migrating {version} again does not give its schema back"
        );
        for (table, checksum) in &rows_before {
            if at_version.tables.get(table) == rolled_back.tables.get(table) {
                assert_eq!(
                    Some(checksum),
                    rows(&client).await.get(table),
                    "migrating {version} again changed the rows of {table}"
                );
            }
        }
        // Down to the version before, to test the next one.
        roll_back_last(&client).await;
    }
    assert!(tracking_rows(&client).await.is_empty());
}

#[tokio::test]
async fn up_all_down_all_up_again_is_identical_to_one_up() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate_repository(&mut client, None).await;
    let migrations = load(&testdb::migrations_dir());
    let options = RollbackOptions::new(RollbackTo::All);
    let plan = authdb::plan_rollback(&client, &migrations, &options)
        .await
        .unwrap();
    let reverted = authdb::rollback(&client, &migrations, &options, &plan)
        .await
        .unwrap();
    assert_eq!(reverted.len(), migrations.list.len());
    assert_eq!(tables(&client).await, ["authdb_schema_migrations"]);
    assert_eq!(
        schema(&client).await,
        straight_to(None).await,
        "rolling everything back leaves something behind"
    );
    migrate_repository(&mut client, None).await;
    let once = testdb::migrated_database().await;
    assert_eq!(schema(&client).await, schema(&once.connect().await).await);
}
