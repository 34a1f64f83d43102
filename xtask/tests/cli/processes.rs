//! Several migrate processes at once, timeouts given by flag and by environment, and the
//! confirmation rollback asks for.

use std::time::Duration;

use testdb::Fixture;

use crate::{state, text, xtask};

/// Eight `migrate` processes started at once on `migrations` and a fresh database: one applies
/// all `count` migrations, seven wait and find it up to date, and each version is recorded once.
/// A migration executed twice would fail (a table or index that already exists) or be recorded
/// twice, so every exit code 0 proves each ran once.
async fn eight_at_once(migrations: &std::path::Path, count: i64) {
    let db = testdb::empty_database().await;
    let cwd = tempfile::tempdir().unwrap();
    // Spawn all eight before waiting for any, so that they really run at once.
    let children: Vec<_> = (0..8)
        .map(|_| {
            xtask(cwd.path())
                .args(["migrate", "--database-url", &db.url, "--migrations"])
                .arg(migrations)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied = 0;
    let mut up_to_date = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{stdout}{stderr}");
        if stdout.contains(&format!("{count} migrations applied")) {
            applied += 1;
        } else if stdout.contains(&format!("already up to date at version {count}")) {
            up_to_date += 1;
        }
    }
    assert_eq!((applied, up_to_date), (1, 7));
    let client = db.connect().await;
    let rows: Vec<(i64, i64)> = client
        .query(
            "SELECT version, count(*) FROM authdb_schema_migrations WHERE finished
              GROUP BY version ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, (1..=count).map(|v| (v, 1)).collect::<Vec<_>>());
}

#[tokio::test]
async fn eight_concurrent_processes_apply_each_migration_exactly_once() {
    let fixture = testdb::Fixture::new()
        .table("a")
        .migration(
            "slow",
            "SELECT pg_sleep(0.3);\nCREATE TABLE b (id int);\n",
            "DROP TABLE b;\n",
        )
        .table("c");
    eight_at_once(fixture.path(), 3).await;
}

/// The case that deadlocked while waiting migrators blocked inside the server: the holder's
/// `CREATE INDEX CONCURRENTLY` waits for every open transaction, so no waiter may hold one.
/// No-transaction files first, in the middle, last and side by side.
#[tokio::test]
async fn eight_concurrent_processes_apply_no_transaction_files_exactly_once() {
    let index = |name: &str| {
        (
            format!("-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY {name} ON base (id);\n"),
            format!("DROP INDEX {name};\n"),
        )
    };
    let mut fixture = testdb::Fixture::new().table("base");
    for (i, name) in ["i1", "i2"].iter().enumerate() {
        let (up, down) = index(name);
        fixture.add(&format!("index_{i}"), &up, &down);
    }
    fixture.add(
        "slow",
        "SELECT pg_sleep(0.3);\nCREATE TABLE b (id int);\n",
        "DROP TABLE b;\n",
    );
    let (up, down) = index("i3");
    fixture.add("index_3", &up, &down);
    eight_at_once(fixture.path(), 5).await;
}

/// The repository's own folder: what a deploy with eight replicas runs.
#[tokio::test]
async fn eight_concurrent_processes_apply_the_repository_s_folder_exactly_once() {
    let migrations = testdb::migrations_dir();
    let count = authdb::Migrations::load(&migrations).unwrap().list.len() as i64;
    eight_at_once(&migrations, count).await;
}

/// A database whose `users` table an "application" holds locked, and a migration that needs it.
async fn locked_users() -> (testdb::TestDb, tokio_postgres::Client, Fixture) {
    let db = testdb::empty_database().await;
    let mut fixture = Fixture::new().table("users");
    let mut client = db.connect().await;
    authdb::migrate(&mut client, &fixture.load(), &Default::default())
        .await
        .unwrap();
    let app = db.connect().await;
    app.batch_execute("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE;")
        .await
        .unwrap();
    fixture.add(
        "add_name",
        "ALTER TABLE users ADD COLUMN name text;\n",
        "ALTER TABLE users DROP COLUMN name;\n",
    );
    (db, app, fixture)
}

#[tokio::test]
async fn lock_timeout_by_flag_and_by_environment_gives_up_cleanly() {
    for by_flag in [true, false] {
        let (db, _app, fixture) = locked_users().await;
        let mut command = xtask(fixture.path());
        command
            .args(["migrate", "--database-url", &db.url, "--migrations"])
            .arg(fixture.path());
        if by_flag {
            command.args(["--lock-timeout", "0.5", "--lock-retries", "0"]);
        } else {
            command
                .env("AUTHDB_LOCK_TIMEOUT", "0.5")
                .env("AUTHDB_LOCK_RETRIES", "0");
        }
        let started = std::time::Instant::now();
        let output = command.output().unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        assert!(
            stderr.contains("002_add_name.sql:1:1: canceling statement due to lock timeout (SQLSTATE 55P03). Nothing was applied"),
            "{stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "it waited too long"
        );
        assert_eq!(state(&db).await.1, 1, "nothing may be applied");
    }
}

#[tokio::test]
async fn statement_timeout_cancels_a_slow_migration() {
    let db = testdb::empty_database().await;
    let fixture =
        Fixture::new()
            .table("a")
            .migration("slow", "SELECT pg_sleep(5);\n", "SELECT 1;\n");
    let dir = fixture.path();
    let output = xtask(dir)
        .args([
            "migrate",
            "--database-url",
            &db.url,
            "--statement-timeout",
            "0.5",
            "--migrations",
        ])
        .arg(dir)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "002_slow.sql:1:1: canceling statement due to statement timeout (SQLSTATE 57014)"
        ),
        "{stderr}"
    );
    assert_eq!(state(&db).await, (vec![], -1), "nothing may be applied");
}

/// Users with two rows, and their sessions.
fn users_fixture() -> Fixture {
    Fixture::new()
        .migration(
            "users",
            "CREATE TABLE users (id int PRIMARY KEY);\nINSERT INTO users VALUES (1), (2);\n",
            "DROP TABLE users;\n",
        )
        .table("sessions")
}

async fn migrated_fixture() -> (testdb::TestDb, Fixture) {
    let db = testdb::empty_database().await;
    let fixture = users_fixture();
    let mut client = db.connect().await;
    authdb::migrate(&mut client, &fixture.load(), &Default::default())
        .await
        .unwrap();
    (db, fixture)
}

#[tokio::test]
async fn rollback_without_a_terminal_or_yes_changes_nothing() {
    let (db, fixture) = migrated_fixture().await;
    let before = state(&db).await;
    let cwd = tempfile::tempdir().unwrap();
    let output = xtask(cwd.path())
        .args([
            "rollback",
            "--all",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(fixture.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("001_users.down.sql:1: drops table users (2 rows)"),
        "{stdout}"
    );
    assert!(
        stderr
            .contains("refusing to roll back without confirmation: there is no terminal to ask on"),
        "{stderr}"
    );
    assert_eq!(state(&db).await, before);

    let output = xtask(cwd.path())
        .args([
            "rollback",
            "--all",
            "--yes",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(fixture.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(
        state(&db).await,
        (vec!["authdb_schema_migrations".to_string()], 0)
    );
}

#[tokio::test]
async fn json_output_reports_each_step_and_errors() {
    let db = testdb::empty_database().await;
    let cwd = tempfile::tempdir().unwrap();
    let fixture = users_fixture();
    let output = xtask(cwd.path())
        .args([
            "migrate",
            "--json",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(fixture.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["report"]["to_version"], 2);
    assert_eq!(body["report"]["steps"].as_array().unwrap().len(), 2);
    assert!(body["database"].as_str().unwrap().contains(":***@"));

    let output = xtask(cwd.path())
        .args([
            "status",
            "--json",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(fixture.path())
        .output()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let states: Vec<&str> = body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["applied"; 2]);
}

/// Runs `rollback --all` on a pseudo-terminal (util-linux `script`), answering `answer`.
fn rollback_on_a_terminal(url: &str, dir: &std::path::Path, answer: &str) -> std::process::Output {
    let cwd = tempfile::tempdir().unwrap();
    let line = format!(
        "{} rollback --all --database-url '{url}' --migrations '{}'",
        env!("CARGO_BIN_EXE_xtask"),
        dir.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .current_dir(cwd.path())
        .env_remove("DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` gives the rollback a terminal");
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{answer}").unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn rollback_on_a_terminal_asks_and_does_only_what_it_is_told() {
    let (db, fixture) = migrated_fixture().await;
    let before = state(&db).await;

    let output = rollback_on_a_terminal(&db.url, fixture.path(), "no");
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("type 'yes' to roll back:"), "{stdout}");
    assert!(
        stdout.contains("rollback cancelled: nothing was changed"),
        "{stdout}"
    );
    assert_eq!(state(&db).await, before);

    let output = rollback_on_a_terminal(&db.url, fixture.path(), "yes");
    let (stdout, _) = text(&output);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("2 migrations rolled back (version 2 -> none)"),
        "{stdout}"
    );
    assert_eq!(
        state(&db).await,
        (vec!["authdb_schema_migrations".to_string()], 0)
    );
}
