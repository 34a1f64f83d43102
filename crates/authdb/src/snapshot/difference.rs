//! A difference between two snapshots, and how it reads: "index sessions_expires_at_idx:
//! missing", "column sessions.expires_at: type is timestamp without time zone, expected timestamp
//! with time zone", "table users: PUBLIC has ALL, expected none". The same value serialises for
//! `--json`.

use std::fmt;

use serde::Serialize;

/// One way the actual schema differs from the expected one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub object: Object,
    /// `sessions.expires_at` for what belongs to a table (columns, constraints, triggers,
    /// storage parameters);
    /// just the name for what is unique in the schema (tables, indexes, functions, extensions);
    /// kind and identity for the other kinds of object (`rule r on app.t`).
    pub name: String,
    /// Whose privileges differ, for a difference in privileges: `PUBLIC`, `$owner`, a role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee: Option<String>,
    pub change: Change,
}

impl Difference {
    pub fn new(object: Object, name: impl Into<String>, change: Change) -> Difference {
        Difference {
            object,
            name: name.into(),
            grantee: None,
            change,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Object {
    Schema,
    Extension,
    DefaultPrivileges,
    Type,
    Sequence,
    Function,
    Procedure,
    Aggregate,
    Table,
    View,
    MaterializedView,
    ForeignTable,
    Column,
    Constraint,
    Index,
    Trigger,
    Policy,
    /// A table's `WITH (name = value)`: `users.fillfactor`.
    StorageParameter,
    /// Any other kind of object; its name says which.
    Other,
    /// authdb's own `public.authdb_schema_migrations`.
    TrackingTable,
}

impl Object {
    /// What the object is called in a sentence.
    pub fn word(self) -> &'static str {
        match self {
            Object::Schema => "schema",
            Object::Extension => "extension",
            Object::DefaultPrivileges => "default privileges",
            Object::Type => "type",
            Object::Sequence => "sequence",
            Object::Function => "function",
            Object::Procedure => "procedure",
            Object::Aggregate => "aggregate",
            Object::Table => "table",
            Object::View => "view",
            Object::MaterializedView => "materialized view",
            Object::ForeignTable => "foreign table",
            Object::Column => "column",
            Object::Constraint => "constraint",
            Object::Index => "index",
            Object::Trigger => "trigger",
            Object::Policy => "policy",
            Object::StorageParameter => "storage parameter",
            Object::Other => "object",
            Object::TrackingTable => "tracking table",
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
    Owner,
    /// A grantee's privileges; [`Difference::grantee`] says whose.
    Privileges,
    Comment,
    /// A column's or an index column's statistics target.
    Statistics,
    Storage,
    Compression,
    /// A column's, a sequence's or a type's options.
    Options,
    Labels,
    BaseType,
    Attributes,
    Schema,
    OwnedBy,
    ClusteredOn,
    Command,
    Permissive,
    Roles,
    Using,
    WithCheck,
    Arguments,
    Leakproof,
    Parallel,
    Cost,
    Rows,
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
            Property::Owner => "owner",
            Property::Comment => "comment",
            Property::Statistics => "statistics target",
            Property::Storage => "storage",
            Property::Compression => "compression",
            Property::Options => "options",
            Property::Labels => "labels",
            Property::BaseType => "base type",
            Property::Attributes => "attributes",
            Property::Schema => "schema",
            Property::OwnedBy => "owner column",
            Property::ClusteredOn => "CLUSTER index",
            Property::Command => "command",
            Property::Roles => "roles",
            Property::Using => "USING",
            Property::WithCheck => "WITH CHECK",
            Property::Arguments => "arguments",
            Property::Parallel => "parallel safety",
            Property::Cost => "cost",
            Property::Rows => "rows",
            Property::Privileges
            | Property::Permissive
            | Property::Leakproof
            | Property::Nullability
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

    /// "is", or "are" for a property whose value is a list.
    fn verb(self) -> &'static str {
        match self {
            Property::Labels
            | Property::Attributes
            | Property::Options
            | Property::Roles
            | Property::Settings
            | Property::Arguments => "are",
            _ => "is",
        }
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
        match self.object {
            Object::Other => write!(f, "{}: ", self.name)?,
            object => write!(f, "{} {}: ", object.word(), self.name)?,
        }
        match &self.change {
            Change::Missing => f.write_str("missing"),
            Change::Unexpected => f.write_str("not in the snapshot"),
            Change::Differs {
                property: Property::Body,
                ..
            } => f.write_str("the body differs from the snapshot's"),
            Change::Differs {
                property: Property::Privileges,
                actual,
                expected,
            } => write!(
                f,
                "{} has {}, expected {}",
                self.grantee.as_deref().unwrap_or("?"),
                actual.as_deref().unwrap_or("none"),
                expected.as_deref().unwrap_or("none")
            ),
            Change::Differs {
                property: Property::Comment,
                actual,
                expected,
            } => {
                let quoted = |text: &Option<String>| {
                    text.as_deref().map_or("none".to_string(), |t| {
                        serde_json::to_string(t).unwrap_or_default()
                    })
                };
                write!(
                    f,
                    "comment is {}, expected {}",
                    quoted(actual),
                    quoted(expected)
                )
            }
            Change::Differs {
                property,
                actual,
                expected,
            } => {
                let none = property.none();
                match (property.label(), actual) {
                    (Some(label), Some(actual)) => {
                        write!(f, "{label} {} {actual}", property.verb())?
                    }
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
            grantee: None,
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
        let privileges = Difference {
            object: Object::Table,
            name: "users".into(),
            grantee: Some("PUBLIC".into()),
            change: Change::Differs {
                property: Property::Privileges,
                actual: Some("ALL".into()),
                expected: None,
            },
        };
        assert_eq!(
            privileges.to_string(),
            "table users: PUBLIC has ALL, expected none"
        );
        let comment = Difference::new(
            Object::Other,
            "rule r on public.t",
            Change::Differs {
                property: Property::Comment,
                actual: Some("say \"x\"\nthen".into()),
                expected: None,
            },
        );
        assert_eq!(
            comment.to_string(),
            "rule r on public.t: comment is \"say \\\"x\\\"\\nthen\", expected none"
        );
    }
}
