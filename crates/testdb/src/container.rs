//! How the tests start a PostgreSQL container: testcontainers is the engine inside tests, and the
//! image, its name, the throwaway settings and the labels come from `authdb-server`, the one
//! place the tools take them from too.

use std::time::Duration;

use authdb_server::image::{ImageName, OFFICIAL, requested};
use authdb_server::spec::{DATA_DIR, THROWAWAY_SETTINGS};
use testcontainers::core::Mount;
use testcontainers::{ContainerRequest, ImageExt};
use testcontainers_modules::postgres::Postgres;

/// The image the tests run on: `AUTHDB_POSTGRES_IMAGE`, or the official one.
pub fn image() -> String {
    requested().unwrap_or_else(|| OFFICIAL.to_string())
}

/// A throwaway PostgreSQL of this test binary: data in memory, durability off, `settings` on top
/// (`ssl=on`...), labelled as this process's (testcontainers' watchdog removes it on Ctrl-C;
/// `test-db` sweeps it if the binary is killed).
pub fn postgres(purpose: &str, settings: &[&str]) -> ContainerRequest<Postgres> {
    let image = image();
    let name: ImageName = image
        .parse()
        .unwrap_or_else(|e| panic!("{}={image}: {e}", authdb_server::image::VARIABLE));
    let mut request = Postgres::default()
        .with_name(name.name())
        .with_tag(name.tag_or_digest())
        .with_cmd(
            THROWAWAY_SETTINGS
                .iter()
                .chain(settings)
                .flat_map(|s| ["-c", s]),
        )
        // Cloning a database copies its files, and Docker's storage driver (fuse-overlayfs on
        // some machines) makes that several times slower than memory.
        .with_mount(Mount::tmpfs_mount(DATA_DIR))
        .with_startup_timeout(Duration::from_secs(120));
    for (key, value) in authdb_server::labels::owned(purpose) {
        request = request.with_label(key, value);
    }
    request
}
