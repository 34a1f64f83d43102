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
            name: "unknown host is not retried",
            url: Some(format!(
                "postgres://{USER}:{SECRET}@no-such-host.invalid/db"
            )),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "cannot connect to postgres://authdb_tester:***@no-such-host.invalid/db: ",
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
            name: ".env whose bad line repeats text from an earlier value over several lines",
            url: None,
            migrations: Some(ok_sql.clone()),
            dotenv: Some(format!(
                "DATABASE_URL={good}\nNOTE=\"this line is not a setting\nstill the note\"\n\
                 this line is not a setting\n"
            )),
            expected: ".env:4: cannot parse this line of the .env file: expected KEY=value",
        },
        Case {
            name: ".env with a quote never closed",
            url: None,
            migrations: Some(ok_sql.clone()),
            dotenv: Some(format!("DATABASE_URL={good}\nOTHER='{SECRET}\n# end\n")),
            expected: ".env:2: cannot parse this line of the .env file: a quoted value starts on this line and is never closed",
        },
        Case {
            name: "connect_timeout=0 (wait forever)",
            url: Some(format!("{good}?connect_timeout=0")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "connect_timeout=0 would wait forever",
        },
        Case {
            name: "sslpassword in the URL",
            url: Some(format!("{good}?sslpassword={SECRET}")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "sslpassword: client certificates are not supported",
        },
        Case {
            name: "the password under a percent-encoded key",
            url: Some(format!(
                "postgres://{USER}@{}:{}/no_such_database?pass%77ord={SECRET}",
                server.host, server.port
            )),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "database \"no_such_database\" does not exist (SQLSTATE 3D000)",
        },
        Case {
            name: "the password under a key in capitals",
            url: Some(format!("{good}?PASSWORD={SECRET}")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "it has a parameter that is not a libpq connection parameter (its name and value are not shown, in case they hold a secret). Did you mean `password`?",
        },
        Case {
            name: "a key=value connection string that contains ://",
            url: Some(format!(
                "host={} port={} user={USER} password={SECRET} dbname=no_such_database \
                 application_name=a://b",
                server.host, server.port
            )),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "database \"no_such_database\" does not exist (SQLSTATE 3D000)",
        },
        Case {
            name: "an @ after the host",
            url: Some(format!("{good}?application_name=a@b")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "where the password ends cannot be told",
        },
        Case {
            name: "a mistyped parameter",
            url: Some(format!("{good}?sslmdoe=require")),
            migrations: Some(ok_sql.clone()),
            dotenv: None,
            expected: "Did you mean `sslmode`?",
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

/// A usage error's case: the command and its flags, the environment, what the message must say.
struct Usage {
    args: Vec<&'static str>,
    env: Vec<(&'static str, &'static str)>,
    expected: Vec<&'static str>,
}

/// A flag or variable that is not a valid value: exit code 2 (usage) with clap's message naming
/// the flag, and the variable when the value came from one; with `--json`, a JSON object on
/// stdout too. Nothing runs: the good URL and migration are there to show it.
#[tokio::test]
async fn every_bad_flag_or_variable_is_a_usage_error_naming_it() {
    let db = testdb::empty_database().await;
    let ok_sql: Vec<(&str, &[u8])> = vec![
        ("001_ok.sql", b"CREATE TABLE never_created (id int);\n"),
        ("001_ok.down.sql", b"DROP TABLE never_created;\n"),
    ];
    let dir = folder(&ok_sql);
    let cases = vec![
        Usage {
            args: vec!["migrate", "--lock-timeout", "inf"],
            env: vec![],
            expected: vec![
                "invalid value 'inf' for '--lock-timeout <DURATION>'",
                "`inf` is not a duration",
            ],
        },
        Usage {
            args: vec!["migrate", "--lock-timeout", "0.0004"],
            env: vec![],
            expected: vec!["'--lock-timeout <DURATION>'", "`0.0004` is below 1 ms"],
        },
        Usage {
            args: vec!["migrate", "--lock-timeout=-1"],
            env: vec![],
            expected: vec!["'--lock-timeout <DURATION>'", "`-1` is negative"],
        },
        Usage {
            args: vec!["migrate", "--lock-timeout", "-1"],
            env: vec![],
            expected: vec!["'--lock-timeout <DURATION>'", "`-1` is negative"],
        },
        Usage {
            args: vec!["migrate", "--statement-timeout", "nan"],
            env: vec![],
            expected: vec![
                "'--statement-timeout <DURATION>'",
                "`nan` is not a duration",
            ],
        },
        Usage {
            args: vec!["migrate", "--lock-wait", "1e300"],
            env: vec![],
            expected: vec!["'--lock-wait <DURATION>'", "`1e300` is not a duration"],
        },
        Usage {
            args: vec!["rollback", "--dry-run", "--lock-wait", "25h"],
            env: vec![],
            expected: vec!["'--lock-wait <DURATION>'", "`25h` is above 1 day"],
        },
        Usage {
            args: vec!["migrate"],
            env: vec![("AUTHDB_STATEMENT_TIMEOUT", "1e300")],
            expected: vec![
                "'--statement-timeout <DURATION>'",
                "the value of the environment variable AUTHDB_STATEMENT_TIMEOUT",
            ],
        },
        Usage {
            args: vec!["migrate"],
            env: vec![("AUTHDB_LOCK_TIMEOUT", "inf")],
            expected: vec!["the value of the environment variable AUTHDB_LOCK_TIMEOUT"],
        },
        Usage {
            args: vec!["migrate"],
            env: vec![("AUTHDB_LOCK_WAIT", "-5")],
            expected: vec!["`-5` is negative", "environment variable AUTHDB_LOCK_WAIT"],
        },
        Usage {
            args: vec!["migrate", "--to=-1"],
            env: vec![],
            expected: vec!["invalid value '-1' for '--to <N>'", "1 or more"],
        },
        Usage {
            args: vec!["migrate", "--to", "0"],
            env: vec![],
            expected: vec!["invalid value '0' for '--to <N>'", "1 or more"],
        },
        Usage {
            args: vec!["migrate", "--target", "x1"],
            env: vec![],
            expected: vec!["invalid value 'x1' for '--to <N>'"],
        },
        Usage {
            args: vec!["rollback", "--dry-run", "--to=-1"],
            env: vec![],
            expected: vec!["invalid value '-1' for '--to <N>'", "0 or more"],
        },
    ];
    let before = state(&db).await;
    for Usage {
        args,
        env,
        expected,
    } in cases
    {
        for json in [false, true] {
            let cwd = tempfile::tempdir().unwrap();
            let mut command = xtask(cwd.path());
            command
                .args(&args)
                .args(["--database-url", &db.url, "--migrations"])
                .arg(dir.path());
            if json {
                command.arg("--json");
            }
            command.envs(env.iter().copied());
            let output = command.output().unwrap();
            let (stdout, stderr) = text(&output);
            let name = format!("{args:?} {env:?} json={json}");
            assert_eq!(output.status.code(), Some(2), "{name}: {stdout}{stderr}");
            for fragment in &expected {
                assert!(
                    stderr.contains(fragment),
                    "{name}: expected {fragment:?} in\n{stderr}"
                );
            }
            if json {
                let body: serde_json::Value = serde_json::from_str(&stdout)
                    .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {stdout}"));
                assert_eq!(body["ok"], false, "{name}");
                assert_eq!(body["usage"], true, "{name}");
                let error = body["error"].as_str().unwrap();
                assert!(error.contains(expected[0]), "{name}: {error}");
            } else {
                assert_eq!(stdout, "", "{name}");
            }
        }
    }
    assert_eq!(
        state(&db).await,
        before,
        "a usage error changed the database"
    );
}

/// `--database-url ''` is a usage error, never a fallback to DATABASE_URL or `.env` (which may
/// be production): both fallbacks are set here to a database that must stay untouched.
#[tokio::test]
async fn an_empty_database_url_is_an_error_not_a_fallback() {
    let db = testdb::empty_database().await;
    let dir = folder(&[
        ("001_ok.sql", b"CREATE TABLE never_created (id int);\n"),
        ("001_ok.down.sql", b"DROP TABLE never_created;\n"),
    ]);
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join(".env"),
        format!("DATABASE_URL={}\n", db.url),
    )
    .unwrap();
    let before = state(&db).await;
    for flag in [vec!["--database-url", ""], vec!["--database-url=  "]] {
        let output = xtask(cwd.path())
            .arg("migrate")
            .args(&flag)
            .arg("--migrations")
            .arg(dir.path())
            .env("DATABASE_URL", &db.url)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{flag:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("for '--database-url <URL>': empty: give the database URL"),
            "{stderr}"
        );
    }
    assert_eq!(state(&db).await, before);
}

/// An explicit `--database-url` does not read `.env` at all, so a broken line in it (here with a
/// value that would be a secret) cannot get in the way; without the flag, the line is named.
#[tokio::test]
async fn an_explicit_database_url_works_beside_a_broken_env_file() {
    let db = testdb::empty_database().await;
    let dir = folder(&[
        ("001_ok.sql", b"CREATE TABLE created (id int);\n"),
        ("001_ok.down.sql", b"DROP TABLE created;\n"),
    ]);
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join(".env"),
        format!("# settings\nAPI_KEY {SECRET}\nDATABASE_URL={}\n", db.url),
    )
    .unwrap();
    let output = xtask(cwd.path())
        .args(["migrate", "--database-url", &db.url, "--migrations"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(state(&db).await.1, 1);

    let output = xtask(cwd.path())
        .args(["status", "--migrations"])
        .arg(dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(".env:2: cannot parse this line of the .env file: expected KEY=value"),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET) && !stdout.contains(SECRET));
}
