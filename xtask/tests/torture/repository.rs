//! The repository's own folder under the same torture: a migrator killed at a random instant
//! leaves the schema of a clean `migrate --to V` for some version V (or, inside a no-transaction
//! file, that version plus the file's unfinished row), and a rerun gives exactly the schema of
//! one clean migrate. The folder's files are the ones that ship; no test names how many.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tokio::sync::OnceCell;
use tokio_postgres::Client;

use crate::run::{expect_exit, finish, xtask};

/// The snapshot text of a clean migrate to each version, 0 (nothing) to the head.
static CLEAN: OnceCell<Vec<String>> = OnceCell::const_new();

async fn clean() -> &'static [String] {
    CLEAN
        .get_or_init(|| async {
            let migrations = authdb::Migrations::load(&testdb::migrations_dir()).unwrap();
            let mut snapshots = Vec::new();
            let db = testdb::empty_database().await;
            snapshots.push(snapshot(&db.connect().await).await);
            for migration in &migrations.list {
                let db = testdb::empty_database().await;
                let mut client = db.connect().await;
                let options = authdb::MigrateOptions {
                    up_to: Some(migration.version),
                    ..Default::default()
                };
                authdb::migrate(&mut client, &migrations, &options)
                    .await
                    .unwrap();
                snapshots.push(snapshot(&client).await);
            }
            snapshots
        })
        .await
}

async fn snapshot(client: &Client) -> String {
    authdb::Snapshot::capture(client).await.unwrap().to_text()
}

/// Kills `migrate` of the repository's folder after `after_ms`, then checks what it left and
/// what a rerun makes.
async fn killed_at(after_ms: u64) -> Result<(), String> {
    let clean = clean().await;
    let db = testdb::empty_database().await;
    let client = db.connect().await;
    let folder = testdb::migrations_dir();
    let migrate = || {
        let mut command = xtask();
        command
            .args(["migrate", "--database-url", &db.url, "--migrations"])
            .arg(&folder)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };
    let mut child = migrate().spawn().unwrap();
    connected(&client).await;
    tokio::time::sleep(Duration::from_millis(after_ms)).await;
    let _ = child.kill();
    let _ = child.wait();
    quiet(&client).await?;
    let rows: Vec<(i64, bool)> = client
        .query(
            "SELECT version, finished FROM public.authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map(|rows| rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        .unwrap_or_default();
    let finished = rows.iter().filter(|(_, finished)| *finished).count();
    let unfinished = rows.iter().any(|(_, finished)| !finished);
    if !unfinished && snapshot(&client).await != clean[finished] {
        return Err(format!(
            "killed after {after_ms} ms, the database records {finished} migrations but its \
             schema is not that of a clean migrate to them"
        ));
    }
    let output = finish(migrate().spawn().unwrap()).await;
    expect_exit(&output, 0)?;
    if snapshot(&client).await != clean[clean.len() - 1] {
        return Err(format!(
            "killed after {after_ms} ms (leaving {rows:?}), the rerun's schema is not that of a \
             clean migrate"
        ));
    }
    Ok(())
}

/// Waits until the migrator's session is there. The instant of a kill is counted from it, not
/// from the process start, which a loaded machine delays by more than the whole run takes.
async fn connected(client: &Client) {
    for _ in 0..5000 {
        if sessions(client).await > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn sessions(client: &Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// How long a migrate of the folder runs once connected, here and now: the median of three.
async fn duration() -> Duration {
    let mut runs = Vec::new();
    for _ in 0..3 {
        let db = testdb::empty_database().await;
        let client = db.connect().await;
        let child = xtask()
            .args(["migrate", "--database-url", &db.url, "--migrations"])
            .arg(testdb::migrations_dir())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        connected(&client).await;
        let started = std::time::Instant::now();
        finish(child).await;
        runs.push(started.elapsed());
    }
    runs.sort();
    runs[1]
}

async fn quiet(client: &Client) -> Result<(), String> {
    for _ in 0..600 {
        if sessions(client).await == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the killed migrator's session is still there after 30 s".to_string())
}

#[test]
fn the_repository_s_folder_survives_a_kill_at_any_instant() {
    let cases = crate::setting("AUTHDB_TORTURE_CASES", crate::DEFAULT_CASES);
    let seed = crate::setting("AUTHDB_TORTURE_SEED", crate::DEFAULT_SEED);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &crate::seed_bytes(seed)),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Kills land anywhere from the connection to a fifth past the run's usual end.
    let run = runtime.block_on(duration());
    let result = runner.run(&(0..=1200u32), |per_mille| {
        let after = run.mul_f64(f64::from(per_mille) / 1000.0);
        runtime
            .block_on(killed_at(after.as_millis() as u64))
            .map_err(TestCaseError::fail)
    });
    if let Err(error) = result {
        panic!("seed {seed}: {error}");
    }
}
