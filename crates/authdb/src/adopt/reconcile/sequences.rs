//! Sequences: created with the snapshot's options before the tables whose defaults call them,
//! given to their column once it exists (`OWNED BY`), their options altered in place. An
//! identity column's sequence comes and goes with its column. Their current values are data,
//! and never touched.

use super::privileges::Target;
use super::{Planner, statement};
use crate::snapshot::{GrantKind, Object, Sequence, Snapshot};

/// The snapshot's options (`as integer, start 1, increment 1, min 1, max 10, cache 1, cycle`)
/// as `CREATE SEQUENCE` and `ALTER SEQUENCE` take them.
fn clauses(options: &str) -> String {
    let mut sql = Vec::new();
    let mut cycle = "NO CYCLE";
    for item in options.split(", ") {
        let (word, value) = item.split_once(' ').unwrap_or((item, ""));
        let clause = match word {
            "as" => "AS",
            "start" => "START WITH",
            "increment" => "INCREMENT BY",
            "min" => "MINVALUE",
            "max" => "MAXVALUE",
            "cache" => "CACHE",
            "cycle" => {
                cycle = "CYCLE";
                continue;
            }
            _ => continue,
        };
        sql.push(format!("{clause} {value}"));
    }
    sql.push(cycle.to_string());
    sql.join(" ")
}

fn target(name: &str) -> Target {
    Target {
        alter: format!("SEQUENCE {name}"),
        grant: format!("SEQUENCE {name}"),
        comment: format!("SEQUENCE {name}"),
        describe: format!("sequence {name}"),
        lock: "no table lock".into(),
    }
}

impl Planner<'_> {
    pub(super) fn sequences(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (name, expected) in &wanted.sequences {
            let actual = match live.sequences.get(name) {
                Some(actual) => actual.clone(),
                // Comes with its column, or is refused with it.
                None if expected.identity => continue,
                None => {
                    self.phases.sequences.push(statement(
                        format!("CREATE SEQUENCE {name} {}", clauses(&expected.options)),
                        format!("sequence {name}: missing"),
                        "none: a new sequence",
                    ));
                    Sequence {
                        options: expected.options.clone(),
                        privileged: self.created(GrantKind::Sequence, name),
                        ..Sequence::default()
                    }
                }
            };
            if actual.options != expected.options {
                self.phases.sequences.push(statement(
                    format!("ALTER SEQUENCE {name} {}", clauses(&expected.options)),
                    format!(
                        "sequence {name}: options are {}, expected {}",
                        actual.options, expected.options
                    ),
                    format!("ACCESS EXCLUSIVE on {name}, brief"),
                ));
            }
            if actual.owned_by != expected.owned_by && !expected.identity {
                let column = expected.owned_by.as_deref().unwrap_or("NONE");
                self.phases.sequence_owners.push(statement(
                    format!("ALTER SEQUENCE {name} OWNED BY {column}"),
                    format!(
                        "sequence {name}: owned by {}, expected {column}",
                        actual.owned_by.as_deref().unwrap_or("no column")
                    ),
                    "no table lock",
                ));
            }
            // A sequence a column owns has its table's owner: ALTER TABLE gives it along.
            let mut actual_privileged = actual.privileged.clone();
            if expected.owned_by.is_some() {
                actual_privileged.owner = expected.privileged.owner.clone();
            }
            self.privileged(&target(name), &expected.privileged, &actual_privileged);
        }
    }

    pub(super) fn extra_sequences(&mut self, live: &Snapshot, wanted: &Snapshot) {
        for (name, sequence) in &live.sequences {
            // One a column owns goes with its column or table.
            if wanted.sequences.contains_key(name) || sequence.owned_by.is_some() {
                continue;
            }
            self.extra(
                Object::Sequence,
                name.clone(),
                statement(
                    format!("DROP SEQUENCE {name}"),
                    format!("sequence {name}: not in the snapshot (--drop-extra)"),
                    "no table lock",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_clauses() {
        assert_eq!(
            clauses("as integer, start 10, increment 5, min 1, max 1000, cache 2, cycle"),
            "AS integer START WITH 10 INCREMENT BY 5 MINVALUE 1 MAXVALUE 1000 CACHE 2 CYCLE"
        );
        assert_eq!(
            clauses("as bigint, start 1, increment 1, min 1, max 9, cache 1"),
            "AS bigint START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 9 CACHE 1 NO CYCLE"
        );
    }
}
