//! Relations: tables, views, materialized views and foreign tables, with what belongs to them:
//! columns and their settings, constraints, indexes, triggers, row level security policies,
//! owner, privileges and comments. A view is described like a table (its columns, triggers,
//! privileges) plus its definition, so one comparison serves every kind.

use std::collections::BTreeMap;

use serde::Serialize;

use super::difference::Object;
use super::privileges::{GrantKind, Grants, Privileged};

/// What a relation is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    #[default]
    Table,
    View,
    MaterializedView,
    ForeignTable,
}

impl RelationKind {
    /// How the snapshot and messages call it: `table`, `materialized view`.
    pub fn word(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::View => "view",
            RelationKind::MaterializedView => "materialized view",
            RelationKind::ForeignTable => "foreign table",
        }
    }

    /// What `ALTER <word>`, `DROP <word>` and `COMMENT ON <word>` call it.
    pub fn sql_word(self) -> &'static str {
        match self {
            RelationKind::Table => "TABLE",
            RelationKind::View => "VIEW",
            RelationKind::MaterializedView => "MATERIALIZED VIEW",
            RelationKind::ForeignTable => "FOREIGN TABLE",
        }
    }

    /// How differences and plans name a relation of this kind.
    pub fn object(self) -> Object {
        match self {
            RelationKind::Table => Object::Table,
            RelationKind::View => Object::View,
            RelationKind::MaterializedView => Object::MaterializedView,
            RelationKind::ForeignTable => Object::ForeignTable,
        }
    }

    pub const ALL: [RelationKind; 4] = [
        RelationKind::Table,
        RelationKind::View,
        RelationKind::MaterializedView,
        RelationKind::ForeignTable,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub kind: RelationKind,
    /// In definition order: the order `SELECT *` returns them in.
    pub columns: Vec<Column>,
    /// Primary key, unique, foreign key, check and exclusion constraints, by name.
    pub constraints: BTreeMap<String, Constraint>,
    /// The indexes that no constraint owns (those are described by their constraint), by name.
    pub indexes: BTreeMap<String, Index>,
    /// User triggers, by name; the internal ones behind foreign keys are left out.
    pub triggers: BTreeMap<String, Trigger>,
    /// Row level security policies, by name.
    pub policies: BTreeMap<String, Policy>,
    pub row_level_security: bool,
    /// FORCE ROW LEVEL SECURITY: the policies bind the table's owner too.
    pub force_row_level_security: bool,
    /// UNLOGGED: never written to the WAL, so emptied after a crash and absent on replicas.
    pub unlogged: bool,
    /// Storage parameters by name: `fillfactor` -> `70`, `toast.autovacuum_enabled` -> `false`;
    /// a view's options (`security_barrier`, `check_option`) are here too. Only those set: an
    /// absent one has its default.
    pub storage_parameters: BTreeMap<String, String>,
    /// REPLICA IDENTITY when it is not the default (the primary key): `full`, `nothing` or
    /// `using index NAME`. Logical replication cannot replicate updates and deletes without one.
    pub replica_identity: Option<String>,
    /// The table access method when it is not `heap` (the default; PostgreSQL 15 can change it).
    pub access_method: Option<String>,
    /// PARTITION BY of a partitioned table, as `pg_get_partkeydef` prints it: `RANGE (created_at)`.
    pub partition_key: Option<String>,
    /// What a partition belongs to.
    pub partition_of: Option<Partition>,
    /// INHERITS: the parents of a table that is not a partition, in their order.
    pub inherits: Vec<String>,
    /// The index `CLUSTER` uses (`ALTER TABLE ... CLUSTER ON`).
    pub clustered_on: Option<String>,
    /// A view's query as `pg_get_viewdef` prints it; a foreign table's server and options.
    pub definition: Option<String>,
    pub privileged: Privileged,
}

impl Default for Table {
    fn default() -> Table {
        Table {
            kind: RelationKind::Table,
            columns: Vec::new(),
            constraints: BTreeMap::new(),
            indexes: BTreeMap::new(),
            triggers: BTreeMap::new(),
            policies: BTreeMap::new(),
            row_level_security: false,
            force_row_level_security: false,
            unlogged: false,
            storage_parameters: BTreeMap::new(),
            replica_identity: None,
            access_method: None,
            partition_key: None,
            partition_of: None,
            inherits: Vec::new(),
            clustered_on: None,
            definition: None,
            privileged: Privileged::created(GrantKind::Table),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partition {
    /// The partitioned table, as a `regclass` prints it: `events`, `"Odd name"`.
    pub parent: String,
    /// As `pg_get_expr` prints it: `FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`, `DEFAULT`.
    pub bound: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    /// As `format_type` spells it: `timestamp with time zone`, `character varying(20)`.
    pub data_type: String,
    pub not_null: bool,
    /// Only when it is not the type's default collation.
    pub collation: Option<String>,
    /// `always` or `by default` for identity columns.
    pub identity: Option<String>,
    /// The default expression, as `pg_get_expr` prints it.
    pub default: Option<String>,
    /// The expression of a generated (stored) column.
    pub generated: Option<String>,
    /// `ALTER COLUMN ... SET STATISTICS`, when set.
    pub statistics: Option<i32>,
    /// `SET STORAGE`, when it is not the type's: `plain`, `external`, `extended`, `main`.
    pub storage: Option<String>,
    /// `SET COMPRESSION`, when set: `pglz`, `lz4`.
    pub compression: Option<String>,
    /// `SET (n_distinct = ...)`: the column's options, by name.
    pub options: BTreeMap<String, String>,
    /// Column privileges (`GRANT SELECT (email) ON users TO ...`), beyond the table's.
    pub grants: Grants,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constraint {
    /// As `pg_get_constraintdef` prints it: `FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE`.
    pub definition: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    pub unique: bool,
    /// The access method: `btree`, `gin`, ...
    pub method: String,
    /// What follows `USING method` in `pg_get_indexdef`: columns, INCLUDE, WITH, WHERE.
    pub definition: String,
    /// False for an index a failed `CREATE INDEX CONCURRENTLY` left behind: it is never used.
    pub valid: bool,
    /// `ALTER INDEX ... ALTER COLUMN n SET STATISTICS`, by column number, when set.
    pub statistics: BTreeMap<i32, i32>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub state: TriggerState,
    /// `pg_get_triggerdef` after the trigger's name: `BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()`.
    pub definition: String,
    pub comment: Option<String>,
}

/// `pg_trigger.tgenabled`: a disabled trigger is as good as a missing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerState {
    Enabled,
    Disabled,
    /// Fires only in sessions with `session_replication_role = replica`.
    Replica,
    /// Fires in every session, replica or not.
    Always,
}

/// `CREATE POLICY`: which rows a role sees or writes under row level security.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// False for a RESTRICTIVE policy.
    pub permissive: bool,
    /// `all`, `select`, `insert`, `update` or `delete`.
    pub command: String,
    /// The roles it applies to, in the form of `privileges.rs`, sorted.
    pub roles: Vec<String>,
    /// USING, as `pg_get_expr` prints it.
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
}
