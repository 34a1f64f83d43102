//! `cargo xtask lint`: the offline checks of the migrations folder (the `authdb-lint` crate),
//! printed a finding a line (`file:line:col: rule-id: message`) and a summary, or as JSON for CI.
//! Exits 1 on any finding.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use authdb_lint::{LOCK_FILE, Options, Report};
use serde_json::json;
use xshell::Shell;

use crate::cli;

impl cli::Lint {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let dir = crate::migrations_dir(self.folder.migrations.as_deref());
        let options = Options {
            update_lock: self.update_lock,
        };
        let clean = lint_and_print(&dir, options, self.json)?;
        Ok(if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// Lints `dir` and prints the report; true when there is no finding. Shared with pre-commit.
pub fn lint_and_print(dir: &Path, options: Options, json: bool) -> Result<bool> {
    let report = authdb_lint::lint(dir, options)?;
    if json {
        let body = json!({
            "ok": report.findings.is_empty(),
            "folder": dir,
            "files": report.files,
            "statements": report.statements,
            "recorded": report.recorded,
            "unrecorded": report.unrecorded,
            "findings": report.findings,
        });
        outln!("{body:#}");
    } else {
        print_text(dir, &report);
    }
    Ok(report.findings.is_empty())
}

fn print_text(dir: &Path, report: &Report) {
    if !report.recorded.is_empty() {
        outln!(
            "recorded in {}: {}",
            dir.join(LOCK_FILE).display(),
            report.recorded.join(", ")
        );
    }
    if !report.unrecorded.is_empty() {
        outln!(
            "not recorded until their findings are fixed: {}",
            report.unrecorded.join(", ")
        );
    }
    for finding in &report.findings {
        outln!("{finding}");
    }
    let files = report
        .findings
        .iter()
        .map(|f| &f.file)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let scope = format!("{} files, {} statements", report.files, report.statements);
    match report.findings.len() {
        0 => outln!("lint: {scope}: no findings"),
        1 => outln!("lint: {scope}: 1 finding"),
        n if files == 1 => outln!("lint: {scope}: {n} findings in 1 file"),
        n => outln!("lint: {scope}: {n} findings in {files} files"),
    }
}
