//! The library's own connect path against the test server: errors that name the fault and never
//! the password.

use std::time::Duration;

use authdb::{ConnInfo, Retry, Setting};

fn setting(url: String) -> Setting {
    Setting {
        value: url,
        origin: "the test".into(),
    }
}

async fn connect_error(url: String, retry: Retry) -> String {
    let info = ConnInfo::parse(&setting(url), false).unwrap();
    match authdb::connect(&info, retry).await {
        Ok(_) => panic!("connected to {}", info.redacted),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn connects_and_reports_the_server_version_and_redacted_url() {
    let db = testdb::migrated_database().await;
    let info = ConnInfo::parse(&db.setting(), false).unwrap();
    let connection = authdb::connect(&info, Retry::default()).await.unwrap();
    // "17.2", "15.10": whichever supported major version the test image runs.
    let major = connection
        .server_version
        .split('.')
        .next()
        .unwrap_or_default();
    let major: u32 = major.parse().unwrap();
    assert!((14..=18).contains(&major), "{}", connection.server_version);
    assert!(
        connection.url.contains("postgres:***@"),
        "{}",
        connection.url
    );
}

#[tokio::test]
async fn a_wrong_password_is_named_and_not_retried_or_printed() {
    let server = testdb::server();
    let url = format!(
        "postgres://postgres:Wr0ngPassw0rd@{}:{}/postgres",
        server.host, server.port
    );
    let started = std::time::Instant::now();
    let message = connect_error(url, Retry::default()).await;
    assert!(
        message.contains("password authentication failed for user \"postgres\""),
        "{message}"
    );
    assert!(!message.contains("Wr0ngPassw0rd"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "an auth failure must not be retried"
    );
}

#[tokio::test]
async fn a_missing_database_is_named() {
    let server = testdb::server();
    let url = format!(
        "postgres://postgres:postgres@{}:{}/no_such_db",
        server.host, server.port
    );
    let message = connect_error(url, Retry::default()).await;
    assert!(
        message.contains("database \"no_such_db\" does not exist (SQLSTATE 3D000)"),
        "{message}"
    );
    assert!(!message.contains(":postgres@"), "{message}");
}

#[tokio::test]
async fn a_refused_port_is_retried_then_explained() {
    let retry = Retry {
        attempts: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
    };
    let message = connect_error("postgres://u:s3cret@127.0.0.1:1/db".into(), retry).await;
    assert!(
        message.starts_with("cannot connect to postgres://u:***@127.0.0.1:1/db after 3 attempts"),
        "{message}"
    );
    assert!(message.contains("Nothing listens there"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn sslmode_require_refuses_a_server_without_tls() {
    let server = testdb::server();
    let url = format!(
        "postgres://postgres:postgres@{}:{}/postgres?sslmode=require",
        server.host, server.port
    );
    let message = connect_error(url, Retry::default()).await;
    assert!(message.contains("server does not support TLS"), "{message}");
}

/// A server that accepts TCP and never answers the startup message (a paused Neon compute, a
/// half-open proxy): each attempt gives up after connect_timeout, TLS or not, and the retries
/// keep their total bound. Before, the timeout covered TCP only and this hung for ever.
#[tokio::test]
async fn a_server_that_accepts_but_never_answers_gives_up_within_the_connect_timeout() {
    let silent = testdb::SilentServer::start();
    let retry = Retry {
        attempts: 2,
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(100),
    };
    let bound = retry.longest(Duration::from_secs(1));
    for options in ["connect_timeout=1", "connect_timeout=1&sslmode=require"] {
        let url = format!("postgres://u:s3cret@127.0.0.1:{}/db?{options}", silent.port);
        let started = std::time::Instant::now();
        let message = tokio::time::timeout(Duration::from_secs(30), connect_error(url, retry))
            .await
            .unwrap_or_else(|_| panic!("{options}: connect hung on a silent server"));
        let took = started.elapsed();
        assert!(
            message.contains("after 2 attempts")
                && message.contains(
                    "the server did not answer within connect_timeout (1 s for TCP, TLS and the \
                     startup exchange together)"
                ),
            "{options}: {message}"
        );
        assert!(!message.contains("s3cret"), "{message}");
        // The bound is 2.1 s; the slack is for a loaded machine, not for a hang.
        assert!(
            took < bound + Duration::from_secs(3),
            "{options}: took {took:?}"
        );
    }
    assert!(
        silent.accepted() >= 4,
        "the attempts never reached the server"
    );
}

/// What is retried is decided by the error's kind, not its words: a refused port is retried, a
/// host name that does not resolve and a wrong password are not, and the driver's error stays
/// attached with its SQLSTATE.
#[tokio::test]
async fn retries_follow_the_kind_of_failure_and_keep_the_driver_error() {
    let retry = Retry {
        attempts: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
    };
    let error = |url: &str| {
        let info = ConnInfo::parse(&setting(url.to_string()), false).unwrap();
        async move { authdb::connect(&info, retry).await.err().unwrap() }
    };
    let unresolved = error("postgres://u:p@no-such-host.invalid/db").await;
    assert!(
        matches!(unresolved, authdb::Error::Connect { .. }),
        "retried: {unresolved}"
    );
    assert!(std::error::Error::source(&unresolved).is_some());

    let server = testdb::server();
    let wrong = format!(
        "postgres://postgres:Wr0ng@{}:{}/postgres",
        server.host, server.port
    );
    let refused = error(&wrong).await;
    assert!(
        matches!(refused, authdb::Error::Connect { .. }),
        "{refused}"
    );
    assert_eq!(refused.sqlstate(), Some("28P01"));

    let nobody = error("postgres://u:p@127.0.0.1:1/db").await;
    assert!(
        matches!(nobody, authdb::Error::Unreachable { attempts: 3, .. }),
        "{nobody}"
    );
    assert_eq!(nobody.sqlstate(), None);
    assert!(std::error::Error::source(&nobody).is_some());
}
