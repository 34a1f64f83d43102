//! The costs of renaming `users.email` in phases (docs/expand-contract.md), each against what it
//! replaces, in one run: the backfill `new --rename-column` writes, run by migrate on 1,000,000
//! users, against one plain `UPDATE` of the same rows, each with a writer to user rows beside it
//! (what a profile edit or a sign-in that touches the user meets); and the sign-up `INSERT`
//! during the rollout (the two-way sync trigger and the new column's unique indexes) against the
//! same `INSERT` before the expand.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio_postgres::{Client, NoTls};

use crate::measure::{Sample, time_process};
use crate::report::Row;
use crate::server::{Server, TEMPLATE};

/// Users the backfill and its baseline rewrite.
const USERS: u64 = 1_000_000;
/// Sign-ups timed on each side, alternating in blocks so that drift falls on both.
const SIGN_UPS: usize = 2_000;
const BLOCK: usize = 200;
/// The database with the users seeded and the expand applied, copied for each run.
const EXPANDED: &str = "bench_rename_expanded";
/// A query blocked longer than this is a broken sign-in (rehearse's default limit).
const BROKEN: Duration = Duration::from_secs(1);

/// The repository's folder with the files `new --rename-column users.email email_address` adds.
struct Folder {
    /// Holds the files while the scenarios run.
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// The last file of the expand (the indexes), and the backfill's version.
    expand_end: i64,
    backfill: i64,
    batch: usize,
}

fn folder(s: &Server) -> Result<Folder> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("migrations");
    std::fs::create_dir(&path)?;
    for entry in std::fs::read_dir(&s.migrations)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), path.join(entry.file_name()))?;
        }
    }
    let path_text = path.display().to_string();
    time_process(&mut s.xtask([
        "new",
        "--rename-column",
        "users.email",
        "email_address",
        "--migrations",
        &path_text,
    ]))?;
    let migrations = authdb::Migrations::load(&path)?;
    let backfill = migrations
        .list
        .iter()
        .find(|m| m.backfill)
        .context("`new --rename-column` wrote no backfill")?;
    let batch = backfill
        .sql
        .split_whitespace()
        .skip_while(|word| *word != "LIMIT")
        .nth(1)
        .and_then(|n| n.trim_end_matches([')', ';']).parse().ok())
        .context("the backfill's LIMIT")?;
    Ok(Folder {
        expand_end: backfill.version - 1,
        backfill: backfill.version,
        batch,
        _dir: dir,
        path,
    })
}

pub async fn rows(s: &mut Server, runs: usize) -> Result<Vec<Row>> {
    let folder = folder(s)?;
    let path = folder.path.display().to_string();
    let migrate_to = |s: &Server, url: &str, version: i64| {
        let to = version.to_string();
        time_process(&mut s.xtask([
            "migrate",
            "--database-url",
            url,
            "--migrations",
            &path,
            "--to",
            &to,
        ]))
    };

    s.create(EXPANDED, Some(TEMPLATE)).await?;
    let expanded = s.url(EXPANDED);
    let users = USERS.to_string();
    time_process(&mut s.xtask(["seed", "--database-url", &expanded, "--users", &users]))?;
    migrate_to(s, &expanded, folder.expand_end)?;

    // The backfill against the plain UPDATE, alternating, each on a new copy.
    let update = "UPDATE users SET email_address = email \
                  WHERE email_address IS NULL AND email IS NOT NULL";
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut ours_wait, mut theirs_wait) = (Vec::new(), Vec::new());
    // No warm-up run: each run rewrites a million rows, far longer than any cache takes to
    // fill, and the two sides alternate.
    for _ in 0..runs {
        let url = s.database(Some(EXPANDED)).await?;
        let (elapsed, wait) = beside_a_writer(&url, || migrate_to(s, &url, folder.backfill))?;
        ours.push(millis(elapsed));
        ours_wait.push(millis(wait));
        s.drop_database(&url).await?;
        let url = s.database(Some(EXPANDED)).await?;
        let (elapsed, wait) =
            beside_a_writer(&url, || time_process(s.psql(&url).args(["-c", update])))?;
        theirs.push(millis(elapsed));
        theirs_wait.push(millis(wait));
        s.drop_database(&url).await?;
    }
    let (ours, theirs) = (Sample { runs: ours }, Sample { runs: theirs });
    let (ours_wait, theirs_wait) = (Sample { runs: ours_wait }, Sample { runs: theirs_wait });
    let backfill = Row::new(
        &format!(
            "the batched backfill `new --rename-column users.email email_address` writes, \
             run by `migrate` on {USERS} users"
        ),
        ours,
    )
    .baseline("one plain `UPDATE` of the same rows (psql)", theirs)
    .at_most_times(2.0)
    .and_goal(Some(ours_wait.max() < millis(BROKEN)))
    .note(format!(
        "batches of {}; the longest wait of a user-row write beside it: {:.0} ms with the \
         backfill (goal: under {} ms, one batch), {:.0} ms with the plain UPDATE",
        folder.batch,
        ours_wait.max(),
        BROKEN.as_millis(),
        theirs_wait.max()
    ));

    // Sign-ups before the expand and during the rollout.
    let before = s.database(Some(TEMPLATE)).await?;
    let during = s.database(Some(TEMPLATE)).await?;
    migrate_to(s, &during, folder.expand_end)?;
    let (without, with) = sign_ups(&before, &during).await?;
    let sign_up = Row::new(
        "sign-up's `INSERT INTO users` during the rename's rollout (the sync trigger and the \
         new column's two unique indexes), per insert",
        with,
    )
    .baseline("the same INSERT before the expand", without)
    .at_most_times(1.3);
    Ok(vec![backfill, sign_up])
}

/// Runs `work` while a writer updates one user row every 10 ms on its own thread; returns how
/// long `work` took and the writer's longest wait.
fn beside_a_writer(
    url: &str,
    work: impl FnOnce() -> Result<Duration>,
) -> Result<(Duration, Duration)> {
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let writer = {
        let (url, stop) = (url.to_string(), stop.clone());
        std::thread::spawn(move || -> Result<Duration> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(write_users(&url, &stop, ready_tx))
        })
    };
    // The writer is connected and has its rows before the work starts.
    let _ = ready_rx.recv();
    let result = work();
    stop.store(true, Ordering::Relaxed);
    let longest = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer panicked"))??;
    Ok((result?, longest))
}

async fn write_users(
    url: &str,
    stop: &AtomicBool,
    ready: std::sync::mpsc::Sender<()>,
) -> Result<Duration> {
    let client = connect(url).await?;
    // Spread over the table, so some rows are reached late by either side.
    let ids: Vec<String> = client
        .query(
            "SELECT id::text FROM users TABLESAMPLE SYSTEM (1) LIMIT 500",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if ids.is_empty() {
        bail!("no users to write");
    }
    let statement = client
        .prepare("UPDATE users SET name = name WHERE id = $1::text::uuid")
        .await?;
    let _ = ready.send(());
    let mut longest = Duration::ZERO;
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        client.execute(&statement, &[&ids[n % ids.len()]]).await?;
        longest = longest.max(started.elapsed());
        n += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(longest)
}

/// Per-insert latencies of sign-ups on `without` and `with`, in alternating blocks.
async fn sign_ups(without: &str, with: &str) -> Result<(Sample, Sample)> {
    let (a, b) = (connect(without).await?, connect(with).await?);
    let sql = "INSERT INTO users (name, email, email_verified) VALUES ($1, $2, false)";
    let (sa, sb) = (a.prepare(sql).await?, b.prepare(sql).await?);
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    // One block each first, not counted: caches and plans.
    for block in 0..=(SIGN_UPS / BLOCK) {
        for (client, statement, times) in [(&a, &sa, &mut ta), (&b, &sb, &mut tb)] {
            for i in 0..BLOCK {
                let email = format!("signup-{block}-{i}@bench.example");
                let started = Instant::now();
                client.execute(statement, &[&"Bench", &email]).await?;
                if block > 0 {
                    times.push(millis(started.elapsed()));
                }
            }
        }
    }
    Ok((Sample { runs: ta }, Sample { runs: tb }))
}

async fn connect(url: &str) -> Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
