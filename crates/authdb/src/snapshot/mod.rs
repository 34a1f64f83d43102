//! The schema as data. A [`Snapshot`] is everything the migrations create in the database, in
//! every schema but PostgreSQL's own: schemas, tables and views with their columns, keys,
//! indexes, triggers and policies, sequences, types, functions, extensions, default privileges,
//! every other kind of object by name, and who owns and may use each of them. It is captured
//! from a live database ([`Snapshot::capture`]), written to and read from the committed
//! `migrations/schema.snapshot` ([`Snapshot::to_text`], [`Snapshot::parse`]), and two of them are
//! compared ([`diff`]) to find drift; [`Snapshot::to_picture`] draws it for people. It holds no
//! OIDs, no role but in the role-independent form of `privileges.rs`, and nothing that differs
//! between PostgreSQL 14 and 17, so a snapshot taken on one server describes a correct database
//! on any.
//!
//! Names are PostgreSQL's own spelling with `search_path = public`: an object of the schema
//! `public` is written bare (`users`), one of any other schema qualified (`auth.users`), each
//! part quoted where SQL needs it, so a name can be pasted into SQL as it is.

mod catalog;
mod census;
mod datatype;
mod diagram;
mod diff;
mod difference;
mod keys;
mod mermaid;
mod not_compared;
mod other;
mod parse;
mod picture;
mod privileges;
mod relation;
mod routine;
mod sequence;
mod text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::error::{Error, Result};

pub use datatype::{Attribute, DataType, Domain, Range, TypeDefinition};
pub use diff::diff;
pub(crate) use diff::range_options;
pub use difference::{Change, Difference, Object, Property};
pub use not_compared::NOT_COMPARED;
pub use other::Other;
pub use privileges::{
    DefaultPrivileges, GrantKind, Grants, MIGRATOR, OWNER, PUBLIC, Privileged, default_grants,
};
pub use relation::{
    Column, Constraint, Index, Partition, Policy, RelationKind, Table, Trigger, TriggerState,
};
pub use routine::{Function, RoutineKind};
pub use sequence::Sequence;

/// The folder's companions are named where the folder is defined.
pub use authdb_folder::{PICTURE_FILE, SNAPSHOT_FILE};

/// Everything the migrations create, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The migration version this describes: the latest applied one when captured.
    pub version: Option<i64>,
    /// Every schema, `public` included, by name.
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, Extension>,
    /// `ALTER DEFAULT PRIVILEGES`: what objects a role creates later will grant, by
    /// [`DefaultPrivileges::key`].
    pub default_privileges: BTreeMap<String, DefaultPrivileges>,
    /// Enums, domains, composite and range types, by name.
    pub types: BTreeMap<String, DataType>,
    pub sequences: BTreeMap<String, Sequence>,
    /// Functions, procedures and aggregates, by signature: `update_updated_at_column()`,
    /// `auth.f(a integer, b text)`.
    pub functions: BTreeMap<String, Function>,
    /// Tables, views, materialized views and foreign tables, by name.
    pub tables: BTreeMap<String, Table>,
    /// Every other kind of object (text search configurations, operators, casts, rules,
    /// event triggers, publications...), by kind and PostgreSQL's identity of it.
    pub others: BTreeMap<String, Other>,
    /// The shape of authdb's own tracking table, as `tracking.rs` created it: compared like the
    /// migrations' tables, kept apart from them.
    pub tracking: Option<Table>,
    /// The schema at each held boundary, by version: what a database has when a plain migrate
    /// stopped before a contract step (`-- authdb:contract`), so that `verify` can tell the
    /// truth during a rollout. Written by `cargo xtask snapshot`; empty for a captured database.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub held: BTreeMap<i64, Snapshot>,
}

/// A schema (namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub privileged: Privileged,
}

/// An extension: its name is its identity; the schema it lives in is a property. Its version
/// is not compared: it is the server package's business, not the migrations'.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub schema: String,
    pub comment: Option<String>,
}

impl Snapshot {
    /// Reads the live schema: every schema of the database but PostgreSQL's own, without
    /// objects that belong to extensions, with the tracking table apart. The version is the
    /// latest applied one in the tracking table, if there is one. One round trip: every query
    /// is sent in one batch, which sets `search_path` for itself and puts it back.
    pub async fn capture(client: &impl GenericClient) -> Result<Snapshot> {
        catalog::capture(client).await
    }

    /// Whether the snapshot holds nothing the migrations made: no object but a schema `public`
    /// as a new database has it.
    pub fn is_empty(&self) -> bool {
        let only_public = self.schemas.iter().all(|(name, schema)| {
            name == "public" && schema.privileged == Privileged::initial_public()
        });
        only_public
            && self.extensions.is_empty()
            && self.default_privileges.is_empty()
            && self.types.is_empty()
            && self.sequences.is_empty()
            && self.functions.is_empty()
            && self.tables.is_empty()
            && self.others.is_empty()
    }

    /// The committed form: sorted, one object per line, functions' bodies verbatim.
    pub fn to_text(&self) -> String {
        text::render(self)
    }

    /// `migrations/schema.md`: the schema as a Mermaid diagram and a list of its indexes,
    /// checks, triggers, policies, grants and functions, for people to look at.
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

    /// How many objects of each kind it holds, in the words `pg_identify_object` uses for them:
    /// what [`Snapshot::unaccounted`] compares with the catalog.
    pub fn census(&self) -> BTreeMap<String, usize> {
        census::census(self)
    }

    /// Every object of the database that PostgreSQL did not make itself and no extension owns,
    /// as `(kind, identity)` in `pg_identify_object`'s words, read from every catalog.
    pub async fn catalog_objects(client: &impl GenericClient) -> Result<Vec<(String, String)>> {
        catalog::catalog_objects(client).await
    }

    /// The kinds of object whose number in `objects` (from [`Snapshot::catalog_objects`] on the
    /// database this was captured from) is not the number the snapshot holds: what it cannot
    /// represent, or reads from somewhere else. `(kind, in the catalog, in the snapshot)`.
    pub fn unaccounted(&self, objects: &[(String, String)]) -> Vec<(String, usize, usize)> {
        census::unaccounted(&self.census(), objects)
    }

    /// Captures the schema the migrations just created, refusing a snapshot that would hold
    /// nothing while they created something: objects where it does not look (PostgreSQL's own
    /// schemas) would otherwise make every later `verify` pass without looking.
    pub async fn capture_migrated(client: &impl GenericClient) -> Result<Snapshot> {
        let snapshot = Snapshot::capture(client).await?;
        if !snapshot.is_empty() {
            return Ok(snapshot);
        }
        let tracking = crate::tracking::QUALIFIED;
        let created: Vec<String> = Snapshot::catalog_objects(client)
            .await?
            .into_iter()
            .filter(|(_, identity)| !identity.contains(tracking))
            .map(|(kind, identity)| format!("{kind} {identity}"))
            .collect();
        if created.is_empty() {
            return Ok(snapshot);
        }
        Err(Error::SnapshotEmpty {
            version: snapshot
                .version
                .map_or("none".to_string(), |v| v.to_string()),
            count: created.len(),
            examples: created
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}
