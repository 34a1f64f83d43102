//! From the live schema to the snapshot's, the way a careful DBA would write it: rename what only
//! differs by name, change a type only where PostgreSQL does not rewrite the table, fill NULLs
//! with the column's own default (said in the plan) before `SET NOT NULL`, add constraints `NOT
//! VALID` and validate them, replace a function's body in place, drop an index that only
//! duplicates another, create what is missing (a schema, a type, a table, a view...) from the
//! snapshot, and set owners, privileges and comments as it has them. Anything that would need
//! data nobody has, or a rewrite nobody asked for, is a refusal with the reason and the rows that
//! stand in the way.

mod columns;
mod constraints;
mod indexes;
mod objects;
mod options;
mod policies;
mod privileges;
mod routines;
mod sequences;
mod tables;
mod triggers;
mod types;
mod views;

use std::collections::{BTreeMap, BTreeSet};

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

/// Statements are gathered by phase, then concatenated: schemas before what lives in them,
/// types and plain functions before the tables that use them, tables before their columns,
/// SQL functions (PostgreSQL checks their bodies) once the tables are there, every table's
/// columns before the foreign keys between them, views once their tables are complete, and
/// owners, privileges and comments last, on the finished objects.
#[derive(Default)]
struct Phases {
    schemas: Vec<Statement>,
    /// Before anything is created, so what is created gets the snapshot's default privileges.
    default_privileges: Vec<Statement>,
    types: Vec<Statement>,
    functions: Vec<Statement>,
    sequences: Vec<Statement>,
    tables: Vec<Statement>,
    columns: Vec<Statement>,
    sql_functions: Vec<Statement>,
    renames: Vec<Statement>,
    constraints: Vec<Statement>,
    foreign_keys: Vec<Statement>,
    sequence_owners: Vec<Statement>,
    views: Vec<Statement>,
    indexes: Vec<Statement>,
    triggers: Vec<Statement>,
    policies: Vec<Statement>,
    privileges: Vec<Statement>,
    drops: Vec<Statement>,
    /// Schemas dropped with `--drop-extra`: after everything in them.
    schema_drops: Vec<Statement>,
}

pub(super) async fn reconcile(
    live: &Snapshot,
    wanted: &Snapshot,
    facts: &Facts<'_>,
    options: &AdoptOptions,
) -> Result<Script> {
    let mut planner = Planner {
        wanted,
        facts,
        options,
        phases: Phases::default(),
        kept: Vec::new(),
        refusals: Vec::new(),
        roles: BTreeSet::new(),
        recreated: BTreeSet::new(),
    };
    planner.tracking_table(live, wanted);
    planner.schemas(live, wanted);
    planner.extensions(live, wanted);
    planner.types(live, wanted);
    planner.functions(live, wanted);
    planner.sequences(live, wanted);
    let created = planner.tables(live, wanted).await?;
    for (name, expected) in &wanted.tables {
        // A missing relation adopt refused to create has its refusal: nothing more to say.
        if let Some(actual) = created.get(name).or_else(|| live.tables.get(name)) {
            planner.table(name, expected, actual).await?;
        }
    }
    planner.extra_functions(live, wanted);
    planner.extra_sequences(live, wanted);
    planner.extra_types(live, wanted);
    planner.default_privileges(live, wanted);
    planner.others(live, wanted);
    planner.check_roles().await?;
    let phases = planner.phases;
    let statements = [
        phases.schemas,
        phases.default_privileges,
        phases.types,
        phases.functions,
        phases.sequences,
        phases.tables,
        phases.columns,
        phases.sql_functions,
        phases.renames,
        phases.constraints,
        phases.foreign_keys,
        phases.sequence_owners,
        phases.views,
        phases.indexes,
        phases.triggers,
        phases.policies,
        phases.privileges,
        phases.drops,
        phases.schema_drops,
    ]
    .concat();
    Ok(Script {
        statements,
        kept: planner.kept,
        refusals: planner.refusals,
    })
}

struct Planner<'a> {
    /// The snapshot: what objects the script creates get from its default privileges.
    wanted: &'a Snapshot,
    facts: &'a Facts<'a>,
    options: &'a AdoptOptions,
    phases: Phases,
    kept: Vec<Kept>,
    refusals: Vec<Refusal>,
    /// Roles the script grants to or gives objects to: each must exist.
    roles: BTreeSet<String>,
    /// What the script drops and creates again (`policy t.p`, `index t i`): it comes back
    /// without its comment.
    recreated: BTreeSet<String>,
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

    /// A relation: its columns and options, constraints, indexes, triggers, policies, and what
    /// a view's query says; owners, privileges and comments come in the last phase.
    async fn table(&mut self, name: &str, expected: &Table, actual: &Table) -> Result<()> {
        let recreated = self.view(name, expected, actual);
        let actual = recreated.as_ref().unwrap_or(actual);
        if expected.kind == crate::snapshot::RelationKind::Table {
            self.columns(name, expected, actual).await?;
        }
        self.options(name, expected, actual);
        self.column_settings(name, expected, actual).await?;
        let mut consumed_indexes = BTreeSet::new();
        self.constraints(name, expected, actual, &mut consumed_indexes)
            .await?;
        self.indexes(name, expected, actual, &consumed_indexes)
            .await?;
        self.triggers(name, expected, actual);
        self.policies(name, expected, actual);
        self.relation_privileges(name, expected, actual);
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
