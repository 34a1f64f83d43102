//! Schemas, extensions, default privileges, the tracking table and the other kinds of object.
//! A schema is created when missing; an extension only by hand (it needs privileges a migrating
//! role rarely has); default privileges are set before anything is created; another kind of
//! object is refused when missing (adopt cannot write its definition) and kept or dropped when
//! extra.

use super::privileges::{Target, grant_statements};
use super::{Planner, statement};
use crate::adopt::ddl::{role, schema_of};
use crate::adopt::{Kept, Refusal};
use crate::snapshot::{
    DefaultPrivileges, GrantKind, Grants, MIGRATOR, Object, Other, Privileged, Snapshot,
    default_grants,
};

impl Planner<'_> {
    /// What an object of `kind` the script creates as `key` has: the migrator's, with the
    /// default privileges the snapshot sets (they are set before anything is created). An
    /// entry for every schema replaces the kind's defaults, one for the object's schema adds.
    pub(super) fn created(&self, kind: GrantKind, key: &str) -> Privileged {
        let schema = schema_of(key).unwrap_or("public");
        let on = match kind {
            GrantKind::Sequence => "sequences",
            GrantKind::Function => "functions",
            GrantKind::Type => "types",
            GrantKind::Schema => "schemas",
            _ => "tables",
        };
        let entries = self
            .wanted
            .default_privileges
            .values()
            .filter(|d| d.role == MIGRATOR && d.on == on);
        let mut grants = default_grants(kind);
        for entry in entries.clone().filter(|d| d.schema.is_none()) {
            grants = entry.grants.clone();
        }
        for entry in entries.filter(|d| d.schema.as_deref() == Some(schema)) {
            grants.extend(entry.grants.clone());
        }
        Privileged {
            grants,
            ..Privileged::default()
        }
    }

    /// An empty tracking table (one with rows is refused before planning) of another shape:
    /// authdb would record into it as if it were its own.
    pub(super) fn tracking_table(&mut self, live: &Snapshot, wanted: &Snapshot) {
        let (Some(live), Some(wanted)) = (&live.tracking, &wanted.tracking) else {
            return;
        };
        let shape = |t: &crate::snapshot::Table| {
            (t.columns.clone(), t.constraints.clone(), t.indexes.clone())
        };
        if shape(live) != shape(wanted) {
            self.refuse(Refusal::new(format!(
                "the tracking table {} exists, empty, but not in the shape this authdb creates: \
                 drop it (it holds no row) and plan again",
                crate::tracking::QUALIFIED
            )));
        }
    }

    pub(super) fn schemas(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (name, expected) in &wanted.schemas {
            let actual = match live.schemas.get(name) {
                Some(actual) => actual.privileged.clone(),
                None => {
                    self.phases.schemas.push(statement(
                        format!("CREATE SCHEMA {name}"),
                        format!("schema {name}: missing"),
                        "none: a new schema",
                    ));
                    self.created(GrantKind::Schema, "")
                }
            };
            let target = Target {
                alter: format!("SCHEMA {name}"),
                grant: format!("SCHEMA {name}"),
                comment: format!("SCHEMA {name}"),
                describe: format!("schema {name}"),
                lock: "no table lock".into(),
            };
            self.privileged(&target, &expected.privileged, &actual);
        }
        for name in live.schemas.keys() {
            if wanted.schemas.contains_key(name) {
                continue;
            }
            let drop = statement(
                format!("DROP SCHEMA {name}"),
                format!("schema {name}: not in the snapshot (--drop-extra)"),
                "no table lock",
            );
            if self.options.drop_extra {
                self.phases.schema_drops.push(drop);
            } else {
                self.kept.push(Kept {
                    object: Object::Schema,
                    name: name.clone(),
                });
            }
        }
    }

    pub(super) fn extensions(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (name, expected) in &wanted.extensions {
            let Some(actual) = live.extensions.get(name) else {
                self.refuse(Refusal::new(format!(
                    "extension {name} is missing: creating an extension needs privileges a \
                     migration role rarely has; create it by hand (CREATE EXTENSION {name} \
                     SCHEMA {}), then plan again",
                    expected.schema
                )));
                continue;
            };
            if actual.schema != expected.schema {
                self.phases.schemas.push(statement(
                    format!("ALTER EXTENSION {name} SET SCHEMA {}", expected.schema),
                    format!(
                        "extension {name}: schema is {}, expected {}",
                        actual.schema, expected.schema
                    ),
                    "no table lock",
                ));
            }
            self.comment(
                &format!("EXTENSION {name}"),
                &format!("extension {name}"),
                &expected.comment,
                &actual.comment,
            );
        }
        for extra in live.extensions.keys() {
            if !wanted.extensions.contains_key(extra) {
                self.kept.push(Kept {
                    object: Object::Extension,
                    name: extra.clone(),
                });
            }
        }
    }

    /// Each entry made as the snapshot has it: REVOKE ALL and GRANT per grantee that differs;
    /// an entry the snapshot does not have goes back to what its absence means.
    pub(super) fn default_privileges(&mut self, live: &Snapshot, wanted: &Snapshot) {
        let keys: std::collections::BTreeSet<&String> = live
            .default_privileges
            .keys()
            .chain(wanted.default_privileges.keys())
            .collect();
        for key in keys {
            let (e, a) = (
                wanted.default_privileges.get(key),
                live.default_privileges.get(key),
            );
            let entry: &DefaultPrivileges = e.or(a).expect("one side has it");
            let effective = |side: Option<&DefaultPrivileges>| -> Grants {
                side.map_or_else(|| entry.implicit(), |d| d.grants.clone())
            };
            let (expected, actual) = (effective(e), effective(a));
            let schema = entry
                .schema
                .as_ref()
                .map_or(String::new(), |s| format!(" IN SCHEMA {s}"));
            let prefix = format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {}{schema}",
                role(&entry.role, MIGRATOR)
            );
            let grantees: std::collections::BTreeSet<&String> =
                expected.keys().chain(actual.keys()).collect();
            for grantee in grantees {
                let (want, have) = (expected.get(grantee), actual.get(grantee));
                if want == have {
                    continue;
                }
                self.note_roles([grantee, &entry.role]);
                let on = entry.on.to_uppercase();
                let resolves = format!(
                    "default privileges {key}: {grantee} has {}, expected {}",
                    have.map_or("none", String::as_str),
                    want.map_or("none", String::as_str)
                );
                let who = role(grantee, &entry.role);
                for sql in grant_statements(&on, None, &who, want.map(String::as_str)) {
                    // `REVOKE ALL ON TABLES FROM x` reads as ALTER DEFAULT PRIVILEGES wants it.
                    self.phases.default_privileges.push(statement(
                        format!("{prefix} {sql}"),
                        resolves.clone(),
                        "no table lock",
                    ));
                }
            }
        }
    }

    pub(super) fn others(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (key, expected) in &wanted.others {
            let Some(actual) = live.others.get(key) else {
                self.refuse(Refusal::new(format!(
                    "{key} is missing: adopt does not write the definition of this kind of \
                     object; create it by hand, as the migration does, then plan again"
                )));
                continue;
            };
            if actual.definition != expected.definition {
                self.refuse(Refusal::new(format!(
                    "{key}: its definition is {}, expected {}: change it by hand, then plan again",
                    actual.definition.as_deref().unwrap_or("none"),
                    expected.definition.as_deref().unwrap_or("none")
                )));
            }
            let (alter, comment) = other_target(expected);
            if actual.owner != expected.owner
                && let Some(owner) = &expected.owner
            {
                self.note_roles([owner]);
                self.phases.privileges.push(statement(
                    format!("ALTER {alter} OWNER TO {}", role(owner, MIGRATOR)),
                    format!(
                        "{key}: owner is {}, expected {owner}",
                        actual.owner.as_deref().unwrap_or("none")
                    ),
                    "no table lock",
                ));
            }
            if actual.grants != expected.grants {
                // GRANT calls a server a FOREIGN SERVER.
                let grant = match alter.strip_prefix("SERVER ") {
                    Some(server) => format!("FOREIGN SERVER {server}"),
                    None => alter.clone(),
                };
                let target = Target {
                    alter: alter.clone(),
                    grant,
                    comment: comment.clone(),
                    describe: key.clone(),
                    lock: "no table lock".into(),
                };
                let owner = expected.owner.clone().unwrap_or_else(|| MIGRATOR.into());
                self.grants(&target, None, &owner, &expected.grants, &actual.grants);
            }
            self.comment(&comment, key, &expected.comment, &actual.comment);
        }
        for (key, other) in &live.others {
            if wanted.others.contains_key(key) {
                continue;
            }
            match drop_other(other) {
                Some(sql) => self.extra(
                    Object::Other,
                    key.clone(),
                    statement(
                        sql,
                        format!("{key}: not in the snapshot (--drop-extra)"),
                        "no table lock",
                    ),
                ),
                None if self.options.drop_extra => self.refuse(Refusal::new(format!(
                    "{key} is not in the snapshot, and adopt cannot drop this kind of object: \
                     drop it by hand, then plan again"
                ))),
                None => self.kept.push(Kept {
                    object: Object::Other,
                    name: key.clone(),
                }),
            }
        }
    }
}

/// How ALTER and COMMENT name another kind of object: its kind in capitals and its identity,
/// with `on` as `ON` (`RULE r ON app.t`, `TEXT SEARCH CONFIGURATION app.cfg`).
fn other_target(other: &Other) -> (String, String) {
    let kind = other.kind.to_uppercase().replace('-', " ");
    let kind = match kind.as_str() {
        "STATISTICS OBJECT" => "STATISTICS".to_string(),
        _ => kind,
    };
    let identity = other.identity.replace(" on ", " ON ");
    let named = format!("{kind} {identity}");
    (named.clone(), named)
}

/// The DROP statement for another kind of object, where its identity says enough.
fn drop_other(other: &Other) -> Option<String> {
    let identity = &other.identity;
    Some(match other.kind.as_str() {
        "publication relation" => {
            let (table, publication) = identity.split_once(" in publication ")?;
            format!("ALTER PUBLICATION {publication} DROP TABLE {table}")
        }
        "user mapping" => {
            let (user, server) = identity.split_once(" on server ")?;
            format!("DROP USER MAPPING FOR {user} SERVER {server}")
        }
        "operator of access method" | "function of access method" => return None,
        "foreign-data wrapper" => format!("DROP FOREIGN DATA WRAPPER {identity}"),
        "statistics object" => format!("DROP STATISTICS {identity}"),
        kind => format!(
            "DROP {} {}",
            kind.to_uppercase(),
            identity.replace(" on ", " ON ")
        ),
    })
}
