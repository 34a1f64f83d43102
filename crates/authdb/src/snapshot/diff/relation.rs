//! A relation compared with its expected self: its options, owner, privileges and comment, then
//! its storage parameters, columns, constraints, indexes, triggers and policies one by one.

use std::collections::BTreeMap;

use super::{Properties, compare, each, grants, privileged, words};
use crate::snapshot::difference::{Change, Difference, Object, Property};
use crate::snapshot::{
    Column, Constraint, Index, Policy, RelationKind, Table, Trigger, TriggerState,
};

pub(super) fn table(out: &mut Vec<Difference>, object: Object, table: &str, e: &Table, a: &Table) {
    let by_name = |t: &Table| -> BTreeMap<String, Column> {
        t.columns
            .iter()
            .map(|c| (c.name.clone(), c.clone()))
            .collect()
    };
    let (e_columns, a_columns) = (by_name(e), by_name(a));
    let same_columns = e_columns.keys().eq(a_columns.keys());
    // A view's columns come from its query: when the query differs, that is the difference.
    let derived = e.definition != a.definition && e.kind != RelationKind::Table;
    let properties = |t: &Table| -> Properties {
        let order = t.columns.iter().map(|c| c.name.as_str());
        vec![
            (
                Property::Persistence,
                words(t.unlogged, "unlogged (emptied after a crash)", "logged"),
            ),
            (
                Property::RowLevelSecurity,
                words(
                    t.row_level_security,
                    "row level security is on",
                    "row level security is off",
                ),
            ),
            (
                Property::ForceRowLevelSecurity,
                words(
                    t.force_row_level_security,
                    "row level security is forced on the owner",
                    "row level security is not forced on the owner",
                ),
            ),
            (
                Property::ReplicaIdentity,
                Some(t.replica_identity.as_deref().unwrap_or("default").into()),
            ),
            (
                Property::AccessMethod,
                Some(t.access_method.as_deref().unwrap_or("heap").into()),
            ),
            (Property::PartitionKey, t.partition_key.clone()),
            (
                Property::Partition,
                t.partition_of
                    .as_ref()
                    .map(|p| format!("a partition of {} {}", p.parent, p.bound)),
            ),
            (
                Property::Inherits,
                (!t.inherits.is_empty()).then(|| format!("inherits {}", t.inherits.join(", "))),
            ),
            (Property::ClusteredOn, t.clustered_on.clone()),
            (Property::Definition, t.definition.as_deref().map(one_line)),
            // Only meaningful when both have the same columns; else the columns say what differs.
            (
                Property::ColumnOrder,
                (same_columns && !derived).then(|| order.collect::<Vec<_>>().join(", ")),
            ),
        ]
    };
    compare(out, object, table, Some(e), Some(a), properties);
    privileged(out, object, table, &e.privileged, &a.privileged);
    let qualified = |name: &str| format!("{table}.{name}");
    // A storage parameter absent from one side has its default there: one difference per
    // parameter, with both values.
    each(
        &e.storage_parameters,
        &a.storage_parameters,
        |name, e, a| {
            if e != a {
                out.push(Difference::new(
                    Object::StorageParameter,
                    qualified(name),
                    Change::Differs {
                        property: Property::Value,
                        actual: a.cloned(),
                        expected: e.cloned(),
                    },
                ));
            }
        },
    );
    each(&e_columns, &a_columns, |name, e, a| {
        let column_properties = if derived { settings } else { column };
        compare(
            out,
            Object::Column,
            &qualified(name),
            e,
            a,
            column_properties,
        );
        if let (Some(e), Some(a)) = (e, a) {
            grants(out, Object::Column, &qualified(name), &e.grants, &a.grants);
        }
    });
    each(&e.constraints, &a.constraints, |name, e, a| {
        compare(out, Object::Constraint, &qualified(name), e, a, constraint)
    });
    each(&e.indexes, &a.indexes, |name, e, a| {
        compare(out, Object::Index, name, e, a, index)
    });
    each(&e.triggers, &a.triggers, |name, e, a| {
        compare(out, Object::Trigger, &qualified(name), e, a, trigger)
    });
    each(&e.policies, &a.policies, |name, e, a| {
        compare(out, Object::Policy, &qualified(name), e, a, policy)
    });
}

/// A view's query on one line, without the `;` PostgreSQL ends it with: what a message says.
fn one_line(definition: &str) -> String {
    let squeezed = crate::snapshot::catalog::squeeze(definition);
    squeezed.strip_suffix(';').unwrap_or(&squeezed).to_string()
}

fn column(c: &Column) -> Properties {
    let mut properties = vec![
        (Property::Type, Some(c.data_type.clone())),
        (
            Property::Nullability,
            words(c.not_null, "NOT NULL", "nullable"),
        ),
        (Property::Collation, c.collation.clone()),
        (Property::Identity, c.identity.clone()),
        (Property::Default, c.default.clone()),
        (Property::Generated, c.generated.clone()),
    ];
    properties.extend(settings(c));
    properties
}

/// What a column has beyond its type, that `ALTER COLUMN` sets (a view's columns have these).
fn settings(c: &Column) -> Properties {
    let options = c
        .options
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        (
            Property::Statistics,
            Some(
                c.statistics
                    .map_or("the default".to_string(), |s| s.to_string()),
            ),
        ),
        (
            Property::Storage,
            Some(
                c.storage
                    .clone()
                    .unwrap_or_else(|| "the type's".to_string()),
            ),
        ),
        (
            Property::Compression,
            Some(
                c.compression
                    .clone()
                    .unwrap_or_else(|| "the default".to_string()),
            ),
        ),
        (Property::Options, Some(options).filter(|o| !o.is_empty())),
        (Property::Comment, c.comment.clone()),
    ]
}

/// A foreign key's ON DELETE action is a property of its own, so that "ON DELETE action is SET
/// NULL, expected CASCADE" is what a changed action reads as.
fn constraint(c: &Constraint) -> Properties {
    let comment = (Property::Comment, c.comment.clone());
    if !c.definition.starts_with("FOREIGN KEY") {
        return vec![(Property::Definition, Some(c.definition.clone())), comment];
    }
    let (action, rest) = on_delete(&c.definition);
    vec![
        (Property::OnDelete, Some(action)),
        (Property::Definition, Some(rest)),
        comment,
    ]
}

/// A foreign key's ON DELETE action (NO ACTION when `pg_get_constraintdef` prints none) and the
/// definition without it.
fn on_delete(definition: &str) -> (String, String) {
    const CLAUSE: &str = " ON DELETE ";
    let Some(start) = definition.find(CLAUSE) else {
        return ("NO ACTION".to_string(), definition.to_string());
    };
    let after = &definition[start + CLAUSE.len()..];
    let end = [" DEFERRABLE", " INITIALLY", " NOT VALID"]
        .iter()
        .filter_map(|keyword| after.find(keyword))
        .min()
        .unwrap_or(after.len());
    let rest = format!("{}{}", &definition[..start], &after[end..]);
    (after[..end].to_string(), rest)
}

fn index(i: &Index) -> Properties {
    let statistics = i
        .statistics
        .iter()
        .map(|(column, target)| format!("column {column}: {target}"))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        (Property::Method, Some(i.method.clone())),
        (
            Property::Uniqueness,
            words(i.unique, "unique", "not unique"),
        ),
        (Property::Definition, Some(i.definition.clone())),
        (Property::Validity, words(i.valid, "valid", "invalid")),
        (
            Property::Statistics,
            Some(statistics).filter(|s| !s.is_empty()),
        ),
        (Property::Comment, i.comment.clone()),
    ]
}

fn trigger(t: &Trigger) -> Properties {
    let state = match t.state {
        TriggerState::Enabled => "enabled",
        TriggerState::Disabled => "disabled",
        TriggerState::Replica => "enabled on replicas only",
        TriggerState::Always => "enabled always",
    };
    vec![
        (Property::State, Some(state.to_string())),
        (Property::Definition, Some(t.definition.clone())),
        (Property::Comment, t.comment.clone()),
    ]
}

fn policy(p: &Policy) -> Properties {
    vec![
        (
            Property::Permissive,
            words(p.permissive, "permissive", "restrictive"),
        ),
        (Property::Command, Some(p.command.clone())),
        (Property::Roles, Some(p.roles.join(", "))),
        (Property::Using, p.using.clone()),
        (Property::WithCheck, p.with_check.clone()),
        (Property::Comment, p.comment.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_delete_is_split_from_the_rest() {
        assert_eq!(
            on_delete("FOREIGN KEY (a) REFERENCES t(id) ON DELETE SET NULL DEFERRABLE"),
            (
                "SET NULL".to_string(),
                "FOREIGN KEY (a) REFERENCES t(id) DEFERRABLE".to_string()
            )
        );
        assert_eq!(on_delete("FOREIGN KEY (a) REFERENCES t(id)").0, "NO ACTION");
    }
}
