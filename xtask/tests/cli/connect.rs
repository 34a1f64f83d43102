//! Connecting as a user meets it: a server that accepts TCP and then says nothing (a paused
//! compute, a half-open proxy) makes the command give up within the documented bound, with a
//! message that says what happened, instead of hanging.

use std::time::{Duration, Instant};

use authdb::Retry;

use crate::{folder, text, xtask};

#[test]
fn a_silent_server_makes_the_command_give_up_within_the_documented_bound() {
    let silent = testdb::SilentServer::start();
    let dir = folder(&[
        ("001_a.sql", b"SELECT 1;\n"),
        ("001_a.down.sql", b"SELECT 1;\n"),
    ]);
    // What the README promises: every attempt bounded by connect_timeout, 4 attempts, backoff.
    let bound = Retry::default().longest(Duration::from_secs(1));
    let url = format!(
        "postgres://u:Sh0uldNotShow@127.0.0.1:{}/db?connect_timeout=1",
        silent.port
    );
    let started = Instant::now();
    let mut child = xtask(dir.path())
        .args(["status", "--database-url", &url, "--migrations"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A hang must fail the test, not stall it.
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("status hung on a server that never answers");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    eprintln!(
        "status gave up on a silent server after {:.2} s (bound {:.1} s)",
        took.as_secs_f64(),
        bound.as_secs_f64()
    );
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: cannot connect to postgres://u:***@127.0.0.1:{}/db?connect_timeout=1 after 4 \
             attempts",
            silent.port
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("the server did not answer within connect_timeout (1 s for TCP, TLS and the startup exchange together)"),
        "{stderr}"
    );
    assert!(!stderr.contains("Sh0uldNotShow"), "{stderr}");
    // 7.5 s; the slack is for a loaded machine. The measured times are in the README.
    assert!(took < bound + Duration::from_secs(5), "took {took:?}");
    // The 4 attempts, and one look at what listens there (a greeting would name another
    // protocol), taken once.
    assert_eq!(silent.accepted(), 5);
}
