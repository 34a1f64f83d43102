//! `dev`'s server: a persistent PostgreSQL of its own per checkout, its data in a named volume,
//! on a loopback port. Two clones do not share one database without knowing: the container is
//! named after the checkout (or `--name`). A taken port is a clear error that leaves nothing
//! behind; asking for another port moves the container (a new one on the same volume).

use std::path::Path;

use crate::docker::Docker;
use crate::image;
use crate::server::Server;
use crate::spec::Spec;
use crate::{Error, Result};

pub const DEFAULT_PORT: u16 = 54329;
/// Published in the README: the container listens on loopback only.
pub const PASSWORD: &str = "authdb-dev";
pub const DATABASE: &str = "authdb";
/// Says which checkout a dev container belongs to.
pub const CHECKOUT_LABEL: &str = "authdb.checkout";

/// `authdb-dev-<folder>-<hash>`: the checkout's folder name, and a hash of its path, so that two
/// clones called `authdb` still get two containers.
pub fn default_name(root: &Path) -> String {
    let folder: String = root
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    // FNV-1a: stable across runs and Rust versions, unlike the standard library's hasher.
    let hash = root
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!(
        "authdb-dev-{}-{:04x}",
        folder.trim_matches('-'),
        hash & 0xffff
    )
}

/// What bringing the container up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Up {
    Created,
    Started,
    Reused,
    /// Recreated on its volume to publish another port.
    Moved {
        from: u16,
    },
}

/// Starts or reuses the container `name`. `port`: the port asked for; `None` keeps an existing
/// container's and uses [`DEFAULT_PORT`] for a new one.
pub fn up(
    docker: &Docker,
    name: &str,
    root: &Path,
    port: Option<u16>,
    say: &mut dyn FnMut(&str),
) -> Result<(Server, Up)> {
    let volume = format!("{name}-data");
    let state = docker.state(name);
    let current = docker.published_port(name, 5432);
    let moved_from = match (&state, port, current) {
        // A container that never started (a port was taken) holds nothing: start afresh.
        (Some(state), _, _) if state == "created" => {
            docker.remove(&[name.to_string()]);
            None
        }
        (Some(_), Some(asked), Some(now)) if asked != now => {
            docker.remove(&[name.to_string()]);
            Some(now)
        }
        (Some(state), _, _) => {
            let image = docker.image_of(name).unwrap_or_default();
            if state != "running" {
                docker.start(name).map_err(|error| match (current, error) {
                    (Some(port), Error::Command { reason, .. }) if reason.contains("already") => {
                        Error::PortTaken { port, reason }
                    }
                    (_, error) => error,
                })?;
            }
            let server = Server::existing(docker, name, &image, PASSWORD)?;
            let up = if state == "running" {
                Up::Reused
            } else {
                Up::Started
            };
            return Ok((server, up));
        }
        (None, _, _) => None,
    };
    let image = image::choose(docker, say)?;
    let spec = Spec {
        image,
        name: Some(name.to_string()),
        password: PASSWORD.to_string(),
        database: Some(DATABASE.to_string()),
        port: Some(port.unwrap_or(DEFAULT_PORT)),
        volume: Some(volume),
        labels: vec![
            (crate::labels::PURPOSE.to_string(), "dev".to_string()),
            (CHECKOUT_LABEL.to_string(), root.display().to_string()),
        ],
    };
    let fresh = state.is_none();
    let server = Server::start(docker, &spec).inspect_err(|_| {
        // `docker run` creates the named volume before it fails on a taken port: a container that
        // never existed leaves nothing (a moved one keeps its data).
        if fresh {
            docker.remove_volume(&format!("{name}-data"));
        }
    })?;
    let up = match moved_from {
        Some(from) => Up::Moved { from },
        None => Up::Created,
    };
    Ok((server, up))
}

/// Stops the container, keeping its data; `false` when there is none.
pub fn stop(docker: &Docker, name: &str) -> Result<bool> {
    if docker.state(name).is_none() {
        return Ok(false);
    }
    docker.stop(name)?;
    Ok(true)
}

/// Deletes the container and its data.
pub fn reset(docker: &Docker, name: &str) {
    docker.remove(&[name.to_string()]);
    docker.remove_volume(&format!("{name}-data"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_checkouts_get_two_names_and_one_checkout_always_the_same() {
        let a = default_name(Path::new("/home/ada/src/authdb"));
        let b = default_name(Path::new("/home/ada/work/authdb"));
        assert!(a.starts_with("authdb-dev-authdb-"), "{a}");
        assert_ne!(a, b);
        assert_eq!(a, default_name(Path::new("/home/ada/src/authdb")));
        assert!(default_name(Path::new("/x/My Clone!")).starts_with("authdb-dev-my-clone-"));
    }
}
