//! `cargo xtask dev`: from a fresh clone to a migrated, seeded local database in one command. It
//! starts (or reuses) a persistent PostgreSQL container `authdb-dev` on a loopback port with its
//! data in a named volume, waits for it, migrates, verifies against the snapshot, and seeds the
//! demo users.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use authdb::{ConnInfo, Environment, Migrations, Retry, Setting};
use xshell::{Shell, cmd};

use crate::target::print_header;
use crate::{cli, docker, project_root, test_db};

const CONTAINER: &str = "authdb-dev";
const VOLUME: &str = "authdb-dev-data";
const DATABASE: &str = "authdb";
/// A local development password, published in the README: the container listens on loopback only.
const PASSWORD: &str = "authdb-dev";

impl cli::Dev {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        docker::require(&sh)?;
        if self.stop {
            if docker::container_state(&sh, CONTAINER).is_some() {
                cmd!(sh, "docker stop {CONTAINER}")
                    .quiet()
                    .ignore_stdout()
                    .run()?;
                println!("stopped {CONTAINER}; its data is kept (--reset deletes it)");
            } else {
                println!("{CONTAINER} does not exist: nothing to stop");
            }
            return Ok(ExitCode::SUCCESS);
        }
        if self.reset {
            cmd!(sh, "docker rm --force {CONTAINER}")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run()
                .ok();
            cmd!(sh, "docker volume rm {VOLUME}")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run()
                .ok();
            println!("deleted {CONTAINER} and its data");
        }
        let port = self.start_container(&sh)?;
        let url = format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}/{DATABASE}");
        let info = ConnInfo::parse(
            &Setting {
                value: url.clone(),
                origin: format!("the {CONTAINER} container"),
            },
            false,
        )?;
        let migrations = Migrations::load(&crate::migrations_dir(None))?;
        crate::block_on(async {
            let mut connection = authdb::connect(&info, Retry::starting_server())
                .await
                .with_context(|| {
                    format!("{CONTAINER} did not become ready (see `docker logs {CONTAINER}`)")
                })?;
            print_header(&info, &connection);
            let report =
                authdb::migrate(&mut connection.client, &migrations, &Default::default()).await?;
            println!(
                "migrated: {} applied, now at version {}",
                report.steps.len(),
                crate::target::version(report.to_version)
            );
            let snapshot = authdb::Snapshot::load(&migrations.dir)?;
            let verified = authdb::verify(&connection.client, &migrations, &snapshot).await?;
            if !verified.ok() {
                anyhow::bail!(
                    "{CONTAINER} does not match the migrations: {}. `cargo xtask dev --reset` starts over",
                    verified.problems().join("; ")
                );
            }
            println!(
                "verified: the schema matches {}",
                snapshot_name(&migrations)
            );
            let seeded = authdb::seed::seed_demo(&mut connection.client).await?;
            println!(
                "seeded: {} new demo users (ada, grace, linus @example.com)",
                seeded.users
            );
            anyhow::Ok(())
        })?;
        // The one URL printed with its password: a throwaway container on loopback whose
        // password is published in the README, so a user can paste it into psql.
        println!("ready: {url}");
        println!("connect: psql {url}");
        offer_env(&url, self.write_env)?;
        Ok(ExitCode::SUCCESS)
    }

    /// Starts or reuses the container; returns its host port.
    fn start_container(&self, sh: &Shell) -> Result<String> {
        match docker::container_state(sh, CONTAINER).as_deref() {
            Some("running") => println!("reusing the running {CONTAINER}"),
            Some(_) => {
                cmd!(sh, "docker start {CONTAINER}")
                    .quiet()
                    .ignore_stdout()
                    .run()?;
                println!("started the existing {CONTAINER}");
            }
            None => {
                let image = test_db::pick_image(sh)?;
                let publish = format!("127.0.0.1:{}:5432", self.port);
                let volume = format!("{VOLUME}:/var/lib/postgresql/data");
                let password = format!("POSTGRES_PASSWORD={PASSWORD}");
                let database = format!("POSTGRES_DB={DATABASE}");
                cmd!(
                    sh,
                    "docker run --detach --name {CONTAINER} --publish {publish} --volume {volume}
                        --env {password} --env {database} {image}"
                )
                .quiet()
                .ignore_stdout()
                .run()
                .with_context(|| {
                    format!(
                        "starting {CONTAINER} on port {} (is the port free? try --port)",
                        self.port
                    )
                })?;
                println!("created {CONTAINER} from {image}");
            }
        }
        let published = cmd!(sh, "docker port {CONTAINER} 5432/tcp")
            .quiet()
            .read()?;
        let port = published
            .lines()
            .next()
            .and_then(|l| l.rsplit(':').next())
            .context("docker port did not report the published port")?;
        Ok(port.to_string())
    }
}

fn snapshot_name(migrations: &Migrations) -> String {
    let file = migrations.dir.join(authdb::snapshot::SNAPSHOT_FILE);
    file.display().to_string()
}

/// Offers to put the URL in `.env` when no DATABASE_URL is configured yet; never overwrites one.
fn offer_env(url: &str, write: bool) -> Result<()> {
    let path = project_root().join(".env");
    let env = Environment::load(&project_root())?;
    if env.get("DATABASE_URL").is_some() {
        println!("DATABASE_URL is already set: left as it is");
        return Ok(());
    }
    let ask = !write && std::io::stdin().is_terminal();
    if ask {
        print!(
            "write DATABASE_URL for {CONTAINER} to {}? [y/N] ",
            path.display()
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") {
            return Ok(());
        }
    } else if !write {
        println!("no DATABASE_URL configured: rerun with --write-env to add this database to .env");
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    writeln!(file, "DATABASE_URL={url}")?;
    println!("wrote DATABASE_URL to {}", path.display());
    Ok(())
}
