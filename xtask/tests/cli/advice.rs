//! Advice never proposes a destructive step the facts do not justify. Each refusal that tells the
//! user to roll back, renumber, drop or rename is printed here in the situation that prints it,
//! and then the advice is followed, literally, to show it keeps every row it should.

use testdb::{Fixture, TestDb};

use crate::run_on;

fn migrate(db: &TestDb, dir: &str) -> (i32, String, String) {
    run_on(&db.url, dir, &["migrate"])
}

fn status(db: &TestDb, dir: &str) -> (i32, String, String) {
    run_on(&db.url, dir, &["status"])
}

/// The text between the first pair of backticks after `after`.
fn quoted_after<'a>(text: &'a str, after: &str) -> &'a str {
    let rest = &text[text
        .find(after)
        .unwrap_or_else(|| panic!("{after}: {text}"))
        + after.len()..];
    let start = rest.find('`').unwrap() + 1;
    let end = start + rest[start..].find('`').unwrap();
    &rest[start..end]
}

async fn rows(db: &TestDb, table: &str) -> i64 {
    db.connect()
        .await
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// A file renamed with its checksum unchanged was called "another branch's" migration, with the
/// advice to roll it back: its table and rows dropped over a cosmetic rename. It is a rename now,
/// and both ways out the message names keep every row.
#[tokio::test]
async fn a_renamed_file_is_a_rename_and_both_ways_out_keep_every_row() {
    for way in ["rename it back", "record the rename"] {
        let db = testdb::empty_database().await;
        let fixture = Fixture::new().table("a").migration(
            "ren",
            "CREATE TABLE ren (id int);\n",
            "DROP TABLE ren;\n",
        );
        let dir = fixture.path().to_str().unwrap();
        assert_eq!(migrate(&db, dir).0, 0);
        db.connect()
            .await
            .batch_execute("INSERT INTO ren SELECT generate_series(1, 100)")
            .await
            .unwrap();
        let (old, new) = (
            fixture.path().join("002_ren"),
            fixture.path().join("002_ren_table"),
        );
        for suffix in [".sql", ".down.sql"] {
            std::fs::rename(
                format!("{}{suffix}", old.display()),
                format!("{}{suffix}", new.display()),
            )
            .unwrap();
        }

        let (code, stdout, stderr) = migrate(&db, dir);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(
            stderr.contains(&format!(
                "{dir}/002_ren_table.sql: version 2 was applied as 002_ren, and this file has the \
                 same content (its checksum is unchanged): it was renamed, nothing else. Nothing \
                 runs, and nothing needs rolling back."
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("rollback --to"), "{stderr}");
        let (code, stdout, _) = status(&db, dir);
        assert_eq!(code, 1, "{stdout}");
        assert!(
            stdout.contains("002_ren_table  renamed    applied as 002_ren, same content"),
            "{stdout}"
        );
        assert!(stdout.contains(", 1 renamed"), "{stdout}");

        match way {
            "rename it back" => {
                let moves = quoted_after(&stderr, "Rename it back (");
                let second = quoted_after(&stderr, &format!("`{moves}` and "));
                for git_mv in [moves, second] {
                    let paths: Vec<&str> =
                        git_mv.strip_prefix("git mv ").unwrap().split(' ').collect();
                    std::fs::rename(paths[0], paths[1]).unwrap();
                }
            }
            _ => {
                let sql = quoted_after(&stderr, "or record the new name: ");
                assert!(sql.starts_with("UPDATE public.authdb_schema_migrations SET name"));
                db.connect().await.batch_execute(sql).await.unwrap();
            }
        }
        let (code, stdout, stderr) = migrate(&db, dir);
        assert_eq!(code, 0, "{way}: {stdout}{stderr}");
        assert!(
            stdout.contains("already up to date at version 2"),
            "{stdout}"
        );
        let (code, stdout, _) = status(&db, dir);
        assert_eq!(code, 0, "{way}: {stdout}");
        assert_eq!(rows(&db, "ren").await, 100, "{way}");
    }
}

/// A tracking row deleted by hand made migrate advise renumbering the file, which would have run
/// an applied migration again. It is named as a gap now, and verify then baseline, as advised,
/// restore the record with every row in place.
#[tokio::test]
async fn a_gap_in_the_recorded_history_points_at_verify_and_baseline_which_keep_every_row() {
    let db = testdb::migrated_database().await;
    let repo = testdb::migrations_dir();
    let dir = repo.to_str().unwrap();
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO users (email, password_hash) VALUES ('gap@example.com', 'x');
             DELETE FROM authdb_schema_migrations WHERE version = 3",
        )
        .await
        .unwrap();

    let (code, stdout, stderr) = migrate(&db, dir);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "version 3 is not recorded in public.authdb_schema_migrations, but later versions are"
        ) && stderr.contains("a gap in the recorded history"),
        "{stderr}"
    );
    assert!(!stderr.contains("renumber it"), "{stderr}");
    let (code, stdout, _) = status(&db, dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("unrecorded  not recorded, though later versions are"),
        "{stdout}"
    );

    // verify, as advised: the schema matches, only the record is missing.
    let (code, stdout, _) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("unrecorded: a gap in the recorded history"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches('\n').count(),
        3,
        "only the gap is a problem:\n{stdout}"
    );

    // Then empty the table and baseline, as advised.
    let empty = quoted_after(&stderr, "or empty the table (");
    client.batch_execute(empty).await.unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["baseline"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = migrate(&db, dir);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("already up to date"), "{stdout}");
    let (code, stdout, _) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(rows(&db, "users").await, 1);
}

/// Another branch's migration under our version: both ways out the message gives (keep both,
/// renumbering the one not applied; or revert theirs from their branch) keep every row of ours.
#[tokio::test]
async fn another_branch_s_migration_can_be_kept_or_reverted_as_the_message_says() {
    for way in ["keep both", "revert theirs"] {
        let db = testdb::empty_database().await;
        let nickname = (
            "add_nickname",
            "ALTER TABLE a ADD COLUMN nickname text;\n",
            "ALTER TABLE a DROP COLUMN nickname;\n",
        );
        let locale = (
            "add_locale",
            "ALTER TABLE a ADD COLUMN locale text;\n",
            "ALTER TABLE a DROP COLUMN locale;\n",
        );
        let theirs = Fixture::new()
            .table("a")
            .migration(nickname.0, nickname.1, nickname.2);
        assert_eq!(migrate(&db, theirs.path().to_str().unwrap()).0, 0);
        db.connect()
            .await
            .batch_execute("INSERT INTO a (id) SELECT generate_series(1, 10)")
            .await
            .unwrap();
        let ours = Fixture::new()
            .table("a")
            .migration(locale.0, locale.1, locale.2);
        let dir = ours.path().to_str().unwrap();
        let (code, _, stderr) = migrate(&db, dir);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("another migration than"), "{stderr}");

        let merged = Fixture::new()
            .table("a")
            .migration(nickname.0, nickname.1, nickname.2)
            .migration(locale.0, locale.1, locale.2);
        let end = match way {
            "keep both" => {
                assert!(
                    stderr.contains(
                        "give the next free number to the one that no shared database \
                         (production) has applied yet, and bring the other's files into this \
                         folder"
                    ),
                    "{stderr}"
                );
                // Ours was applied nowhere: it becomes 003, theirs joins the folder as 002.
                let (code, stdout, stderr) = migrate(&db, merged.path().to_str().unwrap());
                assert_eq!(code, 0, "{stdout}{stderr}");
                assert!(stdout.contains("applied 003_add_locale"), "{stdout}");
                merged.path()
            }
            _ => {
                let rollback = quoted_after(&stderr, "from the branch that has it: ");
                assert_eq!(rollback, "cargo xtask rollback --to 1");
                // Run from their branch, as the message says; --yes answers its question.
                let (code, stdout, stderr) = run_on(
                    &db.url,
                    theirs.path().to_str().unwrap(),
                    &["rollback", "--to", "1", "--yes"],
                );
                assert_eq!(code, 0, "{stdout}{stderr}");
                assert!(stdout.contains("drops column a.nickname"), "{stdout}");
                let (code, stdout, stderr) = migrate(&db, dir);
                assert_eq!(code, 0, "{stdout}{stderr}");
                ours.path()
            }
        };
        assert_eq!(rows(&db, "a").await, 10, "{way}");
        let (code, stdout, _) = status(&db, end.to_str().unwrap());
        assert_eq!(code, 0, "{way}: {stdout}");
    }
}

/// `migrate --to N` below the applied version points at rollback, which shows its plan and asks
/// before it drops anything: without a terminal or --yes it changes nothing.
#[tokio::test]
async fn migrate_below_the_applied_version_points_at_a_rollback_that_asks_first() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new().table("a").table("b");
    let dir = fixture.path().to_str().unwrap();
    assert_eq!(migrate(&db, dir).0, 0);
    let (code, _, stderr) = run_on(&db.url, dir, &["migrate", "--to", "1"]);
    assert_eq!(code, 1, "{stderr}");
    let advice = quoted_after(&stderr, "To go back to version 1, ");
    assert_eq!(advice, "cargo xtask rollback --to 1");
    let (code, stdout, stderr) = run_on(&db.url, dir, &["rollback", "--to", "1"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("drops table b (0 rows)"), "{stdout}");
    assert!(
        stderr.contains("refusing to roll back without confirmation"),
        "{stderr}"
    );
    assert_eq!(testdb::tables(&db.connect().await).await.len(), 3);
}

/// Two files with one version after a merge: the advice renumbers the one no database applied,
/// which then runs once, after the other.
#[tokio::test]
async fn a_duplicate_version_is_renumbered_on_the_side_nobody_applied() {
    let db = testdb::empty_database().await;
    let mut fixture = Fixture::new().table("a");
    fixture.add(
        "add_x",
        "ALTER TABLE a ADD COLUMN x int;\n",
        "ALTER TABLE a DROP COLUMN x;\n",
    );
    let dir = fixture.path().to_str().unwrap();
    assert_eq!(migrate(&db, dir).0, 0);
    // The merge brings another 002.
    fixture.write("002_add_y.sql", "ALTER TABLE a ADD COLUMN y int;\n");
    fixture.write("002_add_y.down.sql", "ALTER TABLE a DROP COLUMN y;\n");
    let (code, _, stderr) = migrate(&db, dir);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "renumber the one that no shared database has applied yet after the last version"
        ),
        "{stderr}"
    );
    for suffix in [".sql", ".down.sql"] {
        std::fs::rename(
            fixture.path().join(format!("002_add_y{suffix}")),
            fixture.path().join(format!("003_add_y{suffix}")),
        )
        .unwrap();
    }
    let (code, stdout, stderr) = migrate(&db, dir);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("applied 003_add_y"), "{stdout}");
    let (code, stdout, _) = status(&db, dir);
    assert_eq!(code, 0, "{stdout}");
}

/// A no-transaction migration that fails half-way (`CREATE UNIQUE INDEX CONCURRENTLY` over
/// duplicates) leaves an INVALID index, and the message says to drop it before retrying: the
/// index holds no data, so dropping it loses nothing, and the retry then runs once.
#[tokio::test]
async fn dropping_the_invalid_index_a_failed_concurrent_build_left_loses_nothing() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration(
            "t",
            "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1), (1), (2);\n",
            "DROP TABLE t;\n",
        )
        .migration(
            "t_x_key",
            "-- authdb:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_x_key ON t (x);\n",
            "DROP INDEX t_x_key;\n",
        );
    let dir = fixture.path().to_str().unwrap();
    let (code, _, stderr) = migrate(&db, dir);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("an INVALID index to drop before retrying"),
        "{stderr}"
    );
    let client = db.connect().await;
    let invalid: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_index WHERE indexrelid = 't_x_key'::regclass AND NOT indisvalid",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(invalid, 1, "the failed build left an INVALID index");
    // The advice, then the duplicates fixed by hand, then the retry.
    client
        .batch_execute(
            "DROP INDEX t_x_key; DELETE FROM t WHERE ctid = (SELECT min(ctid) FROM t WHERE x = 1)",
        )
        .await
        .unwrap();
    let (code, stdout, stderr) = migrate(&db, dir);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("applied 002_t_x_key"), "{stdout}");
    assert_eq!(rows(&db, "t").await, 2);
}

/// `dev` on a dev database someone changed by hand says so and points at `dev --reset`, which
/// deletes that container (named for the checkout, or `--name`) with its volume and gives a
/// database equal to the snapshot again.
#[test]
fn dev_reset_as_advised_gives_a_dev_database_equal_to_the_snapshot_again() {
    let cwd = tempfile::tempdir().unwrap();
    let name = format!("authdb-test-advice-{}", std::process::id());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let dev = |extra: &[&str]| {
        let mut args = vec!["dev", "--name", &name, "--port", &port];
        args.extend(extra);
        let output = crate::xtask(cwd.path()).args(&args).output().unwrap();
        let (stdout, stderr) = crate::text(&output);
        (output.status.code(), stdout, stderr)
    };
    let (code, stdout, stderr) = dev(&[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let url = format!("postgres://postgres:authdb-dev@127.0.0.1:{port}/authdb");
    let changed = std::process::Command::new("docker")
        .args([
            "exec", &name, "psql", "-U", "postgres", "-d", "authdb", "-c",
        ])
        .arg("ALTER TABLE users ADD COLUMN by_hand int")
        .output()
        .unwrap();
    assert!(changed.status.success(), "{changed:?}");

    let (code, stdout, stderr) = dev(&[]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("the dev database does not match the migrations")
            && stderr.contains("`cargo xtask dev --reset` deletes it and starts over"),
        "{stderr}"
    );
    let (code, stdout, stderr) = dev(&["--reset"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("deleted {name} and its data")),
        "{stdout}"
    );
    assert!(stdout.contains("verified: the schema matches"), "{stdout}");
    assert!(stdout.contains(&format!("ready: {url}")), "{stdout}");
    dev(&["--stop"]);
    for args in [
        vec!["rm", "--force", &name],
        vec!["volume", "rm", &format!("{name}-data")],
    ] {
        let _ = std::process::Command::new("docker").args(&args).output();
    }
}
