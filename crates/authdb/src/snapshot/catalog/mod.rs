//! Reading a [`Snapshot`] from pg_catalog. Set-based: one query per kind of object for the whole
//! database, whatever the number of objects, sent in one batch (one round trip) that reads every
//! name with `search_path = public` and puts the session's back; the kinds many databases have
//! none of (types, sequences, the other kinds) are asked in a second batch only when there are
//! some, as their queries cost more to plan than to run. Each query returns its rows as one JSON
//! array, read into typed rows here. Only catalog columns that exist in
//! PostgreSQL 14 to 17 are used, and what those versions print differently is normalised.

mod acl;
mod normalise;
mod object_rows;
mod objects;
mod objects_in_catalog;
mod others;
mod relation_rows;
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

/// What the first batch says the database has of the kinds many databases have none of: their
/// queries, the costliest to plan, run in a second round trip only when there is something.
struct Present {
    /// The catalogs of the other kinds that hold an object.
    others: Vec<String>,
    types: bool,
    sequences: bool,
}

/// The probes of [`present_sql`] beside the other kinds' catalogs.
const TYPES: &str = "types";
const SEQUENCES: &str = "sequences";

pub(super) async fn capture(client: &impl GenericClient) -> Result<Snapshot> {
    let always = [
        sql::ROLES.to_string(),
        objects::schemas_sql(),
        objects::EXTENSIONS_SQL.to_string(),
        objects::default_privileges_sql(),
        objects::functions_sql(),
        relations::relations_sql(),
        relations::columns_sql(),
        relations::constraints_sql(),
        relations::indexes_sql(),
        relations::triggers_sql(),
        relations::policies_sql(),
        present_sql(),
    ];
    let read = read_batch(client, &always);
    let (answers, applied) = tokio::try_join!(read, tracking::read(client))?;
    let mut answers = answers.into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let all: acl::Roles = json(&next())?;
    let schemas = object_rows::schemas(json(&next())?, &all);
    let extensions = object_rows::extensions(json(&next())?);
    let default_privileges = object_rows::default_privileges(json(&next())?, &all);
    let functions = object_rows::functions(json(&next())?, &all);
    let relation_rows = relation_rows::RelationRows {
        relations: json(&next())?,
        columns: json(&next())?,
        constraints: json(&next())?,
        indexes: json(&next())?,
        triggers: json(&next())?,
        policies: json(&next())?,
    };
    let mut tables = relation_rows::assemble(relation_rows, &all);
    let found: Vec<String> = json(&next())?;
    let present = Present {
        types: found.iter().any(|f| f == TYPES),
        sequences: found.iter().any(|f| f == SEQUENCES),
        others: found
            .into_iter()
            .filter(|f| f != TYPES && f != SEQUENCES)
            .collect(),
    };

    let mut optional = Vec::new();
    if present.types {
        optional.push(objects::types_sql());
    }
    if present.sequences {
        optional.push(objects::sequences_sql());
    }
    if !present.others.is_empty() {
        optional.push(others::others_sql(&present.others));
    }
    let answers = match optional.is_empty() {
        true => Vec::new(),
        false => read_batch(client, &optional).await?,
    };
    let mut answers = answers.into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let types = match present.types {
        true => object_rows::types(json(&next())?, &all),
        false => Default::default(),
    };
    let sequences = match present.sequences {
        true => object_rows::sequences(json(&next())?, &all),
        false => Default::default(),
    };
    let others = match present.others.is_empty() {
        true => Default::default(),
        false => others::others(json(&next())?, &all),
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
        held: Default::default(),
    })
}

/// Whether the database has types and sequences of its own, and which catalogs of the other
/// kinds hold an object: plain scans, cheap to plan.
fn present_sql() -> String {
    let types = format!(
        "(SELECT '{TYPES}' WHERE EXISTS (SELECT FROM pg_type t WHERE t.oid >= 16384
            AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND EXISTS (
                SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')))))"
    );
    let sequences = format!(
        "(SELECT '{SEQUENCES}' WHERE EXISTS (SELECT FROM pg_class WHERE relkind = 'S' AND oid >= 16384))"
    );
    others::present_with(&[&types, &sequences])
}

/// `queries` in one batch (one round trip) that sets `search_path` for itself and puts the
/// session's back; each query's one answer.
async fn read_batch(client: &impl GenericClient, queries: &[String]) -> Result<Vec<String>> {
    let batch = std::iter::once(sql::SET_SEARCH_PATH.to_string())
        .chain(queries.iter().cloned())
        .chain(std::iter::once(sql::RESET_SEARCH_PATH.to_string()))
        .collect::<Vec<_>>()
        .join(";\n");
    let messages = client
        .simple_query(&batch)
        .await
        .map_err(database("reading the schema from pg_catalog"))?;
    let answers: Vec<String> = messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_string()),
            _ => None,
        })
        .collect();
    // The first and the last are the settings.
    Ok(answers
        .get(1..answers.len().saturating_sub(1))
        .unwrap_or_default()
        .to_vec())
}

/// One query's JSON array, read into its rows.
fn json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Database {
        context: "reading the schema from pg_catalog".to_string(),
        reason: format!("a catalog query's answer could not be read: {e}"),
        source: None,
    })
}
