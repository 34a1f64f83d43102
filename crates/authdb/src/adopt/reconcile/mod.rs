//! From the live schema to the snapshot's, the way a careful DBA would write it: rename what only
//! differs by name, change a type only where PostgreSQL does not rewrite the table, fill NULLs
//! with the column's own default (said in the plan) before `SET NOT NULL`, add constraints `NOT
//! VALID` and validate them, replace a function's body in place, drop an index that only
//! duplicates another. Anything that would need data nobody has, or a rewrite nobody asked for,
//! is a refusal with the rows that stand in the way.

mod columns;
mod constraints;
mod indexes;
mod triggers;

use std::collections::{BTreeMap, BTreeSet};

use super::ddl::{self, ident};
use super::facts::Facts;
use super::{AdoptOptions, Kept, Refusal, Statement};
use crate::error::Result;
use crate::snapshot::{Object, Snapshot, Table};

/// The script, in the order it runs, and what stands in its way.
#[derive(Default)]
pub(super) struct Script {
    pub statements: Vec<Statement>,
    pub kept: Vec<Kept>,
    pub refusals: Vec<Refusal>,
}

/// Statements are gathered by phase, then concatenated: functions before the triggers that call
/// them, tables before their columns, every table's columns before the foreign keys between them.
#[derive(Default)]
struct Phases {
    functions: Vec<Statement>,
    tables: Vec<Statement>,
    columns: Vec<Statement>,
    renames: Vec<Statement>,
    constraints: Vec<Statement>,
    foreign_keys: Vec<Statement>,
    indexes: Vec<Statement>,
    triggers: Vec<Statement>,
    drops: Vec<Statement>,
}

pub(super) async fn reconcile(
    live: &Snapshot,
    wanted: &Snapshot,
    facts: &Facts<'_>,
    options: &AdoptOptions,
) -> Result<Script> {
    let mut planner = Planner {
        facts,
        options,
        phases: Phases::default(),
        kept: Vec::new(),
        refusals: Vec::new(),
        created: BTreeSet::new(),
    };
    planner.extensions(live, wanted);
    planner.functions(live, wanted);
    let empty_tables = planner.tables(live, wanted).await?;
    planner.created = empty_tables.keys().cloned().collect();
    for (name, expected) in &wanted.tables {
        // A missing table adopt refused to create has its refusal; nothing else to plan for it.
        let Some(actual) = live.tables.get(name).or_else(|| empty_tables.get(name)) else {
            continue;
        };
        planner.table(name, expected, actual).await?;
    }
    planner.extra_functions(live, wanted);
    let Phases {
        functions,
        tables,
        columns,
        renames,
        constraints,
        foreign_keys,
        indexes,
        triggers,
        drops,
    } = planner.phases;
    let statements = [
        functions,
        tables,
        columns,
        renames,
        constraints,
        foreign_keys,
        indexes,
        triggers,
        drops,
    ]
    .concat();
    Ok(Script {
        statements,
        kept: planner.kept,
        refusals: planner.refusals,
    })
}

struct Planner<'a> {
    facts: &'a Facts<'a>,
    options: &'a AdoptOptions,
    phases: Phases,
    kept: Vec<Kept>,
    refusals: Vec<Refusal>,
    /// The tables the script creates: empty, so no row can stand in a rule's way, and not there
    /// yet for the read-only questions about rows.
    created: BTreeSet<String>,
}

fn statement(sql: String, resolves: String, lock: impl Into<String>) -> Statement {
    Statement {
        sql,
        resolves,
        lock: lock.into(),
    }
}

/// "1 row", "3 rows".
fn rows(n: i64) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    }
}

/// "1 row holds", "3 rows of sessions hold": `verb` given in the plural.
fn rows_that(n: i64, of: Option<&str>, verb: &str) -> String {
    let of = of.map_or(String::new(), |table| format!(" of {table}"));
    if n == 1 {
        format!("1 row{of} {verb}s")
    } else {
        format!("{n} rows{of} {verb}")
    }
}

fn brief(table: &str) -> String {
    format!("ACCESS EXCLUSIVE on {table}, brief")
}

impl Planner<'_> {
    fn refuse(&mut self, refusal: Refusal) {
        self.refusals.push(refusal);
    }

    /// Refuses a unique rule (`rule`: how the message names it) that rows of `table` already
    /// break, with their count and the query that lists them: merging them is a decision about
    /// data, never adopt's. True when it refused.
    async fn refuse_duplicates(
        &mut self,
        table: &str,
        columns: &str,
        predicate: Option<&str>,
        rule: &str,
    ) -> Result<bool> {
        if self.created.contains(table) {
            return Ok(false);
        }
        let offenders = self.facts.duplicates(table, columns, predicate).await?;
        if offenders.rows == 0 {
            return Ok(false);
        }
        self.refuse(Refusal {
            table: Some(table.into()),
            column: Some(columns.to_string()),
            rows: Some(offenders.rows),
            query: Some(offenders.query),
            ..Refusal::new(format!(
                "{} a value of ({columns}), which {rule} forbids: merge or correct them by hand",
                rows_that(offenders.rows, Some(table), "share")
            ))
        });
        Ok(true)
    }

    /// An object of the live schema that the snapshot does not have: dropped with
    /// `--drop-extra`, else listed and kept.
    fn extra(&mut self, object: Object, name: String, drop: Statement) {
        if self.options.drop_extra {
            self.phases.drops.push(drop);
        } else {
            self.kept.push(Kept { object, name });
        }
    }

    fn extensions(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for missing in wanted.extensions.difference(&live.extensions) {
            self.refuse(Refusal::new(format!(
                "extension {missing} is missing: creating an extension needs privileges a \
                 migration role rarely has; create it by hand (CREATE EXTENSION {missing}), then \
                 plan again"
            )));
        }
        for extra in live.extensions.difference(&wanted.extensions) {
            self.kept.push(Kept {
                object: Object::Extension,
                name: extra.clone(),
            });
        }
    }

    fn functions(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (signature, expected) in &wanted.functions {
            let resolves = match live.functions.get(signature) {
                None => format!("function {signature}: missing"),
                Some(actual) if actual == expected => continue,
                Some(actual) if actual.returns != expected.returns => {
                    self.refuse(Refusal::new(format!(
                        "function {signature} returns {}, the schema's returns {}: CREATE OR \
                         REPLACE cannot change a result type; drop it by hand first",
                        actual.returns.as_deref().unwrap_or("nothing"),
                        expected.returns.as_deref().unwrap_or("nothing")
                    )));
                    continue;
                }
                Some(_) => format!(
                    "function {signature}: its definition differs (body, language or options)"
                ),
            };
            self.phases.functions.push(statement(
                ddl::create_function(signature, expected),
                resolves,
                "no table lock",
            ));
        }
    }

    fn extra_functions(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for signature in live.functions.keys() {
            if !wanted.functions.contains_key(signature) {
                let kind = if live.functions[signature].procedure {
                    "PROCEDURE"
                } else {
                    "FUNCTION"
                };
                self.extra(
                    Object::Function,
                    signature.clone(),
                    statement(
                        format!("DROP {kind} {signature}"),
                        format!("function {signature}: not in the snapshot (--drop-extra)"),
                        "no table lock",
                    ),
                );
            }
        }
    }

    /// Creates the snapshot's tables the database lacks (empty: nothing to invent) and deals
    /// with the ones it has beyond them. Returns the created tables as they are right after
    /// `CREATE TABLE`: their columns, nothing else yet.
    async fn tables(
        &mut self,
        live: &Snapshot,
        wanted: &Snapshot,
    ) -> Result<BTreeMap<String, Table>> {
        let extra: Vec<&String> = live
            .tables
            .keys()
            .filter(|name| !wanted.tables.contains_key(*name))
            .collect();
        let mut extra_rows = BTreeMap::new();
        for name in &extra {
            extra_rows.insert(name.to_string(), self.facts.rows(name).await?);
        }
        let mut created = BTreeMap::new();
        for (name, expected) in &wanted.tables {
            if live.tables.contains_key(name) {
                continue;
            }
            // An unknown table could hold this one's rows under another name only if it has
            // the columns this one cannot be without: a log table is no renamed `accounts`.
            let required: Vec<&str> = expected
                .columns
                .iter()
                .filter(|c| c.not_null && c.default.is_none() && c.identity.is_none())
                .map(|c| c.name.as_str())
                .collect();
            let holding: Vec<String> = extra_rows
                .iter()
                .filter(|(table, rows)| {
                    **rows > 0
                        && required.iter().all(|column| {
                            live.tables[table.as_str()]
                                .columns
                                .iter()
                                .any(|c| c.name == *column)
                        })
                })
                .map(|(table, rows)| format!("{table} ({rows} rows)"))
                .collect();
            if !holding.is_empty() {
                self.refuse(Refusal {
                    table: Some(name.clone()),
                    ..Refusal::new(format!(
                        "table {name} is missing while tables the schema does not know hold rows \
                         ({}): its data may be there under another name; move it by hand (or \
                         drop those tables) and plan again",
                        holding.join(", ")
                    ))
                });
                continue;
            }
            let plain = expected.access_method.is_none()
                && expected.partition_key.is_none()
                && expected.partition_of.is_none()
                && expected.inherits.is_empty();
            if !plain {
                self.refuse(Refusal {
                    table: Some(name.clone()),
                    ..Refusal::new(format!(
                        "table {name} is missing, and it is partitioned, a partition, inherits or \
                         uses another access method: create it by hand, then plan again"
                    ))
                });
                continue;
            }
            let columns: Vec<String> = expected
                .columns
                .iter()
                .map(|c| format!("    {}", ddl::column(c)))
                .collect();
            let unlogged = if expected.unlogged { "UNLOGGED " } else { "" };
            self.phases.tables.push(statement(
                format!(
                    "CREATE {unlogged}TABLE {} (\n{}\n)",
                    ident(name),
                    columns.join(",\n")
                ),
                format!("table {name}: missing (created empty)"),
                "none: a new table",
            ));
            // As created: the options pass sets the rest.
            created.insert(
                name.clone(),
                Table {
                    columns: expected.columns.clone(),
                    unlogged: expected.unlogged,
                    ..Table::default()
                },
            );
        }
        for name in extra {
            let rows = extra_rows[name.as_str()];
            self.extra(
                Object::Table,
                name.clone(),
                statement(
                    format!("DROP TABLE {}", ident(name)),
                    format!("table {name}: not in the snapshot, {rows} rows (--drop-extra)"),
                    format!("ACCESS EXCLUSIVE on {name}"),
                ),
            );
        }
        Ok(created)
    }

    async fn table(&mut self, name: &str, expected: &Table, actual: &Table) -> Result<()> {
        self.columns(name, expected, actual).await?;
        self.options(name, expected, actual);
        let mut consumed_indexes = BTreeSet::new();
        self.constraints(name, expected, actual, &mut consumed_indexes)
            .await?;
        self.indexes(name, expected, actual, &consumed_indexes)
            .await?;
        self.triggers(name, expected, actual);
        Ok(())
    }
}

/// The live object that is the expected one under another name: not wanted under its own name,
/// not taken by an earlier rename, and `same` as the expected one.
fn twin<T>(
    live: &BTreeMap<String, T>,
    expected: &BTreeMap<String, T>,
    taken: &BTreeSet<String>,
    same: impl Fn(&T) -> bool,
) -> Option<String> {
    live.iter()
        .find(|(name, object)| {
            !expected.contains_key(*name) && !taken.contains(*name) && same(object)
        })
        .map(|(name, _)| name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_sentences() {
        assert_eq!(rows_that(1, None, "hold"), "1 row holds");
        assert_eq!(
            rows_that(3, Some("sessions"), "share"),
            "3 rows of sessions share"
        );
        assert_eq!(
            rows_that(1, Some("users"), "break"),
            "1 row of users breaks"
        );
    }
}
