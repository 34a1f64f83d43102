//! `cargo xtask test-db`: the test suite against real PostgreSQL. It picks the image the tests
//! use (AUTHDB_POSTGRES_IMAGE, else the official image if it is here or can be pulled, else the
//! offline image, built if needed) and runs the workspace's test binaries side by side.

use std::process::ExitCode;

use anyhow::{Result, bail};
use xshell::Shell;

use crate::image::{self, OFFLINE_IMAGE};
use crate::{cli, docker, project_root, suite};

/// What a machine with a registry uses; kept equal to `testdb::DEFAULT_IMAGE`.
const OFFICIAL_IMAGE: &str = "postgres:17-alpine";

impl cli::TestDb {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        sh.change_dir(project_root());
        docker::require(&sh)?;
        let image = pick_image(&sh)?;
        // The pooler tests' PgBouncer: no registry has it, so it is always built here.
        image::ensure_pgbouncer(&sh)?;
        println!("testing against {image}");
        let tally = suite::run(&image, &self.test_args)?;
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

pub(crate) fn pick_image(sh: &Shell) -> Result<String> {
    if let Ok(image) = std::env::var("AUTHDB_POSTGRES_IMAGE")
        && !image.is_empty()
    {
        if !image::ensure_offline(sh, &image)? && !docker::has_or_pulls(sh, &image) {
            bail!("AUTHDB_POSTGRES_IMAGE={image}: the image is not here and cannot be pulled");
        }
        return Ok(image);
    }
    if docker::has_or_pulls(sh, OFFICIAL_IMAGE) {
        return Ok(OFFICIAL_IMAGE.to_string());
    }
    eprintln!(
        "{OFFICIAL_IMAGE} is not here and no registry supplies it: using the offline image {OFFLINE_IMAGE}"
    );
    if !docker::has_image(sh, OFFLINE_IMAGE) {
        image::build(sh)?;
    }
    Ok(OFFLINE_IMAGE.to_string())
}
