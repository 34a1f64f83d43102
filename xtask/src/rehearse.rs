//! `cargo xtask rehearse`: what the new migrations do to a running auth service, measured before
//! they ship. Starts a throwaway PostgreSQL, migrates it to the version before them, seeds
//! synthetic users, and has the library apply them one by one while its probe plays the service's
//! queries; prints the report (or `--json`) and exits 1 when a probe query was blocked longer than
//! `--max-block` or failed, with lint's advice for the statement to blame. `--adopt-legacy FILE`
//! rehearses `adopt --apply` on a database built from the old script's SQL instead.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use authdb::rehearse::{self, Event, Problem, Rehearsal, RehearseOptions, Subject};
use authdb::{MigrateOptions, Migrations, Snapshot};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use xshell::Shell;

use crate::cli;
use authdb_server::{Docker, Server};

use crate::human::duration;
use print::{print_report, print_verdict};

mod print;

/// What is rehearsed, decided before any container starts.
enum Plan {
    /// The migrations after `from`.
    Migrations { from: i64 },
    /// adopt --apply on the database `sql` (from `file`) builds.
    Adopt {
        file: PathBuf,
        sql: String,
        // Boxed: a snapshot is large beside the other variant.
        snapshot: Box<Snapshot>,
    },
}

impl cli::Rehearse {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let dir = crate::migrations_dir(self.folder.migrations.as_deref());
        let migrations = Migrations::load(&dir)?;
        let options = RehearseOptions {
            max_block: positive("--max-block", self.max_block)?,
            baseline: positive("--baseline", self.baseline)?,
            lock_timeout: self.timeouts.lock(),
            statement_timeout: self.timeouts.statement(),
            lock_wait: self.timeouts.lock_wait(),
            lock_retries: self.retries.lock_retries,
            lock_retry_time: self.retries.lock_retry_time.duration(),
            hold: self.hold_lock.clone(),
            live: self.versions.load(&self.folder)?,
            ..RehearseOptions::default()
        };
        let lint = LintFacts::of(&dir)?;
        let plan = match &self.adopt_legacy {
            Some(file) => Plan::Adopt {
                sql: std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()))?,
                file: file.clone(),
                snapshot: Box::new(Snapshot::load(&dir)?),
            },
            None => Plan::Migrations {
                from: from_version(&migrations, self.from, &lint)?,
            },
        };

        let display = Display::new(self.json);
        let started = Instant::now();
        let (image, container) = throwaway_server(sh, &display)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (server_version, seed_ms, report) = runtime.block_on(async {
            let (info, mut connection) = container.connect("postgres").await?;
            let client = &mut connection.client;
            let subject = match &plan {
                Plan::Migrations { from } => {
                    if *from > 0 {
                        display.phase(format!("migrating to version {from}"));
                        let options = MigrateOptions {
                            up_to: Some(*from),
                            ..MigrateOptions::default()
                        };
                        authdb::migrate(client, &migrations, &options).await?;
                    }
                    Subject::Migrations {
                        migrations: &migrations,
                        up_to: None,
                    }
                }
                Plan::Adopt {
                    file,
                    sql,
                    snapshot,
                    ..
                } => {
                    display.phase(format!("building the database from {}", file.display()));
                    rehearse::setup::run_file(client, file, sql).await?;
                    Subject::Adopt {
                        migrations: &migrations,
                        snapshot,
                        drop_extra: false,
                    }
                }
            };
            let bar = display.bar(self.users * 4);
            let seeding = Instant::now();
            rehearse::setup::seed(client, self.users, self.seed, &mut |rows| bar.inc(rows))
                .await
                .with_context(|| match &plan {
                    Plan::Migrations { from } => format!(
                        "seeding {} users at version {from} (the schema before the migrations \
                         under test must have the service's tables: choose a later --from)",
                        self.users
                    ),
                    Plan::Adopt { file, .. } => {
                        format!(
                            "seeding {} users into {}'s schema",
                            self.users,
                            file.display()
                        )
                    }
                })?;
            bar.finish_and_clear();
            let seed_ms = seeding.elapsed().as_secs_f64() * 1000.0;
            let progress = display.progress();
            let report = rehearse::rehearse(&info, client, subject, &options, progress).await?;
            anyhow::Ok((connection.server_version.clone(), seed_ms, report))
        })?;
        drop(container);
        display.done();

        let advice = advice(&report, &lint);
        if self.json {
            let body = json!({
                "ok": report.passed,
                "image": image,
                "server_version": server_version,
                "users": self.users,
                "seed": self.seed,
                "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
                "seed_ms": seed_ms,
                "rehearsal": report,
                "advice": advice.iter().map(|(place, text)| json!({"place": place, "advice": text})).collect::<Vec<_>>(),
            });
            outln!("{body:#}");
        } else {
            print_report(&report, self.users, &server_version, &image);
            outln!(
                "{} in all, {} of it seeding",
                duration(started.elapsed().as_secs_f64() * 1000.0),
                duration(seed_ms)
            );
            print_verdict(&report, &advice);
        }
        Ok(if report.passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

fn positive(flag: &str, seconds: f64) -> Result<Duration> {
    if !(seconds.is_finite() && seconds > 0.0) {
        bail!("{flag} {seconds}: must be a number of seconds above 0");
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The version the server is migrated to before the rehearsal: `--from`, or the one before the
/// first migration not yet recorded in migrations.lock.
fn from_version(migrations: &Migrations, from: Option<i64>, lint: &LintFacts) -> Result<i64> {
    let dir = migrations.dir.display();
    let latest = migrations.latest_version().unwrap_or(0);
    let Some(from) = from else {
        let first_new = migrations
            .list
            .iter()
            .find(|m| lint.new_files.iter().any(|f| same_file(f, &m.path)));
        return match first_new {
            Some(m) => Ok(m.version - 1),
            None => bail!(
                "nothing to rehearse: every migration in {dir} is recorded in {} (shipped); \
                 name the version to rehearse after with --from N",
                authdb_folder::LOCK_FILE
            ),
        };
    };
    if from != 0 && migrations.get(from).is_none() {
        bail!("--from {from}: {dir} has no migration {from}");
    }
    if from >= latest {
        bail!("--from {from}: nothing to rehearse after it, {dir} ends at version {latest}");
    }
    Ok(from)
}

/// What lint says about the folder, read in one place: which files migrations.lock does not
/// record yet, and each finding's place, rule and message (the advice for a blamed statement).
struct LintFacts {
    new_files: Vec<PathBuf>,
    /// (file, line, rule id, message) of every finding about SQL.
    findings: Vec<(PathBuf, usize, String, String)>,
}

impl LintFacts {
    fn of(dir: &Path) -> Result<LintFacts> {
        let report = authdb_lint::lint(dir, authdb_lint::Options::default())?;
        let mut facts = LintFacts {
            new_files: Vec::new(),
            findings: Vec::new(),
        };
        for finding in report.findings {
            let rule = finding.rule.to_string();
            if rule == "lock-new-file" {
                facts.new_files.push(finding.file);
            } else if !rule.starts_with("lock-") {
                facts
                    .findings
                    .push((finding.file, finding.line, rule, finding.message));
            }
        }
        Ok(facts)
    }

    /// The finding on one of the statement's lines, as `rule: message`.
    fn advice(&self, place: &rehearse::Place) -> Option<String> {
        self.findings
            .iter()
            .find(|(file, line, _, _)| {
                same_file(file, &place.path) && (place.line..=place.end_line).contains(line)
            })
            .map(|(_, _, rule, message)| format!("{rule}: {message}"))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || (a.file_name() == b.file_name() && a.parent().map(canon) == b.parent().map(canon))
}

fn canon(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// The blamed statements of the problems, each with lint's advice when it has some.
fn advice(report: &Rehearsal, lint: &LintFacts) -> Vec<(rehearse::Place, String)> {
    let mut advice: Vec<(rehearse::Place, String)> = Vec::new();
    for problem in &report.problems {
        if let Problem::Blocked {
            blamed: Some(blame),
            ..
        } = problem
            && let Some(text) = lint.advice(&blame.place)
            && !advice.iter().any(|(place, _)| place == &blame.place)
        {
            advice.push((blame.place.clone(), text));
        }
    }
    advice
}

/// The tests' PostgreSQL image in a throwaway server: the one place rehearse starts one. What it
/// says goes to stderr, so that `--json` keeps stdout to itself.
fn throwaway_server(sh: &Shell, display: &Display) -> Result<(String, Server)> {
    let docker = Docker::connect(sh)?;
    display.phase("starting PostgreSQL".to_string());
    let server = authdb_server::throwaway(&docker, "rehearse", &mut |line| errln!("{line}"))?;
    Ok((server.image.clone(), server))
}

/// A spinner with the current phase on a terminal (stderr); nothing in CI logs or with --json.
struct Display {
    spinner: ProgressBar,
}

impl Display {
    fn new(json: bool) -> Display {
        let spinner = if json || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let spinner = ProgressBar::new_spinner();
            spinner.enable_steady_tick(Duration::from_millis(100));
            spinner
        };
        Display { spinner }
    }

    fn phase(&self, message: String) {
        self.spinner.set_message(message);
    }

    /// A bar for the seed's rows, under the spinner.
    fn bar(&self, rows: u64) -> ProgressBar {
        self.phase("seeding".to_string());
        if self.spinner.is_hidden() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(rows);
        if let Ok(style) = ProgressStyle::with_template("seeding {bar:40} {pos}/{len} rows") {
            bar.set_style(style);
        }
        bar
    }

    fn progress(&self) -> rehearse::Progress {
        let spinner = self.spinner.clone();
        Arc::new(move |event| {
            let message = match event {
                Event::Matrix { versions, phases } => format!(
                    "preparing {versions} live versions' queries at {phases} phase boundaries"
                ),
                Event::WarmingUp => "probe warming up".to_string(),
                Event::Baseline { sampler: false } => "baseline, sampler off".to_string(),
                Event::Baseline { sampler: true } => "baseline, sampler on".to_string(),
                Event::Applying { step } => format!("applying {step}"),
                Event::Statement { path, line } => format!("running {}:{line}", path.display()),
                Event::Holding { table, duration } => format!(
                    "a service transaction holds a row of {table} for {} s",
                    duration.as_secs_f64()
                ),
                Event::Retry(retry) => format!(
                    "{}: gave up waiting {} ms for a lock (attempt {}), trying again",
                    retry.location, retry.lock_timeout_ms, retry.attempt
                ),
                Event::Applied {
                    step, duration_ms, ..
                } => {
                    format!("applied {step} in {}", duration(*duration_ms))
                }
            };
            spinner.set_message(message);
        })
    }

    fn done(&self) {
        self.spinner.finish_and_clear();
    }
}
