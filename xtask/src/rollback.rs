//! `cargo xtask rollback`: revert the last migration, down to a version, or everything. It shows
//! what will be dropped, with row counts, and asks on a terminal; without one it needs `--yes`,
//! so a script cannot drop production tables by accident.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Result, bail};
use authdb::{RollbackOptions, RollbackPlan, RollbackTo};
use serde_json::json;
use xshell::Shell;

use crate::cli;
use crate::database::{notify_on_stderr, print_header};
use crate::human::{duration, version};

impl cli::Rollback {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let migrations = self.folder.migrations()?;
        let mut options = RollbackOptions {
            to: match (self.all, self.to) {
                (true, _) => RollbackTo::All,
                (false, Some(v)) => RollbackTo::Version(v),
                (false, None) => RollbackTo::Last,
            },
            lock_timeout: self.timeouts.lock(),
            statement_timeout: self.timeouts.statement(),
            lock_wait: self.timeouts.lock_wait(),
            notify: notify_on_stderr(),
        };
        crate::block_on(async {
            let (info, connection) = self.database.connect().await?;
            if !self.json {
                print_header(&info, &connection);
            }
            // What the down files' statements make the server say, with their file and line.
            let heard = options.notify.clone();
            options.notify = connection.notices.attributing(heard.clone());
            let plan = match authdb::plan_rollback(&connection.client, &migrations, &options).await
            {
                Ok(plan) => plan,
                // Nothing to do is success, as for migrate when it is up to date.
                Err(
                    done @ (authdb::Error::NothingToRollBack
                    | authdb::Error::RollbackToNotBelow { .. }),
                ) => {
                    if self.json {
                        let body = json!({
                            "ok": true,
                            "database": connection.url,
                            "server_version": connection.server_version,
                            "folder": migrations.dir,
                            "nothing_to_roll_back": done.to_string(),
                            "reverted": [],
                        });
                        outln!("{body:#}");
                    } else {
                        outln!("{done}");
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                Err(error) => return Err(error.into()),
            };
            if !self.json {
                print_plan(&plan);
            }
            if self.dry_run {
                if self.json {
                    outln!(
                        "{:#}",
                        json!({
                            "ok": true,
                            "dry_run": true,
                            "database": connection.url,
                            "server_version": connection.server_version,
                            "folder": migrations.dir,
                            "plan": plan,
                        })
                    );
                } else {
                    outln!("dry run: nothing was changed");
                }
                return Ok(ExitCode::SUCCESS);
            }
            if !self.yes {
                confirm()?;
            }
            let steps = authdb::rollback(&connection.client, &migrations, &options, &plan).await;
            connection.notices.flush(&heard);
            let steps = steps?;
            if self.json {
                outln!(
                    "{:#}",
                    json!({
                        "ok": true,
                        "database": connection.url,
                        "server_version": connection.server_version,
                        "folder": migrations.dir,
                        "plan": plan,
                        "reverted": steps,
                        "notices": crate::database::server_notices(),
                    })
                );
                return Ok(ExitCode::SUCCESS);
            }
            let width = steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
            for step in &steps {
                outln!(
                    "reverted {:width$}  {}",
                    step.name,
                    duration(step.duration_ms)
                );
            }
            outln!(
                "{} migration{} rolled back (version {} -> {})",
                steps.len(),
                if steps.len() == 1 { "" } else { "s" },
                plan.from_version,
                version(plan.to_version)
            );
            Ok(ExitCode::SUCCESS)
        })
    }
}

fn print_plan(plan: &RollbackPlan) {
    outln!(
        "rollback plan: version {} -> {}",
        plan.from_version,
        version(plan.to_version)
    );
    if let Some(settled) = &plan.settled {
        let what = match settled.action {
            authdb::unfinished::Action::RecordApplied => "it is applied, so it is reverted below",
            authdb::unfinished::Action::RunAgain { .. } => "it is not applied: its row goes",
        };
        outln!(
            "  {} was left unfinished by an interrupted run: {}; {what}",
            settled.name,
            settled.reason
        );
    }
    for step in &plan.steps {
        let alone = if step.no_transaction {
            " (on its own, outside the transaction: -- authdb:no-transaction)"
        } else {
            ""
        };
        outln!("  revert {}{alone}", step.name);
        if step.contract {
            outln!(
                "    a contract step: its down file brings back what it removed, but not what \
                 the app wrote since without it (a dropped column comes back as its down file \
                 fills it)"
            );
        }
        for effect in plan.effects.iter().filter(|e| e.version == step.version) {
            outln!(
                "    {}:{}: {}",
                effect.file.display(),
                effect.line,
                effect.description
            );
        }
    }
}

/// Asks on the terminal; refuses outright when there is none.
fn confirm() -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to roll back without confirmation: there is no terminal to ask on. Check the plan \
             above and pass --yes to proceed (or --dry-run to only see it)"
        );
    }
    out!("type 'yes' to roll back: ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("rollback cancelled: nothing was changed");
    }
    Ok(())
}
