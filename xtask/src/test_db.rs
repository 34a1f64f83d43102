//! `cargo xtask test-db`: the test suite against real PostgreSQL. It picks the image the tests
//! use (AUTHDB_POSTGRES_IMAGE, else the official image if it is here or can be pulled, else the
//! offline image, built if needed) and runs `cargo test` for the workspace.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Result, bail};
use xshell::Shell;

use crate::image::{self, OFFLINE_IMAGE};
use crate::{cli, docker, project_root};

/// What a machine with a registry uses; kept equal to `testdb::DEFAULT_IMAGE`.
const OFFICIAL_IMAGE: &str = "postgres:17-alpine";

impl cli::TestDb {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        sh.change_dir(project_root());
        docker::require(&sh)?;
        let image = pick_image(&sh)?;
        println!("testing against {image}");
        let tally = run_tests(&image, &self.cargo_test_args)?;
        // One closing line over all test binaries, for people and for CI logs.
        println!(
            "test-db: {} passed, {} failed, {} ignored",
            tally.passed, tally.failed, tally.ignored
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

#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
    success: bool,
}

/// Runs `cargo test --workspace`, passing its output through and adding up its
/// "test result:" lines. (A plain std Command: xshell cannot stream and read at once.)
fn run_tests(image: &str, args: &[String]) -> Result<Tally> {
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["test", "--workspace"])
        .args(args)
        .env("AUTHDB_POSTGRES_IMAGE", image)
        .current_dir(project_root())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut tally = Tally::default();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(result) = line.strip_prefix("test result: ") {
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
    tally.success = child.wait()?.success();
    Ok(tally)
}

pub(crate) fn pick_image(sh: &Shell) -> Result<String> {
    if let Ok(image) = std::env::var("AUTHDB_POSTGRES_IMAGE")
        && !image.is_empty()
    {
        if image == OFFLINE_IMAGE && !docker::has_image(sh, &image) {
            image::build(sh)?;
        } else if !docker::has_or_pulls(sh, &image) {
            bail!("AUTHDB_POSTGRES_IMAGE={image}: the image is not here and cannot be pulled");
        }
        return Ok(image);
    }
    if docker::has_or_pulls(sh, OFFICIAL_IMAGE) {
        return Ok(OFFICIAL_IMAGE.to_string());
    }
    println!(
        "{OFFICIAL_IMAGE} is not here and no registry supplies it: using the offline image {OFFLINE_IMAGE}"
    );
    if !docker::has_image(sh, OFFLINE_IMAGE) {
        image::build(sh)?;
    }
    Ok(OFFLINE_IMAGE.to_string())
}
