//! The benchmark's view of its server: fresh databases on demand, the built xtask binary and
//! psql pointed at them. Every scenario starts from a new database so runs do not warm each
//! other's caches.

use std::path::{Path, PathBuf};
// `std::process::Command`, not xshell: the benchmark times the child and reads its peak memory
// (wait4), which needs the process itself.
use std::process::Command;

use anyhow::{Context, Result};
use tokio_postgres::{Client, NoTls};

pub struct Server {
    admin: Client,
    /// `postgres://user:password@host:port`, without a database.
    base: String,
    pub xtask: PathBuf,
    /// The repository's migrations.
    pub migrations: PathBuf,
    /// An empty working directory, so no `.env` is picked up.
    cwd: tempfile::TempDir,
    next: usize,
    pub version: String,
}

/// The migrated database fresh per-test databases are cloned from.
pub const TEMPLATE: &str = "bench_template";

impl Server {
    pub async fn connect(base: &str, xtask: PathBuf, migrations: PathBuf) -> Result<Server> {
        let (admin, connection) = tokio_postgres::connect(&format!("{base}/postgres"), NoTls)
            .await
            .context("connecting to the benchmark server")?;
        tokio::spawn(connection);
        let version: String = admin.query_one("SHOW server_version", &[]).await?.get(0);
        let server = Server {
            admin,
            base: base.to_string(),
            xtask,
            migrations,
            cwd: tempfile::tempdir()?,
            next: 0,
            version: version
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        server
            .admin
            .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
            .await?;
        let url = server.url(TEMPLATE);
        let migrations = server.migrations.clone();
        crate::measure::time_process(
            server
                .xtask(["migrate", "--database-url", &url])
                .arg("--migrations")
                .arg(&migrations),
        )?;
        Ok(server)
    }

    pub fn url(&self, database: &str) -> String {
        format!("{}/{database}", self.base)
    }

    /// A new database: empty, or a copy of `template`. Returns its URL.
    pub async fn database(&mut self, template: Option<&str>) -> Result<String> {
        self.next += 1;
        let name = format!("bench_{}", self.next);
        self.create(&name, template).await?;
        Ok(self.url(&name))
    }

    /// CREATE DATABASE, the way the tests clone their per-test databases.
    pub async fn create(&self, name: &str, template: Option<&str>) -> Result<()> {
        let sql = match template {
            Some(template) => {
                format!("CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
            }
            None => format!("CREATE DATABASE {name}"),
        };
        self.admin
            .batch_execute(&sql)
            .await
            .with_context(|| sql.clone())
    }

    pub fn next_name(&mut self) -> String {
        self.next += 1;
        format!("bench_{}", self.next)
    }

    /// The built xtask binary with `args`, run from an empty directory.
    pub fn xtask<const N: usize>(&self, args: [&str; N]) -> Command {
        let mut command = Command::new(&self.xtask);
        command
            .args(args)
            .current_dir(self.cwd.path())
            .env_remove("DATABASE_URL")
            .env_remove("NEON_DB_URL");
        command
    }

    /// `psql` against `url`, quiet and without reading ~/.psqlrc. Without TLS, like authdb's
    /// default for a loopback server, so that both sides do the same work.
    pub fn psql(&self, url: &str) -> Command {
        let mut command = Command::new("psql");
        command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
        command.env("PGSSLMODE", "disable");
        command.current_dir(self.cwd.path());
        command
    }

    /// The up files of `dir`, in order: what `psql -1 -f` is given.
    pub fn up_files(dir: &Path) -> Result<Vec<PathBuf>> {
        let migrations = authdb::Migrations::load(dir)?;
        Ok(migrations.list.into_iter().map(|m| m.path).collect())
    }
}
