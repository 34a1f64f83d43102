//! Eight migrators at once in one process: the advisory lock lets one apply, the others find the
//! database up to date, and every migration is recorded exactly once.

use crate::{load, tracking_rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_tasks_apply_each_migration_exactly_once() {
    let db = testdb::empty_database().await;
    let migrations = std::sync::Arc::new(load(&testdb::migrations_dir()));
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
    assert_eq!(applied, [0, 0, 0, 0, 0, 0, 0, 6]);
    let versions: Vec<i64> = tracking_rows(&db.connect().await)
        .await
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
}
