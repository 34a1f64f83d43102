//! A table's triggers: renamed when only the name differs, created when missing, and their
//! enabled state set as the snapshot has it.

use std::collections::BTreeSet;

use super::{Planner, brief, statement, twin};
use crate::adopt::ddl::{self, ident};
use crate::snapshot::{Object, Table, Trigger, TriggerState};

impl Planner<'_> {
    pub(super) fn triggers(&mut self, table: &str, expected: &Table, actual: &Table) {
        let mut renamed_from = BTreeSet::new();
        for (name, trigger) in &expected.triggers {
            let qualified = format!("{table}.{name}");
            let current = match actual.triggers.get(name) {
                Some(current) if current.definition == trigger.definition => Some(current),
                Some(_) => {
                    self.phases.triggers.push(statement(
                        format!("DROP TRIGGER {} ON {}", ident(name), table),
                        format!("trigger {qualified}: its definition differs"),
                        brief(table),
                    ));
                    self.create_trigger(table, name, trigger, "its definition differs");
                    self.recreated.insert(format!("trigger {qualified}"));
                    continue;
                }
                None => {
                    let twin = twin(&actual.triggers, &expected.triggers, &renamed_from, |t| {
                        t.definition == trigger.definition
                    })
                    .map(|old| {
                        let current = &actual.triggers[&old];
                        (old, current)
                    });
                    match twin {
                        Some((old, t)) => {
                            self.phases.renames.push(statement(
                                format!(
                                    "ALTER TRIGGER {} ON {} RENAME TO {}",
                                    ident(&old),
                                    table,
                                    ident(name)
                                ),
                                format!("trigger {qualified}: missing; {old} has its definition"),
                                brief(table),
                            ));
                            renamed_from.insert(old);
                            Some(t)
                        }
                        None => {
                            self.create_trigger(table, name, trigger, "missing");
                            None
                        }
                    }
                }
            };
            if let Some(current) = current
                && current.state != trigger.state
            {
                self.set_state(table, name, trigger);
            }
        }
        for name in actual.triggers.keys() {
            if expected.triggers.contains_key(name) || renamed_from.contains(name) {
                continue;
            }
            self.extra(
                Object::Trigger,
                format!("{table}.{name}"),
                statement(
                    format!("DROP TRIGGER {} ON {}", ident(name), table),
                    format!("trigger {table}.{name}: not in the snapshot (--drop-extra)"),
                    brief(table),
                ),
            );
        }
    }

    fn create_trigger(&mut self, table: &str, name: &str, trigger: &Trigger, why: &str) {
        self.phases.triggers.push(statement(
            ddl::create_trigger(name, trigger),
            format!("trigger {table}.{name}: {why}"),
            format!("SHARE ROW EXCLUSIVE on {table}, brief"),
        ));
        if trigger.state != TriggerState::Enabled {
            self.set_state(table, name, trigger);
        }
    }

    fn set_state(&mut self, table: &str, name: &str, trigger: &Trigger) {
        let verb = match trigger.state {
            TriggerState::Enabled => "ENABLE TRIGGER",
            TriggerState::Disabled => "DISABLE TRIGGER",
            TriggerState::Replica => "ENABLE REPLICA TRIGGER",
            TriggerState::Always => "ENABLE ALWAYS TRIGGER",
        };
        self.phases.triggers.push(statement(
            format!("ALTER TABLE {} {verb} {}", table, ident(name)),
            format!("trigger {table}.{name}: state"),
            format!("SHARE ROW EXCLUSIVE on {table}, brief"),
        ));
    }
}
