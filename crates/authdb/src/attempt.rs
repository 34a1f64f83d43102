//! Why one attempt to connect failed, whether waiting can fix it, and what to tell the user:
//! decided by the error's kind and SQLSTATE, never by the words of its message, except for the
//! advice, which only adds to the driver's words.

use std::error::Error as _;
use std::io::ErrorKind;
use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::error::describe;
use crate::hosts::Target;

/// Why one attempt at one host failed.
pub(crate) enum Failure {
    Driver(tokio_postgres::Error),
    /// `target_session_attrs` asked for another kind of server: this one is read-only, or
    /// accepts writes where read-only was asked.
    WrongKind(&'static str),
    /// The host's deadline passed: no TCP connection, or no complete TLS and startup exchange.
    NoAnswer(Duration),
    /// Something else listens there (see `identify.rs`): no retry can help.
    NotPostgres(String),
}

impl Failure {
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Failure::Driver(error) => is_transient(error),
            // A compute that is waking up, or a server restarting: worth another attempt.
            Failure::NoAnswer(_) => true,
            Failure::NotPostgres(_) | Failure::WrongKind(_) => false,
        }
    }

    pub(crate) fn into_reason(self, target: &Target) -> (String, Option<tokio_postgres::Error>) {
        let host = target.label.rsplit_once(':').map_or("", |(host, _)| host);
        match self {
            Failure::Driver(error) => (explain(&error, host), Some(error)),
            Failure::NoAnswer(waited) => (no_answer(waited, "within connect_timeout"), None),
            Failure::WrongKind(what) => (
                advise(format!("error connecting to server: {what}"), host),
                None,
            ),
            Failure::NotPostgres(what) => (
                format!(
                    "not a PostgreSQL server: {what} listens at {}. Check the host and port of \
                     the URL (PostgreSQL listens on 5432 unless it was set up otherwise)",
                    target.label
                ),
                None,
            ),
        }
    }
}

pub(crate) fn no_answer(waited: Duration, when: &str) -> String {
    format!(
        "the server did not answer {when} ({} s for TCP, TLS and the startup exchange together): \
         a paused or overloaded server, or a proxy that accepts connections but does not forward \
         them. Check that the server is up; raise connect_timeout in the URL if it is only slow",
        waited.as_secs_f64()
    )
}

/// The failure of every host, in one sentence, and the driver error to keep as the cause: the
/// first with a SQLSTATE (a server's refusal says the most), else the last one.
pub(crate) fn reasons(failed: Vec<(Target, Failure)>) -> (String, Option<tokio_postgres::Error>) {
    let several = failed.len() > 1;
    let mut texts = Vec::new();
    let mut source: Option<tokio_postgres::Error> = None;
    for (target, failure) in failed {
        let (text, driver) = failure.into_reason(&target);
        texts.push(if several {
            format!("{}: {text}", target.label)
        } else {
            text
        });
        if let Some(driver) = driver
            && source.as_ref().is_none_or(|kept| kept.code().is_none())
        {
            source = Some(driver);
        }
    }
    let reason = match texts.len() {
        1 => texts.remove(0),
        _ => format!("every host failed. {}", texts.join("; ")),
    };
    (reason, source)
}

/// A failure that is not the server refusing (no SQLSTATE) nor nothing listening: what answered
/// may not be PostgreSQL at all.
pub(crate) fn may_be_another_protocol(error: &tokio_postgres::Error) -> bool {
    if error.code().is_some() {
        return false;
    }
    let mut cause = error.source();
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return !matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::AddrNotAvailable
                    | ErrorKind::PermissionDenied
            );
        }
        cause = error.source();
    }
    true
}

/// Failures that can pass, told apart by what they are: the server's SQLSTATE (starting up or
/// shutting down, too many connections), a connection closed during start-up (a container's port
/// proxy does that), or an I/O error of a kind that waiting can fix. Not: any other refusal by
/// the server (a wrong password, 28P01; no such role or database), a TLS failure, a host name
/// that does not resolve (its I/O error is of another kind), or a protocol error.
fn is_transient(error: &tokio_postgres::Error) -> bool {
    if let Some(code) = error.code() {
        return *code == SqlState::CANNOT_CONNECT_NOW || *code == SqlState::TOO_MANY_CONNECTIONS;
    }
    if error.is_closed() {
        return true;
    }
    let mut cause = error.source();
    while let Some(error) = cause {
        if error.is::<native_tls::Error>() {
            return false;
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return is_transient_io(io);
        }
        cause = error.source();
    }
    false
}

/// Whether waiting can fix a socket's failure: nothing listening yet, a connection reset or
/// timed out; not a host name that does not resolve.
fn is_transient_io(io: &std::io::Error) -> bool {
    matches!(
        io.kind(),
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::BrokenPipe
            | ErrorKind::TimedOut
            | ErrorKind::UnexpectedEof
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
    )
}

/// The driver's message, plus advice for the failures people meet most. `host` is the host name
/// the certificate was checked against.
pub(crate) fn explain(error: &tokio_postgres::Error, host: &str) -> String {
    advise(describe(error), host)
}

/// `text`, an error's message, with the advice for the failures people meet most.
fn advise(text: String, host: &str) -> String {
    // OpenSSL's reasons, which native-tls passes on in parentheses (their case varies).
    let lower = text.to_lowercase();
    let advice = if lower.contains("hostname mismatch") || lower.contains("ip address mismatch") {
        format!(
            ". The server's certificate is not for the host name {host}: connect with a name the \
             certificate lists (for Neon, the endpoint's host name as the console shows it, not an \
             IP address or an alias), or use sslmode=verify-ca to check the CA only"
        )
    } else if text.contains("unable to get local issuer certificate")
        || text.contains("self-signed certificate")
        || text.contains("unable to verify the first certificate")
    {
        ". The server's certificate is signed by a CA this machine does not trust: give that CA \
         with sslrootcert=PATH (Neon's CA is a public one: if Neon is refused, install the \
         system's CA certificates, e.g. the ca-certificates package)"
            .to_string()
    } else if text.contains("certificate") || text.contains("handshake") {
        ". The server's certificate did not verify: check the host name, or give the CA with \
         sslrootcert=PATH"
            .to_string()
    } else if text.contains("server did not use channel binding") {
        ". channel_binding=require needs TLS and a password checked with SCRAM: use \
         sslmode=require or verify-full (as Neon's URLs do), or leave channel_binding out"
            .to_string()
    } else if text.contains("lookup address") {
        ". The host name does not resolve: check it for typos".to_string()
    } else if text.contains("Connection refused") {
        ". Nothing listens there: is the server running, and is the port right?".to_string()
    } else if text.contains("database does not allow writes") {
        ". target_session_attrs=read-write asks for a server that accepts writes, and this one is \
         read-only (a standby, or default_transaction_read_only): list the primary among the hosts"
            .to_string()
    } else if text.contains("no encryption") {
        ". The server accepts only encrypted connections: add sslmode=require (or prefer) to the URL"
            .to_string()
    } else if text.contains("server does not support TLS") {
        ". The server offers no TLS: use a server with TLS, or sslmode=prefer for a local one"
            .to_string()
    } else {
        String::new()
    };
    format!("{text}{advice}")
}
