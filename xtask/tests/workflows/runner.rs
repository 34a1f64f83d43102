//! A small stand-in for GitHub's runner, enough to run this repository's own jobs for real.
//!
//! It does what GitHub does with a job's steps, in order: `run:` scripts with `bash --noprofile
//! --norc -eo pipefail` (GitHub's `shell: bash`), in the workspace, with the `env:` of the
//! workflow, the job and the step; the steps of a local composite action (`uses: ./...`);
//! `GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT` and `RUNNER_TEMP`; a step's `if:` of `always()`,
//! `failure()`, `success()` or one `==`/`!=` comparison; and the expressions those values need
//! (`secrets.*`, `vars.*`, `inputs.*`, `runner.temp`, `github.*`, `steps.*.outputs.*`). A secret
//! that is not set reads as empty, as on GitHub.
//!
//! It does not run actions from elsewhere (checkout, the toolchain, the cache, upload-artifact,
//! Neon's): it records them with their evaluated inputs for the test to check. A job's own `if:`
//! and `needs:` are the test's to decide, by the job it runs. Anything else it meets, it refuses
//! by panicking with what it cannot do, so a workflow cannot quietly outgrow what is tested.
//! `cargo` is a stand-in too: `cargo xtask ARGS` runs the built binary (or the test's stand-in),
//! and `cargo build` is already done.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::yaml::{File, Node};

/// What the job runs with.
pub struct Context {
    pub secrets: BTreeMap<String, String>,
    pub vars: BTreeMap<String, String>,
    pub inputs: BTreeMap<String, String>,
    pub event_name: String,
    /// The event's `action` (`opened`, `closed`), for pull requests.
    pub event_action: String,
    /// What `cargo xtask` runs.
    pub xtask: PathBuf,
    /// The working directory of every step.
    pub workspace: PathBuf,
}

impl Context {
    pub fn new(workspace: &Path, event_name: &str) -> Context {
        Context {
            secrets: BTreeMap::new(),
            vars: BTreeMap::new(),
            inputs: BTreeMap::new(),
            event_name: event_name.to_string(),
            event_action: String::new(),
            xtask: PathBuf::from(env!("CARGO_BIN_EXE_xtask")),
            workspace: workspace.to_path_buf(),
        }
    }
}

/// A workspace for a job: a directory with a copy of the repository's `.github/` (the scripts and
/// the local action). xtask finds the migrations by the path it was built from, and no `.env` of
/// the developer's is in reach of this directory.
pub fn workspace() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(&crate::repo().join(".github"), &dir.path().join(".github"));
    dir
}

pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One step as it went.
#[derive(Debug)]
pub struct StepRun {
    /// `Migrate, then verify/Migrate` for a step of a local action.
    pub name: String,
    pub ran: bool,
    /// The exit code of a `run:` step (0 for a recorded action).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// An action from elsewhere, recorded instead of run.
#[derive(Debug)]
pub struct ActionUse {
    pub uses: String,
    pub with: BTreeMap<String, String>,
}

/// A job as it went.
pub struct Job {
    pub steps: Vec<StepRun>,
    pub actions: Vec<ActionUse>,
    /// What the steps wrote to `GITHUB_STEP_SUMMARY`.
    pub summary: String,
    /// The outputs of each step with an `id`.
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// `RUNNER_TEMP`, kept for the test to read the reports in it.
    pub temp: TempDir,
}

impl Job {
    pub fn step(&self, name: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| {
                let names: Vec<_> = self.steps.iter().map(|s| &s.name).collect();
                panic!("no step {name:?}; the steps: {names:?}")
            })
    }

    pub fn failed(&self) -> bool {
        self.steps.iter().any(|s| s.ran && s.code != 0)
    }

    pub fn action(&self, prefix: &str) -> &ActionUse {
        self.actions
            .iter()
            .find(|a| a.uses.starts_with(prefix))
            .unwrap_or_else(|| panic!("no action {prefix}: {:?}", self.actions))
    }

    /// Every step's output and the summary, for a person reading a failed test.
    pub fn log(&self) -> String {
        let mut log = String::new();
        for s in &self.steps {
            let state = if s.ran {
                format!("exit {}", s.code)
            } else {
                "skipped".into()
            };
            log += &format!("---- {} ({state})\n{}{}", s.name, s.stdout, s.stderr);
        }
        log + "---- summary\n" + &self.summary
    }

    /// The log and every file the job left in RUNNER_TEMP: all a secret must never appear in.
    pub fn everything(&self) -> String {
        let mut all = self.log();
        let mut dirs = vec![self.temp.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    all += &String::from_utf8_lossy(&std::fs::read(&path).unwrap());
                }
            }
        }
        all
    }
}

/// Runs job `id` of the workflow.
pub fn run(file: &File, id: &str, ctx: &Context) -> Job {
    let job = file
        .root
        .value
        .at(&["jobs", id])
        .unwrap_or_else(|| panic!("{}: no job {id}", file.path.display()));
    let shell = file.root.value.at(&["defaults", "run", "shell"]);
    assert_eq!(
        shell.and_then(|s| s.value.str()),
        Some("bash"),
        "{}: the runner knows only `defaults: run: shell: bash`",
        file.path.display()
    );
    let temp = tempfile::tempdir().unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let cargo = scripts.path().join("cargo");
    std::fs::write(&cargo, CARGO).unwrap();
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut runner = Runner {
        ctx,
        file,
        temp,
        scripts,
        failed: false,
        steps: Vec::new(),
        actions: Vec::new(),
        outputs: BTreeMap::new(),
    };
    let mut env = BTreeMap::new();
    runner.add_env(&mut env, file.root.value.get("env"));
    runner.add_env(&mut env, job.value.get("env"));
    let steps = job.value.get("steps").map_or(&[][..], |s| s.value.items());
    runner.run_steps(steps, &env, "", false);
    let summary_path = runner.temp.path().join("step-summary.md");
    let summary = std::fs::read_to_string(summary_path).unwrap_or_default();
    Job {
        steps: runner.steps,
        actions: runner.actions,
        summary,
        outputs: runner.outputs,
        temp: runner.temp,
    }
}

/// The stand-in for cargo on the steps' PATH.
const CARGO: &str = r#"#!/bin/sh
# The workflow tests' stand-in for cargo: `cargo xtask ARGS` runs the built binary.
case "$1" in
  xtask) shift; exec "$AUTHDB_WORKFLOW_XTASK" "$@" ;;
  build) echo "cargo $*: already built by the tests" >&2; exit 0 ;;
  *) echo "the workflow tests' cargo runs only 'cargo xtask' and 'cargo build', not: cargo $*" >&2; exit 2 ;;
esac
"#;

struct Runner<'a> {
    ctx: &'a Context,
    file: &'a File,
    temp: TempDir,
    /// The scripts of the steps and the cargo stand-in: outside RUNNER_TEMP.
    scripts: TempDir,
    failed: bool,
    steps: Vec<StepRun>,
    actions: Vec<ActionUse>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
}

impl Runner<'_> {
    fn run_steps(
        &mut self,
        steps: &[Node],
        env: &BTreeMap<String, String>,
        prefix: &str,
        composite: bool,
    ) {
        for step in steps {
            let s = &step.value;
            let text = |key: &str| s.get(key).and_then(|n| n.value.str());
            let name = text("name")
                .or_else(|| text("uses"))
                .or_else(|| text("run").and_then(|r| r.lines().next()))
                .unwrap_or("(unnamed)");
            let name = format!("{prefix}{name}");
            if !self.condition(text("if"), step) {
                self.record(name, false, 0, String::new(), String::new());
                continue;
            }
            let mut env = env.clone();
            self.add_env(&mut env, s.get("env"));
            if let Some(uses) = text("uses") {
                if let Some(local) = uses.strip_prefix("./") {
                    let action = crate::yaml::File::parse(
                        &Path::new(local).join("action.yml"),
                        std::fs::read_to_string(self.ctx.workspace.join(local).join("action.yml"))
                            .unwrap_or_else(|e| panic!("{uses}: cannot read its action.yml: {e}")),
                    );
                    let inner = action
                        .root
                        .value
                        .at(&["runs", "steps"])
                        .map_or(&[][..], |n| n.value.items());
                    self.run_steps(inner, &env, &format!("{name}/"), true);
                    continue;
                }
                let with = s
                    .get("with")
                    .map(|w| {
                        w.value
                            .entries()
                            .iter()
                            .map(|(k, v)| {
                                (k.clone(), self.eval(v.value.str().unwrap_or_default(), v))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                self.actions.push(ActionUse {
                    uses: uses.to_string(),
                    with,
                });
                self.record(name, true, 0, String::new(), String::new());
                continue;
            }
            let script = text("run").unwrap_or_else(|| {
                panic!("{}: a step with neither run nor uses", self.where_(step))
            });
            match text("shell") {
                Some("bash") => {}
                None if !composite => {}
                other => panic!(
                    "{}: the runner knows only shell: bash, not {other:?}",
                    self.where_(step)
                ),
            }
            let (code, stdout, stderr, outputs) = self.execute(script, &env);
            if code != 0 {
                self.failed = true;
            }
            if let Some(id) = text("id") {
                self.outputs.insert(id.to_string(), outputs);
            }
            self.record(name, true, code, stdout, stderr);
        }
    }

    fn record(&mut self, name: String, ran: bool, code: i32, stdout: String, stderr: String) {
        self.steps.push(StepRun {
            name,
            ran,
            code,
            stdout,
            stderr,
        });
    }

    fn execute(
        &self,
        script: &str,
        env: &BTreeMap<String, String>,
    ) -> (i32, String, String, BTreeMap<String, String>) {
        let n = self.steps.len();
        let path = self.scripts.path().join(format!("step-{n}.sh"));
        std::fs::write(&path, script).unwrap();
        let output_file = self.scripts.path().join(format!("output-{n}"));
        std::fs::write(&output_file, "").unwrap();
        let search = format!(
            "{}:{}",
            self.scripts.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&path)
            .current_dir(&self.ctx.workspace)
            .stdin(Stdio::null());
        // Nothing of the test's own environment that the tool reads.
        for (key, _) in std::env::vars() {
            if key.starts_with("AUTHDB_")
                || key.starts_with("GITHUB_")
                || key.ends_with("DB_URL")
                || key == "DATABASE_URL"
            {
                command.env_remove(key);
            }
        }
        let output = command
            .env("PATH", search)
            .env("AUTHDB_WORKFLOW_XTASK", &self.ctx.xtask)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", &self.ctx.event_name)
            .env("GITHUB_WORKSPACE", &self.ctx.workspace)
            .env(
                "GITHUB_STEP_SUMMARY",
                self.temp.path().join("step-summary.md"),
            )
            .env("GITHUB_OUTPUT", &output_file)
            .env("RUNNER_TEMP", self.temp.path())
            .envs(env)
            .output()
            .expect("running bash");
        let outputs = std::fs::read_to_string(&output_file)
            .unwrap()
            .lines()
            .map(|line| {
                assert!(
                    !line.contains("<<"),
                    "the runner reads only key=value outputs: {line}"
                );
                let (k, v) = line.split_once('=').unwrap_or((line, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs,
        )
    }

    fn where_(&self, node: &Node) -> String {
        format!("{}:{}", self.file.path.display(), node.referenced.line())
    }

    fn add_env(&self, env: &mut BTreeMap<String, String>, block: Option<&Node>) {
        for (key, value) in block.map_or(&[][..], |b| b.value.entries()) {
            let text = value.value.str().unwrap_or_default();
            env.insert(key.clone(), self.eval(text, value));
        }
    }

    /// The text with each `${{ expression }}` replaced by its value.
    fn eval(&self, text: &str, node: &Node) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("${{") {
            out += &rest[..at];
            let end = rest[at..]
                .find("}}")
                .map(|e| at + e)
                .unwrap_or_else(|| panic!("{}: an unclosed ${{{{ in {text}", self.where_(node)));
            out += &self.value(rest[at + 3..end].trim(), node);
            rest = &rest[end + 2..];
        }
        out + rest
    }

    fn value(&self, expression: &str, node: &Node) -> String {
        let ctx = self.ctx;
        let lookup =
            |map: &BTreeMap<String, String>, key: &str| map.get(key).cloned().unwrap_or_default();
        if let Some(key) = expression.strip_prefix("secrets.") {
            return lookup(&ctx.secrets, key);
        }
        if let Some(key) = expression.strip_prefix("vars.") {
            return lookup(&ctx.vars, key);
        }
        if let Some(key) = expression
            .strip_prefix("inputs.")
            .or_else(|| expression.strip_prefix("github.event.inputs."))
        {
            return lookup(&ctx.inputs, key);
        }
        if let Some(rest) = expression.strip_prefix("steps.")
            && let Some((id, key)) = rest.split_once(".outputs.")
        {
            return self
                .outputs
                .get(id)
                .map(|o| lookup(o, key))
                .unwrap_or_default();
        }
        match expression {
            "runner.temp" => self.temp.path().display().to_string(),
            "github.event_name" => ctx.event_name.clone(),
            "github.event.action" => ctx.event_action.clone(),
            "github.run_id" | "github.run_attempt" | "github.event.pull_request.number" => {
                "1".into()
            }
            _ => panic!(
                "{}: the workflow tests' runner does not evaluate `{expression}`",
                self.where_(node)
            ),
        }
    }

    /// Whether a step with this `if:` runs now. As on GitHub, a condition without a status
    /// function runs only while no step has failed.
    fn condition(&self, condition: Option<&str>, step: &Node) -> bool {
        let Some(condition) = condition else {
            return !self.failed;
        };
        let condition = condition.trim();
        let condition = condition
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(condition)
            .trim();
        match condition {
            "always()" => return true,
            "failure()" => return self.failed,
            "success()" => return !self.failed,
            _ => {}
        }
        for (operator, equal) in [("==", true), ("!=", false)] {
            if let Some((left, right)) = condition.split_once(operator) {
                let left = self.value(left.trim(), step);
                let right = right.trim().trim_matches('\'');
                return !self.failed && ((left == right) == equal);
            }
        }
        panic!(
            "{}: the workflow tests' runner does not evaluate `if: {condition}`",
            self.where_(step)
        )
    }
}
