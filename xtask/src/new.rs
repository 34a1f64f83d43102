//! `cargo xtask new NAME`: the next migration's up and down files, numbered and named by the
//! folder's own grammar (`authdb-folder`), so what `new` writes is what migrate and lint accept.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use authdb_folder::Folder;
use xshell::Shell;

use crate::cli;

impl cli::New {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let folder = Folder::read(&crate::migrations_dir(self.folder.migrations.as_deref()))?;
        let new = folder
            .new_migration(&self.name)
            .map_err(|reason| anyhow!("{:?} is not a migration name: {reason}", self.name))?;
        new.create().context("cannot create the migration")?;
        if self.json {
            // Relative to the folder, as every JSON path.
            let name = |path: &Path| path.file_name().map(Path::new).unwrap_or(path).to_owned();
            let body = serde_json::json!({
                "ok": true,
                "folder": folder.dir,
                "created": [name(&new.up), name(&new.down)],
            });
            outln!("{body:#}");
            return Ok(ExitCode::SUCCESS);
        }
        outln!("created {}", new.up.display());
        outln!("created {}", new.down.display());
        outln!(
            "next: write both, `cargo xtask lint`, then `cargo xtask lint --update-lock` and \
             `cargo xtask snapshot` to record them"
        );
        Ok(ExitCode::SUCCESS)
    }
}
