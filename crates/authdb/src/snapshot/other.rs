//! Every other kind of object a migration can create (text search configurations and
//! dictionaries, operators and their classes and families, casts, collations, conversions,
//! rules, extended statistics, event triggers, publications, foreign-data wrappers and servers,
//! languages, access methods...), named as `pg_identify_object` names them: its kind and its
//! identity, always schema-qualified. Each is compared by existence, owner, privileges and
//! comment, and by its definition where PostgreSQL prints one (a rule, a statistics object, an
//! event trigger, a collation, a cast, an operator, a publication).

use serde::Serialize;

use super::privileges::Grants;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Other {
    /// As `pg_identify_object` gives it: `text search configuration`, `rule`.
    pub kind: String,
    /// As `pg_identify_object` gives it: `app.cfg`, `no_delete on app.things`.
    pub identity: String,
    /// What the object does, where PostgreSQL can say it.
    pub definition: Option<String>,
    /// Casts, user mappings and a publication's tables have no owner of their own: none.
    pub owner: Option<String>,
    /// The privileges of a language, foreign-data wrapper or server (the only kinds here that
    /// have any), all of them, so none is left out by a default.
    pub grants: Grants,
    pub comment: Option<String>,
}

impl Other {
    /// The snapshot's key: kind and identity, `rule no_delete on app.things`.
    pub fn key(&self) -> String {
        format!("{} {}", self.kind, self.identity)
    }
}
