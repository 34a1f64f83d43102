//! When each statement of the migrations under test was sent, heard from the migrate code itself
//! (`Notice::Statement`, just before the statement goes to the server), and what it says: the
//! report blames a block on a statement by its file and line, and shows its first line of SQL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authdb_folder::{position, sql};
use serde::Serialize;

/// A statement as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// The migration file; for adopt, `adopt statement N (what it resolves)`.
    pub path: PathBuf,
    /// Where the statement starts (its first token, after the comments above it).
    pub line: usize,
    /// Where it ends, so a finding on any of its lines is found.
    pub end_line: usize,
    /// Its first line of SQL, shortened.
    pub sql: String,
}

/// `file:line` for a file; an adopt statement is named by its number alone.
impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.path.extension() {
            Some(extension) if extension == "sql" => {
                write!(f, "{}:{}", self.path.display(), self.line)
            }
            _ => write!(f, "{}", self.path.display()),
        }
    }
}

/// One statement sent.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub at: Instant,
    /// When it was done; `None` when it failed.
    pub done: Option<Instant>,
    pub place: Place,
    /// The whole statement, lowercased: what it mentions decides between two candidates.
    text: String,
}

impl Sent {
    /// A statement of `source` as if announced at `at` and done at `done`.
    #[cfg(test)]
    pub fn made(path: &str, source: &str, line: usize, at: Instant, done: Instant) -> Sent {
        let (place, text) = locate(Path::new(path), source, line);
        Sent {
            at,
            done: Some(done),
            place,
            text,
        }
    }

    /// Whether the statement names `table` (as a whole word, in any case).
    pub fn mentions(&self, table: &str) -> bool {
        let table = table.to_lowercase();
        self.text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|word| word == table)
    }
}

/// One statement's notices: sent at, done at (unless it failed), and where it is.
#[derive(Debug, Clone)]
struct Heard {
    sent: Instant,
    done: Option<Instant>,
    path: PathBuf,
    line: usize,
}

/// Statements as they are announced, from the migrate code's notices, and the pauses the
/// rehearsal made the migrator take to look at its locks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    heard: Arc<Mutex<Vec<Heard>>>,
    pauses: Arc<Mutex<Vec<(Instant, Duration)>>>,
}

impl Timeline {
    pub fn record(&self, path: &Path, line: usize) {
        let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        heard.push(Heard {
            sent: Instant::now(),
            done: None,
            path: path.to_path_buf(),
            line,
        });
    }

    /// The statement sent last is done.
    pub fn done(&self) {
        let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(last) = heard.last_mut() {
            last.done = Some(Instant::now());
        }
    }

    /// The migrator was held for `pause`, until now.
    pub fn paused(&self, pause: Duration) {
        let mut pauses = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        pauses.push((Instant::now(), pause));
    }

    /// The total pause between `from` and `to`.
    pub fn paused_between(&self, from: Instant, to: Instant) -> Duration {
        let pauses = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        pauses
            .iter()
            .filter(|(at, _)| from <= *at && *at <= to)
            .map(|(_, pause)| *pause)
            .sum()
    }

    /// Everything heard, each statement resolved in `sources` (its file's or script's text).
    pub fn statements(&self, sources: &HashMap<PathBuf, String>) -> Vec<Sent> {
        let heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        heard
            .iter()
            .map(|heard| {
                let source = sources.get(&heard.path).map_or("", String::as_str);
                let (place, text) = locate(&heard.path, source, heard.line);
                Sent {
                    at: heard.sent,
                    done: heard.done,
                    place,
                    text,
                }
            })
            .collect()
    }
}

/// The statement of `source` that starts on `line`.
fn locate(path: &Path, source: &str, line: usize) -> (Place, String) {
    let found = sql::statements(source)
        .find(|s| position::at_byte(source, s.range.start).0 == line)
        .map(|s| {
            let end_line = position::at_byte(source, s.range.end).0;
            (source[s.range].to_string(), end_line)
        });
    let (text, end_line) = found.unwrap_or_default();
    let first = text.lines().next().unwrap_or_default().trim();
    let sql = match first.char_indices().nth(MAX_SQL) {
        Some((cut, _)) => format!("{}...", &first[..cut]),
        None if text.lines().nth(1).is_some() => format!("{first} ..."),
        None => first.to_string(),
    };
    let place = Place {
        path: path.to_path_buf(),
        line,
        end_line: end_line.max(line),
        sql,
    };
    (place, text.to_lowercase())
}

/// Characters of a statement's first line the report shows.
const MAX_SQL: usize = 90;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::locate;

    #[test]
    fn a_statement_is_found_by_its_first_line_and_knows_what_it_names() {
        let source = "-- a comment\nALTER TABLE Users\n    ADD COLUMN karma int DEFAULT 0;\n\
                      CREATE INDEX s_idx ON sessions (user_id);\n";
        let (place, text) = locate(Path::new("m/009_x.sql"), source, 2);
        assert_eq!((place.line, place.end_line), (2, 3));
        assert_eq!(place.sql, "ALTER TABLE Users ...");
        assert_eq!(place.to_string(), "m/009_x.sql:2");
        assert!(text.contains("karma"));
        let sent = super::Sent {
            at: std::time::Instant::now(),
            done: None,
            place,
            text,
        };
        let (place, _) = locate(Path::new("m/009_x.sql"), source, 4);
        assert_eq!(place.sql, "CREATE INDEX s_idx ON sessions (user_id)");
        assert!(sent.mentions("users") && !sent.mentions("user"));
    }
}
