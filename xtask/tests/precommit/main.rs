//! The built `cargo xtask` binary's offline commands, the ones the pre-commit hook relies on:
//! `lint` (output, exit codes, --json, --update-lock) and `hooks install`. No database needed.

mod commits;
mod hooks;
mod lint;
mod root;

use std::path::Path;
use std::process::{Command, Output};

pub fn xtask(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.current_dir(cwd);
    command
}

/// Exit code, stdout and stderr.
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}
