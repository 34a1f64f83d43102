//! Applying migrations. A run is one transaction: it takes the migration lock, reads the tracking
//! table, applies every pending file and records it, then commits. Any failure rolls the whole run
//! back, so the database is always at the old version or the new one, never in between. The one
//! exception is explicit: a `-- authdb:no-transaction` file splits the run into committed pieces.

use std::sync::atomic::{AtomicI32, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::Client;

use crate::error::{Error, Result};
use crate::migrations::{Migration, Migrations};
use crate::notice::{Notice, Notify};
use crate::plan;
use crate::retry::{self, Retry};
use crate::timings::{self, Timings};
use crate::tracking;
use crate::unfinished::{self, Answer, Recovery};

mod alone;
mod group;

use alone::{alone, invalid_indexes, run_alone};
use group::{Ahead, batched, group_at, run_group};

pub use crate::transaction::{
    DEFAULT_LOCK_TIMEOUT, DEFAULT_LOCK_WAIT, DEFAULT_STATEMENT_TIMEOUT, LOCK_KEY,
};
use crate::transaction::{
    OPEN, Opened, Run, STEP_DEADLINE, Timeouts, abort, begin_held, begin_locked_then, begin_opened,
    bounded, end, partly_committed, set_timeouts, simple, statement_rows,
};

#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// Apply up to and including this version.
    pub up_to: Option<i64>,
    /// Plan, print, change nothing: no migration's SQL is sent.
    pub dry_run: bool,
    /// Stop before the first pending contract step (`-- authdb:contract`): during a rollout the
    /// app version being replaced still reads what it removes. `cargo xtask migrate` holds them
    /// unless told `--contract`; a caller that builds a database for itself (snapshot, dev,
    /// tests) applies everything.
    pub hold_contract_steps: bool,
    /// How long a backfill (`-- authdb:backfill`) waits between two batches, for the service's
    /// writes and replication to catch up; `None`: no pause.
    pub backfill_pause: Option<Duration>,
    /// The queries of the app versions declared live (`versions/`, see [`crate::live`]): each
    /// is prepared before every COMMIT, and one that would fail refuses the run.
    pub live: Vec<crate::live::LiveQuery>,
    /// `lock_timeout` for the migrations' statements: how long to wait for a table lock held by
    /// the application before giving up, instead of queueing the application's queries behind us.
    /// `None`: no limit.
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout` for each statement; `None`: no limit.
    pub statement_timeout: Option<Duration>,
    /// How long to wait for another migrator's lock; `None`: no limit.
    pub lock_wait: Option<Duration>,
    /// How many times a run whose statement gave up waiting for a table lock is rolled back and
    /// tried again (see [`crate::retry`]); 0: never.
    pub lock_retries: u32,
    /// Retrying stops once this long has passed since the first attempt; `None`: no limit.
    pub lock_retry_time: Option<Duration>,
    /// The connection goes through a transaction-mode pooler (Neon's `-pooler` endpoints).
    /// A no-transaction migration is then refused: the session-level lock that keeps other
    /// migrators out while it runs would land on whichever server connection the pooler picks.
    /// [`crate::Connection::migrate`] sets it from the connection; a caller with a bare client
    /// says it here.
    pub through_pooler: bool,
    /// Drop an INVALID index that a pending no-transaction migration builds (left by an
    /// earlier failed `CREATE INDEX CONCURRENTLY`) and build it again, instead of refusing.
    pub repair_invalid_indexes: bool,
    /// Send one statement at a time and announce each (`Notice::Statement`, `StatementDone`),
    /// for a caller that must see each start and end (rehearse); otherwise several statements go
    /// in one message (see `batch.rs`).
    pub paced: bool,
    /// The connection's server notices, to hand on with their statements' places
    /// ([`crate::Connection::migrate`] sets it).
    pub server_notices: Option<crate::notice::ServerNotices>,
    /// How to ask, on a second connection, whether a server that has not answered a message
    /// within `statement_timeout` plus a grace is still at work on it ([`crate::probe`];
    /// [`crate::Connection::migrate`] sets it). Without it such a server is presumed gone: a
    /// message of statements that each finish in time, but together take longer, fails.
    pub probe: Option<crate::probe::Probe>,
    /// What to do with a no-transaction migration an earlier run started and did not finish,
    /// when the catalog cannot tell whether it took effect (see [`crate::unfinished`]).
    pub unfinished: Option<Answer>,
    /// Where to say that the run waits for another migrator.
    pub notify: Notify,
}

impl Default for MigrateOptions {
    /// The documented defaults: every wait bounded.
    fn default() -> Self {
        MigrateOptions {
            up_to: None,
            dry_run: false,
            hold_contract_steps: false,
            backfill_pause: None,
            live: Vec::new(),
            lock_timeout: Some(DEFAULT_LOCK_TIMEOUT),
            statement_timeout: Some(DEFAULT_STATEMENT_TIMEOUT),
            lock_wait: Some(DEFAULT_LOCK_WAIT),
            lock_retries: retry::DEFAULT_LOCK_RETRIES,
            lock_retry_time: Some(retry::DEFAULT_LOCK_RETRY_TIME),
            through_pooler: false,
            repair_invalid_indexes: false,
            paced: false,
            server_notices: None,
            probe: None,
            unfinished: None,
            notify: Notify::default(),
        }
    }
}

/// One migration of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub version: i64,
    pub name: String,
    /// Zero in a dry run.
    pub duration_ms: f64,
    /// A backfill's batches and rows (this run's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill: Option<crate::backfill::Backfilled>,
}

/// A pending migration a run held back, and whether it is a contract step itself (the ones
/// after the first are held to keep the order).
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub version: i64,
    pub name: String,
    pub contract: bool,
}

/// What a run did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    pub dry_run: bool,
    /// The highest applied version before the run, if any.
    pub from_version: Option<i64>,
    /// The highest applied version after the run (planned, in a dry run).
    pub to_version: Option<i64>,
    pub steps: Vec<Step>,
    /// Pending migrations not applied because [`MigrateOptions::hold_contract_steps`]: the first
    /// pending contract step and everything after it, in order.
    pub held_back: Vec<Held>,
    /// Unfinished no-transaction migrations of an earlier run, and what this run did about them.
    pub recovered: Vec<Recovery>,
    /// The attempts that gave up waiting for a table lock and were rolled back and tried again.
    pub retries: Vec<Retry>,
    pub duration_ms: f64,
    /// Where the time went (see [`crate::timings`]).
    pub timings: Timings,
}

/// Applies the pending migrations in one transaction under the migration lock.
///
/// A migration marked `-- authdb:no-transaction` cannot share it: the migrations before it are
/// committed, it runs alone, and the rest follow in a new transaction. A session-level lock on
/// the same key is held across the pieces, so no other migrator slips in between.
pub async fn migrate(
    client: &mut Client,
    migrations: &Migrations,
    options: &MigrateOptions,
) -> Result<MigrateReport> {
    let started = Instant::now();
    let mut progress = Progress::default();
    let mut retries: Vec<Retry> = Vec::new();
    for attempt in 0.. {
        let timeouts = Timeouts {
            lock: retry::lock_timeout(attempt, options.lock_timeout, options.lock_retries),
            ..Timeouts::from(options)
        };
        let error = match attempt_once(client, migrations, options, timeouts, &mut progress).await {
            Ok(mut report) => {
                report.retries = retries;
                report.timings = std::mem::take(&mut progress.timings);
                report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
                return Ok(report);
            }
            Err(error) => error,
        };
        let in_time = options
            .lock_retry_time
            .is_none_or(|limit| started.elapsed() < limit);
        if !(retry::is_lock_timeout(&error) && attempt < options.lock_retries && in_time) {
            return Err(after_attempts(error, &retries, &progress));
        }
        // The failed group was rolled back; what earlier pieces committed stays.
        progress.steps.truncate(progress.committed);
        progress.timings.groups.truncate(progress.committed_groups);
        let location = match &error {
            Error::MigrationFailed { location, .. } => location.clone(),
            other => other.to_string(),
        };
        let file = migrations
            .list
            .iter()
            .find(|m| location.starts_with(&m.path.display().to_string()));
        let pause = retry::pause(attempt);
        let held_by = retry::holder(client, file.map_or("", |m| m.sql.as_str())).await;
        let retried = Retry {
            attempt: attempt + 1,
            location,
            lock_timeout_ms: timeouts.lock.map_or(0, |d| d.as_millis() as u64),
            held_by,
            pause_ms: pause.as_millis() as u64,
        };
        options.notify.send(&Notice::LockRetry(retried.clone()));
        retries.push(retried);
        tokio::time::sleep(pause).await;
    }
    unreachable!("the attempts end in a return")
}

/// A failure after retries says how many attempts it took; one outside the migrations' SQL says
/// what the database holds now.
fn after_attempts(error: Error, retries: &[Retry], progress: &Progress) -> Error {
    match error {
        Error::Database { .. } => Error::RunStopped {
            cause: Box::new(error),
            outcome: match progress
                .steps
                .get(..progress.committed)
                .and_then(<[Step]>::last)
            {
                Some(step) => format!(
                    "The migrations before it were committed (the run was split by a \
                     no-transaction migration): the database is at version {}",
                    step.version
                ),
                None => crate::error::ROLLED_BACK.to_string(),
            },
        },
        Error::MigrationFailed {
            location,
            message,
            outcome,
            source,
        } if !retries.is_empty() => Error::MigrationFailed {
            location,
            message,
            outcome: format!(
                "{outcome} (after {} attempts that each gave up waiting for a lock and were \
                 rolled back; see --lock-retries)",
                retries.len() + 1
            ),
            source,
        },
        other => other,
    }
}

/// What the attempts of one migrate have done: the steps, and how many of them are committed
/// (a split run commits in pieces, which a retry does not redo).
#[derive(Default)]
struct Progress {
    steps: Vec<Step>,
    committed: usize,
    /// The version before the first attempt.
    from_version: Option<Option<i64>>,
    timings: Timings,
    /// How many of `timings.groups` are committed.
    committed_groups: usize,
    /// The client gave up waiting for the server (a no-transaction file's statement went
    /// unanswered): anything more sent on this connection would wait behind that statement.
    server_silent: bool,
    /// A split run's session lock was released with its last COMMIT.
    released: bool,
}

impl Progress {
    /// A COMMIT that took `took` ended the last group's transaction: everything so far stays.
    fn mark_committed(&mut self, took: Duration) {
        if let Some(group) = self.timings.groups.last_mut().filter(|g| !g.no_transaction) {
            group.commit_ms += took.as_secs_f64() * 1000.0;
        }
        self.committed = self.steps.len();
        self.committed_groups = self.timings.groups.len();
    }
}

/// Runs `work`, adding its time in milliseconds to `into`.
async fn timed<T>(into: &mut f64, work: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let result = work.await;
    *into += started.elapsed().as_secs_f64() * 1000.0;
    result
}

/// One attempt: the lock, the plan, the migrations.
async fn attempt_once(
    client: &mut Client,
    migrations: &Migrations,
    options: &MigrateOptions,
    timeouts: Timeouts,
    progress: &mut Progress,
) -> Result<MigrateReport> {
    // What of the tracking table exists is asked in the lock's message: a round trip saved.
    let shape_query = tracking::shape_query();
    let locked = begin_locked_then(client, timeouts, &options.notify, &shape_query);
    let answers = timed(&mut progress.timings.lock_ms, locked).await?;
    let shape = tracking::Shape::from_rows(answers.first().map_or(&[], Vec::as_slice));
    let planned = timed(
        &mut progress.timings.history_ms,
        plan_migrate(client, migrations, options, shape),
    );
    let plan = match planned.await {
        Ok(plan) => plan,
        Err(error) => return Err(abort(client, error).await),
    };
    let from_version = *progress.from_version.get_or_insert(plan.from_version);
    let to_version = plan
        .pending
        .last()
        .map(|m| m.version)
        .or(plan.applied_version);
    let mut report = MigrateReport {
        dry_run: options.dry_run,
        from_version,
        to_version,
        steps: Vec::new(),
        held_back: plan
            .held
            .iter()
            .map(|m| Held {
                version: m.version,
                name: m.file_stem(),
                contract: m.contract,
            })
            .collect(),
        recovered: plan.recovered.clone(),
        retries: Vec::new(),
        duration_ms: 0.0,
        timings: Timings::default(),
    };
    if options.dry_run || (plan.pending.is_empty() && plan.recovered.is_empty()) {
        report.steps.extend(plan.pending.iter().map(|m| Step {
            version: m.version,
            name: m.file_stem(),
            duration_ms: 0.0,
            backfill: None,
        }));
        end(client, "ROLLBACK").await?;
        return Ok(report);
    }
    let split = plan.pending.iter().any(|m| m.no_transaction);
    let applied = apply(client, &plan, timeouts, options, split, progress).await;
    // The session lock goes with the session when the server is silent: the process ends, and
    // the server drops the connection once it sees the client gone.
    if split && !progress.server_silent && !std::mem::take(&mut progress.released) {
        crate::lock::release_session(client).await;
    }
    applied?;
    report.steps = std::mem::take(&mut progress.steps);
    Ok(report)
}

/// What a run found under the lock: what to apply, and what to do first about migrations an
/// earlier run left unfinished.
struct Plan<'a> {
    pending: Vec<&'a Migration>,
    /// Pending, but from the first contract step on, held back.
    held: Vec<&'a Migration>,
    recovered: Vec<Recovery>,
    /// The query for the state of the indexes the pending no-transaction files build (see
    /// [`invalid_indexes`]): asked with the first group's opening, before anything is written.
    indexes: Option<unfinished::BuiltIndexes>,
    /// What of the tracking table exists, when the run writes to it: whatever is missing is
    /// created first.
    create: Option<tracking::Shape>,
    /// The highest version applied (and finished) before the run.
    from_version: Option<i64>,
    /// The same, counting what the recoveries record as applied: where a run with nothing
    /// pending leaves the database.
    applied_version: Option<i64>,
}

/// Reads the tracking table and decides what to apply. Runs inside the locked transaction.
async fn plan_migrate<'a>(
    client: &Client,
    migrations: &'a Migrations,
    options: &MigrateOptions,
    shape: tracking::Shape,
) -> Result<Plan<'a>> {
    let (rows, shape) = tracking::read_from(client, shape).await?;
    let (mut applied, unfinished): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|row| row.finished);
    plan::check_history(migrations, &applied)?;
    let from_version = applied.iter().map(|a| a.version).max();
    let mut recovered = Vec::with_capacity(unfinished.len());
    for row in unfinished {
        let recovery = unfinished::recover(
            client,
            &row,
            migrations.get(row.version),
            options.unfinished,
        )
        .await?;
        if recovery.action == unfinished::Action::RecordApplied {
            applied.push(row);
        }
        recovered.push(recovery);
    }
    let mut pending = plan::pending(migrations, &applied, options.up_to)?;
    let held = match pending.iter().position(|m| m.contract) {
        Some(first) if options.hold_contract_steps => pending.split_off(first),
        _ => Vec::new(),
    };
    if let Some(alone) = pending
        .iter()
        .find(|m| m.no_transaction && options.through_pooler)
    {
        return Err(Error::NoTransactionThroughPooler {
            path: alone.path.clone(),
        });
    }
    let indexes = unfinished::built_indexes(pending.iter().copied().filter(|m| m.no_transaction));
    if options.dry_run {
        let validity = unfinished::index_states(client, indexes.as_ref()).await?;
        invalid_indexes(client, &pending, &recovered, options, &validity).await?;
    }
    let nothing_to_write = pending.is_empty() && recovered.is_empty();
    let create = (!options.dry_run && !nothing_to_write).then_some(shape);
    Ok(Plan {
        create,
        pending,
        held,
        recovered,
        indexes,
        from_version,
        applied_version: applied.iter().map(|a| a.version).max(),
    })
}

/// Applies the plan, starting inside the open locked transaction, and commits.
///
/// A no-transaction migration gets its tracking row, unfinished, in the transaction before it
/// (committed with the migrations before it); then it runs alone; then its row is marked
/// finished. The session-level lock keeps other migrators out from the first COMMIT to the end.
async fn apply(
    client: &Client,
    plan: &Plan<'_>,
    timeouts: Timeouts,
    options: &MigrateOptions,
    split: bool,
    progress: &mut Progress,
) -> Result<()> {
    // Without recoveries to write first, the session lock shares the message that opens the
    // first group.
    let session_lock = split && plan.recovered.is_empty();
    let create = async {
        match plan.create {
            Some(shape) => tracking::create_from(client, shape).await,
            None => Ok(()),
        }
    };
    let indexes = unfinished::maybe_built(client, plan.indexes.as_ref());
    let opening = async {
        if plan.recovered.is_empty() {
            // Pipelined: a failed request fails the transaction, and the answers behind it, so
            // the first failure in the order sent is the one to report.
            let (created, indexes, opened) =
                tokio::join!(create, indexes, open(client, session_lock));
            created?;
            let indexes = indexes?;
            return Ok::<_, Error>((opened?, indexes));
        }
        create.await?;
        let indexes = indexes.await?;
        if split && !session_lock {
            crate::lock::hold_for_session(client).await?;
        }
        for recovery in &plan.recovered {
            match recovery.action {
                unfinished::Action::RecordApplied => {
                    tracking::finish(client, recovery.version, 0).await?
                }
                unfinished::Action::RunAgain { .. } => {
                    tracking::forget(client, recovery.version).await?
                }
            }
        }
        Ok((open(client, session_lock).await?, indexes))
    };
    // The session's process id, for the probe: known once the opening's answer is in, which
    // comes before the answers to the group's messages sent behind it.
    let pid = AtomicI32::new(0);
    let first = plan
        .pending
        .first()
        .filter(|m| !m.no_transaction && !options.paced && plan.recovered.is_empty());
    let (opened, mut ahead) = match first {
        // The first group's first message goes behind the opening, pipelined: a failure in the
        // opening fails it, and a refusal after it rolls it back.
        Some(_) => {
            let started = Instant::now();
            let noted = async {
                let opened = opening.await;
                if let Ok((opened, _)) = &opened {
                    pid.store(opened.pid, Relaxed);
                }
                opened
            };
            let group = group_at(&plan.pending, 0);
            let (opened, ran) =
                tokio::join!(noted, batched(client, group, &pid, timeouts, options));
            (opened, Some(Ahead { ran, started }))
        }
        None => (opening.await, None),
    };
    // What to drop before a version's no-transaction file runs (an INVALID index it builds),
    // asked once nothing sent is unanswered: a refusal here rolls back what the opening and the
    // first group wrote.
    let repairs = async {
        let (opened, maybe) = opened?;
        let validity = unfinished::built_states(client, plan.indexes.as_ref(), &maybe).await?;
        let repairs = invalid_indexes(client, &plan.pending, &plan.recovered, options, &validity);
        Ok::<_, Error>((opened, repairs.await?))
    };
    // The open transaction while in one: each tracking row is written only inside it.
    let (mut transaction, repairs) = match repairs.await {
        Ok((opened, repairs)) => (Some(opened), repairs),
        Err(error) => return Err(abort(client, error).await),
    };
    // The version the database is at, once a piece of a split run has been committed: by this
    // attempt, or by an earlier one that a lock retry followed (its pieces stay).
    let mut committed = progress
        .steps
        .get(..progress.committed)
        .and_then(<[Step]>::last)
        .map(|step| Some(step.version));
    let mut index = 0;
    while index < plan.pending.len() {
        let migration = plan.pending[index];
        if migration.no_transaction {
            index += 1;
            let opened = match transaction.take() {
                Some(opened) => opened,
                None => {
                    timed(
                        &mut progress.timings.lock_ms,
                        begin_opened(client, timeouts, &options.notify),
                    )
                    .await?
                }
            };
            // The configured lock timeout from the first attempt, not the short ones of a retry:
            // what a no-transaction file waits for (CREATE INDEX CONCURRENTLY waits for every
            // transaction open on the server to end) blocks no query of the service, and
            // waiting briefly would only throw away the index it was building.
            let alone_timeouts = Timeouts {
                lock: options.lock_timeout,
                ..timeouts
            };
            let set = if options.live.is_empty() {
                // The row, the COMMIT and the file's session settings pipelined: one round trip
                // where they took three. A failed row leaves the transaction failed, and the
                // COMMIT behind it rolls it back.
                let began = Instant::now();
                let (row, commit, set) = tokio::join!(
                    tracking::start(client, migration, &opened.transaction),
                    end(client, "COMMIT"),
                    set_timeouts(client, alone_timeouts, "SET"),
                );
                if let Err(error) = row {
                    return Err(partly_committed(error, committed, true, Run::Migrate));
                }
                commit?;
                progress.mark_committed(began.elapsed());
                Some(set)
            } else {
                let started = tracking::start(client, migration, &opened.transaction).await;
                let checked = match started {
                    Ok(()) => crate::live::check(client, &options.live).await,
                    Err(error) => Err(error),
                };
                if let Err(error) = checked {
                    let error = abort(client, error).await;
                    return Err(partly_committed(error, committed, true, Run::Migrate));
                }
                let began = Instant::now();
                end(client, "COMMIT").await?;
                progress.mark_committed(began.elapsed());
                None
            };
            committed = progress.steps.last().map(|s| Some(s.version)).or(committed);
            let ran = match set {
                Some(Err(error)) => Err(error),
                Some(Ok(())) => {
                    run_alone(client, migration, &repairs, alone_timeouts, options, true).await
                }
                None => {
                    run_alone(client, migration, &repairs, alone_timeouts, options, false).await
                }
            };
            let (elapsed, backfilled) = match ran {
                Ok(ran) => ran,
                Err(error) => {
                    // A statement's error without the server's answer: the client's deadline.
                    progress.server_silent =
                        matches!(&error, Error::MigrationFailed { source: None, .. });
                    return Err(partly_committed(error, committed, false, Run::Migrate));
                }
            };
            // The row marked finished and, when more follow, the next transaction begun,
            // pipelined: they share a round trip. A failed row rolls the new one back.
            let ms = elapsed.as_millis() as i64;
            let finish = tracking::finish(client, migration.version, ms);
            let (finished, begun) = match plan.pending.get(index) {
                // The next group's first message too, behind its BEGIN: a round trip for all.
                // A BEGIN that does not hold the lock fails, and the message behind it.
                Some(next) if !next.no_transaction && !options.paced => {
                    let started = Instant::now();
                    let begun = async {
                        match begin_held(client, timeouts).await {
                            Ok(opened) => {
                                pid.store(opened.pid, Relaxed);
                                Ok(opened)
                            }
                            Err(error) => Err(abort(client, error).await),
                        }
                    };
                    let group = group_at(&plan.pending, index);
                    let (finished, begun, ran) = tokio::join!(
                        finish,
                        begun,
                        batched(client, group, &pid, timeouts, options)
                    );
                    ahead = Some(Ahead { ran, started });
                    (finished, Some(begun))
                }
                Some(_) => {
                    let both = async {
                        tokio::join!(finish, begin_opened(client, timeouts, &options.notify))
                    };
                    let (finished, begun) = timed(&mut progress.timings.lock_ms, both).await;
                    (finished, Some(begun))
                }
                None => (finish.await, None),
            };
            if let Err(error) = finished {
                if let Some(Ok(_)) = begun {
                    let _ = abort(client, Error::NothingToRollBack).await;
                }
                return Err(partly_committed(error, committed, false, Run::Migrate));
            }
            committed = Some(Some(migration.version));
            progress.steps.push(Step {
                backfill: backfilled,
                ..step(migration, elapsed)
            });
            progress.timings.groups.push(alone(migration, elapsed));
            progress.mark_committed(Duration::ZERO);
            transaction = begun.transpose()?;
            continue;
        }
        // The ordinary files up to the next no-transaction one share the open transaction.
        let group = group_at(&plan.pending, index);
        index += group.len();
        let (ran, started) = match ahead.take() {
            Some(Ahead { ran, started }) => (ran, started),
            None => {
                let opened = match transaction.clone() {
                    Some(opened) => opened,
                    None => {
                        let begun = begin_opened(client, timeouts, &options.notify);
                        let opened = timed(&mut progress.timings.lock_ms, begun).await?;
                        transaction = Some(opened.clone());
                        opened
                    }
                };
                pid.store(opened.pid, Relaxed);
                let started = Instant::now();
                let ran = run_group(client, group, &opened, &pid, timeouts, options).await;
                (ran, started)
            }
        };
        let applied = match ran {
            Ok(applied) => applied,
            Err(Error::TransactionEnded { location, .. }) => {
                return Err(tracking::ended(client, location).await);
            }
            Err(error) => {
                let error = abort(client, error).await;
                return Err(partly_committed(error, committed, true, Run::Migrate));
            }
        };
        progress
            .timings
            .groups
            .push(timings::Group::of(group, &applied, started.elapsed()));
        for (migration, elapsed) in group.iter().zip(applied.times) {
            progress.steps.push(step(migration, elapsed));
        }
    }
    if transaction.is_some()
        && let Err(error) = crate::live::check(client, &options.live).await
    {
        let error = abort(client, error).await;
        return Err(partly_committed(error, committed, true, Run::Migrate));
    }
    let started = Instant::now();
    if transaction.is_some() && split {
        // The session lock released behind the COMMIT, pipelined: one round trip for both.
        let (commit, ()) =
            tokio::join!(end(client, "COMMIT"), crate::lock::release_session(client));
        progress.released = true;
        commit?;
    } else if transaction.is_some() {
        end(client, "COMMIT").await?;
    }
    progress.mark_committed(started.elapsed());
    Ok(())
}

/// The open transaction's id and the session's process id ([`OPEN`]), after the session-level
/// lock when `session_lock`: one round trip.
async fn open(client: &Client, session_lock: bool) -> Result<Opened> {
    let sql = match session_lock {
        true => format!("{}; {OPEN}", crate::lock::session_try()),
        false => OPEN.to_string(),
    };
    let what = "reading the run's transaction id";
    let messages = bounded(what, Some(STEP_DEADLINE), simple(client, &sql, what)).await?;
    let rows = statement_rows(messages);
    if session_lock {
        let answer = rows.first().and_then(|r| r.first()).and_then(|r| r.get(0));
        crate::lock::session_held(answer)?;
    }
    Opened::from_rows(rows.last().map_or(&[], Vec::as_slice))
}

fn step(migration: &Migration, elapsed: std::time::Duration) -> Step {
    Step {
        version: migration.version,
        name: migration.file_stem(),
        duration_ms: elapsed.as_secs_f64() * 1000.0,
        backfill: None,
    }
}

impl From<&MigrateOptions> for Timeouts {
    fn from(options: &MigrateOptions) -> Self {
        Timeouts {
            lock: options.lock_timeout,
            statement: options.statement_timeout,
            lock_wait: options.lock_wait,
        }
    }
}
