//! How a failed run is reported: one paragraph on stderr, and, when the command was given
//! `--json`, one JSON object on stdout as well (`{"ok": false, "error": ...}`), so that a CI step
//! parsing stdout gets an answer whatever went wrong, before connecting or after. Exit codes: 1
//! for an error, 2 for a usage error (clap's).
//!
//! Messages from the library are redacted where they are made; as a last guard, any command line
//! argument that reads as a connection string is replaced by its redacted form wherever a message
//! quotes it (clap quotes an argument it did not expect, such as a URL given without
//! `--database-url`).

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::ErrorKind;
use serde_json::{Map, Value, json};

/// A usage error: clap's message on stderr, exit code 2. Help and version are not errors.
pub fn usage(error: clap::Error, args: &[OsString]) -> ExitCode {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        error.exit();
    }
    let message = scrub(&error.render().to_string(), args);
    err!("{message}");
    if wants_json(args) {
        // The first paragraph, without clap's "error: " and its pointer to --help.
        let first = message.split("\n\n").next().unwrap_or_default();
        let text = first.trim().trim_start_matches("error: ");
        outln!("{:#}", json!({"ok": false, "usage": true, "error": text}));
    }
    ExitCode::from(2)
}

/// An error of a command: exit code 1.
pub fn error(error: &anyhow::Error, args: &[OsString], json: bool) -> ExitCode {
    let text = scrub(&paragraph(error), args);
    errln!("error: {text}");
    if json {
        let mut body = Map::new();
        body.insert("ok".into(), false.into());
        body.insert("error".into(), text.into());
        if let Some(code) = sqlstate(error) {
            body.insert("sqlstate".into(), code.into());
        }
        let notices = crate::database::server_notices();
        if !notices.is_empty() {
            body.insert("notices".into(), notices.into());
        }
        if let Some(connected) = crate::database::connected() {
            body.insert("database".into(), connected.url.clone().into());
            body.insert(
                "server_version".into(),
                connected.server_version.clone().into(),
            );
        }
        outln!("{:#}", Value::Object(body));
    }
    ExitCode::FAILURE
}

/// The error and its causes on one line. An `authdb::Error` already tells its causes (the
/// driver's message, SQLSTATE, detail and hint), so the chain stops there.
fn paragraph(error: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in error.chain() {
        parts.push(cause.to_string());
        if cause.is::<authdb::Error>() {
            break;
        }
    }
    parts.join(": ")
}

fn sqlstate(error: &anyhow::Error) -> Option<String> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<authdb::Error>())
        .and_then(authdb::Error::sqlstate)
        .map(str::to_string)
}

/// `--json` among the arguments, before any `--` (after which arguments belong to another program).
fn wants_json(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "--json")
}

/// `text` with every argument that reads as a connection string replaced by its redacted form,
/// the whole argument first, then the value of a `--flag=value` one.
fn scrub(text: &str, args: &[OsString]) -> String {
    let mut text = text.to_string();
    for arg in args.iter().skip(1).filter_map(|arg| arg.to_str()) {
        let value = arg
            .strip_prefix("--")
            .and_then(|flag| flag.split_once('='))
            .map(|(_, value)| value);
        for candidate in std::iter::once(arg).chain(value) {
            if !candidate.is_empty() && authdb::looks_like_connection_string(candidate) {
                text = text.replace(candidate, &authdb::redact(candidate));
            }
        }
    }
    text
}
