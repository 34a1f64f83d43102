//! What a long operation says while it works. The library never prints; a caller that wants to
//! tell its user (xtask on stderr, rehearse in its report) passes a [`Notify`], and every other
//! caller passes nothing.

use std::fmt;
use std::sync::{Arc, Mutex};

/// Something worth telling the user while an operation is under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Another session holds the migration lock; the run waits for it (up to the lock wait).
    WaitingForLock { holder: String },
    /// A statement gave up waiting for a table lock: the run was rolled back and is tried again.
    LockRetry(crate::retry::Retry),
    /// A file's statement starting at this line is sent now (rehearse times and blames them).
    Statement {
        path: std::path::PathBuf,
        line: usize,
    },
    /// That statement has finished; its locks are held until the transaction ends (rehearse
    /// looks at them at this moment, before a COMMIT could release them).
    StatementDone {
        path: std::path::PathBuf,
        line: usize,
    },
    /// The server said something while that statement ran (`RAISE NOTICE`, `RAISE WARNING`, a
    /// deprecation): what psql shows, with the file and line it came from.
    Server {
        path: std::path::PathBuf,
        line: usize,
        /// `NOTICE`, `WARNING`, `INFO`, ...
        severity: String,
        message: String,
    },
    /// A backfill's batch committed (`-- authdb:backfill`): the progress line.
    Backfill(crate::backfill::Batch),
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::WaitingForLock { holder } => {
                write!(f, "waiting for the migration lock held by {holder}")
            }
            Notice::LockRetry(retry) => write!(
                f,
                "{}: gave up waiting {} ms for a lock held by {} (attempt {}); rolled back, \
                 trying again in {} ms",
                retry.location, retry.lock_timeout_ms, retry.held_by, retry.attempt, retry.pause_ms
            ),
            Notice::Statement { path, line } => write!(f, "running {}:{line}", path.display()),
            Notice::StatementDone { path, line } => {
                write!(f, "finished {}:{line}", path.display())
            }
            Notice::Server {
                path,
                line,
                severity,
                message,
            } => write!(f, "{}:{line}: {severity}: {message}", path.display()),
            Notice::Backfill(batch) => write!(
                f,
                "{}: backfill batch {}: {} rows in {} ms; {} rows so far, {} rows/s",
                batch.path.display(),
                batch.batch,
                batch.rows,
                batch.took.as_millis(),
                batch.total,
                batch.rate
            ),
        }
    }
}

/// A receiver of notices, shared by the clones of one [`Notify`].
type Listener = Arc<dyn Fn(&Notice) + Send + Sync>;

/// Where notices go: nowhere by default.
#[derive(Clone, Default)]
pub struct Notify(Option<Listener>);

impl Notify {
    pub fn new(f: impl Fn(&Notice) + Send + Sync + 'static) -> Notify {
        Notify(Some(Arc::new(f)))
    }

    pub(crate) fn send(&self, notice: &Notice) {
        if let Some(f) = &self.0 {
            f(notice);
        }
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notify(..)"
        } else {
            "Notify(none)"
        })
    }
}

/// What the server says between statements' answers, kept by the task that drives a connection
/// until a [`Notify`] made by [`ServerNotices::attributing`] hands it on with its file and line.
/// tokio-postgres drops notices unless the connection is polled for them. Each notice carries
/// how many commands had completed on the connection when it came (counted on the wire, see
/// `wire.rs`): what ties it to its statement when several are sent in one message.
#[derive(Clone, Default)]
pub struct ServerNotices(Arc<Mutex<Heard>>, crate::wire::Tap);

#[derive(Default)]
struct Heard {
    /// Notices not yet handed on, at most [`KEPT`], with the completions before each.
    pending: Vec<(tokio_postgres::error::DbError, Option<u64>)>,
    /// The statement running now, if it is a file's.
    at: Option<(std::path::PathBuf, usize)>,
}

/// More notices than this between two statements are dropped: a loop that raises a notice per
/// row must not fill the memory.
const KEPT: usize = 1_000;

impl fmt::Debug for ServerNotices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerNotices(..)")
    }
}

impl ServerNotices {
    pub(crate) fn push(&self, notice: tokio_postgres::error::DbError) {
        let completed = self.1.claim_notice();
        let mut heard = self.lock();
        if heard.pending.len() < KEPT {
            heard.pending.push((notice, completed));
        }
    }

    /// The counts of the connection's wire, which its socket's tap keeps.
    pub(crate) fn tap(&self) -> crate::wire::Tap {
        self.1.clone()
    }

    /// Commands completed on the connection so far: where a message's own answers start.
    pub(crate) fn completed(&self) -> u64 {
        self.1.completed()
    }

    /// Hands on the notices of a message whose answers started after `base` completions: each
    /// goes to the statement `place` names for its index in the message (`None`: authdb's own).
    pub(crate) fn hand_on_message(
        &self,
        inner: &Notify,
        base: u64,
        mut place: impl FnMut(u64) -> Option<(std::path::PathBuf, usize)>,
    ) {
        let pending = std::mem::take(&mut self.lock().pending);
        for (notice, completed) in pending {
            // A notice from before the message is authdb's own (the tracking table's set-up).
            let index = completed.filter(|c| *c >= base).map(|c| c - base);
            let Some((path, line)) = index.and_then(&mut place) else {
                continue;
            };
            inner.send(&Notice::Server {
                path,
                line,
                severity: notice.severity().to_string(),
                message: notice.message().to_string(),
            });
        }
    }

    /// `inner`, which also hears every server notice raised while a file's statement runs, as a
    /// [`Notice::Server`] with that file and line. What the server says outside them (authdb's
    /// own statements, `CREATE TABLE IF NOT EXISTS` of the tracking table) is not a file's and
    /// is dropped.
    pub fn attributing(&self, inner: Notify) -> Notify {
        let notices = self.clone();
        Notify::new(move |notice| {
            match notice {
                Notice::Statement { path, line } => {
                    let mut heard = notices.lock();
                    heard.pending.clear();
                    heard.at = Some((path.clone(), *line));
                }
                Notice::StatementDone { .. } => notices.hand_on(&inner),
                _ => {}
            }
            inner.send(notice);
        })
    }

    /// Hands on what the statement that failed said before it failed (no `StatementDone` comes).
    pub fn flush(&self, inner: &Notify) {
        self.hand_on(inner);
    }

    fn hand_on(&self, inner: &Notify) {
        let (pending, at) = {
            let mut heard = self.lock();
            (std::mem::take(&mut heard.pending), heard.at.take())
        };
        let Some((path, line)) = at else { return };
        for (notice, _) in pending {
            inner.send(&Notice::Server {
                path: path.clone(),
                line,
                severity: notice.severity().to_string(),
                message: notice.message().to_string(),
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Heard> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
