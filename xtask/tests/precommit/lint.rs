//! `cargo xtask lint` as a user runs it.

use std::path::Path;

use crate::{run, xtask};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A folder with one recorded migration creating `users`.
fn recorded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "001_users.sql",
        "CREATE TABLE users (id uuid PRIMARY KEY, name text);\n",
    );
    write(dir.path(), "001_users.down.sql", "DROP TABLE users;\n");
    let (code, out, err) =
        run(xtask(dir.path()).args(["lint", "--migrations", ".", "--update-lock"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        "recorded in ./migrations.lock: 001_users.sql, 001_users.down.sql\n\
         lint: 2 files, 2 statements: no findings\n"
    );
    dir
}

#[test]
fn the_repository_migrations_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let (code, out, err) = run(xtask(root).arg("lint"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("lint: "), "{out}");
    assert!(out.ends_with(": no findings\n"), "{out}");
}

#[test]
fn findings_are_file_line_col_rule_message_then_a_summary_and_exit_1() {
    let dir = recorded();
    write(
        dir.path(),
        "002_index.sql",
        "-- Faster lookups by name.\nCREATE INDEX users_name_idx ON users (name);\n",
    );
    write(
        dir.path(),
        "002_index.down.sql",
        "DROP INDEX users_name_idx;\n",
    );
    let (code, out, err) = run(xtask(dir.path()).args(["lint", "--migrations", "."]));
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(
        lines[0],
        "./002_index.down.sql:1:1: lock-new-file: not yet recorded in migrations.lock: \
         migrations.lock records every migration, so later edits and merge collisions are caught; \
         run `cargo xtask lint --update-lock` once the migration is final, and commit migrations.lock with it"
    );
    assert!(
        lines[1].starts_with("./002_index.sql:1:1: lock-new-file: "),
        "{out}"
    );
    assert!(
        lines[2].starts_with(
            "./002_index.sql:2:1: require-concurrent-index-creation: During normal index creation, \
             table updates are blocked, but reads are still allowed. Use `concurrently` to avoid \
             blocking writes. With authdb: use `CREATE INDEX CONCURRENTLY`, alone in a migration \
             whose first line is `-- authdb:no-transaction`"
        ),
        "{out}"
    );
    assert_eq!(
        lines[3],
        "lint: 4 files, 4 statements: 3 findings in 2 files"
    );
    assert_eq!(err, "");

    // --update-lock leaves the migration with a finding out, and says so.
    let (code, out, _) =
        run(xtask(dir.path()).args(["lint", "--migrations", ".", "--update-lock"]));
    assert_eq!(code, 1);
    assert!(
        out.starts_with(
            "not recorded until their findings are fixed: 002_index.sql, 002_index.down.sql\n"
        ),
        "{out}"
    );
}

#[test]
fn syntax_errors_name_the_file_line_and_column() {
    let dir = recorded();
    write(
        dir.path(),
        "002_audit.sql",
        "-- Audit trail.\nCREATE TABEL audit (id uuid);\n",
    );
    write(dir.path(), "002_audit.down.sql", "DROP TABLE audit;\n");
    let (code, out, _) = run(xtask(dir.path()).args(["lint", "--migrations", "."]));
    assert_eq!(code, 1);
    // squawk's parser stops where no command can start: at the CREATE that TABEL breaks.
    assert!(
        out.contains(
            "./002_audit.sql:2:1: syntax-error: syntax error at or near \"CREATE\" (squawk: \
             expected command): squawk's parser rejects this statement"
        ),
        "{out}"
    );
    assert!(
        out.contains("write `-- authdb:allow syntax-error <why>` above it"),
        "{out}"
    );
}

#[test]
fn json_for_ci() {
    let dir = recorded();
    write(
        dir.path(),
        "002_ts.sql",
        "ALTER TABLE users ADD COLUMN seen timestamp;\n",
    );
    write(
        dir.path(),
        "002_ts.down.sql",
        "ALTER TABLE users DROP COLUMN seen;\n",
    );
    let (code, out, _) = run(xtask(dir.path()).args(["lint", "--migrations", ".", "--json"]));
    assert_eq!(code, 1);
    let body: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["files"], 4);
    let findings = body["findings"].as_array().unwrap();
    let ts = findings
        .iter()
        .find(|f| f["rule"] == "prefer-timestamp-tz")
        .expect("a prefer-timestamp-tz finding");
    // Relative to the folder, which the report gives once (README, "JSON output").
    assert_eq!(body["folder"], ".");
    assert_eq!(ts["file"], "002_ts.sql");
    assert_eq!(
        (ts["line"].as_u64(), ts["col"].as_u64()),
        (Some(1), Some(35))
    );
    assert!(
        ts["message"]
            .as_str()
            .unwrap()
            .starts_with("When Postgres stores a datetime in a `timestamp` field")
    );
}

#[test]
fn a_missing_folder_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(xtask(dir.path()).args(["lint", "--migrations", "nowhere"]));
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: migrations folder nowhere does not exist: create it, or pass --migrations DIR\n"
    );
}
