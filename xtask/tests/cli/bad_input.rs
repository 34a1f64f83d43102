//! Bad input, table-driven over the built binary: every case exits non-zero with one paragraph
//! that names the fault, leaves the database as it was, and never shows the password.

use std::path::Path;

use crate::{folder, state, text, xtask};

/// A role with a password that appears nowhere else, so a leak cannot hide behind a common word.
const USER: &str = "authdb_tester";
const SECRET: &str = "Tr0ub4dor-and-3";

struct Case {
    name: &'static str,
    /// The database URL; `None`: none is given (the case is about finding one).
    url: Option<String>,
    /// Files of the migrations folder; `None`: the folder does not exist.
    migrations: Option<Vec<(&'static str, &'static [u8])>>,
    /// The `.env` file in the working directory, if any.
    dotenv: Option<String>,
    expected: &'static str,
}

#[tokio::test]
async fn every_bad_input_is_named_changes_nothing_and_hides_the_password() {
    let db = testdb::empty_database().await;
    let admin = db.connect().await;
    // Roles are per server: tolerate the role from an earlier test of this binary.
    let _ = admin
        .batch_execute(&format!(
            "CREATE ROLE {USER} LOGIN SUPERUSER PASSWORD '{SECRET}'"
        ))
        .await;
    let server = testdb::server();
    let at = |database: &str| {
        format!(
            "postgres://{USER}:{SECRET}@{}:{}/{database}",
            server.host, server.port
        )
    };
    let good = at(&db.name);
    let ok_sql: Vec<(&str, &[u8])> = vec![
        ("001_ok.sql", b"CREATE TABLE never_created (id int);\n"),
        ("001_ok.down.sql", b"DROP TABLE never_created;\n"),
    ];

    let cases = vec![
        Case {
            name: "malformed URL",
            url: Some(format!("postgres://{USER}:{SECRET}@localhost:notaport/db")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "the database URL in --database-url is not valid: invalid connection string: invalid value for option `port`",
        },
        Case {
            name: "unknown host",
            url: Some(format!(
                "postgres://{USER}:{SECRET}@no-such-host.invalid/db"
            )),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "The host name does not resolve",
        },
        Case {
            name: "refused port",
            url: Some(format!("postgres://{USER}:{SECRET}@127.0.0.1:1/db")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "after 4 attempts",
        },
        Case {
            name: "wrong password",
            url: Some(format!(
                "postgres://{USER}:not-{SECRET}@{}:{}/{}",
                server.host, server.port, db.name
            )),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "password authentication failed for user \"authdb_tester\"",
        },
        Case {
            name: "database that does not exist",
            url: Some(at("no_such_database")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "database \"no_such_database\" does not exist (SQLSTATE 3D000)",
        },
        Case {
            name: "plain TLS-less connection to another machine",
            url: Some(format!(
                "postgres://{USER}:{SECRET}@db.example.com/db?sslmode=disable"
            )),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "without TLS (sslmode=disable)",
        },
        Case {
            name: "empty .env",
            url: None,
            migrations: Some(ok_sql.clone()),
            dotenv: Some(String::new()),
            expected: "no database URL: pass --database-url, or set DATABASE_URL",
        },
        Case {
            name: ".env with a syntax error",
            url: None,
            migrations: Some(ok_sql.clone()),
            dotenv: Some(format!("DATABASE_URL={good}\nthis line is not a setting\n")),
            expected: ".env:2: cannot parse this line of the .env file",
        },
        Case {
            name: "SQL syntax error",
            url: Some(good.clone()),
            migrations: Some(vec![
                (
                    "001_bad.sql",
                    b"CREATE TABLE ok (id int);\nCREATE TABEL t (id int);\n",
                ),
                ("001_bad.down.sql", b"DROP TABLE ok;\n"),
            ]),
            dotenv: None,
            expected: "001_bad.sql:2:8: syntax error at or near \"TABEL\" (SQLSTATE 42601). Nothing was applied",
        },
        Case {
            name: "empty migration",
            url: Some(good.clone()),
            migrations: Some(vec![
                ("001_empty.sql", b"\n  \n"),
                ("001_empty.down.sql", b"SELECT 1;\n"),
            ]),
            dotenv: None,
            expected: "001_empty.sql:1:1: empty-file: holds no SQL statement",
        },
        Case {
            name: "non-UTF-8 file",
            url: Some(good.clone()),
            migrations: Some(vec![
                ("001_latin1.sql", b"-- caf\xe9\nSELECT 1;\n"),
                ("001_latin1.down.sql", b"SELECT 1;\n"),
            ]),
            dotenv: None,
            expected: "001_latin1.sql:1:7: not-utf8: not UTF-8 from here on",
        },
        Case {
            name: "duplicate version",
            url: Some(good.clone()),
            migrations: Some(vec![
                ("001_a.sql", b"SELECT 1;"),
                ("001_a.down.sql", b"SELECT 1;"),
                ("0001_b.sql", b"SELECT 2;"),
                ("0001_b.down.sql", b"SELECT 2;"),
            ]),
            dotenv: None,
            expected: "duplicate-version: version also used by",
        },
        Case {
            name: "file name without a number",
            url: Some(good.clone()),
            migrations: Some(vec![("create_users.sql", b"SELECT 1;")]),
            dotenv: None,
            expected: "create_users.sql:1:1: file-name: not a migration name: the name starts with a version number",
        },
        Case {
            name: "transaction control in a migration",
            url: Some(good.clone()),
            migrations: Some(vec![
                ("001_a.sql", b"CREATE TABLE a (id int);\nCOMMIT;\n"),
                ("001_a.down.sql", b"DROP TABLE a;\n"),
            ]),
            dotenv: None,
            expected: "001_a.sql:2:1: transaction-control: COMMIT controls the transaction",
        },
        Case {
            name: "migrations folder missing",
            url: Some(good.clone()),
            migrations: None,
            dotenv: None,
            expected: "does not exist: create it, or pass --migrations DIR",
        },
    ];

    let before = state(&db).await;
    for case in cases {
        let cwd = tempfile::tempdir().unwrap();
        if let Some(dotenv) = &case.dotenv {
            std::fs::write(cwd.path().join(".env"), dotenv).unwrap();
        }
        let dir = case.migrations.as_ref().map(|files| folder(files));
        let missing = cwd.path().join("no-such-folder");
        let migrations: &Path = dir.as_ref().map_or(missing.as_path(), |d| d.path());
        let mut command = xtask(cwd.path());
        command.arg("migrate").arg("--migrations").arg(migrations);
        if let Some(url) = &case.url {
            command.args(["--database-url", url]);
        }
        let output = command.output().unwrap();
        let (stdout, stderr) = text(&output);
        let name = case.name;
        assert_eq!(output.status.code(), Some(1), "{name}: {stdout}{stderr}");
        assert!(
            stderr.contains(case.expected),
            "{name}: expected {:?} in:\n{stderr}",
            case.expected
        );
        assert!(stderr.starts_with("error: "), "{name}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{name}: not one paragraph:\n{stderr}"
        );
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{name} leaked the password:\n{stdout}{stderr}"
        );
        assert_eq!(state(&db).await, before, "{name} changed the database");
    }
}
