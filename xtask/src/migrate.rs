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
        let live = self.versions.load(&self.folder)?;
        let options = MigrateOptions {
            live,
            up_to: self.to,
            dry_run: self.dry_run,
            hold_contract_steps: !self.contract,
            backfill_pause: self.backfill_pause.duration(),
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
                if self.timings {
                    print_timings(&report.timings, report.duration_ms);
                }
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
        } else if let Some(backfill) = step.backfill {
            outln!(
                "{verb} {:width$}  {} (backfill: {} rows in {} batches)",
                step.name,
                duration(step.duration_ms),
                backfill.rows,
                backfill.batches
            );
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
    if count == 0 && !report.held_back.is_empty() {
        outln!(
            "nothing to apply before the contract steps, at version {}",
            version(report.to_version)
        );
    } else if count == 0 {
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
    print_held(&report.held_back);
}

/// The contract steps a run held back: what, and the one command that applies them.
fn print_held(held: &[authdb::Held]) {
    let Some(first) = held.first() else {
        return;
    };
    let after = match held.len() - 1 {
        0 => String::new(),
        1 => " and the migration after it".to_string(),
        n => format!(" and the {n} migrations after it"),
    };
    outln!(
        "held back: {} is a contract step{after}; it removes what the app version being replaced \
         may still use, so it waits for the end of the rollout: then run `cargo xtask migrate \
         --contract`",
        first.name
    );
}

/// `--timings`: one line per phase, then one per group, so a user sees whether the time is the
/// server's (execute), the wire's and the client's (client), or waiting (lock, commit).
fn print_timings(timings: &authdb::timings::Timings, run_ms: f64) {
    outln!("where the time went:");
    if let Some(ms) = timings.connect_ms {
        outln!("  connect            {}", duration(ms));
    }
    outln!("  migration lock     {}", duration(timings.lock_ms));
    outln!("  history and plan   {}", duration(timings.history_ms));
    for group in &timings.groups {
        let versions = if group.first_version == group.last_version {
            format!("version {}", group.first_version)
        } else {
            format!("versions {}-{}", group.first_version, group.last_version)
        };
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        if group.no_transaction {
            outln!(
                "  {versions} (no transaction, {}): {}",
                plural(group.messages, "statement"),
                duration(group.wall_ms)
            );
            continue;
        }
        outln!(
            "  {versions} ({}, {}, {} KiB): {} = execute {} + tracking rows {} + client, wire and what went with it {}; commit {}",
            plural(group.files, "file"),
            plural(group.messages, "message"),
            group.bytes.div_ceil(1024),
            duration(group.wall_ms),
            duration(group.execute_ms),
            duration(group.tracking_ms),
            duration(group.client_ms),
            duration(group.commit_ms),
        );
    }
    let accounted = timings.lock_ms + timings.history_ms + timings.groups_ms();
    outln!(
        "  the rest           {} (what no line above times)",
        duration((run_ms - accounted).max(0.0))
    );
}
