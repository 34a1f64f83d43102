//! `cargo xtask test-db`: the test suite against real PostgreSQL. It picks the image the tests
//! use (AUTHDB_POSTGRES_IMAGE, else the official image if it is here or can be pulled, else the
//! offline image, built if needed) and runs the workspace's test binaries side by side.

use std::process::ExitCode;

use anyhow::{Result, bail};
use xshell::Shell;

use authdb_server::{Docker, offline};

use crate::{cli, project_root, suite};

impl cli::TestDb {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        sh.change_dir(project_root());
        let docker = Docker::connect(&sh)?;
        // What test binaries killed outright left (Ctrl-C is handled by each binary's watchdog).
        authdb_server::interrupt::sweep(&docker, &mut |line| println!("{line}"))?;
        let image = authdb_server::image::choose(&docker, &mut |line| println!("{line}"))?;
        // The pooler tests' PgBouncer: no registry has it, so it is always built here.
        offline::ensure(&docker, authdb_server::image::PGBOUNCER, &mut |line| {
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
