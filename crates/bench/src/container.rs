//! The baseline for a fresh per-test database: a whole new PostgreSQL container, started and
//! waited for the way every tool starts one (`authdb_server`), then removed.

use std::time::{Duration, Instant};

use anyhow::Result;
use authdb_server::{Docker, Server, Spec};

/// Starts a throwaway server from `image`, waits until it accepts connections, removes it, and
/// returns the time from `docker run` to the first successful connection.
pub async fn start_and_wait(image: &str) -> Result<Duration> {
    let sh = xshell::Shell::new()?;
    let docker = Docker::connect(&sh)?;
    let started = Instant::now();
    let server = Server::start(&docker, &Spec::throwaway(image, "bench"))?;
    server.connect("postgres").await?;
    Ok(started.elapsed())
}
