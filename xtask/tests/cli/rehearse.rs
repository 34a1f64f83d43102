//! `cargo xtask rehearse` as a user runs it: it starts its own throwaway PostgreSQL (the tests'
//! image), so these tests only need Docker. The folders are the repository's migrations with a
//! `migrations.lock` written by `lint --update-lock`, so which files are new is under the test's
//! control; the sizes are small (20,000 users, a short baseline) and the limits scaled to them.

use std::path::Path;

use crate::{text, xtask};

fn run(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let output = xtask(cwd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

/// The repository's migrations up to and including `recorded` in a folder, recorded in its
/// migrations.lock by lint, then the later ones (not recorded: the new ones).
fn folder(recorded: i64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = authdb::Migrations::load(&testdb::migrations_dir()).unwrap();
    let copy = |migration: &authdb::Migration| {
        for (path, sql) in [
            (&migration.path, &migration.sql),
            (&migration.down.path, &migration.down.sql),
        ] {
            std::fs::write(dir.path().join(path.file_name().unwrap()), sql).unwrap();
        }
    };
    migrations
        .list
        .iter()
        .filter(|m| m.version <= recorded)
        .for_each(copy);
    let (code, stdout, stderr) = run(dir.path(), &["lint", "--migrations", ".", "--update-lock"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    migrations
        .list
        .iter()
        .filter(|m| m.version > recorded)
        .for_each(copy);
    dir
}

fn repository() -> authdb::Migrations {
    authdb::Migrations::load(&testdb::migrations_dir()).unwrap()
}

/// The version before the repository's email migrations.
fn before_email() -> i64 {
    let migrations = repository();
    migrations
        .list
        .iter()
        .find(|m| m.name.starts_with("email_"))
        .unwrap()
        .version
        - 1
}

const SMALL: [&str; 4] = ["--users", "20000", "--baseline", "0.5"];

#[test]
fn the_new_migrations_rehearse_clean_and_say_so_in_json() {
    let dir = folder(before_email());
    let mut args = vec!["rehearse", "--migrations", ".", "--json"];
    args.extend(SMALL);
    let (code, stdout, stderr) = run(dir.path(), &args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["ok"], true, "{body:#}");
    assert_eq!(body["users"], 20000);
    let steps: Vec<&str> = body["rehearsal"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let new: Vec<String> = repository()
        .list
        .iter()
        .filter(|m| m.version > before_email())
        .map(|m| m.file_stem())
        .collect();
    assert_eq!(steps, new);
    assert!(
        body["rehearsal"]["sampler_overhead"]["p50_on_ms"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn a_blocking_migration_fails_with_its_statement_and_lint_s_advice() {
    let dir = folder(repository().latest_version().unwrap());
    let next = repository().latest_version().unwrap() + 1;
    let name = format!("{next:03}_email_varchar");
    std::fs::write(
        dir.path().join(format!("{name}.sql")),
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(format!("{name}.down.sql")),
        "ALTER TABLE users ALTER COLUMN email TYPE text;\n",
    )
    .unwrap();
    // What lint says about that line (not about the lock file) is the advice rehearse gives.
    let (_, lint, _) = run(dir.path(), &["lint", "--migrations", ".", "--json"]);
    let lint: serde_json::Value = serde_json::from_str(&lint).unwrap();
    let finding = lint["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["file"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{name}.sql"))
                && f["line"] == 1
                && !f["rule"].as_str().unwrap().starts_with("lock-")
        })
        .unwrap_or_else(|| panic!("lint has no finding on the rewrite: {lint:#}"));
    let advice = format!(
        "  fix ({}: {})",
        finding["rule"].as_str().unwrap(),
        finding["message"].as_str().unwrap()
    );

    // 20 ms: a rewrite of 20,000 users and their three indexes takes longer on any machine.
    let mut args = vec!["rehearse", "--migrations", ".", "--max-block", "0.02"];
    args.extend(SMALL);
    let (code, stdout, stderr) = run(dir.path(), &args);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let fail = stdout
        .lines()
        .find(|l| l.starts_with(&format!("FAIL: {name} blocked user_by_email for up to ")))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        fail.ends_with(&format!(
            "at ./{name}.sql:1: ALTER TABLE users ALTER COLUMN email TYPE varchar(320) \
             (ACCESS EXCLUSIVE on users)"
        )),
        "{fail}"
    );
    assert!(
        stdout.contains(&format!("\n{advice}\n")),
        "{advice}\n{stdout}"
    );
    assert!(
        stdout.contains("lock ACCESS EXCLUSIVE on users, held "),
        "{stdout}"
    );
}

/// A rename of `sessions.user_agent` in two phases after the repository's migrations, and the two
/// app versions of the rollout in a versions folder beside it: v1 reads the old column, v2 the
/// new one.
fn two_phase_rename() -> (tempfile::TempDir, tempfile::TempDir, i64) {
    let dir = folder(repository().latest_version().unwrap());
    let expand = repository().latest_version().unwrap() + 1;
    for (name, up, down) in [
        (
            format!("{expand:03}_add_client_agent"),
            "ALTER TABLE sessions ADD COLUMN client_agent text;\n",
            "ALTER TABLE sessions DROP COLUMN client_agent;\n",
        ),
        (
            format!("{:03}_drop_user_agent", expand + 1),
            "-- authdb:contract v1 still reads user_agent\n\
             ALTER TABLE sessions DROP COLUMN user_agent;\n",
            "ALTER TABLE sessions ADD COLUMN user_agent text;\n",
        ),
    ] {
        std::fs::write(dir.path().join(format!("{name}.sql")), up).unwrap();
        std::fs::write(dir.path().join(format!("{name}.down.sql")), down).unwrap();
    }
    let versions = tempfile::tempdir().unwrap();
    let versions_dir = versions.path();
    std::fs::write(
        versions_dir.join("v1.sql"),
        "-- authdb:args session.token\nSELECT id FROM sessions WHERE token = $1;\n\
         -- authdb:args user.id new.token\n\
         INSERT INTO sessions (user_id, token, expires_at, user_agent) \
         VALUES ($1, $2, now() + interval '1 day', 'v1');\n",
    )
    .unwrap();
    std::fs::write(
        versions_dir.join("v2.sql"),
        "-- authdb:args session.token\nSELECT id FROM sessions WHERE token = $1;\n\
         -- authdb:args user.id new.token\n\
         INSERT INTO sessions (user_id, token, expires_at, client_agent) \
         VALUES ($1, $2, now() + interval '1 day', 'v2');\n",
    )
    .unwrap();
    (dir, versions, expand)
}

#[test]
fn each_live_version_is_prepared_at_every_phase_and_the_contract_waits_for_the_old_one() {
    let (dir, versions, expand) = two_phase_rename();
    let (start, end) = (expand - 1, expand + 1);
    let v1 = versions.path().join("v1.sql").display().to_string();
    let v2 = versions.path().join("v2.sql").display().to_string();
    let args = [
        "rehearse",
        "--migrations",
        ".",
        "--versions",
        versions.path().to_str().unwrap(),
        "--users",
        "2000",
        "--baseline",
        "0.5",
    ];
    let (code, stdout, stderr) = run(dir.path(), &args);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let heading = format!(
        "  version      queries  {:<14}  {:<14}  end ({end})\n",
        format!("start ({start})"),
        format!("expand ({expand})")
    );
    assert!(
        stdout.contains(&format!(
            "live versions, each query prepared at each phase boundary before any load:\n\
             {heading}  v1                 2  ok              ok              1 fail\n  \
             v2                 2  not yet (1)     ok              ok\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "FAIL: app version v1 fails at end ({end}): {v1}:4: column \"user_agent\" of \
             relation \"sessions\" does not exist (SQLSTATE 42703); keep what it reads until it \
             is retired, or retire it (delete its file) before that phase\n"
        )),
        "{stdout}"
    );
    // The contract step itself is refused as migrate refuses it, and the expand went through.
    assert!(
        stdout.contains(&format!(
            "FAIL: {end:03}_drop_user_agent failed: {v1}:4: app version v1 would fail \
             after this run"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains(&format!("FAIL: {expand:03}")), "{stdout}");
    // Both versions played under load, the new one from its expand on, and none failed.
    assert!(
        stdout.contains(
            "live versions under load (each from the first step after which all its queries prepare"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("queries of app version"), "{stdout}");

    // The rollout ends: v1 is retired, and the same rehearsal passes.
    std::fs::remove_file(&v1).unwrap();
    let mut json = args.to_vec();
    json.push("--json");
    let (code, stdout, stderr) = run(dir.path(), &json);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let matrix = &body["rehearsal"]["matrix"];
    assert_eq!(matrix["phases"][1]["kind"], "expand", "{matrix:#}");
    assert_eq!(matrix["versions"][0]["version"], "v2");
    let start_cell = &matrix["versions"][0]["cells"][0];
    assert_eq!(start_cell[0]["location"], format!("{v2}:4"), "{matrix:#}");
    assert_eq!(matrix["versions"][0]["cells"][2], serde_json::json!([]));
    let load = &body["rehearsal"]["versions"][0];
    assert_eq!(load["version"], "v2", "{load:#}");
    assert_eq!(load["from"], expand, "it plays once its expand is applied");
    assert_eq!(load["baseline_p99_ms"], serde_json::Value::Null);
    let steps = load["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{load:#}");
    let played: u64 = steps.iter().map(|s| s["queries"].as_u64().unwrap()).sum();
    assert!(played > 0, "{load:#}");
    assert!(steps.iter().all(|s| s["failed"] == 0), "{load:#}");
}

#[test]
fn adopt_s_apply_is_rehearsed_on_a_legacy_database() {
    let cwd = tempfile::tempdir().unwrap();
    let legacy = cwd.path().join("old.sql");
    std::fs::write(&legacy, testdb::legacy::OBVIOUS).unwrap();
    let dir = testdb::migrations_dir().display().to_string();
    let mut args = vec![
        "rehearse",
        "--migrations",
        &dir,
        "--adopt-legacy",
        "old.sql",
    ];
    // What is proven here is that adopt's apply is rehearsed and reported, not how long it
    // blocks on a busy machine: the limit is out of the way.
    args.extend(["--users", "2000", "--baseline", "0.5", "--max-block", "30"]);
    let (code, stdout, stderr) = run(cwd.path(), &args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("\nadopt --apply: "), "{stdout}");
    assert!(
        stdout.contains("lock ACCESS EXCLUSIVE on users, held "),
        "{stdout}"
    );
    assert!(stdout.contains("by adopt statement "), "{stdout}");
}

#[test]
fn a_legacy_file_that_does_not_run_is_named_with_its_line() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("old.sql"),
        "CREATE TABLE users (id uuid PRIMARY KEY);\nCREATE TABEL sessions (id uuid);\n",
    )
    .unwrap();
    let dir = testdb::migrations_dir().display().to_string();
    let (code, stdout, stderr) = run(
        cwd.path(),
        &[
            "rehearse",
            "--migrations",
            &dir,
            "--adopt-legacy",
            "old.sql",
        ],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.starts_with("error: old.sql:2:8: syntax error at or near \"TABEL\""),
        "{stderr}"
    );
}

#[test]
fn bad_input_is_refused_before_any_server_starts() {
    let dir = folder(repository().latest_version().unwrap());
    let latest = repository().latest_version().unwrap();
    let latest_flag = latest.to_string();
    let cases: [(&[&str], String); 5] = [
        (
            &[],
            "error: nothing to rehearse: every migration in . is recorded in migrations.lock \
             (shipped); name the version to rehearse after with --from N\n"
                .to_string(),
        ),
        (
            &["--from", "999"],
            "error: --from 999: . has no migration 999\n".to_string(),
        ),
        (
            &["--from", &latest_flag],
            format!(
                "error: --from {latest}: nothing to rehearse after it, . ends at version \
                 {latest}\n"
            ),
        ),
        (
            &["--max-block", "0"],
            "error: --max-block 0: must be a number of seconds above 0\n".to_string(),
        ),
        (
            &["--adopt-legacy", "missing.sql"],
            "error: reading missing.sql: No such file or directory (os error 2)\n".to_string(),
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["rehearse", "--migrations", "."];
        args.extend(flags);
        // Without a PATH there is no docker to run: each is said before a server is needed.
        let output = xtask(dir.path())
            .args(&args)
            .env("PATH", "")
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(
            (output.status.code(), stderr.as_str()),
            (Some(1), expected.as_str()),
            "{args:?} {stdout}"
        );
    }
    let (code, _, stderr) = run(dir.path(), &["rehearse", "--users", "0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--users <N>"), "{stderr}");
}

#[test]
fn a_live_version_s_args_that_cannot_be_played_are_refused_with_their_line() {
    let dir = folder(before_email());
    let versions = tempfile::tempdir().unwrap();
    let file = versions.path().join("v1.sql");
    for (sql, says) in [
        (
            "SELECT 1;\n-- authdb:args user.mail\nSELECT id FROM users WHERE email = $1;\n",
            ":3: -- authdb:args: unknown value \"user.mail\"; one of user.id, user.email, \
             session.token, new.email, new.token, now\n",
        ),
        (
            "-- authdb:args user.id\nSELECT id FROM sessions WHERE user_id = $1 AND token = $2;\n",
            ":2: -- authdb:args gives 1 values and the query takes 2 parameters\n",
        ),
    ] {
        std::fs::write(&file, sql).unwrap();
        let args = [
            "rehearse",
            "--migrations",
            ".",
            "--versions",
            versions.path().to_str().unwrap(),
        ];
        // Said before any server starts: without a PATH there is no docker to run.
        let output = xtask(dir.path())
            .args(args)
            .env("PATH", "")
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        assert_eq!(stderr, format!("error: {}{says}", file.display()));
    }
}
