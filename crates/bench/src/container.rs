//! The baseline for a fresh per-test database: a whole new PostgreSQL container.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Starts a container from `image`, waits until it accepts connections, removes it, and returns
/// the time from `docker run` to the first successful connection.
pub async fn start_and_wait(image: &str) -> Result<Duration> {
    let started = Instant::now();
    let output = Command::new("docker")
        .args(["run", "--rm", "--detach", "--publish", "127.0.0.1::5432"])
        .args(["--env", "POSTGRES_PASSWORD=bench", image, "-c", "fsync=off"])
        .output()
        .context("docker run")?;
    if !output.status.success() {
        bail!(
            "docker run {image}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let id = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let result = wait(&id).await;
    let elapsed = started.elapsed();
    let _ = Command::new("docker").args(["rm", "--force", &id]).output();
    result.map(|()| elapsed)
}

async fn wait(id: &str) -> Result<()> {
    let port = Command::new("docker")
        .args(["port", id, "5432/tcp"])
        .output()?;
    let port = String::from_utf8_lossy(&port.stdout);
    let port = port
        .lines()
        .find_map(|l| l.rsplit_once(':')?.1.trim().parse::<u16>().ok())
        .context("docker port gave no port")?;
    let setting = authdb::Setting {
        value: format!("postgres://postgres:bench@127.0.0.1:{port}/postgres"),
        origin: "the baseline container".into(),
    };
    let info = authdb::ConnInfo::parse(&setting, false)?;
    authdb::connect(&info, authdb::Retry::starting_server()).await?;
    Ok(())
}
