//! `cargo xtask migrate`: apply the pending migrations and report each one.

use std::process::ExitCode;

use anyhow::Result;
use authdb::{MigrateOptions, MigrateReport};
use serde_json::json;
use xshell::Shell;

use crate::cli;
use crate::database::{notify_on_stderr, print_header};
use crate::human::{duration, version};

impl cli::Migrate {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let migrations = self.folder.migrations()?;
        let options = MigrateOptions {
            up_to: self.to,
            dry_run: self.dry_run,
            lock_timeout: self.timeouts.lock(),
            statement_timeout: self.timeouts.statement(),
            lock_wait: self.timeouts.lock_wait(),
            lock_retries: self.retries.lock_retries,
            lock_retry_time: self.retries.lock_retry_time.duration(),
            unfinished: self.unfinished,
            repair_invalid_indexes: self.repair_invalid_indexes,
            notify: notify_on_stderr(),
            // The connection sets what it knows: the pooler, its notices, the second connection.
            ..MigrateOptions::default()
        };
        crate::block_on(async {
            let (info, mut connection) = self.database.connect().await?;
            if !self.json {
                print_header(&info, &connection);
            }
            let report = connection.migrate(&migrations, &options).await?;
            if self.json {
                let body = json!({
                    "ok": true,
                    "database": connection.url,
                    "server_version": connection.server_version,
                    "folder": migrations.dir,
                    "report": report,
                    "notices": crate::database::server_notices(),
                });
                outln!("{body:#}");
            } else {
                print_report(&report);
            }
            Ok(ExitCode::SUCCESS)
        })
    }
}

fn print_report(report: &MigrateReport) {
    let verb = if report.dry_run {
        "would apply"
    } else {
        "applied"
    };
    for recovery in &report.recovered {
        let what = match (&recovery.action, report.dry_run) {
            (authdb::unfinished::Action::RecordApplied, false) => "recorded as applied",
            (authdb::unfinished::Action::RecordApplied, true) => "would be recorded as applied",
            (authdb::unfinished::Action::RunAgain { .. }, false) => "run again",
            (authdb::unfinished::Action::RunAgain { .. }, true) => "would be run again",
        };
        outln!(
            "{} was started by an earlier run and not seen to finish: {}; {what}",
            recovery.name,
            recovery.reason
        );
    }
    let width = report.steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for step in &report.steps {
        if report.dry_run {
            outln!("{verb} {}", step.name);
        } else {
            outln!(
                "{verb} {:width$}  {}",
                step.name,
                duration(step.duration_ms)
            );
        }
    }
    let count = report.steps.len();
    let plural = if count == 1 { "" } else { "s" };
    let versions = format!(
        "version {} -> {}",
        version(report.from_version),
        version(report.to_version)
    );
    if count == 0 {
        outln!(
            "already up to date at version {}",
            version(report.to_version)
        );
    } else if report.dry_run {
        outln!(
            "dry run: {count} migration{plural} would be applied ({versions}); nothing was changed"
        );
    } else {
        outln!(
            "{count} migration{plural} applied in {} ({versions})",
            duration(report.duration_ms)
        );
    }
}
