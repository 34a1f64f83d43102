//! `cargo xtask verify`: is this database what the repository says it should be? Every migration
//! applied and unchanged, and the live schema equal to `migrations/schema.snapshot`. Read-only;
//! exit 1 on any finding, so CI and deploy scripts can gate on it.

use std::process::ExitCode;

use anyhow::Result;
use authdb::Snapshot;
use authdb::snapshot::SNAPSHOT_FILE;
use serde_json::json;
use xshell::Shell;

use crate::cli;
use crate::database::print_header;
use crate::human::version;

impl cli::Verify {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let migrations = self.folder.migrations()?;
        let snapshot = Snapshot::load(&migrations.dir)?;
        crate::block_on(async {
            let (info, connection) = self.database.connect().await?;
            let report = authdb::verify(&connection.client, &migrations, &snapshot).await?;
            let problems = report.problems();
            if self.json {
                let body = json!({
                    "ok": problems.is_empty(),
                    "database": connection.url,
                    "server_version": connection.server_version,
                    "folder": migrations.dir,
                    "problems": problems,
                    "report": report,
                });
                outln!("{body:#}");
            } else {
                print_header(&info, &connection);
                let snapshot_path = migrations.dir.join(SNAPSHOT_FILE);
                if let (true, Some(boundary)) = (problems.is_empty(), report.held_at) {
                    let held = report
                        .migrations
                        .iter()
                        .filter(|e| e.version > boundary)
                        .count();
                    let plural = if held == 1 { "" } else { "s" };
                    outln!(
                        "OK: held at version {boundary}, before a contract step: {held} \
                         migration{plural} wait for `cargo xtask migrate --contract` after the \
                         rollout; the schema matches {} at that boundary",
                        snapshot_path.display()
                    );
                } else if problems.is_empty() {
                    let count = report.migrations.len();
                    let plural = if count == 1 { "" } else { "s" };
                    outln!(
                        "OK: {count} migration{plural} applied and unchanged; the schema matches {} (version {})",
                        snapshot_path.display(),
                        version(report.snapshot_version)
                    );
                } else {
                    for problem in &problems {
                        outln!("{problem}");
                    }
                    let plural = if problems.len() == 1 { "" } else { "s" };
                    outln!(
                        "{} problem{plural}: the database does not match {}",
                        problems.len(),
                        migrations.dir.display()
                    );
                }
            }
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        })
    }
}
