//! The workspace's test binaries, built once and run side by side. `cargo test` runs binaries one
//! after another; each of ours starts its own PostgreSQL container and spends most of its time
//! waiting on it, so running them at once makes the suite take as long as its slowest binary.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::project_root;

/// The counts from every binary's "test result:" line.
#[derive(Debug, Default)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    /// Every binary exited 0.
    pub success: bool,
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
pub fn run(image: &str, args: &[String]) -> Result<Tally> {
    let binaries = build()?;
    let started = Instant::now();
    let children: Vec<_> = binaries
        .iter()
        .map(|binary| {
            Command::new(&binary.executable)
                .args(args)
                .env("AUTHDB_POSTGRES_IMAGE", image)
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
    println!(
        "---- {} (done after {:.1} s)",
        binary.label,
        started.elapsed().as_secs_f64()
    );
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
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

#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<Target>,
    profile: Option<Profile>,
    executable: Option<PathBuf>,
    manifest_path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

#[derive(Deserialize)]
struct Profile {
    test: bool,
}

/// `cargo test --no-run`, reading the executables from its JSON messages.
fn build() -> Result<Vec<TestBinary>> {
    let sh = xshell::Shell::new()?;
    sh.change_dir(project_root());
    let args = [
        "test",
        "--workspace",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ];
    // Its messages on stdout; the compiler's diagnostics reach the terminal on stderr.
    let stdout = crate::cargo::cargo(&sh, &args)
        .quiet()
        .read()
        .map_err(|_| anyhow::anyhow!("the tests do not build"))?;
    let mut binaries = Vec::new();
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<Message>(line) else {
            continue;
        };
        let (Some(target), Some(profile), Some(executable), Some(manifest)) = (
            message.target,
            message.profile,
            message.executable,
            message.manifest_path,
        ) else {
            continue;
        };
        if message.reason != "compiler-artifact" || !profile.test {
            continue;
        }
        let cwd = manifest.parent().unwrap_or(&project_root()).to_path_buf();
        let kind = target.kind.join(",");
        let file = target
            .src_path
            .strip_prefix(&cwd)
            .unwrap_or(&target.src_path)
            .display()
            .to_string();
        binaries.push(TestBinary {
            label: format!("{} ({kind}, {file})", target.name),
            executable,
            cwd,
        });
    }
    Ok(binaries)
}
