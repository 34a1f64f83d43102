//! Owners and privileges as the catalog queries return them, turned into the snapshot's
//! role-independent words. The queries return raw role names (`pg_get_userbyid`) and ACLs as
//! PostgreSQL prints them (`grantee=privileges/grantor`, the defaults of `acldefault` where the
//! ACL is NULL): reading them here costs the server nothing, where a subquery per object
//! (`aclexplode`) made every catalog query slower to plan than to run.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::quote::ident;
use crate::snapshot::privileges::{GrantKind, Grants, MIGRATOR, OWNER, PUBLIC, in_words};

/// The privilege letters of an ACL, in the order PostgreSQL keeps their bits.
const LETTERS: [(char, &str); 15] = [
    ('a', "INSERT"),
    ('r', "SELECT"),
    ('w', "UPDATE"),
    ('d', "DELETE"),
    ('D', "TRUNCATE"),
    ('x', "REFERENCES"),
    ('t', "TRIGGER"),
    ('X', "EXECUTE"),
    ('U', "USAGE"),
    ('C', "CREATE"),
    ('T', "TEMPORARY"),
    ('c', "CONNECT"),
    ('s', "SET"),
    ('A', "ALTER SYSTEM"),
    ('m', "MAINTAIN"),
];

/// A column's privileges are a table's, but for those that only concern whole tables.
const COLUMN: [&str; 4] = ["INSERT", "SELECT", "UPDATE", "REFERENCES"];

/// Who runs the command, and every privilege each kind of object has on this server.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Roles {
    /// `current_user`: the migrator.
    user: String,
    /// `acldefault` of each kind for a role, by the kind's letter: the owner's entry is ALL.
    all: BTreeMap<String, Vec<String>>,
}

impl Roles {
    /// Every privilege of `kind`, in the server's order.
    fn all_of(&self, kind: GrantKind) -> Vec<String> {
        if kind == GrantKind::Column {
            return COLUMN.iter().map(|p| p.to_string()).collect();
        }
        let items = self.all.get(&kind.letter().to_string());
        let owners = items
            .into_iter()
            .flatten()
            .filter_map(|item| parse_item(item))
            .find(|(grantee, _)| !grantee.is_empty());
        owners.map_or_else(Vec::new, |(_, held)| {
            held.into_iter().map(|(privilege, _)| privilege).collect()
        })
    }

    /// An owner (a raw role name) as the snapshot writes it.
    pub fn owner(&self, raw: &str) -> String {
        if raw == self.user {
            MIGRATOR.to_string()
        } else {
            ident(raw)
        }
    }

    /// A role of a policy, as `regrole` prints it (`-` for PUBLIC).
    pub fn policy_role(&self, printed: &str) -> String {
        match printed {
            "-" => PUBLIC.to_string(),
            printed => self.owner(&unquote(printed)),
        }
    }

    /// An ACL (as PostgreSQL prints its items) of an object of `kind` owned by `owner` (raw).
    pub fn grants(&self, acl: &[String], owner: &str, kind: GrantKind) -> Grants {
        let all = self.all_of(kind);
        let mut by_grantee: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        for (grantee, held) in acl.iter().filter_map(|item| parse_item(item)) {
            let grantee = match grantee.as_str() {
                "" => PUBLIC.to_string(),
                name if name == owner => OWNER.to_string(),
                name => self.owner(name),
            };
            // One grantee may hold privileges from several grantors: one set, with an option
            // where any grantor gave it.
            let entry = by_grantee.entry(grantee).or_default();
            for (privilege, grantable) in held {
                match entry.iter_mut().find(|(p, _)| *p == privilege) {
                    Some(known) => known.1 |= grantable,
                    None => entry.push((privilege, grantable)),
                }
            }
        }
        by_grantee
            .into_iter()
            .filter(|(_, held)| !held.is_empty())
            .map(|(grantee, held)| (grantee, in_words(&held, &all)))
            .collect()
    }
}

/// `grantee=privileges/grantor`: the grantee (raw, empty for PUBLIC) and each privilege with
/// whether it carries the grant option.
fn parse_item(item: &str) -> Option<(String, Vec<(String, bool)>)> {
    let (grantee, rest) = match item.strip_prefix('"') {
        Some(quoted) => {
            let (name, after) = crate::snapshot::keys::unquote(quoted)?;
            (name, after.strip_prefix('=')?)
        }
        None => {
            let (name, rest) = item.split_once('=')?;
            (name.to_string(), rest)
        }
    };
    let letters = rest.split('/').next()?;
    let mut held: Vec<(String, bool)> = Vec::new();
    for c in letters.chars() {
        if c == '*' {
            if let Some(last) = held.last_mut() {
                last.1 = true;
            }
            continue;
        }
        let name = LETTERS
            .iter()
            .find(|(letter, _)| *letter == c)
            .map_or_else(|| c.to_string(), |(_, name)| name.to_string());
        held.push((name, false));
    }
    Some((grantee, held))
}

/// A name as `regrole` prints it, without its quotes.
fn unquote(printed: &str) -> String {
    match printed.strip_prefix('"') {
        Some(quoted) => crate::snapshot::keys::unquote(quoted)
            .map_or_else(|| printed.to_string(), |(name, _)| name),
        None => printed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> Roles {
        let all = [
            ("r", vec!["postgres=arwdDxtm/postgres".to_string()]),
            (
                "f",
                vec!["=X/postgres".to_string(), "postgres=X/postgres".to_string()],
            ),
        ];
        Roles {
            user: "neondb_owner".into(),
            all: all.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }

    #[test]
    fn acls_read_as_role_independent_words() {
        let roles = roles();
        let acl: Vec<String> = [
            "neondb_owner=arwdDxtm/neondb_owner",
            "=r/neondb_owner",
            "\"Odd \"\"One\"\"\"=r*w/neondb_owner",
            "app=r/neondb_owner",
            "app=w/other",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let grants = roles.grants(&acl, "neondb_owner", GrantKind::Table);
        let expected: Grants = [
            ("$owner", "ALL"),
            ("PUBLIC", "SELECT"),
            ("\"Odd \"\"One\"\"\"", "SELECT with grant option, UPDATE"),
            ("app", "SELECT, UPDATE"),
        ]
        .iter()
        .map(|(g, p)| (g.to_string(), p.to_string()))
        .collect();
        assert_eq!(grants, expected);
        let function = roles.grants(&["=X/x".to_string()], "x", GrantKind::Function);
        assert_eq!(function["PUBLIC"], "EXECUTE");
        assert_eq!(roles.owner("neondb_owner"), "$migrator");
        assert_eq!(roles.owner("Other"), "\"Other\"");
        assert_eq!(roles.policy_role("-"), "PUBLIC");
        assert_eq!(roles.policy_role("\"Other\""), "\"Other\"");
        assert_eq!(roles.policy_role("neondb_owner"), "$migrator");
    }
}
