//! `cargo xtask bench`: every speed claim of the issues, measured against its baseline in one
//! run. It builds xtask and the `authdb-bench` runner in release mode, starts one throwaway
//! PostgreSQL container, and lets the runner time the built binary against it; the table goes to
//! bench/RESULTS.md.

use std::process::ExitCode;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::{cli, project_root};
use authdb_server::Docker;

impl cli::Bench {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let root = project_root();
        sh.change_dir(&root);
        let docker = Docker::connect(sh)?;
        cmd!(sh, "psql --version")
            .quiet()
            .ignore_stdout()
            .run()
            .context("psql is the baseline of the migrate benchmark: install it (apt-get install postgresql-client)")?;
        let build = ["build", "--release", "-p", "xtask", "-p", "authdb-bench"];
        let built = crate::cargo::executables(sh, &build, "the benchmark does not build")?;
        let binary = |name: &str| {
            let built = built.iter().find(|a| a.name == name && a.kind == ["bin"]);
            built
                .map(|artifact| artifact.executable.clone())
                .with_context(|| format!("cargo built no `{name}` binary"))
        };
        let (bench, xtask) = (binary("authdb-bench")?, binary("xtask")?);

        let server = authdb_server::throwaway(&docker, "bench", &mut |line| outln!("{line}"))?;
        crate::block_on(server.connect("postgres"))?;
        let image = server.image.clone();
        let base = server.url("postgres");
        let base = base
            .strip_suffix("/postgres")
            .context("the server URL names its database")?;
        let migrations = root.join("migrations");
        let out = root.join("bench/RESULTS.md");
        sh.create_dir(root.join("bench"))?;
        let runs = self.runs.to_string();
        crate::cargo::echoed(cmd!(
            sh,
            "{bench} --xtask {xtask} --migrations {migrations} --image {image} --runs {runs} --out {out}"
        ))
        .env("AUTHDB_BENCH_SERVER", base)
        .run()?;
        outln!("written to {}", out.display());
        Ok(ExitCode::SUCCESS)
    }
}
