//! Whether a server that has not answered for a while is still at work on the run's message.
//!
//! A message of several statements (see `batch.rs`) is answered when it is done: PostgreSQL
//! holds each statement's completion until then. A message whose statements each finish within
//! `statement_timeout` can so take longer, whole, than the client's deadline for an answer, and
//! silence alone cannot tell such a server from one that is paused or cut off. A second
//! connection can: it asks `pg_stat_activity` what the run's session is doing. Still running its
//! message: the client waits on (the server's own `statement_timeout` bounds each statement).
//! Unreachable, or the session gone or idle: the connection is lost.

use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::SimpleQueryMessage;

use crate::conninfo::ConnInfo;
use crate::transaction::SERVER_GRACE;

/// How to open the second connection: the run's own connection settings.
#[derive(Clone)]
pub struct Probe {
    info: Arc<ConnInfo>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Probe").field(&self.info.redacted).finish()
    }
}

/// What the second connection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The session is running a statement: its answer will come.
    Working,
    /// Why the answer will not come, completing "the server did not answer ..., and".
    Lost(String),
}

impl Probe {
    pub fn new(info: &ConnInfo) -> Probe {
        Probe {
            info: Arc::new(info.clone()),
        }
    }

    /// Asks, within [`SERVER_GRACE`], what the session with process id `pid` is doing.
    pub(crate) async fn check(&self, pid: i32) -> Verdict {
        let mut info = (*self.info).clone();
        info.connect_timeout = info.connect_timeout.min(SERVER_GRACE);
        let once = crate::Retry {
            attempts: 1,
            first_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        };
        let asked = async {
            let connection = crate::connect::connect(&info, once)
                .await
                .map_err(|error| {
                    format!("a second connection could not reach the server either ({error})")
                })?;
            let sql = format!("SELECT state FROM pg_stat_activity WHERE pid = {pid}");
            let messages = connection
                .client
                .simple_query(&sql)
                .await
                .map_err(|error| format!("a second connection got no answer ({error})"))?;
            Ok::<_, String>(messages.into_iter().find_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_string()),
                _ => None,
            }))
        };
        match tokio::time::timeout(SERVER_GRACE * 2, asked).await {
            Err(_) => Verdict::Lost(format!(
                "a second connection got no answer within {} s either",
                (SERVER_GRACE * 2).as_secs()
            )),
            Ok(Err(why)) => Verdict::Lost(why),
            Ok(Ok(Some(state))) if state == "active" => Verdict::Working,
            Ok(Ok(Some(state))) => Verdict::Lost(format!(
                "a second connection found the run's session (process {pid}) {state}, not \
                 running it"
            )),
            Ok(Ok(None)) => Verdict::Lost(format!(
                "a second connection found no session with the run's process id {pid}"
            )),
        }
    }
}
