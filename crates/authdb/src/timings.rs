//! Where a migrate's time goes (`migrate --timings`, and `timings` in `--json`): connecting,
//! waiting for the migration lock, reading the history, then each transaction group's messages,
//! the server's work on them and the commit. The server's share is its own clock's
//! ([`crate::tracking::start_clock`]); the rest of a group's wall time is the client's and the
//! network's (building, sending and reading the messages), which is what a user tuning a deploy
//! needs told apart.

use std::time::Duration;

use serde::Serialize;

use crate::batch::Applied;
use crate::migrations::Migration;

/// The breakdown of one run. Only what the successful attempt and the committed pieces of
/// earlier attempts did is here: a group rolled back for a lock retry is counted in the retries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Connecting, start-up and authentication (`Connection::migrate` sets it; a bare client has
    /// none).
    pub connect_ms: Option<f64>,
    /// Opening the transaction and taking the migration lock, summed over the run's pieces:
    /// mostly waiting for another migrator when there is one.
    pub lock_ms: f64,
    /// Reading the tracking table, checking the history against the folder and planning.
    pub history_ms: f64,
    /// The groups, in the order they ran.
    pub groups: Vec<Group>,
}

/// One transaction group (the ordinary files between two no-transaction files), or one
/// no-transaction file on its own.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub first_version: i64,
    pub last_version: i64,
    pub files: usize,
    pub no_transaction: bool,
    /// Messages sent (one per statement when sent one at a time, as rehearse does).
    pub messages: usize,
    pub bytes: usize,
    /// From the first message sent to the last answer read.
    pub wall_ms: f64,
    /// The files' statements on the server's clock.
    pub execute_ms: f64,
    /// The tracking rows on the server's clock.
    pub tracking_ms: f64,
    /// What the server's clock did not see: building, sending and reading the messages, and,
    /// for a group whose first message went pipelined behind other requests (the tracking
    /// table's creation, the next BEGIN), their round trip and work.
    pub client_ms: f64,
    /// The COMMIT that ended the group's transaction (zero for a no-transaction file, which
    /// commits each statement itself).
    pub commit_ms: f64,
}

impl Group {
    /// A transactional group that ran in `wall`, as `applied` tells it.
    pub(crate) fn of(files: &[&Migration], applied: &Applied, wall: Duration) -> Group {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let execute: Duration = applied.times.iter().sum();
        Group {
            first_version: files.first().map_or(0, |m| m.version),
            last_version: files.last().map_or(0, |m| m.version),
            files: files.len(),
            no_transaction: false,
            messages: applied.messages,
            bytes: applied.bytes,
            wall_ms: ms(wall),
            execute_ms: ms(execute),
            tracking_ms: ms(applied.server.saturating_sub(execute)),
            client_ms: ms(wall.saturating_sub(applied.server)),
            commit_ms: 0.0,
        }
    }
}

impl Timings {
    /// The time the groups account for: their wall time and commits.
    pub fn groups_ms(&self) -> f64 {
        self.groups.iter().map(|g| g.wall_ms + g.commit_ms).sum()
    }
}
