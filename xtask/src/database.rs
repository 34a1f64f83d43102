//! What the database commands share: reading the migrations folder, connecting, the header line
//! that says which database the command works on, and remembering it for the JSON error object
//! `main` prints if the command then fails.

use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::Result;
use authdb::{ConnInfo, Connection, Environment, Migrations};
use serde_json::{Value, json};

use crate::cli::{Database, Folder, Timeouts};

impl Folder {
    /// Read before connecting, so a broken folder is reported without touching the network.
    pub fn migrations(&self) -> Result<Migrations> {
        Ok(Migrations::load(&crate::migrations_dir(
            self.migrations.as_deref(),
        ))?)
    }
}

impl Database {
    /// Connects, and remembers where (see [`connected`]). `.env` is read only if a setting is
    /// needed that neither the flags nor the environment give.
    pub async fn connect(&self) -> Result<(ConnInfo, Connection)> {
        let env = Environment::load(&std::env::current_dir()?);
        let (info, connection) = authdb::open(&env, self.database_url.as_deref()).await?;
        remember(&connection);
        Ok((info, connection))
    }
}

/// Remembers where this run connected, for the report of a failure after it (see [`connected`]):
/// every command that connects, whichever way it opens the connection.
pub fn remember(connection: &Connection) {
    let _ = CONNECTED.set(Connected {
        url: connection.url.clone(),
        server_version: connection.server_version.clone(),
    });
}

impl Timeouts {
    pub fn lock(&self) -> Option<Duration> {
        self.lock_timeout.duration()
    }

    pub fn statement(&self) -> Option<Duration> {
        self.statement_timeout.duration()
    }

    pub fn lock_wait(&self) -> Option<Duration> {
        self.lock_wait.duration()
    }
}

/// Where this run connected: the redacted URL and the server's version.
#[derive(Debug, Clone)]
pub struct Connected {
    pub url: String,
    pub server_version: String,
}

static CONNECTED: OnceLock<Connected> = OnceLock::new();

/// The database this run connected to, if it got that far.
pub fn connected() -> Option<&'static Connected> {
    CONNECTED.get()
}

/// Says on stderr that the command waits for another migrator, once, and what the server said
/// while a file ran (`migrations/009_x.sql:3: NOTICE: ...`, as psql shows it), which `--json`
/// reports too (see [`server_notices`]).
pub fn notify_on_stderr() -> authdb::Notify {
    authdb::Notify::new(|notice| match notice {
        authdb::Notice::WaitingForLock { .. } | authdb::Notice::Backfill(_) => errln!("{notice}"),
        authdb::Notice::Server {
            path,
            line,
            severity,
            message,
        } => {
            errln!("{notice}");
            let file = path.file_name().map_or(path.as_path(), Path::new);
            let heard =
                json!({"file": file, "line": line, "severity": severity, "message": message});
            HEARD
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(heard);
        }
        _ => {}
    })
}

/// Server notices heard so far, for `--json` (`file` relative to the folder, as every path).
static HEARD: Mutex<Vec<Value>> = Mutex::new(Vec::new());

pub fn server_notices() -> Vec<Value> {
    HEARD
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// "database postgres://app:***@host/db (PostgreSQL 17.2)", and Neon's advice for pooled endpoints.
pub fn print_header(info: &ConnInfo, connection: &Connection) {
    outln!(
        "database {} (PostgreSQL {})",
        connection.url,
        connection.server_version
    );
    if info.is_neon_pooler() {
        outln!(
            "notice: {} is a Neon pooler endpoint; Neon recommends the direct endpoint (without -pooler) \
             for migrations",
            info.host()
        );
    }
}
