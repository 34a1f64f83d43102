//! Rehearsal: what a migration does to a running auth service, measured before it ships. On a
//! database with real volume, the probe ([`probe`]) plays the service's hot queries on a few
//! connections while the sampler ([`sampler`]) watches the migrator's locks and who waits on them;
//! a baseline period comes first, then each migration under test is applied through [`migrate`]
//! itself (one version at a time, with its transaction rules and timeouts), or adopt's apply
//! through [`apply_adopt`]. The migrate code announces each statement before sending it
//! ([`timeline`]), so a block is blamed on a file and line. `analysis.rs` turns it all into the
//! numbers and the verdict of a [`report`]. The library never prints: progress goes to a callback.
//!
//! Inputs are deterministic (seeded rows, a fixed probe mix with seeded choices), so two runs
//! differ only by the machine's noise.

mod analysis;
mod hold;
mod lock_mode;
mod locks;
pub mod matrix;
pub mod probe;
pub mod report;
pub use hold::Hold;
mod sampler;
pub mod setup;
pub mod timeline;
pub mod versions;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::adopt::{AdoptOptions, AdoptPlan, apply_adopt, plan_adopt};
use crate::connect::{Retry, connect};
use crate::conninfo::ConnInfo;
use crate::error::{Error, Result, database};
use crate::migrations::Migrations;
use crate::notice::{Notice, Notify};
use crate::runner::{MigrateOptions, migrate};
use crate::snapshot::Snapshot;
use crate::transaction::Timeouts;
use crate::{plan, tracking};

pub use lock_mode::LockMode;
pub use locks::TableLock;
pub use probe::QueryKind;
pub use report::{Blame, Failure, Latency, Problem, Rehearsal, StepReport};
pub use timeline::Place;

use analysis::{Observed, Segment, StepRun};
use report::ProbeSettings;
use sampler::{Control, Sampler};

/// A probe query blocked longer than this fails the rehearsal, by default: a second is when a
/// sign-in starts to feel broken, and far longer than any lock a safe migration holds.
pub const DEFAULT_MAX_BLOCK: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct RehearseOptions {
    /// A probe query blocked longer than this fails the rehearsal.
    pub max_block: Duration,
    /// How long the probe runs before anything is applied; half of it with the sampler off, to
    /// measure the sampler's own cost.
    pub baseline: Duration,
    /// Probe workers per kind of query, each on its own connection.
    pub workers_per_kind: usize,
    /// Each worker sends one query per interval.
    pub probe_interval: Duration,
    /// The sampler asks the server this often (and more often just after a statement starts).
    pub sample_interval: Duration,
    /// How long the probe goes on after each step before the next (or the end), so that a
    /// query the migration broke (a renamed column) fails in the report.
    pub settle: Duration,
    /// The migrations' waits, as for migrate.
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub lock_wait: Option<Duration>,
    /// Lock retries, as for migrate.
    pub lock_retries: u32,
    pub lock_retry_time: Option<Duration>,
    /// A service transaction that holds a row lock on a table when the steps start, for a while:
    /// what a deploy meets when a request runs long.
    pub hold: Option<Hold>,
    /// The queries of the app versions declared live: prepared at every phase boundary before
    /// any load (the [`matrix`]), and before each COMMIT, as migrate does.
    pub live: Vec<crate::live::LiveQuery>,
}

impl Default for RehearseOptions {
    fn default() -> Self {
        let timeouts = Timeouts::DEFAULT;
        RehearseOptions {
            max_block: DEFAULT_MAX_BLOCK,
            baseline: Duration::from_secs(2),
            workers_per_kind: 1,
            probe_interval: Duration::from_millis(10),
            sample_interval: Duration::from_millis(5),
            settle: Duration::from_millis(250),
            lock_timeout: timeouts.lock,
            statement_timeout: timeouts.statement,
            lock_wait: timeouts.lock_wait,
            lock_retries: crate::retry::DEFAULT_LOCK_RETRIES,
            lock_retry_time: Some(crate::retry::DEFAULT_LOCK_RETRY_TIME),
            hold: None,
            live: Vec::new(),
        }
    }
}

/// What is rehearsed.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// Every pending migration up to `up_to` (all when `None`), applied one version at a time.
    Migrations {
        migrations: &'a Migrations,
        up_to: Option<i64>,
    },
    /// `adopt --apply` on a database the old script built.
    Adopt {
        migrations: &'a Migrations,
        snapshot: &'a Snapshot,
        drop_extra: bool,
    },
}

/// What the rehearsal is doing, for a progress display.
#[derive(Debug, Clone)]
pub enum Event {
    /// Each live version's queries are prepared at every phase boundary, before any load.
    Matrix { versions: usize, phases: usize },
    /// The probe started; its first queries warm the caches and are not counted.
    WarmingUp,
    /// A part of the baseline, with the sampler on or off.
    Baseline { sampler: bool },
    /// A step starts: `009_add_karma`, or `adopt --apply`.
    Applying { step: String },
    /// One of its statements is sent now.
    Statement { path: PathBuf, line: usize },
    /// The service's transaction took its row lock, to hold it this long.
    Holding { table: String, duration: Duration },
    /// An attempt gave up waiting for a lock; the step is tried again.
    Retry(crate::retry::Retry),
    /// A step ended.
    Applied {
        step: String,
        duration_ms: f64,
        ok: bool,
    },
}

/// Where progress goes.
pub type Progress = Arc<dyn Fn(&Event) + Send + Sync>;

/// How long the probe runs before the baseline counts.
const WARM_UP: Duration = Duration::from_millis(250);
/// The baseline alternates the sampler off and on this many times, so drift cancels out.
const BASELINE_SEGMENTS: u32 = 4;

/// How long the migrator waits after a statement for the sampler to look at its locks.
const BARRIER_LIMIT: Duration = Duration::from_millis(250);

/// One thing to apply.
enum Step<'a> {
    Migration(&'a Migrations, i64, String),
    Adopt(&'a Migrations, &'a Snapshot, AdoptPlan, bool),
}

/// Rehearses `subject` on the database `client` is connected to (`info` opens the probe's and
/// the sampler's connections to the same one). The database must hold the users the probe acts
/// as: see [`setup::seed`].
pub async fn rehearse(
    info: &ConnInfo,
    client: &mut Client,
    subject: Subject<'_>,
    options: &RehearseOptions,
    progress: Progress,
) -> Result<Rehearsal> {
    let (steps, sources) = steps(client, subject).await?;
    let matrix = match subject {
        Subject::Migrations { migrations, .. } if !options.live.is_empty() => {
            let phases = phase_boundaries(client, migrations, &steps).await?;
            let versions = options.live.iter().map(|q| &q.version);
            progress(&Event::Matrix {
                versions: versions.collect::<std::collections::BTreeSet<_>>().len(),
                phases: phases.len(),
            });
            Some(matrix::matrix(info, client, migrations, phases, &options.live).await?)
        }
        _ => None,
    };
    let accounts = Arc::new(probe::accounts(client).await?);
    let migrator: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .map_err(database("reading the migrator's backend pid"))?
        .get(0);
    let worker_count = options.workers_per_kind.max(1) * QueryKind::ALL.len();
    let mut probe_clients = Vec::with_capacity(worker_count);
    for _ in 0..worker_count {
        probe_clients.push(open(info).await?);
    }

    let control = Arc::new(Control::default());
    let stop_probe = Arc::new(AtomicBool::new(false));
    let players = match &matrix {
        Some(matrix) => {
            let applied = matrix.phases.first().map_or(0, |p| p.version);
            versions::start(
                &options.live,
                applied,
                accounts.clone(),
                options.probe_interval,
                stop_probe.clone(),
                async || open(info).await,
            )
            .await?
        }
        None => Vec::new(),
    };
    let workers = probe::start(
        probe_clients,
        accounts,
        options.probe_interval,
        stop_probe.clone(),
    )
    .await?;
    let pids = workers.iter().map(|w| w.pid).collect();
    let sampler = match Sampler::start(
        info.clone(),
        migrator,
        pids,
        options.sample_interval,
        control.clone(),
    )
    .await
    {
        Ok(sampler) => sampler,
        Err(error) => {
            stop_probe.store(true, Ordering::Relaxed);
            return Err(error);
        }
    };

    progress(&Event::WarmingUp);
    tokio::time::sleep(WARM_UP).await;
    let mut baseline = Vec::new();
    for segment in 0..BASELINE_SEGMENTS {
        let on = segment % 2 == 1;
        control.enabled.store(on, Ordering::Relaxed);
        progress(&Event::Baseline { sampler: on });
        let started = Instant::now();
        tokio::time::sleep(options.baseline / BASELINE_SEGMENTS).await;
        baseline.push(Segment {
            started,
            ended: Instant::now(),
            sampler: on,
        });
    }

    let timeline = timeline::Timeline::default();
    let retries: Arc<std::sync::Mutex<Vec<crate::retry::Retry>>> = Arc::default();
    let notify = {
        let (timeline, control, progress) = (timeline.clone(), control.clone(), progress.clone());
        let retries = retries.clone();
        Notify::new(move |notice| match notice {
            Notice::Statement { path, line } => {
                timeline.record(path, *line);
                progress(&Event::Statement {
                    path: path.clone(),
                    line: *line,
                });
            }
            // What the statement holds now, it holds until the COMMIT, which may follow in less
            // time than the sampler's interval: look before the next step of the migrator.
            Notice::StatementDone { .. } => {
                timeline.done();
                timeline.paused(control.barrier(BARRIER_LIMIT));
            }
            Notice::LockRetry(retry) => {
                retries.lock().expect("not poisoned").push(retry.clone());
                progress(&Event::Retry(retry.clone()));
            }
            Notice::WaitingForLock { .. } | Notice::Server { .. } | Notice::Backfill(_) => {}
        })
    };
    if let Some(hold) = &options.hold {
        if let Err(error) = hold::start(info, hold).await {
            stop_probe.store(true, Ordering::Relaxed);
            return Err(error);
        }
        progress(&Event::Holding {
            table: hold.table.clone(),
            duration: hold.duration,
        });
    }
    let mut runs = Vec::new();
    for step in &steps {
        let name = step.name();
        progress(&Event::Applying { step: name.clone() });
        let started = Instant::now();
        let result = apply(client, step, options, &notify).await;
        let ended = Instant::now();
        let duration_ms = (ended - started).as_secs_f64() * 1000.0;
        progress(&Event::Applied {
            step: name.clone(),
            duration_ms,
            ok: result.is_ok(),
        });
        let failed = result.is_err();
        if let (false, Step::Migration(_, version, _)) = (failed, step) {
            players.iter().for_each(|p| p.reached(*version));
        }
        // The service keeps running after the COMMIT: a query the migration broke fails now.
        tokio::time::sleep(options.settle).await;
        runs.push(StepRun {
            name,
            started,
            ended,
            settled: Instant::now(),
            paused: timeline.paused_between(started, ended),
            error: result.err().map(|e| e.to_string()),
            retries: std::mem::take(&mut *retries.lock().expect("not poisoned")),
        });
        if failed {
            break;
        }
    }

    control.stop();
    stop_probe.store(true, Ordering::Relaxed);
    let mut queries = Vec::new();
    for worker in workers {
        queries.extend(worker.join().await);
    }
    queries.sort_by_key(|q| q.started);
    // A sampler that lost its connection is an error of the rehearsal, not of the migration.
    let samples = sampler.finish().await?;
    let observed = Observed {
        settings: ProbeSettings {
            workers: worker_count,
            interval_ms: millis(options.probe_interval),
            sample_interval_ms: millis(options.sample_interval),
            baseline_ms: millis(options.baseline),
        },
        max_block: options.max_block,
        baseline,
        steps: runs,
        queries,
        samples,
        statements: timeline.statements(&sources),
    };
    let mut report = analysis::analyse(&observed);
    if let Some(matrix) = matrix {
        report.add_matrix(matrix);
    }
    for player in players {
        let (version, from, played) = player.join().await;
        let load = versions::summarise(version, from, &played, &observed.baseline, &observed.steps);
        report.add_version(load);
    }
    Ok(report)
}

/// The matrix's boundaries for the migrations `steps` apply: from the version applied now to the
/// last step's.
async fn phase_boundaries(
    client: &Client,
    migrations: &Migrations,
    steps: &[Step<'_>],
) -> Result<Vec<matrix::Phase>> {
    let applied = tracking::read(client).await?;
    let from = applied.iter().map(|a| a.version).max().unwrap_or(0);
    let up_to = steps
        .iter()
        .filter_map(|step| match step {
            Step::Migration(_, version, _) => Some(*version),
            Step::Adopt(..) => None,
        })
        .max()
        .unwrap_or(from);
    Ok(matrix::phases(migrations, from, up_to))
}

/// What to apply, and the text of every statement it may send (by the path its notices give).
async fn steps<'a>(
    client: &Client,
    subject: Subject<'a>,
) -> Result<(Vec<Step<'a>>, HashMap<PathBuf, String>)> {
    let mut sources = HashMap::new();
    match subject {
        Subject::Migrations { migrations, up_to } => {
            let applied = tracking::read(client).await?;
            plan::check_history(migrations, &applied)?;
            let pending = plan::pending(migrations, &applied, up_to)?;
            if pending.is_empty() {
                return Err(Error::NothingToRehearse {
                    dir: migrations.dir.clone(),
                    version: applied.iter().map(|a| a.version).max(),
                });
            }
            let steps = pending
                .iter()
                .map(|m| {
                    sources.insert(m.path.clone(), m.sql.clone());
                    Step::Migration(migrations, m.version, m.file_stem())
                })
                .collect();
            Ok((steps, sources))
        }
        Subject::Adopt {
            migrations,
            snapshot,
            drop_extra,
        } => {
            let options = AdoptOptions {
                drop_extra,
                ..AdoptOptions::default()
            };
            let plan = plan_adopt(client, migrations, snapshot, &options).await?;
            if !plan.refusals.is_empty() {
                return Err(Error::AdoptRefused {
                    reasons: plan.refusals.iter().map(|r| r.reason.clone()).collect(),
                });
            }
            for (index, statement) in plan.statements.iter().enumerate() {
                sources.insert(statement.place(index), statement.sql.clone());
            }
            Ok((
                vec![Step::Adopt(migrations, snapshot, plan, drop_extra)],
                sources,
            ))
        }
    }
}

impl Step<'_> {
    fn name(&self) -> String {
        match self {
            Step::Migration(_, _, name) => name.clone(),
            Step::Adopt(..) => "adopt --apply".to_string(),
        }
    }
}

/// Applies one step with the code the commands use, and the rehearsal's notices.
async fn apply(
    client: &mut Client,
    step: &Step<'_>,
    options: &RehearseOptions,
    notify: &Notify,
) -> Result<()> {
    match step {
        Step::Migration(migrations, version, _) => {
            let migrate_options = MigrateOptions {
                up_to: Some(*version),
                lock_timeout: options.lock_timeout,
                statement_timeout: options.statement_timeout,
                lock_wait: options.lock_wait,
                lock_retries: options.lock_retries,
                lock_retry_time: options.lock_retry_time,
                // The sampler looks at each statement's locks as it ends.
                paced: true,
                notify: notify.clone(),
                live: options.live.clone(),
                ..MigrateOptions::default()
            };
            migrate(client, migrations, &migrate_options)
                .await
                .map(drop)
        }
        Step::Adopt(migrations, snapshot, plan, drop_extra) => {
            let adopt = AdoptOptions {
                drop_extra: *drop_extra,
                lock_timeout: options.lock_timeout,
                statement_timeout: options.statement_timeout,
                lock_wait: options.lock_wait,
                notify: notify.clone(),
                ..AdoptOptions::default()
            };
            apply_adopt(client, migrations, snapshot, &adopt, plan)
                .await
                .map(drop)
        }
    }
}

/// A connection of the rehearsal's own (probe worker or sampler).
pub(super) async fn open(info: &ConnInfo) -> Result<Client> {
    Ok(connect(info, Retry::default()).await?.client)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
