//! PgBouncer in transaction mode, as behind Neon's `-pooler` endpoints, in front of this test
//! binary's server ([`crate::server`]), reached over Docker's bridge network. There is no official
//! PgBouncer image: `cargo xtask image` (and `cargo xtask test-db`) builds [`IMAGE`] from
//! Debian's package, configured by `crates/server/image/pgbouncer-entrypoint.sh`. Without the image the
//! tests fail with that advice, never skip.

use std::sync::OnceLock;
use std::time::Duration;

use authdb_server::Docker;
use authdb_server::image::ImageName;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, GenericImage, ImageExt};

use crate::cleanup;

pub use authdb_server::image::PGBOUNCER as IMAGE;
/// Server connections PgBouncer keeps per database and user: fewer than the clients of the
/// concurrency test, so clients really take turns on server connections.
pub const POOL_SIZE: usize = 2;

pub struct Pooler {
    _container: Container<GenericImage>,
    /// PgBouncer's port on this machine.
    pub port: u16,
}

/// A failed start is kept too, so that every test fails at once with its reason.
static POOLER: OnceLock<Result<Pooler, String>> = OnceLock::new();

/// PgBouncer, started on first use (after the server it pools).
pub fn pooler() -> &'static Pooler {
    let started = POOLER.get_or_init(|| {
        let upstream = bridge_ip(crate::server().container_id())?;
        // testcontainers' blocking runner must not start inside a test's runtime.
        std::thread::spawn(move || start(&upstream))
            .join()
            .expect("the PgBouncer start thread panicked")
    });
    started
        .as_ref()
        .unwrap_or_else(|message| panic!("{message}"))
}

impl Pooler {
    /// A URL for `database` through PgBouncer, as the superuser, with `host` as the host name.
    pub fn url(&self, host: &str, database: &str) -> String {
        format!(
            "postgres://postgres:postgres@{host}:{}/{database}",
            self.port
        )
    }
}

/// The server's address on Docker's bridge network, where PgBouncer's container reaches it.
fn bridge_ip(container: &str) -> Result<String, String> {
    let sh = xshell::Shell::new().map_err(|e| e.to_string())?;
    let docker = Docker::connect(&sh).map_err(|e| e.to_string())?;
    docker
        .bridge_ip(container)
        .map_err(|e| format!("cannot find the test server's address on Docker's network: {e}"))
}

fn start(upstream: &str) -> Result<Pooler, String> {
    let sh = xshell::Shell::new().map_err(|e| e.to_string())?;
    let docker = Docker::connect(&sh).map_err(|e| e.to_string())?;
    if !docker.has_image(IMAGE) {
        return Err(format!(
            "the PgBouncer image {IMAGE} is not here: build it with `cargo xtask image` (it needs \
             mmdebstrap; `cargo xtask test-db` builds it too)"
        ));
    }
    let name = IMAGE.parse::<ImageName>().map_err(|e| e.to_string())?;
    let mut request = GenericImage::new(name.name(), name.tag_or_digest())
        .with_exposed_port(6432.tcp())
        .with_wait_for(WaitFor::message_on_stderr("process up"))
        .with_env_var("PGBOUNCER_UPSTREAM_HOST", upstream)
        .with_env_var("PGBOUNCER_POOL_SIZE", POOL_SIZE.to_string())
        .with_startup_timeout(Duration::from_secs(60));
    for (key, value) in authdb_server::labels::owned("pooler") {
        request = request.with_label(key, value);
    }
    let container = request
        .start()
        .map_err(|e| format!("cannot start PgBouncer from image {IMAGE}: {e}"))?;
    cleanup::remove_container_at_exit(container.id());
    let port = container
        .get_host_port_ipv4(6432)
        .expect("PgBouncer's port");
    Ok(Pooler {
        _container: container,
        port,
    })
}
