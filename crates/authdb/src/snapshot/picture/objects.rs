//! The picture's sections after the tables: types, sequences, schemas, default privileges,
//! extensions and the other kinds of object, each only when there is something to show.

use std::fmt::Write;

use super::{code, grant_items, privileged_items};
use crate::snapshot::diff::owner_table;
use crate::snapshot::privileges::{GrantKind, Privileged};
use crate::snapshot::{Snapshot, TypeDefinition};

pub(super) fn render(out: &mut String, snapshot: &Snapshot) {
    types(out, snapshot);
    sequences(out, snapshot);
    schemas(out, snapshot);
    default_privileges(out, snapshot);
    if !snapshot.extensions.is_empty() {
        out.push_str("\n## Extensions\n\n");
        for (name, extension) in &snapshot.extensions {
            let _ = writeln!(
                out,
                "- {} in schema {}",
                code(name),
                code(&extension.schema)
            );
        }
    }
    if !snapshot.others.is_empty() {
        out.push_str("\n## Other objects\n\n");
        for other in snapshot.others.values() {
            let mut facts = Vec::new();
            facts.extend(other.definition.iter().map(|d| code(d)));
            facts.extend(other.owner.iter().map(|o| format!("owner {}", code(o))));
            facts.extend(
                other
                    .grants
                    .iter()
                    .map(|(grantee, privileges)| format!("{} may {privileges}", code(grantee))),
            );
            let facts = if facts.is_empty() {
                String::new()
            } else {
                format!(": {}", facts.join("; "))
            };
            let _ = writeln!(out, "- {} {}{facts}", other.kind, code(&other.identity));
        }
    }
}

fn types(out: &mut String, snapshot: &Snapshot) {
    if snapshot.types.is_empty() {
        return;
    }
    out.push_str("\n## Types\n\n");
    for (name, data_type) in &snapshot.types {
        let what = match &data_type.definition {
            TypeDefinition::Enum { labels } => {
                let labels: Vec<String> = labels.iter().map(|l| code(l)).collect();
                format!("enum of {}", labels.join(", "))
            }
            TypeDefinition::Domain(domain) => {
                let mut facts = vec![format!("domain over {}", code(&domain.base))];
                if domain.not_null {
                    facts.push("not null".into());
                }
                facts.extend(
                    domain
                        .default
                        .iter()
                        .map(|d| format!("default {}", code(d))),
                );
                facts.extend(domain.constraints.values().map(|c| code(c)));
                facts.join(", ")
            }
            TypeDefinition::Composite { attributes } => {
                let attributes: Vec<String> = attributes
                    .iter()
                    .map(|a| code(&format!("{} {}", a.name, a.data_type)))
                    .collect();
                format!("composite of {}", attributes.join(", "))
            }
            TypeDefinition::Range(range) => format!("range of {}", code(&range.subtype)),
        };
        let items = privileged_items(&data_type.privileged, GrantKind::Type);
        let _ = writeln!(out, "- {}: {what}{}", code(name), suffix(&items));
    }
}

fn sequences(out: &mut String, snapshot: &Snapshot) {
    // An identity column's sequence is its column's business.
    let shown: Vec<_> = snapshot
        .sequences
        .iter()
        .filter(|(_, s)| !s.identity)
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str("\n## Sequences\n\n");
    for (name, sequence) in shown {
        let mut facts = vec![code(&sequence.options)];
        if let Some(column) = &sequence.owned_by {
            facts.push(format!(
                "owned by {} of {}",
                code(column),
                code(owner_table(column))
            ));
        }
        let items = privileged_items(&sequence.privileged, GrantKind::Sequence);
        let _ = writeln!(
            out,
            "- {}: {}{}",
            code(name),
            facts.join(", "),
            suffix(&items)
        );
    }
}

fn schemas(out: &mut String, snapshot: &Snapshot) {
    let initial = Privileged::initial_public();
    let shown: Vec<_> = snapshot
        .schemas
        .iter()
        .filter(|(name, s)| !(*name == "public" && s.privileged == initial))
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str("\n## Schemas\n\n");
    for (name, schema) in shown {
        let items = privileged_items(&schema.privileged, GrantKind::Schema);
        let _ = writeln!(out, "- {}{}", code(name), suffix(&items));
    }
}

fn default_privileges(out: &mut String, snapshot: &Snapshot) {
    if snapshot.default_privileges.is_empty() {
        return;
    }
    out.push_str("\n## Default privileges\n\n");
    for (key, entry) in &snapshot.default_privileges {
        let items = grant_items(&entry.grants, &entry.implicit(), "");
        let items = if items.is_empty() {
            vec!["as without the entry".to_string()]
        } else {
            items
        };
        let _ = writeln!(out, "- {key}: {}", items.join("; "));
    }
}

/// `; item; item` after what an entry says, or nothing.
fn suffix(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("; {}", items.join("; "))
    }
}
