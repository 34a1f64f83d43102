//! A table's columns: types changed only where PostgreSQL does not rewrite, defaults set, NULLs
//! filled with the column's own default (triggers off, so `updated_at` stays) before `SET NOT
//! NULL`, and a large table's `SET NOT NULL` proven by a validated CHECK first.

use std::collections::BTreeMap;

use super::{Planner, brief, rows, rows_that, statement};
use crate::adopt::ddl::{self, base_name, ident};
use crate::adopt::{Refusal, Statement};
use crate::error::Result;
use crate::snapshot::{Column, Object, Table, TriggerState};

impl Planner<'_> {
    pub(super) async fn columns(
        &mut self,
        table: &str,
        expected: &Table,
        actual: &Table,
    ) -> Result<()> {
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
                        table,
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
                        table,
                        ident(&column.name)
                    ),
                    None => format!(
                        "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                        table,
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
                        table,
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
                        format!("ALTER TABLE {} DROP COLUMN {}", table, ident(&column.name)),
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
                    query: Some(format!("SELECT * FROM {}", table)),
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
            format!("ALTER TABLE {} ADD COLUMN {}", table, ddl::column(column)),
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
                    table,
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
            table,
            ident(&column.name)
        );
        if large {
            // PostgreSQL 12+ skips the scan of SET NOT NULL when a validated CHECK proves it,
            // and VALIDATE scans under a lock that lets writes through.
            let check = ident(&format!("{}_{}_not_null", base_name(table), column.name));
            let steps = [
                (
                    format!(
                        "ALTER TABLE {} ADD CONSTRAINT {check} CHECK ({} IS NOT NULL) NOT VALID",
                        table,
                        ident(&column.name)
                    ),
                    brief(table),
                ),
                (
                    format!("ALTER TABLE {} VALIDATE CONSTRAINT {check}", table),
                    format!("SHARE UPDATE EXCLUSIVE on {table} (writes go on): scans it"),
                ),
                (
                    set_not_null,
                    format!("{}: no scan, the check proves it", brief(table)),
                ),
                (
                    format!("ALTER TABLE {} DROP CONSTRAINT {check}", table),
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
        let switch = |verb: &str| -> Vec<Statement> {
            enabled
                .iter()
                .map(|trigger| {
                    statement(
                        format!("ALTER TABLE {} {verb} TRIGGER {}", table, ident(trigger)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
