//! The migrations folder: `NNN_name.sql` files and their `NNN_name.down.sql` undo files, read,
//! validated and checksummed once, in version order. Everything downstream (plans, runs, status)
//! works on this in-memory list, so a folder that is wrong is refused before any connection is made.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Files that live beside the migrations without being migrations.
const KNOWN_FILES: &[&str] = &["schema.snapshot", "schema.md", "migrations.lock"];

/// First line of a migration that cannot run inside a transaction (`CREATE INDEX CONCURRENTLY`).
pub const NO_TRANSACTION: &str = "-- authdb:no-transaction";

/// One migration: the up file, and its down file when there is one.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i64,
    /// The part after the number, `create_users` in `001_create_users.sql`.
    pub name: String,
    pub path: PathBuf,
    /// The file's text with line endings normalised, exactly what is sent to the server.
    pub sql: String,
    pub checksum: Checksum,
    pub down: Option<Script>,
    /// The file starts with [`NO_TRANSACTION`]: it runs on its own, outside the run's transaction.
    pub no_transaction: bool,
}

/// A down file: the SQL that undoes its migration.
#[derive(Debug, Clone)]
pub struct Script {
    pub path: PathBuf,
    pub sql: String,
}

/// SHA-256 of a file's text after line-ending normalisation, so that a checkout with CRLF line
/// endings is not mistaken for an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    pub fn of(text: &str) -> Checksum {
        Checksum(Sha256::digest(text.as_bytes()).into())
    }

    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// The validated contents of a migrations folder, sorted by version.
#[derive(Debug, Clone)]
pub struct Migrations {
    pub dir: PathBuf,
    pub list: Vec<Migration>,
}

impl Migrations {
    /// Reads `dir`, refusing anything that would make the order or the content ambiguous: stray
    /// files, duplicate versions, empty or non-UTF-8 files, a down file without its up file.
    pub fn load(dir: &Path) -> Result<Migrations> {
        if !dir.is_dir() {
            return Err(Error::MigrationsDirMissing(dir.to_path_buf()));
        }
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if file_name.starts_with('.') || KNOWN_FILES.contains(&file_name) {
                continue;
            }
            paths.push(path);
        }
        paths.sort();

        let mut ups: BTreeMap<i64, Migration> = BTreeMap::new();
        let mut downs: BTreeMap<i64, (String, Script)> = BTreeMap::new();
        for path in paths {
            let Some(file) = FileName::parse(&path) else {
                return Err(Error::BadFileName(path));
            };
            let sql = read_sql(&path)?;
            if file.down {
                if let Some((_, other)) = downs.get(&file.version) {
                    return Err(duplicate(file.version, path, &other.path));
                }
                downs.insert(file.version, (file.name, Script { path, sql }));
                continue;
            }
            if let Some(other) = ups.get(&file.version) {
                return Err(duplicate(file.version, path, &other.path));
            }
            let migration = Migration {
                version: file.version,
                name: file.name,
                checksum: Checksum::of(&sql),
                no_transaction: sql.lines().next().map(str::trim_end) == Some(NO_TRANSACTION),
                path,
                sql,
                down: None,
            };
            ups.insert(file.version, migration);
        }
        for (version, (name, script)) in downs {
            match ups.get_mut(&version) {
                Some(up) if up.name == name => up.down = Some(script),
                _ => return Err(Error::OrphanDownFile(script.path)),
            }
        }
        Ok(Migrations {
            dir: dir.to_path_buf(),
            list: ups.into_values().collect(),
        })
    }

    pub fn get(&self, version: i64) -> Option<&Migration> {
        self.list
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|i| &self.list[i])
    }

    pub fn latest_version(&self) -> Option<i64> {
        self.list.last().map(|m| m.version)
    }

    /// The up and down file of a new migration called `name`: the next version after the
    /// highest, zero-padded like the existing files (at least three digits).
    pub fn next_files(&self, name: &str) -> Result<(PathBuf, PathBuf)> {
        let snake = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
        if name.is_empty() || !name.chars().all(snake) || name.starts_with('_') {
            return Err(Error::BadMigrationName(name.to_string()));
        }
        let version = self.latest_version().unwrap_or(0) + 1;
        let width = self
            .list
            .iter()
            .map(|m| m.file_stem().split('_').next().map_or(0, str::len))
            .max()
            .unwrap_or(0)
            .max(3);
        let stem = format!("{version:0width$}_{name}");
        Ok((
            self.dir.join(format!("{stem}.sql")),
            self.dir.join(format!("{stem}.down.sql")),
        ))
    }
}

impl Migration {
    /// `001_create_users`, the name the tracking table and the reports use.
    pub fn file_stem(&self) -> String {
        self.path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// Maps PostgreSQL's error position (1-based, counted in characters of the query text) to a
/// 1-based line and column of the file.
pub fn line_col(sql: &str, position: usize) -> (usize, usize) {
    let before: String = sql.chars().take(position.saturating_sub(1)).collect();
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct FileName {
    version: i64,
    name: String,
    down: bool,
}

impl FileName {
    fn parse(path: &Path) -> Option<FileName> {
        let file_name = path.file_name()?.to_str()?;
        let stem = file_name.strip_suffix(".sql")?;
        let (stem, down) = match stem.strip_suffix(".down") {
            Some(stem) => (stem, true),
            None => (stem, false),
        };
        let (digits, name) = stem.split_once('_')?;
        let snake = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if name.is_empty() || !name.chars().all(snake) || !path.is_file() {
            return None;
        }
        Some(FileName {
            version: digits.parse().ok()?,
            name: name.to_string(),
            down,
        })
    }
}

fn read_sql(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        Error::NotUtf8 {
            path: path.to_path_buf(),
            line: valid.iter().filter(|&&b| b == b'\n').count() + 1,
        }
    })?;
    let text = normalise(&text);
    if text.trim().is_empty() {
        return Err(Error::EmptyMigration(path.to_path_buf()));
    }
    Ok(text)
}

/// The text that is sent and checksummed: no BOM, LF line endings, so that a CRLF checkout is
/// not an edit. lint's migrations.lock uses it too, so the two checksums always agree.
pub fn normalise(text: &str) -> String {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n")
}

fn duplicate(version: i64, path: PathBuf, other: &Path) -> Error {
    Error::DuplicateVersion {
        version,
        path,
        other: other.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let sql = "-- é\nSELECT\n  oops;";
        // Position 15 is the 'o' of "oops": "-- é\n" is 5 characters, "SELECT\n" 7, then 2 spaces.
        assert_eq!(line_col(sql, 15), (3, 3));
        assert_eq!(line_col(sql, 1), (1, 1));
    }

    #[test]
    fn checksum_is_hex_sha256() {
        assert_eq!(
            Checksum::of("").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
