//! Runs a case: a fresh database, the case's folder, each operation through the real `xtask`
//! binary (one process per migrator, killed with SIGKILL, its session terminated, the server
//! paused), and after every operation the checks of `check.rs` against the model.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use tokio_postgres::Client;

use crate::case::{Case, Op, Spec};
use crate::check;
use crate::folder::Folder;
use crate::model::{Model, Walk};

/// A case in progress: its database, folder and model, and what has happened so far (for the
/// report of a failure).
pub struct Harness {
    pub db: testdb::TestDb,
    pub client: Client,
    pub folder: Folder,
    pub model: Model,
    pub log: Vec<String>,
    /// The migrators connect through PgBouncer (its port).
    pub pooler: Option<u16>,
    next_process: usize,
}

/// Runs `case`; the first broken promise is the error, with the operations that led to it.
pub async fn run(case: &Case) -> Result<(), String> {
    let mut harness = Harness::new(case).await;
    let result = harness.run_ops(&case.ops).await;
    let result = match result {
        Ok(()) => harness.converge().await,
        Err(error) => Err(error),
    };
    let Harness { db, client, .. } = harness;
    drop(client);
    db.drop_database().await;
    result
}

impl Harness {
    async fn new(case: &Case) -> Harness {
        let db = testdb::empty_database().await;
        let client = db.connect().await;
        let folder = Folder::write(&case.migrations, &case.contract);
        let mut setup = String::from(
            "CREATE TABLE torture_effects (version int);
             CREATE TABLE torture_base (id int);
             INSERT INTO torture_base SELECT generate_series(1, 50);",
        );
        for (v, spec) in folder.versions.iter().zip(&folder.specs) {
            setup.push_str(&format!("CREATE SEQUENCE torture_attempts_{v};"));
            if *spec == Spec::Backfill {
                setup.push_str(&format!(
                    "CREATE TABLE torture_fill_{v} (id int PRIMARY KEY, copied int, \
                     times int NOT NULL DEFAULT 0);
                     INSERT INTO torture_fill_{v} (id) SELECT generate_series(1, {});",
                    crate::folder::FILL_ROWS
                ));
            }
        }
        client.batch_execute(&setup).await.unwrap();
        Harness {
            db,
            client,
            model: Model::new(folder.len()),
            folder,
            log: Vec::new(),
            pooler: case.pooler.then(|| testdb::pooler::pooler().port),
            next_process: 0,
        }
    }

    async fn run_ops(&mut self, ops: &[Op]) -> Result<(), String> {
        for op in ops {
            self.log.push(format!("{op:?}"));
            self.op(*op).await.map_err(|e| self.failed(e))?;
            check::all(self).await.map_err(|e| self.failed(e))?;
        }
        Ok(())
    }

    /// After the operations: the failing files fixed, one migrate reaches the folder's head.
    async fn converge(&mut self) -> Result<(), String> {
        self.log
            .push("converge: FixFailing, then Contract".to_string());
        self.folder.fix();
        self.op(Op::Contract).await.map_err(|e| self.failed(e))?;
        check::all(self).await.map_err(|e| self.failed(e))?;
        if self.model.applied != self.folder.len() {
            return Err(self.failed(format!(
                "a rerun did not converge: {} of {} applied",
                self.model.applied,
                self.folder.len()
            )));
        }
        Ok(())
    }

    fn failed(&self, error: String) -> String {
        format!(
            "{error}\n  after: {}\n  model: {:?}",
            self.log.join(" -> "),
            self.model
        )
    }

    async fn op(&mut self, op: Op) -> Result<(), String> {
        match op {
            Op::Migrate { to } => self.migrate(to, 1, false).await,
            Op::Concurrent { migrators, to } => self.migrate(to, u64::from(migrators), false).await,
            Op::Contract => self.migrate(None, 1, true).await,
            Op::Rollback { to } => self.rollback(Some(to)).await,
            Op::RollbackAll => self.rollback(None).await,
            Op::Kill { after_ms } => self.interrupted(after_ms, Interrupt::Kill).await,
            Op::KillRollback { to, after_ms } => self.rollback_killed(to, after_ms).await,
            Op::Hold { ms } => self.held(ms).await,
            Op::Terminate { after_ms } => self.interrupted(after_ms, Interrupt::Terminate).await,
            Op::Pause { after_ms, ms } => self.paused(after_ms, ms).await,
            Op::LongPause { after_ms } => self.paused_too_long(after_ms).await,
            Op::EditApplied { pick } => {
                if self.model.applied == 0 {
                    return Ok(());
                }
                let index = usize::from(pick) % self.model.applied;
                let _restore = self.folder.edit(index);
                let says = format!(
                    "{}: the file was changed after version {} was applied",
                    self.folder.file(index).display(),
                    self.folder.versions[index]
                );
                self.refused(&says).await
            }
            Op::AddBelow { pick } => {
                if self.model.applied == 0 {
                    return Ok(());
                }
                let index = usize::from(pick) % self.model.applied;
                let _restore = self.folder.add(self.folder.versions[index]);
                self.refused("duplicate-version").await
            }
            Op::FixFailing => {
                self.folder.fix();
                Ok(())
            }
        }
    }

    /// `migrate` (up to migration `to % len`) by `runs` processes at once, with `--contract`
    /// or stopping before the first contract step (which the binary finds itself: the
    /// arguments ask for the whole way).
    async fn migrate(&mut self, to: Option<u8>, runs: u64, contract: bool) -> Result<(), String> {
        let recorded = self.unfinished_done().await;
        let Some(asked) = self.asked(to, recorded) else {
            return self.behind(to).await;
        };
        let target = match contract {
            true => asked,
            false => self.hold(asked, recorded),
        };
        let walk = self.model.walk(&self.folder, target, recorded);
        let mut args = self.migrate_args(asked);
        if contract {
            args.push("--contract".to_string());
        }
        let children: Vec<Child> = (0..runs).map(|_| self.spawn(&args).0).collect();
        let mut outputs = Vec::new();
        for child in children {
            outputs.push(finish(child).await);
        }
        self.expect_migrated(&walk, &outputs, target < asked)?;
        self.model.after(&walk, runs);
        Ok(())
    }

    /// The number of migrations `migrate --to` the version of migration `to % len` asks for, or
    /// `None` when that version is below what is applied (migrate refuses to go back).
    fn asked(&self, to: Option<u8>, recorded: bool) -> Option<usize> {
        let len = self.folder.len();
        let target = to.map_or(len, |to| usize::from(to) % len + 1);
        (target >= self.model.settled(recorded)).then_some(target)
    }

    /// Where a plain migrate asked for `asked` migrations stops: before the first pending
    /// contract step.
    fn hold(&self, asked: usize, recorded: bool) -> usize {
        asked.min(self.folder.held_from(self.model.settled(recorded)))
    }

    async fn behind(&mut self, to: Option<u8>) -> Result<(), String> {
        let target = usize::from(to.unwrap_or(0)) % self.folder.len() + 1;
        let args = self.migrate_args(target);
        let output = finish(self.spawn(&args).0).await;
        expect_exit(&output, 1)?;
        expect_says(&output, "is below the applied version")
    }

    fn migrate_args(&self, target: usize) -> Vec<String> {
        let mut args = vec!["migrate".to_string()];
        if target < self.folder.len() {
            args.push("--to".to_string());
            args.push(self.folder.versions[target - 1].to_string());
        }
        args
    }

    /// `held`: the run stops before a contract step it was asked to pass.
    fn expect_migrated(&self, walk: &Walk, outputs: &[Output], held: bool) -> Result<(), String> {
        let ran = walk.applied.saturating_sub(walk.start);
        let version = |applied: usize| match applied {
            0 => "none".to_string(),
            n => self.folder.versions[n - 1].to_string(),
        };
        match walk.failure {
            None => {
                // One migrator applies them all, unless one that retries (waiting out a lock)
                // leaves the rest to another while it pauses: between them, each once.
                let mut applied = 0;
                for output in outputs {
                    expect_exit(output, 0)?;
                    let stdout = String::from_utf8_lossy(&output.stdout);
                    let said = stdout.lines().find_map(|line| {
                        let (count, rest) = line.split_once(' ')?;
                        rest.starts_with("migration")
                            .then(|| count.parse::<usize>().ok())?
                    });
                    let nothing = match held {
                        true => "nothing to apply before the contract steps, at version",
                        false => "already up to date at version",
                    };
                    match said {
                        Some(count) => applied += count,
                        None => {
                            expect_says(output, &format!("{nothing} {}", version(walk.applied)))?
                        }
                    }
                    if held {
                        expect_says(output, "held back: ")?;
                    }
                }
                if applied != ran {
                    return Err(format!(
                        "the migrators say they applied {applied} migrations in all, where {ran} \
                         were: {}",
                        all(outputs)
                    ));
                }
            }
            Some((index, line)) => {
                let at = format!("{}:{line}:", self.folder.file(index).display());
                for output in outputs {
                    expect_exit(output, 1)?;
                    expect_says(output, &at)?;
                }
                // The first migrator says what it committed; the others committed nothing.
                let committed = walk.applied > self.model.applied;
                let truth = if committed {
                    format!("the database is at version {}", version(walk.applied))
                } else {
                    "Nothing".to_string()
                };
                if !outputs
                    .iter()
                    .any(|o| String::from_utf8_lossy(&o.stderr).contains(&truth))
                {
                    return Err(format!(
                        "no migrator's error says {truth:?}: {}",
                        all(outputs)
                    ));
                }
            }
        }
        Ok(())
    }

    /// `rollback --to` the version below migration `to % applied` (or `--all`): a row an
    /// interrupted run left unfinished is settled first (applied when its index is valid).
    /// Returns the arguments and the (top, keep) it works between, or `None` when nothing is
    /// applied.
    async fn rollback_args(&self, to: Option<u8>) -> Option<(Vec<String>, usize, usize)> {
        let top = self.model.settled(self.unfinished_done().await);
        if top == 0 {
            return None;
        }
        let keep = to.map_or(0, |to| usize::from(to) % top);
        let mut args = vec!["rollback".to_string(), "--yes".to_string()];
        if keep == 0 {
            args.push("--all".to_string());
        } else {
            args.push("--to".to_string());
            args.push(self.folder.versions[keep - 1].to_string());
        }
        Some((args, top, keep))
    }

    async fn rollback(&mut self, to: Option<u8>) -> Result<(), String> {
        let Some((args, _, keep)) = self.rollback_args(to).await else {
            return Ok(());
        };
        let output = finish(self.spawn(&args).0).await;
        expect_exit(&output, 0)?;
        self.model.applied = keep;
        self.model.unfinished = None;
        Ok(())
    }

    /// A rollback killed after `after_ms`: what it left must be a state a rollback stops in.
    async fn rollback_killed(&mut self, to: u8, after_ms: u16) -> Result<(), String> {
        let Some((args, top, keep)) = self.rollback_args(Some(to)).await else {
            return Ok(());
        };
        let stops = self.model.rollback_stops(&self.folder, top, keep);
        let (mut child, _) = self.spawn(&args);
        tokio::time::sleep(Duration::from_millis(u64::from(after_ms))).await;
        let _ = child.kill();
        let _ = child.wait();
        check::quiet(self).await?;
        let left = check::tracking_state(self).await?;
        if !stops.contains(&left) {
            return Err(format!(
                "a killed rollback left {} applied and {:?} unfinished, not a state a rollback \
                 stops in: {stops:?}",
                left.0, left.1
            ));
        }
        self.model.applied = left.0;
        self.model.unfinished = left.1;
        Ok(())
    }

    /// An application transaction holds `torture_base` in SHARE mode for `ms` while migrate
    /// runs with a 200 ms lock timeout: every file that writes to it, or builds an index on it,
    /// gives up waiting, and the run retries until the lock is free. The retries its `--json`
    /// lists must account exactly for how often each file ran.
    async fn held(&mut self, ms: u16) -> Result<(), String> {
        let recorded = self.unfinished_done().await;
        let asked = self.folder.len();
        let target = self.hold(asked, recorded);
        let walk = self.model.walk(&self.folder, target, recorded);
        let app = self.db.connect().await;
        app.batch_execute("BEGIN; LOCK TABLE torture_base IN SHARE MODE")
            .await
            .map_err(|e| format!("the application's lock: {e}"))?;
        let mut args = self.migrate_args(asked);
        args.extend(["--lock-timeout", "200ms", "--json"].map(String::from));
        let (child, _) = self.spawn(&args);
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
        app.batch_execute("COMMIT")
            .await
            .map_err(|e| e.to_string())?;
        let output = finish(child).await;
        if walk.failure.is_some() {
            // A run that fails anyway may have retried first: how often is not in its error.
            self.expect_migrated(&walk, std::slice::from_ref(&output), target < asked)?;
            let reach = walk.failure.map_or(walk.applied, |(index, _)| index + 1);
            for index in walk.start..reach {
                self.model.attempts[index].1 += 11;
            }
            self.model.after(&walk, 1);
            return Ok(());
        }
        expect_exit(&output, 0)?;
        let body: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| {
            format!(
                "migrate --json is not JSON ({e}): {}",
                all(std::slice::from_ref(&output))
            )
        })?;
        let mut gave_up = Vec::new();
        for retry in body["report"]["retries"].as_array().into_iter().flatten() {
            let location = retry["location"].as_str().unwrap_or_default();
            let index = (0..self.folder.len())
                .find(|&i| location.starts_with(&format!("{}:", self.folder.file(i).display())))
                .ok_or_else(|| format!("a retry at {location}, in no file of the folder"))?;
            gave_up.push(index);
        }
        let said = body["report"]["steps"].as_array().map_or(0, Vec::len);
        if said != walk.applied - walk.start {
            return Err(format!(
                "after {} retries the report lists {said} migrations applied; {} were",
                gave_up.len(),
                walk.applied - walk.start
            ));
        }
        self.model.after_retries(&self.folder, &walk, &gave_up);
        Ok(())
    }

    /// A migrate whose process is killed, or whose session is terminated, after `after_ms`.
    async fn interrupted(&mut self, after_ms: u16, how: Interrupt) -> Result<(), String> {
        let recorded = self.unfinished_done().await;
        let asked = self.folder.len();
        let target = self.hold(asked, recorded);
        let walk = self.model.walk(&self.folder, target, recorded);
        let (mut child, application) = self.spawn(&self.migrate_args(asked));
        tokio::time::sleep(Duration::from_millis(u64::from(after_ms))).await;
        match how {
            Interrupt::Kill => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Interrupt::Terminate => {
                self.client
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                          WHERE application_name = $1",
                        &[&application],
                    )
                    .await
                    .map_err(|e| format!("terminating the migrator's session: {e}"))?;
                let output = finish(child).await;
                if !matches!(output.status.code(), Some(0 | 1)) {
                    return Err(unexpected(&output));
                }
            }
        }
        self.stopped(&walk).await
    }

    /// After a run that stopped at an unknown point: once its session is gone, what it left must
    /// be a state a run can stop in, and the model takes it from there.
    async fn stopped(&mut self, walk: &Walk) -> Result<(), String> {
        check::quiet(self).await?;
        let left = check::tracking_state(self).await?;
        self.model.after_kill(walk, left)
    }

    /// A migrate during which the server is paused for `ms`, shorter than every deadline: it
    /// must end as if nothing happened.
    async fn paused(&mut self, after_ms: u8, ms: u16) -> Result<(), String> {
        let recorded = self.unfinished_done().await;
        let asked = self.folder.len();
        let target = self.hold(asked, recorded);
        let walk = self.model.walk(&self.folder, target, recorded);
        let (child, _) = self.spawn(&self.migrate_args(asked));
        tokio::time::sleep(Duration::from_millis(u64::from(after_ms))).await;
        let container = testdb::server().container_id().to_string();
        docker(&["pause", &container])?;
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
        docker(&["unpause", &container])?;
        let output = finish(child).await;
        self.expect_migrated(&walk, &[output], target < asked)?;
        self.model.after(&walk, 1);
        Ok(())
    }

    /// A migrate with a 1 s statement timeout while the server is paused for 7 s: past the
    /// client's 6 s deadline for a statement, short of the 30 s one for the steps between
    /// statements. Either it gives up saying the server did not answer, or the pause fell
    /// between statements and it finishes; what it leaves is a state a run can stop in.
    async fn paused_too_long(&mut self, after_ms: u16) -> Result<(), String> {
        let recorded = self.unfinished_done().await;
        let asked = self.folder.len();
        let target = self.hold(asked, recorded);
        let walk = self.model.walk(&self.folder, target, recorded);
        let mut args = self.migrate_args(asked);
        args.extend(["--statement-timeout".to_string(), "1s".to_string()]);
        let (child, _) = self.spawn(&args);
        tokio::time::sleep(Duration::from_millis(u64::from(after_ms))).await;
        let container = testdb::server().container_id().to_string();
        docker(&["pause", &container])?;
        tokio::time::sleep(Duration::from_secs(7)).await;
        docker(&["unpause", &container])?;
        let output = finish(child).await;
        match output.status.code() {
            Some(0) => {}
            // The client gave up on the server, a migration failed as it would anyway, or a
            // statement ran past the 1 s timeout once the server woke: each says what the
            // database holds.
            Some(1) => {
                let failed = walk
                    .failure
                    .map(|(index, line)| format!("{}:{line}:", self.folder.file(index).display()));
                let said = [
                    "did not answer",
                    "Nothing was applied",
                    "the database is at version",
                ]
                .iter()
                .map(|text| text.to_string())
                .chain(failed)
                .any(|text| expect_says(&output, &text).is_ok());
                if !said {
                    return Err(format!(
                        "a run stopped by a long pause does not say what the database holds: {}",
                        all(std::slice::from_ref(&output))
                    ));
                }
            }
            _ => return Err(unexpected(&output)),
        }
        self.stopped(&walk).await
    }

    /// A migrate that must refuse, saying `says`, and change nothing.
    async fn refused(&mut self, says: &str) -> Result<(), String> {
        let before = testdb::fingerprint(&self.client).await;
        let output = finish(self.spawn(&self.migrate_args(self.folder.len())).0).await;
        expect_exit(&output, 1)?;
        expect_says(&output, says)?;
        if testdb::fingerprint(&self.client).await != before {
            return Err(format!(
                "a refused migrate changed the database: {}",
                all(&[output])
            ));
        }
        Ok(())
    }

    /// Whether the unfinished migration's index exists and is valid: the run records it then.
    async fn unfinished_done(&self) -> bool {
        let Some(index) = self.model.unfinished else {
            return false;
        };
        let name = format!("torture_i{}", self.folder.versions[index]);
        check::index_valid(&self.client, &name).await == Some(true)
    }

    /// Starts `xtask args...` against this case's database and folder, with its own
    /// application_name so that its session can be found.
    pub fn spawn(&mut self, args: &[String]) -> (Child, String) {
        self.next_process += 1;
        let application = format!("torture_{}_{}", self.db.name, self.next_process);
        let url = match self.pooler {
            Some(port) => format!(
                "postgres://postgres:postgres@127.0.0.1:{port}/{}?application_name={application}",
                self.db.name
            ),
            None => format!("{}?application_name={application}", self.db.url),
        };
        let child = xtask()
            .args(args)
            .args(["--database-url", &url, "--migrations"])
            .arg(self.folder.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        (child, application)
    }
}

#[derive(Clone, Copy)]
enum Interrupt {
    Kill,
    Terminate,
}

pub fn xtask() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .current_dir(std::env::temp_dir())
        .env_remove("DATABASE_URL")
        .env_remove("NEON_DB_URL")
        .env_remove("AUTHDB_LOCK_TIMEOUT")
        .env_remove("AUTHDB_STATEMENT_TIMEOUT")
        .env_remove("AUTHDB_LOCK_WAIT");
    command
}

/// Waits for a child without blocking the runtime.
pub async fn finish(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// `docker pause|unpause`. The cgroup freezer sometimes cannot freeze a process caught mid-fork
/// (the server starting a backend for a migrator): "unable to freeze". That is the machine, not
/// authdb, so it is tried again for a while.
fn docker(args: &[&str]) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..50 {
        let output = Command::new("docker")
            .args(args)
            .output()
            .map_err(|e| format!("docker {}: {e}", args.join(" ")))?;
        if output.status.success() {
            return Ok(());
        }
        last = String::from_utf8_lossy(&output.stderr).into_owned();
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("docker {} failed 50 times: {last}", args.join(" ")))
}

pub fn expect_exit(output: &Output, code: i32) -> Result<(), String> {
    if output.status.code() == Some(code) {
        return Ok(());
    }
    Err(format!(
        "expected exit {code}, got {:?}: {}",
        output.status,
        all(std::slice::from_ref(output))
    ))
}

pub fn expect_says(output: &Output, text: &str) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stdout.contains(text) || stderr.contains(text) {
        return Ok(());
    }
    Err(format!(
        "expected the output to say {text:?}: {}",
        all(std::slice::from_ref(output))
    ))
}

fn unexpected(output: &Output) -> String {
    format!("unexpected exit: {}", all(std::slice::from_ref(output)))
}

pub fn all(outputs: &[Output]) -> String {
    outputs
        .iter()
        .map(|o| {
            format!(
                "[exit {:?}] {}{}",
                o.status.code(),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .collect::<Vec<_>>()
        .join(" | ")
}
