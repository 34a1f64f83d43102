//! PostgreSQL in a Docker container, for commands that need a server of their own (`snapshot`
//! migrates a throwaway one). Driven with the docker CLI, so xtask needs no Docker library; the
//! server is reached only through the authdb library, like any other database.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Instant;

use anyhow::{Context, Result};
use authdb::{ConnInfo, Connection, Retry, Setting};

use crate::docker;
use xshell::{Shell, cmd};

/// A running PostgreSQL container, removed (with its data) when this is dropped.
pub struct Container {
    pub id: String,
    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres`; print it redacted.
    pub url: String,
}

impl Container {
    /// Starts a throwaway server from `image`: a random password, a random port on the loopback
    /// interface only, and no durability (fsync off, data in memory, as in the tests' containers),
    /// since it lives for one command.
    pub fn throwaway(sh: &Shell, image: &str) -> Result<Container> {
        let password = random_hex();
        let env = format!("POSTGRES_PASSWORD={password}");
        let id = cmd!(
            sh,
            "docker run --rm --detach --publish 127.0.0.1::5432 --tmpfs /var/lib/postgresql/data
                --env {env} {image} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        .quiet()
        .read()
        .with_context(|| format!("starting a PostgreSQL container from {image}"))?;
        let mut container = Container {
            id,
            url: String::new(),
        };
        let port = docker::published_port(sh, &container.id)?;
        container.url = format!("postgres://postgres:{password}@127.0.0.1:{port}/postgres");
        Ok(container)
    }

    /// Connects through the library once the server accepts connections: the first start runs
    /// initdb and restarts the server, so refusals and dropped connections are retried a while.
    pub async fn connect(&self) -> Result<(ConnInfo, Connection)> {
        let setting = Setting {
            value: self.url.clone(),
            origin: format!("the container {}", short(&self.id)),
        };
        let info = ConnInfo::parse(&setting, false)?;
        let connection = authdb::connect(&info, Retry::starting_server())
            .await
            .with_context(|| {
                format!(
                    "the PostgreSQL container {} did not become ready (see `docker logs {}`)",
                    short(&self.id),
                    self.id
                )
            })?;
        Ok((info, connection))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "--force", "--volumes", &self.id])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// 128 bits from the standard library's per-process random hash keys: enough for a password
/// that only guards a loopback port for a minute.
fn random_hex() -> String {
    let a = RandomState::new().hash_one(std::process::id());
    let b = RandomState::new().hash_one(Instant::now());
    format!("{a:016x}{b:016x}")
}
