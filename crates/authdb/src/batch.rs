//! The files of a transactional group sent as few messages as the group allows: their statements,
//! each file followed by its tracking row, joined into messages of up to [`MESSAGE_BYTES`], one
//! round trip each, where a statement at a time costs a round trip per statement (a data
//! migration of 400,000 INSERTs is 400,000 round trips then, and psql's `-1 -f` pays them too).
//! Each file is followed by its tracking row and a mark that returns its time on the server's
//! clock ([`tracking::Recorder`]).
//!
//! Nothing is lost by it. Each statement completes on its own (PostgreSQL 13 and later apply
//! `statement_timeout` to each statement of a message), and its `CommandComplete` comes back
//! before the next one starts: counting them names the statement that failed, its file, line and
//! column (the error's position is counted from the message's start), and ties each notice the
//! server raises to its statement (`wire.rs` counts the completions before each notice on the
//! wire). PostgreSQL holds the completions until the message is done (it flushes at a notice or
//! at the end), so neither a client's clock nor its count of completions says how far a running
//! message has got: the server times each file ([`tracking::start_clock`]), and when no answer
//! has come within `statement_timeout` plus [`SERVER_GRACE`], a second connection asks whether
//! the session is still at work ([`crate::probe`]) before the connection is given up. rehearse,
//! which must see each statement start and end, sends them one at a time instead
//! (`run_script`).

use std::sync::atomic::{AtomicI32, Ordering::Relaxed};
use std::time::{Duration, Instant};

use authdb_folder::position::Lines;
use futures_util::TryStreamExt;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::error::{Error, Result};
use crate::migrations::Migration;
use crate::notice::{Notify, ServerNotices};
use crate::probe::{Probe, Verdict};
use crate::tracking::{self, Recorded};
use crate::transaction::{PRESUMED_LOST, SERVER_GRACE, Timeouts, failure_in_message};

/// Messages stay below this: a 50 MB data migration goes in fifty messages, not one the server
/// would parse whole before running its first statement.
const MESSAGE_BYTES: usize = 1 << 20;

/// What ends one piece of a message.
const SEPARATOR: &str = "\n;\n";

/// One statement of a message.
struct Piece<'a> {
    /// The file it belongs to, by its place in the group.
    file: usize,
    /// Its text, as sent.
    text: &'a str,
    /// Where it starts in its file, in bytes; `None` for authdb's own statements.
    start: Option<usize>,
    role: Role,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// One of the file's statements.
    Statement,
    /// The file's tracking row.
    Record,
    /// After the file's row: its time on the server's clock.
    Mark,
    /// Before the first file: the group's clock started.
    Clock,
}

impl Piece<'_> {
    /// Where in its file the piece stands, for a message about it.
    fn place(&self, migration: &Migration) -> usize {
        match (self.start, self.role) {
            (Some(start), _) => start,
            (None, Role::Clock) => 0,
            (None, _) => migration.sql.len(),
        }
    }
}

/// How a group's run ended: every file applied, with how long each took on the server.
#[derive(Default)]
pub(crate) struct Applied {
    pub times: Vec<Duration>,
    /// The group on the server, from its clock's start to its last tracking row: the files'
    /// times and the rows'.
    pub server: Duration,
    /// How many messages it took, and their bytes.
    pub messages: usize,
    pub bytes: usize,
}

/// Runs `files` (every one transactional) in the open transaction, each recorded with its
/// tracking row; `notices` hears what the server says, with each statement's place; `probe`,
/// when given, is asked before a silent server is given up, about the session `pid` (0 until
/// known: the first message may be sent before the answer that says it).
pub(crate) async fn run_group(
    client: &Client,
    files: &[&Migration],
    pid: &AtomicI32,
    timeouts: Timeouts,
    notify: &Notify,
    notices: Option<&ServerNotices>,
    probe: Option<&Probe>,
) -> Result<Applied> {
    let probe = probe.map(|probe| (probe, pid));
    let recorder = tracking::Recorder::new();
    let clock = recorder.start_clock();
    let rows: Vec<String> = files.iter().map(|m| recorder.row(m)).collect();
    let ours = |file, text, role| Piece {
        file,
        text,
        start: None,
        role,
    };
    let mut pieces = vec![ours(0, clock.as_str(), Role::Clock)];
    for (file, migration) in files.iter().enumerate() {
        for statement in authdb_folder::sql::statements(&migration.sql) {
            pieces.push(Piece {
                file,
                text: &migration.sql[statement.range.clone()],
                start: Some(statement.range.start),
                role: Role::Statement,
            });
        }
        pieces.push(ours(file, &rows[file], Role::Record));
        pieces.push(ours(file, recorder.mark(), Role::Mark));
    }
    let mut lines: Vec<Lines> = files.iter().map(|m| Lines::new(&m.sql)).collect();
    let mut applied = Applied {
        times: vec![Duration::ZERO; files.len()],
        server: Duration::ZERO,
        messages: 0,
        bytes: 0,
    };
    let mut next = 0;
    while next < pieces.len() {
        let mut end = next;
        let mut bytes = 0;
        while end < pieces.len() && (end == next || bytes + pieces[end].text.len() < MESSAGE_BYTES)
        {
            bytes += pieces[end].text.len() + SEPARATOR.len();
            end += 1;
        }
        let message = &pieces[next..end];
        let before = notices.map(ServerNotices::completed);
        applied.messages += 1;
        applied.bytes += bytes;
        let mut answered = None;
        let sent = send(
            client,
            message,
            files,
            timeouts,
            probe,
            &mut applied,
            &mut answered,
        )
        .await;
        if let (Some(notices), Some(before)) = (notices, before) {
            // Where the message's answers start among the connection's completions: counted
            // back from the end when the server answered it to the end, since requests sent
            // before it may still have been unanswered when it went (they are pipelined, see
            // the runner); nothing is sent behind a group's message until it is answered.
            let base = answered.map_or(before, |mine| notices.completed().saturating_sub(mine));
            notices.hand_on_message(notify, base, |index| {
                let piece = message.get(index as usize)?;
                let start = piece.start?;
                let line = lines[piece.file].at(start).0;
                Some((files[piece.file].path.clone(), line))
            });
        }
        sent?;
        next = end;
    }
    Ok(applied)
}

/// Sends one message and reads its answers, a completion per piece.
async fn send(
    client: &Client,
    message: &[Piece<'_>],
    files: &[&Migration],
    timeouts: Timeouts,
    probe: Option<(&Probe, &AtomicI32)>,
    applied: &mut Applied,
    answered: &mut Option<u64>,
) -> Result<()> {
    let text = message
        .iter()
        .map(|p| p.text)
        .collect::<Vec<_>>()
        .join(SEPARATOR);
    let deadline = timeouts.statement.map(|limit| limit + SERVER_GRACE);
    let started = Instant::now();
    let mut completed = 0;
    let answers = async {
        let stream = client.simple_query_raw(&text).await?;
        futures_util::pin_mut!(stream);
        loop {
            let item = match deadline {
                None => stream.try_next().await,
                Some(limit) => match tokio::time::timeout(limit, stream.try_next()).await {
                    Ok(item) => item,
                    // Silence: a server at work on a long message, or one that is gone.
                    Err(_) => match probe {
                        Some((probe, pid)) => match probe.check(pid.load(Relaxed)).await {
                            Verdict::Working => continue,
                            Verdict::Lost(why) => return Ok(Some(why)),
                        },
                        None => return Ok(Some(String::new())),
                    },
                },
            };
            match item? {
                Some(SimpleQueryMessage::Row(row)) => {
                    let piece = &message[completed];
                    if piece.role == Role::Mark {
                        let recorded = Recorded::from_row(&row);
                        applied.times[piece.file] = recorded.file;
                        applied.server = applied.server.max(recorded.group);
                    }
                }
                Some(SimpleQueryMessage::CommandComplete(rows)) => {
                    let piece = &message[completed];
                    if piece.role == Role::Record && rows != 1 {
                        return Err(Unrecorded(piece.file));
                    }
                    completed += 1;
                }
                Some(_) => {}
                None => return Ok(None),
            }
        }
    };
    let outcome: std::result::Result<Option<String>, Stop> = answers.await;
    if !matches!(outcome, Ok(Some(_))) {
        *answered = Some(completed as u64);
    }
    let at = |piece: &Piece| -> (&Migration, usize) {
        let migration = files[piece.file];
        (migration, piece.place(migration))
    };
    match outcome {
        Ok(None) => Ok(()),
        Ok(Some(why)) => {
            // The completions are held until the message is done: the server was somewhere
            // between the first statement not known to have completed and the message's end.
            let (first, start) = at(&message[completed.min(message.len() - 1)]);
            let (last, end) = at(message
                .iter()
                .rev()
                .find(|p| p.start.is_some())
                .unwrap_or(&message[message.len() - 1]));
            Err(lost(first, start, (last, end), started.elapsed(), &why))
        }
        Err(Stop::Unrecorded(file)) => Err(crate::recording::unrecorded(files[file])),
        Err(Stop::Driver(error)) => {
            // The statement that failed: the one the error's position points into (a syntax
            // error stops the whole message before any statement runs), else the one after the
            // last that completed.
            let offsets = char_offsets(message);
            let index = error
                .as_db_error()
                .and_then(|db| match db.position() {
                    Some(ErrorPosition::Original(position)) => Some(*position as usize),
                    _ => None,
                })
                .and_then(|position| offsets.iter().rposition(|&o| o < position))
                .unwrap_or(completed)
                .min(message.len() - 1);
            let piece = &message[index];
            let migration = files[piece.file];
            match piece.start {
                // authdb's own statement: the file's tracking row, refused when the file ended
                // the run's transaction, or when the row could not be written.
                None if error.code().map(|c| c.code()) == Some(tracking::ENDED) => {
                    Err(Error::TransactionEnded {
                        location: migration.path.display().to_string(),
                        version: None,
                    })
                }
                None => Err(crate::recording::failed(migration, error)),
                Some(start) => Err(failure_in_message(
                    &migration.path,
                    &migration.sql,
                    start,
                    offsets[index],
                    error,
                )),
            }
        }
    }
}

/// The connection given up on a silent server, naming where in the message it was.
fn lost(
    first: &Migration,
    start: usize,
    (last, end): (&Migration, usize),
    waited: Duration,
    why: &str,
) -> Error {
    let (line, col) = authdb_folder::position::at_byte(&first.sql, start);
    let (end_line, _) = authdb_folder::position::at_byte(&last.sql, end);
    let until = if std::ptr::eq(first, last) {
        format!("line {end_line}")
    } else {
        format!("{}:{end_line}", last.path.display())
    };
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(", and {why}")
    };
    Error::MigrationFailed {
        location: format!("{}:{line}:{col}", first.path.display()),
        message: format!(
            "the server did not answer the statements from here to {until} (sent as one \
             message) within {} s{why}, so the connection is presumed lost",
            waited.as_secs()
        ),
        outcome: PRESUMED_LOST.to_string(),
        source: None,
    }
}

/// Where each piece starts in its message, in characters, as PostgreSQL counts positions.
fn char_offsets(message: &[Piece<'_>]) -> Vec<usize> {
    let mut offset = 0;
    message
        .iter()
        .map(|piece| {
            let start = offset;
            offset += piece.text.chars().count() + SEPARATOR.len();
            start
        })
        .collect()
}

/// Why reading a message's answers stopped early.
enum Stop {
    Driver(tokio_postgres::Error),
    /// A file's row was not written, without an error: a rule on the tracking table.
    Unrecorded(usize),
}
use Stop::Unrecorded;

impl From<tokio_postgres::Error> for Stop {
    fn from(error: tokio_postgres::Error) -> Stop {
        Stop::Driver(error)
    }
}
