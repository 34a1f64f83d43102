//! `authdb-bench`: measures the speed claims of the issues against baselines in one run and
//! writes the table to bench/RESULTS.md. Run it through `cargo xtask bench`, which builds it and
//! the xtask binary in release mode and starts the server it measures against.

mod container;
mod limit;
mod measure;
mod rename;
mod report;
mod row_by_row;
mod scenarios;
mod server;
mod speed;
mod sqlx;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// The server, without a database: postgres://user:password@host:port (from the
    /// environment, so the password is not on a command line).
    #[arg(long, env = "AUTHDB_BENCH_SERVER", hide_env_values = true)]
    server: String,
    /// The release xtask binary to time.
    #[arg(long)]
    xtask: PathBuf,
    /// The repository's migrations folder.
    #[arg(long)]
    migrations: PathBuf,
    /// The image the server runs, for the container baseline.
    #[arg(long)]
    image: String,
    /// Timed runs per scenario, after one warm-up.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Where to write the markdown table.
    #[arg(long)]
    out: PathBuf,
    /// sqlx-cli's binary, the peer baseline; without it those rows are left out and the page
    /// says why.
    #[arg(long)]
    sqlx: Option<PathBuf>,
    /// Why there is no sqlx-cli binary, for the page.
    #[arg(long)]
    no_sqlx_because: Option<String>,
    /// Only one group of rows, for working on one part; the page then holds only those.
    #[arg(long, value_enum)]
    only: Option<Group>,
}

/// A group of rows that `--only` runs alone.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Group {
    /// migrate's speed: the one-message limit, sqlx-cli, large files.
    Speed,
    /// Only fresh and up-to-date migrate against the one-message limit, sqlx-cli and a process
    /// start: the rows of the hot path, in a minute or two.
    Fresh,
    /// The phased rename: the batched backfill against a plain UPDATE, sign-up with the sync
    /// trigger against without.
    Rename,
}

/// Where `authdb-bench one-message DIR` reads its database URL (not from its arguments, which
/// any user of the machine can read).
const ONE_MESSAGE_URL: &str = "AUTHDB_BENCH_ONE_MESSAGE_URL";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut arguments = std::env::args_os().skip(1);
    if arguments.next().is_some_and(|a| a == "one-message") {
        let dir = PathBuf::from(arguments.next().context("one-message DIR")?);
        let url = std::env::var(ONE_MESSAGE_URL).context(ONE_MESSAGE_URL)?;
        return limit::apply(&url, &dir).await;
    }
    let args = Args::parse();
    let bench = std::env::current_exe()?;
    let mut s =
        server::Server::connect(&args.server, args.xtask.clone(), args.migrations.clone()).await?;
    let runs = args.runs;
    // The heavy scenarios run fewer times: each run takes seconds.
    let heavy = runs.clamp(1, 3);
    let mut rows = Vec::new();
    let sqlx = args.sqlx.as_deref();
    if args.only == Some(Group::Rename) {
        progress("bench: a phased rename on 1,000,000 users: backfill vs UPDATE, sign-up");
        rows.extend(rename::rows(&mut s, heavy).await?);
        return write(&args, &s, rows, runs, heavy);
    }
    progress("bench: fresh migrate vs the one-message limit and sqlx-cli");
    for folder in [speed::Folder::repository(&s)?, speed::Folder::history()?] {
        rows.extend(speed::against_the_limit(&mut s, runs, &folder, &bench, sqlx).await?);
    }
    progress("bench: up-to-date migrate vs process start and sqlx-cli");
    rows.extend(speed::up_to_date(&mut s, runs, &bench, sqlx).await?);
    if args.only == Some(Group::Fresh) {
        return write(&args, &s, rows, runs, heavy);
    }
    progress("bench: one file of 10,000, 100,000 and 400,000 statements");
    rows.extend(speed::linear(&mut s, runs, heavy).await?);
    if args.only == Some(Group::Speed) {
        return write(&args, &s, rows, runs, heavy);
    }
    progress("bench: peak memory");
    rows.push(scenarios::peak_memory(&mut s).await?);
    progress("bench: fresh migrate vs psql");
    rows.push(scenarios::migrate_fresh(&mut s, runs).await?);
    // Before the seed fills the server with dirty pages: a test suite clones small databases.
    progress("bench: fresh test database vs new container");
    rows.push(scenarios::fresh_test_database(&mut s, runs, &args.image).await?);
    progress("bench: up-to-date migrate, status, verify");
    let floor = scenarios::connection_floor(&s, runs)?;
    let read_only = scenarios::read_only_commands(&s, runs, &floor)?;
    let seed_verify = read_only
        .last()
        .map(|r| r.sample())
        .expect("verify is measured");
    rows.extend(read_only);
    progress("bench: verify on 200 tables");
    rows.push(scenarios::verify_wide(&mut s, runs, &seed_verify).await?);
    progress("bench: 100 and 1,000 migrations");
    rows.push(scenarios::many_migrations(&mut s, heavy).await?);
    progress("bench: seed");
    rows.push(scenarios::seed(&mut s, heavy).await?);
    progress("bench: seed memory, 100,000 and 1,000,000 users");
    rows.push(scenarios::seed_memory(&mut s).await?);
    progress("bench: lint");
    rows.extend(scenarios::lint(&s, runs)?);
    progress("bench: lint's memory on a 50 MB migration");
    rows.push(scenarios::lint_memory(&s)?);
    progress("bench: a phased rename on 1,000,000 users: backfill vs UPDATE, sign-up");
    rows.extend(rename::rows(&mut s, heavy).await?);
    write(&args, &s, rows, runs, heavy)
}

/// Writes the page and the table on stdout; says how many goals were missed.
fn write(
    args: &Args,
    s: &server::Server,
    rows: Vec<report::Row>,
    runs: usize,
    heavy: usize,
) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let header = format!(
        "# Benchmark results\n\n\
         Written by `cargo xtask bench` (release build). Machine: {cores} cores, {}. Server: \
         PostgreSQL {} ({}), fsync off, on the same machine. Each scenario: one warm-up, then \
         {runs} runs ({heavy} for the seed, the 1,000 migrations, the container and the rename, the last without a warm-up), median and \
         range; where two commands are compared, their runs alternate, each on a new database \
         created outside the timing. Absolute times vary between machines; the ratios to the \
         baselines, measured in the same run, are the claim.\n{}",
        std::env::consts::OS,
        s.version,
        args.image,
        match (&args.sqlx, &args.no_sqlx_because) {
            (None, Some(why)) => format!("\nThe rows against sqlx-cli are missing: {why}.\n"),
            _ => String::new(),
        },
    );
    let table = report::markdown(&rows, &header);
    std::fs::write(&args.out, &table)?;
    let _ = writeln!(std::io::stdout(), "{table}");
    let missed = rows.iter().filter(|r| r.met() == Some(false)).count();
    if missed > 0 {
        progress(&format!("bench: {missed} goal(s) missed"));
    }
    Ok(())
}

/// A line on stderr for whoever watches. A closed pipe or a full disk loses the line (and the
/// copy of the table on stdout), never the run: the results are in bench/RESULTS.md either way.
fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
