//! `--json` on every command that reports: one JSON object on stdout, for success and for every
//! kind of failure (the folder, the URL, connecting, a migration, usage), with `path` fields
//! relative to the migrations folder.

use serde_json::Value;
use testdb::Fixture;

use crate::{PASSWORD, text, xtask};

/// Runs xtask with `args` and `--json`; stdout must be exactly one JSON object.
fn json(cwd: &std::path::Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let output = xtask(cwd).args(args).arg("--json").output().unwrap();
    let (stdout, stderr) = text(&output);
    let body = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("{args:?}: stdout is not one JSON object ({e}):\n{stdout}\n{stderr}")
    });
    (output.status.code(), body, stderr)
}

#[tokio::test]
async fn every_failure_is_a_json_object_on_stdout() {
    let db = testdb::empty_database().await;
    let cwd = tempfile::tempdir().unwrap();
    let missing = cwd.path().join("no-such-folder");
    let missing = missing.to_str().unwrap();
    let fixture = Fixture::new().migration("bad", "CREATE TABEL t (id int);\n", "SELECT 1;\n");
    let bad = fixture.path().to_str().unwrap();
    // The repository's folder, which has the snapshot verify and baseline read first.
    let repo = testdb::migrations_dir();
    let dir = repo.to_str().unwrap();
    let server = testdb::server();
    let wrong_password = format!(
        "postgres://postgres:not-{PASSWORD}@{}:{}/{}",
        server.host, server.port, db.name
    );

    for command in ["migrate", "status", "verify", "rollback", "baseline"] {
        // The folder, before connecting.
        let (code, body, _) = json(
            cwd.path(),
            &[command, "--database-url", &db.url, "--migrations", missing],
        );
        assert_eq!(code, Some(1), "{command}");
        assert_eq!(body["ok"], false, "{command}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains("does not exist"), "{command}: {error}");
        assert!(body.get("database").is_none(), "{command}: {body}");

        // The URL, before connecting.
        let (code, body, _) = json(
            cwd.path(),
            &[
                command,
                "--database-url",
                "postgres://u:Xyzzy123@h:port/db",
                "--migrations",
                dir,
            ],
        );
        assert_eq!(code, Some(1), "{command}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("invalid value for option `port`"),
            "{command}: {error}"
        );
        assert!(!body.to_string().contains("Xyzzy123"), "{command}: {body}");

        // Connecting: the server's refusal, with its SQLSTATE.
        let (code, body, _) = json(
            cwd.path(),
            &[
                command,
                "--database-url",
                &wrong_password,
                "--migrations",
                dir,
            ],
        );
        assert_eq!(code, Some(1), "{command}");
        assert_eq!(body["sqlstate"], "28P01", "{command}: {body}");
        assert!(!body.to_string().contains(&format!("not-{PASSWORD}")));

        // Usage, when --json was given.
        let (code, body, _) = json(cwd.path(), &[command, "--no-such-flag"]);
        assert_eq!(code, Some(2), "{command}");
        assert_eq!(body["usage"], true, "{command}");
    }

    // After connecting: the migration's error and where it ran.
    let (code, body, stderr) = json(
        cwd.path(),
        &["migrate", "--database-url", &db.url, "--migrations", bad],
    );
    assert_eq!(code, Some(1));
    assert_eq!(body["ok"], false);
    assert!(body["database"].as_str().unwrap().contains("postgres:***@"));
    assert!(body["server_version"].as_str().is_some());
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("001_bad.sql:1:8: syntax error at or near \"TABEL\""),
        "{error}"
    );
    assert_eq!(body["sqlstate"], "42601", "{body}");
    // The same paragraph on stderr, once: the driver's error is not repeated after it.
    assert_eq!(stderr.trim_end(), format!("error: {error}"));
}

/// seed opens its connection its own way (it refuses a remote database unless told): a failure
/// after connecting still says where it ran, as every other command's does. (Found by the
/// hostile-input suite: a seed cancelled by the URL's own `statement_timeout` named none of its
/// inputs.)
#[tokio::test]
async fn a_seed_that_fails_after_connecting_says_where_it_ran() {
    let db = testdb::empty_database().await;
    let cwd = tempfile::tempdir().unwrap();
    let (code, body, _) = json(cwd.path(), &["seed", "--database-url", &db.url]);
    assert_eq!(code, Some(1), "{body}");
    assert_eq!(body["ok"], false);
    assert!(
        body["error"].as_str().unwrap().contains("migrate"),
        "{body}"
    );
    assert!(
        body["database"].as_str().unwrap().contains("postgres:***@"),
        "{body}"
    );
    assert!(body["server_version"].as_str().is_some(), "{body}");
}

#[tokio::test]
async fn paths_in_json_are_relative_to_the_migrations_folder() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration(
            "users",
            "CREATE TABLE users (id int);\n",
            "DROP TABLE users;\n",
        )
        .migration(
            "sessions",
            "CREATE TABLE sessions (id int);\n",
            "DROP TABLE sessions;\n",
        )
        .with_snapshot()
        .await;
    let dir = fixture.path().to_str().unwrap();
    // From a directory elsewhere: the paths must not depend on it.
    let cwd = tempfile::tempdir().unwrap();
    let (code, body, _) = json(
        cwd.path(),
        &[
            "migrate",
            "--to",
            "1",
            "--database-url",
            &db.url,
            "--migrations",
            dir,
        ],
    );
    assert_eq!(code, Some(0), "{body}");
    assert_eq!(body["folder"], dir);

    let (_, body, _) = json(
        cwd.path(),
        &["status", "--database-url", &db.url, "--migrations", dir],
    );
    let paths: Vec<&str> = body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["001_users.sql", "002_sessions.sql"]);

    let (_, body, _) = json(
        cwd.path(),
        &["verify", "--database-url", &db.url, "--migrations", dir],
    );
    assert_eq!(body["report"]["migrations"][1]["path"], "002_sessions.sql");

    let (code, body, _) = json(
        cwd.path(),
        &[
            "rollback",
            "--dry-run",
            "--all",
            "--database-url",
            &db.url,
            "--migrations",
            dir,
        ],
    );
    assert_eq!(code, Some(0), "{body}");
    assert_eq!(body["plan"]["effects"][0]["file"], "001_users.down.sql");
}

/// `new` reports the files it created, and a name it refuses, as JSON too.
#[test]
fn new_reports_its_files_as_json() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_str().unwrap();
    let (code, body, _) = json(folder.path(), &["new", "add_users", "--migrations", dir]);
    assert_eq!(code, Some(0), "{body}");
    assert_eq!(body["created"][0], "001_add_users.sql");
    assert_eq!(body["created"][1], "001_add_users.down.sql");
    let (code, body, _) = json(folder.path(), &["new", "Add Users", "--migrations", dir]);
    assert_eq!(code, Some(1), "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("is not a migration name"),
        "{body}"
    );
}

/// The commands without a database report their failures as JSON too: a folder `snapshot` and
/// `lint` cannot read is an error object, not text on stdout.
#[test]
fn snapshot_and_lint_fail_as_json_too() {
    let cwd = tempfile::tempdir().unwrap();
    let missing = cwd.path().join("no-such-folder");
    let missing = missing.to_str().unwrap();
    for command in ["snapshot", "lint"] {
        let (code, body, _) = json(cwd.path(), &[command, "--migrations", missing]);
        assert_eq!(code, Some(1), "{command}: {body}");
        assert_eq!(body["ok"], false, "{command}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains("does not exist"), "{command}: {error}");
    }
}

/// Every command that takes `--json`, and every kind of runtime error it can meet (the folder,
/// `.env`, the URL, connecting, the server's refusal, usage): exactly one JSON object on stdout,
/// whose `error` is the paragraph on stderr. adopt printed nothing on stdout for any of them.
#[tokio::test]
async fn every_command_prints_one_error_object_for_every_kind_of_error() {
    let db = testdb::empty_database().await;
    let server = testdb::server();
    let wrong_password = format!(
        "postgres://postgres:not-{PASSWORD}@{}:{}/{}",
        server.host, server.port, db.name
    );
    let repo = testdb::migrations_dir();
    let dir = repo.to_str().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let missing = cwd.path().join("no-such-folder");
    let missing = missing.to_str().unwrap();
    // A working directory whose .env cannot be read, for the commands that look there.
    let broken_env = tempfile::tempdir().unwrap();
    std::fs::write(broken_env.path().join(".env"), "DATABASE_URL\n").unwrap();

    let database_commands = [
        "migrate", "status", "verify", "rollback", "baseline", "adopt",
    ];
    let mut cases: Vec<(Vec<String>, &std::path::Path, i32, &str)> = Vec::new();
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    for command in database_commands {
        cases.push((
            owned(&[command, "--database-url", &db.url, "--migrations", missing]),
            cwd.path(),
            1,
            "does not exist",
        ));
        cases.push((
            owned(&[
                command,
                "--database-url",
                "postgres://u:p@h:port/db",
                "--migrations",
                dir,
            ]),
            cwd.path(),
            1,
            "invalid value for option `port`",
        ));
        // Retried for 3.5 s before it is reported: twice is enough to show the kind.
        if ["adopt", "status"].contains(&command) {
            cases.push((
                owned(&[
                    command,
                    "--database-url",
                    "postgres://u:p@127.0.0.1:1/db",
                    "--migrations",
                    dir,
                ]),
                cwd.path(),
                1,
                "Nothing listens there",
            ));
        }
        cases.push((
            owned(&[
                command,
                "--database-url",
                &wrong_password,
                "--migrations",
                dir,
            ]),
            cwd.path(),
            1,
            "password authentication failed",
        ));
        cases.push((
            owned(&[command, "--migrations", dir]),
            broken_env.path(),
            1,
            ".env:1: cannot parse this line",
        ));
        cases.push((
            owned(&[command, "--no-such-flag"]),
            cwd.path(),
            2,
            "--no-such-flag",
        ));
    }
    cases.push((
        owned(&["seed", "--database-url", &wrong_password]),
        cwd.path(),
        1,
        "password authentication failed",
    ));
    cases.push((owned(&["seed"]), broken_env.path(), 1, ".env:1"));
    for command in ["new", "lint", "snapshot", "rehearse"] {
        cases.push((
            owned(&[command, "--migrations", missing]),
            cwd.path(),
            if command == "new" { 2 } else { 1 },
            if command == "new" {
                "required"
            } else {
                "does not exist"
            },
        ));
        cases.push((
            owned(&[command, "--no-such-flag"]),
            cwd.path(),
            2,
            "--no-such-flag",
        ));
    }
    cases.push((
        owned(&["new", "ok_name", "--migrations", missing]),
        cwd.path(),
        1,
        "does not exist",
    ));

    for (args, cwd, expected_code, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, body, stderr) = json(cwd, &args);
        assert_eq!(code, Some(expected_code), "{args:?}: {body} {stderr}");
        assert_eq!(body["ok"], false, "{args:?}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(expected), "{args:?}: {error}");
        assert!(
            !body.to_string().contains(&format!("not-{PASSWORD}")),
            "{body}"
        );
        if expected_code == 1 {
            assert_eq!(stderr.trim_end(), format!("error: {error}"), "{args:?}");
        }
    }
}

/// 20,000 parentheses in a down file aborted lint and `rollback --dry-run` with a stack overflow
/// (exit 134, no JSON). It is a folder problem now, with its place, before anything parses.
#[test]
fn a_statement_too_deep_to_parse_is_an_error_object_not_an_abort() {
    let cwd = tempfile::tempdir().unwrap();
    let deep = format!("SELECT {}1{};\n", "(".repeat(20_000), ")".repeat(20_000));
    let fixture = Fixture::new().migration("deep", "CREATE TABLE t (id int);\n", &deep);
    let dir = fixture.path().to_str().unwrap();
    let url = "postgres://u:p@127.0.0.1:1/db";
    for args in [
        vec!["lint", "--migrations", dir],
        vec![
            "rollback",
            "--dry-run",
            "--database-url",
            url,
            "--migrations",
            dir,
        ],
        vec![
            "migrate",
            "--dry-run",
            "--database-url",
            url,
            "--migrations",
            dir,
        ],
    ] {
        let (code, body, stderr) = json(cwd.path(), &args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        // "SELECT " and 1,999 parentheses are within the limit; the 2,000th is not.
        let found = match body["findings"].as_array() {
            Some(findings) => findings.iter().any(|f| {
                f["rule"] == "too-deep"
                    && f["file"] == "001_deep.down.sql"
                    && f["line"] == 1
                    && f["col"] == 2007
            }),
            None => body["error"]
                .as_str()
                .unwrap()
                .contains("001_deep.down.sql:1:2007: too-deep"),
        };
        assert!(found, "{args:?}: {body}");
    }
}
