//! `cargo xtask dev`: from a fresh clone to a migrated, seeded local database in one command. The
//! folder and the snapshot are read first; then the checkout's own PostgreSQL container comes up
//! (`authdb_server::dev`), and the library migrates, verifies and seeds it (`authdb::dev`).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::Result;
use authdb::{Environment, Migrations, Snapshot};
use authdb_server::Docker;
use authdb_server::dev::{self, Up};
use xshell::Shell;

use crate::database::print_header;
use crate::{cli, project_root};

impl cli::Dev {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let root = project_root();
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| dev::default_name(&root));
        let docker = Docker::connect(sh)?;
        if self.stop {
            if dev::stop(&docker, &name)? {
                outln!("stopped {name}; its data is kept (--reset deletes it)");
            } else {
                outln!("{name} does not exist: nothing to stop");
            }
            return Ok(ExitCode::SUCCESS);
        }
        // The folder is validated before any server starts.
        let migrations = Migrations::load(&crate::migrations_dir(None))?;
        let snapshot = Snapshot::load(&migrations.dir)?;
        if self.reset {
            dev::reset(&docker, &name);
            outln!("deleted {name} and its data");
        }
        let (server, up) = dev::up(&docker, &name, &root, self.port, &mut |line| {
            outln!("{line}")
        })?;
        match up {
            Up::Created { instead_of } => {
                if let Some(taken) = instead_of {
                    let by = match taken.by {
                        Some((holder, checkout)) => {
                            format!("held by {holder}, the dev database of {checkout}")
                        }
                        None => "taken".to_string(),
                    };
                    outln!(
                        "port {} on 127.0.0.1 is {by}: this checkout's takes {} (--port chooses)",
                        taken.port,
                        server.port
                    );
                }
                outln!("created {name} from {}", server.image);
            }
            Up::Started => outln!("started the existing {name}"),
            Up::Reused => outln!("reusing the running {name}"),
            Up::Moved { from } => outln!(
                "moved {name} from port {from} to {} (a new container on the same data)",
                server.port
            ),
        }
        let url = server.url(dev::DATABASE);
        crate::block_on(async {
            let (info, mut connection) = server.connect(dev::DATABASE).await?;
            print_header(&info, &connection);
            let prepared = authdb::dev::prepare(&mut connection, &migrations, &snapshot).await?;
            outln!(
                "migrated: {} applied, now at version {}",
                prepared.migrated.steps.len(),
                crate::human::version(prepared.migrated.to_version)
            );
            outln!(
                "verified: the schema matches {}",
                migrations
                    .dir
                    .join(authdb::snapshot::SNAPSHOT_FILE)
                    .display()
            );
            outln!(
                "seeded: {} new demo users (ada, grace, linus @example.com)",
                prepared.seeded.users
            );
            anyhow::Ok(())
        })?;
        // The one URL printed with its password: a loopback container whose password is
        // published in the README, so a user can paste it into psql.
        outln!("ready: {url}");
        outln!("connect: psql {url}");
        outln!(
            "betterauth: give the app DATABASE_URL={url} and the configuration in \
             docs/betterauth.md (modelName and fields per table, generateId \"uuid\"); the demo \
             users sign in with the demo password"
        );
        offer_env(&name, &url, self.write_env)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Offers to put the URL in `.env` when no DATABASE_URL is configured yet; never overwrites one.
fn offer_env(name: &str, url: &str, write: bool) -> Result<()> {
    let path = project_root().join(".env");
    let env = Environment::load(&project_root());
    if env.get("DATABASE_URL")?.is_some() {
        outln!("DATABASE_URL is already set: left as it is");
        return Ok(());
    }
    let ask = !write && std::io::stdin().is_terminal();
    if ask {
        out!(
            "write DATABASE_URL for {name} to {}? [y/N] ",
            path.display()
        );
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") {
            return Ok(());
        }
    } else if !write {
        outln!("no DATABASE_URL configured: rerun with --write-env to add this database to .env");
        return Ok(());
    }
    match authdb::envfile::add(&path, "DATABASE_URL", url)? {
        authdb::envfile::Added::Written => outln!("wrote DATABASE_URL to {}", path.display()),
        authdb::envfile::Added::AlreadySet => outln!(
            "{} already sets DATABASE_URL: left as it is",
            path.display()
        ),
    }
    Ok(())
}
