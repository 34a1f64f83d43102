//! What listens at a host and port, when a connection attempt there went wrong in a way another
//! protocol would explain: an HTTP service answers PostgreSQL's startup with text the driver
//! calls "bytes remaining on stream", and an SSH server's greeting reads as a message 1.4 GB long
//! that never arrives, which looked like a paused server for 43.5 s of retries. Both are named
//! at once now, and not retried.
//!
//! Only a separate, short connection is used: a PostgreSQL server never speaks first, so bytes
//! that arrive before anything is sent are another protocol's greeting (SSH, SMTP, FTP); and to
//! PostgreSQL's SSL request (8 bytes) a PostgreSQL server or pooler answers exactly one byte,
//! `S` or `N`, where an HTTP server answers a status line.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a server-first protocol takes to greet: at once, so a short wait tells.
const GREETING: Duration = Duration::from_millis(250);

/// PostgreSQL's SSLRequest: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 4, 210, 22, 47];

/// A description of what listens at `host`:`port` when it is certainly not PostgreSQL ("an SSH
/// server (SSH-2.0-OpenSSH_9.6)"); `None` when it is, or when nothing could be learned within
/// `budget` (nothing listening, a silent server).
pub(crate) async fn not_postgres(host: &str, port: u16, budget: Duration) -> Option<String> {
    tokio::time::timeout(budget, identify(host, port))
        .await
        .ok()
        .flatten()
}

async fn identify(host: &str, port: u16) -> Option<String> {
    let mut stream = TcpStream::connect((host, port)).await.ok()?;
    let mut buffer = [0u8; 256];
    match tokio::time::timeout(GREETING, stream.read(&mut buffer)).await {
        Ok(Ok(0)) | Ok(Err(_)) => return None,
        Ok(Ok(read)) => return Some(describe(&buffer[..read])),
        Err(_) => {}
    }
    stream.write_all(&SSL_REQUEST).await.ok()?;
    let read = stream.read(&mut buffer).await.ok()?;
    match &buffer[..read] {
        [] | [b'S'] | [b'N'] => None,
        answer => Some(describe(answer)),
    }
}

/// What the bytes say, as far as they are text: the first line, up to 60 characters.
fn describe(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .take_while(|&&b| b != b'\r' && b != b'\n')
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .take(60)
        .collect();
    if text.starts_with("SSH-") {
        format!("an SSH server ({text})")
    } else if text.starts_with("HTTP/") {
        format!("an HTTP server (it answered \"{text}\")")
    } else {
        format!("a server of another protocol (it sent \"{text}\")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_are_named_by_their_protocol() {
        assert_eq!(
            describe(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"),
            "an SSH server (SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13)"
        );
        assert_eq!(
            describe(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
            "an HTTP server (it answered \"HTTP/1.1 400 Bad Request\")"
        );
        assert_eq!(
            describe(b"220 mail.example ESMTP\r\n"),
            "a server of another protocol (it sent \"220 mail.example ESMTP\")"
        );
        assert_eq!(
            describe(&[0x16, 3, 1, b'x']),
            "a server of another protocol (it sent \"...x\")"
        );
    }
}
