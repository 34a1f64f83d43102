//! ci.yml's job summary (`.github/scripts/summary.py`): lint's findings from the real
//! `cargo xtask lint --json`, one row and one pull-request annotation each; and the tally of each
//! `cargo xtask test-db` run in `.ci/run`'s log, with the names of the failed tests.

use std::path::Path;
use std::process::Command;

/// Runs a section of summary.py; its summary markdown and its stdout (the annotations).
fn summary(args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.md");
    let output = Command::new("python3")
        .arg(crate::repo().join(".github/scripts/summary.py"))
        .args(args)
        .env("GITHUB_STEP_SUMMARY", &file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    (
        std::fs::read_to_string(file).unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn lint(folder: &Path, out: &Path) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["lint", "--json", "--migrations"])
        .arg(folder)
        .output()
        .unwrap();
    let json = out.join("lint.json");
    let stderr = out.join("lint.stderr");
    std::fs::write(&json, &output.stdout).unwrap();
    std::fs::write(&stderr, &output.stderr).unwrap();
    let status = output.status.code().unwrap().to_string();
    summary(&[
        "lint",
        &json.to_string_lossy(),
        &stderr.to_string_lossy(),
        &status,
    ])
}

#[test]
fn lint_findings_become_rows_and_annotations_on_the_file() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("001_create_t.sql"),
        "CREATE TABLE t (id serial PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("001_create_t.down.sql"),
        "DROP TABLE t;\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (markdown, annotations) = lint(folder.path(), out.path());
    let file = folder.path().join("001_create_t.sql").display().to_string();
    assert!(
        markdown.starts_with("## Lint (`cargo xtask lint`)\n\n2 files, 2 statements: **"),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("| `{file}:1:20` | `prefer-identity` | ")),
        "{markdown}"
    );
    assert!(
        annotations.contains(&format!(
            "::error file={file},line=1,col=20,title=lint prefer-identity::"
        )),
        "{annotations}"
    );
    // As many rows as lint's own count of findings.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("lint.json")).unwrap())
            .unwrap();
    let findings = json["findings"].as_array().unwrap().len();
    assert!(findings >= 2, "{json}");
    assert_eq!(markdown.matches("\n| `").count(), findings, "{markdown}");
}

#[test]
fn a_clean_folder_and_a_lint_that_could_not_run_read_as_such() {
    // One safe migration, recorded in the lock.
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("001_create_t.sql"),
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("001_create_t.down.sql"),
        "DROP TABLE t;\n",
    )
    .unwrap();
    let recorded = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["lint", "--update-lock", "--migrations"])
        .arg(folder.path())
        .output()
        .unwrap();
    assert!(recorded.status.success(), "{recorded:?}");
    let out = tempfile::tempdir().unwrap();
    let (markdown, annotations) = lint(folder.path(), out.path());
    assert_eq!(
        markdown,
        "## Lint (`cargo xtask lint`)\n\n2 files, 2 statements: no findings.\n\n"
    );
    assert_eq!(annotations, "");

    let missing = out.path().join("no-such-folder");
    let (markdown, annotations) = lint(&missing, out.path());
    assert!(
        markdown.contains("lint did not run to the end (exit code 1): ")
            && markdown.contains("no-such-folder"),
        "{markdown}"
    );
    assert!(
        annotations.starts_with("::error title=lint::"),
        "{annotations}"
    );
}

#[test]
fn each_test_db_run_of_the_log_is_tallied_with_its_failed_tests() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ci-run.log");
    std::fs::write(
        &log,
        "testing against authdb/postgres:15\n\
         ---- authdb (test, tests/postgres/main.rs) (done after 9.1 s)\n\
         test migrate::fresh ... ok\n\
         test verify::a_dropped_index_is_reported ... FAILED\n\
         test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n\
         test-db: 311 passed, 1 failed, 2 ignored\n\
         testing against postgres:17-alpine\n\
         test-db: 312 passed, 0 failed, 2 ignored\n",
    )
    .unwrap();
    let (markdown, annotations) = summary(&["tests", &log.to_string_lossy()]);
    assert_eq!(
        markdown,
        "## Tests (`cargo xtask test-db`)\n\n\
         | PostgreSQL image | passed | failed | ignored |\n|---|---|---|---|\n\
         | `authdb/postgres:15` | 311 | 1 | 2 |\n\
         | `postgres:17-alpine` | 312 | 0 | 2 |\n\n\
         Failed on `authdb/postgres:15`:\n\n- `verify::a_dropped_index_is_reported`\n\n"
    );
    assert_eq!(
        annotations,
        "::error title=tests on authdb/postgres:15::verify::a_dropped_index_is_reported\n"
    );

    // .ci/run stopped before the tests: the summary shows the end of the log.
    std::fs::write(
        &log,
        "Diff in /x/src/main.rs:3:\n-fn  main() {}\n+fn main() {}\n",
    )
    .unwrap();
    let (markdown, _) = summary(&["tests", &log.to_string_lossy()]);
    assert!(markdown.contains("No test run finished: `.ci/run` stopped before the tests"));
    assert!(markdown.contains("+fn main() {}"), "{markdown}");
}
