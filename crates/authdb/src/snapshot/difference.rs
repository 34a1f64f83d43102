//! A difference between two snapshots, and how it reads: "index sessions_expires_at_idx:
//! missing", "column sessions.expires_at: type is timestamp without time zone, expected timestamp
//! with time zone". The same value serialises for `--json`.

use std::fmt;

use serde::Serialize;

/// One way the actual schema differs from the expected one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub object: Object,
    /// `sessions.expires_at` for what belongs to a table (columns, constraints, triggers,
    /// storage parameters);
    /// just the name for what is unique in the schema (tables, indexes, functions, extensions).
    pub name: String,
    pub change: Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Object {
    Extension,
    Function,
    Table,
    Column,
    Constraint,
    Index,
    Trigger,
    /// A table's `WITH (name = value)`: `users.fillfactor`.
    StorageParameter,
}

impl Object {
    /// What the object is called in a sentence.
    pub fn word(self) -> &'static str {
        match self {
            Object::Extension => "extension",
            Object::Function => "function",
            Object::Table => "table",
            Object::Column => "column",
            Object::Constraint => "constraint",
            Object::Index => "index",
            Object::Trigger => "trigger",
            Object::StorageParameter => "storage parameter",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// In the expected schema, not in the actual one.
    Missing,
    /// In the actual schema, not in the expected one.
    Unexpected,
    /// Both have it, with a different value of one property; `None` is "there is none".
    Differs {
        property: Property,
        actual: Option<String>,
        expected: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    Kind,
    Type,
    Nullability,
    Collation,
    Identity,
    Default,
    Generated,
    ColumnOrder,
    Persistence,
    RowLevelSecurity,
    ForceRowLevelSecurity,
    ReplicaIdentity,
    AccessMethod,
    PartitionKey,
    /// Whether the table is a partition, of which table, with which bound.
    Partition,
    Inherits,
    /// A storage parameter's value; none is its default.
    Value,
    Definition,
    OnDelete,
    Method,
    Uniqueness,
    Validity,
    State,
    Returns,
    Language,
    Volatility,
    Strictness,
    Security,
    Settings,
    Body,
}

impl Property {
    /// What the property is called in a sentence, or `None` when its values say it alone
    /// ("nullable, expected NOT NULL").
    fn label(self) -> Option<&'static str> {
        Some(match self {
            Property::Kind => "kind",
            Property::Type => "type",
            Property::Collation => "collation",
            Property::Identity => "identity",
            Property::Default => "default",
            Property::Generated => "generation expression",
            Property::ColumnOrder => "column order",
            Property::Definition => "definition",
            Property::OnDelete => "ON DELETE action",
            Property::Method => "method",
            Property::Returns => "return type",
            Property::Language => "language",
            Property::Volatility => "volatility",
            Property::Settings => "settings",
            Property::ReplicaIdentity => "replica identity",
            Property::AccessMethod => "access method",
            Property::PartitionKey => "partition key",
            Property::Nullability
            | Property::Persistence
            | Property::RowLevelSecurity
            | Property::ForceRowLevelSecurity
            | Property::Partition
            | Property::Inherits
            | Property::Value
            | Property::Uniqueness
            | Property::Validity
            | Property::State
            | Property::Strictness
            | Property::Security
            | Property::Body => return None,
        })
    }

    /// How "there is none" reads for this property.
    fn none(self) -> &'static str {
        match self {
            Property::Value => "the default",
            Property::Partition => "not a partition",
            Property::Inherits => "inherits nothing",
            _ => "none",
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.object.word(), self.name)?;
        match &self.change {
            Change::Missing => f.write_str("missing"),
            Change::Unexpected => f.write_str("not in the snapshot"),
            Change::Differs {
                property: Property::Body,
                ..
            } => f.write_str("the body differs from the snapshot's"),
            Change::Differs {
                property,
                actual,
                expected,
            } => {
                let none = property.none();
                match (property.label(), actual) {
                    (Some(label), Some(actual)) => write!(f, "{label} is {actual}")?,
                    (Some(label), None) => write!(f, "no {label}")?,
                    (None, actual) => f.write_str(actual.as_deref().unwrap_or(none))?,
                }
                write!(f, ", expected {}", expected.as_deref().unwrap_or(none))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_sentences() {
        let differs = |property, actual: Option<&str>, expected: Option<&str>| Difference {
            object: Object::Column,
            name: "sessions.expires_at".into(),
            change: Change::Differs {
                property,
                actual: actual.map(Into::into),
                expected: expected.map(Into::into),
            },
        };
        let cases = [
            (
                differs(
                    Property::Type,
                    Some("timestamp without time zone"),
                    Some("timestamp with time zone"),
                ),
                "column sessions.expires_at: type is timestamp without time zone, expected timestamp with time zone",
            ),
            (
                differs(Property::Nullability, Some("nullable"), Some("NOT NULL")),
                "column sessions.expires_at: nullable, expected NOT NULL",
            ),
            (
                differs(Property::Default, None, Some("now()")),
                "column sessions.expires_at: no default, expected now()",
            ),
            (
                differs(Property::Default, Some("now()"), None),
                "column sessions.expires_at: default is now(), expected none",
            ),
        ];
        for (difference, message) in cases {
            assert_eq!(difference.to_string(), message);
        }
    }
}
