//! How many objects of each kind a snapshot holds, counted the way `pg_identify_object` names
//! kinds. A test counts the same in pg_catalog after the migrations ran: a kind of object the
//! snapshot cannot hold shows as a count that differs, so nothing a migration creates is left
//! out unnoticed.

use std::collections::BTreeMap;

use super::datatype::TypeDefinition;
use super::privileges::Privileged;
use super::{RelationKind, Snapshot, Table};

pub(super) fn census(snapshot: &Snapshot) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut add = |kind: &str, n: usize| {
        if n > 0 {
            *counts.entry(kind.to_string()).or_default() += n;
        }
    };
    // The schema `public` comes with the database (an OID below 16384), unless recreated.
    let initial = Privileged::initial_public();
    add(
        "schema",
        snapshot
            .schemas
            .iter()
            .filter(|(name, s)| !(*name == "public" && s.privileged == initial))
            .count(),
    );
    add("extension", snapshot.extensions.len());
    add("default acl", snapshot.default_privileges.len());
    add("type", snapshot.types.len());
    for data_type in snapshot.types.values() {
        if let TypeDefinition::Domain(domain) = &data_type.definition {
            add("domain constraint", domain.constraints.len());
        }
    }
    // An identity column's sequence is part of its column.
    add(
        "sequence",
        snapshot.sequences.values().filter(|s| !s.identity).count(),
    );
    for function in snapshot.functions.values() {
        add(function.kind.word(), 1);
    }
    let relations = snapshot.tables.values().chain(snapshot.tracking.iter());
    for table in relations {
        relation(table, &mut add);
    }
    for other in snapshot.others.values() {
        add(&other.kind, 1);
    }
    counts
}

fn relation(table: &Table, add: &mut impl FnMut(&str, usize)) {
    let kind = match table.kind {
        RelationKind::Table => "table",
        RelationKind::View => "view",
        RelationKind::MaterializedView => "materialized view",
        RelationKind::ForeignTable => "foreign table",
    };
    add(kind, 1);
    add("index", table.indexes.len());
    add("table constraint", table.constraints.len());
    add("trigger", table.triggers.len());
    add("policy", table.policies.len());
    // A generated column's expression is part of its column (an internal dependency).
    add(
        "default value",
        table.columns.iter().filter(|c| c.default.is_some()).count(),
    );
}

/// Kinds whose count in `objects` differs from the census: `(kind, in the catalog, in the
/// snapshot)`.
pub(super) fn unaccounted(
    census: &BTreeMap<String, usize>,
    objects: &[(String, String)],
) -> Vec<(String, usize, usize)> {
    let mut in_catalog: BTreeMap<&str, usize> = BTreeMap::new();
    for (kind, _) in objects {
        *in_catalog.entry(kind).or_default() += 1;
    }
    let kinds: std::collections::BTreeSet<&str> = in_catalog
        .keys()
        .copied()
        .chain(census.keys().map(String::as_str))
        .collect();
    kinds
        .into_iter()
        .filter_map(|kind| {
            let (catalog, snapshot) = (
                in_catalog.get(kind).copied().unwrap_or(0),
                census.get(kind).copied().unwrap_or(0),
            );
            (catalog != snapshot).then(|| (kind.to_string(), catalog, snapshot))
        })
        .collect()
}
