//! `cargo xtask status`: each migration's state. Exits 1 when the database's history disagrees with
//! the folder (modified or missing), since `migrate` would refuse to run.

use std::process::ExitCode;

use anyhow::Result;
use authdb::State;
use serde_json::json;

use crate::cli;
use crate::target::print_header;

impl cli::Status {
    pub fn run(self) -> Result<ExitCode> {
        let migrations = self.target.migrations()?;
        crate::block_on(async {
            let (info, connection) = self.target.connect().await?;
            let entries = authdb::status(&connection.client, &migrations).await?;
            let count = |state| entries.iter().filter(|e| e.state == state).count();
            let broken = count(State::Modified) + count(State::Missing);
            if self.json {
                let body = json!({
                    "ok": broken == 0,
                    "target": connection.target,
                    "server_version": connection.server_version,
                    "folder": migrations.dir,
                    "migrations": entries,
                });
                println!("{body:#}");
            } else {
                print_header(&info, &connection);
                let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
                for entry in &entries {
                    let state = format!("{:?}", entry.state).to_lowercase();
                    let when = entry.applied_at.as_deref().unwrap_or("");
                    println!("{:width$}  {state:8}  {when}", entry.name);
                }
                println!(
                    "{} applied, {} pending, {} modified, {} missing",
                    count(State::Applied),
                    count(State::Pending),
                    count(State::Modified),
                    count(State::Missing)
                );
                if broken > 0 {
                    println!(
                        "migrate will refuse to run until the modified or missing files are restored"
                    );
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
