//! The migrations a run works on: the folder as `authdb-folder` reads it (the one definition that
//! lint and `new` use too), accepted only when it has no problem, as an in-memory list in version
//! order. Everything downstream (plans, runs, status) works on this list, so a folder that is
//! wrong is refused before any connection is made.

use std::path::{Path, PathBuf};

pub use authdb_folder::{Checksum, NO_TRANSACTION, normalise};
use authdb_folder::{Folder, SqlFile};

use crate::error::{Error, Result};

/// One migration: the up file and its down file.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i64,
    /// The part after the number, `create_users` in `001_create_users.sql`.
    pub name: String,
    /// `001_create_users`: what the tracking table records.
    pub stem: String,
    pub path: PathBuf,
    /// The file's text normalised, exactly what is sent to the server.
    pub sql: String,
    pub checksum: Checksum,
    pub down: Script,
    /// The file starts with [`NO_TRANSACTION`]: it runs on its own, outside the run's transaction.
    pub no_transaction: bool,
    /// The file says `-- authdb:contract`: it removes what the app version being replaced still
    /// uses, so a plain migrate holds it back until the rollout is over (`--contract`).
    pub contract: bool,
    /// The file says `-- authdb:backfill` (a no-transaction file whose statement has a LIMIT):
    /// its statement is repeated, each time its own transaction, until it changes no row.
    pub backfill: bool,
}

/// A down file: the SQL that undoes its migration.
#[derive(Debug, Clone)]
pub struct Script {
    pub path: PathBuf,
    pub sql: String,
    /// The file starts with [`NO_TRANSACTION`]: rollback runs it on its own, outside the
    /// transaction of the down files around it (`DROP INDEX CONCURRENTLY`).
    pub no_transaction: bool,
}

/// The validated contents of a migrations folder, sorted by version.
#[derive(Debug, Clone)]
pub struct Migrations {
    pub dir: PathBuf,
    pub list: Vec<Migration>,
}

impl Migrations {
    /// Reads `dir`; refuses a folder with any problem (the same problems lint reports).
    pub fn load(dir: &Path) -> Result<Migrations> {
        Migrations::from_folder(Folder::read(dir)?)
    }

    pub fn from_folder(folder: Folder) -> Result<Migrations> {
        if !folder.problems.is_empty() {
            return Err(Error::Folder {
                dir: folder.dir,
                problems: folder.problems,
            });
        }
        let text = |file: &SqlFile| file.text.clone().unwrap_or_default();
        let list = folder
            .ups()
            .map(|up| {
                // A folder without problems pairs every up file with its down file.
                let down = folder
                    .down_of(up)
                    .expect("a folder without problems is paired");
                let sql = text(up);
                Migration {
                    version: up.name.version,
                    name: up.name.name.clone(),
                    stem: up.name.stem(),
                    path: up.path.clone(),
                    checksum: Checksum::of(&sql),
                    sql,
                    down: Script {
                        path: down.path.clone(),
                        sql: text(down),
                        no_transaction: down.no_transaction,
                    },
                    no_transaction: up.no_transaction,
                    contract: up.contract,
                    backfill: up.backfill,
                }
            })
            .collect();
        Ok(Migrations {
            dir: folder.dir,
            list,
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

    /// Where a plain migrate can stop: the version before each contract step (none before a
    /// first migration that is one: that boundary is the empty database).
    pub fn held_boundaries(&self) -> Vec<i64> {
        self.list
            .windows(2)
            .filter(|pair| pair[1].contract)
            .map(|pair| pair[0].version)
            .collect()
    }
}

impl Migration {
    /// `001_create_users`, the name the tracking table and the reports use.
    pub fn file_stem(&self) -> String {
        self.stem.clone()
    }
}

/// A migration file's path in JSON: relative to the migrations folder (the file's name), since
/// the folder the command was pointed at is reported once beside it and the current directory
/// means nothing to whoever reads the JSON.
pub(crate) fn serialize_in_folder<S: serde::Serializer>(
    path: &Path,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    let name = path.file_name().map_or(path, Path::new);
    serde::Serialize::serialize(name, serializer)
}

/// [`serialize_in_folder`] for a path that may be absent.
pub(crate) fn serialize_optional_in_folder<S: serde::Serializer>(
    path: &Option<PathBuf>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match path {
        Some(path) => serialize_in_folder(path, serializer),
        None => serializer.serialize_none(),
    }
}
