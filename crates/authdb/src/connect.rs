//! Opening a connection: TLS as the URL asks, one deadline over each whole attempt (TCP, TLS and
//! the startup and authentication exchange), and a few retries with backoff, because a Neon
//! compute that was suspended takes a few seconds to wake up. Which failures are retried is
//! decided by the error's kind and SQLSTATE, never by the words of its message.

use std::error::Error as _;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use native_tls::{Certificate, TlsConnector};
use postgres_native_tls::MakeTlsConnector;
use tokio::net::TcpStream;
use tokio_postgres::config::TargetSessionAttrs;
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{AsyncMessage, Client, NoTls, SimpleQueryMessage};

use crate::conninfo::{ConnInfo, Tls};
use crate::environment::Environment;
use crate::error::{Error, Result, describe};
use crate::hosts::{Target, targets};
use crate::identify;
use crate::notice::ServerNotices;
use crate::wire::{TapTls, Tapped};

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
            ..options.clone()
        };
        let report = crate::runner::migrate(&mut self.client, migrations, &attributed).await;
        self.notices.flush(&options.notify);
        report
    }
}

/// Connects, retrying only failures that waiting can fix (nothing listening yet, a connection
/// reset or timed out, a server starting up or full), never a wrong password, a TLS failure or
/// a host name that does not resolve.
pub async fn connect(info: &ConnInfo, retry: Retry) -> Result<Connection> {
    let notices = ServerNotices::default();
    // Without TLS, OpenSSL is never set up: loading the system's CA bundle costs more than the
    // rest of a short command.
    let client = match info.tls {
        Tls::Disable => connect_with(info, retry, NoTls, &notices).await?,
        _ => connect_with(info, retry, tls_connector(info)?, &notices).await?,
    };
    // A simple query: one round trip, where a prepared one takes two. Still part of connecting,
    // so bounded by the same deadline.
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
        url: info.redacted.clone(),
        server_version,
        through_pooler: info.is_neon_pooler(),
        notices,
    })
}

/// Why one attempt at one host failed.
enum Failure {
    Driver(tokio_postgres::Error),
    /// `target_session_attrs` asked for another kind of server: this one is read-only, or
    /// accepts writes where read-only was asked.
    WrongKind(&'static str),
    /// The host's deadline passed: no TCP connection, or no complete TLS and startup exchange.
    NoAnswer(Duration),
    /// Something else listens there (see `identify.rs`): no retry can help.
    NotPostgres(String),
}

impl Failure {
    fn is_transient(&self) -> bool {
        match self {
            Failure::Driver(error) => is_transient(error),
            // A compute that is waking up, or a server restarting: worth another attempt.
            Failure::NoAnswer(_) => true,
            Failure::NotPostgres(_) | Failure::WrongKind(_) => false,
        }
    }

    fn into_reason(self, target: &Target) -> (String, Option<tokio_postgres::Error>) {
        let host = target.label.rsplit_once(':').map_or("", |(host, _)| host);
        match self {
            Failure::Driver(error) => (explain(&error, host), Some(error)),
            Failure::NoAnswer(waited) => (no_answer(waited, "within connect_timeout"), None),
            Failure::WrongKind(what) => (
                advise(format!("error connecting to server: {what}"), host),
                None,
            ),
            Failure::NotPostgres(what) => (
                format!(
                    "not a PostgreSQL server: {what} listens at {}. Check the host and port of \
                     the URL (PostgreSQL listens on 5432 unless it was set up otherwise)",
                    target.label
                ),
                None,
            ),
        }
    }
}

fn no_answer(waited: Duration, when: &str) -> String {
    format!(
        "the server did not answer {when} ({} s for TCP, TLS and the startup exchange together): \
         a paused or overloaded server, or a proxy that accepts connections but does not forward \
         them. Check that the server is up; raise connect_timeout in the URL if it is only slow",
        waited.as_secs_f64()
    )
}

/// Tries every host in turn, each under its own `connect_timeout` as libpq does (a host that
/// accepts and then stalls costs its own timeout, not the others'), and the whole round again
/// while a failure is one that waiting can fix, dropping the hosts that cannot.
async fn connect_with<T>(
    info: &ConnInfo,
    retry: Retry,
    tls: T,
    notices: &ServerNotices,
) -> Result<Client>
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
) -> Result<Client, Failure>
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
    let attempt = tokio::time::timeout(timeout, connect_target(target, tls, notices));
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

/// The socket of a host: TCP, or a Unix socket's path; or the error of one that could not be
/// opened, which its first read or write returns, so the driver reports it as its own.
pub enum Wire {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    Failed(Option<std::io::Error>),
}

/// The driver's error for `socket`, a [`Wire::Failed`].
async fn driver_failure(config: &tokio_postgres::Config, socket: Wire) -> Failure {
    match config.connect_raw(socket, NoTls).await {
        Err(error) => Failure::Driver(error),
        Ok(_) => unreachable!("a failed socket cannot connect"),
    }
}

impl Wire {
    fn failed<T>(error: &mut Option<std::io::Error>) -> std::task::Poll<std::io::Result<T>> {
        std::task::Poll::Ready(Err(error
            .take()
            .unwrap_or_else(|| std::io::Error::from(ErrorKind::NotConnected))))
    }
}

/// Connects to one host over a socket of our own, tapped (see `wire.rs`), as tokio-postgres would
/// connect (TCP without Nagle's delay, TLS as the URL says, `target_session_attrs` checked), and
/// drives the connection on a task of its own.
async fn connect_target<T>(
    target: &Target,
    mut tls: T,
    notices: &ServerNotices,
) -> Result<Client, Failure>
where
    T: MakeTlsConnect<Tapped<Wire>> + Send + 'static,
    T::Stream: Sync + Send + 'static,
    T::TlsConnect: Sync + Send + 'static,
    <T::TlsConnect as TlsConnect<Tapped<Wire>>>::Future: Send + 'static,
{
    let config = &target.config;
    // A socket that cannot be opened still goes through the driver, so the error is the
    // driver's, with the socket's as its cause, as when the driver opened it (see `Failed`).
    let failed = |error: std::io::Error| (Wire::Failed(Some(error)), String::new());
    let (socket, domain) = match (&target.tcp, config.get_hosts().first()) {
        (Some((to, port)), host) => {
            let stream = match TcpStream::connect((to.as_str(), *port)).await {
                Ok(stream) => stream,
                Err(error) => return Err(driver_failure(config, failed(error).0).await),
            };
            let _ = stream.set_nodelay(true);
            let domain = match host {
                Some(tokio_postgres::config::Host::Tcp(name)) => name.clone(),
                _ => to.clone(),
            };
            (Wire::Tcp(stream), domain)
        }
        #[cfg(unix)]
        (None, Some(tokio_postgres::config::Host::Unix(dir))) => {
            let port = config.get_ports().first().copied().unwrap_or(5432);
            let path = dir.join(format!(".s.PGSQL.{port}"));
            match tokio::net::UnixStream::connect(path).await {
                Ok(stream) => (Wire::Unix(stream), String::new()),
                Err(error) => failed(error),
            }
        }
        _ => failed(std::io::Error::new(
            ErrorKind::InvalidInput,
            "the URL names no host",
        )),
    };
    let tap = notices.tap();
    let connector = match tls.make_tls_connect(&domain) {
        Ok(connector) => connector,
        Err(error) => {
            let error = std::io::Error::other(error.into());
            return Err(driver_failure(config, failed(error).0).await);
        }
    };
    let (client, connection) = config
        .connect_raw(
            Tapped::new(socket, tap.clone()),
            TapTls::new(connector, tap),
        )
        .await
        .map_err(Failure::Driver)?;
    tokio::spawn(drive(connection, notices.clone()));
    let wanted = config.get_target_session_attrs();
    if wanted != TargetSessionAttrs::Any {
        let answer = client
            .simple_query("SHOW transaction_read_only")
            .await
            .map_err(Failure::Driver)?;
        let read_only = answer.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(|v| v == "on"),
            _ => None,
        });
        match (wanted, read_only) {
            (TargetSessionAttrs::ReadWrite, Some(true)) => {
                return Err(Failure::WrongKind("database does not allow writes"));
            }
            (TargetSessionAttrs::ReadOnly, Some(false)) => {
                return Err(Failure::WrongKind("database is not read only"));
            }
            _ => {}
        }
    }
    Ok(client)
}

impl tokio::io::AsyncRead for Wire {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Tcp(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Wire::Unix(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Wire::Failed(error) => Wire::failed(error),
        }
    }
}

impl tokio::io::AsyncWrite for Wire {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Wire::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Wire::Unix(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Wire::Failed(error) => Wire::failed(error),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Tcp(s) => std::pin::Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Wire::Unix(s) => std::pin::Pin::new(s).poll_flush(cx),
            Wire::Failed(error) => Wire::failed(error),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Wire::Unix(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Wire::Failed(_) => std::task::Poll::Ready(Ok(())),
        }
    }
}

/// Drives the connection until the client is dropped, keeping what the server says in between
/// (tokio-postgres drops notices otherwise). Its errors surface on the client's next call, so
/// there is nothing to do with them here.
async fn drive<S, T>(mut connection: tokio_postgres::Connection<S, T>, notices: ServerNotices)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
        if let AsyncMessage::Notice(notice) = message {
            notices.push(notice);
        }
    }
}

/// The failure of every host, in one sentence, and the driver error to keep as the cause: the
/// first with a SQLSTATE (a server's refusal says the most), else the last one.
fn reasons(failed: Vec<(Target, Failure)>) -> (String, Option<tokio_postgres::Error>) {
    let several = failed.len() > 1;
    let mut texts = Vec::new();
    let mut source: Option<tokio_postgres::Error> = None;
    for (target, failure) in failed {
        let (text, driver) = failure.into_reason(&target);
        texts.push(if several {
            format!("{}: {text}", target.label)
        } else {
            text
        });
        if let Some(driver) = driver
            && source.as_ref().is_none_or(|kept| kept.code().is_none())
        {
            source = Some(driver);
        }
    }
    let reason = match texts.len() {
        1 => texts.remove(0),
        _ => format!("every host failed. {}", texts.join("; ")),
    };
    (reason, source)
}

/// A failure that is not the server refusing (no SQLSTATE) nor nothing listening: what answered
/// may not be PostgreSQL at all.
fn may_be_another_protocol(error: &tokio_postgres::Error) -> bool {
    if error.code().is_some() {
        return false;
    }
    let mut cause = error.source();
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return !matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::AddrNotAvailable
                    | ErrorKind::PermissionDenied
            );
        }
        cause = error.source();
    }
    true
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

/// Failures that can pass, told apart by what they are: the server's SQLSTATE (starting up or
/// shutting down, too many connections), a connection closed during start-up (a container's port
/// proxy does that), or an I/O error of a kind that waiting can fix. Not: any other refusal by
/// the server (a wrong password, 28P01; no such role or database), a TLS failure, a host name
/// that does not resolve (its I/O error is of another kind), or a protocol error.
fn is_transient(error: &tokio_postgres::Error) -> bool {
    if let Some(code) = error.code() {
        return *code == SqlState::CANNOT_CONNECT_NOW || *code == SqlState::TOO_MANY_CONNECTIONS;
    }
    if error.is_closed() {
        return true;
    }
    let mut cause = error.source();
    while let Some(error) = cause {
        if error.is::<native_tls::Error>() {
            return false;
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return is_transient_io(io);
        }
        cause = error.source();
    }
    false
}

/// Whether waiting can fix a socket's failure: nothing listening yet, a connection reset or
/// timed out; not a host name that does not resolve.
fn is_transient_io(io: &std::io::Error) -> bool {
    matches!(
        io.kind(),
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::BrokenPipe
            | ErrorKind::TimedOut
            | ErrorKind::UnexpectedEof
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
    )
}

/// The driver's message, plus advice for the failures people meet most. `host` is the host name
/// the certificate was checked against.
fn explain(error: &tokio_postgres::Error, host: &str) -> String {
    advise(describe(error), host)
}

/// `text`, an error's message, with the advice for the failures people meet most.
fn advise(text: String, host: &str) -> String {
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
    } else if text.contains("database does not allow writes") {
        ". target_session_attrs=read-write asks for a server that accepts writes, and this one is \
         read-only (a standby, or default_transaction_read_only): list the primary among the hosts"
            .to_string()
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
