//! Adopting a database the old script built: the tables are there, with rows, but their schema is
//! not quite the snapshot's (varchar columns, nullable timestamps, other index and trigger names)
//! and nothing records which migrations made them. [`plan_adopt`] compares the live schema with
//! the snapshot of the latest version and writes a reconciliation script, statement by
//! statement, each with the difference it resolves and the lock it takes, reading the database
//! only. [`apply_adopt`] runs that script and records every migration up to the snapshot's
//! version, in one transaction under the migrate lock, and commits only if the schema then
//! equals the snapshot. `baseline` is the special case of an empty script.

mod ddl;
mod facts;
mod reconcile;

use std::path::PathBuf;

use serde::Serialize;
use tokio_postgres::Client;

use crate::error::{Error, Result};
use crate::migrations::Migrations;
use crate::notice::Notify;
use crate::snapshot::{Change, Difference, Object, SNAPSHOT_FILE, Snapshot, diff};
use crate::tracking;
use crate::transaction::{
    STEP_DEADLINE, Timeouts, abort, begin_locked, begin_read_only, bounded, end, run_script,
};

use facts::Facts;
use reconcile::reconcile;

#[derive(Debug, Clone)]
pub struct AdoptOptions {
    /// Drop what the live schema has beyond the snapshot (tables, columns, indexes...), instead
    /// of listing it and keeping it.
    pub drop_extra: bool,
    /// From this many rows (the planner's estimate) on, `SET NOT NULL` goes through a validated
    /// `CHECK (... IS NOT NULL)`, so the long scan does not hold the exclusive lock.
    pub large_table_rows: u64,
    pub lock_timeout: Option<std::time::Duration>,
    pub statement_timeout: Option<std::time::Duration>,
    pub lock_wait: Option<std::time::Duration>,
    pub notify: Notify,
}

impl Default for AdoptOptions {
    fn default() -> Self {
        let defaults = Timeouts::DEFAULT;
        AdoptOptions {
            drop_extra: false,
            large_table_rows: 100_000,
            lock_timeout: defaults.lock,
            statement_timeout: defaults.statement,
            lock_wait: defaults.lock_wait,
            notify: Notify::default(),
        }
    }
}

/// One statement of the script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub sql: String,
    /// The difference it resolves, in words.
    pub resolves: String,
    /// The strongest lock it takes, and on what (held until COMMIT: it is one transaction).
    pub lock: String,
}

impl Statement {
    /// What names the statement in errors and notices, where a file would give its path: it has
    /// no file. `index` counts from 0.
    pub fn place(&self, index: usize) -> PathBuf {
        PathBuf::from(format!("adopt statement {} ({})", index + 1, self.resolves))
    }
}

/// Why the database cannot be reconciled automatically, with the rows in the way when rows are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub reason: String,
    pub table: Option<String>,
    pub column: Option<String>,
    /// How many rows stand in the way.
    pub rows: Option<i64>,
    /// A query that lists them.
    pub query: Option<String>,
}

impl Refusal {
    fn new(reason: String) -> Refusal {
        Refusal {
            reason,
            table: None,
            column: None,
            rows: None,
            query: None,
        }
    }
}

/// Something the live schema has beyond the snapshot, kept (without `--drop-extra`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub object: Object,
    /// As verify names it: `table.column`, `table.constraint`, an index's or table's name.
    pub name: String,
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.object.word(), self.name)
    }
}

/// What adopt would do.
#[derive(Debug, Clone, Serialize)]
pub struct AdoptPlan {
    /// The snapshot's version: every migration up to it is recorded as applied.
    pub version: i64,
    /// The migrations recorded, `001_create_users`...
    pub migrations: Vec<String>,
    pub statements: Vec<Statement>,
    pub kept: Vec<Kept>,
    /// When not empty, nothing can be applied.
    pub refusals: Vec<Refusal>,
}

impl AdoptPlan {
    /// The script as a file a reviewer reads: each statement with what it resolves and its lock.
    pub fn script(&self) -> String {
        let mut text = format!(
            "-- The reconciliation script of `cargo xtask adopt`, to review in a pull request.\n\
             -- `cargo xtask adopt --apply` plans again under the migrate lock and runs these\n\
             -- statements in one transaction, records migrations {} to {} as applied, and\n\
             -- commits only if the schema then equals {SNAPSHOT_FILE}. Every lock below is held\n\
             -- until that COMMIT.\n",
            self.migrations.first().map_or("-", String::as_str),
            self.migrations.last().map_or("-", String::as_str),
        );
        for (i, statement) in self.statements.iter().enumerate() {
            text.push_str(&format!(
                "\n-- {}. {}\n--    lock: {}\n{};\n",
                i + 1,
                statement.resolves,
                statement.lock,
                statement.sql
            ));
        }
        for kept in &self.kept {
            text.push_str(&format!(
                "\n-- kept: {kept} is not in the snapshot (--drop-extra drops it)\n"
            ));
        }
        text
    }
}

/// What `apply_adopt` did.
#[derive(Debug, Clone, Serialize)]
pub struct Adopted {
    pub version: i64,
    pub statements: usize,
    pub recorded: Vec<String>,
    pub duration_ms: f64,
}

/// Plans the reconciliation: reads the database in one READ ONLY transaction, changes nothing.
pub async fn plan_adopt(
    client: &Client,
    migrations: &Migrations,
    snapshot: &Snapshot,
    options: &AdoptOptions,
) -> Result<AdoptPlan> {
    let version = snapshot_version(migrations, snapshot)?;
    begin_read_only(client).await?;
    let planned = plan_in_transaction(client, migrations, snapshot, options, version).await;
    let _ = abort(client, Error::NothingToRollBack).await;
    planned
}

/// Runs `plan` (after planning again under the lock: it refuses if the database moved) and
/// records the migrations, in one transaction that commits only when the schema equals the
/// snapshot, but for what the plan keeps.
pub async fn apply_adopt(
    client: &Client,
    migrations: &Migrations,
    snapshot: &Snapshot,
    options: &AdoptOptions,
    plan: &AdoptPlan,
) -> Result<Adopted> {
    if !plan.refusals.is_empty() {
        return Err(Error::AdoptRefused {
            reasons: plan.refusals.iter().map(|r| r.reason.clone()).collect(),
        });
    }
    let started = std::time::Instant::now();
    let version = snapshot_version(migrations, snapshot)?;
    let timeouts = Timeouts {
        lock: options.lock_timeout,
        statement: options.statement_timeout,
        lock_wait: options.lock_wait,
    };
    begin_locked(client, timeouts, &options.notify).await?;
    match apply_in_transaction(
        client, migrations, snapshot, options, plan, version, timeouts,
    )
    .await
    {
        Ok(adopted) => {
            end(client, "COMMIT").await?;
            Ok(Adopted {
                duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                ..adopted
            })
        }
        Err(error) => Err(abort(client, error).await),
    }
}

/// The version `snapshot` describes, which must be the folder's latest: adopting records every
/// migration up to it.
pub(crate) fn snapshot_version(migrations: &Migrations, snapshot: &Snapshot) -> Result<i64> {
    let latest = migrations.latest_version();
    latest
        .filter(|&latest| snapshot.version == Some(latest))
        .ok_or_else(|| {
            let version = |v: Option<i64>| v.map_or("none".to_string(), |v| v.to_string());
            Error::SnapshotStale {
                path: migrations.dir.join(SNAPSHOT_FILE),
                snapshot: version(snapshot.version),
                latest: version(latest),
            }
        })
}

async fn plan_in_transaction(
    client: &Client,
    migrations: &Migrations,
    snapshot: &Snapshot,
    options: &AdoptOptions,
    version: i64,
) -> Result<AdoptPlan> {
    refuse_if_tracked(client).await?;
    // Names are written as the snapshot writes them: relative to `public`.
    client
        .batch_execute("SET LOCAL search_path = public")
        .await
        .map_err(crate::error::database("setting search_path for the plan"))?;
    let live = bounded(
        "reading the schema",
        Some(STEP_DEADLINE),
        Snapshot::capture(client),
    )
    .await?;
    let facts = Facts::new(client);
    let script = reconcile(&live, snapshot, &facts, options).await?;
    Ok(AdoptPlan {
        version,
        migrations: migrations
            .list
            .iter()
            .filter(|m| m.version <= version)
            .map(|m| m.file_stem())
            .collect(),
        statements: script.statements,
        kept: script.kept,
        refusals: script.refusals,
    })
}

async fn apply_in_transaction(
    client: &Client,
    migrations: &Migrations,
    snapshot: &Snapshot,
    options: &AdoptOptions,
    plan: &AdoptPlan,
    version: i64,
    timeouts: Timeouts,
) -> Result<Adopted> {
    let again = plan_in_transaction(client, migrations, snapshot, options, version).await?;
    if again.statements != plan.statements || !again.refusals.is_empty() || again.kept != plan.kept
    {
        return Err(Error::AdoptPlanStale);
    }
    for (i, statement) in plan.statements.iter().enumerate() {
        run_script(
            client,
            &statement.place(i),
            &statement.sql,
            timeouts,
            &options.notify,
        )
        .await?;
    }
    tracking::create(client).await?;
    let recorded: Vec<_> = migrations
        .list
        .iter()
        .filter(|m| m.version <= version)
        .collect();
    for migration in &recorded {
        tracking::record(client, migration, 0, None).await?;
    }
    let after = bounded(
        "reading the schema",
        Some(STEP_DEADLINE),
        Snapshot::capture(client),
    )
    .await?;
    let remaining: Vec<Difference> = schema_differences(snapshot, &after)
        .into_iter()
        .filter(|d| !kept(plan, d))
        .collect();
    if !remaining.is_empty() {
        return Err(Error::AdoptIncomplete {
            differences: remaining.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(Adopted {
        version,
        statements: plan.statements.len(),
        recorded: recorded.iter().map(|m| m.file_stem()).collect(),
        duration_ms: 0.0,
    })
}

/// Adopting is for a database migrated before authdb: one whose tracking table has rows is
/// tracked already.
pub(crate) async fn refuse_if_tracked(client: &Client) -> Result<()> {
    let applied = tracking::read(client).await?;
    match applied.last() {
        Some(last) => Err(Error::AlreadyTracked {
            table: tracking::TABLE.to_string(),
            count: applied.len(),
            latest: last.version,
        }),
        None => Ok(()),
    }
}

/// How the live schema differs from the snapshot, but for a missing tracking table: adopt and
/// baseline create it.
pub(crate) fn schema_differences(snapshot: &Snapshot, live: &Snapshot) -> Vec<Difference> {
    diff(snapshot, live)
        .into_iter()
        .filter(|d| !(d.object == Object::TrackingTable && d.change == Change::Missing))
        .collect()
}

/// Whether a difference is something the plan keeps on purpose.
fn kept(plan: &AdoptPlan, difference: &Difference) -> bool {
    difference.change == Change::Unexpected
        && plan
            .kept
            .iter()
            .any(|k| k.object == difference.object && k.name == difference.name)
}
