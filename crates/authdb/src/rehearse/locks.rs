//! The locks one step took, read from the sampler's samples: per table the modes seen, for how
//! long, and which statement took each. A lock first seen in a sample was taken by a statement
//! that ran since the sample before; the rehearsal samples after every statement, so that is
//! one statement, but should there be several, the one that names the table wins, then the
//! earliest (a lock outlives its statement: it is held until COMMIT).

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::lock_mode::LockMode;
use super::sampler::Sample;
use super::timeline::{Place, Sent};

/// The strongest lock a step took on one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableLock {
    pub table: String,
    pub mode: LockMode,
    /// From the first to the last sample that saw it granted (0: seen once, so shorter than the
    /// sampling interval).
    pub held_ms: f64,
    /// How long the migration waited for it, when it did (the application's queries queue
    /// behind a waiting ACCESS EXCLUSIVE too).
    pub waited_ms: f64,
    /// The statement that took it, when the samples tell.
    pub taken_by: Option<Place>,
}

/// One (table, mode) across a step's samples.
#[derive(Debug, Clone)]
struct Seen {
    first: usize,
    granted: Option<(Instant, Instant)>,
    waiting: Option<(Instant, Instant)>,
}

/// The step's samples (in order) and the statements it sent (in order).
pub(crate) struct StepLocks<'a> {
    samples: &'a [Sample],
    statements: &'a [Sent],
    started: Instant,
    seen: BTreeMap<(String, LockMode), Seen>,
}

impl<'a> StepLocks<'a> {
    pub fn new(samples: &'a [Sample], statements: &'a [Sent], started: Instant) -> StepLocks<'a> {
        let mut seen: BTreeMap<(String, LockMode), Seen> = BTreeMap::new();
        for (index, sample) in samples.iter().enumerate() {
            let at = middle(sample);
            for held in &sample.held {
                let entry = seen.entry((held.table.clone(), held.mode)).or_insert(Seen {
                    first: index,
                    granted: None,
                    waiting: None,
                });
                let span = if held.granted {
                    &mut entry.granted
                } else {
                    &mut entry.waiting
                };
                *span = Some(span.map_or((at, at), |(from, _)| (from, at)));
            }
        }
        StepLocks {
            samples,
            statements,
            started,
            seen,
        }
    }

    /// Per table, the strongest mode seen, by table name.
    pub fn strongest(&self) -> Vec<TableLock> {
        let mut strongest: BTreeMap<&str, (LockMode, &Seen)> = BTreeMap::new();
        for ((table, mode), seen) in &self.seen {
            let entry = strongest.entry(table).or_insert((*mode, seen));
            if *mode > entry.0 {
                *entry = (*mode, seen);
            }
        }
        strongest
            .into_iter()
            .map(|(table, (mode, seen))| {
                let ms = |span: Option<(Instant, Instant)>| {
                    span.map_or(0.0, |(from, to)| millis(to - from))
                };
                TableLock {
                    table: table.to_string(),
                    mode,
                    held_ms: ms(seen.granted),
                    waited_ms: ms(seen.waiting),
                    taken_by: self.taker(table, seen.first).map(|s| s.place.clone()),
                }
            })
            .collect()
    }

    /// The strongest lock the migrator had on `table` in sample `index`, and who took it.
    ///
    /// A sample reads who waits and what the migrator holds as two views: a statement that
    /// ends and commits between them (a loaded machine widens the gap) leaves a waiter whose
    /// lock is gone from the second. The lock it waited for is then the one the latest earlier
    /// sample of the step saw held; when none did (the statement took it just before this
    /// sample, and the gap hid it), the first later sample that sees it: a lock the migrator
    /// holds stays held until its COMMIT.
    pub fn on(&self, table: &str, index: usize) -> Option<(LockMode, Option<&'a Sent>)> {
        let held = |sample: &Sample| {
            sample
                .held
                .iter()
                .filter(|h| h.table == table)
                .map(|h| h.mode)
                .max()
        };
        let mode = self.samples[..=index]
            .iter()
            .rev()
            .find_map(held)
            .or_else(|| self.samples[index + 1..].iter().find_map(held))?;
        let seen = self.seen.get(&(table.to_string(), mode))?;
        Some((mode, self.taker(table, seen.first)))
    }

    /// The statement running when sample `index` was taken.
    pub fn running(&self, index: usize) -> Option<&'a Sent> {
        let at = self.samples[index].received;
        self.statements.iter().rev().find(|s| s.at <= at)
    }

    /// The statement that took a lock on `table` first seen in sample `index`.
    fn taker(&self, table: &str, index: usize) -> Option<&'a Sent> {
        let sample = &self.samples[index];
        let since = match index {
            0 => self.started,
            _ => self.samples[index - 1].sent,
        };
        // Running at some point between the two samples: sent before this one was answered,
        // and not yet done when the previous one was asked. The rehearsal samples after every
        // statement, so this is usually the one statement that took it.
        let candidates: Vec<&'a Sent> = self
            .statements
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                let until = s.done.or(self.statements.get(i + 1).map(|next| next.at));
                s.at <= sample.received && until.is_none_or(|until| until >= since)
            })
            .map(|(_, s)| s)
            .collect();
        candidates
            .iter()
            .find(|s| s.mentions(table))
            .or(candidates.first())
            .copied()
    }
}

fn middle(sample: &Sample) -> Instant {
    sample.sent + (sample.received - sample.sent) / 2
}

pub(crate) fn millis(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
