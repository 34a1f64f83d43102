//! The service's long request, for `rehearse --hold-lock`: a transaction of its own that locks a
//! row of a table for a while as the migrations start, so the rehearsal shows what a deploy meets
//! then (its lock retries) and what the probe's queries wait meanwhile.

use std::time::Duration;

use super::open;
use crate::conninfo::ConnInfo;
use crate::error::{Error, Result, database};

/// A row of `table` locked `FOR UPDATE` by a transaction of its own for `duration`.
#[derive(Debug, Clone)]
pub struct Hold {
    pub table: String,
    pub duration: Duration,
}

/// Locks the last row of `hold.table` (by its physical order: the probe acts as the first users)
/// `FOR UPDATE` in a transaction of its own, as a long request of the service would, and ends it
/// after `hold.duration`, on a task of its own.
pub(super) async fn start(info: &ConnInfo, hold: &Hold) -> Result<()> {
    let valid = hold.table.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    });
    if !valid {
        return Err(Error::Database {
            context: format!("holding a lock on {}", hold.table),
            reason: "the table must be a plain (optionally schema-qualified) lowercase name"
                .to_string(),
            source: None,
        });
    }
    let holder = open(info).await?;
    let sql = format!(
        "SET application_name = 'authdb-rehearse-hold'; BEGIN; \
         SELECT 1 FROM {} ORDER BY ctid DESC LIMIT 1 FOR UPDATE",
        hold.table
    );
    holder
        .batch_execute(&sql)
        .await
        .map_err(database(format!("locking a row of {}", hold.table)))?;
    let duration = hold.duration;
    tokio::spawn(async move {
        tokio::time::sleep(duration).await;
        let _ = holder.batch_execute("COMMIT").await;
    });
    Ok(())
}
