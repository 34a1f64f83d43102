//! Every byte xtask writes to stdout and stderr goes through here (`outln!`, `out!`, `errln!`,
//! `err!`; `tidy.rs` refuses the standard printing macros anywhere else), so that a report nobody
//! can receive never changes what the run did. A deploy that pipes `migrate` into `head -1`, or
//! writes `--json` to a full disk, has still committed its migrations: Rust's `println!` would
//! panic there (exit 101, a backtrace, no report), after the fact.
//!
//! The first write that fails on a stream (a closed pipe, EPIPE; a full disk, ENOSPC; anything
//! else) is remembered and nothing more is written to that stream. `main` then exits with the code
//! the run earned, which says what happened to the database, and [`finish`] adds one line on
//! stderr saying that the report on stdout is incomplete (README, "Exit codes"). The one other
//! writer is indicatif's progress bar (`seed`, `rehearse`), drawn only on a terminal, which
//! ignores a failed write by itself.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Mutex;

/// A line on stdout: the report.
macro_rules! outln {
    () => {
        $crate::output::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Text on stdout without a newline (a question, or text that carries its own).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!($($arg)*))
    };
}

/// A line on stderr: errors, progress, and whatever must not mix with a `--json` report.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Text on stderr without a newline (a child's output, which carries its own).
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::output::stderr(format_args!($($arg)*))
    };
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout = 0,
    Stderr = 1,
}

/// Why each stream stopped taking output, once one write to it failed.
static LOST: Mutex<[Option<String>; 2]> = Mutex::new([None, None]);

pub fn stdout(text: fmt::Arguments<'_>) {
    write(Stream::Stdout, text);
}

pub fn stderr(text: fmt::Arguments<'_>) {
    write(Stream::Stderr, text);
}

/// Writes and flushes at once: stdout is a pipe or a file more often than a terminal, and an
/// error left in a buffer would surface nowhere. A lock poisoned by a panicking thread is still
/// usable: the state it guards is two strings.
fn write(stream: Stream, text: fmt::Arguments<'_>) {
    let mut lost = LOST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if lost[stream as usize].is_some() {
        return;
    }
    let written = match stream {
        Stream::Stdout => {
            let mut out = io::stdout().lock();
            out.write_fmt(text).and_then(|()| out.flush())
        }
        Stream::Stderr => {
            let mut err = io::stderr().lock();
            err.write_fmt(text).and_then(|()| err.flush())
        }
    };
    if let Err(error) = written {
        lost[stream as usize] = Some(reason(&error));
    }
}

/// The error as a person reads it: "the pipe was closed", "no space left", else the system's words.
fn reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::BrokenPipe => "the reader closed the pipe".to_string(),
        io::ErrorKind::StorageFull => "no space left on the device".to_string(),
        _ => error.to_string(),
    }
}

/// Whether stdout stopped taking the report, and why.
pub fn stdout_lost() -> Option<String> {
    LOST.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[Stream::Stdout as usize].clone()
}

/// The run's own exit code, after one line on stderr when the report on stdout was cut short:
/// the code says what happened to the database, whatever became of its report.
pub fn finish(code: ExitCode) -> ExitCode {
    if let Some(reason) = stdout_lost() {
        let outcome = if code == ExitCode::SUCCESS {
            "the command itself succeeded (exit code 0)"
        } else if code == ExitCode::from(2) {
            "the command was not run: a usage error (exit code 2)"
        } else {
            "the command failed as stderr says (exit code 1)"
        };
        errln!("warning: the report on stdout is incomplete ({reason}); {outcome}");
    }
    code
}
