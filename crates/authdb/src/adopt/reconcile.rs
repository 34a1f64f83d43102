//! From the live schema to the snapshot's, the way a careful DBA would write it: rename what only
//! differs by name, change a type only where PostgreSQL does not rewrite the table, fill NULLs
//! with the column's own default (said in the plan) before `SET NOT NULL`, add constraints `NOT
//! VALID` and validate them, replace a function's body in place, drop an index that only
//! duplicates another. Anything that would need data nobody has, or a rewrite nobody asked for,
//! is a refusal with the rows that stand in the way.

use std::collections::{BTreeMap, BTreeSet};

use super::ddl::{self, ident};
use super::facts::Facts;
use super::{AdoptOptions, Kept, Refusal, Statement};
use crate::error::Result;
use crate::snapshot::{Column, Constraint, Index, Object, Snapshot, Table, Trigger, TriggerState};

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
    target: &Snapshot,
    facts: &Facts<'_>,
    options: &AdoptOptions,
) -> Result<Script> {
    let mut planner = Planner {
        facts,
        options,
        phases: Phases::default(),
        kept: Vec::new(),
        refusals: Vec::new(),
    };
    planner.extensions(live, target);
    planner.functions(live, target);
    let empty_tables = planner.tables(live, target).await?;
    for (name, expected) in &target.tables {
        let actual = live
            .tables
            .get(name)
            .or_else(|| empty_tables.get(name))
            .expect("every target table is live or created");
        planner.table(name, expected, actual).await?;
    }
    planner.extra_functions(live, target);
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

    /// An object of the live schema that the snapshot does not have: dropped with
    /// `--drop-extra`, else listed and kept.
    fn extra(&mut self, object: Object, name: String, drop: Statement) {
        if self.options.drop_extra {
            self.phases.drops.push(drop);
        } else {
            self.kept.push(Kept { object, name });
        }
    }

    fn extensions(&mut self, live: &Snapshot, target: &Snapshot) {
        for missing in target.extensions.difference(&live.extensions) {
            self.refuse(Refusal::new(format!(
                "extension {missing} is missing: creating an extension needs privileges a \
                 migration role rarely has; create it by hand (CREATE EXTENSION {missing}), then \
                 plan again"
            )));
        }
        for extra in live.extensions.difference(&target.extensions) {
            self.kept.push(Kept {
                object: Object::Extension,
                name: extra.clone(),
            });
        }
    }

    fn functions(&mut self, live: &Snapshot, target: &Snapshot) {
        for (signature, expected) in &target.functions {
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

    fn extra_functions(&mut self, live: &Snapshot, target: &Snapshot) {
        for signature in live.functions.keys() {
            if !target.functions.contains_key(signature) {
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
        target: &Snapshot,
    ) -> Result<BTreeMap<String, Table>> {
        let extra: Vec<&String> = live
            .tables
            .keys()
            .filter(|name| !target.tables.contains_key(*name))
            .collect();
        let mut extra_rows = BTreeMap::new();
        for name in &extra {
            extra_rows.insert(name.to_string(), self.facts.rows(name).await?);
        }
        let mut created = BTreeMap::new();
        for (name, expected) in &target.tables {
            if live.tables.contains_key(name) {
                continue;
            }
            let holding: Vec<String> = extra_rows
                .iter()
                .filter(|(_, rows)| **rows > 0)
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

    /// The table's own options: row level security, persistence, storage parameters, replica
    /// identity. Its structure (access method, partitioning, inheritance) is refused: changing it
    /// means building another table.
    fn options(&mut self, name: &str, expected: &Table, actual: &Table) {
        let structure = |t: &Table| {
            (
                t.access_method.clone(),
                t.partition_key.clone(),
                t.partition_of.clone(),
                t.inherits.clone(),
            )
        };
        if structure(expected) != structure(actual) {
            self.refuse(Refusal {
                table: Some(name.into()),
                ..Refusal::new(format!(
                    "table {name}: its access method, partitioning or inheritance differs from \
                     the schema's: only building a new table changes them; do it by hand"
                ))
            });
        }
        let mut alter = |clause: String, resolves: String, lock: String| {
            self.phases.columns.push(statement(
                format!("ALTER TABLE {} {clause}", ident(name)),
                resolves,
                lock,
            ));
        };
        if expected.row_level_security != actual.row_level_security {
            let verb = if expected.row_level_security {
                "ENABLE"
            } else {
                "DISABLE"
            };
            alter(
                format!("{verb} ROW LEVEL SECURITY"),
                format!("table {name}: row level security"),
                brief(name),
            );
        }
        if expected.force_row_level_security != actual.force_row_level_security {
            let verb = if expected.force_row_level_security {
                "FORCE"
            } else {
                "NO FORCE"
            };
            alter(
                format!("{verb} ROW LEVEL SECURITY"),
                format!("table {name}: row level security for the owner"),
                brief(name),
            );
        }
        if expected.unlogged != actual.unlogged {
            let (verb, what) = if expected.unlogged {
                ("UNLOGGED", "logged, expected unlogged")
            } else {
                (
                    "LOGGED",
                    "unlogged (emptied after a crash), expected logged",
                )
            };
            alter(
                format!("SET {verb}"),
                format!("table {name}: {what}"),
                format!("ACCESS EXCLUSIVE on {name}: rewrites it"),
            );
        }
        for (key, value) in &expected.storage_parameters {
            if actual.storage_parameters.get(key) != Some(value) {
                alter(
                    format!("SET ({key} = {value})"),
                    format!("storage parameter {name}.{key}: expected {value}"),
                    format!("SHARE UPDATE EXCLUSIVE on {name}, brief"),
                );
            }
        }
        for key in actual.storage_parameters.keys() {
            if !expected.storage_parameters.contains_key(key) {
                alter(
                    format!("RESET ({key})"),
                    format!("storage parameter {name}.{key}: expected the default"),
                    format!("SHARE UPDATE EXCLUSIVE on {name}, brief"),
                );
            }
        }
        if expected.replica_identity != actual.replica_identity {
            let identity = expected
                .replica_identity
                .as_deref()
                .map_or("DEFAULT".to_string(), str::to_uppercase);
            alter(
                format!("REPLICA IDENTITY {identity}"),
                format!("table {name}: replica identity"),
                brief(name),
            );
        }
    }

    async fn columns(&mut self, table: &str, expected: &Table, actual: &Table) -> Result<()> {
        let first_statement = self.phases.columns.len();
        let live: BTreeMap<&str, &Column> = actual
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c))
            .collect();
        let primary_key = primary_key_columns(expected);
        let mut backfills = Vec::new();
        let mut order_after: Vec<&str> = actual
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| expected.columns.iter().any(|e| e.name == *c))
            .collect();
        for column in &expected.columns {
            let qualified = format!("{table}.{}", column.name);
            let Some(current) = live.get(column.name.as_str()) else {
                self.add_column(table, column).await?;
                order_after.push(&column.name);
                continue;
            };
            if current.collation != column.collation
                || current.identity != column.identity
                || current.generated != column.generated
            {
                self.refuse(Refusal {
                    table: Some(table.into()),
                    column: Some(column.name.clone()),
                    ..Refusal::new(format!(
                        "column {qualified}: its collation, identity or generated expression \
                         differs from the schema's; change it by hand"
                    ))
                });
                continue;
            }
            if current.data_type != column.data_type {
                if !converts_without_rewrite(&current.data_type, &column.data_type) {
                    let why = if primary_key.contains(&column.name) {
                        "a primary key of another type: every row and every reference would \
                         change, which only a hand-written migration can do"
                    } else {
                        "only conversions PostgreSQL makes without rewriting the table \
                         (varchar to text, a longer varchar) are made automatically"
                    };
                    self.refuse(Refusal {
                        table: Some(table.into()),
                        column: Some(column.name.clone()),
                        ..Refusal::new(format!(
                            "column {qualified} is {}, the schema has {}: {why}",
                            current.data_type, column.data_type
                        ))
                    });
                    continue;
                }
                self.phases.columns.push(statement(
                    format!(
                        "ALTER TABLE {} ALTER COLUMN {} TYPE {}",
                        ident(table),
                        ident(&column.name),
                        column.data_type
                    ),
                    format!(
                        "column {qualified}: type is {}, expected {}",
                        current.data_type, column.data_type
                    ),
                    format!("{} (no rewrite)", brief(table)),
                ));
            }
            if current.default != column.default {
                let sql = match &column.default {
                    Some(default) => format!(
                        "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {default}",
                        ident(table),
                        ident(&column.name)
                    ),
                    None => format!(
                        "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                        ident(table),
                        ident(&column.name)
                    ),
                };
                self.phases.columns.push(statement(
                    sql,
                    format!(
                        "column {qualified}: default is {}, expected {}",
                        current.default.as_deref().unwrap_or("none"),
                        column.default.as_deref().unwrap_or("none")
                    ),
                    brief(table),
                ));
            }
            if column.not_null && !current.not_null {
                if let Some(backfill) = self.not_null(table, column).await? {
                    backfills.push(backfill);
                }
            } else if !column.not_null && current.not_null {
                self.phases.columns.push(statement(
                    format!(
                        "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
                        ident(table),
                        ident(&column.name)
                    ),
                    format!("column {qualified}: NOT NULL, expected nullable"),
                    brief(table),
                ));
            }
        }
        self.backfill(table, actual, backfills, first_statement);
        for column in &actual.columns {
            if expected.columns.iter().all(|e| e.name != column.name) {
                let values = self
                    .facts
                    .rows(table)
                    .await?
                    .saturating_sub(self.facts.nulls(table, &column.name).await?.rows);
                self.extra(
                    Object::Column,
                    format!("{table}.{}", column.name),
                    statement(
                        format!(
                            "ALTER TABLE {} DROP COLUMN {}",
                            ident(table),
                            ident(&column.name)
                        ),
                        format!(
                            "column {table}.{}: not in the snapshot, {values} non-null values \
                             (--drop-extra)",
                            column.name
                        ),
                        brief(table),
                    ),
                );
            }
        }
        let expected_order: Vec<&str> = expected.columns.iter().map(|c| c.name.as_str()).collect();
        if order_after != expected_order
            && self
                .refusals
                .iter()
                .all(|r| r.table.as_deref() != Some(table))
        {
            self.refuse(Refusal {
                table: Some(table.into()),
                ..Refusal::new(format!(
                    "table {table}: its columns are in the order {}, the schema's order is {}: \
                     only rewriting the table changes the order, which adopt does not do",
                    order_after.join(", "),
                    expected_order.join(", ")
                ))
            });
        }
        Ok(())
    }

    async fn add_column(&mut self, table: &str, column: &Column) -> Result<()> {
        let qualified = format!("{table}.{}", column.name);
        if column.not_null && column.default.is_none() && column.generated.is_none() {
            let rows = self.facts.rows(table).await?;
            if rows > 0 {
                self.refuse(Refusal {
                    table: Some(table.into()),
                    column: Some(column.name.clone()),
                    rows: Some(rows),
                    query: Some(format!("SELECT * FROM {}", ident(table))),
                    ..Refusal::new(format!(
                        "column {qualified} is missing and is NOT NULL without a default, and \
                         {table} has {}: their values would have to be invented",
                        self::rows(rows)
                    ))
                });
                return Ok(());
            }
        }
        self.phases.columns.push(statement(
            format!(
                "ALTER TABLE {} ADD COLUMN {}",
                ident(table),
                ddl::column(column)
            ),
            format!("column {qualified}: missing"),
            brief(table),
        ));
        Ok(())
    }

    /// `SET NOT NULL`, after filling NULLs with the column's default; a refusal when there are
    /// NULLs and no default. Returns the backfill, which runs with the table's triggers off.
    async fn not_null(&mut self, table: &str, column: &Column) -> Result<Option<Statement>> {
        let qualified = format!("{table}.{}", column.name);
        let nulls = self.facts.nulls(table, &column.name).await?;
        let mut backfill = None;
        if nulls.rows > 0 {
            let Some(default) = &column.default else {
                self.refuse(Refusal {
                    table: Some(table.into()),
                    column: Some(column.name.clone()),
                    rows: Some(nulls.rows),
                    query: Some(nulls.query),
                    ..Refusal::new(format!(
                        "column {qualified} must be NOT NULL and has no default, but {} NULL: \
                         their values would have to be invented; fill them by hand",
                        rows_that(nulls.rows, None, "hold")
                    ))
                });
                return Ok(None);
            };
            backfill = Some(statement(
                format!(
                    "UPDATE {} SET {} = {default} WHERE {} IS NULL",
                    ident(table),
                    ident(&column.name),
                    ident(&column.name)
                ),
                format!(
                    "column {qualified}: {} NULL, which gets the column's default, {default}, \
                     before NOT NULL",
                    rows_that(nulls.rows, None, "hold")
                ),
                format!("ROW EXCLUSIVE on {table}: writes the {}", rows(nulls.rows)),
            ));
        }
        let resolves = format!("column {qualified}: nullable, expected NOT NULL");
        let large = self.facts.estimate(table).await? >= self.options.large_table_rows as f64;
        let set_not_null = format!(
            "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
            ident(table),
            ident(&column.name)
        );
        if large {
            // PostgreSQL 12+ skips the scan of SET NOT NULL when a validated CHECK proves it,
            // and VALIDATE scans under a lock that lets writes through.
            let check = ident(&format!("{table}_{}_not_null", column.name));
            let steps = [
                (
                    format!(
                        "ALTER TABLE {} ADD CONSTRAINT {check} CHECK ({} IS NOT NULL) NOT VALID",
                        ident(table),
                        ident(&column.name)
                    ),
                    brief(table),
                ),
                (
                    format!("ALTER TABLE {} VALIDATE CONSTRAINT {check}", ident(table)),
                    format!("SHARE UPDATE EXCLUSIVE on {table} (writes go on): scans it"),
                ),
                (
                    set_not_null,
                    format!("{}: no scan, the check proves it", brief(table)),
                ),
                (
                    format!("ALTER TABLE {} DROP CONSTRAINT {check}", ident(table)),
                    brief(table),
                ),
            ];
            for (sql, lock) in steps {
                self.phases
                    .columns
                    .push(statement(sql, resolves.clone(), lock));
            }
        } else {
            self.phases.columns.push(statement(
                set_not_null,
                resolves,
                format!("{}: scans it", brief(table)),
            ));
        }
        Ok(backfill)
    }

    /// Backfills run before the columns' other changes and with the table's enabled user
    /// triggers off, so that filling a NULL does not also move `updated_at`.
    fn backfill(&mut self, table: &str, actual: &Table, backfills: Vec<Statement>, at: usize) {
        if backfills.is_empty() {
            return;
        }
        let enabled: Vec<&String> = actual
            .triggers
            .iter()
            .filter(|(_, t)| t.state != TriggerState::Disabled)
            .map(|(name, _)| name)
            .collect();
        let switch =
            |verb: &str| -> Vec<Statement> {
                enabled
                .iter()
                .map(|trigger| {
                    statement(
                        format!("ALTER TABLE {} {verb} TRIGGER {}", ident(table), ident(trigger)),
                        format!(
                            "trigger {table}.{trigger}: {} for the backfill, so rows keep their \
                             updated_at",
                            if verb == "DISABLE" { "off" } else { "on again" }
                        ),
                        format!("SHARE ROW EXCLUSIVE on {table}, brief"),
                    )
                })
                .collect()
            };
        let mut steps = switch("DISABLE");
        steps.extend(backfills);
        steps.extend(switch("ENABLE"));
        // Before this table's column changes (SET NOT NULL among them), queued from `at` on.
        self.phases.columns.splice(at..at, steps);
    }

    async fn constraints(
        &mut self,
        table: &str,
        expected: &Table,
        actual: &Table,
        consumed_indexes: &mut BTreeSet<String>,
    ) -> Result<()> {
        let mut renamed_from = BTreeSet::new();
        for (name, constraint) in &expected.constraints {
            let qualified = format!("{table}.{name}");
            match actual.constraints.get(name) {
                Some(current) if current == constraint => continue,
                Some(current) => {
                    self.replace_constraint(table, name, current, constraint)
                        .await?;
                    continue;
                }
                None => {}
            }
            let twin = actual
                .constraints
                .iter()
                .find(|(other, c)| {
                    !expected.constraints.contains_key(*other)
                        && !renamed_from.contains(*other)
                        && c.definition == constraint.definition
                })
                .map(|(other, _)| other.clone());
            if let Some(old) = twin {
                self.phases.renames.push(statement(
                    format!(
                        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                        ident(table),
                        ident(&old),
                        ident(name)
                    ),
                    format!("constraint {qualified}: missing; {old} has its definition"),
                    brief(table),
                ));
                renamed_from.insert(old);
                continue;
            }
            if let Some(columns) = constraint.definition.strip_prefix("UNIQUE ") {
                let index = actual
                    .indexes
                    .iter()
                    .find(|(other, index)| {
                        !expected.indexes.contains_key(*other)
                            && !consumed_indexes.contains(*other)
                            && index.unique
                            && index.method == "btree"
                            && index.definition == columns
                    })
                    .map(|(other, _)| other.clone());
                if let Some(index) = index {
                    self.phases.constraints.push(statement(
                        format!(
                            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                            ident(table),
                            ident(name),
                            ident(&index)
                        ),
                        format!(
                            "constraint {qualified}: missing; the unique index {index} already \
                             enforces it (and is renamed {name})"
                        ),
                        brief(table),
                    ));
                    consumed_indexes.insert(index);
                    continue;
                }
            }
            self.add_constraint(
                table,
                name,
                constraint,
                &format!("constraint {qualified}: missing"),
            )
            .await?;
        }
        for (name, constraint) in &actual.constraints {
            if expected.constraints.contains_key(name) || renamed_from.contains(name) {
                continue;
            }
            self.extra(
                Object::Constraint,
                format!("{table}.{name}"),
                statement(
                    format!(
                        "ALTER TABLE {} DROP CONSTRAINT {}",
                        ident(table),
                        ident(name)
                    ),
                    format!(
                        "constraint {table}.{name} ({}): not in the snapshot (--drop-extra)",
                        constraint.definition
                    ),
                    brief(table),
                ),
            );
        }
        Ok(())
    }

    async fn replace_constraint(
        &mut self,
        table: &str,
        name: &str,
        current: &Constraint,
        constraint: &Constraint,
    ) -> Result<()> {
        let qualified = format!("{table}.{name}");
        let replaceable = ["FOREIGN KEY ", "CHECK "].iter().any(|kind| {
            constraint.definition.starts_with(kind) && current.definition.starts_with(kind)
        });
        if !replaceable {
            self.refuse(Refusal {
                table: Some(table.into()),
                ..Refusal::new(format!(
                    "constraint {qualified} is {}, the schema's is {}: replacing a primary key \
                     or unique constraint is a hand-written migration",
                    current.definition, constraint.definition
                ))
            });
            return Ok(());
        }
        let resolves = format!(
            "constraint {qualified}: is {}, expected {}",
            current.definition, constraint.definition
        );
        self.phases.renames.push(statement(
            format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                ident(table),
                ident(name)
            ),
            resolves.clone(),
            brief(table),
        ));
        self.add_constraint(table, name, constraint, &resolves)
            .await
    }

    /// Adds a constraint the rows already satisfy; refuses, with the rows, when they do not.
    /// CHECK and FOREIGN KEY are added NOT VALID and validated, so the scan does not block writes.
    async fn add_constraint(
        &mut self,
        table: &str,
        name: &str,
        constraint: &Constraint,
        resolves: &str,
    ) -> Result<()> {
        let definition = &constraint.definition;
        let add = |suffix: &str| {
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}{suffix}",
                ident(table),
                ident(name)
            )
        };
        let validate = format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            ident(table),
            ident(name)
        );
        if let Some(expression) = definition
            .strip_prefix("CHECK (")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let offenders = self.facts.check_violations(table, expression).await?;
            if offenders.rows > 0 {
                self.refuse(Refusal {
                    table: Some(table.into()),
                    column: column_of(expression),
                    rows: Some(offenders.rows),
                    query: Some(offenders.query),
                    ..Refusal::new(format!(
                        "{} the schema's {definition} ({name}): correct them by hand",
                        rows_that(offenders.rows, Some(table), "break")
                    ))
                });
                return Ok(());
            }
            self.phases.constraints.push(statement(
                add(" NOT VALID"),
                resolves.into(),
                brief(table),
            ));
            self.phases.constraints.push(statement(
                validate,
                resolves.into(),
                format!("SHARE UPDATE EXCLUSIVE on {table} (writes go on): scans it"),
            ));
            return Ok(());
        }
        if let Some(foreign) = ForeignKey::parse(definition) {
            let offenders = self
                .facts
                .orphans(
                    table,
                    &foreign.columns,
                    &foreign.referenced,
                    &foreign.referenced_columns,
                )
                .await?;
            if offenders.rows > 0 {
                self.refuse(Refusal {
                    table: Some(table.into()),
                    column: foreign.columns.first().cloned(),
                    rows: Some(offenders.rows),
                    query: Some(offenders.query),
                    ..Refusal::new(format!(
                        "{} at no row of {} ({definition}): delete or correct them by hand",
                        rows_that(offenders.rows, Some(table), "point"),
                        foreign.referenced
                    ))
                });
                return Ok(());
            }
            let both = format!("{table} and {}", foreign.referenced);
            self.phases.foreign_keys.push(statement(
                add(" NOT VALID"),
                resolves.into(),
                format!("SHARE ROW EXCLUSIVE on {both}, brief"),
            ));
            self.phases.foreign_keys.push(statement(
                validate,
                resolves.into(),
                format!(
                    "SHARE UPDATE EXCLUSIVE on {table}, ROW SHARE on {} (writes go on)",
                    foreign.referenced
                ),
            ));
            return Ok(());
        }
        let columns = definition
            .strip_prefix("UNIQUE ")
            .or_else(|| definition.strip_prefix("PRIMARY KEY "));
        if let Some(columns) = columns
            .and_then(|c| c.strip_prefix('('))
            .and_then(|c| c.strip_suffix(')'))
        {
            let offenders = self.facts.duplicates(table, columns, None).await?;
            if offenders.rows > 0 {
                self.refuse(Refusal {
                    table: Some(table.into()),
                    column: Some(columns.to_string()),
                    rows: Some(offenders.rows),
                    query: Some(offenders.query),
                    ..Refusal::new(format!(
                        "{} a value of ({columns}), which {definition} \
                         ({name}) forbids: merge or correct them by hand",
                        rows_that(offenders.rows, Some(table), "share")
                    ))
                });
                return Ok(());
            }
        }
        self.phases.constraints.push(statement(
            add(""),
            resolves.into(),
            format!("ACCESS EXCLUSIVE on {table}: builds its index"),
        ));
        Ok(())
    }

    async fn indexes(
        &mut self,
        table: &str,
        expected: &Table,
        actual: &Table,
        consumed: &BTreeSet<String>,
    ) -> Result<()> {
        let mut renamed_from = BTreeSet::new();
        for (name, index) in &expected.indexes {
            match actual.indexes.get(name) {
                Some(current) if current == index => continue,
                Some(current) => {
                    self.phases.renames.push(statement(
                        format!("DROP INDEX {}", ident(name)),
                        format!(
                            "index {name}: is {} {}, expected {} {}",
                            current.method, current.definition, index.method, index.definition
                        ),
                        brief(table),
                    ));
                    self.create_index(table, name, index, "index rebuilt")
                        .await?;
                    continue;
                }
                None => {}
            }
            let twin = actual
                .indexes
                .iter()
                .find(|(other, i)| {
                    !expected.indexes.contains_key(*other)
                        && !consumed.contains(*other)
                        && !renamed_from.contains(*other)
                        && i.unique == index.unique
                        && i.method == index.method
                        && i.definition == index.definition
                })
                .map(|(other, _)| other.clone());
            match twin {
                Some(old) => {
                    self.phases.renames.push(statement(
                        format!("ALTER INDEX {} RENAME TO {}", ident(&old), ident(name)),
                        format!("index {name}: missing; {old} has its definition"),
                        format!("SHARE UPDATE EXCLUSIVE on {old}, brief"),
                    ));
                    renamed_from.insert(old);
                }
                None => self.create_index(table, name, index, "missing").await?,
            }
        }
        // What the final schema indexes: every remaining index and every constraint's columns.
        let covered: BTreeSet<String> = expected
            .indexes
            .values()
            .map(|i| format!("{} {}", i.method, i.definition))
            .chain(expected.constraints.values().filter_map(|c| {
                c.definition
                    .strip_prefix("UNIQUE ")
                    .or_else(|| c.definition.strip_prefix("PRIMARY KEY "))
                    .map(|columns| format!("btree {columns}"))
            }))
            .collect();
        for (name, index) in &actual.indexes {
            if expected.indexes.contains_key(name)
                || consumed.contains(name)
                || renamed_from.contains(name)
            {
                continue;
            }
            let drop = statement(
                format!("DROP INDEX {}", ident(name)),
                String::new(),
                brief(table),
            );
            if covered.contains(&format!("{} {}", index.method, index.definition)) {
                self.phases.drops.push(Statement {
                    resolves: format!(
                        "index {name}: not in the snapshot, and it duplicates an index the \
                         schema has on {table} {}",
                        index.definition
                    ),
                    ..drop
                });
            } else {
                self.extra(
                    Object::Index,
                    name.clone(),
                    Statement {
                        resolves: format!("index {name}: not in the snapshot (--drop-extra)"),
                        ..drop
                    },
                );
            }
        }
        Ok(())
    }

    async fn create_index(
        &mut self,
        table: &str,
        name: &str,
        index: &Index,
        why: &str,
    ) -> Result<()> {
        if index.unique {
            let (columns, predicate) = index_parts(&index.definition);
            let offenders = self.facts.duplicates(table, columns, predicate).await?;
            if offenders.rows > 0 {
                self.refuse(Refusal {
                    table: Some(table.into()),
                    column: Some(columns.to_string()),
                    rows: Some(offenders.rows),
                    query: Some(offenders.query),
                    ..Refusal::new(format!(
                        "{} a value of ({columns}), which the unique index \
                         {name} forbids: merge or correct them by hand",
                        rows_that(offenders.rows, Some(table), "share")
                    ))
                });
                return Ok(());
            }
        }
        self.phases.indexes.push(statement(
            ddl::create_index(table, name, index),
            format!("index {name}: {why}"),
            format!("SHARE on {table}: blocks writes while it builds"),
        ));
        Ok(())
    }

    fn triggers(&mut self, table: &str, expected: &Table, actual: &Table) {
        let mut renamed_from = BTreeSet::new();
        for (name, trigger) in &expected.triggers {
            let qualified = format!("{table}.{name}");
            let current = match actual.triggers.get(name) {
                Some(current) if current.definition == trigger.definition => Some(current),
                Some(_) => {
                    self.phases.triggers.push(statement(
                        format!("DROP TRIGGER {} ON {}", ident(name), ident(table)),
                        format!("trigger {qualified}: its definition differs"),
                        brief(table),
                    ));
                    self.create_trigger(table, name, trigger, "its definition differs");
                    continue;
                }
                None => {
                    let twin = actual
                        .triggers
                        .iter()
                        .find(|(other, t)| {
                            !expected.triggers.contains_key(*other)
                                && !renamed_from.contains(*other)
                                && t.definition == trigger.definition
                        })
                        .map(|(other, t)| (other.clone(), t));
                    match twin {
                        Some((old, t)) => {
                            self.phases.renames.push(statement(
                                format!(
                                    "ALTER TRIGGER {} ON {} RENAME TO {}",
                                    ident(&old),
                                    ident(table),
                                    ident(name)
                                ),
                                format!("trigger {qualified}: missing; {old} has its definition"),
                                brief(table),
                            ));
                            renamed_from.insert(old);
                            Some(t)
                        }
                        None => {
                            self.create_trigger(table, name, trigger, "missing");
                            None
                        }
                    }
                }
            };
            if let Some(current) = current
                && current.state != trigger.state
            {
                self.set_state(table, name, trigger);
            }
        }
        for name in actual.triggers.keys() {
            if expected.triggers.contains_key(name) || renamed_from.contains(name) {
                continue;
            }
            self.extra(
                Object::Trigger,
                format!("{table}.{name}"),
                statement(
                    format!("DROP TRIGGER {} ON {}", ident(name), ident(table)),
                    format!("trigger {table}.{name}: not in the snapshot (--drop-extra)"),
                    brief(table),
                ),
            );
        }
    }

    fn create_trigger(&mut self, table: &str, name: &str, trigger: &Trigger, why: &str) {
        self.phases.triggers.push(statement(
            ddl::create_trigger(name, trigger),
            format!("trigger {table}.{name}: {why}"),
            format!("SHARE ROW EXCLUSIVE on {table}, brief"),
        ));
        if trigger.state != TriggerState::Enabled {
            self.set_state(table, name, trigger);
        }
    }

    fn set_state(&mut self, table: &str, name: &str, trigger: &Trigger) {
        let verb = match trigger.state {
            TriggerState::Enabled => "ENABLE TRIGGER",
            TriggerState::Disabled => "DISABLE TRIGGER",
            TriggerState::Replica => "ENABLE REPLICA TRIGGER",
            TriggerState::Always => "ENABLE ALWAYS TRIGGER",
        };
        self.phases.triggers.push(statement(
            format!("ALTER TABLE {} {verb} {}", ident(table), ident(name)),
            format!("trigger {table}.{name}: state"),
            format!("SHARE ROW EXCLUSIVE on {table}, brief"),
        ));
    }
}

/// Type changes PostgreSQL makes without rewriting or rechecking the table: to `text` from
/// `varchar` (or `varchar(n)`), and to a longer `varchar`, for plain and array types.
fn converts_without_rewrite(from: &str, to: &str) -> bool {
    let (from, to) = match (from.strip_suffix("[]"), to.strip_suffix("[]")) {
        (Some(f), Some(t)) => (f, t),
        (None, None) => (from, to),
        _ => return false,
    };
    let varchar = |t: &str| -> Option<Option<u32>> {
        let rest = t.strip_prefix("character varying")?;
        if rest.is_empty() {
            return Some(None);
        }
        rest.strip_prefix('(')?
            .strip_suffix(')')?
            .parse()
            .ok()
            .map(Some)
    };
    match (varchar(from), to) {
        (Some(_), "text") => true,
        (Some(Some(n)), _) => varchar(to).is_some_and(|m| m.is_none_or(|m| m >= n)),
        _ => false,
    }
}

fn primary_key_columns(table: &Table) -> Vec<String> {
    table
        .constraints
        .values()
        .filter_map(|c| c.definition.strip_prefix("PRIMARY KEY ("))
        .flat_map(|columns| {
            columns
                .trim_end_matches(')')
                .split(", ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// An index definition's expression list and its predicate: `(lower(email)) WHERE x` gives
/// `lower(email)` and `Some("x")`.
fn index_parts(definition: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut end = definition.len();
    for (i, c) in definition.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let columns = definition.get(1..end).unwrap_or(definition);
    let predicate = definition[end..].split_once(" WHERE ").map(|(_, p)| p);
    (columns, predicate)
}

/// The column a CHECK is about: the name its expression starts with.
fn column_of(expression: &str) -> Option<String> {
    let first = expression.trim_start_matches('(');
    let end = first
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(first.len());
    (end > 0).then(|| first[..end].to_string())
}

/// `FOREIGN KEY (a, b) REFERENCES t(x, y) ...`, as pg_get_constraintdef prints it.
struct ForeignKey {
    columns: Vec<String>,
    referenced: String,
    referenced_columns: Vec<String>,
}

impl ForeignKey {
    fn parse(definition: &str) -> Option<ForeignKey> {
        let rest = definition.strip_prefix("FOREIGN KEY (")?;
        let (columns, rest) = rest.split_once(") REFERENCES ")?;
        let (referenced, rest) = rest.split_once('(')?;
        let (referenced_columns, _) = rest.split_once(')')?;
        let list = |text: &str| {
            text.split(", ")
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        };
        Some(ForeignKey {
            columns: list(columns),
            referenced: referenced.trim_matches('"').to_string(),
            referenced_columns: list(referenced_columns),
        })
    }
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

    #[test]
    fn only_conversions_without_a_rewrite_are_automatic() {
        assert!(converts_without_rewrite("character varying(255)", "text"));
        assert!(converts_without_rewrite(
            "character varying(255)[]",
            "text[]"
        ));
        assert!(converts_without_rewrite("character varying", "text"));
        assert!(converts_without_rewrite(
            "character varying(20)",
            "character varying(40)"
        ));
        assert!(!converts_without_rewrite(
            "character varying(40)",
            "character varying(20)"
        ));
        assert!(!converts_without_rewrite("integer", "uuid"));
        assert!(!converts_without_rewrite("text", "character varying(20)"));
        assert!(!converts_without_rewrite(
            "timestamp without time zone",
            "timestamp with time zone"
        ));
        assert!(!converts_without_rewrite("character varying(20)", "text[]"));
    }

    #[test]
    fn index_definitions_split_into_columns_and_predicate() {
        assert_eq!(index_parts("(lower(email))"), ("lower(email)", None));
        assert_eq!(
            index_parts("(user_id, token) WHERE (expires_at > now())"),
            ("user_id, token", Some("(expires_at > now())"))
        );
    }

    #[test]
    fn foreign_keys_are_read_from_their_definition() {
        let fk = ForeignKey::parse("FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE")
            .unwrap();
        assert_eq!(fk.columns, ["user_id"]);
        assert_eq!(fk.referenced, "users");
        assert_eq!(fk.referenced_columns, ["id"]);
    }
}
