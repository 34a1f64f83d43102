//! `cargo xtask pre-commit`: what the git hook and the pre-commit framework run. Every check runs
//! even after one fails, so a single commit attempt shows everything to fix, then a summary;
//! exit 1 if anything failed.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use authdb_lint::Options;
use xshell::{Shell, cmd};

use crate::{cli, migrations_dir, project_root};

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

impl cli::PreCommit {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        sh.change_dir(project_root());
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let checks = vec![
            Check {
                name: "cargo fmt --check",
                run: Box::new(|| Ok(cmd!(sh, "{cargo} fmt --all -- --check").run().is_ok())),
            },
            Check {
                name: "cargo clippy --all-targets -- -D warnings",
                run: Box::new(|| {
                    let clippy = cmd!(
                        sh,
                        "{cargo} clippy --workspace --all-targets --quiet -- -D warnings"
                    );
                    Ok(clippy.run().is_ok())
                }),
            },
            Check {
                name: "cargo xtask lint",
                run: Box::new(|| {
                    crate::lint::lint_and_print(&migrations_dir(None), Options::default(), false)
                }),
            },
        ];
        let outcomes = run_all(checks);
        print!("{}", summary(&outcomes));
        let failed = outcomes.iter().any(|o| !matches!(o.passed, Ok(true)));
        Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }
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
