//! Reading a [`Snapshot`] from pg_catalog. Set-based: one query per kind of object for the whole
//! database, whatever the number of objects, all sent in one batch (one round trip) that reads
//! every name with `search_path = public` and puts the session's back. Each query returns its
//! rows as one JSON array, read into typed rows here. Only catalog columns that exist in
//! PostgreSQL 14 to 17 are used, and what those versions print differently is normalised.

mod acl;
mod normalise;
mod objects;
mod objects_in_catalog;
mod others;
mod relations;
mod sql;
mod viewdef;

use serde::de::DeserializeOwned;
use tokio_postgres::{GenericClient, SimpleQueryMessage};

use super::Snapshot;

use crate::error::{Error, Result, database};
use crate::tracking;
pub(super) use normalise::squeeze;
pub(super) use objects_in_catalog::catalog_objects;

/// How the tracking table is named with `search_path = public`.
fn tracking_name() -> String {
    if tracking::SCHEMA == "public" {
        tracking::TABLE.to_string()
    } else {
        tracking::QUALIFIED.to_string()
    }
}

pub(super) async fn capture(client: &impl GenericClient) -> Result<Snapshot> {
    let queries = [
        sql::SET_SEARCH_PATH.to_string(),
        sql::ALL_PRIVILEGES.to_string(),
        objects::schemas_sql(),
        objects::EXTENSIONS_SQL.to_string(),
        objects::default_privileges_sql(),
        objects::types_sql(),
        objects::sequences_sql(),
        objects::functions_sql(),
        relations::relations_sql(),
        relations::columns_sql(),
        relations::constraints_sql(),
        relations::indexes_sql(),
        relations::triggers_sql(),
        relations::policies_sql(),
        others::present_sql(),
        sql::RESET_SEARCH_PATH.to_string(),
    ];
    let batch = queries.join(";\n");
    let read = async {
        client
            .simple_query(&batch)
            .await
            .map_err(database("reading the schema from pg_catalog"))
    };
    let (messages, applied) = tokio::try_join!(read, tracking::read(client))?;
    let mut rows = messages.into_iter().filter_map(|message| match message {
        SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_string()),
        _ => None,
    });
    let mut next = || rows.next().unwrap_or_default();
    let _search_path = next();
    let all: acl::All = json(&next())?;
    let schemas = objects::schemas(json(&next())?, &all);
    let extensions = objects::extensions(json(&next())?);
    let default_privileges = objects::default_privileges(json(&next())?, &all);
    let types = objects::types(json(&next())?, &all);
    let sequences = objects::sequences(json(&next())?, &all);
    let functions = objects::functions(json(&next())?, &all);
    let relation_rows = relations::RelationRows {
        relations: json(&next())?,
        columns: json(&next())?,
        constraints: json(&next())?,
        indexes: json(&next())?,
        triggers: json(&next())?,
        policies: json(&next())?,
    };
    let mut tables = relations::assemble(relation_rows, &all);
    let present: Vec<String> = json(&next())?;
    let others = match present.is_empty() {
        true => Default::default(),
        false => others::others(json(&read_others(client, &present).await?)?, &all),
    };
    let tracking = tables.remove(&tracking_name());
    Ok(Snapshot {
        version: applied.iter().map(|a| a.version).max(),
        schemas,
        extensions,
        default_privileges,
        types,
        sequences,
        functions,
        tables,
        others,
        tracking,
    })
}

/// The other kinds of object of `catalogs`, in a second round trip: only a database that has
/// some pays for planning the query.
async fn read_others(client: &impl GenericClient, catalogs: &[String]) -> Result<String> {
    let batch = [
        sql::SET_SEARCH_PATH.to_string(),
        others::others_sql(catalogs),
        sql::RESET_SEARCH_PATH.to_string(),
    ]
    .join(";\n");
    let messages = client
        .simple_query(&batch)
        .await
        .map_err(database("reading the schema from pg_catalog"))?;
    Ok(messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_string()),
            _ => None,
        })
        .nth(1)
        .unwrap_or_default())
}

/// One query's JSON array, read into its rows.
fn json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Database {
        context: "reading the schema from pg_catalog".to_string(),
        reason: format!("a catalog query's answer could not be read: {e}"),
        source: None,
    })
}
