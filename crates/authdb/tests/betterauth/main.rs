//! A real BetterAuth server on this database, checked without Node: the schema against the
//! committed manifest of what BetterAuth requires (both ways), BetterAuth's own SQL replayed for
//! each flow a user goes through, its password hash verified as its source does, the upgrade of
//! a database that has users, and the docs' configuration against the manifest. One PostgreSQL
//! for this binary (the `testdb` crate), a fresh database per test, migrated by the repository's
//! folder, whatever it holds.

mod adapter;
mod conformance;
mod credential;
mod docs;
mod flows;
mod manifest;
mod upgrade;

use authdb::{MigrateOptions, Migrations};
use tokio_postgres::Client;

pub fn repository() -> Migrations {
    Migrations::load(&testdb::migrations_dir()).unwrap_or_else(|e| panic!("{e}"))
}

/// The version before the BetterAuth migrations (8 when they were written): the schema the
/// service had, found by the first one's name so that renumbering at a merge changes nothing.
pub fn before_betterauth() -> i64 {
    repository()
        .list
        .iter()
        .find(|m| m.name == "betterauth_user_columns")
        .expect("the repository has its BetterAuth migrations")
        .version
        - 1
}

/// Migrates the repository's folder up to `version` (all of it for `None`).
pub async fn migrate(client: &mut Client, version: Option<i64>) {
    let options = MigrateOptions {
        up_to: version,
        ..MigrateOptions::default()
    };
    authdb::migrate(client, &repository(), &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A fresh database migrated by the repository's folder, and a client on it.
pub async fn migrated() -> (testdb::TestDb, Client) {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    (db, client)
}
