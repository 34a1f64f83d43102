//! `authdb-bench`: measures the speed claims of the issues against baselines in one run and
//! writes the table to bench/RESULTS.md. Run it through `cargo xtask bench`, which builds it and
//! the xtask binary in release mode and starts the server it measures against.

mod container;
mod measure;
mod report;
mod row_by_row;
mod scenarios;
mod server;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
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
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut s = server::Server::connect(&args.server, args.xtask, args.migrations).await?;
    let runs = args.runs;
    // The heavy scenarios run fewer times: each run takes seconds.
    let heavy = runs.clamp(1, 3);
    let mut rows = Vec::new();
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

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let header = format!(
        "# Benchmark results\n\n\
         Written by `cargo xtask bench` (release build). Machine: {cores} cores, {}. Server: \
         PostgreSQL {} ({}), fsync off, on the same machine. Each scenario: one warm-up, then \
         {runs} runs ({heavy} for the seed, the 1,000 migrations and the container), median and \
         range. Absolute times vary between machines; the ratios to the baselines, measured in \
         the same run, are the claim.\n",
        std::env::consts::OS,
        s.version,
        args.image,
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
