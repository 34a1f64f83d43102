//! The blocks of everything that is not a relation: schemas, extensions, default privileges,
//! types, sequences, functions and the other kinds of object.

use std::fmt::Write;

use super::{name, quoted, render_comment, render_margin, render_privileged};
use crate::snapshot::datatype::TypeDefinition;
use crate::snapshot::privileges::GrantKind;
use crate::snapshot::{Function, Snapshot};

pub(super) fn render_schemas(out: &mut String, snapshot: &Snapshot) {
    for (schema_name, schema) in &snapshot.schemas {
        let _ = writeln!(out, "\nschema {schema_name}");
        render_privileged(out, &schema.privileged, GrantKind::Schema);
    }
}

pub(super) fn render_extensions(out: &mut String, snapshot: &Snapshot) {
    for (extension_name, extension) in &snapshot.extensions {
        let _ = writeln!(out, "\nextension {extension_name}");
        let _ = writeln!(out, "  schema {}", extension.schema);
        render_comment(out, "", &extension.comment);
    }
}

pub(super) fn render_default_privileges(out: &mut String, snapshot: &Snapshot) {
    for (key, entry) in &snapshot.default_privileges {
        let _ = writeln!(out, "\ndefault privileges {key}");
        // Every grant, always: no line here may read as "the default".
        if entry.grants.is_empty() {
            out.push_str("  no grants\n");
        }
        for (grantee, privileges) in &entry.grants {
            let _ = writeln!(out, "  grant {grantee} {privileges}");
        }
    }
}

pub(super) fn render_types(out: &mut String, snapshot: &Snapshot) {
    for (type_name, data_type) in &snapshot.types {
        let _ = writeln!(out, "\ntype {type_name}");
        match &data_type.definition {
            TypeDefinition::Enum { labels } => {
                out.push_str("  enum\n");
                for label in labels {
                    let _ = writeln!(out, "  label {}", quoted(label));
                }
            }
            TypeDefinition::Domain(domain) => {
                let _ = writeln!(out, "  domain {}", domain.base);
                if domain.not_null {
                    out.push_str("  not null\n");
                }
                if let Some(collation) = &domain.collation {
                    let _ = writeln!(out, "  collate {collation}");
                }
                if let Some(default) = &domain.default {
                    let _ = writeln!(out, "  default {default}");
                }
                for (constraint_name, definition) in &domain.constraints {
                    let _ = writeln!(out, "  constraint {} {definition}", name(constraint_name));
                }
            }
            TypeDefinition::Composite { attributes } => {
                out.push_str("  composite\n");
                for attribute in attributes {
                    let _ = write!(
                        out,
                        "  attribute {} {}",
                        name(&attribute.name),
                        attribute.data_type
                    );
                    if let Some(collation) = &attribute.collation {
                        let _ = write!(out, ", collate {collation}");
                    }
                    out.push('\n');
                }
            }
            TypeDefinition::Range(range) => {
                let _ = writeln!(out, "  range {}", range.subtype);
                let optional = [
                    ("opclass", &range.opclass),
                    ("collate", &range.collation),
                    ("canonical", &range.canonical),
                    ("subtype diff", &range.subtype_diff),
                    ("multirange", &range.multirange),
                ];
                for (word, value) in optional {
                    if let Some(value) = value {
                        let _ = writeln!(out, "  {word} {value}");
                    }
                }
            }
        }
        render_privileged(out, &data_type.privileged, GrantKind::Type);
    }
}

pub(super) fn render_sequences(out: &mut String, snapshot: &Snapshot) {
    for (sequence_name, sequence) in &snapshot.sequences {
        let _ = writeln!(out, "\nsequence {sequence_name}");
        let _ = writeln!(out, "  options {}", sequence.options);
        if let Some(column) = &sequence.owned_by {
            let _ = writeln!(out, "  owned by {column}");
        }
        if sequence.identity {
            out.push_str("  identity\n");
        }
        render_privileged(out, &sequence.privileged, GrantKind::Sequence);
    }
}

pub(super) fn render_function(out: &mut String, signature: &str, function: &Function) {
    let _ = writeln!(out, "\n{} {signature}", function.kind.word());
    if let Some(arguments) = &function.arguments {
        let _ = writeln!(out, "  arguments {arguments}");
    }
    if let Some(returns) = &function.returns {
        let _ = writeln!(out, "  returns {returns}");
    }
    let _ = writeln!(out, "  language {}", function.language);
    let _ = writeln!(out, "  volatility {}", function.volatility);
    let flags = [
        (function.strict, "strict"),
        (function.security_definer, "security definer"),
        (function.leakproof, "leakproof"),
    ];
    for (on, word) in flags {
        if on {
            let _ = writeln!(out, "  {word}");
        }
    }
    let optional = [
        ("parallel", &function.parallel),
        ("cost", &function.cost),
        ("rows", &function.rows),
    ];
    for (word, value) in optional {
        if let Some(value) = value {
            let _ = writeln!(out, "  {word} {value}");
        }
    }
    for setting in &function.settings {
        let _ = writeln!(out, "  set {setting}");
    }
    render_privileged(out, &function.privileged, GrantKind::Function);
    out.push_str("  body\n");
    render_margin(out, &function.body);
}

pub(super) fn render_others(out: &mut String, snapshot: &Snapshot) {
    for other in snapshot.others.values() {
        let _ = writeln!(out, "\nobject {}: {}", other.kind, other.identity);
        if let Some(owner) = &other.owner {
            let _ = writeln!(out, "  owner {owner}");
        }
        for (grantee, privileges) in &other.grants {
            let _ = writeln!(out, "  grant {grantee} {privileges}");
        }
        render_comment(out, "", &other.comment);
        if let Some(definition) = &other.definition {
            let _ = writeln!(out, "  definition {definition}");
        }
    }
}
