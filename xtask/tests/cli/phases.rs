//! Contract steps (`-- authdb:contract`) as a deploy meets them: a plain migrate applies the
//! expand and stops before the contract, saying what it held back; status, verify and rollback
//! know the boundary; `migrate --contract` finishes after the rollout.

use testdb::Fixture;

use crate::{run, run_on, state};

/// An expand (a new column), its contract (the old column dropped) and a migration after it.
fn rename() -> Fixture {
    Fixture::new()
        .migration(
            "create_users",
            "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n",
            "DROP TABLE users;\n",
        )
        .migration(
            "add_email_address",
            "ALTER TABLE users ADD COLUMN email_address text;\n",
            "ALTER TABLE users DROP COLUMN email_address;\n",
        )
        .migration(
            "drop_email",
            "-- authdb:contract the app version before email_address still reads email\n\
             ALTER TABLE users DROP COLUMN email;\n",
            "ALTER TABLE users ADD COLUMN email text;\n",
        )
        .migration(
            "create_notes",
            "CREATE TABLE notes (id int);\n",
            "DROP TABLE notes;\n",
        )
}

#[tokio::test]
async fn migrate_stops_before_a_contract_step_and_contract_finishes() {
    let db = testdb::empty_database().await;
    let fixture = rename();
    let dir = fixture.path().to_str().unwrap();

    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--to", "4"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("applied 001_create_users"), "{stdout}");
    assert!(stdout.contains("2 migrations applied in "), "{stdout}");
    assert!(
        stdout.contains(
            "held back: 003_drop_email is a contract step and the migration after it; it removes \
             what the app version being replaced may still use, so it waits for the end of the \
             rollout: then run `cargo xtask migrate --contract`\n"
        ),
        "{stdout}"
    );
    assert_eq!(state(&db).await.1, 2, "two migrations recorded");
    let client = db.connect().await;
    let columns: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(columns, 3, "the expand is applied, the contract is not");

    let (code, stdout, _) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("nothing to apply before the contract steps, at version 2\nheld back: "),
        "{stdout}"
    );

    let (code, stdout, _) = run_on(&db.url, dir, &["status"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("pending    contract step: `migrate` holds it until `migrate --contract`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 applied, 2 pending (1 a contract step), 0 modified, 0 missing"),
        "{stdout}"
    );

    let (code, stdout, _) = run_on(&db.url, dir, &["migrate", "--contract", "--json"]);
    assert_eq!(code, 0, "{stdout}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["report"]["steps"].as_array().unwrap().len(), 2);
    assert_eq!(body["report"]["held_back"], serde_json::json!([]));
    assert_eq!(state(&db).await.1, 4);
}

#[tokio::test]
async fn the_json_report_and_a_dry_run_name_what_is_held_back() {
    let db = testdb::empty_database().await;
    let fixture = rename();
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, _) = run_on(&db.url, dir, &["migrate", "--dry-run", "--json"]);
    assert_eq!(code, 0, "{stdout}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        body["report"]["held_back"],
        serde_json::json!([
            {"version": 3, "name": "003_drop_email", "contract": true},
            {"version": 4, "name": "004_create_notes", "contract": false},
        ])
    );
    assert_eq!(body["report"]["to_version"], 2);
    assert_eq!(
        state(&db).await,
        (Vec::new(), -1),
        "a dry run changes nothing"
    );
}

#[tokio::test]
async fn verify_compares_a_held_database_with_the_snapshot_of_its_boundary() {
    let db = testdb::empty_database().await;
    let fixture = rename();
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let text = std::fs::read_to_string(fixture.path().join("schema.snapshot")).unwrap();
    let boundary = text.split("\nboundary 2\n").nth(1).expect(&text);
    assert!(
        boundary.contains("  column email text, not null\n"),
        "{text}"
    );
    assert!(boundary.contains("  column email_address text\n"), "{text}");
    let (code, stdout, _) = run(&["snapshot", "--migrations", dir, "--check"]);
    assert_eq!(code, 0, "{stdout}");

    run_on(&db.url, dir, &["migrate"]);
    let (code, stdout, stderr) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "OK: held at version 2, before a contract step: 2 migrations wait for `cargo xtask \
             migrate --contract` after the rollout; the schema matches {dir}/schema.snapshot at \
             that boundary\n"
        )),
        "{stdout}"
    );

    // At the boundary the snapshot's boundary is the truth: a drift from it is found.
    let client = db.connect().await;
    client
        .batch_execute("ALTER TABLE users DROP COLUMN email_address")
        .await
        .unwrap();
    let (code, stdout, _) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("email_address"), "{stdout}");
    client
        .batch_execute("ALTER TABLE users ADD COLUMN email_address text")
        .await
        .unwrap();

    run_on(&db.url, dir, &["migrate", "--contract"]);
    let (code, stdout, _) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("OK: 4 migrations applied and unchanged"),
        "{stdout}"
    );

    // A snapshot written before the contract step existed has no boundary for it.
    let stale = text.split("\n# At each held boundary").next().unwrap();
    fixture.write("schema.snapshot", stale);
    let (code, stdout, _) = run(&["snapshot", "--migrations", dir, "--check"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("boundary 2 (before a contract step): missing from the file"),
        "{stdout}"
    );
}

#[tokio::test]
async fn rollback_says_what_undoing_a_contract_step_brings_back() {
    let db = testdb::empty_database().await;
    let fixture = rename();
    let dir = fixture.path().to_str().unwrap();
    run_on(&db.url, dir, &["migrate", "--contract"]);
    let (code, stdout, stderr) = run_on(&db.url, dir, &["rollback", "--to", "2", "--dry-run"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "  revert 003_drop_email\n    a contract step: its down file brings back what it \
             removed, but not what the app wrote since without it"
        ),
        "{stdout}"
    );
}

#[test]
fn a_contract_comment_in_a_down_file_is_refused_where_it_stands() {
    let fixture = Fixture::new().migration(
        "create_users",
        "CREATE TABLE users (id int);\n",
        "\n-- authdb:contract\nDROP TABLE users;\n",
    );
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on("postgres://nobody@127.0.0.1:1/none", dir, &["migrate"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "{dir}/001_create_users.down.sql:2:1: contract-in-down: `-- authdb:contract` in a \
             down file: a contract step is its up file"
        )),
        "{stderr}"
    );
}
