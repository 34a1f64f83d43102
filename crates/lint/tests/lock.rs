//! migrations.lock: each lock check with a failing and a passing case, what `--update-lock` may
//! and may not record, and that its checksums are the ones migrate records in the database.

use std::path::Path;

use authdb_lint::{LOCK_FILE, Options, Report, Rule, lint};
use tempfile::TempDir;

const UPDATE: Options = Options { update_lock: true };

fn write(dir: &TempDir, name: &str, text: &str) {
    std::fs::write(dir.path().join(name), text).unwrap();
}

/// A folder with migrations 001 and 002 (and down files), recorded in its lock.
fn recorded_folder() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id uuid PRIMARY KEY);\n",
    );
    write(&dir, "001_users.down.sql", "DROP TABLE users;\n");
    write(
        &dir,
        "002_names.sql",
        "ALTER TABLE users ADD COLUMN name text;\n",
    );
    write(
        &dir,
        "002_names.down.sql",
        "ALTER TABLE users DROP COLUMN name;\n",
    );
    let report = lint(dir.path(), UPDATE).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.recorded.len(), 4);
    dir
}

/// `name:line:col: rule` of each finding, and the messages.
fn places(report: &Report, dir: &TempDir) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            let name = f.file.strip_prefix(dir.path()).unwrap().display();
            format!("{name}:{}:{}: {}", f.line, f.col, f.rule)
        })
        .collect()
}

fn lock_text(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap()
}

#[test]
fn lock_new_file() {
    let dir = recorded_folder();
    write(&dir, "003_index.sql", "SELECT 1;\n");
    write(&dir, "003_index.down.sql", "SELECT 1;\n");
    let report = lint(dir.path(), Options::default()).unwrap();
    assert_eq!(
        places(&report, &dir),
        [
            "003_index.down.sql:1:1: lock-new-file",
            "003_index.sql:1:1: lock-new-file"
        ]
    );
    let message = &report.findings[0].message;
    assert!(
        message.starts_with("not yet recorded in migrations.lock: "),
        "{message}"
    );
    assert!(
        message.contains("run `cargo xtask lint --update-lock`"),
        "{message}"
    );

    let report = lint(dir.path(), UPDATE).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.recorded, ["003_index.sql", "003_index.down.sql"]);
}

#[test]
fn lock_edited() {
    let dir = recorded_folder();
    let before = lock_text(&dir);
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id uuid PRIMARY KEY, x int);\n",
    );
    let report = lint(dir.path(), Options::default()).unwrap();
    assert_eq!(places(&report, &dir), ["001_users.sql:1:1: lock-edited"]);
    let message = &report.findings[0].message;
    assert!(
        message.starts_with("edited since migrations.lock recorded it (line 5): "),
        "{message}"
    );
    assert!(
        message.contains("write the change as a new migration"),
        "{message}"
    );

    // --update-lock never records an edited file again.
    let report = lint(dir.path(), UPDATE).unwrap();
    assert_eq!(places(&report, &dir), ["001_users.sql:1:1: lock-edited"]);
    assert!(report.recorded.is_empty());
    assert_eq!(lock_text(&dir), before);
}

#[test]
fn a_crlf_checkout_or_a_bom_is_not_an_edit() {
    let dir = recorded_folder();
    write(
        &dir,
        "001_users.sql",
        "\u{feff}CREATE TABLE users (id uuid PRIMARY KEY);\r\n",
    );
    let report = lint(dir.path(), Options::default()).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn lock_missing_file() {
    let dir = recorded_folder();
    std::fs::remove_file(dir.path().join("002_names.down.sql")).unwrap();
    let report = lint(dir.path(), UPDATE).unwrap();
    assert_eq!(
        places(&report, &dir),
        [
            "002_names.sql:1:1: missing-down-file",
            "migrations.lock:8:1: lock-missing-file"
        ]
    );
    let message = &report.findings[1].message;
    assert!(
        message.starts_with("records 002_names.down.sql, which is not in the folder: "),
        "{message}"
    );
    assert!(message.contains("restore the file"), "{message}");
    // --update-lock keeps the record: the file has to come back.
    assert!(lock_text(&dir).contains("002_names.down.sql "));
}

#[test]
fn lock_set_catches_two_branches_that_each_added_the_same_version() {
    let main = recorded_folder();
    let branch = recorded_folder();
    write(&main, "003_from_main.sql", "SELECT 1;\n");
    write(&main, "003_from_main.down.sql", "SELECT 1;\n");
    write(&branch, "003_from_branch.sql", "SELECT 2;\n");
    write(&branch, "003_from_branch.down.sql", "SELECT 2;\n");
    assert!(lint(main.path(), UPDATE).unwrap().findings.is_empty());
    assert!(lint(branch.path(), UPDATE).unwrap().findings.is_empty());
    let main_lock = lock_text(&main);

    // Both branches rewrote the set line, so git reports a conflict; resolving it by keeping
    // both sides' lines leaves a set that matches neither.
    let added: String = lock_text(&branch)
        .lines()
        .filter(|line| line.starts_with("003_"))
        .map(|line| format!("{line}\n"))
        .collect();
    write(&main, LOCK_FILE, &format!("{main_lock}{added}"));
    write(&main, "003_from_branch.sql", "SELECT 2;\n");
    write(&main, "003_from_branch.down.sql", "SELECT 2;\n");
    let report = lint(main.path(), Options::default()).unwrap();
    assert_eq!(
        places(&report, &main),
        [
            "003_from_main.down.sql:1:1: duplicate-version",
            "003_from_main.sql:1:1: duplicate-version",
            "migrations.lock:4:1: lock-set"
        ]
    );
    let message = &report.findings[2].message;
    assert!(
        message.starts_with("the set checksum does not match the files recorded below it: "),
        "{message}"
    );
    assert!(
        message.contains("numbered in the order they must run"),
        "{message}"
    );

    // The way out the lock's header gives: the target branch's lock, the new migration renumbered.
    write(&main, LOCK_FILE, &main_lock);
    for (from, to) in [
        ("003_from_branch.sql", "004_from_branch.sql"),
        ("003_from_branch.down.sql", "004_from_branch.down.sql"),
    ] {
        std::fs::rename(main.path().join(from), main.path().join(to)).unwrap();
    }
    let report = lint(main.path(), UPDATE).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(
        report.recorded,
        ["004_from_branch.sql", "004_from_branch.down.sql"]
    );
}

#[test]
fn lock_set_passes_when_branches_do_not_touch_the_migrations() {
    let dir = recorded_folder();
    let again = lint(dir.path(), Options::default()).unwrap();
    assert!(again.findings.is_empty());
}

#[test]
fn lock_syntax() {
    let dir = recorded_folder();
    let text = lock_text(&dir).replacen("\nset ", "\n<<<<<<< HEAD\nset ", 1);
    write(&dir, LOCK_FILE, &text);
    let report = lint(dir.path(), UPDATE).unwrap();
    assert_eq!(places(&report, &dir), ["migrations.lock:4:1: lock-syntax"]);
    let message = &report.findings[0].message;
    assert!(
        message.starts_with("line 4 is a merge conflict marker: "),
        "{message}"
    );
    assert!(
        message.contains("keep the target branch's version"),
        "{message}"
    );
    // Nothing is written over a lock that cannot be read.
    assert_eq!(lock_text(&dir), text);

    for (broken, what) in [
        ("set 1234\n", "line 1 does not end in a SHA-256 checksum"),
        ("set\n", "line 1 is not `file checksum`"),
        (
            &format!("set {0}\nset {0}\n", "a".repeat(64)),
            "line 2 is a second set line",
        ),
        (
            &format!("notes.txt {}\n", "a".repeat(64)),
            "line 1 does not name a migration file",
        ),
        (
            &format!("001_users.sql {}\n", "a".repeat(64)),
            "no set line",
        ),
    ] {
        write(&dir, LOCK_FILE, broken);
        let report = lint(dir.path(), Options::default()).unwrap();
        assert_eq!(report.findings.len(), 1, "{broken}: {:#?}", report.findings);
        assert!(
            report.findings[0].message.starts_with(what),
            "{:#?}",
            report.findings
        );
    }

    // Comments and blank lines are fine.
    let dir = recorded_folder();
    write(&dir, LOCK_FILE, &format!("\n# a note\n{}", lock_text(&dir)));
    assert!(
        lint(dir.path(), Options::default())
            .unwrap()
            .findings
            .is_empty()
    );
}

#[test]
fn update_lock_records_only_new_files_without_findings() {
    let dir = recorded_folder();
    write(
        &dir,
        "003_clean.sql",
        "ALTER TABLE users ADD COLUMN nickname text;\n",
    );
    write(
        &dir,
        "003_clean.down.sql",
        "ALTER TABLE users DROP COLUMN nickname;\n",
    );
    write(
        &dir,
        "004_unsafe.sql",
        "CREATE INDEX users_nickname_idx ON users (nickname);\n",
    );
    write(
        &dir,
        "004_unsafe.down.sql",
        "DROP INDEX users_nickname_idx;\n",
    );
    let report = lint(dir.path(), UPDATE).unwrap();
    assert_eq!(report.recorded, ["003_clean.sql", "003_clean.down.sql"]);
    // The down file waits for its up file, which may still change it.
    assert_eq!(report.unrecorded, ["004_unsafe.sql", "004_unsafe.down.sql"]);
    assert_eq!(
        places(&report, &dir),
        [
            "004_unsafe.down.sql:1:1: lock-new-file",
            "004_unsafe.sql:1:1: lock-new-file",
            "004_unsafe.sql:1:1: require-concurrent-index-creation"
        ]
    );
}

#[test]
fn the_rules_apply_to_new_files_only() {
    // An unsafe change recorded in the lock can no longer be changed: no finding to act on.
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id uuid PRIMARY KEY);\n",
    );
    write(&dir, "001_users.down.sql", "DROP TABLE users;\n");
    write(
        &dir,
        "002_seen.sql",
        "ALTER TABLE users ADD COLUMN seen timestamp;\n",
    );
    write(
        &dir,
        "002_seen.down.sql",
        "ALTER TABLE users DROP COLUMN seen;\n",
    );
    let before = lint(dir.path(), Options::default()).unwrap();
    assert!(
        before
            .findings
            .iter()
            .any(|f| f.rule == Rule::Squawk(squawk_linter::Rule::PreferTimestampTz))
    );
    // The first lock adopts the folder as it is.
    let adopted = lint(dir.path(), UPDATE).unwrap();
    assert_eq!(adopted.recorded.len(), 4);
    assert!(adopted.findings.is_empty(), "{:#?}", adopted.findings);
}

#[test]
fn the_lock_records_the_checksums_migrate_records() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        "001_users.sql",
        "\u{feff}CREATE TABLE users (id uuid);\r\n",
    );
    write(&dir, "001_users.down.sql", "DROP TABLE users;\n");
    lint(dir.path(), UPDATE).unwrap();
    let migrations = authdb::Migrations::load(dir.path()).unwrap();
    let lock = lock_text(&dir);
    let up = &migrations.list[0];
    assert!(
        lock.contains(&format!("001_users.sql {}\n", up.checksum.to_hex())),
        "{lock}"
    );
}

#[test]
fn the_repository_lock_agrees_with_migrate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let lock = std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap();
    for migration in authdb::Migrations::load(&dir).unwrap().list {
        let name = migration.path.file_name().unwrap().to_str().unwrap();
        let line = format!("{name} {}\n", migration.checksum.to_hex());
        assert!(lock.contains(&line), "{line} not in the lock");
    }
}

#[test]
fn update_lock_never_records_new_s_template_nor_a_file_migrate_refuses() {
    // Not even the first lock, which adopts the folder as it is otherwise.
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id uuid PRIMARY KEY);\n",
    );
    write(&dir, "001_users.down.sql", "DROP TABLE users;\n");
    let folder = authdb_folder::Folder::read(dir.path()).unwrap();
    folder.new_migration("add_name").unwrap().create().unwrap();
    write(&dir, "003_commits.sql", "SELECT 1;\nCOMMIT;\n");
    write(&dir, "003_commits.down.sql", "SELECT 1;\n");
    let report = lint(dir.path(), UPDATE).unwrap();
    assert_eq!(report.recorded, ["001_users.sql", "001_users.down.sql"]);
    assert_eq!(
        report.unrecorded,
        [
            "002_add_name.sql",
            "002_add_name.down.sql",
            "003_commits.sql",
            "003_commits.down.sql"
        ]
    );
    assert_eq!(
        places(&report, &dir),
        [
            "002_add_name.down.sql:1:1: empty-file",
            "002_add_name.down.sql:1:1: lock-new-file",
            "002_add_name.sql:1:1: empty-file",
            "002_add_name.sql:1:1: lock-new-file",
            "003_commits.down.sql:1:1: lock-new-file",
            "003_commits.sql:1:1: lock-new-file",
            "003_commits.sql:2:1: transaction-control",
        ]
    );
    assert!(!lock_text(&dir).contains("002_add_name"));
}
