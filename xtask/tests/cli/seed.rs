//! `seed` through the built binary, where its input arrives: `--users` is a bounded count (a
//! usage error, never a panic), and a remote database is refused before anything is sent to it.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::{text, xtask};

#[test]
fn users_outside_one_to_a_hundred_million_is_a_usage_error_naming_the_flag() {
    let cwd = tempfile::tempdir().unwrap();
    for (value, reason) in [
        (
            "18446744073709551615",
            "18446744073709551615 is not in 1..=100000000",
        ),
        ("100000001", "100000001 is not in 1..=100000000"),
        ("0", "0 is not in 1..=100000000"),
        (
            "99999999999999999999999",
            "number too large to fit in target type",
        ),
        ("1e6", "invalid digit found in string"),
    ] {
        let output = xtask(cwd.path())
            .args(["seed", "--users", value])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "--users {value}: {stderr}");
        assert_eq!(
            stderr.lines().next(),
            Some(format!("error: invalid value '{value}' for '--users <N>': {reason}").as_str()),
            "--users {value}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stdout, "");
    }
}

/// A listener that counts the connections made to it, until `stop`.
struct Listener {
    port: u16,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (connections, stop) = (connections.clone(), stop.clone());
            std::thread::spawn(move || {
                loop {
                    match listener.accept() {
                        // Closed at once: a client that connected fails fast instead of waiting.
                        Ok(_) => {
                            connections.fetch_add(1, Ordering::SeqCst);
                        }
                        // Checked only once the queue is empty, so a connection made before
                        // `stop` is always counted.
                        Err(_) if stop.load(Ordering::SeqCst) => return,
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Listener {
            port,
            connections,
            stop,
            thread,
        }
    }

    /// The connections made so far, counted after draining the queue.
    fn stop(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        self.connections.load(Ordering::SeqCst)
    }
}

#[test]
fn a_remote_database_is_refused_before_any_connection_is_attempted() {
    const SECRET: &str = "s3cret-never-sent";
    let cwd = tempfile::tempdir().unwrap();
    for users in [None, Some("10")] {
        let listener = Listener::start();
        let port = listener.port;
        // The host name says remote, so seed must refuse; `hostaddr` would take a connection to
        // this test's listener, so any attempt to connect is seen.
        let url = format!("postgres://app:{SECRET}@db.example.com:{port}/app?hostaddr=127.0.0.1");
        let mut command = xtask(cwd.path());
        command.args(["seed", "--database-url", &url]);
        if let Some(users) = users {
            command.args(["--users", users]);
        }
        let output = command.output().unwrap();
        let connections = listener.stop();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        assert_eq!(
            stderr.trim(),
            format!(
                "error: refusing to seed postgres://app:***@db.example.com:{port}/app?hostaddr=127.0.0.1: \
                 it is not on this machine, and demo accounts with a published password must not \
                 reach production by accident. Pass --allow-remote if this database is really \
                 meant for test data"
            )
        );
        assert_eq!(
            connections, 0,
            "seed connected to a database it then refused (users: {users:?})"
        );
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    }
}
