//! `cargo xtask bench`: every speed claim of the issues, measured against its baseline in one
//! run. It builds xtask and the `authdb-bench` runner in release mode, starts one throwaway
//! PostgreSQL container, and lets the runner time the built binary against it; the table goes to
//! bench/RESULTS.md.

use std::process::ExitCode;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::container::Container;
use crate::{cli, docker, project_root, test_db};

impl cli::Bench {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        let root = project_root();
        sh.change_dir(&root);
        docker::require(&sh)?;
        cmd!(sh, "psql --version")
            .quiet()
            .ignore_stdout()
            .run()
            .context("psql is the baseline of the migrate benchmark: install it (apt-get install postgresql-client)")?;
        let image = test_db::pick_image(&sh)?;
        cmd!(sh, "cargo build --quiet --release -p xtask -p authdb-bench").run()?;

        let container = Container::throwaway(&sh, &image)?;
        crate::block_on(container.connect())?;
        let server = container
            .url
            .strip_suffix("/postgres")
            .context("the container URL names its database")?;
        let bench = root.join("target/release/authdb-bench");
        let xtask = root.join("target/release/xtask");
        let migrations = root.join("migrations");
        let out = root.join("bench/RESULTS.md");
        sh.create_dir(root.join("bench"))?;
        let runs = self.runs.to_string();
        cmd!(
            sh,
            "{bench} --xtask {xtask} --migrations {migrations} --image {image} --runs {runs} --out {out}"
        )
        .env("AUTHDB_BENCH_SERVER", server)
        .run()?;
        println!("written to {}", out.display());
        Ok(ExitCode::SUCCESS)
    }
}
