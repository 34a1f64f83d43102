//! The sampler: another connection that asks the server, every few milliseconds, which table locks
//! the migrator holds (or waits for) in `pg_locks`, and which probe backends wait on it
//! (`pg_blocking_pids`). When a statement is done, the migrator waits (a barrier) until the sampler
//! has looked once more, so that a lock held only briefly (an `ADD COLUMN` that commits right
//! after) is still seen, and each lock is known to come from the statement before.
//!
//! `pg_blocking_pids` takes the lock manager's partition locks, so it is only called for probe
//! backends that are waiting on a lock; the cost of sampling at all is measured in every
//! rehearsal (the baseline alternates the sampler off and on).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, oneshot};
use tokio_postgres::{Client, Statement};

use super::lock_mode::LockMode;
use crate::conninfo::ConnInfo;
use crate::error::{Result, database};
use crate::tracking;

/// What the server said at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    /// When the question was sent; the server's answer is from between this and `received`.
    pub sent: Instant,
    pub received: Instant,
    /// The migrator's locks on tables, granted or waited for.
    pub held: Vec<Held>,
    /// Probe backends waiting on the migrator, directly or queued behind a probe that is.
    pub blocked: Vec<Blocked>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Held {
    pub table: String,
    pub mode: LockMode,
    pub granted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blocked {
    pub pid: i32,
    /// The table whose lock it waits for; `None` when it waits for a row or a transaction.
    pub table: Option<String>,
}

/// Shared with the orchestration: on or off (the baseline measures both), a barrier when a
/// statement is done, and stop.
#[derive(Debug, Default)]
pub(crate) struct Control {
    pub enabled: AtomicBool,
    stop: AtomicBool,
    wake: Notify,
    /// Set by a barrier: sample now, whatever the interval.
    now: AtomicBool,
    /// When the latest sample was sent; a barrier waits for one sent after it was asked for.
    latest: Mutex<Option<Instant>>,
    sampled: Condvar,
}

impl Control {
    /// A statement has finished and its locks are held until the COMMIT that may follow at once:
    /// blocks the calling thread (the migrator's) until a sample taken from now on is in, or
    /// `limit` has passed. The sampler runs on a thread of its own, so it cannot be what waits.
    /// Returns how long it waited.
    pub fn barrier(&self, limit: Duration) -> Duration {
        let asked = Instant::now();
        self.now.store(true, Ordering::Relaxed);
        self.wake.notify_one();
        let latest = lock(&self.latest);
        let _ = self
            .sampled
            .wait_timeout_while(latest, limit, |latest| latest.is_none_or(|t| t < asked));
        asked.elapsed()
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn sampled_at(&self, sent: Instant) {
        *lock(&self.latest) = Some(sent);
        self.sampled.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

const SQL: &str = "
SELECT 'held', c.relname::text, l.mode, l.granted, 0, NULL::int[]
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = $1 AND l.locktype = 'relation' AND c.relkind IN ('r', 'p')
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND c.relnamespace <> 'pg_catalog'::regnamespace AND c.relname <> $3
UNION ALL
SELECT 'waiting',
       (SELECT t.relname::text
          FROM pg_locks w JOIN pg_class c ON c.oid = w.relation
          LEFT JOIN pg_index ix ON ix.indexrelid = c.oid
          JOIN pg_class t ON t.oid = coalesce(ix.indrelid, c.oid)
         WHERE w.pid = a.pid AND NOT w.granted AND w.locktype = 'relation' LIMIT 1),
       NULL, NULL, a.pid, pg_blocking_pids(a.pid)
  FROM pg_stat_activity a
 WHERE a.pid = ANY($2) AND a.wait_event_type = 'Lock'";

/// The sampler, on a thread and runtime of its own, so that neither the probe's load nor a
/// barrier on the migrator's thread delays it.
pub(crate) struct Sampler {
    thread: std::thread::JoinHandle<Result<Vec<Sample>>>,
}

impl Sampler {
    /// Connects and prepares; returns once it is ready to sample.
    pub async fn start(
        info: ConnInfo,
        migrator: i32,
        probes: Vec<i32>,
        interval: Duration,
        control: Arc<Control>,
    ) -> Result<Sampler> {
        let (ready, is_ready) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime always builds");
            runtime.block_on(async {
                let prepared = async {
                    let client = super::open(&info).await?;
                    let statement = client
                        .prepare(SQL)
                        .await
                        .map_err(database("preparing the lock sampler's query"))?;
                    Ok((client, statement))
                };
                let (client, statement) = match prepared.await {
                    Ok(prepared) => {
                        let _ = ready.send(Ok(()));
                        prepared
                    }
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return Ok(Vec::new());
                    }
                };
                let params = Params {
                    migrator,
                    probes: &probes,
                    interval,
                };
                run(&client, &statement, &params, &control).await
            })
        });
        match is_ready.await {
            Ok(Ok(())) => Ok(Sampler { thread }),
            Ok(Err(error)) => Err(error),
            Err(_) => panic!("the sampler's thread ended before it was ready"),
        }
    }

    /// The samples, once [`Control::stop`] was called.
    pub async fn finish(self) -> Result<Vec<Sample>> {
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .expect("joining the sampler's thread")
            .expect("the sampler panicked")
    }
}

struct Params<'a> {
    migrator: i32,
    probes: &'a [i32],
    interval: Duration,
}

async fn run(
    client: &Client,
    statement: &Statement,
    params: &Params<'_>,
    control: &Control,
) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    while !control.stopped() {
        if !control.enabled.load(Ordering::Relaxed) {
            wait(control, Instant::now() + params.interval).await;
            continue;
        }
        let sent = Instant::now();
        let rows = client
            .query(
                statement,
                &[&params.migrator, &params.probes, &tracking::TABLE],
            )
            .await
            .map_err(database("sampling the migration's locks"))?;
        samples.push(sample(sent, Instant::now(), params.migrator, &rows));
        control.sampled_at(sent);
        if !control.now.swap(false, Ordering::Relaxed) {
            wait(control, sent + params.interval).await;
        }
    }
    Ok(samples)
}

/// Until `until`, a barrier, or stop.
async fn wait(control: &Control, until: Instant) {
    tokio::select! {
        () = tokio::time::sleep_until(until.into()) => {}
        () = control.wake.notified() => {}
    }
}

fn sample(sent: Instant, received: Instant, migrator: i32, rows: &[tokio_postgres::Row]) -> Sample {
    let mut held = Vec::new();
    let mut waiting: Vec<(i32, Option<String>, Vec<i32>)> = Vec::new();
    for row in rows {
        let what: &str = row.get(0);
        if what == "held" {
            let mode: &str = row.get(2);
            if let Some(mode) = LockMode::parse(mode) {
                held.push(Held {
                    table: row.get(1),
                    mode,
                    granted: row.get(3),
                });
            }
        } else {
            let blockers: Option<Vec<i32>> = row.get(5);
            waiting.push((row.get(4), row.get(1), blockers.unwrap_or_default()));
        }
    }
    Sample {
        sent,
        received,
        held,
        blocked: blocked_by(migrator, waiting),
    }
}

/// The waiting backends whose wait leads to the migrator: blocked by it, or queued behind one
/// that is (a lock queue is first come, first served).
fn blocked_by(migrator: i32, waiting: Vec<(i32, Option<String>, Vec<i32>)>) -> Vec<Blocked> {
    let mut blocked: HashSet<i32> = HashSet::from([migrator]);
    loop {
        let before = blocked.len();
        for (pid, _, blockers) in &waiting {
            if blockers.iter().any(|b| blocked.contains(b)) {
                blocked.insert(*pid);
            }
        }
        if blocked.len() == before {
            break;
        }
    }
    waiting
        .into_iter()
        .filter(|(pid, _, _)| *pid != migrator && blocked.contains(pid))
        .map(|(pid, table, _)| Blocked { pid, table })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Blocked, blocked_by};

    #[test]
    fn a_probe_queued_behind_a_blocked_probe_is_blocked_by_the_migrator_too() {
        let users = Some("users".to_string());
        let waiting = vec![
            (11, users.clone(), vec![7]),
            (12, users.clone(), vec![11]),
            // Waits on another probe that is not waiting on the migration: not its doing.
            (13, None, vec![14]),
        ];
        let blocked = blocked_by(7, waiting);
        assert_eq!(
            blocked,
            vec![
                Blocked {
                    pid: 11,
                    table: users.clone()
                },
                Blocked {
                    pid: 12,
                    table: users
                },
            ]
        );
    }
}
