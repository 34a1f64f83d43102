//! A report nobody can receive never changes what the run did: every command, with stdout a pipe
//! whose reader is gone (`| head -1`, `| true`) and with stdout on a full disk (`> /dev/full`),
//! exits with its own code (what happened to the database), one line on stderr saying the report
//! is incomplete, and no panic (exit 101) or backtrace.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{text, xtask};

/// Where stdout goes.
#[derive(Debug, Clone, Copy)]
pub enum Sink {
    /// A pipe whose read end is closed: every write fails with EPIPE.
    ClosedPipe,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
}

pub const SINKS: [Sink; 2] = [Sink::ClosedPipe, Sink::Full];

impl Sink {
    pub fn stdout(self) -> Stdio {
        match self {
            Sink::ClosedPipe => {
                let (reader, writer) = std::io::pipe().unwrap();
                drop(reader);
                writer.into()
            }
            Sink::Full => File::options()
                .write(true)
                .open("/dev/full")
                .unwrap()
                .into(),
        }
    }
}

/// Runs `command` with stdout into `sink`; returns the exit code and stderr, after checking that
/// nothing crashed.
pub fn run_into(mut command: Command, sink: Sink) -> (i32, String) {
    let output = command
        .stdin(Stdio::null())
        .stdout(sink.stdout())
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    let code = output.status.code().unwrap_or(-1);
    assert_no_crash(code, &stderr, &format!("{command:?} into {sink:?}"));
    (code, stderr)
}

/// No panic, no abort, no backtrace: exit codes 0, 1 and 2 only.
pub fn assert_no_crash(code: i32, stderr: &str, what: &str) {
    assert!(
        [0, 1, 2].contains(&code),
        "{what}: exit code {code}\n{stderr}"
    );
    for sign in [
        "panicked",
        "RUST_BACKTRACE",
        "stack overflow",
        "fatal runtime error",
    ] {
        assert!(!stderr.contains(sign), "{what}: {sign}\n{stderr}");
    }
}

const INCOMPLETE: &str = "warning: the report on stdout is incomplete";

fn cmd(cwd: &Path, args: &[&str]) -> Command {
    let mut command = xtask(cwd);
    command.args(args);
    command
}

/// The database commands: the migrations are committed (exit 0) whatever became of the report.
#[tokio::test]
async fn database_commands_finish_their_work_whatever_happens_to_stdout() {
    let repo = testdb::migrations_dir();
    let dir = repo.to_str().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    for sink in SINKS {
        for json in [false, true] {
            let db = testdb::empty_database().await;
            let url = db.url.as_str();
            let mut args = vec!["migrate", "--database-url", url, "--migrations", dir];
            if json {
                args.push("--json");
            }
            let (code, stderr) = run_into(cmd(cwd.path(), &args), sink);
            assert_eq!(code, 0, "{sink:?} json={json}: {stderr}");
            assert!(stderr.contains(INCOMPLETE), "{sink:?}: {stderr}");
            assert!(
                stderr.contains("the command itself succeeded (exit code 0)"),
                "{stderr}"
            );
            let (_, applied) = crate::state(&db).await;
            assert!(applied >= 8, "{sink:?}: the migrations were not committed");

            let reads: &[&[&str]] = &[
                &["status"],
                &["verify"],
                &["migrate", "--dry-run"],
                &["rollback", "--dry-run"],
                &["seed"],
            ];
            for read in reads {
                let mut args = read.to_vec();
                args.extend(["--database-url", url]);
                if read[0] != "seed" {
                    args.extend(["--migrations", dir]);
                }
                if json {
                    args.push("--json");
                }
                let (code, stderr) = run_into(cmd(cwd.path(), &args), sink);
                assert_eq!(code, 0, "{args:?} into {sink:?}: {stderr}");
                assert!(stderr.contains(INCOMPLETE), "{args:?}: {stderr}");
            }
            let mut args = vec![
                "rollback",
                "--to",
                "6",
                "--yes",
                "--database-url",
                url,
                "--migrations",
                dir,
            ];
            if json {
                args.push("--json");
            }
            let (code, stderr) = run_into(cmd(cwd.path(), &args), sink);
            assert_eq!(code, 0, "{sink:?}: {stderr}");
            let client = db.connect().await;
            let version: i64 = client
                .query_one("SELECT max(version) FROM authdb_schema_migrations", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(version, 6, "{sink:?}: the rollback was not committed");

            // A failure too: the exit code is the error's, and stderr says why.
            let args = [
                "migrate",
                "--database-url",
                "postgres://u:p@127.0.0.1:1/db",
                "--migrations",
                dir,
                "--json",
            ];
            let (code, stderr) = run_into(cmd(cwd.path(), &args), sink);
            assert_eq!(code, 1, "{stderr}");
            assert!(stderr.contains("error: cannot connect"), "{stderr}");
            assert!(
                stderr.contains("the command failed as stderr says (exit code 1)"),
                "{stderr}"
            );
            // A usage error with --json writes its object to stdout too.
            let (code, stderr) = run_into(cmd(cwd.path(), &["status", "--bogus", "--json"]), sink);
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("a usage error (exit code 2)"), "{stderr}");
        }
    }
}

/// adopt and baseline on the databases they are for.
#[tokio::test]
async fn adopt_and_baseline_survive_a_closed_or_full_stdout() {
    let repo = testdb::migrations_dir();
    let dir = repo.to_str().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    for sink in SINKS {
        let legacy = testdb::legacy::database(testdb::legacy::OBVIOUS).await;
        let args = ["adopt", "--database-url", &legacy.url, "--migrations", dir];
        let (code, stderr) = run_into(cmd(cwd.path(), &args), sink);
        assert_eq!(code, 0, "{sink:?}: {stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");

        let db = testdb::migrated_database().await;
        db.connect()
            .await
            .batch_execute("DROP TABLE authdb_schema_migrations")
            .await
            .unwrap();
        let args = ["baseline", "--database-url", &db.url, "--migrations", dir];
        let (code, stderr) = run_into(cmd(cwd.path(), &args), sink);
        assert_eq!(code, 0, "{sink:?}: {stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");
        let (_, applied) = crate::state(&db).await;
        assert!(applied >= 8, "{sink:?}: baseline recorded nothing");
    }
}

/// The commands without a database: new, lint, hooks, pre-commit, dev, image, bench, test-db.
/// Those that would build or start something for minutes are run to their first output or
/// their first failure (cargo replaced by `false`), which is where they write.
#[test]
fn offline_commands_survive_a_closed_or_full_stdout() {
    let repo = testdb::migrations_dir();
    let dir = repo.to_str().unwrap();
    for sink in SINKS {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().to_str().unwrap();
        let (code, stderr) = run_into(
            cmd(folder.path(), &["new", "add_x", "--migrations", target]),
            sink,
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");
        assert!(folder.path().join("001_add_x.sql").is_file());
        assert!(folder.path().join("001_add_x.down.sql").is_file());

        for json in [false, true] {
            let mut args = vec!["lint", "--migrations", dir];
            if json {
                args.push("--json");
            }
            let (code, stderr) = run_into(cmd(folder.path(), &args), sink);
            assert_eq!(code, 0, "{stderr}");
            assert!(stderr.contains(INCOMPLETE), "{stderr}");
        }

        let git = tempfile::tempdir().unwrap();
        let init = Command::new("git")
            .args(["init", "--quiet"])
            .current_dir(git.path())
            .status()
            .unwrap();
        assert!(init.success());
        let (code, stderr) = run_into(cmd(git.path(), &["hooks", "install"]), sink);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");
        let (code, stderr) = run_into(cmd(git.path(), &["pre-commit"]), sink);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");

        let name = format!("authdb-output-test-{}", std::process::id());
        let (code, stderr) = run_into(cmd(git.path(), &["dev", "--stop", "--name", &name]), sink);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");

        let (code, stderr) = run_into(cmd(git.path(), &["image", "--postgres", "16"]), sink);
        assert_eq!(code, 1, "{stderr}");

        for command in ["test-db", "bench"] {
            let mut run = cmd(git.path(), &[command]);
            run.env("CARGO", "false")
                .env("AUTHDB_POSTGRES_IMAGE", testdb::image());
            let (code, stderr) = run_into(run, sink);
            assert_eq!(code, 1, "{command}: {stderr}");
            assert!(stderr.contains("error: "), "{command}: {stderr}");
        }
    }
}

/// snapshot and rehearse start a throwaway server; they write progress and their report too.
#[test]
fn snapshot_and_rehearse_survive_a_closed_or_full_stdout() {
    let repo = testdb::migrations_dir();
    let dir = repo.to_str().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    for sink in SINKS {
        let mut snapshot = cmd(cwd.path(), &["snapshot", "--check", "--migrations", dir]);
        snapshot.env("AUTHDB_POSTGRES_IMAGE", testdb::image());
        let (code, stderr) = run_into(snapshot, sink);
        assert_eq!(code, 0, "{sink:?}: {stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");

        let mut rehearse = cmd(
            cwd.path(),
            &[
                "rehearse",
                "--migrations",
                dir,
                "--from",
                "7",
                "--users",
                "10",
                "--baseline",
                "0.2",
            ],
        );
        rehearse.env("AUTHDB_POSTGRES_IMAGE", testdb::image());
        let (code, stderr) = run_into(rehearse, sink);
        assert_eq!(code, 0, "{sink:?}: {stderr}");
        assert!(stderr.contains(INCOMPLETE), "{stderr}");
    }
}
