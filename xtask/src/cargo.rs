//! Running cargo from inside `cargo xtask`. `cargo run` gives xtask the variables it gives every
//! binary it runs (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ...); a child cargo would inherit them,
//! and build scripts that track them (ring's tracks `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`) would
//! rebuild on every switch between the hook's clippy and a plain `cargo check`. The child gets
//! the environment a user's shell would give it.

use std::path::PathBuf;

use anyhow::Result;
use serde::Deserialize;
use xshell::{Cmd, Shell, cmd};

/// What `cargo run` sets for the binary it runs, and what a plain cargo never sees.
const SET_BY_CARGO_RUN: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_PKG_NAME",
    "CARGO_PKG_VERSION",
    "CARGO_PKG_VERSION_MAJOR",
    "CARGO_PKG_VERSION_MINOR",
    "CARGO_PKG_VERSION_PATCH",
    "CARGO_PKG_VERSION_PRE",
    "CARGO_PKG_AUTHORS",
    "CARGO_PKG_DESCRIPTION",
    "CARGO_PKG_HOMEPAGE",
    "CARGO_PKG_REPOSITORY",
    "CARGO_PKG_LICENSE",
    "CARGO_PKG_LICENSE_FILE",
    "CARGO_PKG_RUST_VERSION",
    "CARGO_PKG_README",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "OUT_DIR",
];

/// `cargo ARGS...` (the cargo that runs xtask, if it said which) in a clean environment.
pub fn cargo<'a>(sh: &'a Shell, args: &[&str]) -> Cmd<'a> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    SET_BY_CARGO_RUN
        .iter()
        .fold(cmd!(sh, "{cargo} {args...}"), |command, key| {
            command.env_remove(key)
        })
}

/// `command`, said on stderr as xshell would say it, but through `output.rs`: xshell's own echo
/// is a bare `eprintln!`, which panics when stderr is a closed pipe.
pub fn echoed(command: Cmd<'_>) -> Cmd<'_> {
    errln!("$ {command}");
    command.quiet()
}

/// What cargo built, as its JSON messages say: where a binary went is cargo's to say, wherever
/// `CARGO_TARGET_DIR`, `build.target-dir` or a profile put it.
pub struct Artifact {
    /// The crate part's name (a binary's, a test file's).
    pub name: String,
    /// "bin", "lib", "test"...
    pub kind: Vec<String>,
    pub src_path: PathBuf,
    /// Built as a test harness.
    pub test: bool,
    pub executable: PathBuf,
    pub manifest_path: PathBuf,
}

/// Runs `cargo ARGS... --message-format=json-render-diagnostics` and returns the executables it
/// built; `failed` is the error when it fails (the compiler's diagnostics reach the terminal).
pub fn executables(sh: &Shell, args: &[&str], failed: &str) -> Result<Vec<Artifact>> {
    let args = [args, &["--message-format=json-render-diagnostics"]].concat();
    let stdout = cargo(sh, &args)
        .quiet()
        .read()
        .map_err(|_| anyhow::anyhow!("{failed}"))?;
    Ok(stdout.lines().filter_map(artifact).collect())
}

/// One line of cargo's messages, if it is an executable built.
fn artifact(line: &str) -> Option<Artifact> {
    let message = serde_json::from_str::<Message>(line).ok()?;
    if message.reason != "compiler-artifact" {
        return None;
    }
    let unit = message.unit?;
    Some(Artifact {
        name: unit.name,
        kind: unit.kind,
        src_path: unit.src_path,
        test: message.profile?.test,
        executable: message.executable?,
        manifest_path: message.manifest_path?,
    })
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    /// Cargo's name for the crate part built (lib, test file, binary).
    #[serde(rename = "target")]
    unit: Option<Unit>,
    profile: Option<Profile>,
    executable: Option<PathBuf>,
    manifest_path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Unit {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

#[derive(Deserialize)]
struct Profile {
    test: bool,
}
