//! The blocks of everything that is not a relation, read back.

use super::{Open, grant_line, privileged_line, token, unquoted};
use crate::snapshot::datatype::TypeDefinition;
use crate::snapshot::privileges::GrantKind;
use crate::snapshot::{
    Attribute, DataType, DefaultPrivileges, Domain, Extension, Function, Other, Privileged, Range,
    RoutineKind, Schema, Sequence, Snapshot,
};

/// Opens the object a header line names; `None` when it is not one of these kinds.
pub(super) fn header(snapshot: &mut Snapshot, line: &str) -> Option<Result<Open, String>> {
    let (keyword, rest) = line.split_once(' ')?;
    if rest.is_empty() {
        return None;
    }
    let key = rest.to_string();
    let open = match keyword {
        "schema" => {
            let schema = Schema {
                privileged: Privileged::created(GrantKind::Schema),
            };
            snapshot.schemas.insert(key.clone(), schema);
            Open::Schema(key)
        }
        "extension" => {
            snapshot
                .extensions
                .insert(key.clone(), Extension::default());
            Open::Extension(key)
        }
        "default" => {
            let entry = match default_privileges(rest) {
                Ok(entry) => entry,
                Err(reason) => return Some(Err(reason)),
            };
            let key = entry.key();
            snapshot.default_privileges.insert(key.clone(), entry);
            Open::DefaultPrivileges(key)
        }
        "type" => {
            let data_type = DataType {
                definition: TypeDefinition::Enum { labels: Vec::new() },
                privileged: Privileged::created(GrantKind::Type),
            };
            snapshot.types.insert(key.clone(), data_type);
            Open::Type(key)
        }
        "sequence" => {
            snapshot.sequences.insert(key.clone(), Sequence::default());
            Open::Sequence(key)
        }
        "function" | "procedure" | "aggregate" => {
            let kind = match keyword {
                "procedure" => RoutineKind::Procedure,
                "aggregate" => RoutineKind::Aggregate,
                _ => RoutineKind::Function,
            };
            let function = Function {
                kind,
                language: String::new(),
                volatility: String::new(),
                ..Function::default()
            };
            snapshot.functions.insert(key.clone(), function);
            Open::Function(key)
        }
        "object" => {
            let Some((kind, identity)) = rest.split_once(": ") else {
                return Some(Err(format!("`{line}`: expected `object KIND: IDENTITY`")));
            };
            let other = Other {
                kind: kind.to_string(),
                identity: identity.to_string(),
                ..Other::default()
            };
            let key = other.key();
            snapshot.others.insert(key.clone(), other);
            Open::Other(key)
        }
        _ => return None,
    };
    Some(Ok(open))
}

/// `privileges for ROLE [in schema SCHEMA] on KIND`.
fn default_privileges(text: &str) -> Result<DefaultPrivileges, String> {
    let expected = || {
        format!(
            "`default {text}`: expected `default privileges for ROLE [in schema SCHEMA] on KIND`"
        )
    };
    let rest = text.strip_prefix("privileges for ").ok_or_else(expected)?;
    let (role, rest) = rest.split_once(' ').ok_or_else(expected)?;
    let (schema, rest) = match rest.strip_prefix("in schema ") {
        Some(rest) => {
            let (schema, rest) = rest.split_once(' ').ok_or_else(expected)?;
            (Some(schema.to_string()), rest)
        }
        None => (None, rest),
    };
    let on = rest.strip_prefix("on ").ok_or_else(expected)?;
    Ok(DefaultPrivileges {
        role: role.to_string(),
        schema,
        on: on.to_string(),
        grants: Default::default(),
    })
}

/// A property line of the open object.
pub(super) fn line(
    snapshot: &mut Snapshot,
    open: &Open,
    line: &str,
    grants_written: &mut bool,
) -> Result<(), String> {
    let unknown = |expected: &str| Err(format!("`{line}`: expected {expected}"));
    match open {
        Open::Schema(key) => {
            let schema = snapshot.schemas.get_mut(key).expect("opened");
            privileged_line(&mut schema.privileged, line, grants_written)
                .unwrap_or_else(|| unknown("owner, grant or comment"))
        }
        Open::Extension(key) => {
            let extension = snapshot.extensions.get_mut(key).expect("opened");
            if let Some(schema) = line.strip_prefix("schema ") {
                extension.schema = schema.to_string();
                Ok(())
            } else if let Some(comment) = line.strip_prefix("comment ") {
                extension.comment = Some(unquoted(comment)?);
                Ok(())
            } else {
                unknown("schema or comment")
            }
        }
        Open::DefaultPrivileges(key) => {
            let entry = snapshot.default_privileges.get_mut(key).expect("opened");
            grant_line(&mut entry.grants, line, grants_written).unwrap_or_else(|| unknown("grant"))
        }
        Open::Type(key) => type_line(
            snapshot.types.get_mut(key).expect("opened"),
            line,
            grants_written,
        ),
        Open::Sequence(key) => {
            let sequence = snapshot.sequences.get_mut(key).expect("opened");
            if let Some(options) = line.strip_prefix("options ") {
                sequence.options = options.to_string();
            } else if let Some(column) = line.strip_prefix("owned by ") {
                sequence.owned_by = Some(column.to_string());
            } else if line == "identity" {
                sequence.identity = true;
            } else {
                return privileged_line(&mut sequence.privileged, line, grants_written)
                    .unwrap_or_else(|| {
                        unknown("options, owned by, identity, owner, grant or comment")
                    });
            }
            Ok(())
        }
        Open::Function(key) => function_line(
            snapshot.functions.get_mut(key).expect("opened"),
            line,
            grants_written,
        ),
        Open::Other(key) => {
            let other = snapshot.others.get_mut(key).expect("opened");
            if let Some(owner) = line.strip_prefix("owner ") {
                other.owner = Some(owner.to_string());
                Ok(())
            } else if let Some(definition) = line.strip_prefix("definition ") {
                other.definition = Some(definition.to_string());
                Ok(())
            } else if let Some(comment) = line.strip_prefix("comment ") {
                other.comment = Some(unquoted(comment)?);
                Ok(())
            } else {
                let mut written = true;
                grant_line(&mut other.grants, line, &mut written)
                    .unwrap_or_else(|| unknown("owner, grant, comment or definition"))
            }
        }
        Open::Nothing | Open::Table(..) => unreachable!("handled by the caller"),
    }
}

fn type_line(
    data_type: &mut DataType,
    line: &str,
    grants_written: &mut bool,
) -> Result<(), String> {
    let definition = &mut data_type.definition;
    if line == "enum" {
        *definition = TypeDefinition::Enum { labels: Vec::new() };
    } else if line == "composite" {
        *definition = TypeDefinition::Composite {
            attributes: Vec::new(),
        };
    } else if let Some(base) = line.strip_prefix("domain ") {
        *definition = TypeDefinition::Domain(Domain {
            base: base.to_string(),
            ..Domain::default()
        });
    } else if let Some(subtype) = line.strip_prefix("range ") {
        *definition = TypeDefinition::Range(Range {
            subtype: subtype.to_string(),
            ..Range::default()
        });
    } else if let Some(result) = privileged_line(&mut data_type.privileged, line, grants_written) {
        return result;
    } else {
        return kind_line(definition, line);
    }
    Ok(())
}

/// A line that only one kind of type has.
fn kind_line(definition: &mut TypeDefinition, line: &str) -> Result<(), String> {
    let word = definition.word();
    let wrong = || {
        Err(format!(
            "`{line}`: a type of kind {word} has no such property"
        ))
    };
    match definition {
        TypeDefinition::Enum { labels } => match line.strip_prefix("label ") {
            Some(label) => labels.push(unquoted(label)?),
            None => return wrong(),
        },
        TypeDefinition::Domain(domain) => {
            if line == "not null" {
                domain.not_null = true;
            } else if let Some(collation) = line.strip_prefix("collate ") {
                domain.collation = Some(collation.to_string());
            } else if let Some(default) = line.strip_prefix("default ") {
                domain.default = Some(default.to_string());
            } else if let Some(rest) = line.strip_prefix("constraint ") {
                let (name, definition) = token(rest)?;
                domain.constraints.insert(name, definition.to_string());
            } else {
                return wrong();
            }
        }
        TypeDefinition::Composite { attributes } => match line.strip_prefix("attribute ") {
            Some(rest) => {
                let (name, rest) = token(rest)?;
                let (data_type, collation) = match rest.split_once(", collate ") {
                    Some((t, c)) => (t, Some(c.to_string())),
                    None => (rest, None),
                };
                attributes.push(Attribute {
                    name,
                    data_type: data_type.to_string(),
                    collation,
                });
            }
            None => return wrong(),
        },
        TypeDefinition::Range(range) => {
            let slots = [
                ("opclass ", &mut range.opclass),
                ("collate ", &mut range.collation),
                ("canonical ", &mut range.canonical),
                ("subtype diff ", &mut range.subtype_diff),
                ("multirange ", &mut range.multirange),
            ];
            let mut found = false;
            for (prefix, slot) in slots {
                if let Some(value) = line.strip_prefix(prefix) {
                    *slot = Some(value.to_string());
                    found = true;
                    break;
                }
            }
            if !found {
                return wrong();
            }
        }
    }
    Ok(())
}

fn function_line(
    function: &mut Function,
    line: &str,
    grants_written: &mut bool,
) -> Result<(), String> {
    let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
    match (keyword, rest) {
        ("arguments", arguments) if !arguments.is_empty() => {
            function.arguments = Some(arguments.into())
        }
        ("returns", returns) if !returns.is_empty() => function.returns = Some(returns.into()),
        ("language", language) if !language.is_empty() => function.language = language.into(),
        ("volatility", v @ ("immutable" | "stable" | "volatile")) => function.volatility = v.into(),
        ("strict", "") => function.strict = true,
        ("security", "definer") => function.security_definer = true,
        ("leakproof", "") => function.leakproof = true,
        ("parallel", p @ ("safe" | "restricted")) => function.parallel = Some(p.into()),
        ("cost", cost) if !cost.is_empty() => function.cost = Some(cost.into()),
        ("rows", rows) if !rows.is_empty() => function.rows = Some(rows.into()),
        ("set", setting) if !setting.is_empty() => function.settings.push(setting.into()),
        _ => {
            return privileged_line(&mut function.privileged, line, grants_written).unwrap_or_else(|| {
                Err(format!(
                    "`{line}`: expected arguments, returns, language, volatility, strict, security \
                     definer, leakproof, parallel, cost, rows, set, owner, grant, comment or body"
                ))
            });
        }
    }
    Ok(())
}
