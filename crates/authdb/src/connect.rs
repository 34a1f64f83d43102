//! Opening a connection: TLS as the URL asks, a timeout on every attempt, and a few retries with
//! backoff, because a Neon compute that was suspended takes a few seconds to wake up.

use std::time::{Duration, Instant};

use native_tls::{Certificate, TlsConnector};
use postgres_native_tls::MakeTlsConnector;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage, Socket};

use crate::conninfo::{ConnInfo, Tls};
use crate::environment::Environment;
use crate::error::{Error, Result, describe};

/// Finds the URL (flag, then DATABASE_URL, then NEON_DB_URL, from the environment or `.env`),
/// parses it and connects. `AUTHDB_ALLOW_INSECURE=1` permits `sslmode=disable` to another host.
pub async fn open(env: &Environment, url_flag: Option<&str>) -> Result<(ConnInfo, Connection)> {
    let url = env.database_url(url_flag)?;
    let info = ConnInfo::parse(&url, env.flag("AUTHDB_ALLOW_INSECURE"))?;
    let connection = connect(&info, Retry::default()).await?;
    Ok((info, connection))
}

/// How often and how patiently to try.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    /// The wait after the first failure; it doubles after each further one, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(4),
        }
    }
}

impl Retry {
    /// For a server that is starting right now (a new container): many quick attempts.
    pub fn starting_server() -> Retry {
        Retry {
            attempts: 120,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        }
    }
}

/// An open session, with what reports print about it.
pub struct Connection {
    pub client: Client,
    /// The redacted URL.
    pub target: String,
    /// `server_version` without the packager's suffix, e.g. "17.2".
    pub server_version: String,
}

/// Connects, retrying only failures that waiting can fix (no route yet, server starting up),
/// never a wrong password or a certificate that does not verify.
pub async fn connect(info: &ConnInfo, retry: Retry) -> Result<Connection> {
    // Without TLS, OpenSSL is never set up: loading the system's CA bundle costs more than the
    // rest of a short command.
    let client = match info.tls {
        Tls::Disable => connect_with(info, retry, NoTls).await?,
        _ => connect_with(info, retry, tls_connector(info)?).await?,
    };
    // A simple query: one round trip, where a prepared one takes two.
    let messages = client
        .simple_query("SHOW server_version")
        .await
        .map_err(|e| Error::Connect {
            target: info.redacted.clone(),
            reason: describe(&e),
        })?;
    let server_version = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0),
            _ => None,
        })
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    Ok(Connection {
        client,
        target: info.redacted.clone(),
        server_version,
    })
}

async fn connect_with<T>(info: &ConnInfo, retry: Retry, tls: T) -> Result<Client>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let started = Instant::now();
    let mut backoff = retry.first_backoff;
    let mut attempt = 1;
    let client = loop {
        match info.config.connect(tls.clone()).await {
            Ok((client, connection)) => {
                // The connection task ends when the client is dropped; its errors surface on the
                // client's next call, so there is nothing to do with them here.
                tokio::spawn(connection);
                break client;
            }
            Err(error) if attempt < retry.attempts && is_transient(&error) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(retry.max_backoff);
                attempt += 1;
            }
            Err(error) if attempt > 1 => {
                return Err(Error::Unreachable {
                    target: info.redacted.clone(),
                    attempts: attempt,
                    seconds: started.elapsed().as_secs_f64(),
                    reason: explain(&error, &info.host()),
                });
            }
            Err(error) => {
                return Err(Error::Connect {
                    target: info.redacted.clone(),
                    reason: explain(&error, &info.host()),
                });
            }
        }
    };
    Ok(client)
}

fn tls_connector(info: &ConnInfo) -> Result<MakeTlsConnector> {
    let mut builder = TlsConnector::builder();
    if let Some(path) = &info.root_cert {
        let pem = std::fs::read(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| Error::Connect {
            target: info.redacted.clone(),
            reason: format!("sslrootcert={}: not a PEM certificate: {e}", path.display()),
        })?;
        builder.add_root_certificate(cert);
    }
    match info.tls {
        Tls::VerifyFull => {}
        Tls::Disable => {}
        Tls::Opportunistic => {
            builder.disable_built_in_roots(true);
            builder.danger_accept_invalid_certs(true);
            builder.danger_accept_invalid_hostnames(true);
        }
        Tls::VerifyCa => {
            builder.danger_accept_invalid_hostnames(true);
        }
    }
    let connector = builder.build().map_err(|e| Error::Connect {
        target: info.redacted.clone(),
        reason: format!("cannot set up TLS: {e}"),
    })?;
    Ok(MakeTlsConnector::new(connector))
}

/// Failures that can pass: nothing listening yet, a connection dropped during start-up (a
/// container's port proxy does that), a timeout, or a server that says it is starting. Not: a
/// server's refusal (wrong password, no such database), TLS failures, or a name that does not
/// resolve.
fn is_transient(error: &tokio_postgres::Error) -> bool {
    if let Some(db) = error.as_db_error() {
        // cannot_connect_now (starting up / shutting down), too_many_connections
        return matches!(db.code().code(), "57P03" | "53300");
    }
    let text = describe(error);
    !(text.starts_with("error performing TLS handshake")
        || text.starts_with("authentication error")
        || text.contains("lookup address")
        || text.starts_with("invalid"))
}

/// The driver's message, plus advice for the failures people meet most. `host` is the host name
/// the certificate was checked against.
fn explain(error: &tokio_postgres::Error, host: &str) -> String {
    let text = describe(error);
    // OpenSSL's reasons, which native-tls passes on in parentheses (their case varies).
    let lower = text.to_lowercase();
    let advice = if lower.contains("hostname mismatch") || lower.contains("ip address mismatch") {
        format!(
            ". The server's certificate is not for the host name {host}: connect with a name the \
             certificate lists (for Neon, the endpoint's host name as the console shows it, not an \
             IP address or an alias), or use sslmode=verify-ca to check the CA only"
        )
    } else if text.contains("unable to get local issuer certificate")
        || text.contains("self-signed certificate")
        || text.contains("unable to verify the first certificate")
    {
        ". The server's certificate is signed by a CA this machine does not trust: give that CA \
         with sslrootcert=PATH (Neon's CA is a public one: if Neon is refused, install the \
         system's CA certificates, e.g. the ca-certificates package)"
            .to_string()
    } else if text.contains("certificate") || text.contains("handshake") {
        ". The server's certificate did not verify: check the host name, or give the CA with \
         sslrootcert=PATH"
            .to_string()
    } else if text.contains("server did not use channel binding") {
        ". channel_binding=require needs TLS and a password checked with SCRAM: use \
         sslmode=require or verify-full (as Neon's URLs do), or leave channel_binding out"
            .to_string()
    } else if text.contains("lookup address") {
        ". The host name does not resolve: check it for typos".to_string()
    } else if text.contains("Connection refused") {
        ". Nothing listens there: is the server running, and is the port right?".to_string()
    } else if text.contains("no encryption") {
        ". The server accepts only encrypted connections: add sslmode=require (or prefer) to the URL"
            .to_string()
    } else if text.contains("server does not support TLS") {
        ". The server offers no TLS: use a server with TLS, or sslmode=prefer for a local one"
            .to_string()
    } else {
        String::new()
    };
    format!("{text}{advice}")
}
