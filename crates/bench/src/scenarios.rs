//! Each speed claim of the issues, with the baseline it is compared against in the same run.
//! Every timed command is the built binary as a user runs it, connection included.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::measure::{
    Sample, peak_rss_mib, peak_rss_mib_exiting, repeat, time_process, time_process_exiting,
};
use crate::report::Row;
use crate::server::{Server, TEMPLATE};

/// Users in the COPY seed, and in the row-by-row baseline (compared per user).
const SEED_USERS: u64 = 100_000;
const SEED_BASELINE_USERS: u64 = 5_000;
/// The size of the migration lint's memory is measured on.
const LARGE_MIGRATION: usize = 50_000_000;
/// The seed's default RNG seed, for the baseline.
const SEED: u64 = 42;
/// Users in the memory scenario: ten times the timed seed.
const SEED_MEMORY_USERS: u64 = 1_000_000;

/// Times `run` on `1 + runs` new databases (copies of `template`, or empty); drops the warm-up.
async fn on_new_databases(
    s: &mut Server,
    runs: usize,
    template: Option<&str>,
    run: impl Fn(&Server, &str) -> Result<Duration>,
) -> Result<Sample> {
    let mut timings = Vec::with_capacity(runs);
    for i in 0..=runs {
        let url = s.database(template).await?;
        let elapsed = run(s, &url)?;
        if i > 0 {
            timings.push(elapsed.as_secs_f64() * 1000.0);
        }
    }
    Ok(Sample { runs: timings })
}

fn migrate(s: &Server, url: &str, dir: &Path) -> Result<Duration> {
    time_process(
        s.xtask(["migrate", "--database-url", url])
            .arg("--migrations")
            .arg(dir),
    )
}

/// The baseline of a fresh migrate: see [`Server::psql_migrate`].
const PSQL_MIGRATE: &str = "`psql -f` over the same files, in migrate's transactions";

pub async fn migrate_fresh(s: &mut Server, runs: usize) -> Result<Row> {
    let dir = s.migrations.clone();
    let ours = on_new_databases(s, runs, None, |s, url| migrate(s, url, &dir)).await?;
    let psql = on_new_databases(s, runs, None, |s, url| {
        time_process(&mut s.psql_migrate(url, &dir)?)
    })
    .await?;
    let count = authdb::Migrations::load(&dir)?.list.len();
    let name = format!("fresh `migrate` (the repository's {count} migrations)");
    Ok(Row::new(&name, ours)
        .baseline(PSQL_MIGRATE, psql)
        .at_most_times(1.5))
}

/// The cost of starting a process and connecting: what every command pays at least.
pub fn connection_floor(s: &Server, runs: usize) -> Result<Sample> {
    let url = s.url(TEMPLATE);
    repeat(runs, || time_process(s.psql(&url).args(["-c", "SELECT 1"])))
}

pub fn read_only_commands(s: &Server, runs: usize, floor: &Sample) -> Result<Vec<Row>> {
    let url = s.url(TEMPLATE);
    let dir = s.migrations.clone();
    let command = |verb: &'static str| {
        repeat(runs, || {
            time_process(
                s.xtask([verb, "--database-url", &url])
                    .arg("--migrations")
                    .arg(&dir),
            )
        })
    };
    let floor_name = "`psql -c 'SELECT 1'` (connect and one query)";
    Ok(vec![
        Row::new("`migrate` when up to date", command("migrate")?)
            .baseline(floor_name, floor.clone())
            .under_ms(50.0),
        Row::new("`status`", command("status")?).baseline(floor_name, floor.clone()),
        Row::new("`verify` on the seed schema", command("verify")?)
            .baseline(floor_name, floor.clone())
            .under_ms(100.0),
    ])
}

/// A migrations folder whose one migration creates a 200-table schema, with its snapshot.
async fn wide_schema(s: &mut Server, tables: usize) -> Result<(tempfile::TempDir, String)> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("001_wide.sql"),
        authdb_bench::schema::bench_schema_sql(tables),
    )?;
    // Every migration has its undo (migrate refuses a folder without): the tables, newest first.
    let tables_down: Vec<String> = (0..tables).rev().map(|i| format!("bench_{i:03}")).collect();
    std::fs::write(
        dir.path().join("001_wide.down.sql"),
        format!(
            "DROP TABLE {};\nDROP FUNCTION bench_touch();\n",
            tables_down.join(", ")
        ),
    )?;
    let url = s.database(None).await?;
    migrate(s, &url, dir.path())?;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let snapshot = authdb::Snapshot::capture(&client).await?;
    std::fs::write(
        dir.path().join(authdb::snapshot::SNAPSHOT_FILE),
        snapshot.to_text(),
    )?;
    Ok((dir, url))
}

pub async fn verify_wide(s: &mut Server, runs: usize, seed_verify: &Sample) -> Result<Row> {
    let (dir, url) = wide_schema(s, 200).await?;
    let ours = repeat(runs, || {
        time_process(
            s.xtask(["verify", "--database-url", &url])
                .arg("--migrations")
                .arg(dir.path()),
        )
    })?;
    Ok(Row::new("`verify` on a 200-table schema", ours)
        .baseline(
            "`verify` on the seed schema (4 tables)",
            seed_verify.clone(),
        )
        .under_ms(1000.0))
}

/// Applying many small migrations: the time per migration must not grow with their number.
pub async fn many_migrations(s: &mut Server, runs: usize) -> Result<Row> {
    let mut per_migration = Vec::new();
    for count in [100, 1000] {
        let dir = tempfile::tempdir()?;
        authdb_bench::generate::write_generated(dir.path(), count)?;
        let sample = on_new_databases(s, runs, None, |s, url| migrate(s, url, dir.path())).await?;
        per_migration.push(sample.per(count as f64));
    }
    let thousand = per_migration.pop().expect("two samples");
    let hundred = per_migration.pop().expect("two samples");
    Ok(Row::new(
        "`migrate` 1,000 generated migrations, per migration",
        thousand,
    )
    .baseline("the same for 100 migrations, per migration", hundred)
    .at_most_times(1.5))
}

/// `seed --users N` as a user runs it (process start and connection included).
fn seed_command(s: &Server, url: &str, users: u64) -> std::process::Command {
    let users = users.to_string();
    s.xtask(["seed", "--json", "--database-url", url, "--users", &users])
}

pub async fn seed(s: &mut Server, runs: usize) -> Result<Row> {
    let copy = on_new_databases(s, runs, Some(TEMPLATE), |s, url| {
        time_process(&mut seed_command(s, url, SEED_USERS))
    })
    .await?;
    // The baseline is not a command any more: it runs here, connection included, writing the
    // same rows from the library's generator with one INSERT each (process start, a few ms,
    // is the only thing it does not pay).
    let mut rows = Vec::with_capacity(runs);
    for i in 0..=runs {
        let url = s.database(Some(TEMPLATE)).await?;
        let started = Instant::now();
        let (mut client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
        let connection = tokio::spawn(connection);
        crate::row_by_row::seed(&mut client, SEED_BASELINE_USERS, SEED).await?;
        drop(client);
        connection.await??;
        if i > 0 {
            rows.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let rows = Sample { runs: rows };
    Ok(Row::new(
        "`seed --users 100000` (COPY), per 1,000 users",
        copy.per(SEED_USERS as f64 / 1000.0),
    )
    .baseline(
        "row-by-row INSERTs (5,000 users), per 1,000 users",
        rows.per(SEED_BASELINE_USERS as f64 / 1000.0),
    )
    .at_most_times(0.1)
    .note(format!(
        "whole seed: median {:.1} s (goal < 15 s)",
        copy.median() / 1000.0
    )))
}

/// Rows are streamed, never collected: ten times the users must not need more memory.
pub async fn seed_memory(s: &mut Server) -> Result<Row> {
    let mut peak = Vec::new();
    for users in [SEED_USERS, SEED_MEMORY_USERS] {
        let url = s.database(Some(TEMPLATE)).await?;
        peak.push(peak_rss_mib(&mut seed_command(s, &url, users))?);
    }
    Ok(Row::memory("peak RSS of `seed --users 1000000`", peak[1])
        .baseline(
            "peak RSS of `seed --users 100000`",
            Sample {
                runs: vec![peak[0]],
            },
        )
        .at_most_times(1.2))
}

/// A test's fresh database, cloned from the migrated template, against a new container.
pub async fn fresh_test_database(s: &mut Server, runs: usize, image: &str) -> Result<Row> {
    let mut clones = Vec::new();
    for i in 0..=runs {
        let name = s.next_name();
        let started = Instant::now();
        s.create(&name, Some(TEMPLATE)).await?;
        if i > 0 {
            clones.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let mut containers = Vec::new();
    for i in 0..=runs.min(3) {
        let elapsed = crate::container::start_and_wait(image).await?;
        if i > 0 {
            containers.push(elapsed.as_secs_f64() * 1000.0);
        }
    }
    Ok(Row::new(
        "a fresh per-test database (CREATE DATABASE … TEMPLATE)",
        Sample { runs: clones },
    )
    .baseline(
        "a new PostgreSQL container, until it accepts connections",
        Sample { runs: containers },
    )
    .under_ms(150.0))
}

pub fn lint(s: &Server, runs: usize) -> Result<Vec<Row>> {
    let recorded = tempfile::tempdir()?;
    authdb_bench::generate::write_generated(recorded.path(), 1000)?;
    // The same without a lock: every file is new, so every statement is parsed and every rule
    // runs (exit 1: each file is reported as not recorded yet).
    let new = tempfile::tempdir()?;
    authdb_bench::generate::write_generated(new.path(), 1000)?;
    std::fs::remove_file(new.path().join(authdb_lint::LOCK_FILE))?;
    let lint = |dir: &Path, code: i32| {
        repeat(runs, || {
            time_process_exiting(s.xtask(["lint"]).arg("--migrations").arg(dir), code)
        })
    };
    let floor = repeat(runs, || time_process(&mut s.xtask(["--help"])))?;
    let repo = lint(&s.migrations, 0)?;
    let thousand = lint(recorded.path(), 0)?;
    let thousand_new = lint(new.path(), 1)?;
    Ok(vec![
        Row::new("`lint` on the repository's migrations", repo.clone())
            .baseline("`xtask --help` (process start)", floor)
            .under_ms(10.0),
        Row::new("`lint` on 1,000 generated migrations", thousand)
            .baseline("`lint` on the repository's migrations", repo.clone())
            .under_ms(200.0),
        // No goal of the issues: nobody has 1,000 migrations not yet recorded, but it shows
        // what checking one statement costs.
        Row::new(
            "`lint` on 1,000 generated migrations, none recorded (every statement checked)",
            thousand_new,
        )
        .baseline("`lint` on the repository's migrations", repo),
    ])
}

/// lint's memory on one 50 MB migration, parsed statement by statement, against the size of
/// the file, which lint holds once (the pg_query lint before it needed 5.8 GB here). The file is
/// new (no lock), so every statement goes through the parser and the rules; lint exits 1 since
/// it is not recorded yet.
pub fn lint_memory(s: &Server) -> Result<Row> {
    let dir = tempfile::tempdir()?;
    authdb_bench::generate::write_large(dir.path(), LARGE_MIGRATION)?;
    let size = std::fs::metadata(dir.path().join("001_bulk_import.sql"))?.len();
    let peak = peak_rss_mib_exiting(s.xtask(["lint"]).arg("--migrations").arg(dir.path()), 1)?;
    Ok(
        Row::memory("peak RSS of `lint` on a 50 MB migration", peak).baseline(
            "the migration's size",
            Sample {
                runs: vec![size as f64 / (1024.0 * 1024.0)],
            },
        ),
    )
}

pub async fn peak_memory(s: &mut Server) -> Result<Row> {
    let url = s.database(None).await?;
    let ours = peak_rss_mib(
        s.xtask(["migrate", "--database-url", &url])
            .arg("--migrations")
            .arg(&s.migrations),
    )?;
    let url = s.database(None).await?;
    let psql = peak_rss_mib(&mut s.psql_migrate(&url, &s.migrations)?)?;
    Ok(Row::memory("peak RSS of fresh `migrate`", ours).baseline(
        &format!("peak RSS of {PSQL_MIGRATE}"),
        Sample { runs: vec![psql] },
    ))
}
