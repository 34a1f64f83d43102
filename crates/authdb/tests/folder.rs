//! Reading the migrations folder: every refusal names the file at fault. No database needed.

use authdb::Migrations;

/// A file of a test folder: name and raw bytes.
type File<'a> = (&'a str, &'a [u8]);

fn load_error(files: &[File]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let message = Migrations::load(dir.path()).unwrap_err().to_string();
    (dir, message)
}

#[test]
fn the_repository_folder_loads_in_order_with_down_files() {
    let migrations = Migrations::load(&testdb::migrations_dir()).unwrap();
    let versions: Vec<i64> = migrations.list.iter().map(|m| m.version).collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn versions_sort_numerically_not_alphabetically() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["10_ten.sql", "9_nine.sql", "100_hundred.sql"] {
        std::fs::write(dir.path().join(name), "SELECT 1;").unwrap();
    }
    let migrations = Migrations::load(dir.path()).unwrap();
    let versions: Vec<i64> = migrations.list.iter().map(|m| m.version).collect();
    assert_eq!(versions, [9, 10, 100]);
}

#[test]
fn refusals_name_the_file() {
    let cases: &[(&[File], &str, &str)] = &[
        (
            &[("001_a.sql", b"SELECT 1;"), ("01_b.sql", b"SELECT 2;")],
            "01_b.sql: version 1 is also used by",
            "duplicate version",
        ),
        (
            &[("create_users.sql", b"SELECT 1;")],
            "create_users.sql: the name does not match NNN_name.sql",
            "no number",
        ),
        (
            &[("001_Create-Users.sql", b"SELECT 1;")],
            "001_Create-Users.sql: the name does not match",
            "not snake_case",
        ),
        (
            &[("001_a.sql.bak", b"SELECT 1;")],
            "001_a.sql.bak: the name does not match",
            "stray file",
        ),
        (
            &[("001_a.sql", b"  \n\n")],
            "001_a.sql: the file is empty",
            "empty",
        ),
        (
            &[("001_a.sql", b"SELECT 1;\n-- caf\xe9\n")],
            "001_a.sql:2: the file is not valid UTF-8",
            "latin-1",
        ),
        (
            &[
                ("001_a.sql", b"SELECT 1;"),
                ("002_b.down.sql", b"SELECT 2;"),
            ],
            "002_b.down.sql: a down file with no up file",
            "orphan down file",
        ),
    ];
    for (files, expected, what) in cases {
        let (_dir, message) = load_error(files);
        assert!(message.contains(expected), "{what}: {message}");
    }
}

#[test]
fn a_missing_folder_says_how_to_point_at_one() {
    let message = Migrations::load(std::path::Path::new("/nonexistent/migrations"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "migrations folder /nonexistent/migrations does not exist: create it, or pass --migrations DIR"
    );
}

#[test]
fn snapshot_lock_and_hidden_files_are_not_migrations() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "001_a.sql",
        "schema.snapshot",
        "migrations.lock",
        ".gitkeep",
    ] {
        std::fs::write(dir.path().join(name), "SELECT 1;").unwrap();
    }
    assert_eq!(Migrations::load(dir.path()).unwrap().list.len(), 1);
}

#[test]
fn next_files_number_and_pad_the_next_migration() {
    let migrations = Migrations::load(&testdb::migrations_dir()).unwrap();
    let (up, down) = migrations.next_files("add_display_name").unwrap();
    assert!(up.ends_with("007_add_display_name.sql"), "{}", up.display());
    assert!(
        down.ends_with("007_add_display_name.down.sql"),
        "{}",
        down.display()
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("0009_wide.sql"), "SELECT 1;").unwrap();
    let (up, _) = Migrations::load(dir.path())
        .unwrap()
        .next_files("x")
        .unwrap();
    assert!(up.ends_with("0010_x.sql"), "{}", up.display());

    let empty = tempfile::tempdir().unwrap();
    let (up, _) = Migrations::load(empty.path())
        .unwrap()
        .next_files("first")
        .unwrap();
    assert!(up.ends_with("001_first.sql"), "{}", up.display());

    let message = migrations.next_files("Add-Name").unwrap_err().to_string();
    assert_eq!(
        message,
        "\"Add-Name\" is not a migration name: use lowercase letters, digits and underscores, e.g. \
         add_users_display_name"
    );
}
