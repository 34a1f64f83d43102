//! One hostile case: its inputs written to a directory of its own, the built binary run on them
//! (bounded in time), and everything the issue promises checked on what came out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use super::inputs::{Case, DotEnv, Folder, Kind, Sink, Url, takes};
use crate::xtask;

/// A role whose password appears nowhere else, so a leak cannot hide behind a common word.
const USER: &str = "authdb_hostile";
const SECRET: &str = "H0stile-pa55word";

/// What every case may point at: the test server (as `USER`), and listeners that are no
/// PostgreSQL server.
pub struct World {
    host: String,
    port: u16,
    silent: testdb::SilentServer,
    http: testdb::Impostor,
    ssh: testdb::Impostor,
}

impl World {
    pub async fn start() -> World {
        let admin = testdb::server().connect("postgres").await;
        // Roles are per server: tolerate the role from an earlier test of this binary.
        let _ = admin
            .batch_execute(&format!(
                "CREATE ROLE {USER} LOGIN SUPERUSER PASSWORD '{SECRET}'"
            ))
            .await;
        let server = testdb::server();
        World {
            host: server.host.clone(),
            port: server.port,
            silent: testdb::SilentServer::start(),
            http: testdb::Impostor::http(),
            ssh: testdb::Impostor::ssh(),
        }
    }

    fn url(&self, database: &str) -> String {
        format!(
            "postgres://{USER}:{SECRET}@{}:{}/{database}",
            self.host, self.port
        )
    }

    /// The URL the case gives, if any.
    fn render(&self, url: &Url, database: &str) -> Option<String> {
        let good = self.url(database);
        Some(match url {
            Url::Good => good,
            Url::WrongPassword => good.replace(SECRET, &format!("{SECRET}-not")),
            Url::Refused => format!("postgres://{USER}:{SECRET}@127.0.0.1:1/{database}"),
            Url::Stalled => format!(
                "postgres://{USER}:{SECRET}@127.0.0.1:{}/{database}?connect_timeout=1",
                self.silent.port
            ),
            Url::Http => format!("postgres://{USER}:{SECRET}@127.0.0.1:{}/db", self.http.port),
            Url::Ssh => format!("postgres://{USER}:{SECRET}@127.0.0.1:{}/db", self.ssh.port),
            Url::FailOver => format!(
                "postgres://{USER}:{SECRET}@127.0.0.1:{},{}:{}/{database}?connect_timeout=1",
                self.silent.port, self.host, self.port
            ),
            Url::KeyValue => format!(
                "host={} port={} user={USER} password='{SECRET}' dbname={database}",
                self.host, self.port
            ),
            Url::Parameter(parameter) => format!("{good}?{parameter}"),
            Url::Garbage(text) => text.clone(),
            Url::Empty => String::new(),
            Url::Absent => return None,
        })
    }
}

/// Writes the case's inputs, runs it, and says what was wrong, if anything.
pub fn run(world: &World, case: &Case, database: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let folder = write_folder(dir.path(), &case.folder);
    write_dotenv(dir.path(), &case.dotenv, &world.url(database));
    let url = world.render(&case.url, database);
    let takes = takes(&case.command);

    let mut command = xtask(dir.path());
    command.args(&case.command);
    if takes.folder {
        command.arg("--migrations").arg(&folder);
    }
    if let (true, Some(url)) = (takes.url, &url) {
        match case.url_in_environment && !url.is_empty() {
            true => command.env("DATABASE_URL", url),
            false => command.arg("--database-url").arg(url),
        };
    }
    if case.json {
        command.arg("--json");
    }
    // The commands that would build or start containers for minutes fail at their first step.
    command
        .env("DOCKER_HOST", "unix:///nonexistent/authdb-hostile.sock")
        .env("CARGO", "false")
        .env("AUTHDB_POSTGRES_IMAGE", testdb::image());
    let args: Vec<String> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (code, stdout, stderr) = execute(command, case.sink, dir.path())?;
    let what = format!("exit code {code:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    let Some(code) = code else {
        return Err(format!("killed by a signal: {what}"));
    };
    if ![0, 1, 2].contains(&code) {
        return Err(format!("an exit code outside 0, 1, 2: {what}"));
    }
    for sign in [
        "panicked",
        "RUST_BACKTRACE",
        "stack overflow",
        "fatal runtime error",
    ] {
        if stderr.contains(sign) {
            return Err(format!("{sign}: {what}"));
        }
    }
    if stdout.contains(SECRET) || stderr.contains(SECRET) {
        return Err(format!("the password was printed: {what}"));
    }
    if case.sink != Sink::File {
        return Ok(());
    }
    if case.json {
        let body: Value = serde_json::from_str(&stdout)
            .map_err(|e| format!("--json, but stdout is not one JSON object ({e}): {what}"))?;
        match body.get("ok").and_then(Value::as_bool) {
            Some(ok) if ok == (code == 0) => {}
            _ => return Err(format!("`ok` disagrees with the exit code: {what}")),
        }
    }
    if code != 0 {
        if !stderr.contains("error") && !stdout.contains("error") && code == 2 {
            return Err(format!("a usage error without a message: {what}"));
        }
        let urls = [url.clone().unwrap_or_default(), world.url(database)];
        let anchors = anchors(case, &args, &folder, &urls);
        let output = format!("{stdout}\n{stderr}");
        if !anchors.iter().any(|a| output.contains(a.as_str())) {
            return Err(format!(
                "the failure names no file, line or setting of its inputs ({anchors:?}): {what}"
            ));
        }
    }
    Ok(())
}

/// Runs `command` with stdout into `sink`, stopping it at [`super::HANG`].
fn execute(
    mut command: Command,
    sink: Sink,
    dir: &Path,
) -> Result<(Option<i32>, String, String), String> {
    let stdout_file = dir.join("stdout");
    let stderr_file = dir.join("stderr");
    let stdout: Stdio = match sink {
        Sink::File => std::fs::File::create(&stdout_file).unwrap().into(),
        Sink::ClosedPipe => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            writer.into()
        }
        Sink::Full => std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap()
            .into(),
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(std::fs::File::create(&stderr_file).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > super::HANG {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hung: still running after {:?}", super::HANG));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read = |path: &Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    };
    Ok((status.code(), read(&stdout_file), read(&stderr_file)))
}

/// What a failure of this case may name: its folder and files, `.env`, the URL as printed
/// (redacted) or one of the settings that give it, an argument of its command line, or the tool
/// a command needs (Docker, git, cargo, psql).
fn anchors(case: &Case, args: &[String], folder: &Path, urls: &[String]) -> Vec<String> {
    let mut anchors: Vec<String> = [".env", "DATABASE_URL", "NEON_DB_URL", "--database-url"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    match case.command[0].as_str() {
        "snapshot" | "rehearse" | "dev" | "image" => anchors.push("Docker".into()),
        "bench" | "test-db" => anchors.extend(["Docker".into(), "psql".into(), "cargo".into()]),
        "hooks" | "pre-commit" => anchors.push("git".into()),
        _ => {}
    }
    anchors.push(folder.display().to_string());
    if let Ok(entries) = std::fs::read_dir(folder) {
        anchors.extend(
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned()),
        );
    }
    anchors.extend(
        urls.iter()
            .filter(|u| !u.is_empty())
            .map(|u| authdb::redact(u)),
    );
    // As typed, and as a message quotes it (`"a\\b" is not a migration name`).
    anchors.extend(args.iter().filter(|a| a.len() > 1).cloned());
    anchors.extend(
        args.iter()
            .filter(|a| a.len() > 1)
            .map(|a| format!("{a:?}")),
    );
    anchors
}

fn write_folder(dir: &Path, folder: &Folder) -> PathBuf {
    let path = dir.join("migrations");
    match folder {
        Folder::Missing => {}
        Folder::AFile => std::fs::write(&path, "CREATE TABLE t (id int);\n").unwrap(),
        Folder::Repository | Folder::RepositoryWith(_) | Folder::Generated(_) => {
            std::fs::create_dir(&path).unwrap();
        }
    }
    let entries = match folder {
        Folder::Repository => {
            copy_repository(&path);
            &[][..]
        }
        Folder::RepositoryWith(entries) => {
            copy_repository(&path);
            entries.as_slice()
        }
        Folder::Generated(entries) => entries.as_slice(),
        Folder::Missing | Folder::AFile => &[][..],
    };
    for entry in entries {
        let at = path.join(&entry.name);
        let _ = std::fs::remove_file(&at);
        let _ = std::fs::remove_dir_all(&at);
        match entry.kind {
            Kind::File => std::fs::write(&at, &entry.content).unwrap(),
            Kind::Directory => std::fs::create_dir(&at).unwrap(),
            Kind::Link => {
                let target = dir.join(format!("outside-{}", entry.name.len()));
                std::fs::write(&target, &entry.content).unwrap();
                std::os::unix::fs::symlink(target, &at).unwrap();
            }
            Kind::DanglingLink => std::os::unix::fs::symlink(dir.join("nowhere"), &at).unwrap(),
            Kind::Pipe => mkfifo(&at),
        }
    }
    path
}

fn copy_repository(to: &Path) {
    for entry in std::fs::read_dir(testdb::migrations_dir())
        .unwrap()
        .flatten()
    {
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn write_dotenv(dir: &Path, dotenv: &DotEnv, url: &str) {
    let path = dir.join(".env");
    match dotenv {
        DotEnv::Absent => {}
        DotEnv::File(text) => std::fs::write(&path, text.replace("{URL}", url)).unwrap(),
        DotEnv::Directory => std::fs::create_dir(&path).unwrap(),
        DotEnv::Pipe => mkfifo(&path),
        DotEnv::DanglingLink => std::os::unix::fs::symlink(dir.join("nowhere"), &path).unwrap(),
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}
