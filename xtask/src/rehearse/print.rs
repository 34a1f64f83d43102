//! The rehearsal's report as people read it: per migration its locks, the probe's latency
//! against the baseline and what it blocked; then one line per failure, with lint's advice.

use authdb::rehearse::matrix::{Matrix, PhaseKind};
use authdb::rehearse::versions::VersionLoad;
use authdb::rehearse::{self, Problem, Rehearsal, StepReport};

use crate::human::duration;

pub fn print_report(report: &Rehearsal, users: u64, server_version: &str, image: &str) {
    let probe = &report.probe;
    let overhead = &report.sampler_overhead;
    outln!(
        "rehearsed on {users} synthetic users (PostgreSQL {server_version}, {image}); probe: {} \
         workers (one per kind of query), a query every {} each; locks sampled every {}",
        probe.workers,
        duration(probe.interval_ms),
        duration(probe.sample_interval_ms)
    );
    outln!(
        "baseline {}: probe p50 {:.2} ms with the sampler off, {:.2} ms with it on",
        duration(probe.baseline_ms),
        overhead.p50_off_ms,
        overhead.p50_on_ms
    );
    if let Some(matrix) = &report.matrix {
        outln!();
        print_matrix(matrix);
    }
    for step in &report.steps {
        outln!();
        print_step(step, report);
    }
    if !report.versions.is_empty() {
        outln!();
        print_versions(&report.versions);
    }
    outln!();
}

/// Each live version under load, per step: its queries, failures, p99 and longest wait.
fn print_versions(versions: &[VersionLoad]) {
    outln!(
        "live versions under load (each from the first step after which all its queries prepare):"
    );
    let width = versions
        .iter()
        .flat_map(|load| load.steps.iter().map(|s| s.step.len()))
        .max()
        .unwrap_or(4);
    outln!(
        "  {:<10} {:<width$} {:>5} {:>6} {:>9} {:>9}   {:>12}",
        "version",
        "step",
        "n",
        "failed",
        "p99",
        "longest",
        "baseline p99"
    );
    for load in versions {
        let baseline = load.baseline_p99_ms.map_or("-".to_string(), duration);
        for step in &load.steps {
            outln!(
                "  {:<10} {:<width$} {:>5} {:>6} {:>9} {:>9}   {:>12}",
                load.version,
                step.step,
                step.queries,
                step.failed,
                duration(step.p99_ms),
                duration(step.longest_ms),
                baseline
            );
        }
    }
}

/// The version × phase matrix: per live version, how many of its queries fail at each boundary.
fn print_matrix(matrix: &Matrix) {
    outln!("live versions, each query prepared at each phase boundary before any load:");
    let headings: Vec<String> = matrix.phases.iter().map(|p| p.label()).collect();
    let mut line = format!("  {:<12} {:>7}", "version", "queries");
    for heading in &headings {
        line.push_str(&format!("  {heading:<14}"));
    }
    outln!("{}", line.trim_end());
    for row in &matrix.versions {
        let mut line = format!("  {:<12} {:>7}", row.version, row.queries);
        for (phase, cell) in matrix.phases.iter().zip(&row.cells) {
            let text = match (cell.len(), phase.kind) {
                (0, _) => "ok".to_string(),
                (n, PhaseKind::Start) => format!("not yet ({n})"),
                (n, _) => format!("{n} fail"),
            };
            line.push_str(&format!("  {text:<14}"));
        }
        outln!("{}", line.trim_end());
    }
}

fn print_step(step: &StepReport, report: &Rehearsal) {
    let paused = if step.paused_ms >= 0.1 {
        format!(
            " (with {} held for the sampler to see its locks)",
            duration(step.paused_ms)
        )
    } else {
        String::new()
    };
    outln!("{}: {}{paused}", step.name, duration(step.duration_ms));
    if let Some(error) = &step.error {
        outln!("  failed: {error}");
    }
    for retry in &step.retries {
        outln!(
            "  attempt {} gave up waiting {} for a lock held by {} ({}); rolled back, tried \
             again after {}",
            retry.attempt,
            duration(retry.lock_timeout_ms as f64),
            retry.held_by,
            retry.location,
            duration(retry.pause_ms as f64)
        );
    }
    for lock in &step.locks {
        let held = if lock.held_ms > 0.0 {
            format!("held {}", duration(lock.held_ms))
        } else {
            format!("held under {}", duration(report.probe.sample_interval_ms))
        };
        let waited = if lock.waited_ms > 0.0 {
            format!(", waited {} for it", duration(lock.waited_ms))
        } else {
            String::new()
        };
        let by = lock
            .taken_by
            .as_ref()
            .map_or(String::new(), |place| format!(" by {place}"));
        outln!("  lock {} on {}, {held}{waited}{by}", lock.mode, lock.table);
    }
    outln!(
        "  {:<17} {:>5} {:>9} {:>9} {:>9}   {:>17} {:>8}",
        "query",
        "n",
        "p50",
        "p99",
        "max",
        "baseline p50/p99",
        "blocked"
    );
    for (during, before) in step.latency.iter().zip(&report.baseline) {
        outln!(
            "  {:<17} {:>5} {:>9} {:>9} {:>9}   {:>17} {:>8}",
            during.kind.name(),
            during.queries,
            duration(during.p50_ms),
            duration(during.p99_ms),
            duration(during.max_ms),
            format!("{} / {}", duration(before.p50_ms), duration(before.p99_ms)),
            during.blocked
        );
    }
    match &step.blamed {
        None if step.blocked == 0 => outln!("  blocked: nothing"),
        None => outln!(
            "  blocked: {} queries, the longest {}",
            step.blocked,
            duration(step.longest_block_ms)
        ),
        Some(blame) => outln!(
            "  blocked: {} queries, the longest {}, by {}: {}{}",
            step.blocked,
            duration(step.longest_block_ms),
            blame.place,
            blame.place.sql,
            lock_of(blame)
        ),
    }
}

fn lock_of(blame: &rehearse::Blame) -> String {
    match (&blame.mode, &blame.table) {
        (Some(mode), Some(table)) => format!(" ({mode} on {table})"),
        _ => String::new(),
    }
}

pub fn print_verdict(report: &Rehearsal, advice: &[(rehearse::Place, String)]) {
    let limit = duration(report.max_block_ms);
    if report.passed {
        let versions = match &report.matrix {
            Some(_) => ", and every live version's queries prepare where migrate commits",
            None => "",
        };
        outln!("PASS: no probe query was blocked longer than {limit}, and none failed{versions}");
        return;
    }
    for problem in &report.problems {
        match problem {
            Problem::Blocked {
                step,
                kind,
                queries,
                longest_ms,
                blamed,
            } => {
                let at = blamed.as_ref().map_or(String::new(), |b| {
                    format!(" at {}: {}{}", b.place, b.place.sql, lock_of(b))
                });
                outln!(
                    "FAIL: {step} blocked {} for up to {} ({queries} over {limit}){at}",
                    kind.name(),
                    duration(*longest_ms)
                );
                let fix = blamed
                    .as_ref()
                    .and_then(|b| advice.iter().find(|(place, _)| place == &b.place));
                match fix {
                    Some((_, text)) => outln!("  fix ({text})"),
                    None => outln!(
                        "  fix: hold that lock for less time: split the statement, use a \
                         non-blocking form (CONCURRENTLY, NOT VALID then VALIDATE), or run it \
                         in a maintenance window"
                    ),
                }
            }
            Problem::ProbeFailed {
                step,
                kind,
                count,
                error,
            } => outln!(
                "FAIL: {count} {} queries failed during {step}: {error}",
                kind.name()
            ),
            Problem::MigrationFailed { step, error } => {
                outln!("FAIL: {step} failed: {error}")
            }
            Problem::VersionFailed {
                version,
                step,
                count,
                error,
            } => outln!(
                "FAIL: {count} queries of app version {version} failed during {step}: {error}"
            ),
            Problem::VersionBlocked {
                version,
                step,
                longest_ms,
            } => outln!(
                "FAIL: a query of app version {version} waited {} during {step} (over {limit})",
                duration(*longest_ms)
            ),
            Problem::VersionBroken {
                version,
                phase,
                location,
                reason,
            } => outln!(
                "FAIL: app version {version} fails at {phase}: {location}: {reason}; keep what it \
                 reads until it is retired, or retire it (delete its file) before that phase"
            ),
        }
    }
}
