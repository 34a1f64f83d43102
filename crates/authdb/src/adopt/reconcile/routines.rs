//! Functions, procedures and aggregates: created or replaced in place (`CREATE OR REPLACE`),
//! refused when the result type differs (only DROP changes it, and what depends on the function
//! would go too), kept or dropped when extra. A function written in SQL is created once the
//! tables exist: PostgreSQL checks its body against them.

use super::privileges::Target;
use super::{Planner, statement};
use crate::adopt::Refusal;
use crate::adopt::ddl;
use crate::snapshot::{Function, GrantKind, RoutineKind, Snapshot};

/// How statements name a routine: `FUNCTION f(integer)`.
fn target(signature: &str, function: &Function) -> Target {
    let word = function.kind.sql_word();
    let grant_word = match function.kind {
        RoutineKind::Procedure => "PROCEDURE",
        _ => "FUNCTION",
    };
    Target {
        alter: format!("{word} {signature}"),
        grant: format!("{grant_word} {signature}"),
        comment: format!("{word} {signature}"),
        describe: format!("{} {signature}", function.kind.word()),
        lock: "no table lock".into(),
    }
}

impl Planner<'_> {
    pub(super) fn functions(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (signature, expected) in &wanted.functions {
            let word = expected.kind.word();
            let definition = |f: &Function| Function {
                privileged: Default::default(),
                ..f.clone()
            };
            let current = live.functions.get(signature);
            let resolves = match current {
                None => format!("{word} {signature}: missing"),
                Some(actual) if definition(actual) == definition(expected) => {
                    self.privileged(
                        &target(signature, expected),
                        &expected.privileged,
                        &actual.privileged,
                    );
                    continue;
                }
                Some(actual)
                    if actual.returns != expected.returns || actual.kind != expected.kind =>
                {
                    self.refuse(Refusal::new(format!(
                        "{word} {signature} returns {}, the schema's returns {}: CREATE OR \
                         REPLACE cannot change a result type or a kind; drop it by hand first",
                        actual.returns.as_deref().unwrap_or("nothing"),
                        expected.returns.as_deref().unwrap_or("nothing")
                    )));
                    continue;
                }
                Some(_) => format!(
                    "{word} {signature}: its definition differs (body, language or options)"
                ),
            };
            let create = statement(
                ddl::create_function(signature, expected),
                resolves,
                "no table lock",
            );
            let late = expected.language == "sql" || expected.kind == RoutineKind::Aggregate;
            if late {
                self.phases.sql_functions.push(create);
            } else {
                self.phases.functions.push(create);
            }
            let actual = match current {
                Some(actual) => actual.privileged.clone(),
                None => self.created(GrantKind::Function, signature),
            };
            self.privileged(&target(signature, expected), &expected.privileged, &actual);
        }
    }

    pub(super) fn extra_functions(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (signature, function) in &live.functions {
            if !wanted.functions.contains_key(signature) {
                let kind = function.kind;
                self.extra(
                    kind.object(),
                    signature.clone(),
                    statement(
                        format!("DROP {} {signature}", kind.sql_word()),
                        format!(
                            "{} {signature}: not in the snapshot (--drop-extra)",
                            kind.word()
                        ),
                        "no table lock",
                    ),
                );
            }
        }
    }
}
