//! `cargo xtask image`: the images built from Debian's packages. `authdb/postgres:17` stands in
//! for the official PostgreSQL image on machines whose Docker cannot reach a registry;
//! `authdb/pgbouncer:1` is built everywhere, since there is no official PgBouncer image, and puts
//! a transaction-mode pooler like Neon's `-pooler` endpoints in front of a test server.
//! mmdebstrap builds a minimal Debian root file system with the package; `docker import` turns
//! it into an image whose entrypoint is a script from `xtask/image/`.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{cli, docker, project_root};

pub const OFFLINE_IMAGE: &str = "authdb/postgres:17";
/// Kept equal to `testdb::pooler::IMAGE`.
pub const PGBOUNCER_IMAGE: &str = "authdb/pgbouncer:1";

/// What goes into one image.
struct Recipe {
    image: &'static str,
    /// The Debian release whose packages it is built from.
    suite: &'static str,
    package: &'static str,
    /// The entrypoint script, relative to the project root.
    entrypoint: &'static str,
    path: &'static str,
    ports: &'static str,
}

const POSTGRES: Recipe = Recipe {
    image: OFFLINE_IMAGE,
    suite: "trixie",
    package: "postgresql-17",
    entrypoint: "xtask/image/entrypoint.sh",
    path: "/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ports: "5432",
};

/// PostgreSQL 15, from Debian 12: the other Neon version Debian's registry offers, so that the
/// migrations and the snapshot are tested on two major versions where no registry is reachable.
const POSTGRES_15: Recipe = Recipe {
    image: "authdb/postgres:15",
    suite: "bookworm",
    package: "postgresql-15",
    entrypoint: "xtask/image/entrypoint.sh",
    path: "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ports: "5432",
};

const PGBOUNCER: Recipe = Recipe {
    image: PGBOUNCER_IMAGE,
    suite: "trixie",
    package: "pgbouncer",
    entrypoint: "xtask/image/pgbouncer-entrypoint.sh",
    path: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ports: "6432",
};

impl cli::Image {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        docker::require(&sh)?;
        let postgres = match self.postgres {
            17 => &POSTGRES,
            15 => &POSTGRES_15,
            other => bail!("--postgres {other}: Debian's registry has PostgreSQL 17 and 15 only"),
        };
        for recipe in [postgres, &PGBOUNCER] {
            if self.force || !docker::has_image(&sh, recipe.image) {
                build_from(&sh, recipe)?;
            } else {
                println!("{} is already built (--force rebuilds it)", recipe.image);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Builds the PostgreSQL image; about half a minute, most of it downloading packages.
pub fn build(sh: &Shell) -> Result<()> {
    build_from(sh, &POSTGRES)
}

/// Builds `image` if it is one of ours and is missing; `false` if it is not one of ours.
pub fn ensure_offline(sh: &Shell, image: &str) -> Result<bool> {
    let Some(recipe) = [&POSTGRES, &POSTGRES_15]
        .into_iter()
        .find(|r| r.image == image)
    else {
        return Ok(false);
    };
    if !docker::has_image(sh, image) {
        build_from(sh, recipe)?;
    }
    Ok(true)
}

/// Builds the PgBouncer image unless it is here already.
pub fn ensure_pgbouncer(sh: &Shell) -> Result<()> {
    if docker::has_image(sh, PGBOUNCER_IMAGE) {
        return Ok(());
    }
    build_from(sh, &PGBOUNCER)
}

fn build_from(sh: &Shell, recipe: &Recipe) -> Result<()> {
    if cmd!(sh, "mmdebstrap --version")
        .quiet()
        .ignore_stdout()
        .run()
        .is_err()
    {
        bail!(
            "mmdebstrap is not installed: run `apt-get install mmdebstrap` as root, then try again"
        );
    }
    let Recipe {
        image,
        suite,
        package,
        entrypoint,
        path,
        ports,
    } = recipe;
    let root = project_root();
    let work = root.join("target/offline-image");
    sh.create_dir(&work)?;
    let rootfs = work.join(format!("{package}.tar"));
    let upload = format!(
        "upload {} /usr/local/bin/authdb-entrypoint",
        root.join(entrypoint).display()
    );
    let chmod = "chmod 755 \"$1/usr/local/bin/authdb-entrypoint\"";
    println!("building {image} from Debian {suite}'s {package} package...");
    cmd!(
        sh,
        "mmdebstrap --quiet --variant=minbase --include={package}
            --dpkgopt=path-exclude=/usr/share/doc/* --dpkgopt=path-exclude=/usr/share/man/*
            --dpkgopt=path-exclude=/usr/share/locale/*
            --customize-hook={upload} --customize-hook={chmod}
            {suite} {rootfs}"
    )
    .run()
    .context("mmdebstrap failed (is Debian's package registry reachable?)")?;
    let entrypoint = "ENTRYPOINT [\"/usr/local/bin/authdb-entrypoint\"]";
    let path = format!("ENV PATH={path}");
    let expose = format!("EXPOSE {ports}");
    cmd!(
        sh,
        "docker import
            --change {entrypoint} --change {path} --change 'ENV LANG=C.UTF-8' --change {expose}
            {rootfs} {image}"
    )
    .quiet()
    .ignore_stdout()
    .run()?;
    sh.remove_path(&rootfs)?;
    println!("built {image}");
    Ok(())
}
