//! `cargo xtask hooks install` in a scratch git repository.

use std::path::{Path, PathBuf};

use crate::{run, xtask};

fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn hook(dir: &Path) -> PathBuf {
    dir.join(".git/hooks/pre-commit")
}

#[test]
fn install_writes_an_executable_hook_that_runs_pre_commit() {
    let dir = repository();
    let (code, out, err) = run(xtask(dir.path()).args(["hooks", "install"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("installed "), "{out}");
    assert!(out.contains("git commit --no-verify"), "{out}");
    let text = std::fs::read_to_string(hook(dir.path())).unwrap();
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(text.ends_with("\nexec cargo xtask pre-commit\n"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(hook(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
    }

    // Its own hook is recognised: installing again is fine.
    let (code, out, _) = run(xtask(dir.path()).args(["hooks", "install"]));
    assert_eq!(code, 0);
    assert!(out.ends_with(": already installed\n"), "{out}");
}

#[test]
fn install_refuses_to_replace_a_foreign_hook_unless_forced() {
    let dir = repository();
    let foreign = "#!/bin/sh\nmake check\n";
    std::fs::write(hook(dir.path()), foreign).unwrap();
    let (code, out, err) = run(xtask(dir.path()).args(["hooks", "install"]));
    assert_eq!(code, 1, "{out}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.ends_with(
            "pre-commit exists and was not written by authdb; merge `cargo xtask pre-commit` into it \
             by hand, or replace it with `cargo xtask hooks install --force`\n"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(hook(dir.path())).unwrap(), foreign);

    let (code, out, err) = run(xtask(dir.path()).args(["hooks", "install", "--force"]));
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(hook(dir.path())).unwrap();
    assert!(text.contains("cargo xtask pre-commit"), "{text}");
}

#[test]
fn install_outside_a_repository_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(xtask(dir.path())
        .args(["hooks", "install"])
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap()));
    assert_eq!(code, 1);
    assert!(
        err.ends_with("is not inside a git repository: run it from the clone\n"),
        "{err}"
    );
}
