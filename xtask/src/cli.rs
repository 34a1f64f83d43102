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

/// Every command. The first line of each doc comment is what `--help` opens with and what the
/// README's command table says; the last is the example `--help` shows and the table repeats
/// (`tidy` holds the three together).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the next migration's up and down files
    ///
    /// The number is the next free version; the name is snake_case.
    ///
    /// Example: cargo xtask new add_display_name
    New(New),
    /// Apply every pending migration in one transaction, up to the first contract step
    ///
    /// If any statement fails, nothing is applied and the error names the file, line and column.
    /// A contract step (a file that says `-- authdb:contract`) and the files after it wait for
    /// `--contract`, after the rollout: docs/expand-contract.md.
    ///
    /// Example: cargo xtask migrate --dry-run
    Migrate(Migrate),
    /// List each migration as applied, pending, unfinished, modified, missing, renamed, different or unrecorded
    ///
    /// Example: cargo xtask status --json
    Status(Status),
    /// Revert the last migration (--to N, --all) with its down file, after confirmation
    ///
    /// The plan says what each down file drops, and how many rows, before anything runs.
    ///
    /// Example: cargo xtask rollback --to 6 --dry-run
    Rollback(Rollback),
    /// Load the demo users, or --users N synthetic ones
    ///
    /// Local databases only, unless --allow-remote.
    ///
    /// Example: cargo xtask seed --users 100000
    Seed(Seed),
    /// Start (or reuse) a local PostgreSQL, migrate, verify, seed the demo users
    ///
    /// One command to a working database: this checkout's own container, its data kept between
    /// runs, on port 54329 or, when another checkout holds that, the next free one.
    ///
    /// Example: cargo xtask dev --write-env
    Dev(Dev),
    /// Check a database: migrations applied and unchanged, schema equal to the snapshot
    ///
    /// Example: cargo xtask verify --json
    Verify(Verify),
    /// Bring a database the old script built under authdb: plan (or --apply) the script that reconciles it with the snapshot, rows and all
    ///
    /// Example: cargo xtask adopt --output adopt.sql
    Adopt(Adopt),
    /// Adopt a database whose schema already equals the snapshot: record the migrations without running anything
    ///
    /// Example: cargo xtask baseline --json
    Baseline(Baseline),
    /// Write migrations/schema.snapshot and its picture migrations/schema.md from a throwaway PostgreSQL container
    ///
    /// Example: cargo xtask snapshot --check
    Snapshot(Snapshot),
    /// Check the migrations offline: names, migrations.lock, syntax, unsafe changes
    ///
    /// Example: cargo xtask lint --update-lock
    Lint(Lint),
    /// What the git hook runs: cargo fmt --check, clippy, lint
    ///
    /// On the tree the commit records, and only what the staged paths need.
    ///
    /// Example: cargo xtask pre-commit
    PreCommit(PreCommit),
    /// Install the git pre-commit hook (without the pre-commit framework)
    ///
    /// Example: cargo xtask hooks install
    Hooks(Hooks),
    /// Measure the speed claims against their baselines; writes bench/RESULTS.md
    ///
    /// A release build and one throwaway PostgreSQL container.
    ///
    /// Example: cargo xtask bench --runs 9
    Bench(Bench),
    /// Build the offline PostgreSQL image authdb/postgres:17 and the tests' PgBouncer authdb/pgbouncer:1
    ///
    /// From Debian's packages, with mmdebstrap, for machines that no container registry serves.
    ///
    /// Example: cargo xtask image --postgres 15
    Image(Image),
    /// Run all tests against PostgreSQL in containers
    ///
    /// The test binaries run side by side, each with its own container; the offline image is
    /// built first where no registry has the official one.
    ///
    /// Example: cargo xtask test-db -- rollback --nocapture
    TestDb(TestDb),
    /// Check the guarantees over many generated folders and operation sequences
    ///
    /// The torture suite, longer than test-db runs it: each case a generated folder and
    /// operations on it (concurrent migrators, kill -9, paused servers...) checked against a
    /// model; exit code 1 with the smallest failing case.
    ///
    /// Example: cargo xtask torture --cases 10000 --jobs 2
    Torture(Torture),
    /// Apply the new migrations to a seeded throwaway PostgreSQL while a probe plays the service's queries: what they block, and for how long
    ///
    /// Exit code 1 when a probe query was blocked longer than --max-block, or failed.
    ///
    /// Example: cargo xtask rehearse --from 8
    Rehearse(Rehearse),
    /// Write every command's --help into docs/commands.md
    ///
    /// So that the flags the docs list are the flags the binary has.
    ///
    /// Example: cargo xtask docs
    Docs(Docs),
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
            | Command::TestDb(_)
            | Command::Torture(_)
            | Command::Docs(_) => false,
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
    #[arg(required_unless_present_any = ["rename_column", "change_type"])]
    pub name: Option<String>,
    /// Rename a column while two app versions are live: write the expand (new column and a
    /// trigger keeping both in step), a CONCURRENTLY unique index per unique index of the old
    /// column, a batched backfill and the contract step, from migrations/schema.snapshot.
    #[arg(
        long,
        num_args = 2,
        value_names = ["TABLE.COLUMN", "NEW_NAME"],
        conflicts_with = "name"
    )]
    pub rename_column: Option<Vec<String>>,
    /// Change a column's type without the rewrite's long lock: write the expand (the new type
    /// beside it, set by a trigger), a CONCURRENTLY index per index of the column, a batched
    /// backfill and the swap into the column's place (held as a contract step).
    #[arg(
        long,
        num_args = 2,
        value_names = ["TABLE.COLUMN", "TYPE"],
        conflicts_with_all = ["name", "rename_column"]
    )]
    pub change_type: Option<Vec<String>>,
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
    /// Apply the contract steps too (files that say `-- authdb:contract`): without it migrate
    /// stops before the first pending one and says what it held back. Run it after the rollout,
    /// once no running app version uses what they remove.
    #[arg(long)]
    pub contract: bool,
    #[command(flatten)]
    pub versions: Versions,
    /// Pause this long between two batches of a backfill (a file that says `-- authdb:backfill`),
    /// for the service's writes and replicas to catch up (0 or off: no pause).
    #[arg(
        long,
        value_name = "DURATION",
        env = BACKFILL_PAUSE,
        value_parser = limit(BACKFILL_PAUSE),
        allow_negative_numbers = true,
        default_value = "off"
    )]
    pub backfill_pause: Limit,
    /// For a no-transaction migration an earlier run started and did not see finish, where the
    /// catalog cannot tell: `applied` records it, `retry` runs it again.
    #[arg(long, value_name = "applied|retry", value_parser = unfinished_answer)]
    pub unfinished: Option<authdb::unfinished::Answer>,
    /// Drop an INVALID index that a pending no-transaction migration builds (left by a failed
    /// CREATE INDEX CONCURRENTLY) and build it again, instead of refusing.
    #[arg(long)]
    pub repair_invalid_indexes: bool,
    #[command(flatten)]
    pub timeouts: Timeouts,
    #[command(flatten)]
    pub retries: LockRetries,
    /// After the report, where the time went: connecting, the migration lock, reading the
    /// history, and each transaction group's messages, server time and commit (`--json` always
    /// carries them, under `report.timings`).
    #[arg(long)]
    pub timings: bool,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The app versions that may be live during a deploy (see `authdb::live`).
#[derive(Debug, Args)]
pub struct Versions {
    /// The app versions that may be live, one file of the SQL each sends (`v41.sql`): before
    /// each COMMIT every query is prepared, and one that would fail refuses the run. Default:
    /// the workspace's versions/ when --migrations is not given (none if it does not exist).
    #[arg(long, value_name = "DIR", value_parser = versions_folder)]
    pub versions: Option<PathBuf>,
}

impl Versions {
    /// The declared queries: from --versions, else from the workspace's versions/ when the
    /// migrations are the workspace's too (another folder's versions are not these).
    pub fn load(&self, folder: &Folder) -> anyhow::Result<Vec<authdb::live::LiveQuery>> {
        let dir = match (&self.versions, &folder.migrations) {
            (Some(dir), _) => dir.clone(),
            (None, None) => crate::project_root().join("versions"),
            (None, Some(_)) => return Ok(Vec::new()),
        };
        Ok(authdb::live::load(&dir)?)
    }
}

/// `--versions DIR`: a folder that exists, since a mistyped one would check nothing.
fn versions_folder(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.is_dir() {
        true => Ok(path),
        false => Err("no such folder (one file of SQL per live app version)".to_string()),
    }
}

/// `rehearse --hold-lock users:10s`.
fn hold_lock(text: &str) -> Result<authdb::rehearse::Hold, String> {
    let (table, duration) = text
        .split_once(':')
        .ok_or("expected TABLE:DURATION, e.g. users:10s")?;
    let duration = duration
        .parse::<Limit>()
        .map_err(|e| e.to_string())?
        .duration()
        .ok_or("the hold needs an end: a duration, not 0 or off")?;
    Ok(authdb::rehearse::Hold {
        table: table.to_string(),
        duration,
    })
}

/// `migrate --unfinished`.
fn unfinished_answer(text: &str) -> Result<authdb::unfinished::Answer, String> {
    match text {
        "applied" => Ok(authdb::unfinished::Answer::Applied),
        "retry" => Ok(authdb::unfinished::Answer::Retry),
        _ => Err("expected `applied` (it took effect) or `retry` (run it again)".into()),
    }
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

/// What migrate does when a statement gives up waiting for a table lock the application holds:
/// roll back and try again, waiting briefly at first.
#[derive(Debug, Args)]
pub struct LockRetries {
    /// Roll back and try again this many times when a statement gives up waiting for a table
    /// lock; attempts wait 100 ms, then twice as long each time up to --lock-timeout (0: no retry).
    #[arg(
        long,
        value_name = "N",
        env = LOCK_RETRIES,
        value_parser = retries,
        default_value_t = authdb::retry::DEFAULT_LOCK_RETRIES
    )]
    pub lock_retries: u32,
    /// Stop retrying once this long has passed since the first attempt (0 or off: no limit).
    #[arg(
        long,
        value_name = "DURATION",
        env = LOCK_RETRY_TIME,
        value_parser = limit(LOCK_RETRY_TIME),
        allow_negative_numbers = true,
        default_value_t = Limit::from(authdb::retry::DEFAULT_LOCK_RETRY_TIME)
    )]
    pub lock_retry_time: Limit,
}

const LOCK_RETRIES: &str = "AUTHDB_LOCK_RETRIES";
const LOCK_RETRY_TIME: &str = "AUTHDB_LOCK_RETRY_TIME";
const BACKFILL_PAUSE: &str = "AUTHDB_BACKFILL_PAUSE";

/// `--lock-retries`: 0 to 1000.
fn retries(text: &str) -> Result<u32, String> {
    let parsed = text.trim().parse::<u32>().ok().filter(|n| *n <= 1000);
    parsed.ok_or_else(|| {
        let from = if std::env::var(LOCK_RETRIES).is_ok_and(|value| value == text) {
            format!(" (the value of the environment variable {LOCK_RETRIES})")
        } else {
            String::new()
        };
        format!("expected a number of retries from 0 to 1000{from}")
    })
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
    /// The loopback port to publish the database on (default 54329, or the next free one when
    /// another checkout holds it); taken, it is an error. On an existing container, moves it there
    /// (a new container on the same data).
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
pub struct Docs {}

#[derive(Debug, Args)]
pub struct Hooks {
    #[command(subcommand)]
    pub command: HooksCommand,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Install the git pre-commit hook (without the pre-commit framework)
    ///
    /// The hook runs `cargo xtask pre-commit`; a hook authdb did not write is kept unless --force.
    ///
    /// Example: cargo xtask hooks install
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
    /// Only one group of rows, written to `target/bench-GROUP.md` instead of bench/RESULTS.md:
    /// `fresh` (fresh and up-to-date migrate against the one-message limit, sqlx-cli and a
    /// process start: a minute or two), `speed` (those, and files of 10,000 to 400,000
    /// statements) or `rename` (the phased rename's backfill and sign-up on 1,000,000 users).
    #[arg(long, value_name = "GROUP", value_parser = ["fresh", "speed", "rename"])]
    pub only: Option<String>,
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
pub struct Torture {
    /// How many generated cases (folder and operations) to run, in all.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: u32,
    /// The first job's random seed (job k uses seed + k): the same seed runs the same cases.
    #[arg(long, value_name = "S", default_value_t = 22)]
    pub seed: u64,
    /// Jobs at once, each with its own PostgreSQL container (a paused server pauses one job).
    #[arg(long, value_name = "J", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub jobs: u32,
    /// Longer pauses, and pauses past the deadlines more often.
    #[arg(long)]
    pub heavy: bool,
    /// Build and run optimised: many more cases per hour.
    #[arg(long)]
    pub release: bool,
    /// Also run the general test on hostile inputs (every command against generated folders,
    /// URLs, .env files, closed pipes, stalled listeners) this many cases, beside the jobs (0:
    /// not at all).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub hostile_cases: u32,
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
    pub versions: Versions,
    /// A service transaction locks a row of TABLE for DURATION as the migrations start (users:10s):
    /// what a deploy meets when a request runs long, and how the lock retries wait it out.
    #[arg(long, value_name = "TABLE:DURATION", value_parser = hold_lock)]
    pub hold_lock: Option<authdb::rehearse::Hold>,
    #[command(flatten)]
    pub timeouts: Timeouts,
    #[command(flatten)]
    pub retries: LockRetries,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}
