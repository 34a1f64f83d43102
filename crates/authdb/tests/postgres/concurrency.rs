//! Eight migrators at once in one process: the advisory lock lets one apply, the others find the
//! database up to date, and every migration is recorded exactly once.

use testdb::Fixture;

use crate::tracking_rows;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_tasks_apply_each_migration_exactly_once() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .table("a")
        .migration(
            "slow",
            "SELECT pg_sleep(0.2);\nCREATE TABLE b (id int);\n",
            "DROP TABLE b;\n",
        )
        .table("c");
    let migrations = std::sync::Arc::new(fixture.load());
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(db.connect().await);
    }
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let migrations = migrations.clone();
            tokio::spawn(async move {
                authdb::migrate(&mut client, &migrations, &Default::default())
                    .await
                    .map(|report| report.steps.len())
            })
        })
        .collect();
    let mut applied = Vec::new();
    for task in tasks {
        applied.push(task.await.unwrap().unwrap());
    }
    applied.sort();
    assert_eq!(applied, [0, 0, 0, 0, 0, 0, 0, 3]);
    let versions: Vec<i64> = tracking_rows(&db.connect().await)
        .await
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
}
