//! The repository's own migrations lint clean, and the benchmark generator writes folders that
//! do too (so `cargo xtask bench` measures lint on realistic, passing input).

use std::path::Path;

use authdb_lint::{Options, lint, write_generated};

#[test]
fn the_repository_migrations_lint_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let report = lint(&dir, Options::default()).unwrap();
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    assert!(report.files >= 12, "{report:?}");
}

#[test]
fn generated_migrations_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    write_generated(dir.path(), 40).unwrap();
    let report = lint(dir.path(), Options::default()).unwrap();
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    assert_eq!(report.files, 80);
    // 20 tables with 3 statements, 20 changes with 4, and 20 + 20 * 4 down statements.
    assert_eq!(report.statements, 20 * 3 + 20 * 4 + 20 + 20 * 4);
}

#[test]
fn generated_migrations_are_checked_as_new_files_too() {
    // Without the lock every file is new, so every rule runs: the generator's SQL itself is clean.
    let dir = tempfile::tempdir().unwrap();
    write_generated(dir.path(), 10).unwrap();
    std::fs::remove_file(dir.path().join(authdb_lint::LOCK_FILE)).unwrap();
    let report = lint(dir.path(), Options::default()).unwrap();
    let other: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule != authdb_lint::Rule::LockNewFile)
        .map(ToString::to_string)
        .collect();
    assert!(other.is_empty(), "{}", other.join("\n"));
}

#[test]
fn the_readme_documents_every_sql_rule() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    for rule in authdb_lint::Rule::ALL {
        if *rule >= authdb_lint::Rule::NoTransactionStatements {
            let id = format!("`{}`", rule.id());
            assert!(readme.contains(&id), "README.md does not document {id}");
        }
    }
}
