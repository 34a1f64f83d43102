//! The promises the workflows make by their shape: every job has a timeout; a deploy never
//! overlaps another and never starts without the protected environment; CI calls `.ci/run`
//! rather than copying it, with a cache, and writes its summary even when the checks fail; the
//! reports of every migrate are kept.

use crate::yaml::{File, Node};

fn jobs(file: &File) -> &[(String, Node)] {
    file.root
        .value
        .get("jobs")
        .unwrap_or_else(|| panic!("{}: no jobs", file.path.display()))
        .value
        .entries()
}

fn str_at<'a>(node: &'a Node, keys: &[&str]) -> Option<&'a str> {
    node.value.at(keys).and_then(|n| n.value.str())
}

fn steps(job: &Node) -> &[Node] {
    job.value.get("steps").map_or(&[], |s| s.value.items())
}

#[test]
fn every_job_has_a_timeout() {
    for file in crate::all_files() {
        for (id, job) in file
            .root
            .value
            .get("jobs")
            .map_or(&[][..], |j| j.value.entries())
        {
            assert!(
                str_at(job, &["timeout-minutes"]).is_some(),
                "{}:{}: job {id} has no timeout-minutes (GitHub's default is 6 hours)",
                file.path.display(),
                job.referenced.line()
            );
        }
    }
}

#[test]
fn deploys_never_overlap_and_always_wait_for_the_protected_environment() {
    let file = crate::workflow("deploy-migrations.yml");
    let root = &file.root;
    let group =
        str_at(root, &["concurrency", "group"]).expect("a workflow-level concurrency group");
    assert!(
        !group.contains("${{"),
        "the concurrency group must be one constant for every run, not {group}"
    );
    assert_eq!(
        str_at(root, &["concurrency", "cancel-in-progress"]),
        Some("false")
    );
    let branches = root
        .value
        .at(&["on", "push", "branches"])
        .expect("on.push.branches");
    assert!(
        branches
            .value
            .items()
            .iter()
            .any(|b| b.value.str() == Some("main"))
    );
    let inputs = root
        .value
        .at(&["on", "workflow_dispatch", "inputs"])
        .expect("workflow_dispatch inputs");
    assert!(
        inputs.value.get("to").is_some(),
        "no `to` input for the rollback"
    );
    let options: Vec<_> = inputs
        .value
        .at(&["command", "options"])
        .expect("a `command` choice")
        .value
        .items()
        .iter()
        .filter_map(|o| o.value.str())
        .collect();
    assert_eq!(options, ["migrate", "rollback"]);
    let ids: Vec<&str> = jobs(&file).iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["migrate", "rollback-plan", "rollback"]);
    for (id, job) in jobs(&file) {
        assert_eq!(
            str_at(job, &["environment"]),
            Some("production"),
            "job {id} must run in the protected environment"
        );
    }
    assert_eq!(str_at(&jobs(&file)[2].1, &["needs"]), Some("rollback-plan"));
}

#[test]
fn the_database_secret_is_read_only_behind_the_protected_environment() {
    let mut reads = 0;
    for file in crate::all_files() {
        for (path, node) in file.scalars() {
            let text = node.value.str().unwrap_or_default();
            let Some(rest) = path.strip_prefix("jobs.") else {
                continue;
            };
            if !text.contains("secrets.DATABASE_URL") {
                continue;
            }
            reads += 1;
            let id = rest.split(['.', '[']).next().unwrap_or_default();
            let job = file
                .root
                .value
                .at(&["jobs", id])
                .expect("the job of a path");
            assert_eq!(
                str_at(job, &["environment"]),
                Some("production"),
                "{}:{}: job {id} reads secrets.DATABASE_URL outside the production environment",
                file.path.display(),
                node.referenced.line()
            );
        }
    }
    assert!(
        reads >= 3,
        "the deploy jobs no longer read secrets.DATABASE_URL"
    );
}

#[test]
fn ci_calls_ci_run_with_a_cache_and_always_writes_its_summary() {
    let file = crate::workflow("ci.yml");
    let checks = &jobs(&file)
        .iter()
        .find(|(id, _)| id == "checks")
        .expect("a checks job")
        .1;
    let runs: Vec<&str> = steps(checks)
        .iter()
        .filter_map(|s| str_at(s, &["run"]))
        .collect();
    assert_eq!(
        runs.iter().filter(|r| r.contains("bash .ci/run")).count(),
        1,
        "CI must call .ci/run once: {runs:#?}"
    );
    assert!(
        !runs
            .iter()
            .any(|r| r.contains("cargo clippy") || r.contains("cargo xtask test-db")),
        "CI copies a check of .ci/run instead of calling it"
    );
    for (id, job) in jobs(&file) {
        assert!(
            steps(job).iter().any(
                |s| str_at(s, &["uses"]).is_some_and(|u| u.starts_with("Swatinem/rust-cache@"))
            ),
            "job {id} builds without a cargo cache"
        );
    }
    let summary = steps(checks)
        .iter()
        .find(|s| str_at(s, &["run"]).is_some_and(|r| r.contains("summary.py tests")))
        .expect("a summary step");
    assert_eq!(str_at(summary, &["if"]), Some("always()"));
}

#[test]
fn every_migrate_keeps_its_reports_even_when_it_fails() {
    for name in ["deploy-migrations.yml", "neon-preview.yml"] {
        let file = crate::workflow(name);
        for (id, job) in jobs(&file) {
            let uses = |s: &Node, prefix: &str| {
                str_at(s, &["uses"]).is_some_and(|u| u.starts_with(prefix))
            };
            let migrates = steps(job).iter().any(|s| {
                uses(s, "./.github/actions/migrate-and-verify")
                    || str_at(s, &["run"])
                        .is_some_and(|r| r.contains("cargo xtask rollback --to \"$TO\" --yes"))
            });
            if !migrates {
                continue;
            }
            let upload = steps(job)
                .iter()
                .find(|s| uses(s, "actions/upload-artifact@"))
                .unwrap_or_else(|| panic!("{name}: job {id} keeps no artifact"));
            assert_eq!(
                str_at(upload, &["if"]),
                Some("always()"),
                "{name}: job {id}"
            );
            assert_eq!(
                str_at(upload, &["with", "path"]),
                Some("${{ runner.temp }}/authdb-reports/"),
                "{name}: job {id}"
            );
        }
    }
}
