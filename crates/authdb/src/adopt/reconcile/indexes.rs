//! A table's indexes: renamed when only the name differs, built when missing (a unique one only
//! when the rows allow it), and dropped when it only duplicates another the schema keeps.

use std::collections::BTreeSet;

use super::{Planner, brief, statement, twin};
use crate::adopt::Statement;
use crate::adopt::ddl::{self, ident, in_schema_of};
use crate::error::Result;
use crate::snapshot::{Index, Object, Table};

impl Planner<'_> {
    pub(super) async fn indexes(
        &mut self,
        table: &str,
        expected: &Table,
        actual: &Table,
        consumed: &BTreeSet<String>,
    ) -> Result<()> {
        let mut renamed_from = BTreeSet::new();
        let same = |a: &Index, b: &Index| {
            (a.unique, &a.method, &a.definition, a.valid)
                == (b.unique, &b.method, &b.definition, b.valid)
        };
        for (name, index) in &expected.indexes {
            let statistics = actual.indexes.get(name).map(|i| i.statistics.clone());
            if statistics.as_ref().is_none_or(|s| s != &index.statistics) {
                self.index_statistics(table, name, index, statistics.unwrap_or_default());
            }
            match actual.indexes.get(name) {
                Some(current) if same(current, index) => continue,
                Some(current) => {
                    self.phases.renames.push(statement(
                        format!("DROP INDEX {}", in_schema_of(table, name)),
                        format!(
                            "index {name}: is {} {}, expected {} {}",
                            current.method, current.definition, index.method, index.definition
                        ),
                        brief(table),
                    ));
                    self.recreated.insert(format!("index {table} {name}"));
                    self.create_index(table, name, index, "index rebuilt")
                        .await?;
                    continue;
                }
                None => {}
            }
            let taken: BTreeSet<String> = consumed.union(&renamed_from).cloned().collect();
            let twin = twin(&actual.indexes, &expected.indexes, &taken, |i| {
                i.unique == index.unique
                    && i.method == index.method
                    && i.definition == index.definition
            });
            match twin {
                Some(old) => {
                    self.phases.renames.push(statement(
                        format!(
                            "ALTER INDEX {} RENAME TO {}",
                            in_schema_of(table, &old),
                            ident(name)
                        ),
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
                format!("DROP INDEX {}", in_schema_of(table, name)),
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

    /// `ALTER INDEX ... ALTER COLUMN n SET STATISTICS` where the targets differ (after the
    /// index is built, in the index phase).
    fn index_statistics(
        &mut self,
        table: &str,
        name: &str,
        index: &Index,
        current: std::collections::BTreeMap<i32, i32>,
    ) {
        let columns: BTreeSet<i32> = index
            .statistics
            .keys()
            .chain(current.keys())
            .copied()
            .collect();
        for column in columns {
            let target = index.statistics.get(&column).copied();
            if current.get(&column).copied() == target {
                continue;
            }
            self.phases.triggers.push(statement(
                format!(
                    "ALTER INDEX {} ALTER COLUMN {column} SET STATISTICS {}",
                    in_schema_of(table, name),
                    target.unwrap_or(-1)
                ),
                format!("index {name}: statistics target of column {column} differs"),
                format!("SHARE UPDATE EXCLUSIVE on {table}, brief"),
            ));
        }
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
            let rule = format!("the unique index {name}");
            if self
                .refuse_duplicates(table, columns, predicate, &rule)
                .await?
            {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_definitions_split_into_columns_and_predicate() {
        assert_eq!(index_parts("(lower(email))"), ("lower(email)", None));
        assert_eq!(
            index_parts("(user_id, token) WHERE (expires_at > now())"),
            ("user_id, token", Some("(expires_at > now())"))
        );
    }
}
