//! Everything but relations compared: schemas, extensions, default privileges, types,
//! sequences, routines and the other kinds of object.

use super::{Properties, compare, each, grants, privileged, words};
use crate::snapshot::datatype::TypeDefinition;
use crate::snapshot::difference::{Difference, Object, Property};
use crate::snapshot::{DataType, Function, Range, Sequence, Snapshot};

pub(super) fn schemas(out: &mut Vec<Difference>, expected: &Snapshot, actual: &Snapshot) {
    each(&expected.schemas, &actual.schemas, |name, e, a| {
        compare(out, Object::Schema, name, e, a, |_| Vec::new());
        if let (Some(e), Some(a)) = (e, a) {
            privileged(out, Object::Schema, name, &e.privileged, &a.privileged);
        }
    });
}

pub(super) fn extensions(out: &mut Vec<Difference>, expected: &Snapshot, actual: &Snapshot) {
    each(&expected.extensions, &actual.extensions, |name, e, a| {
        compare(out, Object::Extension, name, e, a, |x| {
            vec![
                (Property::Schema, Some(x.schema.clone())),
                (Property::Comment, x.comment.clone()),
            ]
        })
    });
}

/// An entry compared with the other side's, or with what its absence means.
pub(super) fn default_privileges(
    out: &mut Vec<Difference>,
    expected: &Snapshot,
    actual: &Snapshot,
) {
    each(
        &expected.default_privileges,
        &actual.default_privileges,
        |key, e, a| {
            let Some(entry) = e.or(a) else { return };
            let implicit = entry.implicit();
            let effective = |side: Option<&crate::snapshot::DefaultPrivileges>| {
                side.map_or(implicit.clone(), |d| d.grants.clone())
            };
            grants(
                out,
                Object::DefaultPrivileges,
                key,
                &effective(e),
                &effective(a),
            );
        },
    );
}

pub(super) fn types(out: &mut Vec<Difference>, expected: &Snapshot, actual: &Snapshot) {
    each(&expected.types, &actual.types, |name, e, a| {
        compare(out, Object::Type, name, e, a, type_properties);
        let (Some(e), Some(a)) = (e, a) else { return };
        privileged(out, Object::Type, name, &e.privileged, &a.privileged);
        if let (TypeDefinition::Domain(e), TypeDefinition::Domain(a)) =
            (&e.definition, &a.definition)
        {
            each(&e.constraints, &a.constraints, |constraint, e, a| {
                compare(
                    out,
                    Object::Constraint,
                    &format!("{name}.{constraint}"),
                    e,
                    a,
                    |d| vec![(Property::Definition, Some(d.clone()))],
                )
            });
        }
    });
}

fn type_properties(t: &DataType) -> Properties {
    let mut properties = vec![(Property::Kind, Some(t.definition.word().to_string()))];
    // Filled for the kind at hand; the other kinds' properties are none on both sides.
    let (
        mut labels,
        mut base,
        mut not_null,
        mut default,
        mut collation,
        mut attributes,
        mut options,
    ) = (None, None, None, None, None, None, None);
    match &t.definition {
        TypeDefinition::Enum { labels: l } => {
            labels = Some(
                l.iter()
                    .map(|label| format!("'{}'", label.replace('\'', "''")))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        TypeDefinition::Domain(d) => {
            base = Some(d.base.clone());
            not_null = words(d.not_null, "NOT NULL", "nullable");
            default = d.default.clone();
            collation = d.collation.clone();
        }
        TypeDefinition::Composite { attributes: list } => {
            attributes = Some(
                list.iter()
                    .map(|a| match &a.collation {
                        Some(c) => format!("{} {} COLLATE {c}", a.name, a.data_type),
                        None => format!("{} {}", a.name, a.data_type),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        TypeDefinition::Range(r) => options = Some(range_options(r)),
    }
    properties.extend([
        (Property::Labels, labels),
        (Property::BaseType, base),
        (Property::Nullability, not_null),
        (Property::Default, default),
        (Property::Collation, collation),
        (Property::Attributes, attributes),
        (Property::Options, options),
    ]);
    properties
}

/// A range type's options as `CREATE TYPE ... AS RANGE` takes them.
pub(crate) fn range_options(r: &Range) -> String {
    let mut options = vec![format!("subtype = {}", r.subtype)];
    let optional = [
        ("subtype_opclass", &r.opclass),
        ("collation", &r.collation),
        ("canonical", &r.canonical),
        ("subtype_diff", &r.subtype_diff),
        ("multirange_type_name", &r.multirange),
    ];
    for (word, value) in optional {
        if let Some(value) = value {
            options.push(format!("{word} = {value}"));
        }
    }
    options.join(", ")
}

/// The table a sequence's owner column belongs to: `users` of `users.id`.
pub(in crate::snapshot) fn owner_table(column: &str) -> &str {
    let mut quoted = false;
    let mut last_dot = None;
    for (at, c) in column.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => last_dot = Some(at),
            _ => {}
        }
    }
    last_dot.map_or(column, |at| &column[..at])
}

/// A sequence that belongs to a column goes with its table: when the table is missing or
/// unexpected, that is the one difference.
pub(super) fn sequences(out: &mut Vec<Difference>, expected: &Snapshot, actual: &Snapshot) {
    each(&expected.sequences, &actual.sequences, |name, e, a| {
        let with_its_table = e
            .or(a)
            .and_then(|s| s.owned_by.as_deref())
            .is_some_and(|c| {
                let table = owner_table(c);
                expected.tables.contains_key(table) != actual.tables.contains_key(table)
            });
        if with_its_table && (e.is_none() || a.is_none()) {
            return;
        }
        compare(out, Object::Sequence, name, e, a, |s: &Sequence| {
            vec![
                (Property::Options, Some(s.options.clone())),
                (Property::OwnedBy, s.owned_by.clone()),
            ]
        });
        if let (Some(e), Some(a)) = (e, a) {
            privileged(out, Object::Sequence, name, &e.privileged, &a.privileged);
        }
    });
}

pub(super) fn functions(out: &mut Vec<Difference>, expected: &Snapshot, actual: &Snapshot) {
    each(&expected.functions, &actual.functions, |name, e, a| {
        let object = e.or(a).map(|f| f.kind).unwrap_or_default().object();
        compare(out, object, name, e, a, function);
        if let (Some(e), Some(a)) = (e, a) {
            privileged(out, object, name, &e.privileged, &a.privileged);
        }
    });
}

fn function(f: &Function) -> Properties {
    vec![
        (Property::Kind, Some(f.kind.word().to_string())),
        (Property::Arguments, f.arguments.clone()),
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
            Property::Leakproof,
            words(f.leakproof, "leakproof", "not leakproof"),
        ),
        (
            Property::Parallel,
            Some(f.parallel.clone().unwrap_or_else(|| "unsafe".to_string())),
        ),
        (Property::Cost, f.cost.clone()),
        (Property::Rows, f.rows.clone()),
        (
            Property::Settings,
            Some(f.settings.join(", ")).filter(|s| !s.is_empty()),
        ),
        (Property::Body, Some(f.body.clone())),
    ]
}

pub(super) fn others(out: &mut Vec<Difference>, expected: &Snapshot, actual: &Snapshot) {
    each(&expected.others, &actual.others, |name, e, a| {
        compare(out, Object::Other, name, e, a, |o| {
            vec![
                (Property::Owner, o.owner.clone()),
                (Property::Comment, o.comment.clone()),
                (Property::Definition, o.definition.clone()),
            ]
        });
        if let (Some(e), Some(a)) = (e, a) {
            grants(out, Object::Other, name, &e.grants, &a.grants);
        }
    });
}
