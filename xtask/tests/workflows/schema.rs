//! The workflows and the local action are valid against GitHub's own schemas, as vendored by
//! check-jsonschema (from PyPI; `.ci/run` installs it). Missing, it fails the test with the
//! command that installs it: a check that cannot run must not pass.

use std::path::PathBuf;
use std::process::{Command, Output};

/// `check-jsonschema --builtin-schema SCHEMA FILES...`, through the Python module so that it
/// is found wherever pip put it.
fn check_jsonschema(schema: &str, files: &[PathBuf]) -> Output {
    let output = Command::new("python3")
        .args(["-m", "check_jsonschema", "--builtin-schema", schema])
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): check-jsonschema needs Python 3 with pip")
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named check_jsonschema"),
        "check-jsonschema is not installed: run `python3 -m pip install check-jsonschema` \
         (`.ci/run` does it on a fresh machine), then run the tests again"
    );
    output
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_workflows_and_the_action_are_valid_against_githubs_schemas() {
    let files = crate::all_files();
    let (actions, workflows): (Vec<_>, Vec<_>) = files
        .iter()
        .map(|f| crate::repo().join(&f.path))
        .partition(|p| p.starts_with(crate::repo().join(".github/actions")));
    assert!(!actions.is_empty() && workflows.len() >= 3);
    for (schema, files) in [
        ("vendor.github-workflows", &workflows),
        ("vendor.github-actions", &actions),
    ] {
        let output = check_jsonschema(schema, files);
        assert!(output.status.success(), "{schema}: {}", text(&output));
    }
}

#[test]
fn the_schema_check_rejects_what_github_would_reject() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    // No runs-on, and a timeout that is not a number.
    std::fs::write(
        &bad,
        "on: push\njobs:\n  deploy:\n    timeout-minutes: soon\n    steps:\n      - run: echo hi\n",
    )
    .unwrap();
    let output = check_jsonschema("vendor.github-workflows", &[bad]);
    assert!(!output.status.success(), "accepted: {}", text(&output));
    assert!(text(&output).contains("$.jobs.deploy"), "{}", text(&output));
}
