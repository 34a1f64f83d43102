//! Opening a connection: TLS as the URL asks, one deadline over each whole attempt (TCP, TLS and
//! the startup and authentication exchange), and a few retries with backoff, because a Neon
//! compute that was suspended takes a few seconds to wake up. Which failures are retried is
//! decided by the error's kind and SQLSTATE, never by the words of its message.

use std::time::{Duration, Instant};

use native_tls::{Certificate, TlsConnector};
use postgres_native_tls::MakeTlsConnector;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{AsyncMessage, Client, NoTls, SimpleQueryMessage};

use crate::attempt::{Failure, may_be_another_protocol, no_answer, reasons};
use crate::conninfo::{ConnInfo, Tls};
use crate::environment::Environment;
use crate::error::{Error, Result, describe};
use crate::hosts::{Target, targets};
use crate::identify;
use crate::notice::ServerNotices;
use crate::socket::{self, Wire};
use crate::wire::Tapped;

/// Finds the URL (flag, then DATABASE_URL, then NEON_DB_URL, from the environment or `.env`),
/// parses it and connects. `AUTHDB_ALLOW_INSECURE=1` permits `sslmode=disable` to another host;
/// it is looked up (and `.env` read for it) only when the URL asks for that.
pub async fn open(env: &Environment, url_flag: Option<&str>) -> Result<(ConnInfo, Connection)> {
    let info = resolve(env, url_flag)?;
    let connection = connect(&info, Retry::default()).await?;
    Ok((info, connection))
}

/// The connection settings [`open`] would use, found and parsed without any network step, so a
/// caller can refuse a database before its password is sent (seed refuses a remote one).
pub fn resolve(env: &Environment, url_flag: Option<&str>) -> Result<ConnInfo> {
    let url = env.database_url(url_flag)?;
    match ConnInfo::parse(&url, false) {
        Err(Error::InsecureRemote { .. }) if env.flag("AUTHDB_ALLOW_INSECURE")? => {
            ConnInfo::parse(&url, true)
        }
        parsed => parsed,
    }
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

    /// The longest connecting can take when each attempt may take `attempt`: every attempt
    /// plus every wait between two of them. With the defaults and a 10 s `connect_timeout`:
    /// 4 × 10 s + 0.5 + 1 + 2 s = 43.5 s.
    pub fn longest(&self, attempt: Duration) -> Duration {
        let mut total = attempt * self.attempts;
        let mut backoff = self.first_backoff;
        for _ in 1..self.attempts {
            total += backoff;
            backoff = (backoff * 2).min(self.max_backoff);
        }
        total
    }
}

/// An open session, with what reports print about it.
pub struct Connection {
    pub client: Client,
    /// The redacted URL.
    pub url: String,
    /// `server_version` without the packager's suffix, e.g. "17.2".
    pub server_version: String,
    /// The connection goes through a transaction-mode pooler (Neon's `-pooler` endpoints), so
    /// it cannot hold a session: [`Connection::migrate`] refuses a no-transaction migration.
    pub through_pooler: bool,
    /// What the server said (`RAISE NOTICE`...), until a file's statement claims it.
    pub notices: ServerNotices,
    /// A second connection like this one, to ask whether a silent server is at work.
    pub probe: crate::probe::Probe,
    /// How long connecting took, start-up and authentication included (retries and their
    /// pauses too): the first line of `migrate --timings`.
    pub connected_in: std::time::Duration,
}

impl Connection {
    /// [`crate::migrate`] on this connection, which knows whether it goes through a pooler: the
    /// way every caller gets the pooler rule without deciding it.
    pub async fn migrate(
        &mut self,
        migrations: &crate::Migrations,
        options: &crate::MigrateOptions,
    ) -> Result<crate::MigrateReport> {
        let attributed = crate::MigrateOptions {
            through_pooler: options.through_pooler || self.through_pooler,
            notify: self.notices.attributing(options.notify.clone()),
            server_notices: Some(self.notices.clone()),
            probe: options.probe.clone().or_else(|| Some(self.probe.clone())),
            ..options.clone()
        };
        let mut report = crate::runner::migrate(&mut self.client, migrations, &attributed).await;
        self.notices.flush(&options.notify);
        if let Ok(report) = &mut report {
            report.timings.connect_ms = Some(self.connected_in.as_secs_f64() * 1000.0);
        }
        report
    }
}

/// Connects, retrying only failures that waiting can fix (nothing listening yet, a connection
/// reset or timed out, a server starting up or full), never a wrong password, a TLS failure or
/// a host name that does not resolve.
pub async fn connect(info: &ConnInfo, retry: Retry) -> Result<Connection> {
    let started = std::time::Instant::now();
    let notices = ServerNotices::default();
    // Without TLS, OpenSSL is never set up: loading the system's CA bundle costs more than the
    // rest of a short command.
    let (client, reported) = match info.tls {
        Tls::Disable => connect_with(info, retry, NoTls, &notices).await?,
        _ => connect_with(info, retry, tls_connector(info)?, &notices).await?,
    };
    // The server reports its version while starting the session; asking costs a round trip,
    // which on a distant server is most of a migrate with nothing to do.
    let server_version = match reported {
        Some(version) => version,
        None => show_server_version(info, &client).await?,
    };
    let server_version = server_version
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    Ok(Connection {
        client,
        url: info.redacted.clone(),
        server_version,
        through_pooler: info.is_neon_pooler(),
        notices,
        probe: crate::probe::Probe::new(info),
        connected_in: started.elapsed(),
    })
}

/// `SHOW server_version`, for a server (or a pooler) that did not report it: a simple query, one
/// round trip where a prepared one takes two, bounded by the connection's deadline.
async fn show_server_version(info: &ConnInfo, client: &Client) -> Result<String> {
    let failed = |reason: String, source| Error::Connect {
        url: info.redacted.clone(),
        reason,
        source,
    };
    let messages = tokio::time::timeout(
        info.connect_timeout,
        client.simple_query("SHOW server_version"),
    )
    .await
    .map_err(|_| failed(no_answer(info.connect_timeout, "to its first query"), None))?
    .map_err(|e| failed(describe(&e), Some(e)))?;
    Ok(messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0),
            _ => None,
        })
        .unwrap_or_default()
        .to_string())
}

/// Tries every host in turn, each under its own `connect_timeout` as libpq does (a host that
/// accepts and then stalls costs its own timeout, not the others'), and the whole round again
/// while a failure is one that waiting can fix, dropping the hosts that cannot.
async fn connect_with<T>(
    info: &ConnInfo,
    retry: Retry,
    tls: T,
    notices: &ServerNotices,
) -> Result<(Client, Option<String>)>
where
    T: MakeTlsConnect<Tapped<Wire>> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send + 'static,
    T::TlsConnect: Sync + Send + 'static,
    <T::TlsConnect as TlsConnect<Tapped<Wire>>>::Future: Send + 'static,
{
    let started = Instant::now();
    let mut backoff = retry.first_backoff;
    let mut attempt = 1;
    let mut left = targets(&info.config, info.connect_timeout);
    // Reported in the order they were tried, whatever was retried.
    let order: Vec<String> = left.iter().map(|t| t.label.clone()).collect();
    let mut failed: Vec<(Target, Failure)> = Vec::new();
    loop {
        let mut transient = Vec::new();
        for target in left {
            // What listens at a host is asked once: a retry meets the same listener.
            let identify = attempt == 1;
            match connect_host(
                &target,
                info.connect_timeout,
                tls.clone(),
                notices,
                identify,
            )
            .await
            {
                Ok(client) => return Ok(client),
                Err(failure) => {
                    if failure.is_transient() {
                        transient.push(target.clone());
                    }
                    failed.retain(|(t, _)| t.label != target.label);
                    failed.push((target, failure));
                }
            }
        }
        left = transient;
        if attempt < retry.attempts && !left.is_empty() {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(retry.max_backoff);
            attempt += 1;
            continue;
        }
        failed.sort_by_key(|(target, _)| order.iter().position(|l| *l == target.label));
        let (reason, source) = reasons(failed);
        return Err(if attempt > 1 {
            Error::Unreachable {
                url: info.redacted.clone(),
                attempts: attempt,
                seconds: started.elapsed().as_secs_f64(),
                reason,
                source,
            }
        } else {
            Error::Connect {
                url: info.redacted.clone(),
                reason,
                source,
            }
        });
    }
}

/// One host, within `timeout` for all of it. When it goes wrong in a way another protocol would
/// explain, `identify.rs` asks what listens there: after a failure at once, and, for a host that
/// has not finished after half its time, alongside (a server that greets first, such as SSH's,
/// otherwise stalls the driver to the deadline). A server that answers in time is never asked,
/// and with `identify` false (a retry) no host is.
async fn connect_host<T>(
    target: &Target,
    timeout: Duration,
    tls: T,
    notices: &ServerNotices,
    identify: bool,
) -> Result<(Client, Option<String>), Failure>
where
    T: MakeTlsConnect<Tapped<Wire>> + Send + 'static,
    T::Stream: Sync + Send + 'static,
    T::TlsConnect: Sync + Send + 'static,
    <T::TlsConnect as TlsConnect<Tapped<Wire>>>::Future: Send + 'static,
{
    let started = Instant::now();
    let listener = target.tcp.as_ref().filter(|_| identify);
    let identify = |budget: Duration| async move {
        match listener {
            Some((host, port)) => identify::not_postgres(host, *port, budget).await,
            None => None,
        }
    };
    let alongside = async {
        tokio::time::sleep(timeout / 2).await;
        identify(timeout / 2).await
    };
    let attempt = tokio::time::timeout(timeout, socket::connect_target(target, tls, notices));
    tokio::select! {
        connected = attempt => match connected {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(Failure::Driver(error))) if may_be_another_protocol(&error) => {
                let budget = timeout.saturating_sub(started.elapsed());
                match identify(budget).await {
                    Some(what) => Err(Failure::NotPostgres(what)),
                    None => Err(Failure::Driver(error)),
                }
            }
            Ok(Err(failure)) => Err(failure),
            Err(_) => Err(Failure::NoAnswer(timeout)),
        },
        Some(what) = alongside => Err(Failure::NotPostgres(what)),
    }
}

/// Drives the connection until the client is dropped, keeping what the server says in between
/// (tokio-postgres drops notices otherwise). Its errors surface on the client's next call, so
/// there is nothing to do with them here.
pub(crate) async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    notices: ServerNotices,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
        if let AsyncMessage::Notice(notice) = message {
            notices.push(notice);
        }
    }
}

fn tls_connector(info: &ConnInfo) -> Result<MakeTlsConnector> {
    let mut builder = TlsConnector::builder();
    if let Some(path) = &info.root_cert {
        let pem = std::fs::read(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| Error::Connect {
            url: info.redacted.clone(),
            reason: format!("sslrootcert={}: not a PEM certificate: {e}", path.display()),
            source: None,
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
        url: info.redacted.clone(),
        reason: format!("cannot set up TLS: {e}"),
        source: None,
    })?;
    Ok(MakeTlsConnector::new(connector))
}
