//! A relation's own options (row level security, persistence, storage parameters, the index
//! CLUSTER uses, replica identity) and its columns' settings (statistics target, storage,
//! compression, options), each set in place with the lock it takes.

use super::{Planner, brief, statement};
use crate::adopt::Refusal;
use crate::adopt::ddl::ident;
use crate::error::Result;
use crate::snapshot::{RelationKind, Table};

impl Planner<'_> {
    /// The table's own options: row level security, persistence, storage parameters, replica
    /// identity. Its structure (access method, partitioning, inheritance) is refused: changing it
    /// means building another table.
    pub(super) fn options(&mut self, name: &str, expected: &Table, actual: &Table) {
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
                format!("ALTER {} {name} {clause}", expected.kind.sql_word()),
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
        if expected.clustered_on != actual.clustered_on {
            let clause = match &expected.clustered_on {
                Some(index) => format!("CLUSTER ON {index}"),
                None => "SET WITHOUT CLUSTER".to_string(),
            };
            alter(
                clause,
                format!("table {name}: the index CLUSTER uses differs"),
                format!("SHARE UPDATE EXCLUSIVE on {name}, brief"),
            );
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

    /// What `ALTER COLUMN` sets beyond the type: statistics target, storage, compression and
    /// options, on the columns both sides have.
    pub(super) async fn column_settings(
        &mut self,
        table: &str,
        expected: &Table,
        actual: &Table,
    ) -> Result<()> {
        if !matches!(
            expected.kind,
            RelationKind::Table | RelationKind::MaterializedView
        ) {
            return Ok(());
        }
        let word = expected.kind.sql_word();
        for column in &expected.columns {
            let Some(current) = actual.columns.iter().find(|c| c.name == column.name) else {
                continue;
            };
            let qualified = format!("{table}.{}", column.name);
            let mut clauses = Vec::new();
            if current.statistics != column.statistics {
                clauses.push(format!(
                    "SET STATISTICS {}",
                    column.statistics.unwrap_or(-1)
                ));
            }
            if current.storage != column.storage {
                let storage = match &column.storage {
                    Some(storage) => storage.clone(),
                    None => self.facts.type_storage(&column.data_type).await?,
                };
                clauses.push(format!("SET STORAGE {}", storage.to_uppercase()));
            }
            if current.compression != column.compression {
                let method = column.compression.as_deref().unwrap_or("default");
                clauses.push(format!("SET COMPRESSION {}", method.to_uppercase()));
            }
            let reset: Vec<&String> = current
                .options
                .keys()
                .filter(|k| !column.options.contains_key(*k))
                .collect();
            if !reset.is_empty() {
                let keys: Vec<&str> = reset.iter().map(|k| k.as_str()).collect();
                clauses.push(format!("RESET ({})", keys.join(", ")));
            }
            let set: Vec<String> = column
                .options
                .iter()
                .filter(|(k, v)| current.options.get(*k) != Some(v))
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            if !set.is_empty() {
                clauses.push(format!("SET ({})", set.join(", ")));
            }
            for clause in clauses {
                self.phases.columns.push(statement(
                    format!(
                        "ALTER {word} {table} ALTER COLUMN {} {clause}",
                        ident(&column.name)
                    ),
                    format!("column {qualified}: its settings differ ({clause})"),
                    if clause.starts_with("SET STORAGE") || clause.starts_with("SET COMPRESSION") {
                        brief(table)
                    } else {
                        format!("SHARE UPDATE EXCLUSIVE on {table}, brief")
                    },
                ));
            }
        }
        Ok(())
    }
}
