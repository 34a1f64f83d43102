//! What `cargo xtask new` writes: the next version's up and down files, numbered and padded like
//! the folder's files. Their text is comments only, so a migration nobody wrote yet is refused
//! everywhere (migrate, lint, `lint --update-lock`) with a message that says so.

use std::path::PathBuf;

use crate::folder::Folder;
use crate::name::{FileName, check_name};

/// The two files of a new migration, not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMigration {
    pub up: PathBuf,
    pub up_text: String,
    pub down: PathBuf,
    pub down_text: String,
}

impl Folder {
    /// The next migration called `name`: the version after the highest, with as many digits as
    /// the widest existing version (at least three).
    pub fn new_migration(&self, name: &str) -> Result<NewMigration, &'static str> {
        check_name(name)?;
        let version = self.files.iter().map(|f| f.name.version).max().unwrap_or(0) + 1;
        let width = self
            .files
            .iter()
            .map(|f| f.name.digits.len())
            .max()
            .unwrap_or(0)
            .max(3);
        let stem = format!("{version:0width$}_{name}");
        // The grammar is the loader's: what `new` writes always parses. The down file's name is
        // the longer one: if it fits the file system, both do, and neither is written otherwise.
        let parsed = FileName::parse(&format!("{stem}.down.sql"))?;
        debug_assert_eq!(parsed.stem(), stem);
        Ok(NewMigration {
            up: self.dir.join(format!("{stem}.sql")),
            up_text: up(&stem),
            down: self.dir.join(format!("{stem}.down.sql")),
            down_text: down(&stem),
        })
    }
}

fn up(stem: &str) -> String {
    format!(
        "-- {stem}: describe what this migration changes and why, then write its SQL below.\n\
         -- It runs inside the run's transaction; for CREATE INDEX CONCURRENTLY, make the first\n\
         -- line `-- authdb:no-transaction` and keep the statement alone in the file.\n"
    )
}

fn down(stem: &str) -> String {
    format!(
        "-- Undoes {stem}.sql: drop exactly what it creates, in reverse order.\n\
         -- rollback runs it inside one transaction; for DROP INDEX CONCURRENTLY, make the first\n\
         -- line `-- authdb:no-transaction` and keep the statement alone in the file.\n"
    )
}

/// Whether `text` is still exactly what `new` wrote for this file.
pub fn is_template(name: &FileName, text: &str) -> bool {
    let expected = if name.down {
        down(&name.stem())
    } else {
        up(&name.stem())
    };
    text.trim() == expected.trim()
}

impl NewMigration {
    /// Writes both files or neither, refusing to replace a file that is already there: when the
    /// second cannot be written, the first is removed again, so a failed `new` leaves no half
    /// migration behind (and a retry no second up file).
    pub fn create(&self) -> std::io::Result<()> {
        write_new(&self.up, &self.up_text)?;
        write_new(&self.down, &self.down_text).inspect_err(|_| {
            let _ = std::fs::remove_file(&self.up);
        })
    }
}

/// Creates `path` with `text`, never replacing a file; a file it created is removed again when
/// writing it fails, so only a complete file stays.
fn write_new(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let named =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(named)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            named(e)
        })
}
