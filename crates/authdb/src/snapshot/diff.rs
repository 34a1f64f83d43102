//! Comparing two snapshots: every way the actual schema departs from the expected one. A missing
//! or extra table is one difference, not one per column, index and trigger that goes with it.
//! Each kind of object is compared as a list of properties in words, so a message can say which
//! one changed and how.

use std::collections::{BTreeMap, BTreeSet};

use super::difference::{Change, Difference, Object, Property};
use super::{Column, Constraint, Function, Index, Snapshot, Table, Trigger, TriggerState};

/// A property and its value in words; `None` is "there is none".
type Properties = Vec<(Property, Option<String>)>;

/// Every difference of `actual` from `expected`, in a stable order: extensions, functions, then
/// table by table, each by name. The versions are not compared: that is the migrations' business.
pub fn diff(expected: &Snapshot, actual: &Snapshot) -> Vec<Difference> {
    let mut out = Vec::new();
    let as_map = |set: &BTreeSet<String>| -> BTreeMap<String, ()> {
        set.iter().map(|name| (name.clone(), ())).collect()
    };
    let (e, a) = (as_map(&expected.extensions), as_map(&actual.extensions));
    each(&e, &a, |name, e, a| {
        compare(&mut out, Object::Extension, name, e, a, |_| Vec::new())
    });
    each(&expected.functions, &actual.functions, |name, e, a| {
        compare(&mut out, Object::Function, name, e, a, function)
    });
    each(&expected.tables, &actual.tables, |name, e, a| {
        match (e, a) {
            (Some(e), Some(a)) => table(&mut out, name, e, a),
            _ => compare(&mut out, Object::Table, name, e, a, |_| Vec::new()),
        }
    });
    out
}

/// Calls `f` for every key of either map, in order, with what each map holds under it.
fn each<T>(
    expected: &BTreeMap<String, T>,
    actual: &BTreeMap<String, T>,
    mut f: impl FnMut(&str, Option<&T>, Option<&T>),
) {
    let keys: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    for key in keys {
        f(key, expected.get(key), actual.get(key));
    }
}

/// Missing, unexpected, or there in both and compared property by property.
fn compare<T>(
    out: &mut Vec<Difference>,
    object: Object,
    name: &str,
    expected: Option<&T>,
    actual: Option<&T>,
    properties: impl Fn(&T) -> Properties,
) {
    let mut push = |change| {
        out.push(Difference {
            object,
            name: name.to_string(),
            change,
        })
    };
    let (expected, actual) = match (expected, actual) {
        (Some(e), Some(a)) => (properties(e), properties(a)),
        (Some(_), None) => return push(Change::Missing),
        (None, Some(_)) => return push(Change::Unexpected),
        (None, None) => return,
    };
    for ((property, expected), (_, actual)) in expected.into_iter().zip(actual) {
        if expected != actual {
            push(Change::Differs {
                property,
                actual,
                expected,
            });
        }
    }
}

fn table(out: &mut Vec<Difference>, table: &str, e: &Table, a: &Table) {
    let by_name = |t: &Table| -> BTreeMap<String, Column> {
        t.columns
            .iter()
            .map(|c| (c.name.clone(), c.clone()))
            .collect()
    };
    let (e_columns, a_columns) = (by_name(e), by_name(a));
    let same_columns = e_columns.keys().eq(a_columns.keys());
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
            // Only meaningful when both have the same columns; else the columns say what differs.
            (
                Property::ColumnOrder,
                same_columns.then(|| order.collect::<Vec<_>>().join(", ")),
            ),
        ]
    };
    compare(out, Object::Table, table, Some(e), Some(a), properties);
    let qualified = |name: &str| format!("{table}.{name}");
    // A storage parameter absent from one side has its default there: one difference per
    // parameter, with both values.
    each(
        &e.storage_parameters,
        &a.storage_parameters,
        |name, e, a| {
            if e != a {
                out.push(Difference {
                    object: Object::StorageParameter,
                    name: qualified(name),
                    change: Change::Differs {
                        property: Property::Value,
                        actual: a.cloned(),
                        expected: e.cloned(),
                    },
                });
            }
        },
    );
    each(&e_columns, &a_columns, |name, e, a| {
        compare(out, Object::Column, &qualified(name), e, a, column)
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
}

fn words(on: bool, yes: &str, no: &str) -> Option<String> {
    Some(if on { yes } else { no }.to_string())
}

fn column(c: &Column) -> Properties {
    vec![
        (Property::Type, Some(c.data_type.clone())),
        (
            Property::Nullability,
            words(c.not_null, "NOT NULL", "nullable"),
        ),
        (Property::Collation, c.collation.clone()),
        (Property::Identity, c.identity.clone()),
        (Property::Default, c.default.clone()),
        (Property::Generated, c.generated.clone()),
    ]
}

/// A foreign key's ON DELETE action is a property of its own, so that "ON DELETE action is SET
/// NULL, expected CASCADE" is what a changed action reads as.
fn constraint(c: &Constraint) -> Properties {
    if !c.definition.starts_with("FOREIGN KEY") {
        return vec![(Property::Definition, Some(c.definition.clone()))];
    }
    let (action, rest) = on_delete(&c.definition);
    vec![
        (Property::OnDelete, Some(action)),
        (Property::Definition, Some(rest)),
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
    vec![
        (Property::Method, Some(i.method.clone())),
        (
            Property::Uniqueness,
            words(i.unique, "unique", "not unique"),
        ),
        (Property::Definition, Some(i.definition.clone())),
        (Property::Validity, words(i.valid, "valid", "invalid")),
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
    ]
}

fn function(f: &Function) -> Properties {
    let kind = if f.procedure { "procedure" } else { "function" };
    vec![
        (Property::Kind, Some(kind.to_string())),
        (Property::Returns, f.returns.clone()),
        (Property::Language, Some(f.language.clone())),
        (Property::Volatility, Some(f.volatility.clone())),
        (
            Property::Strictness,
            words(f.strict, "strict", "not strict"),
        ),
        (
            Property::Security,
            words(f.security_definer, "security definer", "security invoker"),
        ),
        (
            Property::Settings,
            Some(f.settings.join(", ")).filter(|s| !s.is_empty()),
        ),
        (Property::Body, Some(f.body.clone())),
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
