//! `cargo xtask baseline`: adopt a database that the old script or psql migrated. When its schema
//! matches the snapshot of the latest version, every migration is recorded as applied (none is
//! run); otherwise the differences are printed and nothing changes.

use std::process::ExitCode;

use anyhow::Result;
use authdb::snapshot::SNAPSHOT_FILE;
use authdb::{Baseline, Snapshot};
use serde_json::json;
use xshell::Shell;

use crate::cli;
use crate::database::print_header;

impl cli::Baseline {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let migrations = self.folder.migrations()?;
        let snapshot = Snapshot::load(&migrations.dir)?;
        crate::block_on(async {
            let (info, mut connection) = self.database.connect().await?;
            if !self.json {
                print_header(&info, &connection);
            }
            let outcome = authdb::baseline(&mut connection.client, &migrations, &snapshot).await?;
            let recorded = matches!(outcome, Baseline::Recorded { .. });
            if self.json {
                let body = json!({
                    "ok": recorded,
                    "database": connection.url,
                    "server_version": connection.server_version,
                    "folder": migrations.dir,
                    "baseline": outcome,
                });
                outln!("{body:#}");
            } else {
                let snapshot_path = migrations.dir.join(SNAPSHOT_FILE);
                match &outcome {
                    Baseline::Recorded {
                        version,
                        migrations,
                    } => {
                        for name in migrations {
                            outln!("recorded {name} as applied (not run)");
                        }
                        outln!(
                            "baseline done: the schema matches {} and the database is now at version \
                             {version}; `cargo xtask migrate` takes it from here",
                            snapshot_path.display()
                        );
                    }
                    Baseline::Refused { differences } => {
                        for difference in differences {
                            outln!("{difference}");
                        }
                        outln!(
                            "nothing was recorded: the schema differs from {} in {} way(s) above. \
                             `cargo xtask adopt` plans what brings it in line",
                            snapshot_path.display(),
                            differences.len()
                        );
                    }
                }
            }
            Ok(if recorded {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        })
    }
}
