//! Reverting applied migrations with their down files. Destructive, so it comes in two steps: a
//! plan, read from the down files' SQL (see [`crate::effects`]) and from read-only catalog
//! queries in a READ ONLY transaction, so that planning, `--dry-run` and the question before
//! confirming never execute user SQL; and the run itself, one transaction under the same lock as
//! migrate, which first checks that the database is still where the plan found it. A down file
//! marked `-- authdb:no-transaction` (`DROP INDEX CONCURRENTLY`) splits the run as a
//! no-transaction migration splits migrate: its row is marked unfinished and committed with the
//! down files before it, it runs alone under the session lock, and its row goes after.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use crate::effects::{Action, effects, identifier};
use crate::error::{Error, Result, database};
use crate::migrations::{Migration, Migrations};
use crate::notice::Notify;
use crate::plan;
use crate::tracking;
use crate::transaction::{
    Run, STEP_DEADLINE, Timeouts, abort, begin_locked, begin_opened, begin_read_only, bounded, end,
    partly_committed, run_script, set_timeouts, simple, transaction_id,
};
use crate::unfinished::{self, Recovery};

/// How far back to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTo {
    /// The last applied migration only.
    Last,
    /// Every migration above this version; version N itself stays applied. 0 means all.
    Version(i64),
    /// Everything.
    All,
}

#[derive(Debug, Clone)]
pub struct RollbackOptions {
    pub to: RollbackTo,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub lock_wait: Option<Duration>,
    pub notify: Notify,
}

impl RollbackOptions {
    /// `to`, with the default waits of a migrate.
    pub fn new(to: RollbackTo) -> RollbackOptions {
        let defaults = Timeouts::DEFAULT;
        RollbackOptions {
            to,
            lock_timeout: defaults.lock,
            statement_timeout: defaults.statement,
            lock_wait: defaults.lock_wait,
            notify: Notify::default(),
        }
    }
}

/// What a rollback will do, shown to the user before they confirm.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackPlan {
    /// The highest applied version now.
    pub from_version: i64,
    /// The highest applied version afterwards; `None` when nothing stays applied.
    pub to_version: Option<i64>,
    /// Migrations to revert, newest first.
    pub steps: Vec<Revert>,
    /// What their down files do, in the order they run, with what is there now.
    pub effects: Vec<PlannedEffect>,
    /// A no-transaction file an earlier run (migrate or rollback) left unfinished, settled
    /// first from the catalog: recorded as applied (then reverted like the others) or forgotten.
    pub settled: Option<Recovery>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Revert {
    pub version: i64,
    pub name: String,
    /// Its down file runs on its own, outside the transaction (`-- authdb:no-transaction`).
    pub no_transaction: bool,
    /// A contract step: its down file brings back what it removed, without what was written
    /// to the rest of the table since.
    pub contract: bool,
    /// Zero in a plan.
    pub duration_ms: f64,
}

/// One statement of a down file, and what it would touch if it ran now.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedEffect {
    pub version: i64,
    /// In JSON, relative to the migrations folder.
    #[serde(serialize_with = "crate::migrations::serialize_in_folder")]
    pub file: PathBuf,
    pub line: usize,
    #[serde(flatten)]
    pub action: Action,
    /// Rows of the table it drops, empties or changes (values of the column it drops); `None`
    /// when the object is not there or the count means nothing.
    pub rows: Option<i64>,
    /// What `CASCADE` takes with it, as PostgreSQL names it (`constraint x on table y`).
    pub cascades_to: Vec<String>,
    /// The line a person reads: `drops table sessions (12 rows)`.
    pub description: String,
}

/// Works out what reverting would do. Read-only: one READ ONLY transaction of catalog queries
/// and row counts; no down file is run.
pub async fn plan_rollback(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
) -> Result<RollbackPlan> {
    begin_read_only(client).await?;
    let planned = plan_in_transaction(client, migrations, options).await;
    let _ = abort(client, Error::NothingToRollBack).await;
    planned
}

/// Reverts what `plan` lists, in one transaction; refuses if the database moved since the plan.
pub async fn rollback(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
    plan: &RollbackPlan,
) -> Result<Vec<Revert>> {
    begin_locked(client, timeouts(options), &options.notify).await?;
    match revert_in_transaction(client, migrations, options, plan).await {
        Ok(steps) => {
            end(client, "COMMIT").await?;
            Ok(steps)
        }
        Err(Error::TransactionEnded { location, .. }) => {
            Err(tracking::ended(client, location).await)
        }
        Err(error) => Err(abort(client, error).await),
    }
}

fn timeouts(options: &RollbackOptions) -> Timeouts {
    Timeouts {
        lock: options.lock_timeout,
        statement: options.statement_timeout,
        lock_wait: options.lock_wait,
    }
}

async fn plan_in_transaction(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
) -> Result<RollbackPlan> {
    let Selected {
        from_version,
        reverts,
        to_version,
        settled,
    } = select(client, migrations, options.to).await?;
    let mut planned = Vec::new();
    for migration in &reverts {
        for effect in effects(&migration.down.sql) {
            let what = format!("reading what {} would touch", migration.down.path.display());
            let resolved =
                bounded(&what, Some(STEP_DEADLINE), resolve(client, &effect.action)).await?;
            let (rows, cascades_to) = resolved;
            planned.push(PlannedEffect {
                version: migration.version,
                file: migration.down.path.clone(),
                line: effect.line,
                description: describe(&effect.action, rows, &cascades_to),
                action: effect.action,
                rows,
                cascades_to,
            });
        }
    }
    Ok(RollbackPlan {
        from_version,
        to_version,
        steps: reverts.iter().map(|m| revert(m, 0.0)).collect(),
        effects: planned,
        settled,
    })
}

/// What an action would touch now: a row count and what CASCADE takes along, from the catalog.
async fn resolve(client: &Client, action: &Action) -> Result<(Option<i64>, Vec<String>)> {
    match action {
        Action::DropTable { name, cascade } => {
            let Some(table) = regclass(client, name).await? else {
                return Ok((None, Vec::new()));
            };
            let rows = count(client, &table, "*").await?;
            let cascades = if *cascade {
                dependents(client, "to_regclass($1)", name).await?
            } else {
                Vec::new()
            };
            Ok((Some(rows), cascades))
        }
        Action::Delete { table, .. }
        | Action::Update { table, .. }
        | Action::Truncate { table } => match regclass(client, table).await? {
            Some(table) => Ok((Some(count(client, &table, "*").await?), Vec::new())),
            None => Ok((None, Vec::new())),
        },
        Action::DropColumn { table, column } => {
            let Some(regclass) = regclass(client, table).await? else {
                return Ok((None, Vec::new()));
            };
            let sql = "SELECT quote_ident(attname) FROM pg_attribute
                        WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
                          AND attname = $2";
            let found = client
                .query_opt(sql, &[table, &identifier(column)])
                .await
                .map_err(database("looking up a column"))?;
            match found {
                Some(row) => {
                    let quoted: String = row.get(0);
                    Ok((Some(count(client, &regclass, &quoted).await?), Vec::new()))
                }
                None => Ok((None, Vec::new())),
            }
        }
        Action::Drop {
            kind,
            name,
            cascade: true,
        } => {
            let lookup = match kind.as_str() {
                "view" | "sequence" | "index" | "materialized view" => "to_regclass($1)",
                "function" | "procedure" => "to_regprocedure($1)",
                "type" | "domain" => "to_regtype($1)",
                "schema" => "to_regnamespace($1)",
                _ => return Ok((None, Vec::new())),
            };
            Ok((None, dependents(client, lookup, name).await?))
        }
        Action::Drop { .. } | Action::DropConstraint { .. } | Action::Other { .. } => {
            Ok((None, Vec::new()))
        }
    }
}

/// The table's name as PostgreSQL quotes it, if it exists.
async fn regclass(client: &Client, name: &str) -> Result<Option<String>> {
    let row = client
        .query_one("SELECT to_regclass($1)::text", &[&name])
        .await
        .map_err(database(format!("looking up {name}")))?;
    Ok(row.get(0))
}

/// `count(what)` over a table named as `regclass` printed it (so it is safely quoted).
async fn count(client: &Client, regclass: &str, what: &str) -> Result<i64> {
    let sql = format!("SELECT count({what}) FROM {regclass}");
    let row = client
        .query_one(&sql, &[])
        .await
        .map_err(database(format!("counting the rows of {regclass}")))?;
    Ok(row.get(0))
}

/// The objects that depend on an object in the way CASCADE follows (pg_depend's normal
/// dependencies), described by PostgreSQL.
async fn dependents(client: &Client, lookup: &str, name: &str) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT DISTINCT CASE WHEN d.classid = 'pg_rewrite'::regclass
                              -- a view depends on a table through its rewrite rule
                              THEN (SELECT 'view ' || r.ev_class::regclass::text
                                      FROM pg_rewrite r WHERE r.oid = d.objid)
                              ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END
           FROM pg_depend d
          WHERE d.refobjid = {lookup} AND d.deptype = 'n'
          ORDER BY 1"
    );
    let param: &(dyn ToSql + Sync) = &name;
    let rows = client
        .query(&sql, &[param])
        .await
        .map_err(database(format!("listing what depends on {name}")))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

fn describe(action: &Action, rows: Option<i64>, cascades_to: &[String]) -> String {
    let rows_of = |n: Option<i64>, unit: &str| match n {
        Some(1) => format!(" (1 {unit})"),
        Some(n) => format!(" ({n} {unit}s)"),
        None => " (not there now)".to_string(),
    };
    let mut text = match action {
        Action::DropTable { name, .. } => format!("drops table {name}{}", rows_of(rows, "row")),
        Action::Drop { kind, name, .. } if name.to_ascii_lowercase().starts_with("drop ") => {
            format!("drops {kind}: {name}")
        }
        Action::Drop { kind, name, .. } => format!("drops {kind} {name}"),
        Action::DropColumn { table, column } => {
            format!(
                "drops column {table}.{column}{}",
                rows_of(rows, "non-null value")
            )
        }
        Action::DropConstraint { table, name } => format!("drops constraint {name} on {table}"),
        Action::Delete {
            table,
            all_rows: true,
        } => format!("deletes every row of {table}{}", rows_of(rows, "row")),
        Action::Delete { table, .. } => {
            format!(
                "deletes the rows of {table} its WHERE matches{}",
                of_now(rows)
            )
        }
        Action::Truncate { table } => format!("empties {table}{}", rows_of(rows, "row")),
        Action::Update {
            table,
            all_rows: true,
        } => format!("updates every row of {table}{}", rows_of(rows, "row")),
        Action::Update { table, .. } => {
            format!(
                "updates the rows of {table} its WHERE matches{}",
                of_now(rows)
            )
        }
        Action::Other { statement } => format!("runs {statement}"),
    };
    if !cascades_to.is_empty() {
        text.push_str(&format!(", and with CASCADE: {}", cascades_to.join(", ")));
    }
    text
}

fn of_now(rows: Option<i64>) -> String {
    match rows {
        Some(n) => format!(" (of {n} now)"),
        None => " (not there now)".to_string(),
    }
}

/// Reverts the plan's migrations, newest first, starting inside the open locked transaction;
/// commits what is left open.
async fn revert_in_transaction(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
    plan: &RollbackPlan,
) -> Result<Vec<Revert>> {
    let Selected {
        from_version,
        reverts,
        settled,
        ..
    } = select(client, migrations, options.to).await?;
    let versions: Vec<i64> = reverts.iter().map(|m| m.version).collect();
    let planned: Vec<i64> = plan.steps.iter().map(|s| s.version).collect();
    if from_version != plan.from_version || versions != planned || settled != plan.settled {
        return Err(Error::RollbackPlanStale);
    }
    let split = reverts.iter().any(|m| m.down.no_transaction)
        || matches!(
            &settled,
            Some(Recovery {
                action: unfinished::Action::RunAgain {
                    drop_first: Some(_)
                },
                ..
            })
        );
    if split {
        // The row of a no-transaction down file is marked unfinished: a table an older authdb
        // made gets that column first.
        tracking::create(client).await?;
        crate::lock::hold_for_session(client).await?;
    }
    let result = revert_steps(client, options, plan, &reverts, settled.as_ref()).await;
    if split {
        crate::lock::release_session(client).await;
    }
    result
}

/// The down files in order, each ordinary one in the open transaction, each no-transaction one
/// alone between committed pieces.
async fn revert_steps(
    client: &Client,
    options: &RollbackOptions,
    plan: &RollbackPlan,
    reverts: &[&Migration],
    settled: Option<&Recovery>,
) -> Result<Vec<Revert>> {
    let timeouts = timeouts(options);
    let mut transaction = Some(transaction_id(client).await?);
    if let Some(recovery) = settled {
        settle(client, recovery, timeouts, &mut transaction, options).await?;
    }
    // Once a piece is committed: the version the database is at.
    let mut committed: Option<Option<i64>> = None;
    let mut steps = Vec::with_capacity(reverts.len());
    for (i, migration) in reverts.iter().enumerate() {
        let below = reverts.get(i + 1).map(|m| m.version);
        let down = &migration.down;
        if transaction.is_none() {
            transaction = Some(
                begin_opened(client, timeouts, &options.notify)
                    .await?
                    .transaction,
            );
        }
        if !down.no_transaction {
            let result = run_script(client, &down.path, &down.sql, timeouts, &options.notify)
                .await
                .map_err(|error| too_large(error, steps.len(), plan));
            let result = match result {
                Ok(elapsed) => tracking::remove(
                    client,
                    migration,
                    transaction.as_deref().unwrap_or_default(),
                )
                .await
                .map(|()| elapsed),
                Err(error) => Err(error),
            };
            match result {
                Ok(elapsed) => steps.push(revert(migration, elapsed.as_secs_f64() * 1000.0)),
                Err(error @ Error::TransactionEnded { .. }) => return Err(error),
                Err(error) => {
                    let error = abort(client, error).await;
                    return Err(partly_committed(error, committed, true, Run::Rollback));
                }
            }
            continue;
        }
        let id = transaction.take().unwrap_or_default();
        if let Err(error) = tracking::unfinish(client, migration.version, &id).await {
            let error = abort(client, error).await;
            return Err(partly_committed(error, committed, true, Run::Rollback));
        }
        end(client, "COMMIT").await?;
        // Reverted so far, and this file's row unfinished: the database is at this version.
        committed = Some(Some(migration.version));
        set_timeouts(client, timeouts, "SET").await?;
        match run_script(client, &down.path, &down.sql, timeouts, &options.notify).await {
            Ok(elapsed) => {
                tracking::forget(client, migration.version).await?;
                committed = Some(below);
                steps.push(revert(migration, elapsed.as_secs_f64() * 1000.0));
            }
            Err(error) => {
                // The statement failed, so its effect did not happen: the version stays applied.
                if !client.is_closed() {
                    let _ = tracking::finish(client, migration.version, 0).await;
                }
                return Err(partly_committed(error, committed, false, Run::Rollback));
            }
        }
    }
    if transaction.is_some() {
        end(client, "COMMIT").await?;
    }
    Ok(steps)
}

/// A rollback that ran out of the server's lock table (`out of shared memory`, SQLSTATE 53200:
/// every object a down file drops stays locked to the COMMIT, and `max_locks_per_transaction`
/// bounds them): the same rollback in steps, each half the size that failed, each its own
/// transaction. Any other error is returned as it is.
fn too_large(error: Error, done: usize, plan: &RollbackPlan) -> Error {
    if error.sqlstate() != Some("53200") {
        return error;
    }
    let Error::MigrationFailed {
        location,
        message,
        source,
        ..
    } = error
    else {
        return error;
    };
    let step = crate::error::rollback_step(done);
    let mut targets: Vec<i64> = plan
        .steps
        .iter()
        .skip(step)
        .step_by(step)
        .map(|s| s.version)
        .collect();
    targets.push(plan.to_version.unwrap_or(0));
    Error::RollbackTooLarge {
        location,
        message,
        total: plan.steps.len(),
        done,
        targets: targets.into(),
        source,
    }
}

/// Settles the unfinished row of an earlier interrupted run before reverting: recorded as
/// applied (its down file then runs like the others), or forgotten, after dropping the INVALID
/// index an interrupted build left.
async fn settle(
    client: &Client,
    recovery: &Recovery,
    timeouts: Timeouts,
    transaction: &mut Option<String>,
    options: &RollbackOptions,
) -> Result<()> {
    match &recovery.action {
        unfinished::Action::RecordApplied => tracking::finish(client, recovery.version, 0).await,
        unfinished::Action::RunAgain { drop_first: None } => {
            tracking::forget(client, recovery.version).await
        }
        unfinished::Action::RunAgain {
            drop_first: Some(sql),
        } => {
            end(client, "COMMIT").await?;
            *transaction = None;
            set_timeouts(client, timeouts, "SET").await?;
            let what = format!("{sql}, left by the interrupted {}", recovery.name);
            bounded(&what, Some(STEP_DEADLINE), simple(client, sql, &what)).await?;
            tracking::forget(client, recovery.version).await?;
            *transaction = Some(
                begin_opened(client, timeouts, &options.notify)
                    .await?
                    .transaction,
            );
            Ok(())
        }
    }
}

fn revert(migration: &Migration, duration_ms: f64) -> Revert {
    Revert {
        version: migration.version,
        name: migration.file_stem(),
        no_transaction: migration.down.no_transaction,
        contract: migration.contract,
        duration_ms,
    }
}

/// What a rollback finds under the lock (or in its read-only plan).
struct Selected<'a> {
    /// The applied version now (counting an unfinished migration the catalog shows applied).
    from_version: i64,
    /// The migrations to revert, newest first.
    reverts: Vec<&'a Migration>,
    /// The applied version afterwards.
    to_version: Option<i64>,
    settled: Option<Recovery>,
}

/// The applied version now, the migrations to revert (newest first) and the version after. An
/// unfinished row (a no-transaction file of an interrupted run) is settled from the catalog.
async fn select<'a>(
    client: &Client,
    migrations: &'a Migrations,
    to: RollbackTo,
) -> Result<Selected<'a>> {
    let (mut applied, unfinished): (Vec<_>, Vec<_>) = tracking::read(client)
        .await?
        .into_iter()
        .partition(|row| row.finished);
    plan::check_history(migrations, &applied)?;
    let mut settled = None;
    for row in unfinished {
        let recovery = unfinished::recover(client, &row, migrations.get(row.version), None).await?;
        if recovery.action == unfinished::Action::RecordApplied {
            applied.push(tracking::AppliedMigration {
                finished: true,
                ..row
            });
        }
        settled = Some(recovery);
    }
    let versions: Vec<i64> = applied.iter().map(|a| a.version).collect();
    let Some(&latest) = versions.last() else {
        return Err(Error::NothingToRollBack);
    };
    let keep_up_to = match to {
        RollbackTo::Last => versions.iter().rev().nth(1).copied(),
        RollbackTo::All | RollbackTo::Version(0) => None,
        RollbackTo::Version(v) if migrations.get(v).is_none() => {
            return Err(Error::UnknownVersion {
                version: v,
                dir: migrations.dir.clone(),
            });
        }
        RollbackTo::Version(v) if v >= latest => {
            return Err(Error::RollbackToNotBelow { to: v, latest });
        }
        RollbackTo::Version(v) => Some(v),
    };
    let reverts: Vec<&Migration> = versions
        .iter()
        .rev()
        .take_while(|&&version| keep_up_to.is_none_or(|keep| version > keep))
        // check_history guarantees a file for every applied version.
        .map(|&version| migrations.get(version).expect("checked by check_history"))
        .collect();
    let to_version = versions
        .iter()
        .rev()
        .find(|&&v| keep_up_to.is_some_and(|keep| v <= keep))
        .copied();
    Ok(Selected {
        from_version: latest,
        reverts,
        to_version,
        settled,
    })
}
