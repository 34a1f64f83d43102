//! `cargo xtask test-db`: the test suite against real PostgreSQL. It picks the image the tests
//! use (AUTHDB_POSTGRES_IMAGE, else the official image if it is here or can be pulled, else the
//! offline image, built if needed) and runs the workspace's test binaries side by side.
//!
//! Side by side because `cargo test` runs binaries one after another; each of ours starts its own
//! PostgreSQL container and spends most of its time waiting on it, so running them at once makes
//! the suite take as long as its slowest binary.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Output, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::Shell;

use authdb_server::{Docker, offline};

use crate::{cli, project_root};

impl cli::TestDb {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        sh.change_dir(project_root());
        let docker = Docker::connect(sh)?;
        // What test binaries killed outright left (Ctrl-C is handled by each binary's watchdog).
        authdb_server::interrupt::sweep(&docker, &mut |line| outln!("{line}"))?;
        let image = authdb_server::image::choose(&docker, &mut |line| outln!("{line}"))?;
        // The pooler tests' PgBouncer: no registry has it, so it is always built here.
        offline::ensure(&docker, authdb_server::image::PGBOUNCER, &mut |line| {
            outln!("{line}")
        })?;
        outln!("testing against {image}");
        let tally = run_binaries(sh, &image, &self.test_args)?;
        // One closing line over all test binaries, for people and for CI logs.
        outln!(
            "test-db: {} passed, {} failed, {} ignored",
            tally.passed,
            tally.failed,
            tally.ignored
        );
        if !tally.success {
            bail!("the tests failed");
        }
        if tally.passed == 0 {
            bail!("no test ran: check the filter");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The counts from every binary's "test result:" line.
#[derive(Debug, Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
    /// Every binary exited 0.
    success: bool,
}

/// A test executable as cargo reports it.
struct TestBinary {
    /// "authdb tests/postgres", for the log.
    label: String,
    executable: PathBuf,
    /// Where cargo test would run it: its package's directory.
    cwd: PathBuf,
}

/// Builds the tests, runs every binary at once with `args` (filters, `--nocapture`) and the
/// image in `AUTHDB_POSTGRES_IMAGE`, prints each one's output as it finishes, and adds up.
/// (`std::process::Command`: xshell runs one command to its end, and these must run at once.)
fn run_binaries(sh: &Shell, image: &str, args: &[String]) -> Result<Tally> {
    let binaries = build(sh)?;
    let started = Instant::now();
    let children: Vec<_> = binaries
        .iter()
        .map(|binary| {
            Command::new(&binary.executable)
                .args(args)
                .env(authdb_server::image::VARIABLE, image)
                .current_dir(&binary.cwd)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .with_context(|| format!("starting {}", binary.executable.display()))
        })
        .collect::<Result<_>>()?;
    let mut tally = Tally {
        success: true,
        ..Tally::default()
    };
    for (binary, child) in binaries.iter().zip(children) {
        let output = child.wait_with_output()?;
        report(binary, &output, started, &mut tally);
    }
    Ok(tally)
}

fn report(binary: &TestBinary, output: &Output, started: Instant, tally: &mut Tally) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    outln!(
        "---- {} (done after {:.1} s)",
        binary.label,
        started.elapsed().as_secs_f64()
    );
    out!("{stdout}");
    err!("{}", String::from_utf8_lossy(&output.stderr));
    tally.success &= output.status.success();
    for line in stdout.lines() {
        let Some(result) = line.strip_prefix("test result: ") else {
            continue;
        };
        for part in result.split([';', '.']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (words.next(), words.next()) {
                let n: u64 = n.parse().unwrap_or(0);
                match what {
                    "passed" => tally.passed += n,
                    "failed" => tally.failed += n,
                    "ignored" => tally.ignored += n,
                    _ => {}
                }
            }
        }
    }
}

/// `cargo test --no-run`: the test executables it built.
fn build(sh: &Shell) -> Result<Vec<TestBinary>> {
    let args = ["test", "--workspace", "--no-run"];
    let built = crate::cargo::executables(sh, &args, "the tests do not build")?;
    Ok(built
        .into_iter()
        .filter(|artifact| artifact.test)
        .map(|artifact| {
            let cwd = artifact
                .manifest_path
                .parent()
                .unwrap_or(&project_root())
                .to_path_buf();
            let kind = artifact.kind.join(",");
            let file = artifact
                .src_path
                .strip_prefix(&cwd)
                .unwrap_or(&artifact.src_path)
                .display()
                .to_string();
            TestBinary {
                label: format!("{} ({kind}, {file})", artifact.name),
                executable: artifact.executable,
                cwd,
            }
        })
        .collect())
}
