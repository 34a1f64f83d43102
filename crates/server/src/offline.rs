//! The images built from Debian's packages: `authdb/postgres:17` (and `:15`) stand in for the
//! official PostgreSQL image where no registry answers, and `authdb/pgbouncer:1` puts a
//! transaction-mode pooler like Neon's `-pooler` endpoints in front of a test server (there is
//! no official PgBouncer image). mmdebstrap builds a minimal Debian root file system with the
//! package; `docker import` turns it into an image whose entrypoint is a script of ours.

use xshell::cmd;

use crate::image::{OFFLINE, OFFLINE_15, PGBOUNCER};
use crate::{Docker, Error, Result};

/// What goes into one image.
pub struct Recipe {
    pub image: &'static str,
    /// The Debian release whose packages it is built from.
    pub suite: &'static str,
    pub package: &'static str,
    entrypoint: &'static str,
    path: &'static str,
    ports: &'static str,
}

pub const POSTGRES_17: Recipe = Recipe {
    image: OFFLINE,
    suite: "trixie",
    package: "postgresql-17",
    entrypoint: include_str!("../image/entrypoint.sh"),
    path: "/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ports: "5432",
};

/// PostgreSQL 15, from Debian 12: the other Neon version Debian's registry offers, so that the
/// migrations and the snapshot are tested on two major versions where no registry is reachable.
pub const POSTGRES_15: Recipe = Recipe {
    image: OFFLINE_15,
    suite: "bookworm",
    package: "postgresql-15",
    entrypoint: include_str!("../image/entrypoint.sh"),
    path: "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ports: "5432",
};

pub const PGBOUNCER_1: Recipe = Recipe {
    image: PGBOUNCER,
    suite: "trixie",
    package: "pgbouncer",
    entrypoint: include_str!("../image/pgbouncer-entrypoint.sh"),
    path: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ports: "6432",
};

/// Every image built here.
pub const RECIPES: [&Recipe; 3] = [&POSTGRES_17, &POSTGRES_15, &PGBOUNCER_1];

/// Builds `image` if it is one of ours and missing; `false` if it is not one of ours.
pub fn ensure(docker: &Docker, image: &str, say: &mut dyn FnMut(&str)) -> Result<bool> {
    let Some(recipe) = RECIPES.into_iter().find(|r| r.image == image) else {
        return Ok(false);
    };
    if !docker.has_image(image) {
        build(docker, recipe, say)?;
    }
    Ok(true)
}

/// Builds the image; about half a minute, most of it downloading packages.
pub fn build(docker: &Docker, recipe: &Recipe, say: &mut dyn FnMut(&str)) -> Result<()> {
    let sh = docker.shell();
    if cmd!(sh, "mmdebstrap --version")
        .quiet()
        .ignore_stdout()
        .run()
        .is_err()
    {
        return Err(Error::NoMmdebstrap {
            image: recipe.image.to_string(),
        });
    }
    let work = tempdir()?;
    let entrypoint = work.join("authdb-entrypoint");
    let rootfs = work.join("rootfs.tar");
    write(&entrypoint, recipe.entrypoint)?;
    let Recipe {
        image,
        suite,
        package,
        path,
        ports,
        ..
    } = recipe;
    let upload = format!(
        "upload {} /usr/local/bin/authdb-entrypoint",
        entrypoint.display()
    );
    let chmod = "chmod 755 \"$1/usr/local/bin/authdb-entrypoint\"";
    say(&format!(
        "building {image} from Debian {suite}'s {package} package..."
    ));
    let built = cmd!(
        sh,
        "mmdebstrap --quiet --variant=minbase --include={package}
            --dpkgopt=path-exclude=/usr/share/doc/* --dpkgopt=path-exclude=/usr/share/man/*
            --dpkgopt=path-exclude=/usr/share/locale/*
            --customize-hook={upload} --customize-hook={chmod}
            {suite} {rootfs}"
    )
    .quiet()
    .run();
    if let Err(error) = built {
        let _ = std::fs::remove_dir_all(&work);
        return Err(Error::Command {
            command: "mmdebstrap".into(),
            reason: format!("{error} (is Debian's package registry reachable?)"),
        });
    }
    let entrypoint = "ENTRYPOINT [\"/usr/local/bin/authdb-entrypoint\"]";
    let path = format!("ENV PATH={path}");
    let expose = format!("EXPOSE {ports}");
    let imported = cmd!(
        sh,
        "docker import
            --change {entrypoint} --change {path} --change 'ENV LANG=C.UTF-8' --change {expose}
            {rootfs} {image}"
    )
    .quiet()
    .ignore_stdout()
    .run();
    let _ = std::fs::remove_dir_all(&work);
    imported.map_err(|e| Error::Command {
        command: "docker import".into(),
        reason: e.to_string(),
    })?;
    say(&format!("built {image}"));
    Ok(())
}

fn tempdir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("authdb-image-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
