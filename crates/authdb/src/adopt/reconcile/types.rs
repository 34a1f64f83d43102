//! Types: created from the snapshot when missing (before the tables that use them); an enum's
//! missing labels added in their place; a domain's default, NOT NULL and CHECK constraints set
//! in place. Anything else that differs (a label removed or moved, a base type, a composite's
//! attributes, a range's options) changes the values stored in every column of that type:
//! refused, for a hand-written migration.

use super::privileges::Target;
use super::{Planner, statement};
use crate::adopt::Refusal;
use crate::adopt::ddl::{ident, literal};
use crate::snapshot::range_options;
use crate::snapshot::{DataType, Domain, GrantKind, Object, Snapshot, TypeDefinition};

/// `CREATE TYPE` (or `DOMAIN`) for a type of the snapshot.
fn create(name: &str, data_type: &DataType) -> String {
    match &data_type.definition {
        TypeDefinition::Enum { labels } => {
            let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
            format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", "))
        }
        TypeDefinition::Domain(domain) => {
            let mut sql = format!("CREATE DOMAIN {name} AS {}", domain.base);
            if let Some(collation) = &domain.collation {
                sql.push_str(&format!(" COLLATE {collation}"));
            }
            if let Some(default) = &domain.default {
                sql.push_str(&format!(" DEFAULT {default}"));
            }
            if domain.not_null {
                sql.push_str(" NOT NULL");
            }
            for (constraint, definition) in &domain.constraints {
                sql.push_str(&format!(" CONSTRAINT {} {definition}", ident(constraint)));
            }
            sql
        }
        TypeDefinition::Composite { attributes } => {
            let attributes: Vec<String> = attributes
                .iter()
                .map(|a| match &a.collation {
                    Some(c) => format!("{} {} COLLATE {c}", ident(&a.name), a.data_type),
                    None => format!("{} {}", ident(&a.name), a.data_type),
                })
                .collect();
            format!("CREATE TYPE {name} AS ({})", attributes.join(", "))
        }
        TypeDefinition::Range(range) => {
            format!("CREATE TYPE {name} AS RANGE ({})", range_options(range))
        }
    }
}

fn target(name: &str, data_type: &DataType) -> Target {
    let word = match data_type.definition {
        TypeDefinition::Domain(_) => "DOMAIN",
        _ => "TYPE",
    };
    Target {
        alter: format!("{word} {name}"),
        grant: format!("{word} {name}"),
        comment: format!("{word} {name}"),
        describe: format!("type {name}"),
        lock: "no table lock".into(),
    }
}

impl Planner<'_> {
    pub(super) fn types(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (name, expected) in &wanted.types {
            let actual = match live.types.get(name) {
                Some(actual) => {
                    self.type_definition(name, expected, actual);
                    actual.privileged.clone()
                }
                None => {
                    self.phases.types.push(statement(
                        create(name, expected),
                        format!("type {name}: missing"),
                        "none: a new type",
                    ));
                    self.created(GrantKind::Type, name)
                }
            };
            self.privileged(&target(name, expected), &expected.privileged, &actual);
        }
    }

    fn type_definition(&mut self, name: &str, expected: &DataType, actual: &DataType) {
        let refuse = |what: &str| {
            Refusal::new(format!(
                "type {name}: {what} differs from the schema's; that changes the values of \
                 every column of the type: write the migration by hand"
            ))
        };
        match (&expected.definition, &actual.definition) {
            (e, a) if e == a => {}
            (TypeDefinition::Enum { labels: e }, TypeDefinition::Enum { labels: a }) => {
                // Only added labels, each in its place; the others keep their order.
                let kept: Vec<&String> = e.iter().filter(|l| a.contains(l)).collect();
                if kept.len() != a.len() || kept.iter().zip(a).any(|(k, l)| *k != l) {
                    return self.refuse(refuse("its labels or their order"));
                }
                for (i, label) in e.iter().enumerate() {
                    if a.contains(label) {
                        continue;
                    }
                    // After the label before it (added already, in order), or before the
                    // first there is.
                    let place = match i.checked_sub(1).map(|p| &e[p]) {
                        Some(before) => format!(" AFTER {}", literal(before)),
                        None => a
                            .first()
                            .map_or(String::new(), |first| format!(" BEFORE {}", literal(first))),
                    };
                    self.phases.types.push(statement(
                        format!("ALTER TYPE {name} ADD VALUE {}{place}", literal(label)),
                        format!("type {name}: label {label} missing"),
                        "no table lock",
                    ));
                }
            }
            (TypeDefinition::Domain(e), TypeDefinition::Domain(a)) => self.domain(name, e, a),
            (e, _) => self.refuse(refuse(&format!("its kind or its {} definition", e.word()))),
        }
    }

    fn domain(&mut self, name: &str, expected: &Domain, actual: &Domain) {
        if expected.base != actual.base || expected.collation != actual.collation {
            return self.refuse(Refusal::new(format!(
                "type {name}: its base type or collation differs from the schema's; that changes \
                 the values of every column of the domain: write the migration by hand"
            )));
        }
        let mut alter = |clause: String, resolves: &str| {
            self.phases.types.push(statement(
                format!("ALTER DOMAIN {name} {clause}"),
                format!("type {name}: {resolves}"),
                "no table lock (checks every column of the domain)",
            ));
        };
        if expected.default != actual.default {
            match &expected.default {
                Some(default) => alter(format!("SET DEFAULT {default}"), "its default differs"),
                None => alter("DROP DEFAULT".into(), "its default differs"),
            }
        }
        if expected.not_null != actual.not_null {
            let verb = if expected.not_null { "SET" } else { "DROP" };
            alter(format!("{verb} NOT NULL"), "its nullability differs");
        }
        for (constraint, definition) in &actual.constraints {
            if expected.constraints.get(constraint) != Some(definition) {
                alter(
                    format!("DROP CONSTRAINT {}", ident(constraint)),
                    &format!("constraint {constraint} is not the schema's"),
                );
            }
        }
        for (constraint, definition) in &expected.constraints {
            if actual.constraints.get(constraint) != Some(definition) {
                alter(
                    format!("ADD CONSTRAINT {} {definition}", ident(constraint)),
                    &format!("constraint {constraint} missing"),
                );
            }
        }
    }

    pub(super) fn extra_types(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (name, data_type) in &live.types {
            if wanted.types.contains_key(name) {
                continue;
            }
            let word = match data_type.definition {
                TypeDefinition::Domain(_) => "DOMAIN",
                _ => "TYPE",
            };
            self.extra(
                Object::Type,
                name.clone(),
                statement(
                    format!("DROP {word} {name}"),
                    format!("type {name}: not in the snapshot (--drop-extra)"),
                    "no table lock",
                ),
            );
        }
    }
}
