//! The folder checks, each with a folder that fails it and one that passes: names, stray files,
//! encodings, versions, up/down pairs. Every folder gets an up-to-date lock first, so that only the
//! check under test can speak.

use std::path::Path;

use authdb_lint::{Finding, Options, Rule, lint};
use tempfile::TempDir;

const SQL: &[u8] = b"SELECT 1;\n";

/// A folder holding these files.
fn folder(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// The findings of a folder (its lock written first), as `name:line:col: rule` with the message.
fn findings(dir: &TempDir) -> Vec<(String, Finding)> {
    let report = lint(dir.path(), Options { update_lock: true }).unwrap();
    report
        .findings
        .into_iter()
        .map(|f| {
            let name = f
                .file
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string();
            (format!("{name}:{}:{}: {}", f.line, f.col, f.rule), f)
        })
        .collect()
}

fn places(dir: &TempDir) -> Vec<String> {
    findings(dir).into_iter().map(|(place, _)| place).collect()
}

/// The message of the only finding.
fn only(dir: &TempDir, expected_place: &str) -> String {
    let found = findings(dir);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, expected_place);
    found[0].1.message.clone()
}

fn pair(version: &str) -> [(String, &'static [u8]); 2] {
    [
        (format!("{version}.sql"), SQL),
        (format!("{version}.down.sql"), SQL),
    ]
}

fn pairs(versions: &[&str]) -> TempDir {
    let files: Vec<(String, &[u8])> = versions.iter().flat_map(|v| pair(v)).collect();
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    folder(&borrowed)
}

#[test]
fn a_clean_folder_has_no_findings() {
    let dir = pairs(&["001_create_users", "002_add_index"]);
    assert_eq!(places(&dir), Vec::<String>::new());
}

#[test]
fn file_name() {
    let dir = folder(&[("01_short.sql", SQL)]);
    let message = only(&dir, "01_short.sql:1:1: file-name");
    assert!(message.starts_with("not a migration name: "), "{message}");
    assert!(message.contains("NNN_snake_case.sql"), "{message}");
    let dir = folder(&[("001_CamelCase.SQL", SQL)]);
    only(&dir, "001_CamelCase.SQL:1:1: file-name");

    let dir = pairs(&["001_snake_case_2fa"]);
    assert!(places(&dir).is_empty());
}

#[test]
fn stray_file() {
    let dir = pairs(&["001_a"]);
    std::fs::write(dir.path().join("notes.txt"), "todo").unwrap();
    let message = only(&dir, "notes.txt:1:1: stray-file");
    assert!(
        message.contains("move it out of the migrations folder"),
        "{message}"
    );
    let dir = pairs(&["001_a"]);
    std::fs::create_dir(dir.path().join("old")).unwrap();
    only(&dir, "old:1:1: stray-file");

    // Hidden files and the two companions are not stray.
    let dir = pairs(&["001_a"]);
    std::fs::write(dir.path().join(".gitkeep"), "").unwrap();
    std::fs::write(dir.path().join("schema.snapshot"), "x").unwrap();
    assert!(places(&dir).is_empty());
}

#[test]
fn not_utf8() {
    let dir = folder(&[
        ("001_a.sql", b"SELECT 1;\nSELECT 'caf\xe9';\n"),
        ("001_a.down.sql", SQL),
    ]);
    let message = only(&dir, "001_a.sql:2:12: not-utf8");
    assert!(message.starts_with("not UTF-8 from here on"), "{message}");

    // A BOM and CRLF line endings are fine: migrate removes them before anything else.
    let dir = folder(&[
        ("001_a.sql", "\u{feff}SELECT 'café';\r\n".as_bytes()),
        ("001_a.down.sql", SQL),
    ]);
    assert!(places(&dir).is_empty());
}

#[test]
fn empty_file() {
    let dir = folder(&[("001_a.sql", b" \n\n"), ("001_a.down.sql", SQL)]);
    let message = only(&dir, "001_a.sql:1:1: empty-file");
    assert!(message.starts_with("the file is empty"), "{message}");

    let dir = folder(&[
        ("001_a.sql", b"-- just a comment is not empty\nSELECT 1;"),
        ("001_a.down.sql", SQL),
    ]);
    assert!(places(&dir).is_empty());
}

#[test]
fn duplicate_version() {
    let dir = pairs(&["001_a", "002_from_main", "002_from_branch"]);
    let found = findings(&dir);
    let duplicate: Vec<_> = found
        .iter()
        .filter(|(_, f)| f.rule == Rule::DuplicateVersion)
        .collect();
    assert_eq!(duplicate.len(), 1, "{found:#?}");
    assert_eq!(duplicate[0].0, "002_from_main.sql:1:1: duplicate-version");
    assert!(
        duplicate[0]
            .1
            .message
            .starts_with("version 2 is also 002_from_branch.sql: "),
        "{}",
        duplicate[0].1.message
    );

    let dir = pairs(&["001_a", "002_from_main", "003_from_branch"]);
    assert!(places(&dir).is_empty());
}

#[test]
fn version_gap() {
    let dir = pairs(&["001_a", "003_c"]);
    let message = only(&dir, "003_c.sql:1:1: version-gap");
    assert!(
        message.starts_with("version 3 follows 1: 2 is missing: "),
        "{message}"
    );
    let dir = pairs(&["001_a", "005_e"]);
    let message = only(&dir, "005_e.sql:1:1: version-gap");
    assert!(
        message.starts_with("version 5 follows 1: 2 to 4 are missing: "),
        "{message}"
    );

    // A folder may start above 1 (after a squash), as long as it has no holes.
    let dir = pairs(&["100_baseline", "101_next"]);
    assert!(places(&dir).is_empty());
}

#[test]
fn missing_down_file() {
    let dir = folder(&[("001_a.sql", SQL)]);
    let message = only(&dir, "001_a.sql:1:1: missing-down-file");
    assert!(
        message.starts_with("no down file 001_a.down.sql: rollback needs"),
        "{message}"
    );

    let dir = pairs(&["001_a"]);
    assert!(places(&dir).is_empty());
}

#[test]
fn orphan_down_file() {
    let dir = folder(&[
        ("001_a.sql", SQL),
        ("001_a.down.sql", SQL),
        ("001_b.down.sql", SQL),
    ]);
    let message = only(&dir, "001_b.down.sql:1:1: orphan-down-file");
    assert!(
        message.starts_with("no up file 001_b.sql for this down file"),
        "{message}"
    );

    let dir = folder(&[("001_a.sql", SQL), ("001_a.down.sql", SQL)]);
    assert!(places(&dir).is_empty());
}

#[test]
fn a_missing_folder_is_an_error_that_says_how_to_give_one() {
    let error = lint(Path::new("/no/such/migrations"), Options::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "/no/such/migrations: no such folder (give the migrations folder with --migrations DIR)"
    );
}
