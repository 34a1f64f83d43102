//! adopt as a user runs it against a database the old script built: the plan prints and changes
//! nothing, `--output` writes the script for review, `--apply` refuses without a terminal or
//! `--yes`, and once applied, `verify` passes.

use crate::{text, xtask};

fn run(args: &[&str]) -> (i32, String, String) {
    let cwd = tempfile::tempdir().unwrap();
    let output = xtask(cwd.path())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

#[tokio::test]
async fn plan_review_apply_then_verify() {
    let db = testdb::legacy::database(testdb::legacy::OBVIOUS).await;
    let dir = testdb::migrations_dir().display().to_string();
    let before = testdb::fingerprint(&db.connect().await).await;

    let script = tempfile::NamedTempFile::new().unwrap();
    let out = script.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&[
        "adopt",
        "--database-url",
        &db.url,
        "--migrations",
        &dir,
        "--output",
        out,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("ALTER INDEX idx_sessions_user_id RENAME TO sessions_user_id_idx"),
        "{stdout}"
    );
    assert!(
        stdout.contains("nothing was changed (run with --apply)"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(script.path()).unwrap();
    assert!(
        written.contains(
            "\nALTER TRIGGER update_users_updated_at ON users RENAME TO users_set_updated_at;\n"
        ),
        "{written}"
    );
    assert_eq!(testdb::fingerprint(&db.connect().await).await, before);

    let (code, stdout, stderr) = run(&[
        "adopt",
        "--database-url",
        &db.url,
        "--migrations",
        &dir,
        "--apply",
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("refusing to adopt without confirmation: there is no terminal to ask on"),
        "{stderr}"
    );
    assert_eq!(testdb::fingerprint(&db.connect().await).await, before);

    let (code, stdout, stderr) = run(&[
        "adopt",
        "--database-url",
        &db.url,
        "--migrations",
        &dir,
        "--apply",
        "--yes",
        "--json",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["ok"], true);
    assert!(
        body["adopted"]["statements"].as_u64().unwrap() > 10,
        "{body:#}"
    );

    let (code, stdout, stderr) = run(&["verify", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[tokio::test]
async fn a_database_that_cannot_be_reconciled_exits_1_and_names_the_rows() {
    let sql = testdb::legacy::OBVIOUS.replace(
        "expires_at TIMESTAMP WITH TIME ZONE NOT NULL",
        "expires_at TIMESTAMP WITH TIME ZONE",
    ) + "\nUPDATE sessions SET expires_at = NULL;";
    let db = testdb::legacy::database(&sql).await;
    let dir = testdb::migrations_dir().display().to_string();
    let (code, stdout, stderr) = run(&["adopt", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("cannot adopt: column sessions.expires_at must be NOT NULL and has no default, but 2 rows hold NULL"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 rows; list them with: SELECT * FROM sessions WHERE expires_at IS NULL"),
        "{stdout}"
    );
}

/// The database `baseline` sends a user to adopt: empty here. baseline says what differs and
/// points at adopt; adopt plans the whole schema, applies it, and verify passes.
#[tokio::test]
async fn an_empty_database_is_refused_by_baseline_and_built_by_adopt() {
    let db = testdb::empty_database().await;
    let dir = testdb::migrations_dir().display().to_string();
    let (code, stdout, stderr) =
        run(&["baseline", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("\ntable users: missing\n"), "{stdout}");
    assert!(
        stdout.contains("nothing was recorded: the schema differs from")
            && stdout.contains("`cargo xtask adopt` plans what brings it in line"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(&["adopt", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(". table users: missing (created empty)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("nothing was changed (run with --apply)"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(&[
        "adopt",
        "--database-url",
        &db.url,
        "--migrations",
        &dir,
        "--apply",
        "--yes",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = run(&["verify", "--database-url", &db.url, "--migrations", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}
