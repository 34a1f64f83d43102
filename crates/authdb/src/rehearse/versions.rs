//! The declared live versions played under load: one worker per version, on its own connection,
//! sending that version's queries in turn at the probe's pace, with the values their
//! `-- authdb:args` name (see [`crate::live`]). A version starts as soon as every query of it
//! prepares: the old version from the start, the new one after the step that adds what it reads
//! (each worker tries again after every step), as a rollout may start once the expand is in.
//! Its queries are timed and their failures kept, per step, beside the probe's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::analysis::{Segment, StepRun, percentile};
use super::probe::Account;
use crate::error::{Result, database, describe};
use crate::live::{Arg, LiveQuery};

/// One version's queries that can be played.
struct Playable {
    version: String,
    queries: Vec<(LiveQuery, Vec<Arg>)>,
}

/// A running version: its worker, and what tells it a step was applied.
pub(crate) struct Player {
    pub version: String,
    /// The version the rehearsal applied last; the worker reads it when it starts playing.
    applied: Arc<AtomicI64>,
    /// Set after each step: the worker tries preparing its queries again.
    check: Arc<AtomicBool>,
    handle: JoinHandle<(Option<i64>, Vec<Played>)>,
}

/// One timed query of a version.
pub(crate) struct Played {
    started: Instant,
    ended: Instant,
    error: Option<String>,
}

/// The versions to play: those with a query that can be (no parameters, or `-- authdb:args`).
fn playable(queries: &[LiveQuery]) -> Vec<Playable> {
    let mut versions: Vec<Playable> = Vec::new();
    for query in queries {
        let args = match (&query.args, crate::live::parameters(&query.sql)) {
            (Some(args), _) => args.clone(),
            (None, 0) => Vec::new(),
            (None, _) => continue,
        };
        if versions.last().is_none_or(|v| v.version != query.version) {
            versions.push(Playable {
                version: query.version.clone(),
                queries: Vec::new(),
            });
        }
        let last = versions.last_mut().expect("pushed above");
        last.queries.push((query.clone(), args));
    }
    versions
}

/// Starts a worker per playable version, each on a client from `open`; each plays once all its
/// queries prepare, trying at once (`applied` is the version applied now) and after each step.
pub(crate) async fn start(
    queries: &[LiveQuery],
    applied: i64,
    accounts: Arc<Vec<Account>>,
    interval: Duration,
    stop: Arc<AtomicBool>,
    mut open: impl AsyncFnMut() -> Result<Client>,
) -> Result<Vec<Player>> {
    let mut players = Vec::new();
    for (index, version) in playable(queries).into_iter().enumerate() {
        let client = open().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(database("starting a live version's worker"))?;
        let applied = Arc::new(AtomicI64::new(applied));
        let check = Arc::new(AtomicBool::new(true));
        let worker = Worker {
            index,
            queries: version.queries,
            accounts: accounts.clone(),
            interval,
            applied: applied.clone(),
            check: check.clone(),
            stop: stop.clone(),
        };
        let handle = tokio::spawn(async move { worker.play(&client).await });
        players.push(Player {
            version: version.version,
            applied,
            check,
            handle,
        });
    }
    Ok(players)
}

impl Player {
    /// The rehearsal has applied up to `applied`: a version not yet playing tries again.
    pub fn reached(&self, applied: i64) {
        self.applied.store(applied, Ordering::Relaxed);
        self.check.store(true, Ordering::Relaxed);
    }

    /// The version's name, the schema version it started playing at, and its queries.
    pub async fn join(self) -> (String, Option<i64>, Vec<Played>) {
        // A worker only ends by the stop flag; a panic in it is a bug worth seeing.
        let (from, played) = self.handle.await.expect("a version's worker panicked");
        (self.version, from, played)
    }
}

struct Worker {
    index: usize,
    queries: Vec<(LiveQuery, Vec<Arg>)>,
    accounts: Arc<Vec<Account>>,
    interval: Duration,
    applied: Arc<AtomicI64>,
    check: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Worker {
    async fn play(self, client: &Client) -> (Option<i64>, Vec<Played>) {
        // Seeded apart from the probe's workers, which use their own index.
        let mut rng = fastrand::Rng::with_seed(1_000 + self.index as u64);
        let mut played = Vec::new();
        let mut from = None;
        let mut n = 0usize;
        while !self.stop.load(Ordering::Relaxed) {
            if from.is_none() && self.check.swap(false, Ordering::Relaxed) {
                let applied = self.applied.load(Ordering::Relaxed);
                if self.prepares(client).await {
                    from = Some(applied);
                }
            }
            if from.is_some() {
                let (query, args) = &self.queries[n % self.queries.len()];
                let account = &self.accounts[rng.usize(..self.accounts.len())];
                let started = Instant::now();
                let result = send(client, query, args, account, self.index, n).await;
                played.push(Played {
                    started,
                    ended: Instant::now(),
                    error: result.err().map(|e| describe(&e)),
                });
                n += 1;
            }
            tokio::time::sleep(self.interval).await;
        }
        (from, played)
    }

    /// Whether every query of the version prepares against the schema as it is now.
    async fn prepares(&self, client: &Client) -> bool {
        for (query, _) in &self.queries {
            if client.prepare(&query.sql).await.is_err() {
                return false;
            }
        }
        true
    }
}

async fn send(
    client: &Client,
    query: &LiveQuery,
    args: &[Arg],
    account: &Account,
    index: usize,
    n: usize,
) -> std::result::Result<(), tokio_postgres::Error> {
    let email = account.email.to_lowercase();
    let fresh_email = format!("live-{}-{index}-{n}@rehearse.example", query.version);
    let fresh_token = format!("live-{}-{index}-{n:09}", query.version);
    let now = SystemTime::now();
    let params: Vec<(&(dyn ToSql + Sync), Type)> = args
        .iter()
        .map(|arg| -> (&(dyn ToSql + Sync), Type) {
            match arg {
                Arg::UserId => (&account.id, Type::UUID),
                Arg::UserEmail => (&email, Type::TEXT),
                Arg::SessionToken => (&account.token, Type::TEXT),
                Arg::NewEmail => (&fresh_email, Type::TEXT),
                Arg::NewToken => (&fresh_token, Type::TEXT),
                Arg::Now => (&now, Type::TIMESTAMPTZ),
            }
        })
        .collect();
    client.query_typed(&query.sql, &params).await.map(drop)
}

/// One version over the rehearsal.
#[derive(Debug, Clone, Serialize)]
pub struct VersionLoad {
    pub version: String,
    /// The schema version it started playing at; `None` when its queries never all prepared.
    pub from: Option<i64>,
    /// p99 of its queries in the baseline, when it played then.
    pub baseline_p99_ms: Option<f64>,
    pub steps: Vec<VersionStep>,
}

/// One version during one step (and the settle time after it).
#[derive(Debug, Clone, Serialize)]
pub struct VersionStep {
    pub step: String,
    pub queries: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub p99_ms: f64,
    pub longest_ms: f64,
}

/// Each version's queries summed up per baseline and step.
pub(crate) fn summarise(
    version: String,
    from: Option<i64>,
    played: &[Played],
    baseline: &[Segment],
    steps: &[StepRun],
) -> VersionLoad {
    let latencies = |within: &dyn Fn(Instant) -> bool| -> Vec<f64> {
        let mut ms: Vec<f64> = played
            .iter()
            .filter(|p| within(p.started))
            .map(|p| (p.ended - p.started).as_secs_f64() * 1000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        ms
    };
    let in_baseline = |at: Instant| baseline.iter().any(|s| s.started <= at && at < s.ended);
    let base = latencies(&in_baseline);
    let steps = steps
        .iter()
        .map(|step| {
            let within = |at: Instant| step.started <= at && at < step.settled;
            let ms = latencies(&within);
            let failures: Vec<&Played> = played
                .iter()
                .filter(|p| within(p.started) && p.error.is_some())
                .collect();
            VersionStep {
                step: step.name.clone(),
                queries: ms.len(),
                failed: failures.len(),
                first_error: failures.first().and_then(|p| p.error.clone()),
                p99_ms: percentile(&ms, 0.99),
                longest_ms: ms.last().copied().unwrap_or(0.0),
            }
        })
        .collect();
    VersionLoad {
        version,
        from,
        baseline_p99_ms: (!base.is_empty()).then(|| percentile(&base, 0.99)),
        steps,
    }
}
