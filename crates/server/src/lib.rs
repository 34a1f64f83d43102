//! The one PostgreSQL server of the tools around authdb. `dev`, `snapshot`, `rehearse` and the
//! bench start theirs through the docker CLI ([`Server::start`]); the test harness starts its
//! own with testcontainers from the same pieces: the image chosen once ([`image::choose`]),
//! names parsed as Docker reads them ([`image::ImageName`]), the labels that say whose a
//! container is ([`labels`]), and the removal of what an interrupted run left ([`interrupt`]).

pub mod dev;
pub mod docker;
pub mod image;
pub mod interrupt;
pub mod labels;
pub mod offline;
mod server;
pub mod spec;

use std::path::PathBuf;

pub use docker::Docker;
pub use server::Server;
pub use spec::Spec;

/// What can go wrong around a server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(
        "Docker does not answer: start the Docker engine (or install it, e.g. apt-get install \
         docker.io, and start dockerd), then try again"
    )]
    NoDocker,
    #[error("{command} failed: {reason}")]
    Command { command: String, reason: String },
    #[error("{0}: not an image name (expected [registry[:port]/]name[:tag][@digest])")]
    BadImageName(String),
    #[error("{variable}={image}: the image is not here and cannot be pulled")]
    ImageUnavailable { variable: String, image: String },
    #[error(
        "mmdebstrap is not installed, and {image} must be built from Debian's packages because \
         no registry supplies the official image: run `apt-get install mmdebstrap` as root, then \
         try again"
    )]
    NoMmdebstrap { image: String },
    #[error("port {port} on 127.0.0.1 is taken: {reason}. Free it, or choose another with --port")]
    PortTaken { port: u16, reason: String },
    #[error(
        "the PostgreSQL container {name} did not become ready (see `docker logs {name}`): {source}"
    )]
    NotReady {
        name: String,
        #[source]
        source: authdb::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A throwaway server for one command (`snapshot`, `rehearse`, `bench`): what killed runs left
/// is removed first, and said through `say`; the image is chosen; the server is started,
/// owned by this process and removed when dropped or on Ctrl-C.
pub fn throwaway(docker: &Docker, purpose: &str, say: &mut dyn FnMut(&str)) -> Result<Server> {
    interrupt::sweep(docker, say)?;
    let image = image::choose(docker, say)?;
    Server::start(docker, &Spec::throwaway(&image, purpose))
}
