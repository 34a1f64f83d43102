//! The benchmark's view of its server: fresh databases on demand, the built xtask binary and
//! psql pointed at them. Every scenario starts from a new database so runs do not warm each
//! other's caches.

use std::ffi::OsString;
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

    /// Drops the database `url` names: the large copies would fill the disk otherwise.
    pub async fn drop_database(&self, url: &str) -> Result<()> {
        let name = url.rsplit('/').next().unwrap_or_default();
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
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
        let mut command = self.command(&self.xtask);
        command.args(args);
        command
    }

    /// `program` run from an empty directory, without a database URL from the environment.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.cwd.path())
            .env_remove("DATABASE_URL")
            .env_remove("NEON_DB_URL");
        command
    }

    /// [`psql`], run from an empty directory.
    pub fn psql(&self, url: &str) -> Command {
        let mut command = psql(url);
        command.current_dir(self.cwd.path());
        command
    }

    /// [`psql`] applying the up files of `dir` the way migrate does: see [`migrate_args`].
    pub fn psql_migrate(&self, url: &str, dir: &Path) -> Result<Command> {
        let mut command = self.psql(url);
        command.args(migrate_args(dir)?);
        Ok(command)
    }
}

/// `psql` against `url`, quiet and without reading ~/.psqlrc. Without TLS, like authdb's default
/// for a loopback server, so that both sides do the same work.
pub fn psql(url: &str) -> Command {
    let mut command = Command::new("psql");
    command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    command.env("PGSSLMODE", "disable");
    command
}

/// psql's arguments applying the up files of `dir` in the transactions migrate uses: one around
/// each stretch of ordinary files (`-c BEGIN -f … -c COMMIT`, what `psql -1` does when no file
/// opts out), none around a `-- authdb:no-transaction` file, which PostgreSQL refuses to run in
/// one (`CREATE INDEX CONCURRENTLY`). One process and one connection, like migrate.
pub fn migrate_args(dir: &Path) -> Result<Vec<OsString>> {
    let mut args: Vec<OsString> = Vec::new();
    let mut open = false;
    for migration in authdb::Migrations::load(dir)?.list {
        if migration.no_transaction == open {
            args.extend(["-c".into(), if open { "COMMIT" } else { "BEGIN" }.into()]);
            open = !open;
        }
        args.extend(["-f".into(), migration.path.into()]);
    }
    if open {
        args.extend(["-c".into(), "COMMIT".into()]);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use testdb::Fixture;

    /// psql's arguments for `fixture`, with its files named by their migration's name.
    fn args(fixture: &Fixture) -> Vec<String> {
        let args = super::migrate_args(fixture.path()).unwrap();
        let name = |arg: OsString| match arg.to_str() {
            Some(arg) if arg.ends_with(".sql") => {
                let file = std::path::Path::new(arg).file_name().unwrap();
                file.to_string_lossy().into_owned()
            }
            _ => arg.to_string_lossy().into_owned(),
        };
        args.into_iter().map(name).collect()
    }

    fn index(fixture: Fixture) -> Fixture {
        fixture.migration(
            "a_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
            "DROP INDEX CONCURRENTLY a_id;\n",
        )
    }

    #[test]
    fn ordinary_files_share_one_transaction_like_psql_1() {
        let fixture = Fixture::new().table("a").table("b");
        let expected = "-c BEGIN -f 001_create_a.sql -f 002_create_b.sql -c COMMIT";
        assert_eq!(args(&fixture).join(" "), expected);
    }

    #[test]
    fn a_no_transaction_file_runs_between_transactions() {
        let fixture = index(Fixture::new().table("a")).table("b").table("c");
        let expected = "-c BEGIN -f 001_create_a.sql -c COMMIT -f 002_a_index.sql \
                        -c BEGIN -f 003_create_b.sql -f 004_create_c.sql -c COMMIT";
        assert_eq!(args(&fixture).join(" "), expected);
        let last = index(Fixture::new().table("a"));
        let expected = "-c BEGIN -f 001_create_a.sql -c COMMIT -f 002_a_index.sql";
        assert_eq!(args(&last).join(" "), expected);
    }
}
