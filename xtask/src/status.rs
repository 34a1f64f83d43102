//! `cargo xtask status`: each migration's state. Exits 1 when the database's history disagrees with
//! the folder (modified or missing), since `migrate` would refuse to run.

use std::process::ExitCode;

use anyhow::Result;
use authdb::State;
use serde_json::json;
use xshell::Shell;

use crate::cli;
use crate::database::print_header;

impl cli::Status {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let migrations = self.folder.migrations()?;
        crate::block_on(async {
            let (info, connection) = self.database.connect().await?;
            let status = authdb::status(&connection.client, &migrations).await?;
            let entries = &status.entries;
            let count = |state| entries.iter().filter(|e| e.state == state).count();
            let broken = entries
                .iter()
                .filter(|e| !matches!(e.state, State::Applied | State::Pending | State::Unfinished))
                .count();
            if self.json {
                let body = json!({
                    "ok": broken == 0,
                    "database": connection.url,
                    "server_version": connection.server_version,
                    "folder": migrations.dir,
                    "migrations": entries,
                    "refusal": status.refusal,
                    "invalid_indexes": status.invalid_indexes,
                });
                outln!("{body:#}");
            } else {
                print_header(&info, &connection);
                let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
                for entry in entries {
                    let state = entry.state.to_string();
                    let when = match (&entry.recorded_as, entry.state) {
                        (Some(other), State::Renamed) => {
                            format!("applied as {other}, same content")
                        }
                        (Some(other), _) => format!("the database has {other}"),
                        (None, State::Unrecorded) => {
                            "not recorded, though later versions are".to_string()
                        }
                        (None, State::Pending) if entry.contract => {
                            "contract step: `migrate` holds it until `migrate --contract`"
                                .to_string()
                        }
                        (None, _) => entry.applied_at.clone().unwrap_or_default(),
                    };
                    outln!("{:width$}  {state:9}  {when}", entry.name);
                }
                let contract = entries
                    .iter()
                    .filter(|e| e.contract && e.state == State::Pending)
                    .count();
                let held = match contract {
                    0 => String::new(),
                    1 => " (1 a contract step)".to_string(),
                    n => format!(" ({n} contract steps)"),
                };
                let mut summary = format!(
                    "{} applied, {} pending{held}, {} modified, {} missing",
                    count(State::Applied),
                    count(State::Pending),
                    count(State::Modified),
                    count(State::Missing)
                );
                for state in [State::Different, State::Renamed, State::Unrecorded] {
                    if count(state) > 0 {
                        summary.push_str(&format!(", {} {state}", count(state)));
                    }
                }
                if count(State::Unfinished) > 0 {
                    summary.push_str(&format!(
                        ", {} unfinished (migrate settles it)",
                        count(State::Unfinished)
                    ));
                }
                outln!("{summary}");
                for invalid in &status.invalid_indexes {
                    outln!(
                        "invalid index {} on {}: it costs every write and serves no query; drop \
                         it with `{};`",
                        invalid.index,
                        invalid.table,
                        invalid.drop
                    );
                }
                if let Some(refusal) = &status.refusal {
                    outln!("migrate will refuse to run: {refusal}");
                }
            }
            Ok(if broken == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        })
    }
}
