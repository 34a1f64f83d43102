//! The docker CLI, the few questions and commands the tools need, through xshell. One place for
//! reading `docker port`, removing containers, and listing them by label.

use xshell::{Shell, cmd};

use crate::{Error, Result};

/// A Docker engine that answered.
pub struct Docker<'a> {
    sh: &'a Shell,
}

/// One container as `docker ps` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub name: String,
    /// `key=value,key=value`, as `docker ps` prints them.
    pub labels: String,
}

impl Listed {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

impl<'a> Docker<'a> {
    /// Fails with advice when no Docker engine answers.
    pub fn connect(sh: &'a Shell) -> Result<Docker<'a>> {
        let format = "{{.Server.Version}}";
        cmd!(sh, "docker version --format {format}")
            .quiet()
            .ignore_stderr()
            .read()
            .map_err(|_| Error::NoDocker)?;
        Ok(Docker { sh })
    }

    pub fn shell(&self) -> &'a Shell {
        self.sh
    }

    pub fn has_image(&self, image: &str) -> bool {
        cmd!(self.sh, "docker image inspect {image}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_ok()
    }

    /// True if the image is here or a registry could supply it.
    pub fn has_or_pulls(&self, image: &str) -> bool {
        self.has_image(image)
            || cmd!(self.sh, "docker pull --quiet {image}")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run()
                .is_ok()
    }

    /// `docker run --detach` with these arguments; the new container's id.
    pub fn run(&self, args: &[String]) -> Result<String> {
        let output = cmd!(self.sh, "docker run --detach {args...}")
            .quiet()
            .ignore_status()
            .output()
            .map_err(|e| command_failed("docker run", e.to_string()))?;
        if !output.status.success() {
            let reason = String::from_utf8_lossy(&output.stderr).trim().to_string();
            return Err(command_failed("docker run", reason));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// "running", "exited", "created"... or `None` when there is no such container.
    pub fn state(&self, container: &str) -> Option<String> {
        self.inspect(container, "{{.State.Status}}")
    }

    /// The image a container was created from.
    pub fn image_of(&self, container: &str) -> Option<String> {
        self.inspect(container, "{{.Config.Image}}")
    }

    /// One field of `docker container inspect`; `None` when there is no such container.
    fn inspect(&self, container: &str, format: &str) -> Option<String> {
        cmd!(
            self.sh,
            "docker container inspect --format {format} {container}"
        )
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
    }

    /// The host port Docker published for a container's port `inner`, if any.
    pub fn published_port(&self, container: &str, inner: u16) -> Option<u16> {
        let inner = format!("{inner}/tcp");
        let mapping = cmd!(self.sh, "docker port {container} {inner}")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()?;
        mapping
            .lines()
            .find_map(|line| line.rsplit_once(':')?.1.trim().parse().ok())
    }

    /// The container's address on Docker's bridge network (where another container reaches it).
    pub fn bridge_ip(&self, container: &str) -> Result<String> {
        let format = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}";
        let ip = cmd!(self.sh, "docker inspect --format {format} {container}")
            .quiet()
            .read()
            .map_err(|e| command_failed("docker inspect", e.to_string()))?;
        if ip.trim().is_empty() {
            return Err(command_failed(
                "docker inspect",
                "no address on a Docker network".into(),
            ));
        }
        Ok(ip.trim().to_string())
    }

    pub fn start(&self, container: &str) -> Result<()> {
        let output = cmd!(self.sh, "docker start {container}")
            .quiet()
            .ignore_status()
            .output()
            .map_err(|e| command_failed("docker start", e.to_string()))?;
        if output.status.success() {
            return Ok(());
        }
        let reason = String::from_utf8_lossy(&output.stderr).trim().to_string();
        Err(command_failed("docker start", reason))
    }

    pub fn stop(&self, container: &str) -> Result<()> {
        cmd!(self.sh, "docker stop {container}")
            .quiet()
            .ignore_stdout()
            .run()
            .map_err(|e| command_failed("docker stop", e.to_string()))
    }

    /// Removes containers (running or not) with their anonymous volumes; missing ones are fine.
    pub fn remove(&self, containers: &[String]) {
        remove_containers(containers);
    }

    pub fn remove_volume(&self, volume: &str) {
        let _ = cmd!(self.sh, "docker volume rm {volume}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run();
    }

    /// Every container (running or not) carrying the label `key`.
    pub fn list(&self, key: &str) -> Result<Vec<Listed>> {
        let filter = format!("label={key}");
        let format = "{{.ID}}\t{{.Names}}\t{{.Labels}}";
        let text = cmd!(
            self.sh,
            "docker ps --all --no-trunc --filter {filter} --format {format}"
        )
        .quiet()
        .read()
        .map_err(|e| command_failed("docker ps", e.to_string()))?;
        Ok(text
            .lines()
            .filter_map(|line| {
                let mut fields = line.splitn(3, '\t');
                Some(Listed {
                    id: fields.next()?.to_string(),
                    name: fields.next()?.to_string(),
                    labels: fields.next().unwrap_or_default().to_string(),
                })
            })
            .collect())
    }
}

/// Removes containers with their anonymous volumes, from anywhere (a `Drop`, a signal handler,
/// the end of a test binary): missing ones, or no Docker at all, are fine.
pub fn remove_containers(ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    if let Ok(sh) = Shell::new() {
        let _ = cmd!(sh, "docker rm --force --volumes {ids...}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run();
    }
}

/// The docker CLI's complaint, on one line: the daemon's message without its preamble and
/// without the `Run 'docker run --help'` advice that follows it.
fn command_failed(command: &str, reason: String) -> Error {
    let reason = reason
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    let reason = reason
        .strip_prefix("docker: ")
        .unwrap_or(reason)
        .strip_prefix("Error response from daemon: ")
        .unwrap_or(reason.strip_prefix("docker: ").unwrap_or(reason));
    Error::Command {
        command: command.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemon_s_complaint_is_one_line() {
        let error = command_failed(
            "docker run",
            "docker: Error response from daemon: Bind for 127.0.0.1:54401 failed: port is already allocated\n\nRun 'docker run --help' for more information\n".into(),
        );
        assert_eq!(
            error.to_string(),
            "docker run failed: Bind for 127.0.0.1:54401 failed: port is already allocated"
        );
    }

    #[test]
    fn labels_are_read_from_docker_ps() {
        let listed = Listed {
            id: "abc".into(),
            name: "authdb-snapshot".into(),
            labels: "authdb.owner=4242,authdb.purpose=snapshot,other=x=y".into(),
        };
        assert_eq!(listed.label("authdb.owner"), Some("4242"));
        assert_eq!(listed.label("authdb.purpose"), Some("snapshot"));
        assert_eq!(listed.label("other"), Some("x=y"));
        assert_eq!(listed.label("missing"), None);
    }
}
