//! The GitHub workflows of `.github/`, checked here since GitHub itself cannot be run here:
//! valid against GitHub's schemas (`schema`), every `cargo xtask` command and flag they run exists
//! in the built binary (`commands`), secrets reach scripts only through `env:` (`secrets`), the
//! promises of their shape (`shape`), and their steps run for real by a small stand-in for
//! GitHub's runner (`runner`): the deploy against PostgreSQL (`deploy`), the Neon switch
//! (`neon`), the rehearse job (`rehearse`) and the CI summary (`summary`).

mod commands;
mod deploy;
mod neon;
mod rehearse;
mod runner;
mod schema;
mod secrets;
mod shape;
mod summary;
mod yaml;

use std::path::{Path, PathBuf};

use yaml::File;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

/// `.github/workflows/NAME`.
pub fn workflow(name: &str) -> File {
    load(&Path::new(".github/workflows").join(name))
}

/// Every workflow and every local action of `.github/`, sorted by path.
pub fn all_files() -> Vec<File> {
    let mut paths = Vec::new();
    for dir in [".github/workflows", ".github/actions"] {
        collect(&repo(), Path::new(dir), &mut paths);
    }
    paths.sort();
    assert!(
        paths.len() >= 4,
        "expected the three workflows and the migrate-and-verify action, found {paths:?}"
    );
    paths.iter().map(|p| load(p)).collect()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", dir.display()));
    for entry in entries {
        let name = dir.join(entry.unwrap().file_name());
        if root.join(&name).is_dir() {
            collect(root, &name, out);
        } else if name.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(name);
        }
    }
}

/// A file of the repository, by its path relative to the root.
pub fn load(path: &Path) -> File {
    let text = std::fs::read_to_string(repo().join(path))
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", path.display()));
    File::parse(path, text)
}
