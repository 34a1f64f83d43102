//! What a long operation says while it works. The library never prints; a caller that wants to
//! tell its user (xtask on stderr, rehearse in its report) passes a [`Notify`], and every other
//! caller passes nothing.

use std::fmt;
use std::sync::Arc;

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
