//! Checking a database against the repository, read-only: are all the migrations applied, none
//! edited or lost since, and does the live schema still match the committed snapshot of what they
//! create? This catches what the tracking table cannot: a hand-made `ALTER TABLE` in production,
//! a dropped index, a disabled trigger.

use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::error::Result;
use crate::migrations::Migrations;
use crate::plan::{self, Entry, State};
use crate::snapshot::{Difference, SNAPSHOT_FILE, Snapshot, diff};
use crate::tracking;

/// What `verify` found. The database is as the repository says when [`VerifyReport::ok`].
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Every migration of the folder or the database, with its state.
    pub migrations: Vec<Entry>,
    /// The latest applied version.
    pub database_version: Option<i64>,
    /// The version the snapshot describes.
    pub snapshot_version: Option<i64>,
    /// The held boundary the database stands at, when every migration it lacks is a contract
    /// step or follows one: the rollout's state, compared with the snapshot of that boundary.
    pub held_at: Option<i64>,
    /// Why the schema was not compared with the snapshot, when it was not.
    pub schema_not_compared: Option<String>,
    /// How the live schema departs from the snapshot.
    pub differences: Vec<Difference>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems().is_empty()
    }

    /// Every finding, one sentence each: the migrations first, then the schema.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .migrations
            .iter()
            .filter_map(|entry| {
                let advice = match entry.state {
                    State::Applied => return None,
                    State::Pending if self.held_at.is_some() => return None,
                    State::Pending => {
                        "pending: not applied to this database yet (cargo xtask migrate)"
                    }
                    State::Modified => {
                        "modified: the file changed after it was applied; restore it and put the \
                         change in a new migration"
                    }
                    State::Missing => {
                        "missing: applied to this database, but the folder has no file for it"
                    }
                    State::Different => {
                        "different: the database applied another migration under this version \
                         (another branch's); see `cargo xtask status`"
                    }
                    State::Unfinished => {
                        "unfinished: a no-transaction migration was started and not seen to \
                         finish; `cargo xtask migrate` finds out whether it took effect"
                    }
                    State::Renamed => {
                        "renamed: applied under another name, with the same content; see `cargo \
                         xtask status`"
                    }
                    State::Unrecorded => {
                        "unrecorded: a gap in the recorded history (later versions are \
                         recorded); see `cargo xtask status`"
                    }
                };
                Some(format!("migration {}: {advice}", entry.name))
            })
            .collect();
        problems.extend(self.schema_not_compared.iter().cloned());
        problems.extend(self.differences.iter().map(Difference::to_string));
        problems
    }
}

/// Compares the database with the folder and with `snapshot`, the committed description of what
/// the folder's migrations create. Changes nothing.
pub async fn verify(
    client: &impl GenericClient,
    migrations: &Migrations,
    snapshot: &Snapshot,
) -> Result<VerifyReport> {
    let (applied, live) = tokio::try_join!(tracking::read(client), Snapshot::capture(client))?;
    let database_version = applied.iter().map(|a| a.version).max();
    let migrations_report = plan::compare(migrations, &applied);
    let held_at = held_at(migrations, &migrations_report, database_version);
    let snapshot_path = migrations.dir.join(SNAPSHOT_FILE);
    let version = |v: Option<i64>| v.map_or("none".to_string(), |v| v.to_string());
    let expected = match held_at {
        Some(boundary) => snapshot.held.get(&boundary),
        None => Some(snapshot),
    };
    let schema_not_compared = if snapshot.version != migrations.latest_version() {
        Some(format!(
            "{}: the snapshot describes version {}, but the latest migration is {}: run `cargo \
             xtask snapshot` and commit the file; the schema was not compared",
            snapshot_path.display(),
            version(snapshot.version),
            version(migrations.latest_version())
        ))
    } else if let (Some(boundary), None) = (held_at, expected) {
        Some(format!(
            "{}: the database is held before the contract step after version {boundary}, but \
             the snapshot has no schema for that boundary: run `cargo xtask snapshot` and commit \
             the file; the schema was not compared",
            snapshot_path.display()
        ))
    } else if held_at.is_none() && database_version != snapshot.version {
        Some(format!(
            "the schema was not compared: the database is at version {}, the snapshot describes \
             version {}",
            version(database_version),
            version(snapshot.version)
        ))
    } else {
        None
    };
    let differences = match (&schema_not_compared, expected) {
        (None, Some(expected)) => diff(expected, &live),
        _ => Vec::new(),
    };
    Ok(VerifyReport {
        migrations: migrations_report,
        database_version,
        snapshot_version: snapshot.version,
        held_at,
        schema_not_compared,
        differences,
    })
}

/// The boundary the database is held at: it lacks only migrations from a contract step on,
/// and has every one before it.
fn held_at(migrations: &Migrations, entries: &[Entry], database: Option<i64>) -> Option<i64> {
    let boundary = database?;
    let next = migrations.get(boundary + 1)?;
    let rest_pending = entries
        .iter()
        .filter(|e| e.version > boundary)
        .all(|e| e.state == State::Pending);
    let before_applied = entries
        .iter()
        .filter(|e| e.version <= boundary)
        .all(|e| e.state == State::Applied);
    (next.contract && rest_pending && before_applied).then_some(boundary)
}
