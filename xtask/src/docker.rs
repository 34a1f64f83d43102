//! The few Docker questions xtask still asks itself (the rest is `authdb_server::Docker`).

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// Fails with advice when no Docker engine answers.
pub fn require(sh: &Shell) -> Result<()> {
    let format = "{{.Server.Version}}";
    if cmd!(sh, "docker version --format {format}")
        .quiet()
        .ignore_stderr()
        .read()
        .is_err()
    {
        bail!(
            "Docker does not answer: start the Docker engine (or install it, e.g. apt-get install docker.io, \
             and start dockerd), then try again"
        );
    }
    Ok(())
}

/// "running", "exited", ... or `None` when there is no such container.
pub fn container_state(sh: &Shell, name: &str) -> Option<String> {
    let format = "{{.State.Status}}";
    cmd!(sh, "docker container inspect --format {format} {name}")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
}

/// The host port Docker published for a container's PostgreSQL port 5432.
pub fn published_port(sh: &Shell, container: &str) -> Result<u16> {
    let mapping = cmd!(sh, "docker port {container} 5432/tcp")
        .quiet()
        .read()?;
    mapping
        .lines()
        .find_map(|line| line.rsplit_once(':')?.1.trim().parse().ok())
        .with_context(|| format!("docker port {container} 5432/tcp gave no port: {mapping:?}"))
}
