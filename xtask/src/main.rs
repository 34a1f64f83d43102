//! `cargo xtask`: the command line of authdb. It parses arguments, prints, and calls into the
//! `authdb` library; nothing here talks to PostgreSQL itself.

#[macro_use]
mod output;

mod adopt;
mod baseline;
mod bench;
mod cargo;
mod cli;
mod database;
mod dev;
mod docs;
mod failure;
mod hooks;
mod human;
mod image;
mod lint;
mod migrate;
mod new;
mod pre_commit;
mod rehearse;
mod rollback;
mod seed;
mod snapshot;
mod staged;
mod status;
mod test_db;
#[cfg(test)]
mod tidy;
mod torture;
mod verify;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return output::finish(failure::usage(error, &args)),
    };
    let json = cli.command.json();
    let sh = match xshell::Shell::new() {
        Ok(sh) => sh,
        Err(error) => return output::finish(failure::error(&error.into(), &args, json)),
    };
    let result = match cli.command {
        cli::Command::New(flags) => flags.run(&sh),
        cli::Command::Migrate(flags) => flags.run(&sh),
        cli::Command::Status(flags) => flags.run(&sh),
        cli::Command::Rollback(flags) => flags.run(&sh),
        cli::Command::Seed(flags) => flags.run(&sh),
        cli::Command::Dev(flags) => flags.run(&sh),
        cli::Command::Verify(flags) => flags.run(&sh),
        cli::Command::Adopt(flags) => flags.run(&sh),
        cli::Command::Baseline(flags) => flags.run(&sh),
        cli::Command::Snapshot(flags) => flags.run(&sh),
        cli::Command::Lint(flags) => flags.run(&sh),
        cli::Command::PreCommit(flags) => flags.run(&sh),
        cli::Command::Hooks(flags) => flags.run(&sh),
        cli::Command::Bench(flags) => flags.run(&sh),
        cli::Command::Image(flags) => flags.run(&sh),
        cli::Command::TestDb(flags) => flags.run(&sh),
        cli::Command::Torture(flags) => flags.run(&sh),
        cli::Command::Rehearse(flags) => flags.run(&sh),
        cli::Command::Docs(flags) => flags.run(&sh),
    };
    output::finish(match result {
        Ok(code) => code,
        Err(error) => failure::error(&error, &args, json),
    })
}

/// The checkout xtask works on, found at run time as cargo finds a workspace: the nearest
/// directory at or above the current one that holds `Cargo.toml` and `xtask/Cargo.toml`; failing
/// that, the one `cargo run` named when it started xtask. Never the directory xtask was built in:
/// with a shared or copied target directory that can be another clone.
pub fn project_root() -> PathBuf {
    let is_root =
        |dir: &Path| dir.join("Cargo.toml").is_file() && dir.join("xtask/Cargo.toml").is_file();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Some(root) = cwd.ancestors().find(|dir| is_root(dir)) {
        return root.to_path_buf();
    }
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .and_then(|xtask| xtask.parent().map(Path::to_path_buf))
        .filter(|dir| is_root(dir))
        .unwrap_or(cwd)
}

/// The migrations folder: the flag, or the workspace's own, shown relative to the current
/// directory when it is below it so that messages read `migrations/001_x.sql:3:5`.
pub fn migrations_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    let dir = project_root().join("migrations");
    match std::env::current_dir() {
        Ok(cwd) => dir
            .strip_prefix(&cwd)
            .map_or(dir.clone(), Path::to_path_buf),
        Err(_) => dir,
    }
}

/// A current-thread runtime: each command is one sequential conversation with the server.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime always builds")
        .block_on(future)
}
