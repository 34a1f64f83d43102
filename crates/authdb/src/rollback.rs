//! Reverting applied migrations with their down files. Destructive, so it comes in two steps: a
//! plan, worked out by really running the down files in a transaction that is then rolled back
//! (so the list of what would be dropped is PostgreSQL's, not a guess from the SQL text), and the
//! run itself, one transaction under the same lock as migrate, which first checks that the
//! database is still where the plan found it.

use std::time::Duration;

use serde::Serialize;
use tokio_postgres::Client;

use crate::error::{Error, Result, database};
use crate::migrations::{Migration, Migrations};
use crate::plan;
use crate::tracking::{self, TABLE};
use crate::transaction::{Timeouts, abort, begin_locked, end, run_script};

/// How far back to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTo {
    /// The last applied migration only.
    Last,
    /// Every migration above this version; version N itself stays applied.
    Version(i64),
    /// Everything.
    All,
}

#[derive(Debug, Clone)]
pub struct RollbackOptions {
    pub to: RollbackTo,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
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
    /// Tables the down files drop, with the rows they hold now.
    pub dropped_tables: Vec<DroppedTable>,
    /// Other objects they drop (indexes, triggers, functions), in PostgreSQL's own notation.
    pub dropped_objects: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Revert {
    pub version: i64,
    pub name: String,
    /// Zero in a plan.
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DroppedTable {
    pub name: String,
    pub rows: i64,
}

/// Works out what reverting would drop, and changes nothing.
pub async fn plan_rollback(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
) -> Result<RollbackPlan> {
    begin_locked(client, timeouts(options)).await?;
    let planned = plan_in_transaction(client, migrations, options).await;
    let _ = end(client, "ROLLBACK").await;
    planned
}

/// Reverts what `plan` lists, in one transaction; refuses if the database moved since the plan.
pub async fn rollback(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
    plan: &RollbackPlan,
) -> Result<Vec<Revert>> {
    begin_locked(client, timeouts(options)).await?;
    match revert_in_transaction(client, migrations, options, plan).await {
        Ok(steps) => {
            end(client, "COMMIT").await?;
            Ok(steps)
        }
        Err(error) => Err(abort(client, error).await),
    }
}

async fn savepoint(client: &Client, sql: &str) -> Result<()> {
    client
        .batch_execute(sql)
        .await
        .map_err(database("planning the rollback"))
}

fn timeouts(options: &RollbackOptions) -> Timeouts {
    Timeouts {
        lock: options.lock_timeout,
        statement: options.statement_timeout,
    }
}

async fn plan_in_transaction(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
) -> Result<RollbackPlan> {
    let (from_version, reverts, to_version) = select(client, migrations, options.to).await?;
    let before = objects(client).await?;
    // Run the down files, see what is gone, and undo them again: the rows are counted in
    // the tables as they are, and their locks are released before anyone is asked to confirm.
    savepoint(client, "SAVEPOINT authdb_plan").await?;
    for migration in &reverts {
        revert_one(client, migration, timeouts(options)).await?;
    }
    let after = objects(client).await?;
    savepoint(client, "ROLLBACK TO SAVEPOINT authdb_plan").await?;
    let gone: Vec<&Object> = before.iter().filter(|o| !after.contains(o)).collect();
    let dropped_table = |name: &str| gone.iter().any(|o| o.kind == "table" && o.name == name);
    let mut dropped_tables = Vec::new();
    let mut dropped_objects = Vec::new();
    for object in &gone {
        match object.kind.as_str() {
            "table" => {
                let sql = format!("SELECT count(*) FROM {}", object.name);
                let rows: i64 = client
                    .query_one(&sql, &[])
                    .await
                    .map_err(database(format!("counting the rows of {}", object.name)))?
                    .get(0);
                dropped_tables.push(DroppedTable {
                    name: object.name.clone(),
                    rows,
                });
            }
            // An index or trigger of a dropped table goes with it: listing it is noise.
            _ if object.table.as_deref().is_some_and(dropped_table) => {}
            kind => dropped_objects.push(format!("{kind} {}", object.name)),
        }
    }
    Ok(RollbackPlan {
        from_version,
        to_version,
        steps: reverts
            .iter()
            .map(|m| Revert {
                version: m.version,
                name: m.file_stem(),
                duration_ms: 0.0,
            })
            .collect(),
        dropped_tables,
        dropped_objects,
    })
}

async fn revert_in_transaction(
    client: &Client,
    migrations: &Migrations,
    options: &RollbackOptions,
    plan: &RollbackPlan,
) -> Result<Vec<Revert>> {
    let (from_version, reverts, _) = select(client, migrations, options.to).await?;
    let versions: Vec<i64> = reverts.iter().map(|m| m.version).collect();
    let planned: Vec<i64> = plan.steps.iter().map(|s| s.version).collect();
    if from_version != plan.from_version || versions != planned {
        return Err(Error::RollbackPlanStale);
    }
    let mut steps = Vec::with_capacity(reverts.len());
    for migration in reverts {
        let elapsed = revert_one(client, migration, timeouts(options)).await?;
        steps.push(Revert {
            version: migration.version,
            name: migration.file_stem(),
            duration_ms: elapsed.as_secs_f64() * 1000.0,
        });
    }
    Ok(steps)
}

/// The applied version now, the migrations to revert (newest first) and the version after.
async fn select<'a>(
    client: &Client,
    migrations: &'a Migrations,
    to: RollbackTo,
) -> Result<(i64, Vec<&'a Migration>, Option<i64>)> {
    let applied = tracking::read(client).await?;
    plan::check_history(migrations, &applied)?;
    let versions: Vec<i64> = applied.iter().map(|a| a.version).collect();
    let Some(&latest) = versions.last() else {
        return Err(Error::NothingToRollBack);
    };
    let keep_up_to = match to {
        RollbackTo::Last => versions.iter().rev().nth(1).copied(),
        RollbackTo::Version(v) if v >= latest => {
            return Err(Error::RollbackTargetNotBelow { target: v, latest });
        }
        RollbackTo::Version(v) => Some(v),
        RollbackTo::All => None,
    };
    let mut reverts = Vec::new();
    for &version in versions.iter().rev() {
        if keep_up_to.is_some_and(|keep| version <= keep) {
            break;
        }
        // check_history guarantees a file for every applied version.
        reverts.push(migrations.get(version).expect("checked by check_history"));
    }
    let to_version = versions
        .iter()
        .rev()
        .find(|&&v| keep_up_to.is_some_and(|keep| v <= keep))
        .copied();
    Ok((latest, reverts, to_version))
}

async fn revert_one(
    client: &Client,
    migration: &Migration,
    timeouts: Timeouts,
) -> Result<Duration> {
    let down = &migration.down;
    let elapsed = run_script(client, &down.path, &down.sql, timeouts).await?;
    let sql = format!("DELETE FROM {TABLE} WHERE version = $1");
    client
        .execute(&sql, &[&migration.version])
        .await
        .map_err(database(format!(
            "removing version {} from {TABLE}",
            migration.version
        )))?;
    Ok(elapsed)
}

#[derive(Debug, PartialEq, Eq)]
struct Object {
    kind: String,
    name: String,
    /// The table an index or trigger belongs to.
    table: Option<String>,
}

/// The user-visible objects a down file can drop, named as PostgreSQL prints them.
async fn objects(client: &Client) -> Result<Vec<Object>> {
    let sql = format!(
        "SELECT CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END, c.oid::regclass::text,
                i.indrelid::regclass::text
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_index i ON i.indexrelid = c.oid
          WHERE c.relkind IN ('r', 'p', 'i') AND c.relname <> '{TABLE}'
            AND c.relname <> '{TABLE}_pkey'
            AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         UNION ALL
         SELECT 'trigger', t.tgname || ' on ' || t.tgrelid::regclass::text, t.tgrelid::regclass::text
           FROM pg_trigger t WHERE NOT t.tgisinternal
         UNION ALL
         SELECT 'function', p.oid::regprocedure::text, NULL
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
         ORDER BY 1, 2"
    );
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(database("listing tables, indexes, triggers and functions"))?;
    Ok(rows
        .iter()
        .map(|r| Object {
            kind: r.get(0),
            name: r.get(1),
            table: r.get(2),
        })
        .collect())
}
