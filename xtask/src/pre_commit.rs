//! `cargo xtask pre-commit`: what the git hook and the pre-commit framework run. It judges the
//! tree the commit records (git's index, mirrored by [`StagedTree`]), never untracked files or
//! unstaged edits, and runs only the checks the staged paths need: lint for `migrations/`, fmt
//! and clippy for Rust. Every check runs even after one fails, so one attempt shows everything to
//! fix, then a summary; exit 1 if anything failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use authdb_lint::Options;
use xshell::{Shell, cmd};

use crate::cargo::{cargo, echoed};
use crate::cli;
use crate::staged::StagedTree;

/// One check: its name in the summary, and what runs it (`Ok(false)`: it ran and found problems,
/// which it has printed).
struct Check<'a> {
    name: &'static str,
    run: Box<dyn FnOnce() -> Result<bool> + 'a>,
}

#[derive(Debug)]
struct Outcome {
    name: &'static str,
    /// `Err` holds why the check could not run at all.
    passed: Result<bool, String>,
    took: Duration,
}

/// Paths whose change needs fmt and clippy.
fn is_rust(path: &str) -> bool {
    path.ends_with(".rs")
        || path.ends_with("Cargo.toml")
        || path.ends_with("Cargo.lock")
        || path.starts_with(".cargo/")
}

impl cli::PreCommit {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let (top, state) = repository(sh)?;
        sh.change_dir(&top);
        let tree = StagedTree::mirror(sh, &state)?;
        // From here on every check runs in the mirror: it judges what will be committed.
        sh.change_dir(&tree.root);
        // Dependencies compiled for the checkout are reused; the mirror's own crates build apart.
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| top.join("target"), PathBuf::from);
        let mut checks = Vec::new();
        if tree.touches(is_rust) {
            checks.push(Check {
                name: "cargo fmt --check",
                run: Box::new(|| {
                    Ok(echoed(cargo(sh, &["fmt", "--all", "--", "--check"]))
                        .run()
                        .is_ok())
                }),
            });
            checks.push(Check {
                name: "cargo clippy --all-targets -- -D warnings",
                run: Box::new(|| {
                    let args = [
                        "clippy",
                        "--workspace",
                        "--all-targets",
                        "--quiet",
                        "--",
                        "-D",
                        "warnings",
                    ];
                    Ok(echoed(cargo(sh, &args).env("CARGO_TARGET_DIR", &target))
                        .run()
                        .is_ok())
                }),
            });
        }
        if tree.touches(|path| path.starts_with("migrations/")) {
            checks.push(Check {
                name: "cargo xtask lint",
                run: Box::new(|| lint_staged(&tree.root)),
            });
        }
        if checks.is_empty() {
            outln!("pre-commit: nothing staged that authdb checks (no Rust, no migrations)");
            return Ok(ExitCode::SUCCESS);
        }
        let outcomes = run_all(checks);
        out!("{}", summary(&outcomes));
        let failed = outcomes.iter().any(|o| !matches!(o.passed, Ok(true)));
        Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }
}

/// The repository of the current directory: its top level, and where the hook keeps its mirror
/// (inside the git directory, so it is never committed; worktrees get their own).
fn repository(sh: &Shell) -> Result<(PathBuf, PathBuf)> {
    let top = cmd!(sh, "git rev-parse --show-toplevel")
        .quiet()
        .ignore_stderr()
        .read()
        .with_context(|| {
            format!(
                "{} is not inside a git repository: pre-commit checks what a commit records",
                sh.current_dir().display()
            )
        })?;
    let top = PathBuf::from(top);
    let state = cmd!(sh, "git rev-parse --git-path authdb-pre-commit")
        .quiet()
        .read()?;
    let state = sh.current_dir().join(state);
    if !top.is_dir() {
        bail!(
            "git named {} as the top level, which does not exist",
            top.display()
        );
    }
    Ok((top, state))
}

/// Lints the staged `migrations/`, with paths printed as in the repository (`migrations/...`).
fn lint_staged(tree: &Path) -> Result<bool> {
    std::env::set_current_dir(tree)?;
    crate::lint::lint_and_print(Path::new("migrations"), Options::default(), false)
}

fn run_all(checks: Vec<Check<'_>>) -> Vec<Outcome> {
    checks
        .into_iter()
        .map(|check| {
            let start = Instant::now();
            let passed = (check.run)().map_err(|error| format!("{error:#}"));
            Outcome {
                name: check.name,
                passed,
                took: start.elapsed(),
            }
        })
        .collect()
}

fn summary(outcomes: &[Outcome]) -> String {
    let mut text = String::from("\npre-commit summary:\n");
    let width = outcomes.iter().map(|o| o.name.len()).max().unwrap_or(0);
    for outcome in outcomes {
        let (state, why) = match &outcome.passed {
            Ok(true) => ("ok", String::new()),
            Ok(false) => ("FAILED", String::new()),
            Err(error) => ("ERROR", format!("  {error}")),
        };
        let seconds = outcome.took.as_secs_f64();
        let name = outcome.name;
        text.push_str(&format!(
            "  {state:6}  {name:width$}  {seconds:5.1} s{why}\n"
        ));
    }
    let failed = outcomes
        .iter()
        .filter(|o| !matches!(o.passed, Ok(true)))
        .count();
    if failed == 0 {
        text.push_str("pre-commit: all checks passed\n");
    } else {
        text.push_str(&format!(
            "pre-commit: {failed} of {} checks failed; fix them, or skip once with `git commit --no-verify`\n",
            outcomes.len()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_runs_after_a_failure_and_the_summary_names_the_failures() {
        let ran = std::cell::Cell::new(0);
        let checks = vec![
            Check {
                name: "first",
                run: Box::new(|| {
                    ran.set(ran.get() + 1);
                    Ok(false)
                }),
            },
            Check {
                name: "second",
                run: Box::new(|| {
                    ran.set(ran.get() + 1);
                    anyhow::bail!("cargo: not found")
                }),
            },
            Check {
                name: "third",
                run: Box::new(|| {
                    ran.set(ran.get() + 1);
                    Ok(true)
                }),
            },
        ];
        let outcomes = run_all(checks);
        assert_eq!(ran.get(), 3);
        let text = summary(&outcomes);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].starts_with("  FAILED  first "), "{text}");
        assert!(lines[3].starts_with("  ERROR   second"), "{text}");
        assert!(lines[3].ends_with("  cargo: not found"), "{text}");
        assert!(lines[4].starts_with("  ok      third "), "{text}");
        assert_eq!(
            lines[5],
            "pre-commit: 2 of 3 checks failed; fix them, or skip once with `git commit --no-verify`"
        );
    }

    #[test]
    fn all_passing_says_so() {
        let outcomes = run_all(vec![Check {
            name: "only",
            run: Box::new(|| Ok(true)),
        }]);
        assert!(summary(&outcomes).ends_with("pre-commit: all checks passed\n"));
    }
}
