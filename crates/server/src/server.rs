//! A PostgreSQL container started through the docker CLI: its host port, a URL per database, a
//! connection once it is ready (the first start runs initdb and restarts the server), and its
//! removal when it is dropped or the process is interrupted, unless it is kept on purpose.

use std::time::Duration;

use authdb::{ConnInfo, Connection, Retry, Setting};

use crate::docker::Docker;
use crate::spec::Spec;
use crate::{Error, Result, interrupt};

/// A running PostgreSQL container.
pub struct Server {
    pub id: String,
    /// What messages call it: its name, or its short id.
    pub name: String,
    pub port: u16,
    /// The image it runs.
    pub image: String,
    password: String,
    /// Left running when dropped (`dev`'s).
    keep: bool,
}

impl Server {
    /// Starts a container as `spec` says. A throwaway one (no name) is removed when dropped and
    /// on Ctrl-C; a named one is kept.
    pub fn start(docker: &Docker, spec: &Spec) -> Result<Server> {
        let id = docker
            .run(&spec.run_args())
            .map_err(|error| match (spec.port, error) {
                (Some(port), Error::Command { reason, .. })
                    if reason.contains("address already in use")
                        || reason.contains("port is already allocated") =>
                {
                    Error::PortTaken { port, reason }
                }
                (_, error) => error,
            });
        let id = match id {
            Ok(id) => id,
            Err(error) => {
                // A failed `docker run` may leave a created container bound to nothing.
                if let Some(name) = &spec.name {
                    docker.remove(std::slice::from_ref(name));
                }
                return Err(error);
            }
        };
        let keep = spec.name.is_some();
        if !keep {
            interrupt::remove_on_interrupt(&id);
        }
        // Built before the port is read, so a failure here removes the container too.
        let mut server = Server {
            name: spec
                .name
                .clone()
                .unwrap_or_else(|| id.chars().take(12).collect()),
            port: 0,
            image: spec.image.clone(),
            password: spec.password.clone(),
            keep,
            id,
        };
        server.port = docker
            .published_port(&server.id, 5432)
            .ok_or_else(|| Error::Command {
                command: "docker port".into(),
                reason: format!("{} publishes no port for 5432", server.name),
            })?;
        Ok(server)
    }

    /// A server that already runs (`dev`'s, started by an earlier command).
    pub fn existing(docker: &Docker, name: &str, image: &str, password: &str) -> Result<Server> {
        let port = docker
            .published_port(name, 5432)
            .ok_or_else(|| Error::Command {
                command: "docker port".into(),
                reason: format!("{name} publishes no port for 5432"),
            })?;
        Ok(Server {
            id: name.to_string(),
            name: name.to_string(),
            port,
            image: image.to_string(),
            password: password.to_string(),
            keep: true,
        })
    }

    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/database`: print it only where the password
    /// may be shown (a loopback throwaway), else through [`authdb::redact`].
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// The URL as a setting authdb connects with.
    pub fn setting(&self, database: &str) -> Setting {
        Setting {
            value: self.url(database),
            origin: format!("the container {}", self.name),
        }
    }

    /// Connects through the library once the server accepts connections.
    pub async fn connect(&self, database: &str) -> Result<(ConnInfo, Connection)> {
        let not_ready = |source| Error::NotReady {
            name: self.name.clone(),
            source,
        };
        let info = ConnInfo::parse(&self.setting(database), false).map_err(not_ready)?;
        let connection = authdb::connect(&info, Retry::starting_server())
            .await
            .map_err(not_ready)?;
        Ok((info, connection))
    }

    /// How long to wait at most for a new server: initdb and the restart, on a busy machine.
    pub const READY_WITHIN: Duration = Duration::from_secs(60);
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        crate::docker::remove_containers(std::slice::from_ref(&self.id));
        interrupt::forget(&self.id);
    }
}
