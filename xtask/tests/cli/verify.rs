//! verify, baseline and snapshot as a user runs them: the report lines, the exit codes, `--json`,
//! and a throwaway container for the snapshot.

use std::path::Path;

use crate::{state, text, xtask};

fn run(args: &[&str]) -> (i32, String, String) {
    let cwd = tempfile::tempdir().unwrap();
    let output = xtask(cwd.path()).args(args).output().unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn repo_dir() -> String {
    testdb::migrations_dir().display().to_string()
}

/// The repository's number of migrations and latest version, read from the folder.
fn repository() -> (usize, i64) {
    let migrations = authdb::Migrations::load(&testdb::migrations_dir()).unwrap();
    (
        migrations.list.len(),
        migrations
            .latest_version()
            .expect("the repository has migrations"),
    )
}

#[tokio::test]
async fn verify_reports_drift_in_words_and_exits_1() {
    let db = testdb::migrated_database().await;
    let dir = repo_dir();
    let (n, latest) = repository();
    let (code, stdout, stderr) = run(&["verify", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with(&format!(
            "OK: {n} migrations applied and unchanged; the schema matches {dir}/schema.snapshot (version {latest})\n"
        )),
        "{stdout}"
    );

    db.connect()
        .await
        .batch_execute(
            "ALTER TABLE sessions ALTER COLUMN expires_at TYPE timestamp;
             CREATE TABLE audit_log (id bigint)",
        )
        .await
        .unwrap();
    let (code, stdout, stderr) = run(&["verify", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "table audit_log: not in the snapshot",
            "column sessions.expires_at: type is timestamp without time zone, expected timestamp with time zone",
            &format!("2 problems: the database does not match {dir}"),
        ]
    );
    assert!(
        stdout.starts_with("database postgres://postgres:***@"),
        "{stdout}"
    );

    let (code, stdout, _) = run(&[
        "verify",
        "--database-url",
        &db.url,
        "--migrations",
        &dir,
        "--json",
    ]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["problems"][0], "table audit_log: not in the snapshot");
    assert_eq!(
        json["report"]["differences"][1]["change"]["expected"],
        "timestamp with time zone"
    );
}

/// Privileges and every schema, as a user sees them: one line each, and `grantee` in the JSON.
#[tokio::test]
async fn privileges_and_other_schemas_are_reported() {
    let db = testdb::migrated_database().await;
    let dir = repo_dir();
    db.connect()
        .await
        .batch_execute(
            "GRANT ALL ON users TO PUBLIC;
             CREATE SCHEMA stray;
             CREATE TABLE stray.notes (body text)",
        )
        .await
        .unwrap();
    let (code, stdout, stderr) = run(&["verify", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "schema stray: not in the snapshot",
            "table stray.notes: not in the snapshot",
            "table users: PUBLIC has ALL, expected none",
            &format!("3 problems: the database does not match {dir}"),
        ]
    );
    let (_, stdout, _) = run(&[
        "verify",
        "--database-url",
        &db.url,
        "--migrations",
        &dir,
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let privilege = &json["report"]["differences"][2];
    assert_eq!(privilege["object"], "table");
    assert_eq!(privilege["name"], "users");
    assert_eq!(privilege["grantee"], "PUBLIC");
    assert_eq!(privilege["change"]["property"], "privileges");
    assert_eq!(privilege["change"]["actual"], "ALL");
    assert_eq!(privilege["change"]["expected"], serde_json::Value::Null);
}

/// An unlogged table loses its rows in a crash: verify, and so baseline, must not pass it.
#[tokio::test]
async fn an_unlogged_table_fails_verify_and_baseline() {
    let db = testdb::migrated_database().await;
    let dir = repo_dir();
    db.connect()
        .await
        .batch_execute("ALTER TABLE sessions SET UNLOGGED")
        .await
        .unwrap();
    let (code, stdout, stderr) = run(&["verify", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "table sessions: unlogged (emptied after a crash), expected logged",
            &format!("1 problem: the database does not match {dir}"),
        ]
    );

    // The same schema, migrated by hand without the tracking table: baseline records nothing.
    let old = testdb::empty_database().await;
    let client = old.connect().await;
    for migration in &authdb::Migrations::load(&testdb::migrations_dir())
        .unwrap()
        .list
    {
        client.batch_execute(&migration.sql).await.unwrap();
    }
    client
        .batch_execute("ALTER TABLE sessions SET UNLOGGED")
        .await
        .unwrap();
    let before = state(&old).await;
    let (code, stdout, stderr) =
        run(&["baseline", "--database-url", &old.url, "--migrations", &dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("\ntable sessions: unlogged (emptied after a crash), expected logged\n"),
        "{stdout}"
    );
    assert_eq!(state(&old).await, before);
}

#[tokio::test]
async fn baseline_adopts_an_old_database_or_refuses_and_changes_nothing() {
    let fixture = testdb::Fixture::new()
        .table("a")
        .migration(
            "touch",
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
             CREATE TRIGGER a_touch BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch();\n",
            "DROP TRIGGER a_touch ON a;\nDROP FUNCTION touch();\n",
        )
        .with_snapshot()
        .await;
    let migrations = fixture.load();
    let dir = fixture.path().display().to_string();

    let partial = testdb::empty_database().await;
    let client = partial.connect().await;
    client.batch_execute(&migrations.list[0].sql).await.unwrap();
    let before = state(&partial).await;
    let (code, stdout, stderr) = run(&[
        "baseline",
        "--database-url",
        &partial.url,
        "--migrations",
        &dir,
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "function touch(): missing",
            "trigger a.a_touch: missing",
            &format!(
                "nothing was recorded: the schema differs from {dir}/schema.snapshot in 2 way(s) \
                 above. `cargo xtask adopt` plans what brings it in line"
            ),
        ]
    );
    assert_eq!(state(&partial).await, before);

    let old = testdb::empty_database().await;
    let client = old.connect().await;
    for migration in &migrations.list {
        client.batch_execute(&migration.sql).await.unwrap();
    }
    let (code, stdout, stderr) =
        run(&["baseline", "--database-url", &old.url, "--migrations", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("\nrecorded 001_create_a as applied (not run)\n"),
        "{stdout}"
    );
    assert_eq!(state(&old).await.1, 2);
    let (code, stdout, stderr) = run(&["verify", "--database-url", &old.url, "--migrations", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn snapshot_writes_the_committed_files_and_check_finds_a_stale_one() {
    let folder = tempfile::tempdir().unwrap();
    let repo = testdb::migrations_dir();
    for entry in std::fs::read_dir(&repo).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sql") {
            std::fs::copy(&path, folder.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let dir = folder.path().display().to_string();
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let committed = std::fs::read_to_string(repo.join("schema.snapshot")).unwrap();
    let expected = authdb::Snapshot::parse(&committed).unwrap();
    let (_, latest) = repository();
    assert!(
        stdout.contains(&format!(
            "(version {latest}: {} tables, {} function",
            expected.tables.len(),
            expected.functions.len()
        )),
        "{stdout}"
    );
    for file in ["schema.snapshot", "schema.md"] {
        let written = std::fs::read_to_string(folder.path().join(file)).unwrap();
        let committed = std::fs::read_to_string(repo.join(file)).unwrap();
        assert!(
            written == committed,
            "{file} differs from the committed one"
        );
    }
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", &dir, "--check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.ends_with(" are up to date\n"), "{stdout}");

    // A hand edit of the picture is as stale as one of the snapshot.
    let picture = folder.path().join("schema.md");
    let edited = std::fs::read_to_string(&picture)
        .unwrap()
        .replace("users ||--o{ sessions", "users ||--o| sessions");
    std::fs::write(&picture, edited).unwrap();
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", &dir, "--check"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!("{dir}/schema.md is out of date: run `cargo xtask snapshot` and commit it\n")
    );
    std::fs::remove_file(&picture).unwrap();
    let (code, stdout, _) = run(&["snapshot", "--migrations", &dir, "--check"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!("{dir}/schema.md is missing: run `cargo xtask snapshot` and commit it\n")
    );
    std::fs::copy(repo.join("schema.md"), &picture).unwrap();

    let written = std::fs::read_to_string(folder.path().join("schema.snapshot")).unwrap();
    let stale = written.replace("  index sessions_user_id_idx btree (user_id)\n", "");
    std::fs::write(folder.path().join("schema.snapshot"), stale).unwrap();
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", &dir, "--check"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("\nindex sessions_user_id_idx: not in the snapshot\n"),
        "{stdout}"
    );
    assert!(Path::new(&dir).join("schema.snapshot").is_file());

    // The same check for CI: one JSON object on stdout, the difference as data.
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", &dir, "--check", "--json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(body["snapshot"]["state"], "stale", "{body}");
    assert_eq!(body["snapshot"]["path"], "schema.snapshot", "{body}");
    assert_eq!(body["picture"]["state"], "current", "{body}");
    let differences = body["snapshot"]["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 1, "{body}");
    assert_eq!(differences[0]["name"], "sessions_user_id_idx", "{body}");
    assert_eq!(body["version"], latest, "{body}");

    // Writing, with --json: what was written, and nothing else on stdout.
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", &dir, "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(
        body["written"],
        serde_json::json!(["schema.snapshot", "schema.md"])
    );
    assert_eq!(body["tables"], expected.tables.len(), "{body}");
    assert_eq!(
        std::fs::read_to_string(folder.path().join("schema.snapshot")).unwrap(),
        committed
    );
}
