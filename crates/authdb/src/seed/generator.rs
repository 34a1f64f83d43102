//! The rows of a synthetic seed, made one at a time. Every value of user `i` (ids and timestamps
//! included) comes from generators seeded with (seed, i) alone, so any row can be made without
//! the rows before it: each table's COPY stream regenerates its rows instead of holding them, and
//! memory stays flat however many users are asked for. The benchmark's row-by-row baseline writes
//! the same rows from the same generator.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fastrand::Rng;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::password_hash;
use crate::error::{Error, Result};

/// Every synthetic user's address ends in `@` this domain (`.invalid` can never receive mail), so
/// a new synthetic seed can replace the previous one without touching real or demo users.
pub const SYNTHETIC_DOMAIN: &str = "synthetic.authdb.invalid";

/// The most synthetic users one seed makes: far beyond any load test of this schema, and small
/// enough that no count or index derived from it can overflow.
pub const MAX_USERS: u64 = 100_000_000;

/// The four tables a synthetic seed writes, in the order it writes them: users first, because
/// the other three reference it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntheticTable {
    Users,
    SoftwareBackground,
    HardwareBackground,
    Sessions,
}

impl SyntheticTable {
    pub const ALL: [SyntheticTable; 4] = [
        SyntheticTable::Users,
        SyntheticTable::SoftwareBackground,
        SyntheticTable::HardwareBackground,
        SyntheticTable::Sessions,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SyntheticTable::Users => "users",
            SyntheticTable::SoftwareBackground => "software_background",
            SyntheticTable::HardwareBackground => "hardware_background",
            SyntheticTable::Sessions => "sessions",
        }
    }

    /// The columns every row gives, in the order of [`SyntheticRow::params`].
    pub fn columns(self) -> &'static str {
        match self {
            SyntheticTable::Users => "id, email, password_hash, created_at, updated_at",
            SyntheticTable::SoftwareBackground => {
                "id, user_id, experience_level, preferred_languages, preferred_frameworks, \
                 created_at, updated_at"
            }
            SyntheticTable::HardwareBackground => {
                "id, user_id, experience_level, preferred_platforms, device_types, created_at, \
                 updated_at"
            }
            SyntheticTable::Sessions => "id, user_id, token, expires_at, created_at, updated_at",
        }
    }

    /// The wire types of [`Self::columns`]: what binary COPY and a typed INSERT need.
    pub fn types(self) -> &'static [Type] {
        match self {
            SyntheticTable::Users => &[
                Type::UUID,
                Type::TEXT,
                Type::TEXT,
                Type::TIMESTAMPTZ,
                Type::TIMESTAMPTZ,
            ],
            SyntheticTable::SoftwareBackground | SyntheticTable::HardwareBackground => &[
                Type::UUID,
                Type::UUID,
                Type::TEXT,
                Type::TEXT_ARRAY,
                Type::TEXT_ARRAY,
                Type::TIMESTAMPTZ,
                Type::TIMESTAMPTZ,
            ],
            SyntheticTable::Sessions => &[
                Type::UUID,
                Type::UUID,
                Type::TEXT,
                Type::TIMESTAMPTZ,
                Type::TIMESTAMPTZ,
                Type::TIMESTAMPTZ,
            ],
        }
    }
}

/// The synthetic users of one seed: `users` of them, from `seed`.
#[derive(Debug, Clone)]
pub struct Generator {
    users: u64,
    seed: u64,
    /// One hash for every synthetic user: argon2id is slow on purpose, and these accounts are
    /// never logged into.
    password_hash: String,
}

impl Generator {
    /// Refuses a count outside 1..=[`MAX_USERS`] before anything is made.
    pub fn new(users: u64, seed: u64) -> Result<Generator> {
        if !(1..=MAX_USERS).contains(&users) {
            return Err(Error::SeedUsers {
                users,
                max: MAX_USERS,
            });
        }
        Ok(Generator {
            users,
            seed,
            password_hash: password_hash("synthetic-password", SYNTHETIC_DOMAIN)?,
        })
    }

    pub fn users(&self) -> u64 {
        self.users
    }

    /// The rows of `table`, made as they are read: one row per user, in user order.
    pub fn rows(&self, table: SyntheticTable) -> impl Iterator<Item = SyntheticRow<'_>> + '_ {
        (0..self.users).map(move |index| self.row(table, index))
    }

    /// User `index`'s row in `table`, the same whenever and in whatever order it is asked for.
    pub fn row(&self, table: SyntheticTable, index: u64) -> SyntheticRow<'_> {
        let user = self.user(index);
        match table {
            SyntheticTable::Users => SyntheticRow::User {
                id: user.id,
                email: format!("user{index:07}@{SYNTHETIC_DOMAIN}"),
                password_hash: &self.password_hash,
                created_at: user.created_at,
            },
            SyntheticTable::SoftwareBackground => {
                let mut rng = self.rng(index, Part::Software);
                background(&mut rng, &user, LANGUAGES, FRAMEWORKS)
            }
            SyntheticTable::HardwareBackground => {
                let mut rng = self.rng(index, Part::Hardware);
                background(&mut rng, &user, PLATFORMS, DEVICES)
            }
            SyntheticTable::Sessions => {
                let mut rng = self.rng(index, Part::Session);
                let id = uuid(&mut rng);
                let token = format!("{:032x}{:032x}", rng.u128(..), rng.u128(..));
                let base = if rng.u8(..10) == 0 { EXPIRED } else { LIVE };
                SyntheticRow::Session {
                    id,
                    user_id: user.id,
                    token,
                    expires_at: instant(base, rng.u64(..30 * DAY)),
                    created_at: user.created_at,
                }
            }
        }
    }

    /// What all four rows of a user share.
    fn user(&self, index: u64) -> User {
        let mut rng = self.rng(index, Part::User);
        User {
            id: uuid(&mut rng),
            created_at: instant(CREATED, rng.u64(..365 * DAY)),
        }
    }

    /// A generator of its own for each part of each user, so no row depends on another.
    fn rng(&self, index: u64, part: Part) -> Rng {
        Rng::with_seed(mix(mix(mix(self.seed) ^ index) ^ part as u64))
    }
}

/// One generated row, as the parameters of its table's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntheticRow<'a> {
    User {
        id: Uuid,
        email: String,
        password_hash: &'a str,
        /// Also its `updated_at`, and that of all the user's rows: generated, not now(), so that
        /// the same seed gives the same rows.
        created_at: SystemTime,
    },
    Background {
        id: Uuid,
        user_id: Uuid,
        level: &'static str,
        first: Vec<&'static str>,
        second: Vec<&'static str>,
        created_at: SystemTime,
    },
    Session {
        id: Uuid,
        user_id: Uuid,
        token: String,
        expires_at: SystemTime,
        created_at: SystemTime,
    },
}

impl SyntheticRow<'_> {
    /// The values of [`SyntheticTable::columns`], in that order.
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        match self {
            SyntheticRow::User {
                id,
                email,
                password_hash,
                created_at,
            } => vec![id, email, password_hash, created_at, created_at],
            SyntheticRow::Background {
                id,
                user_id,
                level,
                first,
                second,
                created_at,
            } => vec![id, user_id, level, first, second, created_at, created_at],
            SyntheticRow::Session {
                id,
                user_id,
                token,
                expires_at,
                created_at,
            } => vec![id, user_id, token, expires_at, created_at, created_at],
        }
    }
}

struct User {
    id: Uuid,
    created_at: SystemTime,
}

/// The independent parts of a user, each with its own generator.
#[derive(Clone, Copy)]
enum Part {
    User = 1,
    Software = 2,
    Hardware = 3,
    Session = 4,
}

const DAY: u64 = 86_400;
// Fixed instants, not now(): accounts created during 2019, sessions expiring after 2030-01-01
// (live) or 2020-01-01 (expired).
const CREATED: u64 = 1_546_300_800;
const LIVE: u64 = 1_893_456_000;
const EXPIRED: u64 = 1_577_836_800;

/// `seconds` after 1970 plus `offset` seconds.
fn instant(seconds: u64, offset: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds + offset)
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

fn background(
    rng: &mut Rng,
    user: &User,
    first: &[&'static str],
    second: &[&'static str],
) -> SyntheticRow<'static> {
    SyntheticRow::Background {
        id: uuid(rng),
        user_id: user.id,
        level: pick(rng, LEVELS),
        first: some(rng, first),
        second: some(rng, second),
        created_at: user.created_at,
    }
}

/// SplitMix64's finaliser: turns (seed, index, part) into well-spread generator seeds, so nearby
/// users do not get related sequences. Wrapping arithmetic is the point of a hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn uuid(rng: &mut Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid()
}

fn pick(rng: &mut Rng, from: &[&'static str]) -> &'static str {
    from[rng.usize(..from.len())]
}

/// Zero to three distinct entries.
fn some(rng: &mut Rng, from: &[&'static str]) -> Vec<&'static str> {
    let mut picked: Vec<&'static str> = (0..rng.usize(..4)).map(|_| pick(rng, from)).collect();
    picked.sort_unstable();
    picked.dedup();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_the_same_alone_as_in_its_stream() {
        let generator = Generator::new(50, 7).unwrap();
        for table in SyntheticTable::ALL {
            let stream: Vec<_> = generator.rows(table).collect();
            assert_eq!(stream.len(), 50);
            for index in [49, 0, 17] {
                assert_eq!(generator.row(table, index), stream[index as usize]);
            }
            for row in &stream {
                assert_eq!(row.params().len(), table.types().len(), "{table:?}");
            }
        }
    }

    #[test]
    fn every_table_row_of_a_user_names_that_user() {
        let generator = Generator::new(20, 1).unwrap();
        for index in 0..20 {
            let SyntheticRow::User { id, .. } = generator.row(SyntheticTable::Users, index) else {
                panic!("a users row");
            };
            for table in &SyntheticTable::ALL[1..] {
                let user_id = match generator.row(*table, index) {
                    SyntheticRow::Background { user_id, .. }
                    | SyntheticRow::Session { user_id, .. } => user_id,
                    SyntheticRow::User { .. } => panic!("{table:?} gave a users row"),
                };
                assert_eq!(user_id, id, "{table:?} of user {index}");
            }
        }
    }

    #[test]
    fn another_seed_gives_other_rows() {
        let a = Generator::new(3, 7).unwrap();
        let b = Generator::new(3, 8).unwrap();
        for table in SyntheticTable::ALL {
            assert_ne!(a.row(table, 0), b.row(table, 0), "{table:?}");
        }
    }

    #[test]
    fn counts_outside_one_to_the_maximum_are_refused() {
        for users in [0, MAX_USERS + 1, u64::MAX] {
            let message = Generator::new(users, 42).unwrap_err().to_string();
            assert_eq!(
                message,
                format!(
                    "cannot seed {users} synthetic users: the number must be from 1 to 100000000"
                )
            );
        }
        assert!(Generator::new(MAX_USERS, 42).is_ok());
    }
}
