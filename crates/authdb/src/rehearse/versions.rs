//! The declared live versions played under load: one worker per version, on its own connection,
//! sending that version's queries in turn at the probe's pace, with the values their
//! `-- authdb:args` name (see [`crate::live`]). A version starts when the rehearsal reaches the
//! first phase boundary where every query of it prepares (the [`matrix`](super::matrix)): the
//! old version from the start, the new one once its expand is applied, as a rollout would.
//! Its queries are timed and their failures kept, per step, beside the probe's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::analysis::{Segment, StepRun, percentile};
use super::matrix::Matrix;
use super::probe::Account;
use crate::error::{Result, database, describe};
use crate::live::{Arg, LiveQuery};

/// One version's queries that can be played, and when it starts.
struct Playable {
    version: String,
    queries: Vec<(LiveQuery, Vec<Arg>)>,
    /// The schema version from which every query of it prepares; `None`: never in this run.
    from: Option<i64>,
}

/// A running version: its worker and the flag that lets it play.
pub(crate) struct Player {
    pub version: String,
    pub from: Option<i64>,
    live: Arc<AtomicBool>,
    handle: JoinHandle<Vec<Played>>,
}

/// One timed query of a version.
pub(crate) struct Played {
    started: Instant,
    ended: Instant,
    error: Option<String>,
}

/// The versions to play: those with a query that can be (no parameters, or `-- authdb:args`).
fn playable(queries: &[LiveQuery], matrix: &Matrix) -> Vec<Playable> {
    let mut versions: Vec<Playable> = Vec::new();
    for query in queries {
        let args = match (&query.args, crate::live::parameters(&query.sql)) {
            (Some(args), _) => args.clone(),
            (None, 0) => Vec::new(),
            (None, _) => continue,
        };
        if versions.last().is_none_or(|v| v.version != query.version) {
            let row = matrix.versions.iter().find(|r| r.version == query.version);
            let from = row.and_then(|row| {
                matrix
                    .phases
                    .iter()
                    .zip(&row.cells)
                    .find(|(_, broken)| broken.is_empty())
                    .map(|(phase, _)| phase.version)
            });
            versions.push(Playable {
                version: query.version.clone(),
                queries: Vec::new(),
                from,
            });
        }
        let last = versions.last_mut().expect("pushed above");
        last.queries.push((query.clone(), args));
    }
    versions
}

/// Starts a worker per playable version, each on a client from `open`; those that prepare at
/// `applied` play at once, the others wait for [`Player::start`].
pub(crate) async fn start(
    queries: &[LiveQuery],
    matrix: &Matrix,
    applied: i64,
    accounts: Arc<Vec<Account>>,
    interval: Duration,
    stop: Arc<AtomicBool>,
    mut open: impl AsyncFnMut() -> Result<Client>,
) -> Result<Vec<Player>> {
    let mut players = Vec::new();
    for (index, version) in playable(queries, matrix).into_iter().enumerate() {
        let client = open().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(database("starting a live version's worker"))?;
        let live = Arc::new(AtomicBool::new(version.from == Some(applied)));
        let (flag, stop, accounts) = (live.clone(), stop.clone(), accounts.clone());
        let queries = version.queries;
        let handle = tokio::spawn(async move {
            play(&client, index, &queries, &accounts, interval, &flag, &stop).await
        });
        players.push(Player {
            version: version.version,
            from: version.from,
            live,
            handle,
        });
    }
    Ok(players)
}

impl Player {
    /// The rehearsal has applied up to `applied`: the version plays from its boundary on.
    pub fn reached(&self, applied: i64) {
        if self.from.is_some_and(|from| from <= applied) {
            self.live.store(true, Ordering::Relaxed);
        }
    }

    pub async fn join(self) -> (String, Option<i64>, Vec<Played>) {
        // A worker only ends by the stop flag; a panic in it is a bug worth seeing.
        let played = self.handle.await.expect("a version's worker panicked");
        (self.version, self.from, played)
    }
}

async fn play(
    client: &Client,
    index: usize,
    queries: &[(LiveQuery, Vec<Arg>)],
    accounts: &[Account],
    interval: Duration,
    live: &AtomicBool,
    stop: &AtomicBool,
) -> Vec<Played> {
    // Seeded apart from the probe's workers, which use their own index.
    let mut rng = fastrand::Rng::with_seed(1_000 + index as u64);
    let mut played = Vec::new();
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        if live.load(Ordering::Relaxed) {
            let (query, args) = &queries[n % queries.len()];
            let account = &accounts[rng.usize(..accounts.len())];
            let started = Instant::now();
            let result = send(client, query, args, account, index, n).await;
            played.push(Played {
                started,
                ended: Instant::now(),
                error: result.err().map(|e| describe(&e)),
            });
            n += 1;
        }
        tokio::time::sleep(interval).await;
    }
    played
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
    /// The schema version it started playing at; `None` when no boundary of the run fits it.
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
