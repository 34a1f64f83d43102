//! The containers the tools create, as a user meets them: `dev` per checkout with its port (a
//! second checkout finds its own), a taken port asked for that leaves nothing behind, and Ctrl-C
//! or a kill that leaves nothing either (the interrupted run removes its container; a killed
//! one's is swept by the next run, which says so).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use authdb_server::dev::{DEFAULT_PORT, PORTS_TRIED, default_name};

use crate::{text, xtask};

fn docker(args: &[&str]) -> String {
    let output = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The names of the containers and volumes whose name starts with `prefix`.
fn leftovers(prefix: &str) -> (String, String) {
    let filter = format!("name={prefix}");
    (
        docker(&["ps", "--all", "--filter", &filter, "--format", "{{.Names}}"]),
        docker(&["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
    )
}

/// A `dev --port PORT` run that found PORT taken: exit code 1, one line saying so and what to do,
/// and no container or volume called `name` left behind.
fn refused_leaving_nothing(run: (Option<i32>, String, String), port: u16, name: &str) {
    let (code, stdout, stderr) = run;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("error: port {port} on 127.0.0.1 is taken"))
            && stderr.contains("choose another with --port"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_eq!(
        leftovers(name),
        (String::new(), String::new()),
        "the refused run left something"
    );
}

#[test]
fn dev_moves_to_another_port_and_a_taken_port_leaves_nothing() {
    let cwd = tempfile::tempdir().unwrap();
    let name = format!("authdb-test-dev-{}", std::process::id());
    let (first, second) = (free_port(), free_port());
    let run = |args: &[&str]| {
        let output = xtask(cwd.path()).arg("dev").args(args).output().unwrap();
        let (stdout, stderr) = text(&output);
        (output.status.code(), stdout, stderr)
    };
    let port = |p: u16| p.to_string();

    let (code, stdout, stderr) = run(&["--name", &name, "--port", &port(first)]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("created {name}")), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "ready: postgres://postgres:authdb-dev@127.0.0.1:{first}/authdb"
        )),
        "{stdout}"
    );
    // How to point a BetterAuth app at it: the same URL and the page with its configuration.
    assert!(
        stdout.contains(&format!(
            "betterauth: give the app DATABASE_URL=postgres://postgres:authdb-dev@127.0.0.1:{first}/authdb \
             and the configuration in docs/betterauth.md"
        )),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(&["--name", &name, "--port", &port(second)]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "moved {name} from port {first} to {second} (a new container on the same data)"
        )),
        "{stdout}"
    );
    // The data came along: the demo users were there, so none was inserted again.
    assert!(stdout.contains("seeded: 0 new demo users"), "{stdout}");

    // A second container asking for the port the first one holds.
    let other = format!("{name}-other");
    refused_leaving_nothing(
        run(&["--name", &other, "--port", &port(second)]),
        second,
        &other,
    );

    let (code, stdout, _) = run(&["--name", &name, "--reset", "--stop"]);
    assert_eq!(
        code,
        Some(2),
        "--stop and --reset together are a usage error: {stdout}"
    );
    run(&["--name", &name, "--stop"]);
    docker(&["rm", "--force", &name]);
    docker(&["volume", "rm", &format!("{name}-data")]);
}

/// A checkout of its own, as xtask finds one (the workspace's manifests), with a copy of the
/// repository's migrations; and the name of its dev container.
fn checkout() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for file in ["Cargo.toml", "xtask/Cargo.toml"] {
        std::fs::create_dir_all(dir.path().join(file).parent().unwrap()).unwrap();
        std::fs::copy(repo.join(file), dir.path().join(file)).unwrap();
    }
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    for entry in std::fs::read_dir(repo.join("migrations")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("migrations").join(entry.file_name()),
        )
        .unwrap();
    }
    let name = default_name(&dir.path().canonicalize().unwrap());
    (dir, name)
}

/// Removes dev containers and their volumes when the test ends, passed or not.
struct Remove(Vec<String>);

impl Drop for Remove {
    fn drop(&mut self) {
        for name in &self.0 {
            docker(&["rm", "--force", name]);
            docker(&["volume", "rm", &format!("{name}-data")]);
        }
    }
}

/// The port of `dev`'s `ready:` line.
fn ready_port(stdout: &str) -> u16 {
    let url = stdout
        .lines()
        .find_map(|line| line.strip_prefix("ready: postgres://postgres:authdb-dev@127.0.0.1:"))
        .unwrap_or_else(|| panic!("no ready: line in\n{stdout}"));
    url.split('/').next().unwrap().parse().unwrap()
}

#[test]
fn dev_in_a_second_checkout_takes_the_next_free_port_and_a_taken_port_asked_for_is_refused() {
    let (first, first_name) = checkout();
    let (second, second_name) = checkout();
    let (third, third_name) = checkout();
    let _remove = Remove(vec![
        first_name.clone(),
        second_name.clone(),
        third_name.clone(),
    ]);
    let dev = |dir: &Path, args: &[&str]| {
        let output = xtask(dir).arg("dev").args(args).output().unwrap();
        let (stdout, stderr) = text(&output);
        (output.status.code(), stdout, stderr)
    };
    let moved = format!("port {DEFAULT_PORT} on 127.0.0.1 is ");
    let said = |stdout: &str| -> Vec<String> {
        stdout
            .lines()
            .filter(|line| line.starts_with(&moved))
            .map(str::to_string)
            .collect()
    };
    let range = DEFAULT_PORT..DEFAULT_PORT + PORTS_TRIED;

    // The first checkout gets the default, unless this machine holds it already (a developer's
    // own dev database): then it moves on, as the second one must.
    let (code, stdout, stderr) = dev(first.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("created {first_name}")),
        "{stdout}"
    );
    let first_port = ready_port(&stdout);
    assert!(range.contains(&first_port), "{stdout}");
    if first_port == DEFAULT_PORT {
        assert!(said(&stdout).is_empty(), "{stdout}");
    } else {
        assert_eq!(said(&stdout).len(), 1, "{stdout}");
        assert!(
            said(&stdout)[0].ends_with(&format!(
                "this checkout's takes {first_port} (--port chooses)"
            )),
            "{stdout}"
        );
    }

    // The second checkout finds the default held and takes the next free port, says so in one
    // line, and writes that port to its .env.
    let (code, stdout, stderr) = dev(second.path(), &["--write-env"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let second_port = ready_port(&stdout);
    assert!(
        range.contains(&second_port) && second_port != first_port,
        "{stdout}"
    );
    let lines = said(&stdout);
    assert_eq!(lines.len(), 1, "one line says the port moved:\n{stdout}");
    let line = &lines[0];
    assert!(
        line.ends_with(&format!(
            "this checkout's takes {second_port} (--port chooses)"
        )),
        "{line}"
    );
    if first_port == DEFAULT_PORT {
        let checkout = first.path().canonicalize().unwrap();
        assert!(
            line.contains(&format!(
                "is held by {first_name}, the dev database of {}:",
                checkout.display()
            )),
            "{line}"
        );
    }
    let env = std::fs::read_to_string(second.path().join(".env")).unwrap();
    assert_eq!(
        env,
        format!("DATABASE_URL=postgres://postgres:authdb-dev@127.0.0.1:{second_port}/authdb\n")
    );
    // Run again, it keeps its port and says nothing of the default.
    let (code, stdout, stderr) = dev(second.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("reusing the running {second_name}")),
        "{stdout}"
    );
    assert_eq!(ready_port(&stdout), second_port, "{stdout}");
    assert!(said(&stdout).is_empty(), "{stdout}");

    // A port asked for is never exchanged for another: taken, it is an error that leaves nothing.
    let asked = first_port.to_string();
    refused_leaving_nothing(
        dev(third.path(), &["--port", &asked]),
        first_port,
        &third_name,
    );
    assert!(!third.path().join(".env").exists());
}

#[test]
fn an_interrupted_snapshot_removes_its_container_and_a_killed_one_is_swept_next_time() {
    let fixture = testdb::Fixture::new().migration("slow", "SELECT pg_sleep(60);\n", "SELECT 1;\n");
    let dir = fixture.path().to_str().unwrap().to_string();
    let quick = testdb::Fixture::new().table("a");
    let quick = quick.path().to_str().unwrap().to_string();
    for (signal, killed) in [(libc::SIGINT, false), (libc::SIGKILL, true)] {
        let cwd = tempfile::tempdir().unwrap();
        let mut child = xtask(cwd.path())
            .args(["snapshot", "--migrations", &dir])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let owner = child.id().to_string();
        let label = format!("label=authdb.owner={owner}");
        let mine = || docker(&["ps", "--all", "--quiet", "--filter", &label]);
        let deadline = Instant::now() + Duration::from_secs(60);
        while mine().is_empty() {
            assert!(
                Instant::now() < deadline,
                "snapshot never started its container"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Let it get into the migration, then interrupt it.
        std::thread::sleep(Duration::from_secs(2));
        // Sent directly: a minimal system has no `kill` program (Debian's is in procps).
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: kill(2) with a pid this test spawned and has not yet waited for.
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "kill -{signal} {owner}"
        );
        child.wait().unwrap();
        if !killed {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !mine().is_empty() {
                assert!(
                    Instant::now() < deadline,
                    "Ctrl-C left the container {}",
                    mine()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            continue;
        }
        assert!(
            !mine().is_empty(),
            "a killed process cannot remove anything"
        );
        // The next run that starts a server sweeps it, and says so.
        let output = xtask(cwd.path())
            .args(["snapshot", "--check", "--migrations", &quick])
            .output()
            .unwrap();
        let (stdout, _) = text(&output);
        assert!(
            stdout.contains("removed 1 container(s) left by interrupted runs"),
            "{stdout}"
        );
        assert!(mine().is_empty());
    }
}
