//! ci.yml's rehearse job, run in a scratch git repository whose last commit stands for the pull
//! request. `cargo xtask rehearse` belongs to another issue and may not exist yet, so a stand-in
//! plays it: absent, passing or failing. What is under test is the job's own logic: which
//! migrations the pull request adds (not their down files), the version they go on top of, the
//! wait for the command, and the report in the summary. The real command's flags are checked
//! against the built binary by `commands` as soon as it has them.

use std::path::Path;
use std::process::Command;

use crate::runner::{self, Context, Job};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=authdb",
            "-c",
            "user.email=authdb@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository with 001 on the base branch and `added` in the pull request's commit.
fn repository(added: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    runner::copy(&crate::repo().join(".github"), &root.join(".github"));
    std::fs::create_dir(root.join("migrations")).unwrap();
    for name in ["001_create_users.sql", "001_create_users.down.sql"] {
        std::fs::write(root.join("migrations").join(name), "SELECT 1;\n").unwrap();
    }
    git(root, &["init", "--quiet"]);
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "base"]);
    std::fs::write(root.join("README.md"), "changed\n").unwrap();
    for name in added {
        std::fs::write(root.join("migrations").join(name), "SELECT 2;\n").unwrap();
    }
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "the pull request"]);
    dir
}

/// Runs the job with a stand-in xtask: `rehearse` absent, or answering with `exit`.
fn rehearse(repo: &Path, exit: Option<i32>) -> (Job, String) {
    let calls = repo.join("calls.txt");
    let stand_in = repo.join("xtask-stand-in");
    let present = match exit {
        None => "echo \"error: unrecognized subcommand 'rehearse'\" >&2; exit 2".to_string(),
        Some(code) => format!(
            "if [ \"$2\" = --help ]; then echo 'Usage: cargo xtask rehearse'; exit 0; fi\n\
             echo \"stand-in report: 002_add_locale blocked nothing\"; exit {code}"
        ),
    };
    std::fs::write(
        &stand_in,
        format!(
            "#!/bin/sh\necho \"$*\" >>'{}'\n{present}\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &stand_in,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut ctx = Context::new(repo, "pull_request");
    ctx.xtask = stand_in;
    let job = runner::run(&crate::workflow("ci.yml"), "rehearse", &ctx);
    let calls = std::fs::read_to_string(calls).unwrap_or_default();
    (job, calls)
}

const ADDED: [&str; 2] = ["002_add_locale.sql", "002_add_locale.down.sql"];

#[test]
fn without_the_command_the_job_says_so_and_passes() {
    let repo = repository(&ADDED);
    let (job, calls) = rehearse(repo.path(), None);
    assert!(!job.failed(), "{}", job.log());
    assert_eq!(calls, "rehearse --help\n");
    let summary = &job.summary;
    assert!(
        summary.contains(
            "Migrations this pull request adds, on top of version 1:\n\n- `migrations/002_add_locale.sql`\n\n"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("Not rehearsed: this checkout has no `cargo xtask rehearse` yet"),
        "{summary}"
    );
}

#[test]
fn with_the_command_it_rehearses_from_the_base_version_and_fails_with_it() {
    let repo = repository(&ADDED);
    let (job, calls) = rehearse(repo.path(), Some(0));
    assert!(!job.failed(), "{}", job.log());
    assert_eq!(calls, "rehearse --help\nrehearse --from 1\n");
    assert!(
        job.summary
            .contains("stand-in report: 002_add_locale blocked nothing"),
        "{}",
        job.summary
    );

    let (job, _) = rehearse(repo.path(), Some(1));
    assert!(job.failed(), "{}", job.log());
    assert!(
        job.step("Rehearse")
            .stdout
            .contains("::error title=rehearse::")
    );
}

#[test]
fn a_pull_request_without_a_new_migration_rehearses_nothing() {
    let repo = repository(&[]);
    let (job, calls) = rehearse(repo.path(), Some(0));
    assert!(!job.failed(), "{}", job.log());
    assert_eq!(calls, "");
    assert_eq!(
        job.summary,
        "This pull request adds no migration: nothing to rehearse.\n"
    );
}
