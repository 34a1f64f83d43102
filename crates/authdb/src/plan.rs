//! Comparing the folder with the tracking table: which migrations are applied, pending, modified
//! or missing, and which ones a run may apply. Pure functions, so every rule is unit-tested
//! without a server.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::migrations::{Migration, Migrations};
use crate::tracking::AppliedMigration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Applied, and the file still has the checksum it had then.
    Applied,
    /// A file the database has not applied yet.
    Pending,
    /// Applied, but the file has changed since.
    Modified,
    /// Applied, but the file is gone.
    Missing,
    /// The database applied another migration under this version (from another branch): a
    /// different name and a different checksum, not an edit.
    Different,
    /// A no-transaction migration an earlier run started and did not see finish; the next
    /// migrate decides from the catalog (see [`crate::unfinished`]).
    Unfinished,
    /// Applied under another name, with the same checksum: the file was renamed, nothing else.
    Renamed,
    /// Not recorded, though a later version is: a gap in the recorded history, not a pending
    /// migration (migrate applies in order, so it cannot be new).
    Unrecorded,
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Modified => "modified",
            State::Missing => "missing",
            State::Different => "different",
            State::Unfinished => "unfinished",
            State::Renamed => "renamed",
            State::Unrecorded => "unrecorded",
        })
    }
}

/// One line of `status`: a version in the folder, the database, or both.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub version: i64,
    /// `001_create_users`.
    pub name: String,
    pub state: State,
    /// In JSON, relative to the migrations folder.
    #[serde(serialize_with = "crate::migrations::serialize_optional_in_folder")]
    pub path: Option<PathBuf>,
    /// When it was applied (RFC 3339), if it was.
    pub applied_at: Option<String>,
    /// The name the database recorded for this version, when it is another migration's.
    pub recorded_as: Option<String>,
    /// The folder's file is a contract step (`-- authdb:contract`).
    pub contract: bool,
}

/// Every version known to the folder or the database, in order.
pub fn compare(migrations: &Migrations, applied: &[AppliedMigration]) -> Vec<Entry> {
    let latest = applied.iter().map(|a| a.version).max();
    let mut entries: Vec<Entry> = migrations
        .list
        .iter()
        .map(|m| {
            let record = applied.iter().find(|a| a.version == m.version);
            let same_text = |a: &AppliedMigration| a.checksum == m.checksum.to_hex();
            let state = match record {
                None if latest.is_some_and(|latest| m.version < latest) => State::Unrecorded,
                None => State::Pending,
                Some(a) if a.name != m.stem && same_text(a) => State::Renamed,
                Some(a) if a.name != m.stem => State::Different,
                Some(a) if !a.finished => State::Unfinished,
                Some(a) if same_text(a) => State::Applied,
                Some(_) => State::Modified,
            };
            Entry {
                version: m.version,
                name: m.file_stem(),
                state,
                path: Some(m.path.clone()),
                applied_at: record.map(|a| a.applied_at.clone()),
                recorded_as: record.filter(|a| a.name != m.stem).map(|a| a.name.clone()),
                contract: m.contract,
            }
        })
        .collect();
    for a in applied {
        if migrations.get(a.version).is_none() {
            entries.push(Entry {
                version: a.version,
                name: a.name.clone(),
                state: State::Missing,
                path: None,
                applied_at: Some(a.applied_at.clone()),
                recorded_as: None,
                contract: false,
            });
        }
    }
    entries.sort_by_key(|e| e.version);
    entries
}

/// Refuses a database whose history disagrees with the folder: a modified, missing, renamed or
/// different migration, or a gap, means the files no longer describe what the database holds.
/// Each refusal's advice is only what these facts justify (README, "When migrate refuses").
pub fn check_history(migrations: &Migrations, applied: &[AppliedMigration]) -> Result<()> {
    for a in applied {
        if !a.finished {
            return Err(Error::UnfinishedMigration {
                version: a.version,
                name: a.name.clone(),
                started: a.applied_at.clone(),
                reason: "run `cargo xtask migrate` first: it finds out from the catalog whether \
                         it took effect, and records or finishes it"
                    .to_string(),
            });
        }
        match migrations.get(a.version) {
            None => {
                return Err(Error::MissingMigration {
                    version: a.version,
                    name: a.name.clone(),
                    dir: migrations.dir.clone(),
                });
            }
            Some(m) if m.stem != a.name && m.checksum.to_hex() == a.checksum => {
                return Err(Error::RenamedMigration {
                    version: a.version,
                    recorded: a.name.clone(),
                    path: m.path.clone(),
                    down: m.down.path.clone(),
                });
            }
            Some(m) if m.stem != a.name => {
                return Err(Error::DifferentMigration {
                    version: a.version,
                    recorded: a.name.clone(),
                    path: m.path.clone(),
                });
            }
            Some(m) if m.checksum.to_hex() != a.checksum => {
                return Err(Error::ModifiedMigration {
                    version: a.version,
                    path: m.path.clone(),
                    recorded: short(&a.checksum),
                    actual: short(&m.checksum.to_hex()),
                });
            }
            Some(_) => {}
        }
    }
    if let Some(gap) = gap(migrations, applied) {
        return Err(gap);
    }
    Ok(())
}

/// Versions of the folder that are not recorded while a later one is. The folder's versions have
/// no gaps and migrate applies them in order, so this is a hole in the record (a row deleted by
/// hand, or a database changed by another tool), never a new file: running it now could apply
/// it a second time, and renumbering it would.
fn gap(migrations: &Migrations, applied: &[AppliedMigration]) -> Option<Error> {
    let latest = applied.iter().map(|a| a.version).max()?;
    let unrecorded: Vec<&Migration> = migrations
        .list
        .iter()
        .filter(|m| m.version < latest && !applied.iter().any(|a| a.version == m.version))
        .collect();
    let first = unrecorded.first()?;
    Some(Error::HistoryGap {
        path: first.path.clone(),
        versions: unrecorded.iter().map(|m| m.version).collect(),
        latest,
    })
}

/// The migrations a run applies, in order: every pending one up to `up_to` (inclusive).
/// Call after `check_history`.
pub fn pending<'a>(
    migrations: &'a Migrations,
    applied: &[AppliedMigration],
    up_to: Option<i64>,
) -> Result<Vec<&'a Migration>> {
    let latest_applied = applied.iter().map(|a| a.version).max();
    if let Some(version) = up_to {
        if migrations.get(version).is_none() {
            return Err(Error::UnknownVersion {
                version,
                dir: migrations.dir.clone(),
            });
        }
        if let Some(latest) = latest_applied.filter(|&latest| version < latest) {
            return Err(Error::UpToBehind {
                version,
                applied: latest,
            });
        }
    }
    if let Some(gap) = gap(migrations, applied) {
        return Err(gap);
    }
    Ok(migrations
        .list
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .filter(|m| up_to.is_none_or(|v| m.version <= v))
        .collect())
}

/// The first 12 hex digits: enough to tell checksums apart in a message.
fn short(hex: &str) -> String {
    hex.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::{Checksum, Script};

    fn folder(versions: &[i64]) -> Migrations {
        let list = versions
            .iter()
            .map(|&v| Migration {
                version: v,
                name: format!("m{v}"),
                stem: format!("{v:03}_m{v}"),
                path: PathBuf::from(format!("migrations/{v:03}_m{v}.sql")),
                sql: format!("SELECT {v};"),
                checksum: Checksum::of(&format!("SELECT {v};")),
                down: Script {
                    path: PathBuf::from(format!("migrations/{v:03}_m{v}.down.sql")),
                    sql: "SELECT 0;".into(),
                    no_transaction: false,
                },
                no_transaction: false,
                contract: false,
                backfill: false,
            })
            .collect();
        Migrations {
            dir: PathBuf::from("migrations"),
            list,
        }
    }

    fn applied(folder: &Migrations, versions: &[i64]) -> Vec<AppliedMigration> {
        versions
            .iter()
            .map(|&v| AppliedMigration {
                finished: true,
                version: v,
                name: format!("{v:03}_m{v}"),
                checksum: folder.get(v).map_or("gone".into(), |m| m.checksum.to_hex()),
                applied_at: "2026-01-01T00:00:00Z".into(),
                execution_ms: 1,
            })
            .collect()
    }

    #[test]
    fn pending_stops_at_up_to() {
        let f = folder(&[1, 2, 3, 4]);
        let done = applied(&f, &[1]);
        let versions = |t| -> Vec<i64> {
            pending(&f, &done, t)
                .unwrap()
                .iter()
                .map(|m| m.version)
                .collect()
        };
        assert_eq!(versions(None), [2, 3, 4]);
        assert_eq!(versions(Some(3)), [2, 3]);
        assert_eq!(versions(Some(1)), Vec::<i64>::new());
    }

    #[test]
    fn refuses_versions_it_cannot_reach() {
        let f = folder(&[1, 2, 3]);
        let done = applied(&f, &[1, 2]);
        let err = pending(&f, &done, Some(7)).unwrap_err().to_string();
        assert!(
            err.contains("--to 7: there is no migration with that version"),
            "{err}"
        );
        let err = pending(&f, &done, Some(1)).unwrap_err().to_string();
        assert!(err.contains("below the applied version 2"), "{err}");
    }

    /// A version the folder has below a recorded one is a hole in the record, never a new file:
    /// the advice is verify and baseline, and never renumbering (which would run it again).
    #[test]
    fn a_gap_in_the_recorded_history_is_named_as_such() {
        let f = folder(&[1, 2, 3, 4]);
        let done = applied(&f, &[1, 3, 4]);
        for err in [
            check_history(&f, &done).unwrap_err().to_string(),
            pending(&f, &done, None).unwrap_err().to_string(),
        ] {
            assert!(
                err.starts_with(
                    "migrations/002_m2.sql: version 2 is not recorded in \
                     public.authdb_schema_migrations, but later versions are (up to 4): a gap in \
                     the recorded history"
                ),
                "{err}"
            );
            assert!(err.contains("`cargo xtask verify`"), "{err}");
            assert!(err.contains("`cargo xtask baseline`"), "{err}");
            assert!(!err.contains("renumber it"), "{err}");
        }
        let err = check_history(&f, &applied(&f, &[4]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("versions 1, 2 and 3 are not recorded"),
            "{err}"
        );
        let states: Vec<State> = compare(&f, &done).iter().map(|e| e.state).collect();
        assert_eq!(
            states,
            [
                State::Applied,
                State::Unrecorded,
                State::Applied,
                State::Applied
            ]
        );
        // Pending files after the last recorded one are no gap.
        check_history(&f, &applied(&f, &[1, 2])).unwrap();
    }

    /// The same checksum under another name is a rename: nothing to roll back, and the two ways
    /// out named exactly.
    #[test]
    fn a_renamed_file_is_recognised_by_its_unchanged_checksum() {
        let f = folder(&[1, 2]);
        let mut done = applied(&f, &[1, 2]);
        done[1].name = "002_old_name".into();
        let err = check_history(&f, &done).unwrap_err().to_string();
        assert_eq!(
            err,
            "migrations/002_m2.sql: version 2 was applied as 002_old_name, and this file has the \
             same content (its checksum is unchanged): it was renamed, nothing else. Nothing runs, \
             and nothing needs rolling back. Rename it back (`git mv migrations/002_m2.sql \
             migrations/002_old_name.sql` and `git mv migrations/002_m2.down.sql \
             migrations/002_old_name.down.sql`), or record the new name: `UPDATE \
             public.authdb_schema_migrations SET name = '002_m2' WHERE version = 2 AND name = \
             '002_old_name'`"
        );
        let entries = compare(&f, &done);
        assert_eq!(entries[1].state, State::Renamed);
        assert_eq!(entries[1].recorded_as.as_deref(), Some("002_old_name"));
        // A name typed by hand into the table cannot break out of the SQL it is quoted in.
        done[1].name = "x' OR true --".into();
        let err = check_history(&f, &done).unwrap_err().to_string();
        assert!(err.ends_with("AND name = 'x'' OR true --'`"), "{err}");
    }

    #[test]
    fn history_names_modified_and_missing_files() {
        let f = folder(&[1, 2]);
        let mut done = applied(&f, &[1, 2]);
        done[1].checksum = "0123456789abcdef".into();
        let err = check_history(&f, &done).unwrap_err().to_string();
        assert!(
            err.starts_with("migrations/002_m2.sql: the file was changed"),
            "{err}"
        );

        let done = applied(&folder(&[1, 2, 3]), &[1, 2, 3]);
        let err = check_history(&f, &done).unwrap_err().to_string();
        assert!(
            err.starts_with("version 3 (003_m3) is recorded as applied"),
            "{err}"
        );
        let states: Vec<State> = compare(&f, &done).iter().map(|e| e.state).collect();
        assert_eq!(states, [State::Applied, State::Applied, State::Missing]);
    }

    #[test]
    fn another_branch_s_migration_under_the_same_version_is_named_as_such() {
        let f = folder(&[1, 2]);
        let mut done = applied(&f, &[1, 2]);
        done[1].name = "002_add_nickname".into();
        done[1].checksum = "0123456789abcdef".into();
        let err = check_history(&f, &done).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "version 2 in the database is 002_add_nickname, another migration than \
                 migrations/002_m2.sql"
            ),
            "{err}"
        );
        assert!(
            err.contains("`cargo xtask rollback --to 1` shows what it would drop"),
            "{err}"
        );
        assert!(err.contains("cargo xtask dev --reset"), "{err}");
        let states: Vec<State> = compare(&f, &done).iter().map(|e| e.state).collect();
        assert_eq!(states, [State::Applied, State::Different]);
    }
}
