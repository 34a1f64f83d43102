//! `cargo xtask bench`: every speed claim of the issues, measured against its baseline in one
//! run. It builds xtask and the `authdb-bench` runner in release mode, starts one throwaway
//! PostgreSQL container, and lets the runner time the built binary against it; the table goes to
//! bench/RESULTS.md. sqlx-cli, the peer baseline, is installed when missing into the target
//! directory (`bench-tools`), never onto the user's PATH; a machine where it cannot be installed
//! gets the other rows and a line saying why.

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
        // <target>/release/xtask: the tools go beside the profiles.
        let target = xtask
            .parent()
            .and_then(|release| release.parent())
            .context("the built xtask is in a target directory")?;
        let sqlx = sqlx_cli(sh, &target.join("bench-tools"));

        let server = authdb_server::throwaway(&docker, "bench", &mut |line| outln!("{line}"))?;
        crate::block_on(server.connect("postgres"))?;
        let image = server.image.clone();
        let base = server.url("postgres");
        let base = base
            .strip_suffix("/postgres")
            .context("the server URL names its database")?;
        let migrations = root.join("migrations");
        // A partial run does not overwrite the page of a full one.
        let out = match &self.only {
            Some(group) => target.join(format!("bench-{group}.md")),
            None => root.join("bench/RESULTS.md"),
        };
        sh.create_dir(root.join("bench"))?;
        let runs = self.runs.to_string();
        let mut extra: Vec<String> = Vec::new();
        match sqlx {
            Ok(path) => extra.extend(["--sqlx".into(), path.display().to_string()]),
            Err(why) => extra.extend(["--no-sqlx-because".into(), why]),
        }
        if let Some(group) = &self.only {
            extra.extend(["--only".into(), group.clone()]);
        }
        crate::cargo::echoed(cmd!(
            sh,
            "{bench} --xtask {xtask} --migrations {migrations} --image {image} --runs {runs} --out {out} {extra...}"
        ))
        .env("AUTHDB_BENCH_SERVER", base)
        .run()?;
        outln!("written to {}", out.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// The sqlx-cli version the peer rows are measured against.
const SQLX_CLI: &str = "0.9.0";

/// sqlx-cli's binary under `root`, installed there first when missing; why not, when it cannot be
/// (no network, a compiler error): the bench goes on without those rows.
fn sqlx_cli(sh: &Shell, root: &std::path::Path) -> std::result::Result<std::path::PathBuf, String> {
    let binary = root.join("bin").join("sqlx");
    if binary.is_file() {
        return Ok(binary);
    }
    errln!(
        "installing sqlx-cli {SQLX_CLI} into {} (the peer baseline; a few minutes, once)",
        root.display()
    );
    let install = crate::cargo::cargo(
        sh,
        &[
            "install",
            "sqlx-cli",
            "--version",
            SQLX_CLI,
            "--no-default-features",
            "--features",
            "postgres,rustls",
            "--locked",
            "--root",
        ],
    )
    .arg(root)
    .quiet()
    .run();
    match install {
        Ok(()) if binary.is_file() => Ok(binary),
        Ok(()) => Err(format!(
            "`cargo install sqlx-cli` left no {}",
            binary.display()
        )),
        Err(e) => {
            let why = format!("`cargo install sqlx-cli --version {SQLX_CLI}` failed: {e}");
            errln!("{why}; the rows against sqlx-cli are left out");
            Err(why)
        }
    }
}
