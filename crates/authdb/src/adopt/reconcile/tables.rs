//! Relations the database lacks are created from the snapshot, empty (nothing to invent): a
//! table with its columns, a view or materialized view from its query; those it has beyond the
//! snapshot are kept, or dropped with `--drop-extra`. A missing table is refused while tables
//! the snapshot does not know hold rows: its data may be there under another name.

use std::collections::BTreeMap;

use super::{Planner, rows, statement};
use crate::adopt::Refusal;
use crate::adopt::ddl;
use crate::error::Result;
use crate::snapshot::{GrantKind, RelationKind, Snapshot, Table};

/// A relation as the script leaves it right after creating it: its columns and persistence,
/// and the privileges a new relation of the migrator's has; later phases set the rest.
pub(super) fn as_created(expected: &Table) -> Table {
    let view = matches!(
        expected.kind,
        RelationKind::View | RelationKind::MaterializedView
    );
    Table {
        kind: expected.kind,
        // A new table's columns have no comment and no grant of their own: later phases add them.
        columns: expected
            .columns
            .iter()
            .map(|column| crate::snapshot::Column {
                comment: None,
                grants: Default::default(),
                ..column.clone()
            })
            .collect(),
        unlogged: expected.unlogged,
        definition: expected.definition.clone(),
        // A view is created with its options (`WITH (security_barrier)`).
        storage_parameters: if view {
            expected.storage_parameters.clone()
        } else {
            Default::default()
        },
        ..Table::default()
    }
}

impl Planner<'_> {
    /// Creates the relations the database lacks; returns them as they are once created.
    pub(super) async fn tables(
        &mut self,
        live: &Snapshot,
        wanted: &Snapshot,
    ) -> Result<BTreeMap<String, Table>> {
        let extra: Vec<(&String, &Table)> = live
            .tables
            .iter()
            .filter(|(name, _)| !wanted.tables.contains_key(*name))
            .collect();
        let mut extra_rows = BTreeMap::new();
        for (name, table) in &extra {
            if table.kind == RelationKind::Table {
                extra_rows.insert(name.to_string(), self.facts.rows(name).await?);
            }
        }
        let mut created = BTreeMap::new();
        for (name, expected) in &wanted.tables {
            if live.tables.contains_key(name) {
                continue;
            }
            let word = expected.kind.word();
            match expected.kind {
                RelationKind::Table => {
                    // An unknown table could hold this one's rows under another name only if it
                    // has the columns this one cannot be without: a log table is no renamed
                    // `accounts`.
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
                        .map(|(table, n)| format!("{table} ({})", rows(*n)))
                        .collect();
                    if !holding.is_empty() {
                        self.refuse(Refusal {
                            table: Some(name.clone()),
                            ..Refusal::new(format!(
                                "table {name} is missing while tables the schema does not know \
                                 hold rows ({}): its data may be there under another name; move \
                                 it by hand (or drop those tables) and plan again",
                                holding.join(", ")
                            ))
                        });
                        continue;
                    }
                    if !self.create_table(name, expected) {
                        continue;
                    }
                }
                RelationKind::View | RelationKind::MaterializedView => {
                    self.create_view(name, expected, "missing");
                }
                RelationKind::ForeignTable => {
                    self.refuse(Refusal {
                        table: Some(name.clone()),
                        ..Refusal::new(format!(
                            "{word} {name} is missing: a foreign table needs its server's \
                             options, which adopt does not write; create it by hand, then plan \
                             again"
                        ))
                    });
                    continue;
                }
            }
            self.facts.created(name);
            let mut relation = as_created(expected);
            relation.privileged = self.created(GrantKind::Table, name);
            created.insert(name.clone(), relation);
        }
        for (name, table) in extra {
            let rows = extra_rows
                .get(name.as_str())
                .map_or(String::new(), |rows| format!(", {rows} rows"));
            let kind = table.kind;
            self.extra(
                kind.object(),
                name.clone(),
                statement(
                    format!("DROP {} {name}", kind.sql_word()),
                    format!(
                        "{} {name}: not in the snapshot{rows} (--drop-extra)",
                        kind.word()
                    ),
                    format!("ACCESS EXCLUSIVE on {name}"),
                ),
            );
        }
        Ok(created)
    }

    /// `CREATE TABLE` with the snapshot's columns; false (and a refusal) for a table only a
    /// hand-written migration can make.
    fn create_table(&mut self, name: &str, expected: &Table) -> bool {
        let plain = expected.access_method.is_none()
            && expected.partition_key.is_none()
            && expected.partition_of.is_none()
            && expected.inherits.is_empty();
        if !plain {
            self.refuse(Refusal {
                table: Some(name.into()),
                ..Refusal::new(format!(
                    "table {name} is missing, and it is partitioned, a partition, inherits or \
                     uses another access method: create it by hand, then plan again"
                ))
            });
            return false;
        }
        let columns: Vec<String> = expected
            .columns
            .iter()
            .map(|c| format!("    {}", ddl::column(c)))
            .collect();
        let unlogged = if expected.unlogged { "UNLOGGED " } else { "" };
        self.phases.tables.push(statement(
            format!(
                "CREATE {unlogged}TABLE {name} (\n{}\n)",
                columns.join(",\n")
            ),
            format!("table {name}: missing (created empty)"),
            "none: a new table",
        ));
        true
    }
}
