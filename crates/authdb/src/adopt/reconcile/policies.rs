//! Row level security policies: created when missing, dropped and created again when they
//! differ (a policy's command and kind cannot be altered), kept or dropped when extra.

use super::{Planner, brief, statement};
use crate::adopt::ddl::{ident, role};
use crate::snapshot::{MIGRATOR, Object, Policy, Table};

/// `CREATE POLICY` as the snapshot describes it.
fn create(table: &str, name: &str, policy: &Policy) -> String {
    let mut sql = format!("CREATE POLICY {} ON {table}", ident(name));
    if !policy.permissive {
        sql.push_str(" AS RESTRICTIVE");
    }
    let roles: Vec<String> = policy.roles.iter().map(|r| role(r, MIGRATOR)).collect();
    sql.push_str(&format!(
        " FOR {} TO {}",
        policy.command.to_uppercase(),
        roles.join(", ")
    ));
    if let Some(using) = &policy.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &policy.with_check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql
}

impl Planner<'_> {
    pub(super) fn policies(&mut self, table: &str, expected: &Table, actual: &Table) {
        let same = |a: &Policy, b: &Policy| {
            Policy {
                comment: None,
                ..a.clone()
            } == Policy {
                comment: None,
                ..b.clone()
            }
        };
        for (name, policy) in &expected.policies {
            let why = match actual.policies.get(name) {
                Some(current) if same(current, policy) => continue,
                Some(_) => {
                    self.phases.policies.push(statement(
                        format!("DROP POLICY {} ON {table}", ident(name)),
                        format!("policy {table}.{name}: it differs, so it is made again"),
                        brief(table),
                    ));
                    self.recreated.insert(format!("policy {table}.{name}"));
                    "it differs"
                }
                None => "missing",
            };
            self.note_roles(&policy.roles);
            self.phases.policies.push(statement(
                create(table, name, policy),
                format!("policy {table}.{name}: {why}"),
                brief(table),
            ));
        }
        for name in actual.policies.keys() {
            if expected.policies.contains_key(name) {
                continue;
            }
            self.extra(
                Object::Policy,
                format!("{table}.{name}"),
                statement(
                    format!("DROP POLICY {} ON {table}", ident(name)),
                    format!("policy {table}.{name}: not in the snapshot (--drop-extra)"),
                    brief(table),
                ),
            );
        }
    }
}
