//! The answers of the queries of `objects.rs`, read into the snapshot's schemas, extensions,
//! default privileges, types, sequences and routines.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::acl::Roles;
use crate::snapshot::datatype::TypeDefinition;
use crate::snapshot::privileges::{GrantKind, Privileged};
use crate::snapshot::{
    Attribute, DataType, DefaultPrivileges, Domain, Extension, Function, Range, RoutineKind,
    Schema, Sequence,
};

#[derive(Deserialize)]
pub(super) struct SchemaRow {
    name: String,
    owner: String,
    acl_owner: String,
    grants: Vec<String>,
    comment: Option<String>,
}

pub(super) fn schemas(rows: Vec<SchemaRow>, all: &Roles) -> BTreeMap<String, Schema> {
    rows.into_iter()
        .map(|row| {
            let privileged = Privileged {
                owner: all.owner(&row.owner),
                grants: all.grants(&row.grants, &row.acl_owner, GrantKind::Schema),
                comment: row.comment,
            };
            (row.name, Schema { privileged })
        })
        .collect()
}

#[derive(Deserialize)]
pub(super) struct ExtensionRow {
    name: String,
    schema: String,
    comment: Option<String>,
}

pub(super) fn extensions(rows: Vec<ExtensionRow>) -> BTreeMap<String, Extension> {
    rows.into_iter()
        .map(|row| {
            let extension = Extension {
                schema: row.schema,
                comment: row.comment,
            };
            (row.name, extension)
        })
        .collect()
}

#[derive(Deserialize)]
pub(super) struct DefaultPrivilegesRow {
    role: String,
    schema: Option<String>,
    objtype: String,
    grants: Vec<String>,
}

pub(super) fn default_privileges(
    rows: Vec<DefaultPrivilegesRow>,
    all: &Roles,
) -> BTreeMap<String, DefaultPrivileges> {
    rows.into_iter()
        .map(|row| {
            let on = match row.objtype.as_str() {
                "S" => "sequences",
                "f" => "functions",
                "T" => "types",
                "n" => "schemas",
                _ => "tables",
            };
            let mut entry = DefaultPrivileges {
                role: all.owner(&row.role),
                schema: row.schema,
                on: on.to_string(),
                grants: Default::default(),
            };
            entry.grants = all.grants(&row.grants, &row.role, entry.kind());
            (entry.key(), entry)
        })
        .collect()
}

/// A range type's subtype, operator class, collation, canonical and subtype-difference
/// functions, and multirange type.
type RangeRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[derive(Deserialize)]
pub(super) struct TypeRow {
    name: String,
    kind: String,
    owner: String,
    grants: Vec<String>,
    comment: Option<String>,
    labels: Option<Vec<String>>,
    base: Option<String>,
    not_null: bool,
    default: Option<String>,
    collation: Option<String>,
    checks: Vec<(String, String)>,
    attributes: Option<Vec<(String, String, Option<String>)>>,
    range: Option<RangeRow>,
}

pub(super) fn types(rows: Vec<TypeRow>, all: &Roles) -> BTreeMap<String, DataType> {
    rows.into_iter()
        .map(|row| {
            let definition = match row.kind.as_str() {
                "e" => TypeDefinition::Enum {
                    labels: row.labels.unwrap_or_default(),
                },
                "d" => TypeDefinition::Domain(Domain {
                    base: row.base.unwrap_or_default(),
                    not_null: row.not_null,
                    default: row.default,
                    collation: row.collation,
                    constraints: row.checks.into_iter().collect(),
                }),
                "r" => {
                    let (subtype, opclass, collation, canonical, subtype_diff, multirange) =
                        row.range.unwrap_or_default();
                    TypeDefinition::Range(Range {
                        subtype,
                        opclass,
                        collation,
                        canonical,
                        subtype_diff,
                        multirange,
                    })
                }
                _ => TypeDefinition::Composite {
                    attributes: row
                        .attributes
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(name, data_type, collation)| Attribute {
                            name,
                            data_type,
                            collation,
                        })
                        .collect(),
                },
            };
            let privileged = Privileged {
                grants: all.grants(&row.grants, &row.owner, GrantKind::Type),
                owner: all.owner(&row.owner),
                comment: row.comment,
            };
            let data_type = DataType {
                definition,
                privileged,
            };
            (row.name, data_type)
        })
        .collect()
}

#[derive(Deserialize)]
pub(super) struct SequenceRow {
    name: String,
    options: String,
    owned_by: Option<String>,
    identity: bool,
    owner: String,
    grants: Vec<String>,
    comment: Option<String>,
}

pub(super) fn sequences(rows: Vec<SequenceRow>, all: &Roles) -> BTreeMap<String, Sequence> {
    rows.into_iter()
        .map(|row| {
            let sequence = Sequence {
                options: row.options,
                owned_by: row.owned_by,
                identity: row.identity,
                privileged: Privileged {
                    grants: all.grants(&row.grants, &row.owner, GrantKind::Sequence),
                    owner: all.owner(&row.owner),
                    comment: row.comment,
                },
            };
            (row.name, sequence)
        })
        .collect()
}

#[derive(Deserialize)]
pub(super) struct FunctionRow {
    signature: String,
    kind: String,
    arguments: Option<String>,
    returns: Option<String>,
    language: String,
    volatility: String,
    strict: bool,
    security_definer: bool,
    leakproof: bool,
    parallel: String,
    cost: Option<String>,
    rows: Option<String>,
    settings: Vec<String>,
    body: Option<String>,
    owner: String,
    grants: Vec<String>,
    comment: Option<String>,
}

pub(super) fn functions(rows: Vec<FunctionRow>, all: &Roles) -> BTreeMap<String, Function> {
    rows.into_iter()
        .map(|row| {
            let kind = match row.kind.as_str() {
                "p" => RoutineKind::Procedure,
                "a" => RoutineKind::Aggregate,
                _ => RoutineKind::Function,
            };
            let volatility = match row.volatility.as_str() {
                "i" => "immutable",
                "s" => "stable",
                _ => "volatile",
            };
            let parallel = match row.parallel.as_str() {
                "s" => Some("safe".to_string()),
                "r" => Some("restricted".to_string()),
                _ => None,
            };
            let function = Function {
                kind,
                arguments: row.arguments,
                returns: row.returns.filter(|_| kind != RoutineKind::Procedure),
                language: row.language,
                volatility: volatility.to_string(),
                strict: row.strict,
                security_definer: row.security_definer,
                leakproof: row.leakproof,
                parallel,
                cost: row.cost,
                rows: row.rows,
                settings: row.settings,
                body: row.body.unwrap_or_default(),
                privileged: Privileged {
                    grants: all.grants(&row.grants, &row.owner, GrantKind::Function),
                    owner: all.owner(&row.owner),
                    comment: row.comment,
                },
            };
            (row.signature, function)
        })
        .collect()
}
