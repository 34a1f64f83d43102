//! `cargo xtask snapshot`: migrate a throwaway PostgreSQL in a container and write what the
//! migrations created to `migrations/schema.snapshot`, the file `verify` and `baseline` compare
//! databases with, and its picture to `migrations/schema.md`. `--check` only says whether both
//! committed files are current.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authdb::snapshot::{PICTURE_FILE, SNAPSHOT_FILE, diff};
use authdb::{Migrations, Snapshot};
use xshell::Shell;

use authdb_server::Docker;

use crate::cli;

impl cli::Snapshot {
    pub fn run(self) -> Result<ExitCode> {
        let dir = crate::migrations_dir(self.migrations.as_deref());
        let migrations = Migrations::load(&dir)?;
        let sh = Shell::new()?;
        let docker = Docker::connect(&sh)?;
        let server = authdb_server::throwaway(&docker, "snapshot", &mut |line| println!("{line}"))?;
        let image = server.image.clone();
        let (fresh, server_version) = crate::block_on(async {
            let (_, mut connection) = server.connect("postgres").await?;
            connection.migrate(&migrations, &Default::default()).await?;
            let snapshot = Snapshot::capture(&connection.client).await?;
            anyhow::Ok((snapshot, connection.server_version))
        })?;
        drop(server);

        let path = dir.join(SNAPSHOT_FILE);
        let picture_path = dir.join(PICTURE_FILE);
        let text = fresh.to_text();
        let picture = fresh.to_picture();
        if self.check {
            let committed = Snapshot::load(&dir)?;
            let snapshot_current = committed.to_text() == text;
            let committed_picture = read_if_there(&picture_path)?;
            let picture_current = committed_picture.as_deref() == Some(picture.as_str());
            if snapshot_current && picture_current {
                println!(
                    "{} and {} are up to date",
                    path.display(),
                    picture_path.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            if !snapshot_current {
                report_stale_snapshot(&path, &committed, &fresh);
            }
            if !picture_current {
                let state = match committed_picture {
                    Some(_) => "is out of date",
                    None => "is missing",
                };
                println!(
                    "{} {state}: run `cargo xtask snapshot` and commit it",
                    picture_path.display()
                );
            }
            return Ok(ExitCode::FAILURE);
        }
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        std::fs::write(&picture_path, &picture)
            .with_context(|| format!("writing {}", picture_path.display()))?;
        println!(
            "wrote {} and {} (version {}: {}, {}) from PostgreSQL {server_version} ({image})",
            path.display(),
            picture_path.display(),
            version(fresh.version),
            count(fresh.tables.len(), "table"),
            count(fresh.functions.len(), "function")
        );
        Ok(ExitCode::SUCCESS)
    }
}

fn report_stale_snapshot(path: &Path, committed: &Snapshot, fresh: &Snapshot) {
    println!(
        "{} is out of date: run `cargo xtask snapshot` and commit it. What the migrations create \
         now, compared with the file:",
        path.display()
    );
    if committed.version != fresh.version {
        println!(
            "version: {}, the file says {}",
            version(fresh.version),
            version(committed.version)
        );
    }
    for difference in diff(committed, fresh) {
        println!("{difference}");
    }
}

/// The file's text with CRLF read as LF (a Windows checkout is not a change), or none.
fn read_if_there(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.replace("\r\n", "\n"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn version(v: Option<i64>) -> String {
    crate::target::version(v)
}

fn count(n: usize, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} {noun}{plural}")
}
