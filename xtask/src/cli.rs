//! The whole command surface of `cargo xtask`, in one place: every command and flag, each with a
//! line of help. Each command's behaviour lives in the module of the same name.

use std::path::PathBuf;

use authdb::Limit;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "authdb: migrate, check and seed the auth service's PostgreSQL schema",
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the next migration's up and down files.
    New(New),
    /// Apply every pending migration, in one transaction.
    Migrate(Migrate),
    /// List each migration as applied, pending, modified or missing.
    Status(Status),
    /// Revert applied migrations with their down files (asks first: it drops data).
    Rollback(Rollback),
    /// Load the demo users, or N synthetic users with --users (local databases only by default).
    Seed(Seed),
    /// Start a local PostgreSQL in Docker, migrate it and seed the demo users: one command to a working database.
    Dev(Dev),
    /// Check a database: every migration applied and unchanged, the schema equal to the snapshot.
    Verify(Verify),
    /// Bring a database built before authdb under it: plan (or --apply) the script that reconciles it with the snapshot.
    Adopt(Adopt),
    /// Adopt a database whose schema already equals the snapshot: record every migration as applied.
    Baseline(Baseline),
    /// Migrate a throwaway PostgreSQL container and write migrations/schema.snapshot from it.
    Snapshot(Snapshot),
    /// Check the migrations without a database: names, migrations.lock, syntax, unsafe changes.
    Lint(Lint),
    /// What the git hook runs: cargo fmt --check, cargo clippy -D warnings and lint.
    PreCommit(PreCommit),
    /// Install the git pre-commit hook (for those without the pre-commit framework).
    Hooks(Hooks),
    /// Measure the speed claims against their baselines (release build); writes bench/RESULTS.md.
    Bench(Bench),
    /// Build from Debian's packages the offline PostgreSQL image (for machines without a registry)
    /// and the PgBouncer image the pooler tests use.
    Image(Image),
    /// Run the test suite against PostgreSQL in containers, building the offline image if needed.
    TestDb(TestDb),
    /// Measure what the new migrations do to a running service: apply them to a seeded throwaway
    /// PostgreSQL while a probe plays the service's queries; exit 1 if they block it.
    Rehearse(Rehearse),
}

impl Command {
    /// Whether the command was asked for JSON: then its errors are a JSON object on stdout too.
    pub fn json(&self) -> bool {
        match self {
            Command::New(flags) => flags.json,
            Command::Migrate(flags) => flags.json,
            Command::Status(flags) => flags.json,
            Command::Rollback(flags) => flags.json,
            Command::Seed(flags) => flags.json,
            Command::Verify(flags) => flags.json,
            Command::Baseline(flags) => flags.json,
            Command::Lint(flags) => flags.json,
            Command::Snapshot(flags) => flags.json,
            Command::Adopt(flags) => flags.json,
            Command::Rehearse(flags) => flags.json,
            Command::Dev(_)
            | Command::PreCommit(_)
            | Command::Hooks(_)
            | Command::Bench(_)
            | Command::Image(_)
            | Command::TestDb(_) => false,
        }
    }
}

/// Which database.
#[derive(Debug, Args)]
pub struct Database {
    /// Database URL (or key=value connection string); default: DATABASE_URL, else NEON_DB_URL
    /// (environment, then .env).
    #[arg(long, value_name = "URL", value_parser = not_empty)]
    pub database_url: Option<String>,
}

/// Which migrations folder.
#[derive(Debug, Args)]
pub struct Folder {
    /// The migrations folder; default: the workspace's migrations/.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct New {
    /// The migration's name, in snake_case: add_users_display_name.
    pub name: String,
    #[command(flatten)]
    pub folder: Folder,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Migrate {
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub folder: Folder,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply up to and including version N (1 or more).
    #[arg(
        long = "to",
        alias = "target",
        value_name = "N",
        value_parser = migrate_version,
        allow_negative_numbers = true
    )]
    pub to: Option<i64>,
    #[command(flatten)]
    pub timeouts: Timeouts,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

/// How long a schema change may wait or run. Each takes `5` (seconds), `5s`, `500ms`, `2m`, `1h`,
/// or `0` / `off` for no limit; anything else is a usage error naming the flag or variable.
#[derive(Debug, Args)]
pub struct Timeouts {
    /// Give up waiting for a table lock the application holds after this long (0 or off: wait forever).
    #[arg(
        long,
        value_name = "DURATION",
        env = LOCK_TIMEOUT,
        value_parser = limit(LOCK_TIMEOUT),
        allow_negative_numbers = true,
        default_value_t = Limit::from(authdb::DEFAULT_LOCK_TIMEOUT)
    )]
    pub lock_timeout: Limit,
    /// Cancel any one statement after this long (0 or off: no limit).
    #[arg(
        long,
        value_name = "DURATION",
        env = STATEMENT_TIMEOUT,
        value_parser = limit(STATEMENT_TIMEOUT),
        allow_negative_numbers = true,
        default_value_t = Limit::from(authdb::DEFAULT_STATEMENT_TIMEOUT)
    )]
    pub statement_timeout: Limit,
    /// Give up waiting for another migrate or rollback to finish after this long (0 or off: wait forever).
    #[arg(
        long,
        value_name = "DURATION",
        env = LOCK_WAIT,
        value_parser = limit(LOCK_WAIT),
        allow_negative_numbers = true,
        default_value_t = Limit::from(authdb::DEFAULT_LOCK_WAIT)
    )]
    pub lock_wait: Limit,
}

const LOCK_TIMEOUT: &str = "AUTHDB_LOCK_TIMEOUT";
const STATEMENT_TIMEOUT: &str = "AUTHDB_STATEMENT_TIMEOUT";
const LOCK_WAIT: &str = "AUTHDB_LOCK_WAIT";

/// A duration flag's parser. clap reports a bad value under the flag's name even when it came
/// from the environment, so the message says which variable held it.
fn limit(variable: &'static str) -> impl Fn(&str) -> Result<Limit, String> + Clone {
    move |text| {
        text.parse::<Limit>().map_err(|error| {
            if std::env::var(variable).is_ok_and(|value| value == text) {
                format!("{error} (the value of the environment variable {variable})")
            } else {
                error.to_string()
            }
        })
    }
}

/// `--database-url ''` is a mistake, never a reason to fall back to DATABASE_URL or `.env`
/// (which may point at production).
fn not_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "empty: give the database URL, or leave --database-url out to use DATABASE_URL".into(),
        );
    }
    Ok(text.to_string())
}

/// `migrate --to N`: a migration's version, 1 or more.
fn migrate_version(text: &str) -> Result<i64, String> {
    version(text, 1)
        .ok_or_else(|| "expected a migration's version, 1 or more (the NNN of NNN_name.sql)".into())
}

/// `rollback --to N`: the version to stay at, 0 or more; 0 reverts everything, as `--all` does.
fn rollback_version(text: &str) -> Result<i64, String> {
    version(text, 0).ok_or_else(|| {
        "expected the version to roll back to, 0 or more (0 reverts everything, as --all does)"
            .into()
    })
}

fn version(text: &str, at_least: i64) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok().filter(|v| *v >= at_least)
}

#[derive(Debug, Args)]
pub struct Rollback {
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub folder: Folder,
    /// Revert every migration above version N (N stays applied; 0 reverts everything).
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "all",
        value_parser = rollback_version,
        allow_negative_numbers = true
    )]
    pub to: Option<i64>,
    /// Revert everything: the seed README's "Rollback" section.
    #[arg(long)]
    pub all: bool,
    /// Do not ask; required when there is no terminal to ask on.
    #[arg(long)]
    pub yes: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub timeouts: Timeouts,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Status {
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub folder: Folder,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Seed {
    #[command(flatten)]
    pub database: Database,
    /// Generate this many synthetic users (with backgrounds and a session each) instead of the
    /// demo set: 1 to 100000000.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=authdb::seed::MAX_USERS))]
    pub users: Option<u64>,
    /// The RNG seed of --users: the same N and seed give the same rows.
    #[arg(long, value_name = "SEED", default_value_t = 42, requires = "users")]
    pub seed: u64,
    /// Allow a database that is not on this machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Dev {
    /// The loopback port to publish the database on (default 54329); on an existing container,
    /// moves it there (a new container on the same data).
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// The container's name (default: authdb-dev-<checkout>-<hash>, one per checkout).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Stop the container (its data is kept).
    #[arg(long, conflicts_with = "reset")]
    pub stop: bool,
    /// Delete the container and its data, then start over.
    #[arg(long)]
    pub reset: bool,
    /// Write DATABASE_URL to .env without asking (only if none is set).
    #[arg(long)]
    pub write_env: bool,
}

#[derive(Debug, Args)]
pub struct Verify {
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub folder: Folder,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Baseline {
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub folder: Folder,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Adopt {
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub folder: Folder,
    /// Run the script and record the migrations (asks on a terminal; --yes otherwise).
    #[arg(long)]
    pub apply: bool,
    /// Do not ask before --apply.
    #[arg(long, requires = "apply")]
    pub yes: bool,
    /// Drop what the database has beyond the snapshot instead of keeping it.
    #[arg(long)]
    pub drop_extra: bool,
    /// Write the script to FILE for review, and change nothing.
    #[arg(long, value_name = "FILE", conflicts_with = "apply")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub timeouts: Timeouts,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Snapshot {
    /// The migrations folder; the snapshot is written into it. Default: the workspace's migrations/.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    /// Write nothing; exit 1 if the committed snapshot is not what the migrations create.
    #[arg(long)]
    pub check: bool,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Lint {
    #[command(flatten)]
    pub folder: Folder,
    /// First record new files in migrations.lock (a recorded file is never re-recorded).
    #[arg(long)]
    pub update_lock: bool,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PreCommit {}

#[derive(Debug, Args)]
pub struct Hooks {
    #[command(subcommand)]
    pub command: HooksCommand,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Write the git repository's pre-commit hook, which runs `cargo xtask pre-commit`.
    Install(HooksInstall),
}

#[derive(Debug, Args)]
pub struct HooksInstall {
    /// Replace a pre-commit hook that authdb did not write.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct Bench {
    /// Timed runs per scenario, after one warm-up (the slowest scenarios run at most 3 times).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

#[derive(Debug, Args)]
pub struct Image {
    /// Rebuild even if the image exists.
    #[arg(long)]
    pub force: bool,
    /// The PostgreSQL major version: 17 (authdb/postgres:17) or 15 (authdb/postgres:15).
    #[arg(long, default_value_t = 17)]
    pub postgres: u32,
}

#[derive(Debug, Args)]
pub struct TestDb {
    /// Arguments for every test binary (after `--`), e.g. a test name filter or --nocapture.
    #[arg(last = true)]
    pub test_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Rehearse {
    #[command(flatten)]
    pub folder: Folder,
    /// Rehearse the migrations after version N; default: those not yet recorded in migrations.lock.
    #[arg(long, value_name = "N", conflicts_with = "adopt_legacy")]
    pub from: Option<i64>,
    /// Synthetic users to seed first, each with a session and both backgrounds.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub users: u64,
    /// The RNG seed of the synthetic users: the same N and seed give the same rows.
    #[arg(long, value_name = "SEED", default_value_t = 42)]
    pub seed: u64,
    /// Fail when a probe query was blocked longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = authdb::rehearse::DEFAULT_MAX_BLOCK.as_secs_f64())]
    pub max_block: f64,
    /// How long to measure the probe before anything is applied, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub baseline: f64,
    /// Rehearse `adopt --apply` instead, on a database built from this SQL file (the old script's schema).
    #[arg(long, value_name = "FILE")]
    pub adopt_legacy: Option<PathBuf>,
    #[command(flatten)]
    pub timeouts: Timeouts,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}
