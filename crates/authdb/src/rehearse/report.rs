//! What a rehearsal found, per migration: how long it took, the strongest lock it took on each
//! table and for how long, the probe's latency per kind of query against the baseline, how many
//! probe queries it blocked and for how long, and the statement to blame; then the verdict.
//! `analysis.rs` computes it from what was observed.

use serde::Serialize;

use super::lock_mode::LockMode;
use super::locks::TableLock;
use super::probe::QueryKind;
use super::timeline::Place;

/// The whole rehearsal.
#[derive(Debug, Clone, Serialize)]
pub struct Rehearsal {
    /// A probe query blocked longer than this fails the rehearsal.
    pub max_block_ms: f64,
    pub probe: ProbeSettings,
    /// The probe's latency before anything was applied (with the sampler on, as during the
    /// steps).
    pub baseline: Vec<Latency>,
    pub sampler_overhead: SamplerOverhead,
    pub steps: Vec<StepReport>,
    /// Each declared live version's queries prepared at each phase boundary, before any load;
    /// `None` when no version is declared.
    pub matrix: Option<super::matrix::Matrix>,
    /// Each declared live version's queries played under load, per step.
    pub versions: Vec<super::versions::VersionLoad>,
    /// Why it failed; empty when it passed.
    pub problems: Vec<Problem>,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeSettings {
    pub workers: usize,
    /// Each worker sends one query per interval.
    pub interval_ms: f64,
    pub sample_interval_ms: f64,
    pub baseline_ms: f64,
}

/// The sampler's own cost: the probe's median latency in the baseline's halves with the sampler
/// off and on.
#[derive(Debug, Clone, Serialize)]
pub struct SamplerOverhead {
    pub p50_off_ms: f64,
    pub p50_on_ms: f64,
    pub queries_off: usize,
    pub queries_on: usize,
    /// Samples taken in the whole rehearsal, and the median time one took (the cost of each
    /// pause after a statement is about one to two of these).
    pub samples: usize,
    pub sample_p50_ms: f64,
}

/// One kind of probe query over a period.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub kind: QueryKind,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Blocked by the migration (always 0 in the baseline).
    pub blocked: usize,
    /// The longest of those, 0 when none.
    pub longest_block_ms: f64,
    pub failed: usize,
}

/// One migration (or adopt's apply) under test.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// `009_add_karma`, or `adopt --apply`.
    pub name: String,
    /// From the call to its return: the lock, every statement and the COMMIT.
    pub duration_ms: f64,
    /// Included in the duration: the rehearsal held the migrator after its last statement
    /// until the sampler had seen its locks (one sample), so that a lock released by an
    /// immediate COMMIT is still reported.
    pub paused_ms: f64,
    /// The migration's own failure, when it failed.
    pub error: Option<String>,
    /// Attempts that gave up waiting for a table lock (a service transaction held it) and were
    /// rolled back and tried again, as migrate retries them.
    pub retries: Vec<crate::retry::Retry>,
    pub locks: Vec<TableLock>,
    /// While it ran, per kind (with the baseline's in [`Rehearsal::baseline`]).
    pub latency: Vec<Latency>,
    pub blocked: usize,
    pub longest_block_ms: f64,
    /// Why the longest block happened.
    pub blamed: Option<Blame>,
    /// Probe queries that failed while it ran or in the settle time after it.
    pub failures: Vec<Failure>,
}

/// The statement a block is blamed on, and the lock that did it.
#[derive(Debug, Clone, Serialize)]
pub struct Blame {
    pub place: Place,
    /// The table the blocked query waited for; `None` for a row or transaction lock.
    pub table: Option<String>,
    pub mode: Option<LockMode>,
    /// How long the statement ran.
    pub statement_ms: f64,
}

/// Probe queries of one kind that failed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub kind: QueryKind,
    pub count: usize,
    pub first_error: String,
}

/// A reason the rehearsal failed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// Probe queries of `kind` were blocked longer than the limit.
    Blocked {
        step: String,
        kind: QueryKind,
        /// How many were blocked longer than the limit.
        queries: usize,
        longest_ms: f64,
        blamed: Option<Blame>,
    },
    /// Probe queries failed (during a step, or `baseline`).
    ProbeFailed {
        step: String,
        kind: QueryKind,
        count: usize,
        error: String,
    },
    /// The migration itself failed.
    MigrationFailed { step: String, error: String },
    /// Queries of a declared live version failed under load during a step.
    VersionFailed {
        version: String,
        step: String,
        count: usize,
        error: String,
    },
    /// A query of a declared live version waited longer than the limit during a step.
    VersionBlocked {
        version: String,
        step: String,
        longest_ms: f64,
    },
    /// A declared live app version's query does not prepare at a phase boundary: that version
    /// fails there, in production, for as long as it runs.
    VersionBroken {
        version: String,
        /// The boundary's heading: `expand (10)`.
        phase: String,
        location: String,
        reason: String,
    },
}

impl Rehearsal {
    /// Adds the matrix, and a problem for each query it found broken where migrate would refuse
    /// to commit: at every boundary after the start. At the start nothing is committed; a version
    /// that fails there is one the migrations are to make deployable (the new one, before its
    /// expand), and is only shown.
    pub(crate) fn add_matrix(&mut self, matrix: super::matrix::Matrix) {
        for row in &matrix.versions {
            for (phase, broken) in matrix.phases.iter().zip(&row.cells) {
                if phase.kind == super::matrix::PhaseKind::Start {
                    continue;
                }
                for query in broken {
                    self.problems.push(Problem::VersionBroken {
                        version: row.version.clone(),
                        phase: phase.label(),
                        location: query.location.clone(),
                        reason: query.reason.clone(),
                    });
                }
            }
        }
        self.passed = self.problems.is_empty();
        self.matrix = Some(matrix);
    }

    /// Adds a version's load, and a problem for each step where its queries failed or waited
    /// longer than the limit.
    pub(crate) fn add_version(&mut self, load: super::versions::VersionLoad) {
        for step in &load.steps {
            if let Some(error) = &step.first_error {
                self.problems.push(Problem::VersionFailed {
                    version: load.version.clone(),
                    step: step.step.clone(),
                    count: step.failed,
                    error: error.clone(),
                });
            }
            if step.longest_ms > self.max_block_ms {
                self.problems.push(Problem::VersionBlocked {
                    version: load.version.clone(),
                    step: step.step.clone(),
                    longest_ms: step.longest_ms,
                });
            }
        }
        self.passed = self.problems.is_empty();
        self.versions.push(load);
    }
}
