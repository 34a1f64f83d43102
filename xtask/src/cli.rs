//! The whole command surface of `cargo xtask`, in one place: every command and flag, each with a
//! line of help. Each command's behaviour lives in the module of the same name.

use std::path::PathBuf;

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
    /// Adopt a database migrated before authdb: record every migration as applied if the schema matches.
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
}

/// Where the database and the migrations are.
#[derive(Debug, Args)]
pub struct Target {
    /// Database URL; default: DATABASE_URL, else NEON_DB_URL (environment, then .env).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The migrations folder; default: the workspace's migrations/.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct New {
    /// The migration's name, in snake_case: add_users_display_name.
    pub name: String,
    /// The migrations folder; default: the workspace's migrations/.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Migrate {
    #[command(flatten)]
    pub target: Target,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply up to and including this version.
    #[arg(long = "target", value_name = "N")]
    pub version: Option<i64>,
    #[command(flatten)]
    pub timeouts: Timeouts,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

/// How long a schema change may wait or run.
#[derive(Debug, Args)]
pub struct Timeouts {
    /// Give up waiting for a table lock after this many seconds (0: wait forever).
    #[arg(
        long,
        value_name = "SECONDS",
        env = "AUTHDB_LOCK_TIMEOUT",
        default_value_t = 5.0
    )]
    pub lock_timeout: f64,
    /// Cancel any one statement after this many seconds (0: no limit).
    #[arg(
        long,
        value_name = "SECONDS",
        env = "AUTHDB_STATEMENT_TIMEOUT",
        default_value_t = 0.0
    )]
    pub statement_timeout: f64,
}

#[derive(Debug, Args)]
pub struct Rollback {
    #[command(flatten)]
    pub target: Target,
    /// Revert every migration above version N (N stays applied).
    #[arg(long, value_name = "N", conflicts_with = "all")]
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
    pub target: Target,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Seed {
    #[command(flatten)]
    pub target: Target,
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
    /// The loopback port to publish the database on.
    #[arg(long, default_value_t = 54329)]
    pub port: u16,
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
    pub target: Target,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Baseline {
    #[command(flatten)]
    pub target: Target,
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
}

#[derive(Debug, Args)]
pub struct Lint {
    /// The migrations folder; default: the workspace's migrations/.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
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
