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
async fn connects_and_reports_the_server_version_and_redacted_target() {
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
        connection.target.contains("postgres:***@"),
        "{}",
        connection.target
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
