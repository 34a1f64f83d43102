//! `cargo xtask adopt`: the plan that brings a database built before authdb under it, printed
//! statement by statement (or written to a file for review), and with `--apply`, run after a
//! confirmation. Planning reads the database only.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use authdb::adopt::{AdoptOptions, AdoptPlan};
use authdb::snapshot::Snapshot;
use serde_json::json;
use xshell::Shell;

use crate::cli;
use crate::database::{notify_on_stderr, print_header};
use crate::human::duration;

impl cli::Adopt {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let migrations = self.folder.migrations()?;
        let snapshot = Snapshot::load(&migrations.dir)?;
        let options = AdoptOptions {
            drop_extra: self.drop_extra,
            lock_timeout: self.timeouts.lock(),
            statement_timeout: self.timeouts.statement(),
            lock_wait: self.timeouts.lock_wait(),
            notify: notify_on_stderr(),
            ..AdoptOptions::default()
        };
        crate::block_on(async {
            let (info, connection) = self.database.connect().await?;
            if !self.json {
                print_header(&info, &connection);
            }
            let plan =
                authdb::plan_adopt(&connection.client, &migrations, &snapshot, &options).await?;
            if let Some(file) = &self.output {
                std::fs::write(file, plan.script())
                    .with_context(|| format!("writing {}", file.display()))?;
            }
            if !self.apply || !plan.refusals.is_empty() {
                if self.json {
                    let body = json!({"ok": plan.refusals.is_empty(), "database": connection.url, "plan": plan});
                    outln!("{body:#}");
                } else {
                    print_plan(&plan);
                    if let Some(file) = &self.output {
                        outln!("wrote the script to {}", file.display());
                    }
                }
                return Ok(if plan.refusals.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            if !self.json {
                print_plan(&plan);
            }
            if !self.yes {
                confirm()?;
            }
            let adopted =
                authdb::apply_adopt(&connection.client, &migrations, &snapshot, &options, &plan)
                    .await?;
            if self.json {
                let body = json!({"ok": true, "database": connection.url, "plan": plan, "adopted": adopted});
                outln!("{body:#}");
            } else {
                outln!(
                    "adopted in {}: {} statements run, migrations up to version {} recorded as \
                     applied, and the schema equals the snapshot; `cargo xtask migrate` takes it \
                     from here",
                    duration(adopted.duration_ms),
                    adopted.statements,
                    adopted.version
                );
            }
            Ok(ExitCode::SUCCESS)
        })
    }
}

fn print_plan(plan: &AdoptPlan) {
    if plan.statements.is_empty() && plan.refusals.is_empty() {
        outln!(
            "the schema already equals the snapshot: --apply only records migrations up to version {}",
            plan.version
        );
    }
    for (i, statement) in plan.statements.iter().enumerate() {
        outln!("{:>3}. {}", i + 1, statement.resolves);
        outln!("     lock: {}", statement.lock);
        for line in statement.sql.lines() {
            outln!("     {line}");
        }
    }
    for kept in &plan.kept {
        outln!("kept: {kept} (not in the snapshot; --drop-extra drops it)");
    }
    for refusal in &plan.refusals {
        outln!("cannot adopt: {}", refusal.reason);
        if let (Some(rows), Some(query)) = (refusal.rows, &refusal.query) {
            outln!("     {rows} rows; list them with: {query}");
        }
    }
    if plan.refusals.is_empty() {
        outln!(
            "plan: {} statements in one transaction, then migrations up to version {} recorded; \
             nothing was changed (run with --apply)",
            plan.statements.len(),
            plan.version
        );
    } else {
        outln!(
            "nothing can be applied: {} problem(s) above need a hand-made fix first; nothing was changed",
            plan.refusals.len()
        );
    }
}

/// Asks on the terminal; refuses outright when there is none.
fn confirm() -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to adopt without confirmation: there is no terminal to ask on. Check the plan \
             above and pass --yes to proceed"
        );
    }
    out!("type 'yes' to run this script: ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("adopt cancelled: nothing was changed");
    }
    Ok(())
}
