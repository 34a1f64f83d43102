//! Seed data: a fixed set of demo users for development, who can sign in through BetterAuth, and
//! any number of synthetic users for load and speed tests. Both refuse a database on another machine unless told otherwise: demo
//! accounts with a published password must not reach production by accident.

mod credential;
mod demo;
mod generator;
mod synthetic;

use serde::Serialize;

pub use credential::betterauth_hash;
pub use demo::{DEMO_PASSWORD, seed_demo};
pub use generator::{Generator, MAX_USERS, SYNTHETIC_DOMAIN, SyntheticRow, SyntheticTable};
pub use synthetic::{delete_synthetic, seed_synthetic};

use crate::connect::{Connection, Retry, connect};
use crate::conninfo::ConnInfo;
use crate::environment::Environment;
use crate::error::{Error, Result};

/// Rows written by a seed, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub users: u64,
    /// BetterAuth credential accounts (the demo users'; synthetic users have none).
    pub accounts: u64,
    pub sessions: u64,
    pub software_background: u64,
    pub hardware_background: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.users
            + self.accounts
            + self.sessions
            + self.software_background
            + self.hardware_background
    }

    /// The count of `table`.
    pub fn of(&mut self, table: SyntheticTable) -> &mut u64 {
        match table {
            SyntheticTable::Users => &mut self.users,
            SyntheticTable::SoftwareBackground => &mut self.software_background,
            SyntheticTable::HardwareBackground => &mut self.hardware_background,
            SyntheticTable::Sessions => &mut self.sessions,
        }
    }
}

/// Opens the database a seed writes to. Whether it is on this machine is read from the URL
/// alone, so a remote one is refused (unless `allow_remote`) before any network step: the
/// password is never sent to a server that was going to be refused.
pub async fn open(
    env: &Environment,
    url_flag: Option<&str>,
    allow_remote: bool,
) -> Result<(ConnInfo, Connection)> {
    let info = crate::connect::resolve(env, url_flag)?;
    check_local(&info, allow_remote)?;
    let connection = connect(&info, Retry::default()).await?;
    Ok((info, connection))
}

/// Refuses a database that lacks a table the seeds write (an unmigrated one), naming the tables,
/// the version the database is at, and `latest`, the version the caller's folder goes up to if
/// it knows: "relation does not exist" from the first INSERT said none of it.
pub async fn check_migrated(client: &tokio_postgres::Client, latest: Option<i64>) -> Result<()> {
    let tables: Vec<&str> = SyntheticTable::ALL.iter().map(|t| t.name()).collect();
    let rows = client
        .query(
            "SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, i) \
             WHERE to_regclass(quote_ident(t)) IS NULL ORDER BY i",
            &[&tables],
        )
        .await
        .map_err(crate::error::database(
            "checking that the seeds' tables exist",
        ))?;
    let missing: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let version = crate::tracking::read(client)
        .await?
        .iter()
        .map(|a| a.version)
        .max();
    Err(Error::SeedUnmigrated {
        missing,
        version,
        latest,
    })
}

/// Refuses a non-loopback database unless `allow_remote`.
pub fn check_local(info: &ConnInfo, allow_remote: bool) -> Result<()> {
    if info.loopback || allow_remote {
        return Ok(());
    }
    Err(Error::SeedRemote {
        url: info.redacted.clone(),
    })
}

/// An argon2id hash in PHC format, with a salt derived from `salt_source` so that the same input
/// always gives the same row (seeding twice must leave the same rows).
fn password_hash(password: &str, salt_source: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(salt_source.as_bytes());
    let salt = SaltString::encode_b64(&digest[..16]).map_err(hash_error)?;
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(hash_error)?;
    Ok(hash.to_string())
}

fn hash_error(error: argon2::password_hash::Error) -> Error {
    Error::PasswordHash {
        reason: error.to_string(),
    }
}
