//! `cargo xtask new NAME`: the next migration's up and down files, numbered and named the way
//! the loader and lint expect, so nobody picks a number by hand (or the same one on two branches
//! without lint noticing).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authdb::Migrations;

use crate::cli;

impl cli::New {
    pub fn run(self) -> Result<ExitCode> {
        let migrations = Migrations::load(&crate::migrations_dir(self.migrations.as_deref()))?;
        let (up, down) = migrations.next_files(&self.name)?;
        let stem = up
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        write_new(
            &up,
            &format!("-- {stem}: describe what this migration changes and why.\n"),
        )?;
        write_new(
            &down,
            &format!("-- Undoes {stem}.sql: drop exactly what it creates, in reverse order.\n"),
        )?;
        println!("created {}", up.display());
        println!("created {}", down.display());
        println!("next: write both, then `cargo xtask lint --update-lock` to record them");
        Ok(ExitCode::SUCCESS)
    }
}

/// Creates `path`, refusing to replace a file that is already there.
fn write_new(path: &std::path::Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("{}: cannot create it", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
