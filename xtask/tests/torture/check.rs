//! The invariants, checked after every operation against the database itself:
//! - the tracking table equals the set of files whose effects exist, and is the model's;
//! - no file was executed more often than the model allows (a double execution is caught even
//!   where it does not fail: each ordinary file counts its executions in a sequence);
//! - `status` agrees with the model;
//! - no session and no advisory lock is left behind.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::case::Spec;
use crate::run::{Harness, expect_exit, finish};

pub async fn all(h: &mut Harness) -> Result<(), String> {
    quiet(h).await?;
    let (applied, unfinished) = tracking_state(h).await?;
    if (applied, unfinished) != (h.model.applied, h.model.unfinished) {
        return Err(format!(
            "the tracking table has {applied} applied and {unfinished:?} unfinished; the model \
             says {} and {:?}",
            h.model.applied, h.model.unfinished
        ));
    }
    effects(h).await?;
    attempts(h).await?;
    status(h).await
}

/// Waits until no session but ours is on the database and no advisory lock is held: a killed
/// migrator's session ends within a second or two (the server checks its client every second).
/// PgBouncer keeps its idle server connections: those count only when they are not idle.
pub async fn quiet(h: &Harness) -> Result<(), String> {
    let idle = if h.pooler.is_some() {
        "AND state <> 'idle'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT (SELECT count(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid() {idle}),
                (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
    );
    let sql = sql.as_str();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = h
            .client
            .query_one(sql, &[])
            .await
            .map_err(|e| e.to_string())?;
        let (sessions, locks): (i64, i64) = (row.get(0), row.get(1));
        if sessions == 0 && locks == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "30 s after the operation, {sessions} sessions and {locks} advisory locks are \
                 left behind"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// (applied, unfinished) as the tracking table records them, which must be a prefix of the
/// folder: finished rows for the first migrations, then at most one unfinished row, of a
/// no-transaction file.
pub async fn tracking_state(h: &Harness) -> Result<(usize, Option<usize>), String> {
    let exists: bool = h
        .client
        .query_one(
            "SELECT to_regclass('public.authdb_schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    if !exists {
        return Ok((0, None));
    }
    let rows: Vec<(i64, bool)> = pairs(
        &h.client,
        "SELECT version, finished FROM public.authdb_schema_migrations ORDER BY version",
    )
    .await?;
    let versions = &h.folder.versions;
    let mut applied = 0;
    let mut unfinished = None;
    for (i, (version, finished)) in rows.iter().enumerate() {
        let prefix = versions.get(i) == Some(version);
        match (prefix, finished, unfinished) {
            (true, true, None) => applied += 1,
            (true, false, None) if h.folder.specs[i].no_transaction() => unfinished = Some(i),
            _ => {
                return Err(format!(
                    "the tracking table is not a prefix of the folder {versions:?}: {rows:?}"
                ));
            }
        }
    }
    Ok((applied, unfinished))
}

/// Each file's effect exists exactly when its row says applied: the table and one marker row of
/// an ordinary file, the valid index of a no-transaction one (either way while unfinished).
async fn effects(h: &Harness) -> Result<(), String> {
    let markers: Vec<(i32, i64)> = pairs(
        &h.client,
        "SELECT version, count(*) FROM torture_effects GROUP BY version ORDER BY version",
    )
    .await?;
    for (index, spec) in h.folder.specs.iter().enumerate() {
        let v = h.folder.versions[index];
        let applied = index < h.model.applied;
        match spec {
            Spec::Plain { .. } => {
                let marked = markers
                    .iter()
                    .find(|(version, _)| i64::from(*version) == v)
                    .map_or(0, |(_, count)| *count);
                let table = exists(&h.client, &format!("torture_t{v}")).await;
                if marked != i64::from(applied) || table != applied {
                    return Err(format!(
                        "migration {v}: {marked} marker rows and table {}, where its row says \
                         {}",
                        if table { "present" } else { "absent" },
                        if applied { "applied" } else { "not applied" }
                    ));
                }
            }
            Spec::Backfill => backfilled(h, index, applied).await?,
            Spec::Concurrent => {
                if h.model.unfinished == Some(index) {
                    continue;
                }
                let index_state = index_valid(&h.client, &format!("torture_i{v}")).await;
                if index_state != applied.then_some(true) {
                    return Err(format!(
                        "migration {v}: its index is {index_state:?} (Some(valid)), where its row \
                         says {}",
                        if applied { "applied" } else { "not applied" }
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A backfill never copies a row twice (a batch applied twice would), and once its row says
/// applied every row is copied. Not applied, any share may be: a run killed mid-way, or whose
/// unfinished row was forgotten while a contract step held it back, leaves the batches it
/// committed, for the next run to go on from.
async fn backfilled(h: &Harness, index: usize, applied: bool) -> Result<(), String> {
    let v = h.folder.versions[index];
    let (copied, most): (i64, i32) = h
        .client
        .query_one(
            &format!("SELECT count(copied), coalesce(max(times), 0) FROM torture_fill_{v}"),
            &[],
        )
        .await
        .map(|row| (row.get(0), row.get(1)))
        .map_err(|e| e.to_string())?;
    if most > 1 {
        return Err(format!(
            "migration {v}: a backfill copied a row {most} times: a batch ran twice"
        ));
    }
    if applied && copied != crate::folder::FILL_ROWS {
        return Err(format!(
            "migration {v}: its row says applied, but the backfill copied {copied} of {} rows",
            crate::folder::FILL_ROWS
        ));
    }
    Ok(())
}

/// No ordinary file executed more often, or less, than the model allows.
async fn attempts(h: &Harness) -> Result<(), String> {
    for (index, spec) in h.folder.specs.iter().enumerate() {
        if spec.no_transaction() {
            continue;
        }
        let v = h.folder.versions[index];
        let row = h
            .client
            .query_one(
                &format!("SELECT last_value, is_called FROM torture_attempts_{v}"),
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        let count = if row.get::<_, bool>(1) {
            row.get::<_, i64>(0) as u64
        } else {
            0
        };
        let (min, max) = h.model.attempts[index];
        if count < min || count > max {
            return Err(format!(
                "migration {v} was executed {count} times; the model allows {min} to {max}"
            ));
        }
    }
    Ok(())
}

/// `status --json` lists each migration as the model has it.
async fn status(h: &mut Harness) -> Result<(), String> {
    let output = finish(h.spawn(&["status".to_string(), "--json".to_string()]).0).await;
    expect_exit(&output, 0)?;
    let body: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("status --json is not JSON ({e}): {output:?}"))?;
    let states: Vec<&str> = body["migrations"]
        .as_array()
        .ok_or("status --json has no migrations")?
        .iter()
        .map(|m| m["state"].as_str().unwrap_or("?"))
        .collect();
    let expected: Vec<&str> = (0..h.folder.len())
        .map(|i| {
            if i < h.model.applied {
                "applied"
            } else if h.model.unfinished == Some(i) {
                "unfinished"
            } else {
                "pending"
            }
        })
        .collect();
    if states != expected {
        return Err(format!(
            "status says {states:?}; the model says {expected:?}"
        ));
    }
    Ok(())
}

/// The two columns of every row of `sql`.
async fn pairs<A, B>(client: &Client, sql: &str) -> Result<Vec<(A, B)>, String>
where
    A: for<'a> tokio_postgres::types::FromSql<'a>,
    B: for<'a> tokio_postgres::types::FromSql<'a>,
{
    let rows = client.query(sql, &[]).await.map_err(|e| e.to_string())?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

async fn exists(client: &Client, relation: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
        .await
        .unwrap()
        .get(0)
}

/// `Some(valid)` for an index that exists, `None` for one that does not.
pub async fn index_valid(client: &Client, name: &str) -> Option<bool> {
    client
        .query_opt(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)",
            &[&name],
        )
        .await
        .unwrap()
        .map(|r| r.get(0))
}
