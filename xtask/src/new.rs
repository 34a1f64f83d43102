//! `cargo xtask new NAME`: the next migration's up and down files, numbered and named by the
//! folder's own grammar (`authdb-folder`), so what `new` writes is what migrate and lint accept.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use authdb_folder::Folder;
use authdb_folder::template::NewMigration;
use xshell::Shell;

use crate::cli;

impl cli::New {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let dir = crate::migrations_dir(self.folder.migrations.as_deref());
        let folder = Folder::read(&dir)?;
        let target = |flag: &str, values: &[String]| {
            let (target, value) = (&values[0], &values[1]);
            target
                .rsplit_once('.')
                .map(|(table, column)| (table.to_string(), column.to_string(), value.clone()))
                .ok_or_else(|| anyhow!("{flag} {target} {value}: expected TABLE.COLUMN first"))
        };
        let planned = match (&self.name, &self.rename_column, &self.change_type) {
            (_, Some(rename), _) => {
                let (table, column, new_name) = target("--rename-column", rename)?;
                let snapshot = authdb::Snapshot::load(&dir)?;
                authdb::expand::rename_column(&snapshot, &table, &column, &new_name)?
            }
            (_, None, Some(change)) => {
                let (table, column, new_type) = target("--change-type", change)?;
                let snapshot = authdb::Snapshot::load(&dir)?;
                authdb::expand::change_type(&snapshot, &table, &column, &new_type)?
            }
            (Some(name), None, None) => {
                let new = folder
                    .new_migration(name)
                    .map_err(|reason| anyhow!("{name:?} is not a migration name: {reason}"))?;
                vec![authdb::expand::Planned {
                    name: name.clone(),
                    up: new.up_text,
                    down: new.down_text,
                }]
            }
            (None, None, None) => {
                unreachable!("clap requires a name, --rename-column or --change-type")
            }
        };
        // Every name checked before any file is written: all of them, or none.
        for migration in &planned {
            folder.new_migration(&migration.name).map_err(|reason| {
                anyhow!("{:?} is not a migration name: {reason}", migration.name)
            })?;
        }
        let mut created = Vec::new();
        for migration in &planned {
            // Read again: each file takes the version after the one just written.
            let new = Folder::read(&dir)?
                .new_migration(&migration.name)
                .map_err(|reason| {
                    anyhow!("{:?} is not a migration name: {reason}", migration.name)
                })?;
            let new = NewMigration {
                up_text: migration.up.clone(),
                down_text: migration.down.clone(),
                ..new
            };
            new.create().context("cannot create the migration")?;
            created.push(new.up);
            created.push(new.down);
        }
        if self.json {
            // Relative to the folder, as every JSON path.
            let name = |path: &Path| path.file_name().map(Path::new).unwrap_or(path).to_owned();
            let body = serde_json::json!({
                "ok": true,
                "folder": folder.dir,
                "created": created.iter().map(|p| name(p)).collect::<Vec<_>>(),
            });
            outln!("{body:#}");
            return Ok(ExitCode::SUCCESS);
        }
        for path in &created {
            outln!("created {}", path.display());
        }
        if self.change_type.is_some() {
            outln!(
                "next: read them, then `cargo xtask lint --update-lock` and `cargo xtask snapshot`; \
                 deploy with `cargo xtask migrate` (expand, indexes, backfill), then `cargo xtask \
                 migrate --contract` swaps the new type into the column's place \
                 (docs/expand-contract.md)"
            );
        } else if self.rename_column.is_some() {
            outln!(
                "next: read them, then `cargo xtask lint --update-lock` and `cargo xtask snapshot`; \
                 deploy with `cargo xtask migrate` (expand, indexes, backfill), roll the app out \
                 onto the new column, then `cargo xtask migrate --contract` \
                 (docs/expand-contract.md)"
            );
        } else {
            outln!(
                "next: write both, `cargo xtask lint`, then `cargo xtask lint --update-lock` and \
                 `cargo xtask snapshot` to record them"
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
