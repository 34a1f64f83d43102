//! From what a rehearsal observed (the probe's timed queries, the sampler's samples, the
//! statements and when they ran) to its report. A probe query counts as blocked when a sample saw
//! its backend waiting on the migrator (directly or queued behind another waiting probe) while it
//! ran; its block is its whole latency, what the user behind it waited.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::locks::{StepLocks, millis};
use super::probe::{Query, QueryKind};
use super::report::{
    Blame, Failure, Latency, ProbeSettings, Problem, Rehearsal, SamplerOverhead, StepReport,
};
use super::sampler::Sample;
use super::timeline::Sent;

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
    /// The attempts that gave up waiting for a lock and were tried again.
    pub retries: Vec<crate::retry::Retry>,
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
            let of_kind: Vec<(usize, &Block)> = mine
                .iter()
                .filter(|(q, _)| queries[**q].kind == latency.kind)
                .map(|(q, b)| (*q, *b))
                .collect();
            let over = of_kind
                .iter()
                .filter(|(q, _)| millis(queries[*q].latency()) > limit)
                .count();
            // Each kind's own longest wait names its own lock: sign-ins may wait on users while
            // profile updates wait on another table.
            let longest = of_kind.iter().max_by_key(|(q, _)| queries[*q].latency());
            problems.push(Problem::Blocked {
                step: report.name.clone(),
                kind: latency.kind,
                queries: over,
                longest_ms: latency.longest_block_ms,
                blamed: longest.and_then(|(_, b)| b.blame.clone()),
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
        matrix: None,
        versions: Vec::new(),
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
        retries: step.retries.clone(),
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
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::lock_mode::LockMode;
    use super::super::probe::{Query, QueryKind};
    use super::super::report::{ProbeSettings, Problem};
    use super::super::sampler::{Blocked, Held, Sample};
    use super::super::timeline::Sent;
    use super::{Observed, Segment, StepRun, analyse, percentile};

    /// One step that locks users, then hardware_background; a sign-in and a profile update wait
    /// on each, a look-up does not, and an insert fails after the COMMIT.
    #[test]
    fn each_kind_is_blamed_on_the_lock_it_waited_for_and_failures_count_after_the_commit() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let source = "ALTER TABLE users ALTER COLUMN email TYPE text;\n\
                      ALTER TABLE hardware_background ALTER COLUMN device_types SET NOT NULL;\n";
        let statements = vec![
            Sent::made("m/009_x.sql", source, 1, at(100), at(150)),
            Sent::made("m/009_x.sql", source, 2, at(150), at(280)),
        ];
        let held = |table: &str| Held {
            table: table.to_string(),
            mode: LockMode::AccessExclusive,
            granted: true,
        };
        let waiting = |pid: i32, table: &str| Blocked {
            pid,
            table: Some(table.to_string()),
        };
        let samples = vec![
            Sample {
                sent: at(140),
                received: at(141),
                held: vec![held("users")],
                blocked: vec![waiting(1, "users")],
            },
            Sample {
                sent: at(200),
                received: at(201),
                held: vec![held("users"), held("hardware_background")],
                blocked: vec![waiting(1, "users"), waiting(2, "hardware_background")],
            },
        ];
        let query = |kind, pid, from, to, error: Option<&str>| Query {
            kind,
            pid,
            started: at(from),
            ended: at(to),
            error: error.map(str::to_string),
        };
        let queries = vec![
            query(QueryKind::SessionByToken, 0, 10, 11, None),
            query(QueryKind::UserByEmail, 1, 20, 21, None),
            query(QueryKind::UserByEmail, 1, 120, 300, None),
            query(QueryKind::UpdateProfile, 2, 190, 300, None),
            query(QueryKind::SessionByToken, 3, 200, 201, None),
            query(QueryKind::InsertSession, 4, 350, 351, Some("boom")),
        ];
        let observed = Observed {
            settings: ProbeSettings {
                workers: 5,
                interval_ms: 10.0,
                sample_interval_ms: 5.0,
                baseline_ms: 100.0,
            },
            max_block: Duration::from_millis(50),
            baseline: vec![Segment {
                started: at(0),
                ended: at(100),
                sampler: true,
            }],
            steps: vec![StepRun {
                name: "009_x".to_string(),
                started: at(100),
                ended: at(300),
                settled: at(400),
                paused: Duration::ZERO,
                error: None,
                retries: Vec::new(),
            }],
            queries,
            samples,
            statements,
        };
        let report = analyse(&observed);
        let step = &report.steps[0];
        assert_eq!(step.blocked, 2);
        let blocked: Vec<(QueryKind, usize)> = report
            .problems
            .iter()
            .filter_map(|p| match p {
                Problem::Blocked { kind, blamed, .. } => {
                    Some((*kind, blamed.as_ref().unwrap().place.line))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            blocked,
            vec![(QueryKind::UserByEmail, 1), (QueryKind::UpdateProfile, 2)]
        );
        let locks: Vec<(&str, Option<usize>)> = step
            .locks
            .iter()
            .map(|l| (l.table.as_str(), l.taken_by.as_ref().map(|p| p.line)))
            .collect();
        assert_eq!(
            locks,
            vec![("hardware_background", Some(2)), ("users", Some(1))]
        );
        assert!(matches!(
            report.problems.last(),
            Some(Problem::ProbeFailed { kind: QueryKind::InsertSession, error, .. }) if error == "boom"
        ));
        assert_eq!(report.baseline[1].queries, 1, "the sign-in before the step");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.50), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
