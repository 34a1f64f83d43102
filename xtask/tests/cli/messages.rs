//! Each message names its cause (issue 32, item 7): a privilege error while recording, the
//! server's notices, nothing to roll back, seeding an unmigrated database, a `.env` that is not a
//! file, `--migrations` naming a file.

use testdb::Fixture;

use crate::{run, run_on, state, text, xtask};

/// `SET ROLE` inside a migration left a role that may not write the tracking table: "recording
/// version 2 as applied: permission denied", with no file, line or outcome.
#[tokio::test]
async fn a_role_changed_inside_a_migration_is_named_with_its_line_and_nothing_is_applied() {
    let db = testdb::empty_database().await;
    // Roles are per server: tolerate the role from an earlier run of this test.
    let _ = db
        .connect()
        .await
        .batch_execute("CREATE ROLE authdb_no_tracking NOLOGIN")
        .await;
    let fixture = Fixture::new().table("a").migration(
        "role",
        "CREATE TABLE b (id int);\nSET ROLE authdb_no_tracking;\n",
        "DROP TABLE b;\n",
    );
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: {dir}/002_role.sql:2:1: `SET ROLE authdb_no_tracking` changes the session's \
             role, and the role it leaves may not write the tracking table: recording version 2 \
             as applied failed: permission denied for table authdb_schema_migrations (SQLSTATE \
             42501)"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("End the file with RESET ROLE"), "{stderr}");
    assert!(
        stderr.contains("Nothing was applied: the whole run was rolled back"),
        "{stderr}"
    );
    assert_eq!(state(&db).await, (vec![], -1));
}

/// `RAISE NOTICE` and `RAISE WARNING` were never shown; psql shows them.
#[tokio::test]
async fn server_notices_are_shown_with_their_file_and_line_and_in_json() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration(
            "notices",
            "DO $$ BEGIN RAISE NOTICE 'hello from 001'; END $$;\n\
             CREATE TABLE a (id int);\n\
             DO $$ BEGIN RAISE WARNING 'careful: %', 42; END $$;\n",
            "DO $$ BEGIN RAISE NOTICE 'undoing'; END $$;\nDROP TABLE a;\n",
        )
        .migration(
            "fails",
            "CREATE TABLE b (id int);\n\nDO $$ BEGIN RAISE NOTICE 'about to fail'; RAISE EXCEPTION 'boom'; END $$;\n",
            "DROP TABLE b;\n",
        );
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--to", "1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "{dir}/001_notices.sql:1: NOTICE: hello from 001\n"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{dir}/001_notices.sql:3: WARNING: careful: 42\n")),
        "{stderr}"
    );
    // authdb's own statements (the tracking table's IF NOT EXISTS) are no file's: not shown.
    assert_eq!(stderr.lines().count(), 2, "{stderr}");

    // The failing statement's notice comes before its error, in JSON too.
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        body["notices"],
        serde_json::json!([{"file": "002_fails.sql", "line": 3, "severity": "NOTICE", "message": "about to fail"}]),
        "{body}"
    );
    assert!(
        stderr.contains("002_fails.sql:3: NOTICE: about to fail"),
        "{stderr}"
    );

    // A rollback's down files are heard the same way.
    let (code, stdout, stderr) = run_on(&db.url, dir, &["rollback", "--yes", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["notices"][0]["file"], "001_notices.down.sql", "{body}");
    assert_eq!(body["notices"][0]["message"], "undoing", "{body}");
}

/// The first group's message goes out behind the requests that open the run, and a group after
/// a no-transaction file behind that file's finished row and its BEGIN, before their answers:
/// notices are still placed at their statements, not at one shifted by those answers.
#[tokio::test]
async fn notices_of_groups_sent_behind_other_requests_keep_their_lines() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration(
            "first",
            "CREATE TABLE a (id int);\nDO $$ BEGIN RAISE NOTICE 'one'; END $$;\n",
            "DROP TABLE a;\n",
        )
        .migration(
            "index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
            "DROP INDEX a_id;\n",
        )
        .migration(
            "after",
            "CREATE TABLE c (id int);\n\nDO $$ BEGIN RAISE WARNING 'three'; END $$;\n",
            "DROP TABLE c;\n",
        );
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{dir}/001_first.sql:2: NOTICE: one\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{dir}/003_after.sql:3: WARNING: three\n")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
}

/// rollback with nothing to roll back exited 1, where migrate with nothing to do exits 0.
#[tokio::test]
async fn nothing_to_roll_back_is_success() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new().table("a").table("b");
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["rollback", "--all", "--yes"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("nothing to roll back: the database has no applied migrations"),
        "{stdout}"
    );
    assert_eq!(run_on(&db.url, dir, &["migrate"]).0, 0);
    let (code, stdout, stderr) = run_on(&db.url, dir, &["rollback", "--to", "2", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(
        body["nothing_to_roll_back"],
        "--to 2: the database is at version 2, so there is nothing above 2 to roll back"
    );
    assert_eq!(state(&db).await.1, 2);
}

/// seed on an unmigrated database gave a raw "relation does not exist".
#[tokio::test]
async fn seed_on_an_unmigrated_database_says_to_migrate_first_with_the_versions() {
    let db = testdb::empty_database().await;
    let latest = authdb::Migrations::load(&testdb::migrations_dir())
        .unwrap()
        .latest_version()
        .unwrap();
    let (code, stdout, stderr) = run(&["seed", "--database-url", &db.url]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot seed: the database has no table users, software_background, \
             hardware_background, sessions (it is at version none; the migrations go up to \
             version {latest}): run `cargo xtask migrate` first"
        )),
        "{stderr}"
    );
    let repo = testdb::migrations_dir();
    let repo = repo.to_str().unwrap();
    let migrated = run_on(&db.url, repo, &["migrate", "--to", "2"]);
    assert_eq!(migrated.0, 0, "{migrated:?}");
    let (code, _, stderr) = run(&["seed", "--users", "5", "--database-url", &db.url]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("no table software_background, hardware_background (it is at version 2;"),
        "{stderr}"
    );
}

/// A `.env` directory was skipped in silence; `--migrations FILE` said "does not exist".
#[test]
fn a_dotenv_or_a_folder_of_the_wrong_kind_is_named_as_such() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir(cwd.path().join(".env")).unwrap();
    let repo = testdb::migrations_dir();
    let output = xtask(cwd.path())
        .args(["status", "--migrations", repo.to_str().unwrap()])
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: cannot read the .env file: it is a directory, not a file",
            cwd.path().join(".env").display()
        )),
        "{stderr}"
    );

    let file = repo.join("001_create_users.sql");
    let (code, _, stderr) = run(&["lint", "--migrations", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "migrations folder {} is a file, not a folder",
            file.display()
        )),
        "{stderr}"
    );
}
