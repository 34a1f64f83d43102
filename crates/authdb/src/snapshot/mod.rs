//! The schema as data. A [`Snapshot`] is what the migrations create in the database's schema:
//! tables with their columns, constraints, indexes and triggers, functions and extensions. It is
//! captured from a live database ([`Snapshot::capture`]), written to and read from the committed
//! `migrations/schema.snapshot` ([`Snapshot::to_text`], [`Snapshot::parse`]), and two of them are
//! compared ([`diff`]) to find drift; [`Snapshot::to_picture`] draws it for people. It holds no OIDs and nothing that differs between
//! PostgreSQL 14 and 17, so a snapshot taken on one server describes a correct database on any.

mod catalog;
mod diagram;
mod diff;
mod difference;
mod keys;
mod mermaid;
mod parse;
mod picture;
mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::error::{Error, Result};

pub use diff::diff;
pub use difference::{Change, Difference, Object, Property};

/// The folder's companions are named where the folder is defined.
pub use authdb_folder::{PICTURE_FILE, SNAPSHOT_FILE};

/// Everything the migrations create in the schema, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The migration version this describes: the latest applied one when captured.
    pub version: Option<i64>,
    pub extensions: BTreeSet<String>,
    /// By signature: `update_updated_at_column()`, `f(integer, text)`.
    pub functions: BTreeMap<String, Function>,
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    /// In definition order: the order `SELECT *` returns them in.
    pub columns: Vec<Column>,
    /// Primary key, unique, foreign key, check and exclusion constraints, by name.
    pub constraints: BTreeMap<String, Constraint>,
    /// The indexes that no constraint owns (those are described by their constraint), by name.
    pub indexes: BTreeMap<String, Index>,
    /// User triggers, by name; the internal ones behind foreign keys are left out.
    pub triggers: BTreeMap<String, Trigger>,
    pub row_level_security: bool,
    /// FORCE ROW LEVEL SECURITY: the policies bind the table's owner too.
    pub force_row_level_security: bool,
    /// UNLOGGED: never written to the WAL, so emptied after a crash and absent on replicas.
    pub unlogged: bool,
    /// Storage parameters by name: `fillfactor` -> `70`, `toast.autovacuum_enabled` -> `false`.
    /// Only those set: an absent one has its default.
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constraint {
    /// As `pg_get_constraintdef` prints it: `FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE`.
    pub definition: String,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub state: TriggerState,
    /// `pg_get_triggerdef` after the trigger's name: `BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()`.
    pub definition: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    pub procedure: bool,
    /// `pg_get_function_result`; none for a procedure.
    pub returns: Option<String>,
    pub language: String,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: String,
    pub strict: bool,
    pub security_definer: bool,
    /// `SET name = value` clauses, as `name=value`.
    pub settings: Vec<String>,
    /// The source text between the dollar quotes (or the SQL-standard body), exactly.
    pub body: String,
}

impl Snapshot {
    /// Reads the live schema: the session's current schema (where unqualified migrations create
    /// their objects), without the tracking table and without objects that belong to extensions.
    /// The version is the latest applied one in the tracking table, if there is one.
    pub async fn capture(client: &impl GenericClient) -> Result<Snapshot> {
        catalog::capture(client).await
    }

    /// The committed form: sorted, one object per line, functions' bodies verbatim.
    pub fn to_text(&self) -> String {
        text::render(self)
    }

    /// `migrations/schema.md`: the schema as a Mermaid diagram and a list of its indexes,
    /// checks, triggers and functions, for people to look at.
    pub fn to_picture(&self) -> String {
        picture::render(self)
    }

    /// Reads what [`Snapshot::to_text`] wrote.
    pub fn parse(text: &str) -> Result<Snapshot> {
        parse::parse(text).map_err(|(line, reason)| Error::SnapshotSyntax {
            path: PathBuf::from(SNAPSHOT_FILE),
            line,
            reason,
        })
    }

    /// Reads `schema.snapshot` from a migrations folder.
    pub fn load(migrations_dir: &Path) -> Result<Snapshot> {
        let path = migrations_dir.join(SNAPSHOT_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::SnapshotMissing { path });
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        parse::parse(&text.replace("\r\n", "\n")).map_err(|(line, reason)| Error::SnapshotSyntax {
            path,
            line,
            reason,
        })
    }
}
