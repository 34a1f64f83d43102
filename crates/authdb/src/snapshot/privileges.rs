//! Who owns an object and who may use it, written so that the same migrations give the same
//! snapshot wherever they run. The owner is `neondb_owner` on Neon and `postgres` locally, so
//! roles are never compared by name alone:
//!
//! - the role that runs the command (the one that migrates) is `$migrator`;
//! - in an object's privileges, its owner is `$owner` (so a new owner is one difference, not
//!   three), and `PUBLIC` is PUBLIC;
//! - every other role is its name: a role the migrations create (`GRANT SELECT ON users TO
//!   app_reader`) is compared by name, and a role nobody granted anything to is drift.
//!
//! A grant is the set of privileges a grantee holds, `ALL` when it is every privilege the object
//! has (whatever the server counts as all: PostgreSQL 17 adds MAINTAIN to a table's), each
//! `with grant option` where it has one. What the grantor was is not compared.

use std::collections::BTreeMap;

use serde::Serialize;

/// The role that runs the command: the one that migrates.
pub const MIGRATOR: &str = "$migrator";
/// In an object's privileges, its owner, whoever that is.
pub const OWNER: &str = "$owner";
/// Every role.
pub const PUBLIC: &str = "PUBLIC";

/// Grantee to privileges: `PUBLIC` -> `SELECT`, `$owner` -> `ALL`.
pub type Grants = BTreeMap<String, String>;

/// What every object with an owner has: the owner, the privileges and the comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Privileged {
    pub owner: String,
    pub grants: Grants,
    pub comment: Option<String>,
}

impl Default for Privileged {
    /// Owned by the migrator, without a grant (a kind's defaults are [`default_grants`]).
    fn default() -> Privileged {
        Privileged {
            owner: MIGRATOR.to_string(),
            grants: Grants::new(),
            comment: None,
        }
    }
}

impl Privileged {
    /// As the migrator creates an object of `kind`: its own, with the kind's default privileges.
    pub fn created(kind: GrantKind) -> Privileged {
        Privileged {
            grants: default_grants(kind),
            ..Privileged::default()
        }
    }

    /// The schema `public` as a new database has it (PostgreSQL 15 gives it to
    /// `pg_database_owner`; 14 to the bootstrap superuser, which reads the same).
    pub fn initial_public() -> Privileged {
        Privileged {
            owner: "pg_database_owner".to_string(),
            grants: default_grants(GrantKind::Schema),
            comment: Some("standard public schema".to_string()),
        }
    }
}

/// The kinds of object privileges exist on, each with its own set of privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// Tables, views, materialized views and foreign tables.
    Table,
    Sequence,
    /// Functions, procedures and aggregates.
    Function,
    Schema,
    /// Types and domains.
    Type,
    Language,
    ForeignDataWrapper,
    ForeignServer,
    Column,
}

impl GrantKind {
    /// The letter `acldefault` and `pg_default_acl` know the kind by.
    pub(super) fn letter(self) -> char {
        match self {
            GrantKind::Table => 'r',
            GrantKind::Sequence => 's',
            GrantKind::Function => 'f',
            GrantKind::Schema => 'n',
            GrantKind::Type => 'T',
            GrantKind::Language => 'l',
            GrantKind::ForeignDataWrapper => 'F',
            GrantKind::ForeignServer => 'S',
            GrantKind::Column => 'c',
        }
    }

    /// What `GRANT ... ON <word>` calls it.
    pub fn grant_word(self) -> &'static str {
        match self {
            GrantKind::Table | GrantKind::Column => "TABLE",
            GrantKind::Sequence => "SEQUENCE",
            GrantKind::Function => "ROUTINE",
            GrantKind::Schema => "SCHEMA",
            GrantKind::Type => "TYPE",
            GrantKind::Language => "LANGUAGE",
            GrantKind::ForeignDataWrapper => "FOREIGN DATA WRAPPER",
            GrantKind::ForeignServer => "FOREIGN SERVER",
        }
    }

    /// The privileges the owner holds by default, in words: `ALL`, or the only one there is.
    fn owner_default(self) -> Option<&'static str> {
        match self {
            GrantKind::Function => Some("EXECUTE"),
            GrantKind::Type
            | GrantKind::Language
            | GrantKind::ForeignDataWrapper
            | GrantKind::ForeignServer => Some("USAGE"),
            GrantKind::Table | GrantKind::Sequence | GrantKind::Schema => Some("ALL"),
            GrantKind::Column => None,
        }
    }

    /// What PUBLIC holds by default: EXECUTE on functions, USAGE on types and languages.
    fn public_default(self) -> Option<&'static str> {
        match self {
            GrantKind::Function => Some("EXECUTE"),
            GrantKind::Type | GrantKind::Language => Some("USAGE"),
            _ => None,
        }
    }
}

/// The privileges of a new object of `kind` (`acldefault`): the owner's, and PUBLIC's where it
/// has some by default.
pub fn default_grants(kind: GrantKind) -> Grants {
    let mut grants = Grants::new();
    if let Some(owner) = kind.owner_default() {
        grants.insert(OWNER.to_string(), owner.to_string());
    }
    if let Some(public) = kind.public_default() {
        grants.insert(PUBLIC.to_string(), public.to_string());
    }
    grants
}

/// One grantee's privileges in words, from what `aclexplode` lists for it: `all` is every
/// privilege of the object's kind, in the server's order.
pub(super) fn in_words(held: &[(String, bool)], all: &[String]) -> String {
    let has = |p: &str| held.iter().find(|(name, _)| name == p).map(|(_, g)| *g);
    if all.len() > 1 && all.iter().all(|p| has(p) == Some(false)) {
        return "ALL".to_string();
    }
    if all.len() > 1 && all.iter().all(|p| has(p) == Some(true)) {
        return "ALL with grant option".to_string();
    }
    let mut known: Vec<&String> = all.iter().filter(|p| has(p).is_some()).collect();
    // A privilege this server does not list for the kind (none should exist) still shows.
    known.extend(held.iter().map(|(p, _)| p).filter(|p| !all.contains(p)));
    known
        .iter()
        .map(|p| match has(p) {
            Some(true) => format!("{p} with grant option"),
            _ => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ALTER DEFAULT PRIVILEGES [FOR ROLE role] [IN SCHEMA schema] ... ON kind`: the privileges
/// objects the role creates later get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultPrivileges {
    /// The role whose objects they are, in the form above (`$migrator`, a name).
    pub role: String,
    /// The schema they apply in; `None` for every schema.
    pub schema: Option<String>,
    /// `tables`, `sequences`, `functions`, `types` or `schemas`.
    pub on: String,
    pub grants: Grants,
}

impl DefaultPrivileges {
    /// How the snapshot names the entry: `for $migrator in schema app on tables`.
    pub fn key(&self) -> String {
        match &self.schema {
            Some(schema) => format!("for {} in schema {schema} on {}", self.role, self.on),
            None => format!("for {} on {}", self.role, self.on),
        }
    }

    /// The kind of object the entry is about.
    pub fn kind(&self) -> GrantKind {
        match self.on.as_str() {
            "sequences" => GrantKind::Sequence,
            "functions" => GrantKind::Function,
            "types" => GrantKind::Type,
            "schemas" => GrantKind::Schema,
            _ => GrantKind::Table,
        }
    }

    /// What the role's new objects get without the entry: the kind's defaults for every
    /// schema, nothing more in one schema (an entry for a schema only adds).
    pub fn implicit(&self) -> Grants {
        match self.schema {
            Some(_) => Grants::new(),
            None => default_grants(self.kind()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_read_as_words() {
        let all: Vec<String> = ["INSERT", "SELECT", "UPDATE", "DELETE"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let held = |list: &[(&str, bool)]| -> Vec<(String, bool)> {
            list.iter().map(|(p, g)| (p.to_string(), *g)).collect()
        };
        let every = |g| held(&[("DELETE", g), ("SELECT", g), ("INSERT", g), ("UPDATE", g)]);
        assert_eq!(in_words(&every(false), &all), "ALL");
        assert_eq!(in_words(&every(true), &all), "ALL with grant option");
        assert_eq!(
            in_words(&held(&[("UPDATE", false), ("SELECT", true)]), &all),
            "SELECT with grant option, UPDATE"
        );
        let execute = vec!["EXECUTE".to_string()];
        assert_eq!(in_words(&held(&[("EXECUTE", false)]), &execute), "EXECUTE");
        assert_eq!(default_grants(GrantKind::Function)["PUBLIC"], "EXECUTE");
        assert_eq!(default_grants(GrantKind::Table).len(), 1);
    }
}
