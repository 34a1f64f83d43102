//! Privileges as the catalog queries return them (`[grantee, privilege, grantable]` per
//! `aclexplode` row) turned into the snapshot's words per grantee.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::snapshot::privileges::{GrantKind, Grants, in_words};

/// One `aclexplode` row: grantee (in the form of `privileges.rs`), privilege, grantable.
pub(super) type Grant = (String, String, bool);

/// Every privilege of each kind of object on this server, by `acldefault`'s letter.
#[derive(Debug, Default, Deserialize)]
pub(super) struct All(BTreeMap<String, Vec<String>>);

/// A column's privileges are a table's, but for those that only concern whole tables.
const COLUMN: [&str; 4] = ["INSERT", "SELECT", "UPDATE", "REFERENCES"];

impl All {
    pub fn of(&self, kind: GrantKind) -> Vec<String> {
        if kind == GrantKind::Column {
            return COLUMN.iter().map(|p| p.to_string()).collect();
        }
        self.0
            .get(&kind.letter().to_string())
            .cloned()
            .unwrap_or_default()
    }
}

/// The grants of one object: each grantee's privileges in words.
pub(super) fn grants_of(list: &[Grant], all: Vec<String>) -> Grants {
    let mut by_grantee: BTreeMap<&str, Vec<(String, bool)>> = BTreeMap::new();
    for (grantee, privilege, grantable) in list {
        by_grantee
            .entry(grantee)
            .or_default()
            .push((privilege.clone(), *grantable));
    }
    by_grantee
        .into_iter()
        .map(|(grantee, held)| (grantee.to_string(), in_words(&held, &all)))
        .collect()
}
