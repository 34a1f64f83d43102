//! A `-- authdb:no-transaction` migration that was started and not seen to finish.
//!
//! Such a file runs outside any transaction, so its tracking row is written (unfinished) before it
//! runs and marked finished after. A migrator killed in between (kill -9, a lost network, a
//! terminated session) leaves the row unfinished, and the statement may or may not have taken
//! effect. The next run, holding the migration lock (so the statement is not running any more:
//! its session held the lock until it ended), decides from the catalog where it can: an index
//! build is done when the index exists and is valid, a concurrent drop when the index is gone; a
//! statement that can safely run twice is run again. Where the catalog cannot tell, the run stops
//! and says what to check, and the user's answer (`--unfinished applied|retry`) settles it.

use serde::Serialize;
use squawk_syntax::SourceFile;
use squawk_syntax::ast::{self, AstNode};
use std::collections::HashMap;

use tokio_postgres::Client;

use crate::effects::identifier;
use crate::error::{Error, Result, database};
use crate::migrations::Migration;
use crate::quote::literal;
use crate::tracking::AppliedMigration;
use crate::transaction::{simple, statement_rows};

/// The user's answer for an unfinished migration the catalog cannot judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    /// It took effect: record it as applied.
    Applied,
    /// It did not: run it again.
    Retry,
}

/// What a run does about one unfinished migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recovery {
    pub version: i64,
    pub name: String,
    pub action: Action,
    /// Why, in a sentence: what the catalog showed or who decided.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Its effect is there: the row is marked finished.
    RecordApplied,
    /// Its effect is not there (or running it again is harmless): the row goes and the file runs
    /// again, after `drop_first` (the invalid index the interrupted build left).
    RunAgain { drop_first: Option<String> },
}

/// What the statement of a no-transaction file is, as far as recovery cares.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `CREATE INDEX CONCURRENTLY name ON table`: the index lives in the table's schema.
    CreateIndex { name: String, table: String },
    /// `DROP INDEX CONCURRENTLY name`.
    DropIndex { name: String },
    /// A statement that leaves the same result when run twice (VACUUM, REINDEX, ...).
    Repeatable(&'static str),
    /// Anything else: only a person can tell whether it took effect.
    Unknown,
}

fn kind(sql: &str) -> Kind {
    let parse = SourceFile::parse(sql);
    let Some(statement) = parse.tree().stmts().next() else {
        return Kind::Unknown;
    };
    let text = |node: &dyn AstNode| node.syntax().text().to_string().trim().to_string();
    match &statement {
        ast::Stmt::CreateIndex(create) if create.concurrently_token().is_some() => {
            let name = create.index().and_then(|i| i.path()).map(|p| text(&p));
            let table = create.table_relation_name().map(|t| text(&t));
            match (name, table) {
                (Some(name), Some(table)) => Kind::CreateIndex {
                    name: identifier(&name),
                    table: without_only(&table),
                },
                // A nameless index gets a name PostgreSQL chooses: nothing to look up.
                _ => Kind::Unknown,
            }
        }
        ast::Stmt::DropIndex(drop) if drop.index_refs().count() == 1 => Kind::DropIndex {
            name: drop
                .index_refs()
                .next()
                .map(|r| text(&r))
                .unwrap_or_default(),
        },
        ast::Stmt::Vacuum(_) => Kind::Repeatable("VACUUM"),
        ast::Stmt::Analyze(_) => Kind::Repeatable("ANALYZE"),
        ast::Stmt::Reindex(_) => Kind::Repeatable("REINDEX"),
        ast::Stmt::Cluster(_) => Kind::Repeatable("CLUSTER"),
        ast::Stmt::Refresh(_) => Kind::Repeatable("REFRESH MATERIALIZED VIEW"),
        _ if authdb_folder::directive::declares_backfill(sql) => {
            Kind::Repeatable("a backfill, whose batches leave out the rows already done,")
        }
        _ if authdb_folder::directive::declares_idempotent(sql) => {
            Kind::Repeatable("the statement its file declares idempotent")
        }
        _ => Kind::Unknown,
    }
}

/// `ONLY t` names the table `t`.
fn without_only(table: &str) -> String {
    match table.split_once(char::is_whitespace) {
        Some((only, rest)) if only.eq_ignore_ascii_case("only") => rest.trim().to_string(),
        _ => table.to_string(),
    }
}

/// Decides what to do about `row`, an unfinished row of `migration`, from the catalog (read-only)
/// and the user's `answer`. A file changed since it was started is refused: what ran is not what
/// the folder says any more.
pub(crate) async fn recover(
    client: &Client,
    row: &AppliedMigration,
    migration: Option<&Migration>,
    answer: Option<Answer>,
) -> Result<Recovery> {
    let unfinished = |reason: String| Error::UnfinishedMigration {
        version: row.version,
        name: row.name.clone(),
        started: row.applied_at.clone(),
        reason,
    };
    let migration = match migration {
        Some(m) if m.stem == row.name && m.checksum.to_hex() == row.checksum => m,
        Some(m) => {
            return Err(unfinished(format!(
                "its file {} has changed since (another name or checksum), so what ran is not \
                 what the folder says: restore the file as it was, then run migrate again",
                m.path.display()
            )));
        }
        None => {
            return Err(unfinished(
                "its file is no longer in the folder: restore it, then run migrate again"
                    .to_string(),
            ));
        }
    };
    let recovery = |action, reason| Recovery {
        version: row.version,
        name: row.name.clone(),
        action,
        reason,
    };
    match kind(&migration.sql) {
        Kind::CreateIndex { name, table } => match index_validity(client, &name, &table).await? {
            Some(true) => Ok(recovery(
                Action::RecordApplied,
                format!("the index {name} exists and is valid"),
            )),
            Some(false) => Ok(recovery(
                Action::RunAgain {
                    drop_first: Some(format!(
                        "DROP INDEX CONCURRENTLY IF EXISTS {}",
                        qualified_index(client, &name, &table).await?
                    )),
                },
                format!(
                    "the interrupted build left the index {name} INVALID: it is dropped \
                     concurrently and built again"
                ),
            )),
            None => Ok(recovery(
                Action::RunAgain { drop_first: None },
                format!("the index {name} does not exist"),
            )),
        },
        Kind::DropIndex { name } => {
            if exists(client, &name).await? {
                Ok(recovery(
                    Action::RunAgain { drop_first: None },
                    format!("the index {name} is still there"),
                ))
            } else {
                Ok(recovery(
                    Action::RecordApplied,
                    format!("the index {name} is gone"),
                ))
            }
        }
        Kind::Repeatable(what) => Ok(recovery(
            Action::RunAgain { drop_first: None },
            format!("{what} leaves the same result when run again"),
        )),
        Kind::Unknown => match answer {
            Some(Answer::Applied) => Ok(recovery(
                Action::RecordApplied,
                "recorded as applied, as --unfinished applied says".to_string(),
            )),
            Some(Answer::Retry) => Ok(recovery(
                Action::RunAgain { drop_first: None },
                "run again, as --unfinished retry says".to_string(),
            )),
            None => Err(unfinished(format!(
                "it ran outside a transaction and authdb cannot tell from the catalog whether \
                 it took effect. Check what {} does, then run `cargo xtask migrate --unfinished \
                 applied` if it did, or `--unfinished retry` to run it again",
                migration.path.display()
            ))),
        },
    }
}

/// Whether the catalog can tell what an interrupted run of `sql` left (an index, or a statement
/// that may run twice).
pub(crate) fn recoverable(sql: &str) -> bool {
    kind(sql) != Kind::Unknown
}

/// The index a no-transaction file builds with `CREATE INDEX CONCURRENTLY`, as (name, table).
pub(crate) fn built_index(sql: &str) -> Option<(String, String)> {
    match kind(sql) {
        Kind::CreateIndex { name, table } => Some((name, table)),
        _ => None,
    }
}

/// The indexes the pending no-transaction files build, as (version, index name, table written as
/// in the file), for [`index_states`]. `None` when no file builds one.
pub(crate) fn built_indexes<'a>(
    files: impl Iterator<Item = &'a Migration>,
) -> Option<BuiltIndexes> {
    let rows: Vec<(i64, String, String)> = files
        .filter_map(|m| {
            let (name, table) = built_index(&m.sql)?;
            Some((m.version, name, table))
        })
        .collect();
    (!rows.is_empty()).then_some(BuiltIndexes(rows))
}

/// See [`built_indexes`].
#[derive(Debug, Clone)]
pub(crate) struct BuiltIndexes(Vec<(i64, String, String)>);

/// For each (version, index name, table written as in the file): the version, where an index of
/// that name may exist in the table's schema. Asked through `to_regclass` alone: a query that
/// reads `pg_class` or `pg_index` costs a fresh session a millisecond to plan, which migrate
/// paid on every fresh database for an index that is almost never there; this one costs a
/// tenth of that. The name is looked up as the table is written (an unqualified table's schema
/// is on the search path, which then finds any index of that name before or in it), so an
/// index that exists is never missed; one found elsewhere is passed over by [`states_query`].
fn exists_query(rows: &[(i64, String, String)]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|(version, name, table)| {
            let schema = table_schema(table).map_or(String::new(), |s| format!("{s}."));
            format!("({version}, {}, {})", literal(&schema), literal(name))
        })
        .collect();
    format!(
        "SELECT v.version FROM (VALUES {}) v(version, schema, name) \
         WHERE to_regclass(v.schema || format('%I', v.name)) IS NOT NULL",
        values.join(", ")
    )
}

/// The schema qualifier of a table name as written (`app` of `app.users`, `"A.b"` of
/// `"A.b".t`), if any: the text before its last dot outside double quotes.
fn table_schema(table: &str) -> Option<&str> {
    let mut quoted = false;
    let mut last_dot = None;
    for (at, c) in table.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => last_dot = Some(at),
            _ => {}
        }
    }
    last_dot.map(|at| &table[..at])
}

/// For each (version, index name, table written as in the file): the version and whether its
/// index, where it exists in the table's schema, is valid. A simple query, with literals: a
/// prepared statement costs two round trips.
fn states_query(rows: &[(i64, String, String)]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|(version, name, table)| format!("({version}, {}, {})", literal(name), literal(table)))
        .collect();
    format!(
        "SELECT v.version, i.indisvalid AND i.indisready
           FROM (VALUES {}) v(version, name, tbl)
           JOIN pg_class c ON c.relname = v.name
           JOIN pg_index i ON i.indexrelid = c.oid
          WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(v.tbl))",
        values.join(", ")
    )
}

/// For each version whose index exists, whether it is valid: first whether any may exist
/// ([`maybe_built`]), then, for those, the catalog's answer ([`built_states`]).
pub(crate) async fn index_states(
    client: &Client,
    indexes: Option<&BuiltIndexes>,
) -> Result<HashMap<i64, bool>> {
    let maybe = maybe_built(client, indexes).await?;
    built_states(client, indexes, &maybe).await
}

const LOOKING_UP: &str = "looking up the indexes the no-transaction migrations build";

/// The versions of `indexes` whose index may exist ([`exists_query`]): one query, which migrate
/// pipelines with the opening of its first group.
pub(crate) async fn maybe_built(
    client: &Client,
    indexes: Option<&BuiltIndexes>,
) -> Result<Vec<i64>> {
    let Some(BuiltIndexes(rows)) = indexes else {
        return Ok(Vec::new());
    };
    let messages = simple(client, &exists_query(rows), LOOKING_UP).await?;
    Ok(statement_rows(messages)
        .into_iter()
        .flatten()
        .filter_map(|row| row.get(0)?.parse().ok())
        .collect())
}

/// Whether the indexes of the versions `maybe` (from [`maybe_built`]) exist in their table's
/// schema, and are valid; no query when there are none.
pub(crate) async fn built_states(
    client: &Client,
    indexes: Option<&BuiltIndexes>,
    maybe: &[i64],
) -> Result<HashMap<i64, bool>> {
    let rows: Vec<(i64, String, String)> = indexes
        .map_or(&[][..], |BuiltIndexes(rows)| rows.as_slice())
        .iter()
        .filter(|(version, ..)| maybe.contains(version))
        .cloned()
        .collect();
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    states(client, &states_query(&rows), LOOKING_UP).await
}

async fn states(client: &Client, query: &str, what: &str) -> Result<HashMap<i64, bool>> {
    let messages = client
        .simple_query(query)
        .await
        .map_err(database(what.to_string()))?;
    Ok(messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                let version = row.get(0)?.parse().ok()?;
                Some((version, row.get(1)? == "t"))
            }
            _ => None,
        })
        .collect())
}

/// `Some(valid)` when the index `name` exists in the schema of `table`, `None` when it does not.
pub(crate) async fn index_validity(
    client: &Client,
    name: &str,
    table: &str,
) -> Result<Option<bool>> {
    let query = states_query(&[(0, name.to_string(), table.to_string())]);
    let found = states(client, &query, &format!("looking up the index {name}")).await?;
    Ok(found.get(&0).copied())
}

/// `schema.name` of the index `name` on `table`, quoted for SQL.
pub(crate) async fn qualified_index(client: &Client, name: &str, table: &str) -> Result<String> {
    let sql = "SELECT format('%I.%I', n.nspname, $1::text)
                 FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE t.oid = to_regclass($2)";
    let row = client
        .query_one(sql, &[&name, &table])
        .await
        .map_err(database(format!("naming the index {name}")))?;
    Ok(row.get(0))
}

async fn exists(client: &Client, written: &str) -> Result<bool> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&written])
        .await
        .map_err(database(format!("looking up {written}")))?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_name_as_written_gives_its_schema() {
        for (table, schema) in [
            ("users", None),
            ("auth.users", Some("auth")),
            ("\"A.b\".t", Some("\"A.b\"")),
            ("\"t.x\"", None),
            ("db.\"S\".\"t.u\"", Some("db.\"S\"")),
        ] {
            assert_eq!(table_schema(table), schema, "{table}");
        }
    }

    #[test]
    fn statements_are_read_for_what_the_catalog_can_tell() {
        let create = |name: &str, table: &str| Kind::CreateIndex {
            name: name.to_string(),
            table: table.to_string(),
        };
        for (sql, expected) in [
            (
                "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
                create("users_email_key", "users"),
            ),
            (
                "-- why\nCREATE INDEX CONCURRENTLY IF NOT EXISTS \"Odd Name\" ON auth.users USING btree (lower(email)) WHERE x;",
                create("Odd Name", "auth.users"),
            ),
            (
                "CREATE INDEX CONCURRENTLY I ON only t (c);",
                create("i", "t"),
            ),
            ("CREATE INDEX CONCURRENTLY ON t (c);", Kind::Unknown),
            (
                "DROP INDEX CONCURRENTLY IF EXISTS auth.i;",
                Kind::DropIndex {
                    name: "auth.i".to_string(),
                },
            ),
            ("VACUUM ANALYZE users;", Kind::Repeatable("VACUUM")),
            ("REINDEX INDEX CONCURRENTLY i;", Kind::Repeatable("REINDEX")),
            ("ALTER TYPE mood ADD VALUE 'meh';", Kind::Unknown),
            (
                "-- authdb:no-transaction\n-- authdb:idempotent it skips what exists\nINSERT INTO t SELECT 1 ON CONFLICT DO NOTHING;",
                Kind::Repeatable("the statement its file declares idempotent"),
            ),
            ("INSERT INTO t VALUES (1);", Kind::Unknown),
        ] {
            assert_eq!(kind(sql), expected, "{sql}");
        }
    }
}
