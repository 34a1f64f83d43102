//! What `migrate` and `status` share: reading the migrations folder, connecting, and the header
//! line that says where the command is pointed.

use std::time::Duration;

use anyhow::Result;
use authdb::{ConnInfo, Connection, Environment, Migrations};

use crate::cli::{Target, Timeouts};

impl Target {
    /// Read before connecting, so a broken folder is reported without touching the network.
    pub fn migrations(&self) -> Result<Migrations> {
        Ok(Migrations::load(&crate::migrations_dir(
            self.migrations.as_deref(),
        ))?)
    }

    pub async fn connect(&self) -> Result<(ConnInfo, Connection)> {
        let env = Environment::load(&std::env::current_dir()?)?;
        Ok(authdb::open(&env, self.database_url.as_deref()).await?)
    }
}

impl Timeouts {
    pub fn lock(&self) -> Option<Duration> {
        seconds(self.lock_timeout)
    }

    pub fn statement(&self) -> Option<Duration> {
        seconds(self.statement_timeout)
    }

    pub fn lock_wait(&self) -> Option<Duration> {
        seconds(self.lock_wait)
    }
}

/// Says on stderr that the command waits for another migrator, once.
pub fn notify_on_stderr() -> authdb::Notify {
    authdb::Notify::new(|notice| {
        if let authdb::Notice::WaitingForLock { .. } = notice {
            eprintln!("{notice}");
        }
    })
}

impl Timeouts {}

/// A timeout in seconds from the command line; zero means none.
fn seconds(value: f64) -> Option<Duration> {
    (value > 0.0).then(|| Duration::from_secs_f64(value))
}

/// "target postgres://app:***@host/db (PostgreSQL 17.2)", and Neon's advice for pooled endpoints.
pub fn print_header(info: &ConnInfo, connection: &Connection) {
    println!(
        "target {} (PostgreSQL {})",
        connection.target, connection.server_version
    );
    if info.is_neon_pooler() {
        println!(
            "notice: {} is a Neon pooler endpoint; Neon recommends the direct endpoint (without -pooler) \
             for migrations",
            info.host()
        );
    }
}

/// Milliseconds as people read them: "0.8 ms", "31 ms", "2.4 s".
pub fn duration(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

pub fn version(v: Option<i64>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}
