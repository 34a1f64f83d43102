//! Test support: one PostgreSQL container per test binary, started on first use, and a fresh
//! database for every test, cloned from a migrated template so that tests are isolated and run in
//! parallel. Real PostgreSQL, never a mock.
//!
//! The image is the official one (what a machine with a registry has) unless
//! `AUTHDB_POSTGRES_IMAGE` says otherwise; `cargo xtask test-db` sets it to the offline image where
//! no registry answers (see `authdb_server::image`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use testcontainers::Container;
use testcontainers::runners::SyncRunner;
use testcontainers_modules::postgres::Postgres;
use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};

pub use container::image;
pub use fixture::Fixture;
pub use impostor::Impostor;
pub use silent::SilentServer;
pub use state::fingerprint;

mod cleanup;
pub mod container;
pub mod every_kind;
pub mod fixture;
mod impostor;
pub mod legacy;
pub mod pooler;
mod silent;
mod state;
pub mod tls;

const TEMPLATE: &str = "authdb_template";

/// The running container of this test binary.
pub struct Server {
    container: Container<Postgres>,
    pub host: String,
    pub port: u16,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static TEMPLATE_READY: OnceCell<()> = OnceCell::const_new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The container, started on first use. Panics with advice when Docker or the image is missing:
/// a test that cannot reach PostgreSQL must fail, never pass by skipping.
pub fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        // testcontainers' blocking runner has its own runtime, which must not start inside a
        // test's runtime: start it from a plain thread.
        std::thread::spawn(start)
            .join()
            .expect("the container start thread panicked")
    })
}

fn start() -> Server {
    start_with("test", &[])
}

/// Another server of this test binary, with `settings` (`max_locks_per_transaction=10`), for a
/// test about a server setting that must not disturb the other tests' server. Call it from a
/// plain thread, never inside a test's runtime (see [`server`]); it is removed at exit.
pub fn start_with(purpose: &str, settings: &[&str]) -> Server {
    let image = image();
    let container = container::postgres(purpose, settings)
        .start()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start PostgreSQL from image {image}: {e}. Is Docker running? Without a \
             registry, run `cargo xtask test-db`, which builds the offline image"
            )
        });
    // A static is never dropped, so testcontainers' own clean-up would not run.
    cleanup::remove_container_at_exit(container.id());
    // testcontainers says `localhost`, and the port is the one Docker published on IPv4. Where
    // `localhost` resolves to ::1 first (Debian's own /etc/hosts), Docker 20.10 may have given
    // IPv6 a different port, another container's: a fresh machine's tests met each other's
    // databases. The IPv4 loopback is the address the port belongs to.
    let host = match container.get_host().expect("container host").to_string() {
        host if host == "localhost" => "127.0.0.1".to_string(),
        host => host,
    };
    let port = container.get_host_port_ipv4(5432).expect("container port");
    Server {
        container,
        host,
        port,
    }
}

impl Server {
    /// A URL for `database` as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres:postgres@{}:{}/{database}",
            self.host, self.port
        )
    }

    pub fn container_id(&self) -> &str {
        self.container.id()
    }

    /// Connects without TLS (the test server has none) and drives the connection in the
    /// background of the calling test's runtime.
    pub async fn connect(&self, database: &str) -> Client {
        let (client, connection) = tokio_postgres::connect(&self.url(database), NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to test database {database}: {e}"));
        tokio::spawn(connection);
        client
    }
}

/// The repository's migrations folder.
pub fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
}

/// A test's own database.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn connect(&self) -> Client {
        server().connect(&self.name).await
    }

    /// Drops the database (its sessions ended first): a long run makes thousands, and the
    /// server's data directory is in memory.
    pub async fn drop_database(self) {
        let admin = server().connect("postgres").await;
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap_or_else(|e| panic!("dropping {}: {e}", self.name));
    }

    /// The URL as an `authdb` setting, for the library's own connect path.
    pub fn setting(&self) -> authdb::Setting {
        authdb::Setting {
            value: self.url.clone(),
            origin: "the test".into(),
        }
    }
}

/// The tables of the public schema, sorted: what "the database is unchanged" is checked against.
pub async fn tables(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .expect("listing the tables")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A new, empty database.
pub async fn empty_database() -> TestDb {
    create_database("template0").await
}

/// A new database with the repository's migrations applied, cloned from a template that is
/// migrated once per test binary.
pub async fn migrated_database() -> TestDb {
    TEMPLATE_READY
        .get_or_init(|| async {
            let server = server();
            let admin = server.connect("postgres").await;
            admin
                .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
                .await
                .expect("creating the template database");
            let mut client = server.connect(TEMPLATE).await;
            let migrations = authdb::Migrations::load(&migrations_dir())
                .expect("the repository's migrations load");
            authdb::migrate(&mut client, &migrations, &Default::default())
                .await
                .expect("the repository's migrations apply");
            // CREATE DATABASE ... TEMPLATE refuses while anyone is connected to the template.
            drop(client);
            wait_until_unused(&admin, TEMPLATE).await;
        })
        .await;
    create_database(TEMPLATE).await
}

/// A new database cloned from `template`, for a test binary that prepares one expensive state
/// once (rehearse seeds tens of thousands of users) and starts each test from a copy of it.
/// Waits until the template's own connections are gone: a clone refuses while anyone is on it.
pub async fn database_from(template: &TestDb) -> TestDb {
    let admin = server().connect("postgres").await;
    wait_until_unused(&admin, &template.name).await;
    create_database(&template.name).await
}

async fn create_database(template: &str) -> TestDb {
    let server = server();
    let name = format!(
        "test_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let admin = server.connect("postgres").await;
    // FILE_COPY (PostgreSQL 15+) copies the files instead of WAL-logging every block: about three
    // times faster for a small template, and the checkpoint it needs is cheap with fsync off.
    let version: String = admin
        .query_one("SELECT current_setting('server_version_num')", &[])
        .await
        .expect("reading the server version")
        .get(0);
    let strategy = if version.as_str() >= "150000" {
        " STRATEGY FILE_COPY"
    } else {
        ""
    };
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE {template}{strategy}"
        ))
        .await
        .unwrap_or_else(|e| panic!("creating database {name} from {template}: {e:?}"));
    TestDb {
        url: server.url(&name),
        name,
    }
}

/// A dropped client's backend may linger for a moment after the socket closes.
/// A closed connection's backend can take seconds to leave `pg_stat_activity` on a loaded
/// 2-core machine (CI found 2 s too short): the margin is 15 s, the usual wait a few ms.
async fn wait_until_unused(admin: &Client, database: &str) {
    for _ in 0..750 {
        let row = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&database],
            )
            .await
            .expect("reading pg_stat_activity");
        if row.get::<_, i64>(0) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{database} still has connections after 15 s");
}
