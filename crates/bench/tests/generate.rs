//! The benchmark's generated migrations are what a real folder looks like to lint and migrate:
//! they lint clean, recorded and as new files (so every rule runs on them), and the large data
//! migration lint's memory is measured on is clean too, but for not being recorded.

use authdb_bench::generate::{write_generated, write_large};
use authdb_lint::{LOCK_FILE, Options, Rule, lint};

fn findings(dir: &std::path::Path) -> (authdb_lint::Report, Vec<String>) {
    let report = lint(dir, Options::default()).unwrap();
    let other = report
        .findings
        .iter()
        .filter(|f| f.rule != Rule::LockNewFile)
        .map(ToString::to_string)
        .collect();
    (report, other)
}

#[test]
fn generated_migrations_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    write_generated(dir.path(), 40).unwrap();
    let report = lint(dir.path(), Options::default()).unwrap();
    let all: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(all.is_empty(), "{}", all.join("\n"));
    assert_eq!(report.files, 80);
    // 20 tables with 3 statements, 20 changes with 4, and 20 + 20 * 4 down statements.
    assert_eq!(report.statements, 20 * 3 + 20 * 4 + 20 + 20 * 4);
    authdb::Migrations::load(dir.path()).unwrap();
}

#[test]
fn generated_migrations_are_clean_as_new_files_too() {
    // Without the lock every file is new, so every statement is parsed and every rule runs
    // (40 migrations: enough down-file statements for lint to check them on a second thread).
    let dir = tempfile::tempdir().unwrap();
    write_generated(dir.path(), 40).unwrap();
    std::fs::remove_file(dir.path().join(LOCK_FILE)).unwrap();
    let (report, other) = findings(dir.path());
    assert!(other.is_empty(), "{}", other.join("\n"));
    assert_eq!(report.findings.len(), 80, "each file is not recorded yet");
    // A down file's findings are its own, on the second thread too.
    let down = dir.path().join("002_extend_table_1.down.sql");
    std::fs::write(&down, "DROP INDEX CONCURRENTLY table_1_created_at_idx;\n").unwrap();
    let (_, other) = findings(dir.path());
    assert_eq!(other.len(), 1, "{other:#?}");
    assert!(
        other[0].contains("002_extend_table_1.down.sql:1:1: needs-no-transaction"),
        "{other:#?}"
    );
}

#[test]
fn the_large_migration_is_clean_but_for_not_being_recorded() {
    let dir = tempfile::tempdir().unwrap();
    write_large(dir.path(), 200_000).unwrap();
    let size = std::fs::metadata(dir.path().join("001_bulk_import.sql"))
        .unwrap()
        .len();
    assert!((200_000..220_000).contains(&size), "{size} bytes");
    let (report, other) = findings(dir.path());
    assert!(other.is_empty(), "{}", other.join("\n"));
    assert!(report.statements > 20, "{report:?}");
    authdb::Migrations::load(dir.path()).unwrap();
}
