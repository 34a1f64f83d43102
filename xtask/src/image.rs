//! `cargo xtask image`: builds the images of Debian's packages (see `authdb_server::offline`):
//! the offline PostgreSQL for machines whose Docker cannot reach a registry, and the tests'
//! PgBouncer.

use std::process::ExitCode;

use anyhow::{Result, bail};
use authdb_server::{Docker, offline};
use xshell::Shell;

use crate::cli;

impl cli::Image {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let docker = Docker::connect(sh)?;
        let postgres = match self.postgres {
            17 => &offline::POSTGRES_17,
            15 => &offline::POSTGRES_15,
            other => bail!("--postgres {other}: Debian's registry has PostgreSQL 17 and 15 only"),
        };
        for recipe in [postgres, &offline::PGBOUNCER_1] {
            if self.force || !docker.has_image(recipe.image) {
                offline::build(&docker, recipe, &mut |line| outln!("{line}"))?;
            } else {
                outln!("{} is already built (--force rebuilds it)", recipe.image);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
