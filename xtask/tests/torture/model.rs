//! What authdb promises, as a small model: which migrations are applied, which one an earlier
//! run left unfinished, and how many times each file may have been executed. Each operation's
//! expected outcome comes from here, written from the README's promises, not from the code.
//!
//! A run splits the folder into groups: the ordinary files between two no-transaction files
//! commit together, and each no-transaction file stands alone, its row written (unfinished) with
//! the group before it and marked finished after it. A failure rolls back its own group only.

use crate::folder::Folder;

#[derive(Debug, Clone)]
pub struct Model {
    /// How many migrations, from the first, are applied and finished.
    pub applied: usize,
    /// A no-transaction migration whose row says started, not finished (it is always the one
    /// after the applied ones).
    pub unfinished: Option<usize>,
    /// Per migration, the fewest and the most times its SQL may have been executed so far
    /// (counted for ordinary files only).
    pub attempts: Vec<(u64, u64)>,
}

/// What one migrate run up to a target does, from the model's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Where the run starts: after the unfinished migration when the catalog shows it done.
    pub start: usize,
    /// Applied after the run.
    pub applied: usize,
    /// Unfinished after the run.
    pub unfinished: Option<usize>,
    /// The migration that fails, and the line of its failing statement.
    pub failure: Option<(usize, usize)>,
    /// The first file of the group the failure rolls back.
    pub group: usize,
    /// Every state a run killed at any instant may leave: (applied, unfinished).
    pub stops: Vec<(usize, Option<usize>)>,
}

impl Model {
    pub fn new(len: usize) -> Model {
        Model {
            applied: 0,
            unfinished: None,
            attempts: vec![(0, 0); len],
        }
    }

    /// The highest applied migration after the unfinished one is settled.
    pub fn settled(&self, recorded: bool) -> usize {
        match self.unfinished {
            Some(index) if recorded => index + 1,
            _ => self.applied,
        }
    }

    /// A migrate up to `target` migrations (at least [`Model::settled`]). `recorded`: the
    /// catalog shows the unfinished migration's effect, so the run records it instead of running
    /// it again.
    pub fn walk(&self, folder: &Folder, target: usize, recorded: bool) -> Walk {
        let start = self.settled(recorded);
        let mut stops = vec![(self.applied, self.unfinished)];
        let mut group = start;
        let mut failure = None;
        for index in start..target {
            if folder.specs[index].no_transaction() {
                stops.push((index, Some(index)));
                stops.push((index + 1, None));
                group = index + 1;
            } else if let Some(failed) = folder.failure(index) {
                failure = Some((index, failed.line));
                break;
            }
        }
        let (applied, unfinished) = match failure {
            // Recording the unfinished migration commits with the first group: a failure there
            // rolls it back too.
            Some(_) if group == start => (self.applied, self.unfinished),
            Some(_) => (group, None),
            None => (target.max(start), None),
        };
        if failure.is_none() {
            stops.push((applied, None));
        }
        stops.dedup();
        Walk {
            start,
            applied,
            unfinished,
            failure,
            group,
            stops,
        }
    }

    /// The model after a run that ended as `walk` says, by `runs` migrators at once: the groups
    /// before a failure are executed once, the failing group once by each migrator.
    pub fn after(&mut self, walk: &Walk, runs: u64) {
        let once = match walk.failure {
            Some(_) => walk.start..walk.group,
            None => walk.start..walk.applied,
        };
        for index in once {
            self.attempts[index].0 += 1;
            self.attempts[index].1 += 1;
        }
        if let Some((failed, _)) = walk.failure {
            for index in walk.group..=failed {
                self.attempts[index].0 += runs;
                self.attempts[index].1 += runs;
            }
        }
        self.applied = walk.applied;
        self.unfinished = walk.unfinished;
    }

    /// The model after a run that succeeded after lock retries, whose attempts gave up at the
    /// migrations `gave_up` (as its `--json` says): each attempt ran from where the previous one
    /// left off, committed what it passed at its no-transaction files, and rolled back the group
    /// that waited too long; the last one ran to `walk`'s end. Exact counts: no attempt may
    /// execute what an earlier one committed.
    pub fn after_retries(&mut self, folder: &Folder, walk: &Walk, gave_up: &[usize]) {
        let mut start = walk.start;
        for &failed in gave_up {
            let committed_to = (start..failed)
                .rfind(|&i| folder.specs[i].no_transaction())
                .map_or(start, |i| i + 1);
            // The committed groups ran once, and so did the rolled-back one up to the file that
            // waited (a no-transaction file counts nothing).
            for index in start..=failed {
                if !folder.specs[index].no_transaction() {
                    self.attempts[index].0 += 1;
                    self.attempts[index].1 += 1;
                }
            }
            start = if folder.specs[failed].no_transaction() {
                failed
            } else {
                committed_to
            };
        }
        for index in start..walk.applied {
            if !folder.specs[index].no_transaction() {
                self.attempts[index].0 += 1;
                self.attempts[index].1 += 1;
            }
        }
        self.applied = walk.applied;
        self.unfinished = walk.unfinished;
    }

    /// Every state a rollback from `top` applied migrations down to `keep` may stop in, killed
    /// at any instant: each no-transaction down file commits what came before with its own row
    /// unfinished, then removes the row.
    pub fn rollback_stops(
        &self,
        folder: &Folder,
        top: usize,
        keep: usize,
    ) -> Vec<(usize, Option<usize>)> {
        let mut stops = vec![(self.applied, self.unfinished)];
        if self.unfinished.is_some() {
            // Settling an unfinished row whose index is INVALID drops it and forgets the row.
            stops.push((self.applied, None));
        }
        for index in (keep..top).rev() {
            if folder.specs[index].no_transaction() {
                stops.push((index, Some(index)));
                stops.push((index, None));
            }
        }
        stops.push((keep, None));
        stops
    }

    /// The model after a run killed at an unknown instant, from the state it left. An error if
    /// no run could leave that state.
    pub fn after_kill(&mut self, walk: &Walk, left: (usize, Option<usize>)) -> Result<(), String> {
        if !walk.stops.contains(&left) {
            return Err(format!(
                "a killed run left {} applied and {:?} unfinished, not a state a run can stop \
                 in: {:?}",
                left.0, left.1, walk.stops
            ));
        }
        let reach = match walk.failure {
            Some((index, _)) => index + 1,
            None => walk.applied,
        };
        for index in walk.start..reach {
            if index < left.0 {
                self.attempts[index].0 += 1;
            }
            self.attempts[index].1 += 1;
        }
        self.applied = left.0;
        self.unfinished = left.1;
        Ok(())
    }
}
