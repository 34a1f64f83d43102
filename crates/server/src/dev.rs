//! `dev`'s server: a persistent PostgreSQL of its own per checkout, its data in a named volume,
//! on a loopback port. Two clones do not share one database without knowing: the container is
//! named after the checkout (or `--name`), and a new one takes the next free port when another
//! checkout's holds the default. A port asked for that is taken is a clear error that leaves
//! nothing behind; asking for another port moves the container (a new one on the same volume).

use std::path::Path;

use crate::docker::Docker;
use crate::image;
use crate::server::Server;
use crate::spec::Spec;
use crate::{Error, Result};

pub const DEFAULT_PORT: u16 = 54329;
/// How many ports a new container tries, from [`DEFAULT_PORT`] up, when none is asked for: enough
/// for a handful of checkouts side by side, few enough to give up quickly when something else
/// holds the range.
pub const PORTS_TRIED: u16 = 10;
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Up {
    /// A new container; `instead_of` when no port was asked for and the default was taken.
    Created {
        instead_of: Option<Taken>,
    },
    Started,
    Reused,
    /// Recreated on its volume to publish another port.
    Moved {
        from: u16,
    },
}

/// The default port, found taken by a new container that asked for no port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub port: u16,
    /// Who holds it, when it is another checkout's dev container: its name and its checkout.
    pub by: Option<(String, String)>,
}

/// Starts or reuses the container `name`. `port`: the port asked for; `None` keeps an existing
/// container's, and gives a new one [`DEFAULT_PORT`] or, when that is taken (another checkout's
/// container has it), the next free one of the [`PORTS_TRIED`].
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
    let fresh = state.is_none();
    let candidates = match port {
        Some(asked) => asked..=asked,
        None => DEFAULT_PORT..=DEFAULT_PORT.saturating_add(PORTS_TRIED - 1),
    };
    let mut first_taken = None;
    for candidate in candidates.clone() {
        let spec = Spec {
            image: image.clone(),
            name: Some(name.to_string()),
            password: PASSWORD.to_string(),
            database: Some(DATABASE.to_string()),
            port: Some(candidate),
            volume: Some(volume.clone()),
            labels: vec![
                (crate::labels::PURPOSE.to_string(), "dev".to_string()),
                (CHECKOUT_LABEL.to_string(), root.display().to_string()),
            ],
        };
        match Server::start(docker, &spec) {
            Ok(server) => {
                let up = match (moved_from, first_taken) {
                    (Some(from), _) => Up::Moved { from },
                    (None, None) => Up::Created { instead_of: None },
                    (None, Some(_)) => Up::Created {
                        instead_of: Some(Taken {
                            port: DEFAULT_PORT,
                            by: holder(docker, DEFAULT_PORT),
                        }),
                    },
                };
                return Ok((server, up));
            }
            Err(error) => {
                // `docker run` creates the named volume before it fails on a taken port: a
                // container that never existed leaves nothing (a moved one keeps its data).
                if fresh {
                    docker.remove_volume(&volume);
                }
                match error {
                    Error::PortTaken { reason, .. } if port.is_none() => {
                        first_taken.get_or_insert(reason);
                    }
                    error => return Err(error),
                }
            }
        }
    }
    Err(all_taken(
        *candidates.start(),
        *candidates.end(),
        first_taken.unwrap_or_default(),
    ))
}

/// The error when no port of the range was free.
fn all_taken(first: u16, last: u16, reason: String) -> Error {
    Error::PortTaken {
        port: first,
        reason: format!("{reason}; so are the ports after it, up to {last}"),
    }
}

/// The other checkout's dev container that publishes `port`, with its checkout, if one does.
fn holder(docker: &Docker, port: u16) -> Option<(String, String)> {
    docker
        .list(CHECKOUT_LABEL)
        .unwrap_or_default()
        .into_iter()
        .find(|listed| docker.published_port(&listed.name, 5432) == Some(port))
        .map(|listed| {
            let checkout = listed.label(CHECKOUT_LABEL).unwrap_or_default().to_string();
            (listed.name, checkout)
        })
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

    #[test]
    fn a_range_without_a_free_port_is_one_error_that_says_what_to_do() {
        let error = all_taken(54329, 54338, "port is already allocated".into());
        assert_eq!(
            error.to_string(),
            "port 54329 on 127.0.0.1 is taken: port is already allocated; so are the ports after \
             it, up to 54338. Free it, or choose another with --port"
        );
    }
}
