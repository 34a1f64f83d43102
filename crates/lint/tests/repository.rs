//! The repository's own migrations lint clean, and so do they as if none were recorded yet:
//! every statement of them through squawk's parser and rules, as new files are checked.

use std::path::Path;

use authdb_lint::{Options, Rule, lint};

fn migrations() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
}

#[test]
fn the_repository_migrations_lint_clean() {
    let report = lint(&migrations(), Options::default()).unwrap();
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    assert!(report.files >= 12, "{report:?}");
}

#[test]
fn every_statement_of_the_repository_parses_with_squawk() {
    // A copy without the lock: every file is new, so every statement is parsed and checked.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(migrations()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sql") {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let report = lint(copy.path(), Options::default()).unwrap();
    let syntax: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule == Rule::SyntaxError)
        .map(ToString::to_string)
        .collect();
    assert!(syntax.is_empty(), "{}", syntax.join("\n"));
    assert!(report.statements >= report.files, "{report:?}");
}
