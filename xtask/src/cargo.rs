//! Running cargo from inside `cargo xtask`. `cargo run` gives xtask the variables it gives every
//! binary it runs (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ...); a child cargo would inherit them,
//! and build scripts that track them (ring's tracks `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`) would
//! rebuild on every switch between the hook's clippy and a plain `cargo check`. The child gets
//! the environment a user's shell would give it.

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
