//! The version × phase matrix: before any load, every query of every declared live app version
//! (`versions/*.sql`, see [`crate::live`]) is prepared against the schema at each phase boundary
//! the rehearsal will pass: where it starts, the end of each expand (the version before a
//! contract step) and the end. Preparing asks the server to resolve every name and type, so a
//! query that a phase breaks (a dropped column, a changed type) fails here, with the server's
//! reason, before a single row moves.
//!
//! The boundaries are built in a scratch database on the same server, migrated from empty with
//! the code `migrate` uses, so the rehearsal's own database and its rows are never touched; the
//! scratch database is dropped at the end, whatever happened.

use serde::Serialize;
use tokio_postgres::Client;

use crate::conninfo::ConnInfo;
use crate::error::{Result, database, describe};
use crate::live::LiveQuery;
use crate::migrations::Migrations;
use crate::runner::{MigrateOptions, migrate};

/// The scratch database's name: a fixed one, since the rehearsal's server is its own.
const SCRATCH: &str = "authdb_rehearse_matrix";

#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// The columns, in the order the rehearsal reaches them.
    pub phases: Vec<Phase>,
    /// One row per declared version, in file order.
    pub versions: Vec<VersionRow>,
}

/// A phase boundary: the schema once every migration up to `version` is applied.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub version: i64,
    /// `start`, `expand` (a contract step follows) or `end`.
    pub kind: PhaseKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    Start,
    Expand,
    End,
}

impl Phase {
    /// `start (8)`, `expand (10)`, `end (11)`: a column heading.
    pub fn label(&self) -> String {
        let kind = match self.kind {
            PhaseKind::Start => "start",
            PhaseKind::Expand => "expand",
            PhaseKind::End => "end",
        };
        format!("{kind} ({})", self.version)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    /// `v41`, the file's name.
    pub version: String,
    pub queries: usize,
    /// One per phase, in the order of [`Matrix::phases`]: the queries that fail there.
    pub cells: Vec<Vec<Broken>>,
}

/// A query that fails to prepare at a boundary.
#[derive(Debug, Clone, Serialize)]
pub struct Broken {
    /// `versions/v41.sql:3`.
    pub location: String,
    /// The server's reason: `column "email" does not exist`.
    pub reason: String,
}

impl Matrix {
    /// True when every version's every query prepares at every boundary.
    pub fn clean(&self) -> bool {
        self.versions
            .iter()
            .all(|row| row.cells.iter().all(Vec::is_empty))
    }
}

/// The boundaries between `from` (applied now) and `up_to`: `from`, the version before each
/// contract step after it, and `up_to`.
pub fn phases(migrations: &Migrations, from: i64, up_to: i64) -> Vec<Phase> {
    let mut phases = vec![Phase {
        version: from,
        kind: PhaseKind::Start,
    }];
    for boundary in migrations.held_boundaries() {
        if boundary > from && boundary < up_to {
            phases.push(Phase {
                version: boundary,
                kind: PhaseKind::Expand,
            });
        }
    }
    phases.push(Phase {
        version: up_to,
        kind: PhaseKind::End,
    });
    phases
}

/// Builds the matrix of `queries` over `phases` in a scratch database beside the one `admin` is
/// connected to (`info` reaches the server).
pub async fn matrix(
    info: &ConnInfo,
    admin: &Client,
    migrations: &Migrations,
    phases: Vec<Phase>,
    queries: &[LiveQuery],
) -> Result<Matrix> {
    let drop = format!("DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)");
    admin
        .batch_execute(&drop)
        .await
        .map_err(database("dropping the matrix's scratch database"))?;
    admin
        .batch_execute(&format!("CREATE DATABASE {SCRATCH}"))
        .await
        .map_err(database("creating the matrix's scratch database"))?;
    let built = build(info, migrations, &phases, queries).await;
    let dropped = admin
        .batch_execute(&drop)
        .await
        .map_err(database("dropping the matrix's scratch database"));
    let cells = built?;
    dropped?;
    let mut phases = phases;
    phases.truncate(cells.len());
    let mut versions: Vec<VersionRow> = Vec::new();
    for (index, query) in queries.iter().enumerate() {
        if versions
            .last()
            .is_none_or(|row| row.version != query.version)
        {
            versions.push(VersionRow {
                version: query.version.clone(),
                queries: 0,
                cells: vec![Vec::new(); phases.len()],
            });
        }
        let row = versions.last_mut().expect("pushed above");
        row.queries += 1;
        for (phase, failures) in cells.iter().enumerate() {
            if let Some(reason) = &failures[index] {
                row.cells[phase].push(Broken {
                    location: format!("{}:{}", query.path.display(), query.line),
                    reason: reason.clone(),
                });
            }
        }
    }
    Ok(Matrix { phases, versions })
}

/// For each phase reached, each query's failure (or `None`), in the scratch database.
async fn build(
    info: &ConnInfo,
    migrations: &Migrations,
    phases: &[Phase],
    queries: &[LiveQuery],
) -> Result<Vec<Vec<Option<String>>>> {
    let mut scratch_info = info.clone();
    scratch_info.config.dbname(SCRATCH);
    let mut scratch = super::open(&scratch_info).await?;
    let mut cells = Vec::with_capacity(phases.len());
    for phase in phases {
        if phase.version > 0 {
            let options = MigrateOptions {
                up_to: Some(phase.version),
                ..MigrateOptions::default()
            };
            // A migration that fails is the rehearsal's to report, with its locks and the
            // probe around it: the matrix stops at the last boundary reached.
            if migrate(&mut scratch, migrations, &options).await.is_err() {
                break;
            }
        }
        let mut failures = Vec::with_capacity(queries.len());
        for query in queries {
            failures.push(
                scratch
                    .prepare(&query.sql)
                    .await
                    .err()
                    .map(|e| describe(&e)),
            );
        }
        cells.push(failures);
    }
    Ok(cells)
}
