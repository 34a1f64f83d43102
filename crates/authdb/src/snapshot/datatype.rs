//! Types a migration creates: enums (their labels, in order), domains (base type, NOT NULL,
//! default, collation and CHECK constraints), composite types (their attributes) and range
//! types, each with its owner, privileges and comment.

use std::collections::BTreeMap;

use serde::Serialize;

use super::privileges::Privileged;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataType {
    pub definition: TypeDefinition,
    pub privileged: Privileged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeDefinition {
    /// The labels in their sort order: the order comparisons and ORDER BY use.
    Enum {
        labels: Vec<String>,
    },
    Domain(Domain),
    Composite {
        attributes: Vec<Attribute>,
    },
    Range(Range),
}

impl TypeDefinition {
    /// How the snapshot and messages call the kind.
    pub fn word(&self) -> &'static str {
        match self {
            TypeDefinition::Enum { .. } => "enum",
            TypeDefinition::Domain(_) => "domain",
            TypeDefinition::Composite { .. } => "composite",
            TypeDefinition::Range(_) => "range",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Domain {
    /// The underlying type, as `format_type` spells it.
    pub base: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// Only when it is not the base type's.
    pub collation: Option<String>,
    /// CHECK constraints by name, as `pg_get_constraintdef` prints them.
    pub constraints: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attribute {
    pub name: String,
    pub data_type: String,
    pub collation: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Range {
    pub subtype: String,
    /// The subtype's operator class, when it is not the default one.
    pub opclass: Option<String>,
    pub collation: Option<String>,
    pub canonical: Option<String>,
    pub subtype_diff: Option<String>,
    /// The multirange type PostgreSQL made with it.
    pub multirange: Option<String>,
}
