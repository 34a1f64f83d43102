//! Lock retries: a deploy into a busy service should not fail because one request held a lock
//! on `users` a little longer than `--lock-timeout`. A run whose statement gives up waiting for a
//! table lock (SQLSTATE 55P03) is rolled back and tried again, as GitLab's `with_lock_retries`
//! and strong_migrations do: the first attempts wait only briefly (100 ms, doubling up to the
//! configured lock timeout), so the service's own queries never queue long behind a migration
//! that waits, and a jittered pause between attempts lets the holder finish. Each attempt starts
//! from the database as it is: the group that failed was rolled back whole, and a no-transaction
//! file's row stays unfinished for the next attempt to settle (`crate::unfinished`).
//!
//! The schedule follows GitLab's: the waits stay short and grow slowly (each sign-in queued behind
//! a waiting migration waits at most that long), the pauses grow fast (the holder gets time to
//! finish). Measured with `cargo xtask rehearse --hold-lock users:10s`: a service transaction
//! holding a lock on `users` for 10 s is waited out in the sixth attempt, and no sign-in waits
//! longer than the 400 ms of the longest attempt before it (docs/rehearse.md).

use std::time::Duration;

use serde::Serialize;
use tokio_postgres::Client;

use crate::error::Error;

/// Retries by default: with the schedule below, ten retries wait for a lock 9.4 s in all, spread
/// over about a minute (the pauses: 0.5, 1, 2, 4, 8, then 10 s).
pub const DEFAULT_LOCK_RETRIES: u32 = 10;
/// Retrying stops once this long has passed since the first attempt, by default.
pub const DEFAULT_LOCK_RETRY_TIME: Duration = Duration::from_secs(180);

/// The first attempt's lock timeout: a sign-in queued behind the waiting migration waits at most
/// this long, which a user does not notice.
const FIRST_LOCK_TIMEOUT: Duration = Duration::from_millis(100);
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(10);

/// One retry, as told on stderr and counted in `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retry {
    /// The attempt that failed, from 1.
    pub attempt: u32,
    /// `file:line:col` of the statement that gave up waiting.
    pub location: String,
    /// How long that attempt waited for the lock.
    pub lock_timeout_ms: u64,
    /// Who held a lock on a table the file uses, as far as the catalog still shows it.
    pub held_by: String,
    /// The pause before the next attempt.
    pub pause_ms: u64,
}

/// The lock timeout of attempt `attempt` (from 0): 100 ms, doubling every second attempt (100,
/// 100, 200, 200, 400, 400, 800...), up to `configured`. Without
/// retries, or without a configured limit (the user chose to wait as long as it takes), the
/// configured one from the start.
pub(crate) fn lock_timeout(
    attempt: u32,
    configured: Option<Duration>,
    retries: u32,
) -> Option<Duration> {
    let configured = configured?;
    if retries == 0 {
        return Some(configured);
    }
    let grown = FIRST_LOCK_TIMEOUT.saturating_mul(1u32 << (attempt / 2).min(20));
    Some(grown.min(configured))
}

/// The pause after attempt `attempt` (from 0): half a second doubling each time, up to 10 s,
/// jittered by a quarter either way so that waiting migrators do not move in step.
pub(crate) fn pause(attempt: u32) -> Duration {
    let nominal = FIRST_PAUSE
        .saturating_mul(1u32 << attempt.min(20))
        .min(LONGEST_PAUSE);
    nominal.mul_f64(0.75 + fastrand::f64() / 2.0)
}

/// Whether `error` is a statement that gave up waiting for a lock (`lock_timeout`).
pub(crate) fn is_lock_timeout(error: &Error) -> bool {
    error.sqlstate() == Some("55P03")
}

/// Who holds a lock on a table that `sql` names, other than this session: pid, application,
/// the lock and since when their query runs. Best effort: the holder may be gone already.
pub(crate) async fn holder(client: &Client, sql: &str) -> String {
    let names = relation_names(sql);
    let query = "SELECT format('pid %s, application_name %s, %s on %s, its query running since %s',
                              a.pid, coalesce(nullif(a.application_name, ''), '(none)'), l.mode,
                              l.relation::regclass,
                              to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'))
                   FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND l.relation IN (SELECT to_regclass(n) FROM unnest($1::text[]) n)
                  ORDER BY a.xact_start NULLS LAST
                  LIMIT 1";
    let found =
        tokio::time::timeout(Duration::from_secs(5), client.query_opt(query, &[&names])).await;
    match found {
        Ok(Ok(Some(row))) => row.get(0),
        _ => "a session that has released it since".to_string(),
    }
}

/// The words of `sql` that could name a table: plain identifiers, qualified at most once.
/// (Quoted names are left out: `to_regclass` would need them exactly as written.)
fn relation_names(sql: &str) -> Vec<String> {
    let mut names: Vec<String> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|word| {
            let parts: Vec<&str> = word.split('.').collect();
            parts.len() <= 2
                && parts.iter().all(|part| {
                    part.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                })
        })
        .map(str::to_lowercase)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_wait_100_ms_doubling_every_second_attempt_up_to_the_configured_timeout() {
        let five = Some(Duration::from_secs(5));
        let waits: Vec<u128> = (0..14)
            .map(|k| lock_timeout(k, five, 10).unwrap().as_millis())
            .collect();
        assert_eq!(
            waits,
            [
                100, 100, 200, 200, 400, 400, 800, 800, 1600, 1600, 3200, 3200, 5000, 5000
            ]
        );
        assert_eq!(
            lock_timeout(0, five, 0),
            five,
            "no retries: the configured wait"
        );
        assert_eq!(lock_timeout(3, None, 10), None, "no limit stays no limit");
        let total: u128 = (0..=DEFAULT_LOCK_RETRIES)
            .map(|k| {
                lock_timeout(k, five, DEFAULT_LOCK_RETRIES)
                    .unwrap()
                    .as_millis()
            })
            .sum();
        assert_eq!(total, 9_400, "the documented 9.4 s of waiting");
    }

    #[test]
    fn pauses_double_to_ten_seconds_within_a_quarter() {
        for k in 0..30 {
            let nominal = FIRST_PAUSE.mul_f64(2f64.powi(k)).min(LONGEST_PAUSE);
            let p = pause(k as u32);
            assert!(
                p >= nominal.mul_f64(0.75) && p <= nominal.mul_f64(1.25),
                "{k}: {p:?}"
            );
        }
    }

    #[test]
    fn table_names_are_picked_from_the_statement() {
        assert_eq!(
            relation_names("ALTER TABLE auth.users ADD COLUMN \"x\" int; -- 1st"),
            ["add", "alter", "auth.users", "column", "int", "table", "x"]
        );
    }
}
