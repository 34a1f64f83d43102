//! Reading folders the tests write: every problem is found (not only the first), placed at its
//! file, line and column, and worded the way every command prints it. No database needed.

use std::path::Path;

use authdb_folder::{Folder, ProblemKind};

/// A folder holding these files (name, bytes).
fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// `name:line:col: id` for every problem.
fn problems(dir: &Path) -> Vec<String> {
    Folder::read(dir)
        .unwrap()
        .problems
        .iter()
        .map(|p| {
            let name = p.path.strip_prefix(dir).unwrap().display();
            format!("{name}:{}:{}: {}", p.line, p.col, p.kind.id())
        })
        .collect()
}

const UP: &[u8] = b"CREATE TABLE t (id int);\n";
const DOWN: &[u8] = b"DROP TABLE t;\n";

#[test]
fn a_paired_folder_has_no_problems_and_reads_in_version_order() {
    let dir = folder(&[
        ("010_ten.sql", UP),
        ("010_ten.down.sql", DOWN),
        ("009_nine.sql", UP),
        ("009_nine.down.sql", DOWN),
        ("schema.snapshot", b"x"),
        ("migrations.lock", b"x"),
        ("schema.md", b"x"),
        (".gitkeep", b""),
    ]);
    let read = Folder::read(dir.path()).unwrap();
    assert_eq!(read.problems, []);
    let names: Vec<String> = read.files.iter().map(|f| f.file_name.clone()).collect();
    assert_eq!(
        names,
        [
            "009_nine.sql",
            "009_nine.down.sql",
            "010_ten.sql",
            "010_ten.down.sql"
        ]
    );
}

#[test]
fn every_problem_is_found_in_one_pass() {
    let dir = folder(&[
        ("7_short.sql", UP),
        ("001_a.sql", UP),
        ("001_a.down.sql", DOWN),
        ("001_b.sql", UP),
        ("003_c.sql", b"-- only a comment\n"),
        ("003_c.down.sql", DOWN),
        ("004_d.down.sql", DOWN),
        ("notes.txt", b"x"),
        ("005_e.sql", b"CREATE TABLE e (id int);\n-- caf\xe9\n"),
        ("005_e.down.sql", DOWN),
    ]);
    assert_eq!(
        problems(dir.path()),
        [
            "001_b.sql:1:1: duplicate-version",
            "001_b.sql:1:1: missing-down-file",
            "003_c.sql:1:1: empty-file",
            "003_c.sql:1:1: version-gap",
            "004_d.down.sql:1:1: orphan-down-file",
            "005_e.sql:1:1: version-gap",
            "005_e.sql:2:7: not-utf8",
            "7_short.sql:1:1: file-name",
            "notes.txt:1:1: stray-file",
        ]
    );
}

#[test]
fn transaction_control_is_placed_at_its_statement_in_up_and_down_files() {
    let dir = folder(&[
        (
            "001_a.sql",
            b"CREATE TABLE a (id int);\n-- done\n  CoMmIt;\nCREATE TABLE b (id int);\n",
        ),
        (
            "001_a.down.sql",
            b"DROP TABLE b;\nSELECT $$ ROLLBACK; $$;\nrollback to savepoint s;\nDROP TABLE a;\n",
        ),
    ]);
    assert_eq!(
        problems(dir.path()),
        [
            "001_a.down.sql:3:1: transaction-control",
            "001_a.sql:3:3: transaction-control"
        ]
    );
    let read = Folder::read(dir.path()).unwrap();
    let message = read.problems[1].to_string();
    assert!(
        message.contains("001_a.sql:3:3: transaction-control: COMMIT controls the transaction"),
        "{message}"
    );
    assert!(
        matches!(&read.problems[0].kind, ProblemKind::TransactionControl { keywords } if keywords == "ROLLBACK TO SAVEPOINT")
    );
}

#[test]
fn a_no_transaction_file_up_or_down_holds_one_statement() {
    let dir = folder(&[
        (
            "001_i.sql",
            b"-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\nCREATE INDEX CONCURRENTLY j ON t (id);\n",
        ),
        (
            "001_i.down.sql",
            b"-- authdb:no-transaction\nDROP INDEX CONCURRENTLY i;\nDROP INDEX CONCURRENTLY j;\n",
        ),
    ]);
    assert_eq!(
        problems(dir.path()),
        [
            "001_i.down.sql:3:1: no-transaction-statements",
            "001_i.sql:3:1: no-transaction-statements"
        ]
    );
    let one_each = folder(&[
        (
            "001_i.sql",
            b"-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\n",
        ),
        (
            "001_i.down.sql",
            b"-- authdb:no-transaction\nDROP INDEX CONCURRENTLY i;\n",
        ),
    ]);
    assert_eq!(problems(one_each.path()), Vec::<String>::new());
}

#[test]
fn symlinks_directories_and_nul_bytes_are_refused() {
    let dir = folder(&[
        ("001_a.sql", b"SELECT 1;\0\n"),
        ("001_a.down.sql", DOWN),
        ("elsewhere.sql", UP),
    ]);
    std::os::unix::fs::symlink(
        dir.path().join("elsewhere.sql"),
        dir.path().join("002_link.sql"),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("elsewhere.sql")).unwrap();
    std::fs::create_dir(dir.path().join("003_dir.sql")).unwrap();
    assert_eq!(
        problems(dir.path()),
        [
            "001_a.sql:1:10: nul-byte",
            "002_link.sql:1:1: stray-file",
            "003_dir.sql:1:1: stray-file"
        ]
    );
}

#[test]
fn crlf_and_bom_are_normalised_before_anything_else() {
    let dir = folder(&[
        ("001_a.sql", b"\xef\xbb\xbfCREATE TABLE a (id int);\r\n"),
        ("001_a.down.sql", b"DROP TABLE a;\r\n"),
    ]);
    let read = Folder::read(dir.path()).unwrap();
    assert_eq!(
        read.files[0].text.as_deref(),
        Some("CREATE TABLE a (id int);\n")
    );
}

#[test]
fn new_numbers_pads_and_its_template_is_refused_until_written() {
    let dir = folder(&[("0009_wide.sql", UP), ("0009_wide.down.sql", DOWN)]);
    let new = Folder::read(dir.path())
        .unwrap()
        .new_migration("add_x")
        .unwrap();
    assert!(new.up.ends_with("0010_add_x.sql"), "{}", new.up.display());
    assert!(new.down.ends_with("0010_add_x.down.sql"));
    new.create().unwrap();
    assert_eq!(
        problems(dir.path()),
        [
            "0010_add_x.down.sql:1:1: empty-file",
            "0010_add_x.sql:1:1: empty-file"
        ]
    );
    let message = Folder::read(dir.path()).unwrap().problems[1].to_string();
    assert!(
        message.contains("still the template `cargo xtask new` wrote"),
        "{message}"
    );
    let again = new.create().unwrap_err().to_string();
    assert!(again.contains("0010_add_x.sql"), "{again}");

    let empty = tempfile::tempdir().unwrap();
    let first = Folder::read(empty.path())
        .unwrap()
        .new_migration("first")
        .unwrap();
    assert!(first.up.ends_with("001_first.sql"));
    for bad in ["add_x_", "Add-Name", "", "_x", "a__b"] {
        let reason = Folder::read(empty.path())
            .unwrap()
            .new_migration(bad)
            .unwrap_err();
        assert!(reason.contains("single underscores"), "{bad}: {reason}");
    }
}

/// `--migrations` naming a file said "does not exist".
#[test]
fn a_file_where_the_folder_should_be_is_named_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001_x.sql");
    std::fs::write(&file, UP).unwrap();
    let message = Folder::read(&file).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "migrations folder {} is a file, not a folder: pass the folder that holds the \
             migrations (--migrations DIR)",
            file.display()
        )
    );
}

#[test]
fn a_missing_folder_says_how_to_point_at_one() {
    let message = Folder::read(Path::new("/nonexistent/migrations"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "migrations folder /nonexistent/migrations does not exist: create it, or pass --migrations DIR"
    );
}
