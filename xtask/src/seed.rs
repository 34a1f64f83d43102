//! `cargo xtask seed`: the demo users, or `--users N` synthetic ones with a progress bar.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use authdb::seed::{self, Counts, SyntheticTable};
use authdb::{Environment, Migrations};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use xshell::Shell;

use crate::cli;
use crate::database::{print_header, remember};
use crate::human::duration;

impl cli::Seed {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        crate::block_on(async {
            let env = Environment::load(&std::env::current_dir()?);
            let (info, mut connection) = seed::open(
                &env,
                self.database.database_url.as_deref(),
                self.allow_remote,
            )
            .await?;
            remember(&connection);
            if !self.json {
                print_header(&info, &connection);
            }
            // The folder, if it reads, says which version the seeds' tables come with.
            let latest = Migrations::load(&crate::migrations_dir(None))
                .ok()
                .and_then(|m| m.latest_version());
            seed::check_migrated(&connection.client, latest).await?;
            let started = Instant::now();
            let counts = match self.users {
                None => seed::seed_demo(&mut connection.client).await?,
                Some(users) => {
                    // At most MAX_USERS (the flag's range) times four tables: far from overflowing.
                    let bar = progress_bar(users * SyntheticTable::ALL.len() as u64, self.json);
                    let mut tick = |rows| bar.inc(rows);
                    let counts =
                        seed::seed_synthetic(&mut connection.client, users, self.seed, &mut tick)
                            .await?;
                    bar.finish_and_clear();
                    counts
                }
            };
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if self.json {
                let body = json!({"ok": true, "database": connection.url, "inserted": counts, "duration_ms": ms});
                outln!("{body:#}");
            } else {
                print_counts(&counts, self.users.is_none(), ms);
            }
            Ok(ExitCode::SUCCESS)
        })
    }
}

/// A bar on a terminal; hidden in CI logs and with --json, where it would only be noise.
fn progress_bar(rows: u64, json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(rows);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

fn print_counts(counts: &Counts, demo: bool, ms: f64) {
    let accounts = match counts.accounts {
        0 => String::new(),
        n => format!(" with {n} credential accounts"),
    };
    outln!(
        "inserted {} users{accounts}, {} sessions, {} software and {} hardware backgrounds in {}",
        counts.users,
        counts.sessions,
        counts.software_background,
        counts.hardware_background,
        duration(ms)
    );
    if demo {
        if counts.total() == 0 {
            outln!("the demo users were already there: nothing to do");
        }
        outln!(
            "demo accounts: ada@example.com, grace@example.com, linus@example.com (their password is \
             authdb::seed::DEMO_PASSWORD, given in the README; a BetterAuth server configured as \
             docs/betterauth.md says signs them in)"
        );
    }
}
