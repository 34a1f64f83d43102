//! The containers the tools create, as a user meets them: `dev` per checkout with its port, a
//! taken port that leaves nothing behind, and Ctrl-C or a kill that leaves nothing either (the
//! interrupted run removes its container; a killed one's is swept by the next run, which says so).

use std::process::Stdio;
use std::time::{Duration, Instant};

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
    let (code, stdout, stderr) = run(&["--name", &other, "--port", &port(second)]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("error: port {second} on 127.0.0.1 is taken"))
            && stderr.contains("choose another with --port"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_eq!(
        leftovers(&other),
        (String::new(), String::new()),
        "the refused run left something"
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

#[test]
fn an_interrupted_snapshot_removes_its_container_and_a_killed_one_is_swept_next_time() {
    let fixture = testdb::Fixture::new().migration("slow", "SELECT pg_sleep(60);\n", "SELECT 1;\n");
    let dir = fixture.path().to_str().unwrap().to_string();
    let quick = testdb::Fixture::new().table("a");
    let quick = quick.path().to_str().unwrap().to_string();
    for (signal, killed) in [("INT", false), ("KILL", true)] {
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
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &owner])
            .status()
            .unwrap();
        assert!(status.success());
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
