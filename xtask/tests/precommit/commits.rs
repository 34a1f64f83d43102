//! The hook as a team meets it: real commits in a scratch repository whose pre-commit hook runs
//! the built binary's `pre-commit`. It judges exactly the tree being committed: a bad migration
//! staged and fixed only in the working tree is refused, and untracked or unstaged work in
//! progress cannot block an unrelated commit.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository with one recorded migration and a hook that runs this build's pre-commit.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    assert!(git(root, &["init", "--quiet"]).0);
    write(
        root,
        "migrations/001_create_t.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY);\n",
    );
    write(root, "migrations/001_create_t.down.sql", "DROP TABLE t;\n");
    write(root, "README.md", "scratch\n");
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let status = Command::new(xtask)
        .args(["lint", "--update-lock", "--migrations", "migrations"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success());
    let hook = root.join(".git/hooks/pre-commit");
    std::fs::write(&hook, format!("#!/bin/sh\nexec {xtask} pre-commit\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert!(git(root, &["add", "-A"]).0);
    let (ok, text) = git(root, &["commit", "--quiet", "-m", "first"]);
    assert!(ok, "{text}");
    dir
}

/// A new migration that lints clean, with its lock line.
fn good_migration(root: &Path) {
    write(
        root,
        "migrations/002_add_u.sql",
        "CREATE TABLE u (id bigint PRIMARY KEY);\n",
    );
    write(root, "migrations/002_add_u.down.sql", "DROP TABLE u;\n");
}

#[test]
fn a_bad_migration_staged_and_fixed_only_in_the_working_tree_is_refused() {
    let dir = repository();
    let root = dir.path();
    // Staged: an index that blocks writes on a table with rows.
    write(
        root,
        "migrations/002_index_t.sql",
        "CREATE INDEX t_id ON t (id);\n",
    );
    write(
        root,
        "migrations/002_index_t.down.sql",
        "DROP INDEX t_id;\n",
    );
    assert!(git(root, &["add", "migrations"]).0);
    // Fixed in the working tree only, and the lock updated and staged from the fixed files.
    write(
        root,
        "migrations/002_index_t.sql",
        "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
    );
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let status = Command::new(xtask)
        .args(["lint", "--update-lock", "--migrations", "migrations"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(git(root, &["add", "migrations/migrations.lock"]).0);

    let (ok, text) = git(root, &["commit", "--quiet", "-m", "index"]);
    assert!(!ok, "the staged, unsafe migration was committed:\n{text}");
    // The staged file is not what the staged lock records: the committed tree would fail lint.
    assert!(
        text.contains("migrations/002_index_t.sql:1:1: lock-edited"),
        "{text}"
    );
    assert!(text.contains("pre-commit: 1 of 1 checks failed"), "{text}");
    // Staging the fix lets it through.
    assert!(git(root, &["add", "migrations"]).0);
    let (ok, text) = git(root, &["commit", "--quiet", "-m", "index"]);
    assert!(ok, "{text}");
}

#[test]
fn untracked_or_unstaged_work_in_progress_does_not_block_an_unrelated_commit() {
    let dir = repository();
    let root = dir.path();
    // Untracked: a migration still holding `new`'s template.
    write(root, "migrations/002_wip.sql", "-- nothing yet\n");
    write(root, "migrations/002_wip.down.sql", "-- nothing yet\n");
    // Unstaged: an applied migration being edited.
    write(
        root,
        "migrations/001_create_t.sql",
        "CREATE TABLE t (id int);\n",
    );
    // Staged: an unrelated change.
    write(root, "README.md", "scratch, edited\n");
    assert!(git(root, &["add", "README.md"]).0);
    let (ok, text) = git(root, &["commit", "--quiet", "-m", "docs"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("pre-commit: nothing staged that authdb checks"),
        "{text}"
    );

    // A staged migration is linted alone, from the index: the untracked and unstaged files do
    // not count, and only lint runs.
    std::fs::remove_file(root.join("migrations/002_wip.sql")).unwrap();
    std::fs::remove_file(root.join("migrations/002_wip.down.sql")).unwrap();
    good_migration(root);
    let xtask = env!("CARGO_BIN_EXE_xtask");
    // Record the lock from the staged tree's point of view: the committed 001 and the new 002.
    assert!(
        git(
            root,
            &["stash", "push", "--quiet", "migrations/001_create_t.sql"]
        )
        .0
    );
    let status = Command::new(xtask)
        .args(["lint", "--update-lock", "--migrations", "migrations"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(git(root, &["stash", "pop", "--quiet"]).0);
    assert!(
        git(
            root,
            &[
                "add",
                "migrations/002_add_u.sql",
                "migrations/002_add_u.down.sql",
                "migrations/migrations.lock"
            ]
        )
        .0
    );
    let (ok, text) = git(root, &["commit", "--quiet", "-m", "u"]);
    assert!(ok, "{text}");
    assert!(text.contains("ok      cargo xtask lint"), "{text}");
    assert!(
        !text.contains("clippy"),
        "a migration-only commit ran clippy:\n{text}"
    );
}
