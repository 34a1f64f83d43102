//! `cargo xtask test-db`: the test suite against real PostgreSQL. It picks the image the tests
//! use (AUTHDB_POSTGRES_IMAGE, else the official image if it is here or can be pulled, else the
//! offline image, built if needed) and runs the workspace's test binaries side by side.

use std::process::ExitCode;

use anyhow::{Result, bail};
use xshell::Shell;

use crate::{cli, docker, project_root, suite};

impl cli::TestDb {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        sh.change_dir(project_root());
        docker::require(&sh)?;
        let image = pick_image(&sh)?;
        // The pooler tests' PgBouncer: no registry has it, so it is always built here.
        let docker = authdb_server::Docker::connect(&sh)?;
        authdb_server::offline::ensure(&docker, authdb_server::image::PGBOUNCER, &mut |line| {
            println!("{line}")
        })?;
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

/// The PostgreSQL image of the tests and of every throwaway server (see
/// `authdb_server::image::choose`).
pub(crate) fn pick_image(sh: &Shell) -> Result<String> {
    let docker = authdb_server::Docker::connect(sh)?;
    Ok(authdb_server::image::choose(&docker, &mut |line| {
        println!("{line}")
    })?)
}
