//! The files of a transactional group sent as few messages as the group allows: their statements,
//! each file followed by its tracking row, joined into messages of up to [`MESSAGE_BYTES`], one
//! round trip each, where a statement at a time costs a round trip per statement (a data
//! migration of 400,000 INSERTs is 400,000 round trips then, and psql's `-1 -f` pays them too).
//!
//! Nothing is lost by it. Each statement completes on its own (PostgreSQL 13 and later apply
//! `statement_timeout` to each statement of a message), and its `CommandComplete` comes back
//! before the next one starts: counting them names the statement that failed, its file, line and
//! column (the error's position is counted from the message's start), and ties each notice the
//! server raises to its statement (`wire.rs` counts the completions before each notice on the
//! wire). The client waits at most `statement_timeout` plus [`SERVER_GRACE`] for each answer,
//! not for the whole message. rehearse, which must see each statement start and end, sends them
//! one at a time instead (`run_script`).

use std::time::{Duration, Instant};

use authdb_folder::position::Lines;
use futures_util::TryStreamExt;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::error::{Error, Result};
use crate::migrations::Migration;
use crate::notice::{Notify, ServerNotices};
use crate::tracking;
use crate::transaction::{SERVER_GRACE, Timeouts, failure_in_message, unanswered};

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
    /// Where it starts in its file, in bytes; `None` for a file's tracking row.
    start: Option<usize>,
}

/// How a group's run ended: every file applied, with how long each took.
pub(crate) struct Applied {
    pub times: Vec<Duration>,
}

/// Runs `files` (every one transactional) in the open transaction `transaction`, each recorded
/// with its tracking row; `notices` hears what the server says, with each statement's place.
pub(crate) async fn run_group(
    client: &Client,
    files: &[&Migration],
    transaction: &str,
    timeouts: Timeouts,
    notify: &Notify,
    notices: Option<&ServerNotices>,
) -> Result<Applied> {
    let records: Vec<String> = files
        .iter()
        .map(|m| tracking::record_statement(m, transaction))
        .collect();
    let mut pieces = Vec::new();
    for (file, migration) in files.iter().enumerate() {
        for statement in authdb_folder::sql::statements(&migration.sql) {
            pieces.push(Piece {
                file,
                text: &migration.sql[statement.range.clone()],
                start: Some(statement.range.start),
            });
        }
        pieces.push(Piece {
            file,
            text: &records[file],
            start: None,
        });
    }
    let mut lines: Vec<Lines> = files.iter().map(|m| Lines::new(&m.sql)).collect();
    let mut times = vec![Duration::ZERO; files.len()];
    let mut clock = Instant::now();
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
        let base = notices.map(ServerNotices::completed);
        let sent = send(client, message, files, timeouts, &mut times, &mut clock).await;
        if let (Some(notices), Some(base)) = (notices, base) {
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
    Ok(Applied { times })
}

/// Sends one message and reads its answers, a completion per piece.
async fn send(
    client: &Client,
    message: &[Piece<'_>],
    files: &[&Migration],
    timeouts: Timeouts,
    times: &mut [Duration],
    clock: &mut Instant,
) -> Result<()> {
    let text = message
        .iter()
        .map(|p| p.text)
        .collect::<Vec<_>>()
        .join(SEPARATOR);
    let deadline = timeouts.statement.map(|limit| limit + SERVER_GRACE);
    let mut completed = 0;
    let answers = async {
        let stream = client.simple_query_raw(&text).await?;
        futures_util::pin_mut!(stream);
        loop {
            let next = stream.try_next();
            let item = match deadline {
                None => next.await,
                Some(limit) => match tokio::time::timeout(limit, next).await {
                    Ok(item) => item,
                    Err(_) => return Ok(Some(limit)),
                },
            };
            match item? {
                Some(SimpleQueryMessage::CommandComplete(rows)) => {
                    let piece = &message[completed];
                    if piece.start.is_none() {
                        if rows != 1 {
                            return Err(Ended(piece.file));
                        }
                        times[piece.file] = clock.elapsed();
                        *clock = Instant::now();
                    }
                    completed += 1;
                }
                Some(_) => {}
                None => return Ok(None),
            }
        }
    };
    let outcome: std::result::Result<Option<Duration>, Stop> = answers.await;
    let at = |piece: &Piece| -> (&Migration, usize) {
        let migration = files[piece.file];
        (migration, piece.start.unwrap_or(migration.sql.len()))
    };
    match outcome {
        Ok(None) => Ok(()),
        Ok(Some(waited)) => {
            let (migration, start) = at(&message[completed.min(message.len() - 1)]);
            Err(unanswered(&migration.path, &migration.sql, start, waited))
        }
        Err(Stop::Ended(file)) => Err(Error::TransactionEnded {
            location: files[file].path.display().to_string(),
            version: None,
        }),
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
    /// A file's tracking row was not written: the file ended the run's transaction.
    Ended(usize),
}
use Stop::Ended;

impl From<tokio_postgres::Error> for Stop {
    fn from(error: tokio_postgres::Error) -> Stop {
        Stop::Driver(error)
    }
}
