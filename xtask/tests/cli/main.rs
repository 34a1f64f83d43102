//! The built `cargo xtask` binary against real PostgreSQL: what a user sees, exit codes, and the
//! guarantees that only separate processes can show (concurrent deploys, a killed migrator).
//! One container for this binary (see the `testdb` crate), one database per test.

mod adopt;
mod advice;
mod backfill;
mod bad_input;
mod connect;
mod containers;
mod crash;
mod guarantees;
mod hostile;
mod json;
mod messages;
mod new;
mod output;
mod phases;
mod pooler;
mod processes;
mod rehearse;
mod rename;
mod rename_load;
mod retype;
mod secrets;
mod seed;
mod timings;
mod verify;

use std::path::Path;
use std::process::{Command, Output};

/// The password every test URL carries, so that every test can check it never leaks.
pub const PASSWORD: &str = "postgres";

/// The xtask binary, run from an empty directory (so no `.env` is found) with no database URL in
/// its environment.
pub fn xtask(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("NEON_DB_URL")
        .env_remove("AUTHDB_LOCK_TIMEOUT")
        .env_remove("AUTHDB_STATEMENT_TIMEOUT")
        .env_remove("AUTHDB_LOCK_WAIT")
        .env_remove("AUTHDB_ALLOW_INSECURE");
    command
}

/// Runs xtask with `args` from an empty directory, without a terminal: exit code, stdout, stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let cwd = tempfile::tempdir().unwrap();
    let output = xtask(cwd.path())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

/// [`run`] with `--database-url URL --migrations DIR` after `args`.
pub fn run_on(url: &str, dir: &str, args: &[&str]) -> (i32, String, String) {
    let all: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--database-url", url, "--migrations", dir])
        .collect();
    run(&all)
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A migrations folder holding exactly these files.
pub fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// The user tables of the database, with the tracking table's row count (-1: no such table):
/// "the database unchanged" means this is equal before and after.
pub async fn state(db: &testdb::TestDb) -> (Vec<String>, i64) {
    let client = db.connect().await;
    let tables = testdb::tables(&client).await;
    let tracked: bool = client
        .query_one(
            "SELECT to_regclass('authdb_schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let applied = match tracked {
        false => -1,
        true => client
            .query_one("SELECT count(*) FROM authdb_schema_migrations", &[])
            .await
            .unwrap()
            .get(0),
    };
    (tables, applied)
}
