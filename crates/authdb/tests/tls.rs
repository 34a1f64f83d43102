//! What `sslmode` promises, against a real PostgreSQL with TLS on and a certificate from a CA made
//! by the test (see `testdb::tls`): every connection goes through the library's own path,
//! `ConnInfo::parse` and `connect`, as `cargo xtask migrate` does. The certificate names
//! `localhost` only; `hostaddr=127.0.0.1` reaches the same server under another host name, as a
//! wrong or aliased host name would.

use std::time::{Duration, Instant};

use authdb::{ConnInfo, Environment, Retry, Setting};
use testdb::tls::{CERT_HOST, PASSWORD, tls_server};

/// A host name that is not in the certificate; `hostaddr` says where it really is.
const OTHER_HOST: &str = "db.authdb.invalid";

fn parse(url: &str) -> ConnInfo {
    let setting = Setting {
        value: url.to_string(),
        origin: "the test".into(),
    };
    ConnInfo::parse(&setting, false).unwrap_or_else(|e| panic!("{e}"))
}

fn ca_param() -> String {
    format!("sslrootcert={}", tls_server().ca.display())
}

/// Connects and says whether the session is encrypted.
async fn connect_ssl(url: &str) -> bool {
    let info = parse(url);
    let connection = authdb::connect(&info, Retry::default())
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    encrypted(&connection.client).await
}

/// Whether the session is encrypted, as the server sees it.
async fn encrypted(client: &tokio_postgres::Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

fn assert_says(message: &str, expected: &[&str]) {
    for part in expected {
        assert!(message.contains(part), "expected {part:?} in: {message}");
    }
}

/// The error of a connection that must fail, checked to be immediate (not retried) and to carry
/// no password.
async fn refused(url: &str) -> String {
    let info = parse(url);
    let started = Instant::now();
    let message = match authdb::connect(&info, Retry::default()).await {
        Ok(_) => panic!("connected to {url}"),
        Err(e) => e.to_string(),
    };
    // Retrying would pause 0.5, 1 and 2 s between attempts: 3.5 s at least. One attempt takes
    // milliseconds, a second or so on a machine loaded by the whole suite.
    assert!(
        started.elapsed() < Duration::from_millis(3400),
        "a failure that waiting cannot fix must not be retried: {message}"
    );
    assert!(!message.contains(&format!(":{PASSWORD}@")), "{message}");
    message
}

#[tokio::test]
async fn require_and_verify_full_encrypt_and_accept_a_certificate_that_verifies() {
    let server = tls_server();
    for mode in ["require", "verify-full"] {
        let url = server.url(CERT_HOST, &format!("sslmode={mode}&{}", ca_param()));
        assert!(connect_ssl(&url).await, "{mode}: not encrypted");
    }
}

#[tokio::test]
async fn verify_ca_accepts_a_certificate_for_another_host_name_when_the_chain_verifies() {
    let server = tls_server();
    let url = server.url(
        OTHER_HOST,
        &format!("sslmode=verify-ca&hostaddr=127.0.0.1&{}", ca_param()),
    );
    assert!(connect_ssl(&url).await, "not encrypted");
}

#[tokio::test]
async fn a_certificate_for_another_host_name_is_refused_and_the_message_says_so() {
    let server = tls_server();
    for mode in ["require", "verify-full"] {
        let url = server.url(
            OTHER_HOST,
            &format!("sslmode={mode}&hostaddr=127.0.0.1&{}", ca_param()),
        );
        let message = refused(&url).await;
        assert!(
            message.to_lowercase().contains("(hostname mismatch)"),
            "{mode}: {message}"
        );
        assert_says(
            &message,
            &[
                "certificate verify failed",
                "certificate is not for the host name db.authdb.invalid",
                "sslmode=verify-ca",
            ],
        );
    }
    // An IP address is checked against the certificate too.
    let url = server.url("127.0.0.1", &format!("sslmode=verify-full&{}", ca_param()));
    let message = refused(&url).await;
    assert_says(
        &message,
        &[
            "(IP address mismatch)",
            "certificate is not for the host name 127.0.0.1",
        ],
    );
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused_and_the_message_says_so() {
    let server = tls_server();
    let unknown = format!(
        "sslmode=verify-full&sslrootcert={}",
        server.unknown_ca.display()
    );
    for params in ["sslmode=verify-full", "sslmode=require", &unknown] {
        let message = refused(&server.url(CERT_HOST, params)).await;
        assert_says(
            &message,
            &[
                "certificate verify failed",
                "certificate is signed by a CA this machine does not trust",
                "sslrootcert=PATH",
            ],
        );
    }
}

#[tokio::test]
async fn channel_binding_require_works_with_scram_over_tls() {
    let server = tls_server();
    let url = server.url(
        CERT_HOST,
        &format!("sslmode=verify-full&channel_binding=require&{}", ca_param()),
    );
    // tokio-postgres refuses to finish a login that did not bind SCRAM to the TLS channel, so a
    // session here is proof that it did.
    assert!(connect_ssl(&url).await, "not encrypted");
}

#[tokio::test]
async fn channel_binding_require_without_tls_fails_clearly() {
    let server = tls_server();
    let url = server.url(CERT_HOST, "sslmode=disable&channel_binding=require");
    let message = refused(&url).await;
    assert_says(
        &message,
        &[
            "server did not use channel binding",
            "channel_binding=require needs TLS",
        ],
    );
}

/// `sslmode=disable` towards another machine: refused by default, allowed by
/// `AUTHDB_ALLOW_INSECURE=1`, read the way `cargo xtask` reads it (environment or `.env`).
#[tokio::test]
async fn sslmode_disable_to_another_host_is_refused_unless_explicitly_allowed() {
    let server = tls_server();
    let url = server.url(OTHER_HOST, "sslmode=disable&hostaddr=127.0.0.1");
    let dir = tempfile::tempdir().unwrap();
    let dotenv = dir.path().join(".env");

    std::fs::write(&dotenv, format!("DATABASE_URL={url}\n")).unwrap();
    let env = Environment::from_file(&dotenv).unwrap();
    let message = match authdb::open(&env, None).await {
        Ok(_) => panic!("connected without TLS to {OTHER_HOST}"),
        Err(e) => e.to_string(),
    };
    assert_says(
        &message,
        &[
            "refusing to connect to postgres://postgres:***@db.authdb.invalid",
            "AUTHDB_ALLOW_INSECURE=1",
        ],
    );

    std::fs::write(
        &dotenv,
        format!("DATABASE_URL={url}\nAUTHDB_ALLOW_INSECURE=1\n"),
    )
    .unwrap();
    let env = Environment::from_file(&dotenv).unwrap();
    let (info, connection) = authdb::open(&env, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!info.loopback);
    assert!(
        !encrypted(&connection.client).await,
        "sslmode=disable must not encrypt"
    );
}

/// Over TLS the tap counts the decrypted messages (the socket's bytes are encrypted once the
/// handshake took over): notices of statements sent several to a message are still tied to their
/// lines.
#[tokio::test]
async fn notices_are_placed_at_their_statements_over_tls() {
    let server = tls_server();
    let url = server.url(CERT_HOST, &format!("sslmode=verify-full&{}", ca_param()));
    let mut connection = authdb::connect(&parse(&url), Retry::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(encrypted(&connection.client).await);
    let schema = format!("tls_{}", std::process::id());
    connection
        .client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; \
             SET search_path = {schema}"
        ))
        .await
        .unwrap();
    let fixture = testdb::Fixture::new().migration(
        "notices",
        "CREATE TABLE t (id int);\n\
         DO $$ BEGIN RAISE NOTICE 'second'; END $$;\n\
         INSERT INTO t VALUES (1);\n\
         DO $$ BEGIN RAISE NOTICE 'fourth'; END $$;\n",
        "DROP TABLE t;\n",
    );
    let heard: std::sync::Arc<std::sync::Mutex<Vec<authdb::Notice>>> = Default::default();
    let sink = heard.clone();
    let options = authdb::MigrateOptions {
        notify: authdb::Notify::new(move |n| sink.lock().unwrap().push(n.clone())),
        ..Default::default()
    };
    connection.migrate(&fixture.load(), &options).await.unwrap();
    let placed: Vec<(usize, String)> = heard
        .lock()
        .unwrap()
        .iter()
        .filter_map(|n| match n {
            authdb::Notice::Server { line, message, .. } => Some((*line, message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        placed,
        [(2, "second".to_string()), (4, "fourth".to_string())]
    );
    connection
        .client
        .batch_execute(&format!(
            "DROP SCHEMA {schema} CASCADE; DROP TABLE public.authdb_schema_migrations"
        ))
        .await
        .unwrap();
}
