//! migrate and lint agree on what a migrations folder is: the same folders go to
//! `authdb::Migrations::load` (what migrate, status, verify and rollback read) and to lint, and
//! load refuses exactly when lint reports a problem of the folder, naming the same files, places,
//! ids and words. And what `cargo xtask new` writes lints clean once its SQL is written.

use std::path::Path;

use authdb_folder::{FileName, Folder};
use authdb_lint::{Finding, Options, Rule, lint};

/// What a folder holds.
enum Entry {
    File(&'static str, &'static [u8]),
    /// A symbolic link to a regular file outside the folder.
    Symlink(&'static str),
    Dir(&'static str),
}
use Entry::{Dir, File, Symlink};

const UP: &[u8] = b"CREATE TABLE t (id uuid PRIMARY KEY);\n";
const DOWN: &[u8] = b"DROP TABLE t;\n";

/// `(case, entries, the folder problems expected as "file:line:col: id")`.
fn cases() -> Vec<(&'static str, Vec<Entry>, Vec<&'static str>)> {
    vec![
        (
            "a good pair, companions and hidden files",
            vec![
                File("001_create_t.sql", UP),
                File("001_create_t.down.sql", DOWN),
                File("schema.snapshot", b"x"),
                File("schema.md", b"x"),
                File(".gitkeep", b""),
            ],
            vec![],
        ),
        (
            "a version of fewer than three digits",
            vec![File("7_x.sql", UP), File("7_x.down.sql", DOWN)],
            vec!["7_x.down.sql:1:1: file-name", "7_x.sql:1:1: file-name"],
        ),
        (
            "a name with a trailing underscore",
            vec![File("001_add_x_.sql", UP), File("001_add_x_.down.sql", DOWN)],
            vec![
                "001_add_x_.down.sql:1:1: file-name",
                "001_add_x_.sql:1:1: file-name",
            ],
        ),
        (
            "upper case, a dash, an .up.sql",
            vec![
                File("001_CamelCase.sql", UP),
                File("002-dash.sql", UP),
                File("003_a.up.sql", UP),
                File("004_b.SQL", UP),
            ],
            vec![
                "001_CamelCase.sql:1:1: file-name",
                "002-dash.sql:1:1: file-name",
                "003_a.up.sql:1:1: file-name",
                "004_b.SQL:1:1: file-name",
            ],
        ),
        (
            "a symbolic link, a directory, a stray file",
            vec![
                Symlink("001_linked.sql"),
                File("001_linked.down.sql", DOWN),
                Dir("old"),
                File("notes.txt", b"todo"),
            ],
            vec![
                "001_linked.down.sql:1:1: orphan-down-file",
                "001_linked.sql:1:1: stray-file",
                "notes.txt:1:1: stray-file",
                "old:1:1: stray-file",
            ],
        ),
        (
            "a comment-only file and a blank one",
            vec![
                File("001_a.sql", b"-- nothing yet\n/* really */\n;\n"),
                File("001_a.down.sql", b" \n\n"),
            ],
            vec!["001_a.down.sql:1:1: empty-file", "001_a.sql:1:1: empty-file"],
        ),
        (
            "CRLF line endings and a byte-order mark are fine",
            vec![
                File("001_a.sql", b"\xef\xbb\xbfCREATE TABLE t (id uuid);\r\n"),
                File("001_a.down.sql", b"DROP TABLE t;\r\n"),
            ],
            vec![],
        ),
        (
            "not UTF-8, a NUL byte",
            vec![
                File("001_a.sql", b"SELECT 1;\nSELECT 'caf\xe9';\n"),
                File("001_a.down.sql", b"SELECT 1;\n\0"),
            ],
            vec!["001_a.down.sql:2:1: nul-byte", "001_a.sql:2:12: not-utf8"],
        ),
        (
            "transaction control, in any case, after comments",
            vec![
                File(
                    "001_a.sql",
                    b"BEGIN;\nCREATE TABLE t (id uuid);\n/* done */ commit;\n",
                ),
                File("001_a.down.sql", b"DROP TABLE t;\nSAVEPOINT s;\n"),
            ],
            vec![
                "001_a.down.sql:2:1: transaction-control",
                "001_a.sql:1:1: transaction-control",
                "001_a.sql:3:12: transaction-control",
            ],
        ),
        (
            "transaction words inside a body or a string are not transaction control",
            vec![
                File(
                    "001_a.sql",
                    b"DO $$ BEGIN PERFORM 1; END $$;\nSELECT 'COMMIT;';\n-- ROLLBACK;\n",
                ),
                File("001_a.down.sql", b"SELECT 1;\n"),
            ],
            vec![],
        ),
        (
            "an orphan down file and a missing one",
            vec![
                File("001_a.sql", UP),
                File("001_b.down.sql", DOWN),
            ],
            vec![
                "001_a.sql:1:1: missing-down-file",
                "001_b.down.sql:1:1: orphan-down-file",
            ],
        ),
        (
            "a duplicate version and a gap",
            vec![
                File("001_a.sql", UP),
                File("001_a.down.sql", DOWN),
                File("001_b.sql", UP),
                File("001_b.down.sql", DOWN),
                File("004_d.sql", UP),
                File("004_d.down.sql", DOWN),
            ],
            vec![
                "001_b.down.sql:1:1: duplicate-version",
                "001_b.sql:1:1: duplicate-version",
                "004_d.sql:1:1: version-gap",
            ],
        ),
        (
            "no-transaction files: more than one statement, a down file",
            vec![
                File(
                    "001_a.sql",
                    b"-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\nSELECT 1;\n",
                ),
                File(
                    "001_a.down.sql",
                    b"-- authdb:no-transaction\nDROP INDEX CONCURRENTLY i;\nSELECT 1;\n",
                ),
            ],
            vec![
                "001_a.down.sql:3:1: no-transaction-statements",
                "001_a.sql:3:1: no-transaction-statements",
            ],
        ),
    ]
}

fn write(dir: &Path, entries: &[Entry]) {
    let outside = dir.parent().unwrap().join(format!(
        "{}-target.sql",
        dir.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&outside, UP).unwrap();
    for entry in entries {
        match entry {
            File(name, bytes) => std::fs::write(dir.join(name), bytes).unwrap(),
            Symlink(name) => std::os::unix::fs::symlink(&outside, dir.join(name)).unwrap(),
            Dir(name) => std::fs::create_dir(dir.join(name)).unwrap(),
        }
    }
}

/// `file:line:col: id: message`, relative to the folder.
fn place(dir: &Path, path: &Path, line: usize, col: usize, id: &str, message: &str) -> String {
    let name = path.strip_prefix(dir).unwrap().display();
    format!("{name}:{line}:{col}: {id}: {message}")
}

#[test]
fn load_refuses_exactly_what_lint_reports_as_a_folder_problem() {
    for (case, entries, expected) in cases() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        write(&dir, &entries);

        let findings = lint(&dir, Options::default()).unwrap().findings;
        let from_lint: Vec<String> = findings
            .iter()
            .filter(|f| matches!(f.rule, Rule::Folder(_)))
            .map(|f: &Finding| place(&dir, &f.file, f.line, f.col, f.rule.id(), &f.message))
            .collect();
        let from_load: Vec<String> = match authdb::Migrations::load(&dir) {
            Ok(_) => Vec::new(),
            Err(authdb::Error::Folder { problems, .. }) => problems
                .iter()
                .map(|p| place(&dir, &p.path, p.line, p.col, p.kind.id(), &p.kind.message()))
                .collect(),
            Err(other) => panic!("{case}: load failed otherwise: {other}"),
        };
        assert_eq!(from_lint, from_load, "{case}: lint and load disagree");
        let ids: Vec<String> = from_lint
            .iter()
            .map(|f| f.splitn(4, ": ").take(2).collect::<Vec<_>>().join(": "))
            .collect();
        assert_eq!(ids, expected, "{case}");
    }
}

#[test]
fn names_new_accepts_make_files_that_lint_clean_once_written() {
    for (existing, name) in [
        (None, "a"),
        (None, "add_users_2fa"),
        (Some("0009_create_t"), "add_display_name"),
        (Some("099_create_t"), "x1_y2_z3"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        if let Some(stem) = existing {
            std::fs::write(dir.path().join(format!("{stem}.sql")), UP).unwrap();
            std::fs::write(dir.path().join(format!("{stem}.down.sql")), DOWN).unwrap();
            let adopted = lint(dir.path(), Options { update_lock: true }).unwrap();
            assert!(adopted.findings.is_empty(), "{:#?}", adopted.findings);
        }
        let new = Folder::read(dir.path())
            .unwrap()
            .new_migration(name)
            .unwrap();
        new.create().unwrap();

        // The template is refused (by migrate too), never recorded, and its name is right.
        let report = lint(dir.path(), Options { update_lock: true }).unwrap();
        let ids: Vec<&str> = report.findings.iter().map(|f| f.rule.id()).collect();
        assert!(
            !ids.contains(&"file-name"),
            "{name}: {:#?}",
            report.findings
        );
        assert_eq!(
            ids.iter().filter(|id| **id == "empty-file").count(),
            2,
            "{name}: {:#?}",
            report.findings
        );
        assert!(report.recorded.is_empty(), "{name}: {:?}", report.recorded);
        assert!(
            report.findings[0]
                .message
                .starts_with("still the template `cargo xtask new` wrote")
        );

        // Written, it lints clean and is recorded.
        std::fs::write(&new.up, "ALTER TABLE t ADD COLUMN note text;\n").unwrap();
        std::fs::write(&new.down, "ALTER TABLE t DROP COLUMN note;\n").unwrap();
        let report = lint(dir.path(), Options { update_lock: true }).unwrap();
        assert!(report.findings.is_empty(), "{name}: {:#?}", report.findings);
        assert_eq!(report.recorded.len(), 2, "{name}");
        authdb::Migrations::load(dir.path()).unwrap();
    }
}

#[test]
fn names_new_refuses_are_the_names_the_grammar_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let folder = Folder::read(dir.path()).unwrap();
    for name in ["add_x_", "_x", "Add_x", "a__b", "", "add-x", "caf\u{e9}"] {
        let refused = folder.new_migration(name).unwrap_err();
        let grammar = FileName::parse(&format!("001_{name}.sql")).unwrap_err();
        assert_eq!(refused, grammar, "{name:?}");
    }
}
