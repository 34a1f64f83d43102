//! PgBouncer in transaction mode, as behind Neon's `-pooler` endpoints, in front of this test
//! binary's server ([`crate::server`]), reached over Docker's bridge network. There is no official
//! PgBouncer image: `cargo xtask image` (and `cargo xtask test-db`) builds [`IMAGE`] from
//! Debian's package, configured by `xtask/image/pgbouncer-entrypoint.sh`. Without the image the
//! tests fail with that advice, never skip.

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use testcontainers_modules::testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers_modules::testcontainers::runners::SyncRunner;
use testcontainers_modules::testcontainers::{Container, GenericImage, ImageExt};

use crate::cleanup;

/// Kept equal to `xtask::image::PGBOUNCER_IMAGE`.
pub const IMAGE: &str = "authdb/pgbouncer:1";
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
    let format = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}";
    let output = Command::new("docker")
        .args(["inspect", "--format", format, container])
        .output()
        .map_err(|e| format!("cannot run docker inspect: {e}"))?;
    let ip = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || ip.is_empty() {
        return Err(format!(
            "cannot find the test server's address on Docker's network: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(ip)
}

fn start(upstream: &str) -> Result<Pooler, String> {
    let present = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        return Err(format!(
            "the PgBouncer image {IMAGE} is not here: build it with `cargo xtask image` (it needs \
             mmdebstrap; `cargo xtask test-db` builds it too)"
        ));
    }
    let (name, tag) = IMAGE.rsplit_once(':').expect("IMAGE has a tag");
    let container = GenericImage::new(name, tag)
        .with_exposed_port(6432.tcp())
        .with_wait_for(WaitFor::message_on_stderr("process up"))
        .with_env_var("PGBOUNCER_UPSTREAM_HOST", upstream)
        .with_env_var("PGBOUNCER_POOL_SIZE", POOL_SIZE.to_string())
        .with_startup_timeout(Duration::from_secs(60))
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
