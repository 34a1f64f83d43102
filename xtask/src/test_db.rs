//! `cargo xtask test-db`: the test suite against real PostgreSQL. It picks the image the tests
//! use (AUTHDB_POSTGRES_IMAGE, else the official image if it is here or can be pulled, else the
//! offline image, built if needed) and runs `cargo test` for the workspace.

use std::process::ExitCode;

use anyhow::{Result, bail};
use xshell::{Shell, cmd};

use crate::image::{self, OFFLINE_IMAGE};
use crate::{cli, docker, project_root};

/// What a machine with a registry uses; kept equal to `testdb::DEFAULT_IMAGE`.
const OFFICIAL_IMAGE: &str = "postgres:17-alpine";

impl cli::TestDb {
    pub fn run(self) -> Result<ExitCode> {
        let sh = Shell::new()?;
        sh.change_dir(project_root());
        docker::require(&sh)?;
        let image = pick_image(&sh)?;
        println!("testing against {image}");
        let _image = sh.push_env("AUTHDB_POSTGRES_IMAGE", &image);
        let args = self.cargo_test_args;
        cmd!(sh, "cargo test --workspace {args...}").run()?;
        Ok(ExitCode::SUCCESS)
    }
}

fn pick_image(sh: &Shell) -> Result<String> {
    if let Ok(image) = std::env::var("AUTHDB_POSTGRES_IMAGE")
        && !image.is_empty()
    {
        if image == OFFLINE_IMAGE && !docker::has_image(sh, &image) {
            image::build(sh)?;
        } else if !docker::has_or_pulls(sh, &image) {
            bail!("AUTHDB_POSTGRES_IMAGE={image}: the image is not here and cannot be pulled");
        }
        return Ok(image);
    }
    if docker::has_or_pulls(sh, OFFICIAL_IMAGE) {
        return Ok(OFFICIAL_IMAGE.to_string());
    }
    println!(
        "{OFFICIAL_IMAGE} is not here and no registry supplies it: using the offline image {OFFLINE_IMAGE}"
    );
    if !docker::has_image(sh, OFFLINE_IMAGE) {
        image::build(sh)?;
    }
    Ok(OFFLINE_IMAGE.to_string())
}
