//! The few Docker questions xtask asks: is the engine there, is an image there, can it be pulled.

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

pub fn has_image(sh: &Shell, image: &str) -> bool {
    cmd!(sh, "docker image inspect {image}")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok()
}

/// True if the image is here or a registry could supply it.
pub fn has_or_pulls(sh: &Shell, image: &str) -> bool {
    has_image(sh, image)
        || cmd!(sh, "docker pull --quiet {image}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_ok()
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
