//! A table's constraints: renamed when only the name differs, a unique index adopted as the
//! UNIQUE constraint it stands for, CHECK and FOREIGN KEY added NOT VALID and validated, and every
//! one added only when the rows already satisfy it.

use std::collections::BTreeSet;

use super::{Planner, brief, rows_that, statement, twin};
use crate::adopt::Refusal;
use crate::adopt::ddl::ident;
use crate::error::Result;
use crate::snapshot::{Constraint, Object, Table};

impl Planner<'_> {
    pub(super) async fn constraints(
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
                Some(current) if current.definition == constraint.definition => continue,
                Some(current) => {
                    self.replace_constraint(table, name, current, constraint)
                        .await?;
                    continue;
                }
                None => {}
            }
            let twin = twin(
                &actual.constraints,
                &expected.constraints,
                &renamed_from,
                |c| c.definition == constraint.definition,
            );
            if let Some(old) = twin {
                self.phases.renames.push(statement(
                    format!(
                        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                        table,
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
                            table,
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
                    format!("ALTER TABLE {} DROP CONSTRAINT {}", table, ident(name)),
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
            format!("ALTER TABLE {} DROP CONSTRAINT {}", table, ident(name)),
            resolves.clone(),
            brief(table),
        ));
        self.recreated.insert(format!("constraint {qualified}"));
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
                table,
                ident(name)
            )
        };
        let validate = format!("ALTER TABLE {} VALIDATE CONSTRAINT {}", table, ident(name));
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
            let rule = format!("{definition} ({name})");
            if self.refuse_duplicates(table, columns, None, &rule).await? {
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
            referenced: referenced.to_string(),
            referenced_columns: list(referenced_columns),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_keys_are_read_from_their_definition() {
        let fk = ForeignKey::parse("FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE")
            .unwrap();
        assert_eq!(fk.columns, ["user_id"]);
        assert_eq!(fk.referenced, "users");
        assert_eq!(fk.referenced_columns, ["id"]);
    }
}
