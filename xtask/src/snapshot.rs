//! `cargo xtask snapshot`: migrate a throwaway PostgreSQL in a container and write what the
//! migrations created to `migrations/schema.snapshot`, the file `verify` and `baseline` compare
//! databases with. `--check` only says whether the committed file is current.

use std::process::ExitCode;

use anyhow::{Context, Result};
use authdb::snapshot::{SNAPSHOT_FILE, diff};
use authdb::{Migrations, Snapshot};
use xshell::Shell;

use crate::container::Container;
use crate::{cli, docker, test_db};

impl cli::Snapshot {
    pub fn run(self) -> Result<ExitCode> {
        let dir = crate::migrations_dir(self.migrations.as_deref());
        let migrations = Migrations::load(&dir)?;
        let sh = Shell::new()?;
        docker::require(&sh)?;
        let image = test_db::pick_image(&sh)?;
        let container = Container::throwaway(&sh, &image)?;
        let (fresh, server_version) = crate::block_on(async {
            let (_, mut connection) = container.connect().await?;
            authdb::migrate(&mut connection.client, &migrations, &Default::default()).await?;
            let snapshot = Snapshot::capture(&connection.client).await?;
            anyhow::Ok((snapshot, connection.server_version))
        })?;
        drop(container);

        let path = dir.join(SNAPSHOT_FILE);
        let text = fresh.to_text();
        if self.check {
            let committed = Snapshot::load(&dir)?;
            let differences = diff(&committed, &fresh);
            if committed.to_text() == text {
                println!("{} is up to date", path.display());
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{} is out of date: run `cargo xtask snapshot` and commit it. What the migrations \
                 create now, compared with the file:",
                path.display()
            );
            if committed.version != fresh.version {
                println!(
                    "version: {}, the file says {}",
                    version(fresh.version),
                    version(committed.version)
                );
            }
            for difference in differences {
                println!("{difference}");
            }
            return Ok(ExitCode::FAILURE);
        }
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        println!(
            "wrote {} (version {}: {}, {}) from PostgreSQL {server_version} ({image})",
            path.display(),
            version(fresh.version),
            count(fresh.tables.len(), "table"),
            count(fresh.functions.len(), "function")
        );
        Ok(ExitCode::SUCCESS)
    }
}

fn version(v: Option<i64>) -> String {
    crate::target::version(v)
}

fn count(n: usize, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} {noun}{plural}")
}
