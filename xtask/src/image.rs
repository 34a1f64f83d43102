//! `cargo xtask image`: the offline PostgreSQL image, for machines whose Docker cannot reach a
//! registry. mmdebstrap builds a minimal Debian root file system with PostgreSQL from Debian's
//! packages; `docker import` turns it into an image whose entrypoint (image/entrypoint.sh) behaves
//! like the official image's, so testcontainers and `dev` use it unchanged.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{cli, docker, project_root};

pub const OFFLINE_IMAGE: &str = "authdb/postgres:17";
/// The Debian release whose postgresql-17 package the image is built from.
const SUITE: &str = "trixie";

impl cli::Image {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        docker::require(&sh)?;
        if self.force || !docker::has_image(&sh, OFFLINE_IMAGE) {
            build(&sh)?;
        } else {
            println!("{OFFLINE_IMAGE} is already built (--force rebuilds it)");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Builds the image; about half a minute, most of it downloading packages.
pub fn build(sh: &Shell) -> Result<()> {
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
    let root = project_root();
    let work = root.join("target/offline-image");
    sh.create_dir(&work)?;
    let rootfs = work.join("rootfs.tar");
    let entrypoint = root.join("xtask/image/entrypoint.sh");
    let upload = format!(
        "upload {} /usr/local/bin/authdb-entrypoint",
        entrypoint.display()
    );
    let chmod = "chmod 755 \"$1/usr/local/bin/authdb-entrypoint\"";
    println!("building {OFFLINE_IMAGE} from Debian {SUITE}'s postgresql-17 package...");
    cmd!(
        sh,
        "mmdebstrap --quiet --variant=minbase --include=postgresql-17
            --dpkgopt=path-exclude=/usr/share/doc/* --dpkgopt=path-exclude=/usr/share/man/*
            --dpkgopt=path-exclude=/usr/share/locale/*
            --customize-hook={upload} --customize-hook={chmod}
            {SUITE} {rootfs}"
    )
    .run()
    .context("mmdebstrap failed (is Debian's package registry reachable?)")?;
    cmd!(
        sh,
        "docker import
            --change 'ENTRYPOINT [\"/usr/local/bin/authdb-entrypoint\"]'
            --change 'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
            --change 'ENV LANG=C.UTF-8'
            --change 'EXPOSE 5432'
            {rootfs} {OFFLINE_IMAGE}"
    )
    .quiet()
    .ignore_stdout()
    .run()?;
    sh.remove_path(&rootfs)?;
    println!("built {OFFLINE_IMAGE}");
    Ok(())
}
