//! Multi-host URLs fail over as libpq does: `connect_timeout` applies to each host, then the next
//! is tried (a first host that accepts and stalls used to keep the whole attempt, and its
//! retries, for 19.5 s); `target_session_attrs` is honoured per host; and a port where another
//! protocol listens is named as such within the connect timeout, without retries.

use std::time::{Duration, Instant};

use authdb::{ConnInfo, Retry, Setting};

fn info(url: String) -> ConnInfo {
    let setting = Setting {
        value: url,
        origin: "the test".into(),
    };
    ConnInfo::parse(&setting, false).unwrap()
}

#[tokio::test]
async fn a_host_that_accepts_and_stalls_costs_its_connect_timeout_then_the_next_is_used() {
    let db = testdb::empty_database().await;
    let server = testdb::server();
    let silent = testdb::SilentServer::start();
    for attrs in ["", "&target_session_attrs=read-write"] {
        let url = format!(
            "postgres://postgres:postgres@127.0.0.1:{},{}:{}/{}?connect_timeout=2{attrs}",
            silent.port, server.host, server.port, db.name
        );
        let started = Instant::now();
        let connection = authdb::connect(&info(url), Retry::default()).await;
        let took = started.elapsed();
        let connection = connection.unwrap_or_else(|e| panic!("{attrs}: {e}"));
        assert!(!connection.server_version.is_empty());
        // Two seconds on the stalled host, then the good one: never its retries (2 × 4 s + 3.5 s).
        assert!(took >= Duration::from_secs(2), "{attrs}: {took:?}");
        assert!(took < Duration::from_secs(6), "{attrs}: {took:?}");
    }
    assert!(silent.accepted() >= 2, "the stalled host was never tried");
}

/// Every host is tried and each one's failure is named: a refused port, and a server that
/// `target_session_attrs=read-write` refuses because it is read-only.
#[tokio::test]
async fn when_every_host_fails_each_one_is_named_with_its_reason() {
    let db = testdb::empty_database().await;
    db.connect()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {} SET default_transaction_read_only = on",
            db.name
        ))
        .await
        .unwrap();
    let server = testdb::server();
    let retry = Retry {
        attempts: 2,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
    };
    let url = format!(
        "postgres://postgres:postgres@127.0.0.1:1,{}:{}/{}?target_session_attrs=read-write",
        server.host, server.port, db.name
    );
    let error = authdb::connect(&info(url.clone()), retry)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("every host failed. 127.0.0.1:1: "),
        "{error}"
    );
    assert!(error.contains("Nothing listens there"), "{error}");
    assert!(
        error.contains(&format!(
            "{}:{}: error connecting to server: database does not allow writes",
            server.host, server.port
        )) && error.contains("this one is read-only"),
        "{error}"
    );
    // Without the attribute, the read-only server is good enough.
    let url = url.replace("?target_session_attrs=read-write", "");
    authdb::connect(&info(url), retry).await.unwrap();
}

#[tokio::test]
async fn an_http_or_ssh_server_on_the_port_is_named_within_the_connect_timeout() {
    let http = testdb::Impostor::http();
    let ssh = testdb::Impostor::ssh();
    for (impostor, what) in [
        (
            &http,
            "an HTTP server (it answered \"HTTP/1.1 400 Bad Request\")",
        ),
        (
            &ssh,
            "an SSH server (SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5)",
        ),
    ] {
        for tls in ["", "&sslmode=require"] {
            let url = format!(
                "postgres://u:s3cret@127.0.0.1:{}/db?connect_timeout=4{tls}",
                impostor.port
            );
            let started = Instant::now();
            let error = authdb::connect(&info(url), Retry::default())
                .await
                .err()
                .unwrap()
                .to_string();
            let took = started.elapsed();
            assert!(
                error.contains(&format!(
                    "not a PostgreSQL server: {what} listens at 127.0.0.1:{}",
                    impostor.port
                )),
                "{tls}: {error}"
            );
            assert!(!error.contains("attempts"), "retried: {error}");
            assert!(!error.contains("s3cret"), "{error}");
            assert!(took < Duration::from_secs(4), "{what}{tls}: {took:?}");
        }
    }
}
