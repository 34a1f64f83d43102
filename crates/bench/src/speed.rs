//! The speed claims of issue 31: migrate is linear in a file's size, near the one-message limit
//! on real-shaped folders, and ahead of sqlx-cli. Each side of a comparison is a process started
//! the way a user starts it, on its own new database (created outside the timing: "net of
//! creating the database"), the sides taking turns within each run so that a slow minute of the
//! machine falls on all of them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::measure::{Sample, peak_rss_mib, time_process};
use crate::report::Row;
use crate::server::Server;

/// The sizes of the linearity rows, in statements.
const SMALL: usize = 10_000;
const MEDIUM: usize = 100_000;
const LARGE: usize = 400_000;

/// Paired runs of a fresh migrate at least: each takes well under a second, and a 2-core
/// machine's noise (one slow run in three) moved a median of three by a fifth.
const FRESH_RUNS: usize = 9;

/// Times `a` and `b` on `1 + runs` new databases each, alternating; drops the warm-up pair.
async fn paired(
    s: &mut Server,
    runs: usize,
    a: impl Fn(&Server, &str) -> Command,
    b: impl Fn(&Server, &str) -> Command,
) -> Result<(Sample, Sample)> {
    let mut samples = rotated(s, runs, &[&a, &b]).await?.into_iter();
    let first = samples.next().expect("one sample per command");
    let second = samples.next().expect("one sample per command");
    Ok((first, second))
}

/// A command to time on a new database: the server and the database's URL.
type OnDatabase<'a> = &'a dyn Fn(&Server, &str) -> Command;

/// Times each of `commands` on `1 + runs` new databases, in turn within each run so that a
/// slow minute of the machine falls on all of them, and each run starting one further along so
/// that none always follows the same one (whose server work, a checkpoint or the WAL of many
/// commits, may spill into the next); drops the warm-up run. One sample per command, in their
/// order.
async fn rotated(s: &mut Server, runs: usize, commands: &[OnDatabase<'_>]) -> Result<Vec<Sample>> {
    let mut samples = vec![Vec::new(); commands.len()];
    for i in 0..=runs {
        for turn in 0..commands.len() {
            let which = (i + turn) % commands.len();
            let url = s.database(None).await?;
            let took = time_process(&mut commands[which](s, &url))?;
            if i > 0 {
                samples[which].push(ms(took));
            }
        }
    }
    Ok(samples.into_iter().map(|runs| Sample { runs }).collect())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn migrate(s: &Server, url: &str, dir: &Path) -> Command {
    let mut command = s.xtask(["migrate", "--database-url", url]);
    command.arg("--migrations").arg(dir);
    command
}

/// `psql -1 -f FILE`: the whole file in one transaction, a statement per round trip.
fn psql_single(s: &Server, url: &str, file: &Path) -> Command {
    let mut command = s.psql(url);
    command.arg("-1").arg("-f").arg(file);
    command
}

/// The linearity rows: time per statement across 10k, 100k and 400k statements, the 400k file
/// beside `psql -1 -f`, and migrate's peak memory on it beside the file's size.
pub async fn linear(s: &mut Server, runs: usize, heavy: usize) -> Result<Vec<Row>> {
    let mut per_thousand = Vec::new();
    let mut large = None;
    for (count, runs) in [(SMALL, runs), (MEDIUM, heavy), (LARGE, heavy)] {
        let dir = tempfile::tempdir()?;
        let size = authdb_bench::generate::write_statements(dir.path(), count)?;
        let file = dir.path().join("001_data.sql");
        if count == LARGE {
            let (ours, psql) = paired(
                s,
                runs,
                |s, url| migrate(s, url, dir.path()),
                |s, url| psql_single(s, url, &file),
            )
            .await?;
            per_thousand.push(ours.per(count as f64 / 1000.0));
            let url = s.database(None).await?;
            let peak = peak_rss_mib(&mut migrate(s, &url, dir.path()))?;
            large = Some((ours, psql, peak, size));
        } else {
            let mut sample = Vec::new();
            for i in 0..=runs {
                let url = s.database(None).await?;
                let took = time_process(&mut migrate(s, &url, dir.path()))?;
                if i > 0 {
                    sample.push(ms(took));
                }
            }
            per_thousand.push(Sample { runs: sample }.per(count as f64 / 1000.0));
        }
    }
    let (ours, psql, peak, size) = large.expect("the large file is measured");
    let small_name = "the same for 10,000 statements, per 1,000";
    Ok(vec![
        Row::new(
            "`migrate` one file of 100,000 INSERTs, per 1,000 statements",
            per_thousand[1].clone(),
        )
        .baseline(small_name, per_thousand[0].clone())
        .at_most_times(1.5),
        Row::new(
            "`migrate` one file of 400,000 INSERTs, per 1,000 statements",
            per_thousand[2].clone(),
        )
        .baseline(small_name, per_thousand[0].clone())
        .at_most_times(1.5),
        Row::new("`migrate` one file of 400,000 INSERTs", ours)
            .baseline("`psql -1 -f` on the same file", psql)
            .at_most_times(1.0),
        Row::memory("peak RSS of `migrate` on the 400,000-INSERT file", peak)
            .baseline(
                "the file's size",
                Sample {
                    runs: vec![size as f64 / (1024.0 * 1024.0)],
                },
            )
            .at_most_times(3.0),
    ])
}

/// A folder of the comparison rows: the repository's, or a generated history shaped like a
/// real one.
pub struct Folder {
    pub name: String,
    pub dir: PathBuf,
    /// Keeps a generated folder alive.
    _temp: Option<tempfile::TempDir>,
}

impl Folder {
    pub fn repository(s: &Server) -> Result<Folder> {
        let count = authdb::Migrations::load(&s.migrations)?.list.len();
        Ok(Folder {
            name: format!("the repository's {count} migrations"),
            dir: s.migrations.clone(),
            _temp: None,
        })
    }

    /// 320 files: tables and their changes, a trigger function in dollar quotes every tenth
    /// file, a concurrent index under `-- authdb:no-transaction` every hundredth.
    pub fn history() -> Result<Folder> {
        let temp = tempfile::tempdir()?;
        authdb_bench::generate::write_history(temp.path(), 320)?;
        Ok(Folder {
            name: "a generated history of 320 migrations, 3 of them no-transaction".into(),
            dir: temp.path().to_path_buf(),
            _temp: Some(temp),
        })
    }
}

/// Fresh migrate of `folder` beside the one-message limit (at most 1.2x) and, when it could be
/// installed, sqlx-cli (at most 0.6x), the three in turn on each run. A third row puts the limit
/// itself beside sqlx-cli, from the same runs: no migrator that locks and keeps a history can
/// beat the limit, so that ratio is the floor of the 0.6x goal on this machine.
pub async fn against_the_limit(
    s: &mut Server,
    runs: usize,
    folder: &Folder,
    bench: &Path,
    sqlx: Option<&Path>,
) -> Result<Vec<Row>> {
    let dir = folder.dir.as_path();
    let runs = runs.max(FRESH_RUNS);
    let converted = match sqlx {
        Some(_) => Some(crate::sqlx::convert(dir)?),
        None => None,
    };
    let ours = |s: &Server, url: &str| migrate(s, url, dir);
    let limit = |s: &Server, url: &str| one_message(s, bench, url, dir);
    let peer = |s: &Server, url: &str| {
        let (sqlx, converted) = sqlx.zip(converted.as_ref()).expect("sqlx-cli is installed");
        crate::sqlx::migrate_run(sqlx, s, url, converted.path())
    };
    let mut commands: Vec<OnDatabase> = vec![&ours, &limit];
    if sqlx.is_some() {
        commands.push(&peer);
    }
    let mut samples = rotated(s, runs, &commands).await?.into_iter();
    let (ours, limit) = (
        samples.next().expect("migrate's sample"),
        samples.next().expect("the limit's sample"),
    );
    let name = format!("fresh `migrate` ({})", folder.name);
    let limit_name = "the one-message limit: each transaction group sent as one message by a \
                      process that only connects and sends";
    let note = format!("{runs} runs, in turn with the baselines");
    let mut rows = vec![
        Row::new(&name, ours.clone())
            .baseline(limit_name, limit.clone())
            .at_most_times(1.2)
            .note(note.clone()),
    ];
    if let Some(peer) = samples.next() {
        let sqlx_name = "`sqlx migrate run` (sqlx-cli 0.9)";
        rows.push(
            Row::new(&name, ours)
                .baseline(sqlx_name, peer.clone())
                .at_most_times(0.6)
                .note(note.clone()),
        );
        rows.push(
            Row::new(&format!("{limit_name} ({})", folder.name), limit)
                .baseline(sqlx_name, peer)
                .note(format!(
                    "{note}; the floor of the 0.6x goal: no migrator that locks and records \
                     what it applied sends less"
                )),
        );
    }
    Ok(rows)
}

/// `authdb-bench one-message DIR`, the limit's process (see `limit.rs`).
fn one_message(s: &Server, bench: &Path, url: &str, dir: &Path) -> Command {
    let mut command = s.command(bench);
    command
        .arg("one-message")
        .arg(dir)
        .env(crate::ONE_MESSAGE_URL, url);
    command
}

/// migrate with nothing to do: within 2 ms of a process start (`xtask --help`) and no slower
/// than sqlx-cli's up-to-date run. A second row puts it beside a process that only connects
/// (`authdb-bench one-message` on an empty folder): connecting alone costs more than 2 ms, so
/// that row shows what migrate adds to the connection it cannot do without; a third puts that
/// process beside `--help`, the part of the first goal no client can save.
pub async fn up_to_date(
    s: &mut Server,
    runs: usize,
    bench: &Path,
    sqlx: Option<&Path>,
) -> Result<Vec<Row>> {
    let dir = s.migrations.clone();
    let url = s.database(None).await?;
    time_process(&mut migrate(s, &url, &dir))?;
    let converted = crate::sqlx::convert(&dir)?;
    let peer_url = s.database(None).await?;
    if let Some(sqlx) = sqlx {
        time_process(&mut crate::sqlx::migrate_run(
            sqlx,
            s,
            &peer_url,
            converted.path(),
        ))?;
    }
    let empty = tempfile::tempdir()?;
    let (mut ours, mut help, mut peer, mut connect) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..=runs {
        let a = time_process(&mut migrate(s, &url, &dir))?;
        let b = time_process(&mut s.xtask(["--help"]))?;
        let c = match sqlx {
            Some(sqlx) => Some(time_process(&mut crate::sqlx::migrate_run(
                sqlx,
                s,
                &peer_url,
                converted.path(),
            ))?),
            None => None,
        };
        let d = time_process(&mut one_message(s, bench, &url, empty.path()))?;
        if i > 0 {
            ours.push(ms(a));
            help.push(ms(b));
            peer.extend(c.map(ms));
            connect.push(ms(d));
        }
    }
    let ours = Sample { runs: ours };
    let name = "`migrate` when up to date (the repository's folder)";
    let mut row = Row::new(name, ours.clone())
        .baseline(
            "`xtask --help` (process start)",
            Sample { runs: help.clone() },
        )
        .within_ms_of_baseline(2.0);
    if sqlx.is_some() {
        let peer = Sample { runs: peer };
        let ratio = ours.median() / peer.median();
        row = row.and_goal(Some(ratio <= 1.0)).note(format!(
            "and `sqlx migrate run` when up to date: median {:.1} ms, ratio {ratio:.2}×, goal ≤ 1.0",
            peer.median()
        ));
    }
    let (connect, help) = (Sample { runs: connect }, Sample { runs: help });
    let connect_name =
        "a process that only connects (`authdb-bench one-message` on an empty folder)";
    let over = connect.median() - help.median();
    let floor = Row::new(name, ours)
        .baseline(connect_name, connect.clone())
        .within_ms_of_baseline(2.0);
    let connecting = Row::new(connect_name, connect)
        .baseline("`xtask --help` (process start)", help)
        .note(format!(
            "{over:+.1} ms: the floor of the within-2-ms goal, a connection's start-up and \
             authentication with nothing sent"
        ));
    Ok(vec![row, floor, connecting])
}
