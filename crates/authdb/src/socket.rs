//! One host's socket, opened by us rather than by the driver, so that what the server sends is
//! counted on its way in (`wire.rs`): TCP without Nagle's delay, or a Unix socket; TLS as the
//! URL says, over it; then the driver's start-up and `target_session_attrs`, as tokio-postgres's
//! own `connect` does them.

use std::io::ErrorKind;

use tokio::net::TcpStream;
use tokio_postgres::config::TargetSessionAttrs;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::attempt::Failure;
use crate::connect::drive;
use crate::hosts::Target;
use crate::notice::ServerNotices;
use crate::wire::{TapTls, Tapped};

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
/// drives the connection on a task of its own. Returns the client and the `server_version` the
/// server reported while starting the session, when it did (PostgreSQL always does).
pub(crate) async fn connect_target<T>(
    target: &Target,
    mut tls: T,
    notices: &ServerNotices,
) -> Result<(Client, Option<String>), Failure>
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
    let server_version = connection.parameter("server_version").map(str::to_string);
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
    Ok((client, server_version))
}

/// `Wire`'s I/O: the socket's own, or the error of one that could not be opened.
macro_rules! on_wire {
    ($wire:expr, $socket:ident => $call:expr, $failed:expr) => {
        match $wire {
            Wire::Tcp($socket) => $call,
            #[cfg(unix)]
            Wire::Unix($socket) => $call,
            Wire::Failed(error) => $failed(error),
        }
    };
}

impl tokio::io::AsyncRead for Wire {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        on_wire!(self.get_mut(), s => std::pin::Pin::new(s).poll_read(cx, buf), Wire::failed)
    }
}

impl tokio::io::AsyncWrite for Wire {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        on_wire!(self.get_mut(), s => std::pin::Pin::new(s).poll_write(cx, buf), Wire::failed)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        on_wire!(self.get_mut(), s => std::pin::Pin::new(s).poll_flush(cx), Wire::failed)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        on_wire!(self.get_mut(), s => std::pin::Pin::new(s).poll_shutdown(cx), |_| {
            std::task::Poll::Ready(Ok(()))
        })
    }
}
