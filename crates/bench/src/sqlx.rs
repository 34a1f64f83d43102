//! sqlx-cli, the migrator a Rust team would pick instead, as a baseline: a folder converted to
//! its naming in a temporary directory, and its `migrate run` pointed at a database. It applies
//! each file in its own transaction (a weaker promise than authdb's one per group), so the
//! comparison favours it.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::server::Server;

/// `dir`'s migrations under sqlx's names (`<version>_<name>.up.sql` and `.down.sql`), with
/// sqlx's own opt-out (`-- no-transaction` as the file's first characters) for a no-transaction
/// file.
pub fn convert(dir: &Path) -> Result<tempfile::TempDir> {
    let out = tempfile::tempdir()?;
    for migration in authdb::Migrations::load(dir)?.list {
        let stem = format!("{}_{}", migration.version, migration.name);
        let sql = match migration.no_transaction {
            true => format!(
                "-- no-transaction\n{}",
                migration.sql.split_once('\n').map_or("", |(_, rest)| rest)
            ),
            false => migration.sql.clone(),
        };
        std::fs::write(out.path().join(format!("{stem}.up.sql")), sql)?;
        std::fs::write(
            out.path().join(format!("{stem}.down.sql")),
            &migration.down.sql,
        )?;
    }
    Ok(out)
}

/// `sqlx migrate run` of `dir` (converted) against `url`, from the server's empty directory.
pub fn migrate_run(sqlx: &Path, s: &Server, url: &str, dir: &Path) -> Command {
    let mut command = s.command(sqlx);
    command
        .args(["migrate", "run", "--database-url", url, "--source"])
        .arg(dir);
    command
}
