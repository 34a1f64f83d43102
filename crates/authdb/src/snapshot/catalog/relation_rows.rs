//! The answers of the relation queries (`relations.rs`), read into tables: one row per
//! relation, column, constraint, index, trigger and policy, each put in its relation.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::acl::Roles;
use super::normalise::{squeeze, trigger_definition, view_definition};
use crate::snapshot::privileges::{GrantKind, Privileged};
use crate::snapshot::{
    Column, Constraint, Index, Partition, Policy, RelationKind, Table, Trigger, TriggerState,
};

#[derive(Deserialize)]
pub(super) struct RelationRow {
    name: String,
    kind: String,
    rls: bool,
    force_rls: bool,
    unlogged: bool,
    options: Vec<String>,
    toast_options: Vec<String>,
    replica_identity: Option<String>,
    access_method: Option<String>,
    partition_key: Option<String>,
    parent: Option<String>,
    bound: Option<String>,
    inherits: Vec<String>,
    clustered_on: Option<String>,
    definition: Option<String>,
    owner: String,
    grants: Vec<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ColumnRow {
    relation: String,
    number: i32,
    name: String,
    data_type: String,
    not_null: bool,
    collation: Option<String>,
    identity: String,
    generated: String,
    expression: Option<String>,
    statistics: Option<i32>,
    storage: Option<String>,
    compression: Option<String>,
    options: Vec<String>,
    grants: Option<Vec<String>>,
    owner: String,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ConstraintRow {
    relation: String,
    name: String,
    definition: String,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct IndexRow {
    relation: String,
    name: String,
    unique: bool,
    method: String,
    definition: String,
    valid: bool,
    statistics: Vec<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TriggerRow {
    relation: String,
    name: String,
    state: String,
    definition: String,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PolicyRow {
    relation: String,
    name: String,
    permissive: bool,
    command: String,
    roles: Vec<String>,
    using: Option<String>,
    with_check: Option<String>,
    comment: Option<String>,
}

/// What the relation queries returned, put together.
pub(super) struct RelationRows {
    pub relations: Vec<RelationRow>,
    pub columns: Vec<ColumnRow>,
    pub constraints: Vec<ConstraintRow>,
    pub indexes: Vec<IndexRow>,
    pub triggers: Vec<TriggerRow>,
    pub policies: Vec<PolicyRow>,
}

/// `name=value` pairs into a map.
pub(super) fn options(list: Vec<String>) -> BTreeMap<String, String> {
    list.into_iter()
        .map(|option| match option.split_once('=') {
            Some((name, value)) => (name.to_string(), value.to_string()),
            None => (option, String::new()),
        })
        .collect()
}

pub(super) fn assemble(rows: RelationRows, all: &Roles) -> BTreeMap<String, Table> {
    let mut tables = BTreeMap::new();
    for row in rows.relations {
        let kind = match row.kind.as_str() {
            "v" => RelationKind::View,
            "m" => RelationKind::MaterializedView,
            "f" => RelationKind::ForeignTable,
            _ => RelationKind::Table,
        };
        let definition = match kind {
            RelationKind::View | RelationKind::MaterializedView => {
                row.definition.as_deref().map(view_definition)
            }
            _ => row.definition,
        };
        let partition_of = match (row.parent, row.bound) {
            (Some(parent), Some(bound)) => Some(Partition { parent, bound }),
            _ => None,
        };
        let table = Table {
            kind,
            row_level_security: row.rls,
            force_row_level_security: row.force_rls,
            unlogged: row.unlogged,
            storage_parameters: options(
                row.options
                    .into_iter()
                    .chain(row.toast_options.iter().map(|o| format!("toast.{o}")))
                    .collect(),
            ),
            replica_identity: row.replica_identity,
            access_method: row.access_method,
            partition_key: row.partition_key,
            partition_of,
            inherits: row.inherits,
            clustered_on: row.clustered_on,
            definition,
            privileged: Privileged {
                grants: all.grants(&row.grants, &row.owner, GrantKind::Table),
                owner: all.owner(&row.owner),
                comment: row.comment,
            },
            ..Table::default()
        };
        tables.insert(row.name, table);
    }
    let mut columns = rows.columns;
    columns.sort_by(|a, b| (&a.relation, a.number).cmp(&(&b.relation, b.number)));
    for row in columns {
        let Some(table) = tables.get_mut(&row.relation) else {
            continue;
        };
        table.columns.push(column(row, all));
    }
    for row in rows.constraints {
        if let Some(table) = tables.get_mut(&row.relation) {
            let constraint = Constraint {
                definition: squeeze(&row.definition),
                comment: row.comment,
            };
            table.constraints.insert(row.name, constraint);
        }
    }
    for row in rows.indexes {
        if let Some(table) = tables.get_mut(&row.relation) {
            table.indexes.insert(row.name.clone(), index(row));
        }
    }
    for row in rows.triggers {
        if let Some(table) = tables.get_mut(&row.relation) {
            let state = match row.state.as_str() {
                "D" => TriggerState::Disabled,
                "R" => TriggerState::Replica,
                "A" => TriggerState::Always,
                _ => TriggerState::Enabled,
            };
            let trigger = Trigger {
                state,
                definition: trigger_definition(&row.definition),
                comment: row.comment,
            };
            table.triggers.insert(row.name, trigger);
        }
    }
    for row in rows.policies {
        if let Some(table) = tables.get_mut(&row.relation) {
            table.policies.insert(row.name.clone(), policy(row, all));
        }
    }
    tables
}

fn column(row: ColumnRow, all: &Roles) -> Column {
    let identity = match row.identity.as_str() {
        "a" => Some("always".to_string()),
        "d" => Some("by default".to_string()),
        _ => None,
    };
    let generated = row.generated == "s";
    let expression = row.expression.as_deref().map(squeeze);
    let storage = row.storage.map(|s| {
        match s.as_str() {
            "p" => "plain",
            "e" => "external",
            "m" => "main",
            _ => "extended",
        }
        .to_string()
    });
    let compression = row.compression.map(|c| {
        match c.as_str() {
            "p" => "pglz",
            "l" => "lz4",
            other => other,
        }
        .to_string()
    });
    Column {
        name: row.name,
        data_type: row.data_type,
        not_null: row.not_null,
        collation: row.collation,
        identity,
        default: expression.clone().filter(|_| !generated),
        generated: expression.filter(|_| generated),
        statistics: row.statistics,
        storage,
        compression,
        // Some builds stamp their own `pg_` entries on every column; a migration can only set
        // `n_distinct` and `n_distinct_inherited`.
        options: options(
            row.options
                .into_iter()
                .filter(|o| !o.starts_with("pg_"))
                .collect(),
        ),
        grants: row
            .grants
            .map(|g| all.grants(&g, &row.owner, GrantKind::Column))
            .unwrap_or_default(),
        comment: row.comment,
    }
}

fn index(row: IndexRow) -> Index {
    let full = squeeze(&row.definition);
    let using = format!(" USING {} ", row.method);
    let definition = match full.find(&using) {
        Some(at) => full[at + using.len()..].to_string(),
        None => full,
    };
    let statistics = row
        .statistics
        .iter()
        .filter_map(|pair| {
            let (column, target) = pair.split_once('=')?;
            Some((column.parse().ok()?, target.parse().ok()?))
        })
        .collect();
    Index {
        unique: row.unique,
        method: row.method,
        definition,
        valid: row.valid,
        statistics,
        comment: row.comment,
    }
}

fn policy(row: PolicyRow, all: &Roles) -> Policy {
    let command = match row.command.as_str() {
        "r" => "select",
        "a" => "insert",
        "w" => "update",
        "d" => "delete",
        _ => "all",
    };
    Policy {
        permissive: row.permissive,
        command: command.to_string(),
        roles: {
            let mut roles: Vec<String> = row.roles.iter().map(|r| all.policy_role(r)).collect();
            roles.sort();
            roles
        },
        using: row.using.as_deref().map(squeeze),
        with_check: row.with_check.as_deref().map(squeeze),
        comment: row.comment,
    }
}
