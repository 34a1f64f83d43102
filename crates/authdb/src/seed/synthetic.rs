//! Synthetic users for load and speed tests: N users, each with both backgrounds and a session,
//! generated from a seeded RNG so the same N and seed always give the same rows. They are written
//! with binary COPY, which is what makes 100,000 users take seconds; `Insert::RowByRow` writes the
//! same rows one INSERT at a time, as the baseline the benchmark compares COPY against.

use std::pin::pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Transaction};
use uuid::Uuid;

use super::{Counts, password_hash};
use crate::error::{Result, database};

/// Every synthetic user's address ends in `@` this domain (`.invalid` can never receive mail), so
/// a new synthetic seed can replace the previous one without touching real or demo users.
pub const SYNTHETIC_DOMAIN: &str = "synthetic.authdb.invalid";

/// How rows reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Binary COPY, one stream per table.
    Copy,
    /// One prepared INSERT per row: the baseline.
    RowByRow,
}

const LEVELS: &[&str] = &["beginner", "intermediate", "advanced", "expert"];
const LANGUAGES: &[&str] = &[
    "rust",
    "python",
    "go",
    "typescript",
    "java",
    "c",
    "cpp",
    "sql",
    "kotlin",
    "swift",
];
const FRAMEWORKS: &[&str] = &[
    "axum", "django", "react", "spring", "rails", "vue", "flask", "actix",
];
const PLATFORMS: &[&str] = &[
    "linux",
    "windows",
    "macos",
    "esp32",
    "arduino",
    "raspberry-pi",
    "stm32",
];
const DEVICES: &[&str] = &[
    "laptop",
    "desktop",
    "fpga",
    "microcontroller",
    "sbc",
    "phone",
];

/// Replaces earlier synthetic users with `users` new ones, in one transaction. `progress` is
/// called with the number of rows written since its last call.
pub async fn seed_synthetic(
    client: &mut Client,
    users: u64,
    seed: u64,
    insert: Insert,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Counts> {
    let hash = password_hash("synthetic-password", SYNTHETIC_DOMAIN)?;
    let data = generate(users, seed, &hash);
    let tx = client
        .transaction()
        .await
        .map_err(database("starting the seed transaction"))?;
    tx.execute(
        "DELETE FROM users WHERE email LIKE '%@' || $1",
        &[&SYNTHETIC_DOMAIN],
    )
    .await
    .map_err(database("removing the previous synthetic users"))?;
    let counts = Counts {
        users: write(&tx, insert, &USERS, &data.users, progress).await?,
        software_background: write(&tx, insert, &SOFTWARE, &data.software, progress).await?,
        hardware_background: write(&tx, insert, &HARDWARE, &data.hardware, progress).await?,
        sessions: write(&tx, insert, &SESSIONS, &data.sessions, progress).await?,
    };
    tx.commit()
        .await
        .map_err(database("committing the synthetic users"))?;
    Ok(counts)
}

/// A table's column list and the wire types of those columns.
struct Table {
    name: &'static str,
    columns: &'static str,
    types: &'static [Type],
}

const USERS: Table = Table {
    name: "users",
    columns: "id, email, password_hash, created_at, updated_at",
    types: &[
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
    ],
};
const SOFTWARE: Table = Table {
    name: "software_background",
    columns: "id, user_id, experience_level, preferred_languages, preferred_frameworks, created_at, updated_at",
    types: BACKGROUND_TYPES,
};
const HARDWARE: Table = Table {
    name: "hardware_background",
    columns: "id, user_id, experience_level, preferred_platforms, device_types, created_at, updated_at",
    types: BACKGROUND_TYPES,
};
const SESSIONS: Table = Table {
    name: "sessions",
    columns: "id, user_id, token, expires_at, created_at, updated_at",
    types: &[
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
    ],
};
const BACKGROUND_TYPES: &[Type] = &[
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
];

/// A generated row, as the parameters of its table's columns.
trait Row: Sync {
    fn params(&self) -> Vec<&(dyn ToSql + Sync)>;
}

async fn write<R: Row>(
    tx: &Transaction<'_>,
    insert: Insert,
    table: &Table,
    rows: &[R],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    const REPORT_EVERY: usize = 1000;
    let context = || format!("writing synthetic rows to {}", table.name);
    match insert {
        Insert::Copy => {
            let sql = format!(
                "COPY {} ({}) FROM STDIN (FORMAT binary)",
                table.name, table.columns
            );
            let sink = tx.copy_in(&sql).await.map_err(database(context()))?;
            let mut writer = pin!(BinaryCopyInWriter::new(sink, table.types));
            for chunk in rows.chunks(REPORT_EVERY) {
                for row in chunk {
                    writer
                        .as_mut()
                        .write(&row.params())
                        .await
                        .map_err(database(context()))?;
                }
                progress(chunk.len() as u64);
            }
            writer.finish().await.map_err(database(context()))
        }
        Insert::RowByRow => {
            let placeholders: Vec<String> =
                (1..=table.types.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                table.name,
                table.columns,
                placeholders.join(", ")
            );
            let statement = tx
                .prepare_typed(&sql, table.types)
                .await
                .map_err(database(context()))?;
            for chunk in rows.chunks(REPORT_EVERY) {
                for row in chunk {
                    tx.execute(&statement, &row.params())
                        .await
                        .map_err(database(context()))?;
                }
                progress(chunk.len() as u64);
            }
            Ok(rows.len() as u64)
        }
    }
}

struct User<'a> {
    id: Uuid,
    email: String,
    password_hash: &'a str,
    /// Also the `updated_at` of the user and of all their rows: generated, not now(), so that
    /// the same seed gives the same rows.
    created_at: SystemTime,
}

struct Background {
    id: Uuid,
    user_id: Uuid,
    level: &'static str,
    first: Vec<&'static str>,
    second: Vec<&'static str>,
    created_at: SystemTime,
}

struct Session {
    id: Uuid,
    user_id: Uuid,
    token: String,
    expires_at: SystemTime,
    created_at: SystemTime,
}

impl Row for User<'_> {
    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.id,
            &self.email,
            &self.password_hash,
            &self.created_at,
            &self.created_at,
        ]
    }
}

impl Row for Background {
    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let created = &self.created_at;
        vec![
            &self.id,
            &self.user_id,
            &self.level,
            &self.first,
            &self.second,
            created,
            created,
        ]
    }
}

impl Row for Session {
    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let created = &self.created_at;
        vec![
            &self.id,
            &self.user_id,
            &self.token,
            &self.expires_at,
            created,
            created,
        ]
    }
}

struct Data<'a> {
    users: Vec<User<'a>>,
    software: Vec<Background>,
    hardware: Vec<Background>,
    sessions: Vec<Session>,
}

/// Everything derives from `seed`, including ids and timestamps, so two runs give equal rows.
fn generate(users: u64, seed: u64, hash: &str) -> Data<'_> {
    let mut rng = fastrand::Rng::with_seed(seed);
    // Fixed instants, not now(): accounts created during 2019, sessions expiring after
    // 2030-01-01 (live) or 2020-01-01 (expired).
    let created = UNIX_EPOCH + Duration::from_secs(1_546_300_800);
    let live = UNIX_EPOCH + Duration::from_secs(1_893_456_000);
    let expired = UNIX_EPOCH + Duration::from_secs(1_577_836_800);
    let capacity = users as usize;
    let mut data = Data {
        users: Vec::with_capacity(capacity),
        software: Vec::with_capacity(capacity),
        hardware: Vec::with_capacity(capacity),
        sessions: Vec::with_capacity(capacity),
    };
    for i in 0..users {
        let user_id = uuid(&mut rng);
        let created_at = created + Duration::from_secs(rng.u64(..365 * 86_400));
        data.users.push(User {
            id: user_id,
            email: format!("user{i:07}@{SYNTHETIC_DOMAIN}"),
            password_hash: hash,
            created_at,
        });
        data.software.push(Background {
            id: uuid(&mut rng),
            user_id,
            level: pick(&mut rng, LEVELS),
            first: some(&mut rng, LANGUAGES),
            second: some(&mut rng, FRAMEWORKS),
            created_at,
        });
        data.hardware.push(Background {
            id: uuid(&mut rng),
            user_id,
            level: pick(&mut rng, LEVELS),
            first: some(&mut rng, PLATFORMS),
            second: some(&mut rng, DEVICES),
            created_at,
        });
        let base = if rng.u8(..10) == 0 { expired } else { live };
        data.sessions.push(Session {
            id: uuid(&mut rng),
            user_id,
            token: format!("{:032x}{:032x}", rng.u128(..), rng.u128(..)),
            expires_at: base + Duration::from_secs(rng.u64(..30 * 86_400)),
            created_at,
        });
    }
    data
}

fn uuid(rng: &mut fastrand::Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid()
}

fn pick(rng: &mut fastrand::Rng, from: &[&'static str]) -> &'static str {
    from[rng.usize(..from.len())]
}

/// Zero to three distinct entries.
fn some(rng: &mut fastrand::Rng, from: &[&'static str]) -> Vec<&'static str> {
    let mut picked: Vec<&'static str> = (0..rng.usize(..4)).map(|_| pick(rng, from)).collect();
    picked.sort_unstable();
    picked.dedup();
    picked
}
