//! Timing: a warm-up, then several runs, summarised by median and range. Medians, because one
//! slow run (a checkpoint, another process) should not move the figure.

use std::time::{Duration, Instant};

/// The timings of one scenario, in milliseconds.
#[derive(Debug, Clone)]
pub struct Sample {
    pub runs: Vec<f64>,
}

impl Sample {
    pub fn median(&self) -> f64 {
        let mut sorted = self.runs.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        }
    }

    pub fn min(&self) -> f64 {
        self.runs.iter().copied().fold(f64::INFINITY, f64::min)
    }

    pub fn max(&self) -> f64 {
        self.runs.iter().copied().fold(0.0, f64::max)
    }

    /// Every run divided by `by`: a per-row or per-migration figure.
    pub fn per(&self, by: f64) -> Sample {
        Sample {
            runs: self.runs.iter().map(|r| r / by).collect(),
        }
    }
}

/// Times `run` `1 + runs` times and drops the first timing, the warm-up.
pub fn repeat(
    runs: usize,
    mut run: impl FnMut() -> anyhow::Result<Duration>,
) -> anyhow::Result<Sample> {
    let mut timings = Vec::with_capacity(runs);
    for i in 0..=runs {
        let elapsed = run()?;
        if i > 0 {
            timings.push(elapsed.as_secs_f64() * 1000.0);
        }
    }
    Ok(Sample { runs: timings })
}

/// Times a child process to its exit; fails with its output when it fails.
pub fn time_process(command: &mut std::process::Command) -> anyhow::Result<Duration> {
    time_process_exiting(command, 0)
}

/// Times a child process that must exit with `code` (lint exits 1 when it has findings).
pub fn time_process_exiting(
    command: &mut std::process::Command,
    code: i32,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = command.output()?;
    let elapsed = started.elapsed();
    if output.status.code() != Some(code) {
        anyhow::bail!(
            "{} failed: {}{}",
            shown(command),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

/// The peak resident memory of a child process, in MiB, from the kernel's accounting of that
/// child alone (wait4), so the benchmark's own memory does not count.
#[cfg(unix)]
pub fn peak_rss_mib(command: &mut std::process::Command) -> anyhow::Result<f64> {
    peak_rss_mib_exiting(command, 0)
}

/// [`peak_rss_mib`] of a process that must exit with `code`.
#[cfg(unix)]
pub fn peak_rss_mib_exiting(command: &mut std::process::Command, code: i32) -> anyhow::Result<f64> {
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own unwaited child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != code {
        anyhow::bail!("{} failed (status {status})", shown(command));
    }
    Ok(usage.ru_maxrss as f64 / 1024.0)
}

/// A command as it may be printed: its program and arguments, a connection string among them
/// redacted (the container's password is a secret like any other), its environment left out.
fn shown(command: &std::process::Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|arg| {
            let arg = arg.to_string_lossy();
            if authdb::looks_like_connection_string(&arg) {
                authdb::redact(&arg)
            } else {
                arg.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failed_command_is_named_without_the_password_in_its_url() {
        let mut command = std::process::Command::new("false");
        command.args(["-d", "postgres://postgres:hunter2@127.0.0.1:5432/bench_1"]);
        let error = super::time_process(&mut command).unwrap_err().to_string();
        assert!(
            error.starts_with("false -d postgres://postgres:***@127.0.0.1:5432/bench_1 failed"),
            "{error}"
        );
        let error = super::peak_rss_mib(&mut command).unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
