//! What a rehearsal found, per migration: how long it took, the strongest lock it took on each
//! table and for how long, the probe's latency per kind of query against the baseline, how many
//! probe queries it blocked and for how long, and the statement to blame; then the verdict. A
//! probe query counts as blocked when a sample saw its backend waiting on the migrator (directly or
//! queued behind another waiting probe) while it ran; its block is its whole latency, what the
//! user behind it waited.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::lock_mode::LockMode;
use super::locks::{StepLocks, TableLock, millis};
use super::probe::{Query, QueryKind};
use super::sampler::Sample;
use super::timeline::{Place, Sent};

/// The whole rehearsal.
#[derive(Debug, Clone, Serialize)]
pub struct Rehearsal {
    /// A probe query blocked longer than this fails the rehearsal.
    pub max_block_ms: f64,
    pub probe: ProbeSettings,
    /// The probe's latency before anything was applied (with the sampler on, as during the
    /// steps).
    pub baseline: Vec<Latency>,
    pub sampler_overhead: SamplerOverhead,
    pub steps: Vec<StepReport>,
    /// Why it failed; empty when it passed.
    pub problems: Vec<Problem>,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeSettings {
    pub workers: usize,
    /// Each worker sends one query per interval.
    pub interval_ms: f64,
    pub sample_interval_ms: f64,
    pub baseline_ms: f64,
}

/// The sampler's own cost: the probe's median latency in the baseline's halves with the sampler
/// off and on.
#[derive(Debug, Clone, Serialize)]
pub struct SamplerOverhead {
    pub p50_off_ms: f64,
    pub p50_on_ms: f64,
    pub queries_off: usize,
    pub queries_on: usize,
    /// Samples taken in the whole rehearsal, and the median time one took (the cost of each
    /// pause after a statement is about one to two of these).
    pub samples: usize,
    pub sample_p50_ms: f64,
}

/// One kind of probe query over a period.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub kind: QueryKind,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Blocked by the migration (always 0 in the baseline).
    pub blocked: usize,
    /// The longest of those, 0 when none.
    pub longest_block_ms: f64,
    pub failed: usize,
}

/// One migration (or adopt's apply) under test.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// `009_add_karma`, or `adopt --apply`.
    pub name: String,
    /// From the call to its return: the lock, every statement and the COMMIT.
    pub duration_ms: f64,
    /// Included in the duration: the rehearsal held the migrator after its last statement
    /// until the sampler had seen its locks (one sample), so that a lock released by an
    /// immediate COMMIT is still reported.
    pub paused_ms: f64,
    /// The migration's own failure, when it failed.
    pub error: Option<String>,
    pub locks: Vec<TableLock>,
    /// While it ran, per kind (with the baseline's in [`Rehearsal::baseline`]).
    pub latency: Vec<Latency>,
    pub blocked: usize,
    pub longest_block_ms: f64,
    /// Why the longest block happened.
    pub blamed: Option<Blame>,
    /// Probe queries that failed while it ran or in the settle time after it.
    pub failures: Vec<Failure>,
}

/// The statement a block is blamed on, and the lock that did it.
#[derive(Debug, Clone, Serialize)]
pub struct Blame {
    pub place: Place,
    /// The table the blocked query waited for; `None` for a row or transaction lock.
    pub table: Option<String>,
    pub mode: Option<LockMode>,
    /// How long the statement ran.
    pub statement_ms: f64,
}

/// Probe queries of one kind that failed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub kind: QueryKind,
    pub count: usize,
    pub first_error: String,
}

/// A reason the rehearsal failed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// Probe queries of `kind` were blocked longer than the limit.
    Blocked {
        step: String,
        kind: QueryKind,
        /// How many were blocked longer than the limit.
        queries: usize,
        longest_ms: f64,
        blamed: Option<Blame>,
    },
    /// Probe queries failed (during a step, or `baseline`).
    ProbeFailed {
        step: String,
        kind: QueryKind,
        count: usize,
        error: String,
    },
    /// The migration itself failed.
    MigrationFailed { step: String, error: String },
}

/// One step as it ran.
pub(crate) struct StepRun {
    pub name: String,
    pub started: Instant,
    pub ended: Instant,
    /// The end of the probe's run after it.
    pub settled: Instant,
    /// How long the rehearsal held the migrator to look at its locks.
    pub paused: Duration,
    pub error: Option<String>,
}

/// A stretch of the baseline, with the sampler on or off.
pub(crate) struct Segment {
    pub started: Instant,
    pub ended: Instant,
    pub sampler: bool,
}

/// Everything the rehearsal observed.
pub(crate) struct Observed {
    pub settings: ProbeSettings,
    pub max_block: Duration,
    pub baseline: Vec<Segment>,
    pub steps: Vec<StepRun>,
    pub queries: Vec<Query>,
    pub samples: Vec<Sample>,
    pub statements: Vec<Sent>,
}

pub(crate) fn analyse(observed: &Observed) -> Rehearsal {
    let queries = &observed.queries;
    let in_segments = |on: bool| -> Vec<usize> {
        (0..queries.len())
            .filter(|&q| {
                let started = queries[q].started;
                observed
                    .baseline
                    .iter()
                    .any(|s| s.sampler == on && s.started <= started && started < s.ended)
            })
            .collect()
    };
    let (off, on) = (in_segments(false), in_segments(true));
    let sampler_overhead = SamplerOverhead {
        p50_off_ms: percentile(&ok_latencies(queries, &off), 0.50),
        p50_on_ms: percentile(&ok_latencies(queries, &on), 0.50),
        queries_off: off.len(),
        queries_on: on.len(),
        samples: observed.samples.len(),
        sample_p50_ms: {
            let mut ms: Vec<f64> = observed
                .samples
                .iter()
                .map(|s| millis(s.received - s.sent))
                .collect();
            ms.sort_by(f64::total_cmp);
            percentile(&ms, 0.50)
        },
    };
    let blocks = blocks(observed);
    let limit = millis(observed.max_block);
    let mut problems = Vec::new();
    for failure in failures(queries, &on) {
        problems.push(Problem::ProbeFailed {
            step: "baseline".to_string(),
            kind: failure.kind,
            count: failure.count,
            error: failure.first_error,
        });
    }
    let mut steps = Vec::new();
    for (index, run) in observed.steps.iter().enumerate() {
        let mine: HashMap<usize, &Block> = blocks
            .iter()
            .filter(|(_, b)| b.step == index)
            .map(|(q, b)| (*q, b))
            .collect();
        let report = step(observed, run, &mine);
        if let Some(error) = &report.error {
            problems.push(Problem::MigrationFailed {
                step: report.name.clone(),
                error: error.clone(),
            });
        }
        for latency in report.latency.iter().filter(|l| l.longest_block_ms > limit) {
            let over = mine
                .keys()
                .filter(|&&q| queries[q].kind == latency.kind)
                .filter(|&&q| millis(queries[q].latency()) > limit)
                .count();
            problems.push(Problem::Blocked {
                step: report.name.clone(),
                kind: latency.kind,
                queries: over,
                longest_ms: latency.longest_block_ms,
                blamed: report.blamed.clone(),
            });
        }
        for failure in &report.failures {
            problems.push(Problem::ProbeFailed {
                step: report.name.clone(),
                kind: failure.kind,
                count: failure.count,
                error: failure.first_error.clone(),
            });
        }
        steps.push(report);
    }
    Rehearsal {
        max_block_ms: limit,
        probe: observed.settings.clone(),
        baseline: latencies(queries, &on, &HashMap::<usize, ()>::new()),
        sampler_overhead,
        steps,
        passed: problems.is_empty(),
        problems,
    }
}

/// Why a blocked query waited: in which step, and on which statement's lock.
#[derive(Debug, Clone)]
struct Block {
    step: usize,
    blame: Option<Blame>,
}

/// Every blocked query (by index), with its step and blame, from the first sample that saw it
/// waiting on the migrator.
fn blocks(observed: &Observed) -> HashMap<usize, Block> {
    let queries = &observed.queries;
    let mut by_pid: HashMap<i32, Vec<usize>> = HashMap::new();
    for (index, query) in queries.iter().enumerate() {
        by_pid.entry(query.pid).or_default().push(index);
    }
    for indices in by_pid.values_mut() {
        indices.sort_by_key(|&i| queries[i].started);
    }
    let mut blocks = HashMap::new();
    for (step_index, step) in observed.steps.iter().enumerate() {
        let (samples, statements) = within(observed, step);
        let locks = StepLocks::new(samples, statements, step.started);
        for (sample_index, sample) in samples.iter().enumerate() {
            for blocked in &sample.blocked {
                let Some(indices) = by_pid.get(&blocked.pid) else {
                    continue;
                };
                // The query that backend was running when the server answered: the first of its
                // queries still running when the sample was sent (the next one may have started
                // before the answer came back, but it was not the one waiting).
                let position = indices.partition_point(|&i| queries[i].ended < sample.sent);
                let Some(&query) = indices.get(position) else {
                    continue;
                };
                if queries[query].started > sample.received || blocks.contains_key(&query) {
                    continue;
                }
                let lock = blocked
                    .table
                    .as_deref()
                    .and_then(|table| locks.on(table, sample_index));
                let sent = match lock {
                    Some((_, Some(sent))) => Some(sent),
                    _ => locks.running(sample_index),
                };
                let blame = sent.map(|sent| Blame {
                    place: sent.place.clone(),
                    table: blocked.table.clone(),
                    mode: lock.map(|(mode, _)| mode),
                    statement_ms: statement_ms(statements, sent, step.ended),
                });
                blocks.insert(
                    query,
                    Block {
                        step: step_index,
                        blame,
                    },
                );
            }
        }
    }
    blocks
}

/// The samples and statements of one step, by time.
fn within<'a>(observed: &'a Observed, step: &StepRun) -> (&'a [Sample], &'a [Sent]) {
    let samples = &observed.samples;
    let from = samples.partition_point(|s| s.sent < step.started);
    let to = samples.partition_point(|s| s.sent <= step.ended);
    let statements = &observed.statements;
    let first = statements.partition_point(|s| s.at < step.started);
    let last = statements.partition_point(|s| s.at <= step.ended);
    (&samples[from..to], &statements[first..last])
}

/// From its start until it was done, or else the next statement (or the end of the step).
fn statement_ms(statements: &[Sent], sent: &Sent, ended: Instant) -> f64 {
    let next = statements
        .iter()
        .find(|s| s.at > sent.at)
        .map_or(ended, |s| s.at);
    millis(sent.done.unwrap_or(next).saturating_duration_since(sent.at))
}

/// One step's report; `blocks` are the queries it blocked.
fn step(observed: &Observed, step: &StepRun, blocks: &HashMap<usize, &Block>) -> StepReport {
    let queries = &observed.queries;
    let (samples, statements) = within(observed, step);
    let locks = StepLocks::new(samples, statements, step.started).strongest();
    // The queries sent while it ran, and those it blocked that were sent just before.
    let mut during: Vec<usize> = (0..queries.len())
        .filter(|&q| step.started <= queries[q].started && queries[q].started <= step.ended)
        .collect();
    for &q in blocks.keys() {
        if !during.contains(&q) {
            during.push(q);
        }
    }
    let longest = blocks.iter().max_by_key(|(q, _)| queries[**q].latency());
    // Failures count until the next step: a broken query fails once the migration committed.
    let after: Vec<usize> = (0..queries.len())
        .filter(|&q| step.started <= queries[q].started && queries[q].started < step.settled)
        .collect();
    StepReport {
        name: step.name.clone(),
        duration_ms: millis(step.ended - step.started),
        paused_ms: millis(step.paused),
        error: step.error.clone(),
        locks,
        latency: latencies(queries, &during, blocks),
        blocked: blocks.len(),
        longest_block_ms: longest.map_or(0.0, |(q, _)| millis(queries[*q].latency())),
        blamed: longest.and_then(|(_, b)| b.blame.clone()),
        failures: failures(queries, &after),
    }
}

/// Per kind, in the fixed order, of the queries `selected`; `blocked` holds those that count as
/// blocked.
fn latencies<T>(
    queries: &[Query],
    selected: &[usize],
    blocked: &HashMap<usize, T>,
) -> Vec<Latency> {
    QueryKind::ALL
        .iter()
        .map(|&kind| {
            let mine: Vec<usize> = selected
                .iter()
                .copied()
                .filter(|&q| queries[q].kind == kind)
                .collect();
            let ok = ok_latencies(queries, &mine);
            let blocked: Vec<f64> = mine
                .iter()
                .filter(|q| blocked.contains_key(q))
                .map(|&q| millis(queries[q].latency()))
                .collect();
            Latency {
                kind,
                queries: mine.len(),
                p50_ms: percentile(&ok, 0.50),
                p99_ms: percentile(&ok, 0.99),
                max_ms: ok.last().copied().unwrap_or(0.0),
                blocked: blocked.len(),
                longest_block_ms: blocked.iter().copied().fold(0.0, f64::max),
                failed: mine.iter().filter(|&&q| queries[q].error.is_some()).count(),
            }
        })
        .collect()
}

fn failures(queries: &[Query], selected: &[usize]) -> Vec<Failure> {
    let mut failures: BTreeMap<QueryKind, Failure> = BTreeMap::new();
    for &q in selected {
        if let Some(error) = &queries[q].error {
            failures
                .entry(queries[q].kind)
                .or_insert_with(|| Failure {
                    kind: queries[q].kind,
                    count: 0,
                    first_error: error.clone(),
                })
                .count += 1;
        }
    }
    failures.into_values().collect()
}

/// The latencies of the selected queries that succeeded, in milliseconds, sorted.
fn ok_latencies(queries: &[Query], selected: &[usize]) -> Vec<f64> {
    let mut ms: Vec<f64> = selected
        .iter()
        .filter(|&&q| queries[q].error.is_none())
        .map(|&q| millis(queries[q].latency()))
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

/// Nearest rank on sorted values; 0 for none.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.50), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
