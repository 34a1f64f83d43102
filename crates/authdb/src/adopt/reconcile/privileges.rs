//! Owners, privileges and comments, set as the snapshot has them once every object exists: the
//! owner first (`$owner` in a grant is the new owner), then each grantee whose privileges differ
//! (REVOKE ALL, then GRANT what the snapshot says), then the comment. A role the script names
//! must exist: adopt never creates roles.

use super::{Planner, statement};
use crate::adopt::Refusal;
use crate::adopt::ddl::{ident, in_schema_of, literal, role};
use crate::error::Result;
use crate::snapshot::{Grants, MIGRATOR, OWNER, PUBLIC, Privileged, Table};

/// How the statements name one object.
pub(super) struct Target {
    /// `ALTER <alter> OWNER TO`: `TABLE users`, `FUNCTION f(integer)`.
    pub alter: String,
    /// `GRANT ... ON <grant>`: `TABLE users`, `ROUTINE f(integer)`.
    pub grant: String,
    /// `COMMENT ON <comment>`: `VIEW v`, `DOMAIN d`.
    pub comment: String,
    /// How the plan says what it resolves: `table users`.
    pub describe: String,
    /// The lock its statements take.
    pub lock: String,
}

/// A part of a relation (constraint, index, trigger, policy) and its comment.
struct Part<'a> {
    /// How `recreated` names it.
    key: String,
    /// What `COMMENT ON` names it.
    on: String,
    describe: String,
    expected: &'a Option<String>,
    live: Option<String>,
}

/// One grantee's privileges in the snapshot's words, as GRANT statements: those without and
/// those with the grant option. `ALL` is every privilege the object has.
fn privilege_lists(words: &str) -> (Vec<String>, Vec<String>) {
    let (mut plain, mut grantable) = (Vec::new(), Vec::new());
    for item in words.split(", ") {
        match item.strip_suffix(" with grant option") {
            Some(privilege) => grantable.push(privilege.to_string()),
            None => plain.push(item.to_string()),
        }
    }
    (plain, grantable)
}

/// REVOKE ALL from `grantee`, then GRANT what `expected` says (nothing when none). `columns`:
/// the column a column privilege is on.
pub(super) fn grant_statements(
    on: &str,
    column: Option<&str>,
    grantee: &str,
    expected: Option<&str>,
) -> Vec<String> {
    let column_list = column.map_or(String::new(), |c| format!(" ({})", ident(c)));
    let mut sql = vec![format!("REVOKE ALL{column_list} ON {on} FROM {grantee}")];
    if let Some(words) = expected {
        let (plain, grantable) = privilege_lists(words);
        let list = |privileges: &[String]| {
            privileges
                .iter()
                .map(|p| format!("{p}{column_list}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !plain.is_empty() {
            sql.push(format!("GRANT {} ON {on} TO {grantee}", list(&plain)));
        }
        if !grantable.is_empty() {
            sql.push(format!(
                "GRANT {} ON {on} TO {grantee} WITH GRANT OPTION",
                list(&grantable)
            ));
        }
    }
    sql
}

impl Planner<'_> {
    /// Roles the script names, to be checked before anything runs.
    pub(super) fn note_roles<'r>(&mut self, roles: impl IntoIterator<Item = &'r String>) {
        for name in roles {
            if ![MIGRATOR, OWNER, PUBLIC].contains(&name.as_str()) {
                self.roles.insert(name.clone());
            }
        }
    }

    pub(super) async fn check_roles(&mut self) -> Result<()> {
        let roles: Vec<String> = self.roles.iter().cloned().collect();
        for missing in self.facts.missing_roles(&roles).await? {
            self.refuse(Refusal::new(format!(
                "role {missing} does not exist on this server, and the snapshot gives it an \
                 object or privileges: roles belong to the server, not to the migrations' \
                 schema, so adopt does not create them; create it (CREATE ROLE {missing}), \
                 then plan again"
            )));
        }
        Ok(())
    }

    /// Owner, grants and comment of one object, where they differ.
    pub(super) fn privileged(
        &mut self,
        target: &Target,
        expected: &Privileged,
        actual: &Privileged,
    ) {
        if expected.owner != actual.owner {
            self.note_roles([&expected.owner]);
            self.phases.privileges.push(statement(
                format!(
                    "ALTER {} OWNER TO {}",
                    target.alter,
                    role(&expected.owner, MIGRATOR)
                ),
                format!(
                    "{}: owner is {}, expected {}",
                    target.describe, actual.owner, expected.owner
                ),
                target.lock.clone(),
            ));
        }
        self.grants(
            target,
            None,
            &expected.owner,
            &expected.grants,
            &actual.grants,
        );
        self.comment(
            &target.comment,
            &target.describe,
            &expected.comment,
            &actual.comment,
        );
    }

    /// One REVOKE/GRANT group per grantee whose privileges differ.
    pub(super) fn grants(
        &mut self,
        target: &Target,
        column: Option<&str>,
        owner: &str,
        expected: &Grants,
        actual: &Grants,
    ) {
        let grantees: std::collections::BTreeSet<&String> =
            expected.keys().chain(actual.keys()).collect();
        for grantee in grantees {
            let (e, a) = (expected.get(grantee), actual.get(grantee));
            if e == a {
                continue;
            }
            self.note_roles([grantee]);
            let on_column = column.map_or(String::new(), |c| format!(" on column {c}"));
            let resolves = format!(
                "{}: {grantee} has {}{on_column}, expected {}",
                target.describe,
                a.map_or("none", String::as_str),
                e.map_or("none", String::as_str)
            );
            for sql in grant_statements(
                &target.grant,
                column,
                &role(grantee, owner),
                e.map(String::as_str),
            ) {
                self.phases
                    .privileges
                    .push(statement(sql, resolves.clone(), "no table lock"));
            }
        }
    }

    /// `COMMENT ON <on> IS ...` when the comment differs.
    pub(super) fn comment(
        &mut self,
        on: &str,
        describe: &str,
        expected: &Option<String>,
        actual: &Option<String>,
    ) {
        if expected == actual {
            return;
        }
        let text = expected.as_deref().map_or("NULL".to_string(), literal);
        self.phases.privileges.push(statement(
            format!("COMMENT ON {on} IS {text}"),
            format!("{describe}: its comment differs"),
            "no table lock",
        ));
    }

    /// A relation's owner, privileges and comment, and those of what belongs to it: column
    /// privileges and the comments of columns, constraints, indexes, triggers and policies.
    pub(super) fn relation_privileges(&mut self, name: &str, expected: &Table, actual: &Table) {
        let word = expected.kind.sql_word();
        let target = Target {
            alter: format!("{word} {name}"),
            grant: format!("TABLE {name}"),
            comment: format!("{word} {name}"),
            describe: format!("{} {name}", expected.kind.word()),
            lock: format!("ACCESS EXCLUSIVE on {name}, brief"),
        };
        self.privileged(&target, &expected.privileged, &actual.privileged);
        for column in &expected.columns {
            let current = actual.columns.iter().find(|c| c.name == column.name);
            let (grants, comment) = current.map_or((Grants::new(), None), |c| {
                (c.grants.clone(), c.comment.clone())
            });
            let owner = &expected.privileged.owner;
            self.grants(&target, Some(&column.name), owner, &column.grants, &grants);
            self.comment(
                &format!("COLUMN {name}.{}", ident(&column.name)),
                &format!("column {name}.{}", column.name),
                &column.comment,
                &comment,
            );
        }
        let mut parts: Vec<Part> = Vec::new();
        for (constraint, e) in &expected.constraints {
            parts.push(Part {
                key: format!("constraint {name}.{constraint}"),
                on: format!("CONSTRAINT {} ON {name}", ident(constraint)),
                describe: format!("constraint {name}.{constraint}"),
                expected: &e.comment,
                live: actual
                    .constraints
                    .get(constraint)
                    .and_then(|c| c.comment.clone()),
            });
        }
        for (index, e) in &expected.indexes {
            parts.push(Part {
                key: format!("index {name} {index}"),
                on: format!("INDEX {}", in_schema_of(name, index)),
                describe: format!("index {index}"),
                expected: &e.comment,
                live: actual.indexes.get(index).and_then(|i| i.comment.clone()),
            });
        }
        for (trigger, e) in &expected.triggers {
            parts.push(Part {
                key: format!("trigger {name}.{trigger}"),
                on: format!("TRIGGER {} ON {name}", ident(trigger)),
                describe: format!("trigger {name}.{trigger}"),
                expected: &e.comment,
                live: actual.triggers.get(trigger).and_then(|t| t.comment.clone()),
            });
        }
        for (policy, e) in &expected.policies {
            parts.push(Part {
                key: format!("policy {name}.{policy}"),
                on: format!("POLICY {} ON {name}", ident(policy)),
                describe: format!("policy {name}.{policy}"),
                expected: &e.comment,
                live: actual.policies.get(policy).and_then(|p| p.comment.clone()),
            });
        }
        for part in parts {
            // What the script makes again comes back without its comment.
            let live = part.live.filter(|_| !self.recreated.contains(&part.key));
            self.comment(&part.on, &part.describe, part.expected, &live);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_revoked_then_given() {
        assert_eq!(
            grant_statements("TABLE users", None, "PUBLIC", None),
            ["REVOKE ALL ON TABLE users FROM PUBLIC"]
        );
        assert_eq!(
            grant_statements(
                "TABLE users",
                Some("email"),
                "app",
                Some("SELECT with grant option, UPDATE")
            ),
            [
                "REVOKE ALL (email) ON TABLE users FROM app",
                "GRANT UPDATE (email) ON TABLE users TO app",
                "GRANT SELECT (email) ON TABLE users TO app WITH GRANT OPTION",
            ]
        );
        assert_eq!(
            grant_statements("SCHEMA auth", None, "CURRENT_USER", Some("ALL")),
            [
                "REVOKE ALL ON SCHEMA auth FROM CURRENT_USER",
                "GRANT ALL ON SCHEMA auth TO CURRENT_USER",
            ]
        );
    }
}
