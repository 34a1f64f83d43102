//! The application probe: a few workers, each on its own connection, running one of the auth
//! service's hot queries at a fixed pace with seeded choices of account, and timing every one. It
//! stands in for the service while a migration runs, so the queries are the service's own:
//! BetterAuth's user look-up (`WHERE email = $1` with the address lowercased), a session by token,
//! a new session, a session refresh (which fires the `updated_at` trigger) and a profile update.
//! One kind per worker, so that a kind the migration blocks does not stop the others from being
//! measured (a worker waits with its query, as a request of the service would). Each is sent as one
//! unnamed statement with typed parameters, as node-postgres sends them: no plan is cached, so a
//! column whose type a migration changes does not make a stale prepared statement fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use crate::error::{Error, Result, database, describe};

/// What the service asks the database, one kind per hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    /// Sign-in: the user by email, as BetterAuth looks it up.
    UserByEmail,
    /// Every authenticated request: the session by its token.
    SessionByToken,
    /// Sign-in: a new session.
    InsertSession,
    /// Sliding expiry: `expires_at` moves on, and the trigger sets `updated_at`.
    RefreshSession,
    /// A profile edit: one background row, software or hardware in turn.
    UpdateProfile,
}

impl QueryKind {
    /// The fixed mix: worker `i` runs `ALL[i % 5]`, so each kind has the same share.
    pub const ALL: [QueryKind; 5] = [
        QueryKind::UserByEmail,
        QueryKind::SessionByToken,
        QueryKind::InsertSession,
        QueryKind::RefreshSession,
        QueryKind::UpdateProfile,
    ];

    pub fn name(self) -> &'static str {
        match self {
            QueryKind::UserByEmail => "user_by_email",
            QueryKind::SessionByToken => "session_by_token",
            QueryKind::InsertSession => "insert_session",
            QueryKind::RefreshSession => "refresh_session",
            QueryKind::UpdateProfile => "update_profile",
        }
    }
}

/// A user the probe acts as: picked from the database once, before the baseline.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: Uuid,
    pub email: String,
    pub token: String,
}

/// How many accounts the probe draws from: enough that workers rarely touch the same rows.
const ACCOUNTS: i64 = 2000;

/// The first users by id that have a session: the same rows for the same seed, and a look-up by
/// primary key, so picking them costs nothing on a large table.
pub(crate) async fn accounts(client: &Client) -> Result<Vec<Account>> {
    let rows = client
        .query(
            "SELECT u.id, u.email::text,
                    (SELECT s.token::text FROM sessions s WHERE s.user_id = u.id
                      ORDER BY s.token LIMIT 1)
               FROM users u ORDER BY u.id LIMIT $1",
            &[&ACCOUNTS],
        )
        .await
        .map_err(database("picking the users the probe acts as"))?;
    let accounts: Vec<Account> = rows
        .iter()
        .filter_map(|row| {
            Some(Account {
                id: row.get(0),
                email: row.get(1),
                token: row.get::<_, Option<String>>(2)?,
            })
        })
        .collect();
    if accounts.is_empty() {
        return Err(Error::NoAccountsToProbe);
    }
    Ok(accounts)
}

/// One timed query.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub kind: QueryKind,
    /// The backend that ran it, as the sampler sees it in pg_locks.
    pub pid: i32,
    pub started: Instant,
    pub ended: Instant,
    /// The server's or the driver's message when it failed.
    pub error: Option<String>,
}

impl Query {
    pub fn latency(&self) -> Duration {
        self.ended - self.started
    }
}

/// A running worker: its backend pid, and its queries once stopped.
pub(crate) struct Worker {
    pub pid: i32,
    handle: JoinHandle<Vec<Query>>,
}

impl Worker {
    pub async fn join(self) -> Vec<Query> {
        // A worker only ends by the stop flag; a panic in it is a bug worth seeing.
        self.handle.await.expect("a probe worker panicked")
    }
}

/// Starts one worker per client, worker `i` running the kind `QueryKind::ALL[i % 5]`. `stop`
/// ends them all. Nothing is started unless every client answers.
pub(crate) async fn start(
    clients: Vec<Client>,
    accounts: Arc<Vec<Account>>,
    interval: Duration,
    stop: Arc<AtomicBool>,
) -> Result<Vec<Worker>> {
    let count = clients.len();
    let mut ready = Vec::with_capacity(count);
    for client in clients {
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .map_err(database("starting a probe worker"))?
            .get(0);
        ready.push((client, pid));
    }
    let workers = ready
        .into_iter()
        .enumerate()
        .map(|(index, (client, pid))| {
            let mine = share(&accounts, index, count);
            let stop = stop.clone();
            let handle =
                tokio::spawn(async move { run(&client, pid, index, &mine, interval, &stop).await });
            Worker { pid, handle }
        })
        .collect();
    Ok(workers)
}

/// The accounts of worker `index`: every `count`-th, so no two workers update the same row and
/// wait on each other instead of on the migration. All of them when there are too few to share.
fn share(accounts: &[Account], index: usize, count: usize) -> Vec<Account> {
    let mine: Vec<Account> = accounts
        .iter()
        .skip(index)
        .step_by(count)
        .cloned()
        .collect();
    if mine.is_empty() {
        accounts.to_vec()
    } else {
        mine
    }
}

/// The worker's loop: its kind, accounts from an RNG seeded with the worker's index, one query
/// per `interval` (or back to back when a query took longer).
async fn run(
    client: &Client,
    pid: i32,
    index: usize,
    accounts: &[Account],
    interval: Duration,
    stop: &AtomicBool,
) -> Vec<Query> {
    let mut rng = fastrand::Rng::with_seed(index as u64);
    let mut queries = Vec::new();
    let mut next = tokio::time::Instant::now();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let (kind, account) = choose(&mut rng, index, accounts.len());
        let account = &accounts[account];
        let token = format!("rehearse-{index}-{n:09}");
        let started = Instant::now();
        let result = send(client, kind, account, &token, n).await;
        let ended = Instant::now();
        queries.push(Query {
            kind,
            pid,
            started,
            ended,
            error: result.err().map(|e| describe(&e)),
        });
        n += 1;
        next += interval;
        let now = tokio::time::Instant::now();
        if next > now {
            tokio::time::sleep_until(next).await;
        } else {
            // Behind after a slow query: carry on at the pace from here, without a burst.
            next = now;
        }
    }
    queries
}

/// The next query of worker `index`: its kind, and an account from its own seeded RNG. The same
/// worker makes the same choices, run after run.
fn choose(rng: &mut fastrand::Rng, index: usize, accounts: usize) -> (QueryKind, usize) {
    (
        QueryKind::ALL[index % QueryKind::ALL.len()],
        rng.usize(..accounts),
    )
}

/// The profile values the updates write in turn.
const LANGUAGES: [&[&str]; 3] = [&["rust"], &["go", "rust"], &["python", "sql"]];
const DEVICES: [&[&str]; 3] = [&["laptop"], &["fpga", "sbc"], &["desktop", "phone"]];

async fn send(
    client: &Client,
    kind: QueryKind,
    account: &Account,
    token: &str,
    n: usize,
) -> std::result::Result<(), tokio_postgres::Error> {
    let email = account.email.to_lowercase();
    let (sql, params): (&str, Vec<(&(dyn ToSql + Sync), Type)>) = match kind {
        QueryKind::UserByEmail => (
            "SELECT id, email, password_hash, created_at, updated_at FROM users WHERE email = $1",
            vec![(&email, Type::TEXT)],
        ),
        QueryKind::SessionByToken => (
            "SELECT id, user_id, token, expires_at, created_at, updated_at FROM sessions \
             WHERE token = $1",
            vec![(&account.token, Type::TEXT)],
        ),
        QueryKind::InsertSession => (
            "INSERT INTO sessions (user_id, token, expires_at) \
             VALUES ($1, $2, now() + interval '7 days')",
            vec![(&account.id, Type::UUID), (&token, Type::TEXT)],
        ),
        QueryKind::RefreshSession => (
            "UPDATE sessions SET expires_at = now() + interval '7 days' WHERE token = $1",
            vec![(&account.token, Type::TEXT)],
        ),
        QueryKind::UpdateProfile if n.is_multiple_of(2) => (
            "UPDATE software_background SET preferred_languages = $2 WHERE user_id = $1",
            vec![
                (&account.id, Type::UUID),
                (&LANGUAGES[n % LANGUAGES.len()], Type::TEXT_ARRAY),
            ],
        ),
        QueryKind::UpdateProfile => (
            "UPDATE hardware_background SET device_types = $2 WHERE user_id = $1",
            vec![
                (&account.id, Type::UUID),
                (&DEVICES[n % DEVICES.len()], Type::TEXT_ARRAY),
            ],
        ),
    };
    client.query_typed(sql, &params).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::{QueryKind, choose};

    #[test]
    fn a_worker_makes_the_same_choices_every_run_and_the_workers_cover_every_kind() {
        let run = |worker: usize| {
            let mut rng = fastrand::Rng::with_seed(worker as u64);
            (0..1000)
                .map(|_| choose(&mut rng, worker, 500))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(0), run(0));
        assert_ne!(run(0), run(5), "each worker has its own accounts");
        let kinds: Vec<QueryKind> = (0..5).map(|worker| run(worker)[0].0).collect();
        assert_eq!(kinds, QueryKind::ALL);
        assert!(run(5).iter().all(|(kind, _)| *kind == QueryKind::ALL[0]));
    }
}
