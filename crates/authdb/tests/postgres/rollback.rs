//! Rollback: every down file undoes its up file exactly, plans show what will be dropped, and
//! every refusal leaves the database untouched.

use authdb::snapshot::Snapshot;
use authdb::{MigrateOptions, RollbackOptions, RollbackTo};
use tokio_postgres::Client;

use crate::{load, repo_migrations, tables, tracking_rows};

fn options(to: RollbackTo) -> RollbackOptions {
    RollbackOptions {
        to,
        lock_timeout: None,
        statement_timeout: None,
    }
}

async fn migrate_to(client: &mut Client, target: Option<i64>) {
    let migrations = load(&testdb::migrations_dir());
    let options = MigrateOptions {
        target,
        ..Default::default()
    };
    authdb::migrate(client, &migrations, &options)
        .await
        .unwrap();
}

async fn roll_back(
    client: &Client,
    to: RollbackTo,
) -> authdb::Result<Vec<authdb::rollback::Revert>> {
    let migrations = load(&testdb::migrations_dir());
    let plan = authdb::plan_rollback(client, &migrations, &options(to)).await?;
    authdb::rollback(client, &migrations, &options(to), &plan).await
}

#[tokio::test]
async fn each_down_file_returns_the_schema_of_the_version_before() {
    for k in 1..=6 {
        let rolled = testdb::empty_database().await;
        let mut client = rolled.connect().await;
        migrate_to(&mut client, Some(k)).await;
        let reverted = roll_back(&client, RollbackTo::Last).await.unwrap();
        assert_eq!(reverted.iter().map(|r| r.version).collect::<Vec<_>>(), [k]);

        let fresh = testdb::empty_database().await;
        let mut expected = fresh.connect().await;
        if k > 1 {
            migrate_to(&mut expected, Some(k - 1)).await;
        }
        assert_eq!(
            Snapshot::capture(&client).await.unwrap(),
            Snapshot::capture(&expected).await.unwrap(),
            "rolling back {k} did not give the schema of version {}",
            k - 1
        );
        assert_eq!(tracking_rows(&client).await.len() as i64, k - 1);
    }
}

#[tokio::test]
async fn up_all_down_up_again_is_identical_to_one_up() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate_to(&mut client, None).await;
    let reverted = roll_back(&client, RollbackTo::All).await.unwrap();
    assert_eq!(reverted.len(), 6);
    assert_eq!(tables(&client).await, ["authdb_schema_migrations"]);
    let functions: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_proc WHERE proname = 'update_updated_at_column'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(functions, 0);
    assert!(tracking_rows(&client).await.is_empty());

    migrate_to(&mut client, None).await;
    let once = testdb::migrated_database().await;
    assert_eq!(
        Snapshot::capture(&client).await.unwrap(),
        Snapshot::capture(&once.connect().await).await.unwrap()
    );
}

#[tokio::test]
async fn the_plan_lists_dropped_tables_with_their_rows_and_changes_nothing() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'h'), ('b@example.com', 'h');
             INSERT INTO sessions (user_id, token, expires_at) SELECT id, email, now() FROM users;",
        )
        .await
        .unwrap();
    let migrations = load(&testdb::migrations_dir());
    let plan = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::Version(0)))
        .await
        .unwrap();
    let dropped: Vec<(String, i64)> = plan
        .dropped_tables
        .iter()
        .map(|t| (t.name.clone(), t.rows))
        .collect();
    assert_eq!(
        dropped,
        [
            ("hardware_background".to_string(), 0),
            ("sessions".to_string(), 2),
            ("software_background".to_string(), 0),
            ("users".to_string(), 2)
        ]
    );
    assert_eq!(
        plan.dropped_objects,
        ["function update_updated_at_column()"]
    );
    assert_eq!((plan.from_version, plan.to_version), (6, None));
    assert_eq!(
        tracking_rows(&client).await.len(),
        6,
        "planning changed the tracking table"
    );
    assert_eq!(tables(&client).await.len(), 5, "planning dropped tables");
}

#[tokio::test]
async fn a_stale_plan_is_refused() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let migrations = load(&testdb::migrations_dir());
    let plan = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::Last))
        .await
        .unwrap();
    roll_back(&client, RollbackTo::Last).await.unwrap();
    let message = authdb::rollback(&client, &migrations, &options(RollbackTo::Last), &plan)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("the database changed between the plan and the rollback"),
        "{message}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 5);
}

#[tokio::test]
async fn refusals_name_the_fault_and_change_nothing() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;

    let dir = repo_migrations(6);
    let down = dir.path().join("006_create_triggers.down.sql");
    std::fs::remove_file(&down).unwrap();
    let migrations = load(dir.path());
    let message = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::Last))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!("{}: the down file is missing", down.display())),
        "{message}"
    );

    let dir = repo_migrations(6);
    let up = dir.path().join("005_create_indexes.sql");
    std::fs::write(&up, "CREATE INDEX other ON users (created_at);\n").unwrap();
    let message = authdb::plan_rollback(&client, &load(dir.path()), &options(RollbackTo::All))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "{}: the file was changed after version 5",
            up.display()
        )),
        "{message}"
    );

    let migrations = load(&testdb::migrations_dir());
    let message = authdb::plan_rollback(&client, &migrations, &options(RollbackTo::Version(6)))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "--to 6: the database is at version 6, so there is nothing above 6 to roll back"
    );
    assert_eq!(tracking_rows(&client).await.len(), 6);

    let empty = testdb::empty_database().await;
    let message = authdb::plan_rollback(
        &empty.connect().await,
        &migrations,
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
