//! Sequences: their options and the column that owns them, but not their current value, which
//! is data.

use serde::Serialize;

use super::privileges::{GrantKind, Privileged};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sequence {
    /// `as integer, start 1, increment 1, min 1, max 2147483647, cache 1`, and `, cycle`.
    pub options: String,
    /// The column a sequence belongs to (`OWNED BY`, `serial`), as `table.column`.
    pub owned_by: Option<String>,
    /// Whether it is an identity column's: PostgreSQL creates and drops it with the column.
    pub identity: bool,
    pub privileged: Privileged,
}

impl Default for Sequence {
    fn default() -> Sequence {
        Sequence {
            options: String::new(),
            owned_by: None,
            identity: false,
            privileged: Privileged::created(GrantKind::Sequence),
        }
    }
}
