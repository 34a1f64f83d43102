//! `cargo xtask torture`: the torture suite (`xtask/tests/torture/`) run long. It builds the suite's
//! test binary once, picks the image as test-db does, and runs `--jobs` copies at once, each with
//! its own PostgreSQL container, its share of `--cases` and its own seed. A violation ends the
//! job with the smallest case it shrank to, printed as Rust for `regressions.rs`. Beside them runs
//! the general test on hostile inputs (`xtask/tests/cli/hostile/`), `--hostile-cases` long.
//! (`std::process::Command`: the jobs run at once; xshell runs one command to its end.)

use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::Shell;

use authdb_server::Docker;

use crate::{cli, project_root};

impl cli::Torture {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        sh.change_dir(project_root());
        let docker = Docker::connect(sh)?;
        authdb_server::interrupt::sweep(&docker, &mut |line| outln!("{line}"))?;
        let image = authdb_server::image::choose(&docker, &mut |line| outln!("{line}"))?;
        let mut args = vec![
            "test", "-p", "xtask", "--test", "torture", "--test", "cli", "--no-run",
        ];
        if self.release {
            args.push("--release");
        }
        let built = crate::cargo::executables(sh, &args, "the torture suite does not build")?;
        let binary_named = |name: &str| {
            built
                .iter()
                .find(|artifact| artifact.test && artifact.name == name)
                .map(|artifact| artifact.executable.clone())
                .with_context(|| format!("cargo built no {name} test binary"))
        };
        let (torture, cli) = (binary_named("torture")?, binary_named("cli")?);
        let jobs = self.jobs.min(self.cases);
        outln!(
            "torture: {} cases in {jobs} jobs from seed {} against {image}{}",
            self.cases,
            self.seed,
            if self.heavy { ", heavy" } else { "" }
        );
        let started = Instant::now();
        let hostile = (self.hostile_cases > 0)
            .then(|| {
                Command::new(&cli)
                    .args(["hostile", "--nocapture"])
                    .env(authdb_server::image::VARIABLE, &image)
                    .env("AUTHDB_HOSTILE_CASES", self.hostile_cases.to_string())
                    .env("AUTHDB_HOSTILE_SEED", self.seed.to_string())
                    .current_dir(project_root().join("xtask"))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .context("starting the general test on hostile inputs")
            })
            .transpose()?;
        let children = (0..jobs)
            .map(|job| {
                let cases = self.cases / jobs + u32::from(job < self.cases % jobs);
                Command::new(&torture)
                    .args(["every_guarantee", "--nocapture", "--test-threads", "1"])
                    .env(authdb_server::image::VARIABLE, &image)
                    .env("AUTHDB_TORTURE_CASES", cases.to_string())
                    .env(
                        "AUTHDB_TORTURE_SEED",
                        (self.seed + u64::from(job)).to_string(),
                    )
                    .env("AUTHDB_TORTURE_HEAVY", if self.heavy { "1" } else { "0" })
                    .current_dir(project_root().join("xtask"))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .context("starting the torture suite")
            })
            .collect::<Result<Vec<_>>>()?;
        let mut failed = 0;
        for child in children {
            let output = child.wait_with_output()?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            // The harness writes `test ... ` before a test's own output on the same line.
            let summary = stdout
                .lines()
                .find_map(|line| line.find("torture: ").map(|at| &line[at..]));
            match summary {
                Some(summary) if output.status.success() => outln!("{summary}"),
                _ => {
                    failed += 1;
                    out!("{stdout}");
                    err!("{}", String::from_utf8_lossy(&output.stderr));
                }
            }
        }
        if let Some(child) = hostile {
            let output = child.wait_with_output()?;
            if output.status.success() {
                outln!(
                    "hostile inputs: {} cases (seed {}), every command survived",
                    self.hostile_cases,
                    self.seed
                );
            } else {
                failed += 1;
                out!("{}", String::from_utf8_lossy(&output.stdout));
                err!("{}", String::from_utf8_lossy(&output.stderr));
            }
        }
        let minutes = started.elapsed().as_secs_f64() / 60.0;
        if failed > 0 {
            bail!("{failed} run(s) found a violation (above, with the smallest case)");
        }
        outln!(
            "torture: {} cases, 0 violations, in {minutes:.1} min",
            self.cases
        );
        Ok(ExitCode::SUCCESS)
    }
}
