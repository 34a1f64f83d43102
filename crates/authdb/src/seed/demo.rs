//! The demo users: a small, fixed, named set with both background rows and sessions (one of them
//! expired), so a developer can log in and see every table populated. Each has what a BetterAuth
//! sign-up writes (a name, a verified address, a credential account holding BetterAuth's own
//! scrypt hash), so a BetterAuth server configured as docs/betterauth.md says signs them in as
//! it is; `password_hash` keeps the argon2id hash the service checks. Idempotent: existing rows
//! are left alone, so seeding twice leaves the same rows.

use tokio_postgres::Client;

use super::credential::betterauth_hash;
use super::{Counts, password_hash};
use crate::error::{Result, database};

/// The password of every demo account. Public on purpose: these accounts are for local databases.
pub const DEMO_PASSWORD: &str = "authdb-demo-password";

struct DemoUser {
    email: &'static str,
    name: &'static str,
    software: (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ),
    hardware: (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ),
    /// (token, expires in days; negative: already expired)
    sessions: &'static [(&'static str, i32)],
}

const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        email: "ada@example.com",
        name: "Ada Lovelace",
        software: ("advanced", &["rust", "python"], &["axum", "django"]),
        hardware: ("intermediate", &["linux", "esp32"], &["laptop", "fpga"]),
        sessions: &[("demo-ada-laptop", 30), ("demo-ada-expired", -1)],
    },
    DemoUser {
        email: "grace@example.com",
        name: "Grace Hopper",
        software: ("expert", &["cobol", "fortran"], &["cics"]),
        hardware: ("advanced", &["mainframe"], &["terminal"]),
        sessions: &[("demo-grace-terminal", 30)],
    },
    DemoUser {
        email: "linus@example.com",
        name: "Linus Torvalds",
        software: ("expert", &["c", "shell"], &[]),
        hardware: ("beginner", &["x86_64", "arm64"], &["desktop"]),
        sessions: &[("demo-linus-desktop", 7)],
    },
];

/// Inserts the demo users that are not there yet, in one transaction.
pub async fn seed_demo(client: &mut Client) -> Result<Counts> {
    let tx = client
        .transaction()
        .await
        .map_err(database("starting the seed transaction"))?;
    let mut counts = Counts::default();
    for user in DEMO_USERS {
        let hash = password_hash(DEMO_PASSWORD, user.email)?;
        counts.users += tx
            .execute(
                "INSERT INTO users (email, name, email_verified, password_hash)
                 VALUES ($1, $2, true, $3) ON CONFLICT DO NOTHING",
                &[&user.email, &user.name, &hash],
            )
            .await
            .map_err(database(format!("inserting demo user {}", user.email)))?;
        let id: uuid::Uuid = tx
            .query_one(
                "SELECT id FROM users WHERE lower(email) = lower($1)",
                &[&user.email],
            )
            .await
            .map_err(database(format!("reading demo user {}", user.email)))?
            .get(0);
        // The row BetterAuth's sign-up links (sign-up.ts): its credential account.
        let credential = betterauth_hash(DEMO_PASSWORD, user.email)?;
        counts.accounts += tx
            .execute(
                "INSERT INTO accounts (user_id, issuer, account_id, provider_id, password)
                 VALUES ($1, 'local:credential', $2, 'credential', $3) ON CONFLICT DO NOTHING",
                &[&id, &id.to_string(), &credential],
            )
            .await
            .map_err(database(format!(
                "inserting the credential account of {}",
                user.email
            )))?;
        for (table, (level, first, second), count) in [
            (
                "software_background (user_id, experience_level, preferred_languages, preferred_frameworks)",
                user.software,
                &mut counts.software_background,
            ),
            (
                "hardware_background (user_id, experience_level, preferred_platforms, device_types)",
                user.hardware,
                &mut counts.hardware_background,
            ),
        ] {
            let sql = format!("INSERT INTO {table} VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
            *count += tx
                .execute(&sql, &[&id, &level, &first, &second])
                .await
                .map_err(database(format!(
                    "inserting the backgrounds of {}",
                    user.email
                )))?;
        }
        for (token, days) in user.sessions {
            counts.sessions += tx
                .execute(
                    "INSERT INTO sessions (user_id, token, expires_at)
                     VALUES ($1, $2, now() + make_interval(days => $3)) ON CONFLICT DO NOTHING",
                    &[&id, token, days],
                )
                .await
                .map_err(database(format!(
                    "inserting the sessions of {}",
                    user.email
                )))?;
        }
    }
    tx.commit()
        .await
        .map_err(database("committing the demo users"))?;
    Ok(counts)
}
