//! `cargo xtask hooks install`: a plain git pre-commit hook that runs `cargo xtask pre-commit`,
//! for those without the pre-commit framework (which reads `.pre-commit-config.yaml` instead).
//! It never replaces a hook someone else wrote unless told to, and recognises its own, so
//! installing again is always safe.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::cli;

/// The line that marks a hook as authdb's.
const MARKER: &str = "# authdb pre-commit hook";

const SCRIPT: &str = "#!/bin/sh
# authdb pre-commit hook, written by `cargo xtask hooks install`.
# Checks the staged tree (lint for migrations, fmt and clippy for Rust); skip it once with
# `git commit --no-verify`.
exec cargo xtask pre-commit
";

impl cli::Hooks {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        match self.command {
            cli::HooksCommand::Install(install) => install.run(sh),
        }
    }
}

impl cli::HooksInstall {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        // The repository of the current directory, like `pre-commit install`.
        let path = hook_path(sh)?;
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == SCRIPT => {
                outln!("{}: already installed", path.display());
                return Ok(ExitCode::SUCCESS);
            }
            Ok(existing) if !existing.contains(MARKER) && !self.force => bail!(
                "{} exists and was not written by authdb; merge `cargo xtask pre-commit` into it \
                 by hand, or replace it with `cargo xtask hooks install --force`",
                path.display()
            ),
            _ => {}
        }
        write_executable(&path, SCRIPT)?;
        outln!(
            "installed {}: every commit runs `cargo xtask pre-commit` (skip once with `git commit --no-verify`)",
            path.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Where git looks for the hook (worktrees and `core.hooksPath` included).
fn hook_path(sh: &Shell) -> Result<PathBuf> {
    let output = cmd!(sh, "git rev-parse --git-path hooks/pre-commit")
        .quiet()
        .ignore_status()
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!(
            "{} is not inside a git repository: run it from the clone",
            sh.current_dir().display()
        );
    }
    let path = String::from_utf8(output.stdout).context("git printed a non-UTF-8 path")?;
    Ok(sh.current_dir().join(path.trim()))
}

fn write_executable(path: &Path, text: &str) -> Result<()> {
    let context = || format!("cannot write {}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(context)?;
    }
    std::fs::write(path, text).with_context(context)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(context)?;
    }
    Ok(())
}
