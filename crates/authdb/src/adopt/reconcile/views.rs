//! Views and materialized views: created from the snapshot's query, a view's query replaced in
//! place (`CREATE OR REPLACE VIEW`), a materialized view's rebuilt (there is no OR REPLACE for
//! one; its indexes follow in the index phase).

use super::tables::as_created;
use super::{Planner, statement};
use crate::adopt::Refusal;
use crate::snapshot::{GrantKind, RelationKind, Table};

/// The snapshot's query without the `;` PostgreSQL prints after it.
fn query(table: &Table) -> String {
    let definition = table.definition.as_deref().unwrap_or_default().trim();
    definition
        .strip_suffix(';')
        .unwrap_or(definition)
        .to_string()
}

/// `WITH (...)` for a view's or materialized view's options, or nothing.
fn with(table: &Table) -> String {
    if table.storage_parameters.is_empty() {
        return String::new();
    }
    let options: Vec<String> = table
        .storage_parameters
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(" WITH ({})", options.join(", "))
}

impl Planner<'_> {
    pub(super) fn create_view(&mut self, name: &str, expected: &Table, why: &str) {
        let kind = expected.kind.sql_word();
        self.phases.views.push(statement(
            format!(
                "CREATE {kind} {name}{} AS\n{}",
                with(expected),
                query(expected)
            ),
            format!("{} {name}: {why}", expected.kind.word()),
            match expected.kind {
                RelationKind::MaterializedView => "none: a new relation (its query runs now)",
                _ => "none: a new view",
            },
        ));
    }

    /// A view whose query differs gets the snapshot's; returns the relation as the script
    /// leaves it when it had to be built again.
    pub(super) fn view(&mut self, name: &str, expected: &Table, actual: &Table) -> Option<Table> {
        if expected.kind == RelationKind::Table || expected.definition == actual.definition {
            return None;
        }
        if expected.kind == RelationKind::ForeignTable {
            self.refuse(Refusal {
                table: Some(name.into()),
                ..Refusal::new(format!(
                    "foreign table {name}: its server or options differ from the schema's: \
                     change them by hand (ALTER FOREIGN TABLE ... OPTIONS), then plan again"
                ))
            });
            return None;
        }
        let why = "its query differs";
        match expected.kind {
            RelationKind::MaterializedView => {
                self.phases.views.push(statement(
                    format!("DROP MATERIALIZED VIEW {name}"),
                    format!("materialized view {name}: {why}, so it is built again"),
                    format!("ACCESS EXCLUSIVE on {name}"),
                ));
                self.create_view(name, expected, why);
                let mut created = as_created(expected);
                created.privileged = self.created(GrantKind::Table, name);
                Some(created)
            }
            _ => {
                self.phases.views.push(statement(
                    // Without its options, CREATE OR REPLACE would reset them.
                    format!(
                        "CREATE OR REPLACE VIEW {name}{} AS\n{}",
                        with(expected),
                        query(expected)
                    ),
                    format!("view {name}: {why}"),
                    format!("ACCESS EXCLUSIVE on {name}, brief"),
                ));
                None
            }
        }
    }
}
