//! What the server sends, counted as it arrives: how many commands have completed on the
//! connection, and after how many each notice came. migrate sends a file's statements several to
//! a message (one round trip, not one per statement); the results of one message come back in
//! order, each statement's `CommandComplete` after any notice it raised, so counting them on the
//! wire ties every notice to its statement, exactly, whatever the driver's tasks do meanwhile.
//!
//! The tap reads the PostgreSQL protocol's framing only (a tag byte and a length), below the
//! driver and above TLS: [`Tapped`] wraps the socket, and [`TapTls`] the TLS stream once a
//! handshake takes over (the socket's tap then stops, since what it carries is encrypted).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect, TlsStream};

/// The counts, shared by the taps of one connection and by whoever reads them.
#[derive(Clone, Default)]
pub struct Tap(Arc<Mutex<Counts>>);

#[derive(Default)]
struct Counts {
    /// `CommandComplete` (and `EmptyQueryResponse`) messages read so far.
    completed: u64,
    /// For each `NoticeResponse` read and not yet claimed, `completed` when it came.
    notices: VecDeque<u64>,
}

impl Tap {
    /// Commands completed on the connection so far.
    pub fn completed(&self) -> u64 {
        self.lock().completed
    }

    /// How many commands had completed when the oldest unclaimed notice came; the driver hands
    /// notices on in the order they came, so its next notice is this one.
    pub fn claim_notice(&self) -> Option<u64> {
        self.lock().notices.pop_front()
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Where the reader is in the message stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Counting messages.
    Messages,
    /// An SSL request was written: its answer is one byte, `S` or `N`, not a message.
    SslAnswer,
    /// TLS took over: the bytes here are encrypted; the TLS stream's tap counts.
    Off,
}

/// A stream whose incoming messages are counted into a [`Tap`].
pub struct Tapped<S> {
    inner: S,
    tap: Tap,
    reading: Arc<Mutex<Reading>>,
    /// The message header being read: tag and four length bytes.
    header: [u8; 5],
    header_read: usize,
    /// Bytes of the current message's body still to skip.
    body_left: usize,
    /// Nothing has been written yet: the first write may be an SSL request.
    first_write: bool,
}

/// The eight bytes of an SSL request: its length (8) and code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 4, 210, 22, 47];

impl<S> Tapped<S> {
    pub fn new(inner: S, tap: Tap) -> Tapped<S> {
        Tapped {
            inner,
            tap,
            reading: Arc::new(Mutex::new(Reading::Messages)),
            header: [0; 5],
            header_read: 0,
            body_left: 0,
            first_write: true,
        }
    }

    fn reading(&self) -> Reading {
        *self
            .reading
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set_reading(&self, reading: Reading) {
        *self
            .reading
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = reading;
    }

    /// Counts the messages in `bytes`, which continue what was read before.
    fn count(&mut self, mut bytes: &[u8]) {
        match self.reading() {
            Reading::Off => return,
            Reading::SslAnswer if !bytes.is_empty() => {
                self.set_reading(Reading::Messages);
                bytes = &bytes[1..];
            }
            _ => {}
        }
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let skip = self.body_left.min(bytes.len());
                self.body_left -= skip;
                bytes = &bytes[skip..];
                continue;
            }
            let take = (5 - self.header_read).min(bytes.len());
            self.header[self.header_read..self.header_read + take].copy_from_slice(&bytes[..take]);
            self.header_read += take;
            bytes = &bytes[take..];
            if self.header_read < 5 {
                break;
            }
            self.header_read = 0;
            let length = u32::from_be_bytes([
                self.header[1],
                self.header[2],
                self.header[3],
                self.header[4],
            ]) as usize;
            self.body_left = length.saturating_sub(4);
            let mut counts = self.tap.lock();
            match self.header[0] {
                b'C' | b'I' => counts.completed += 1,
                b'N' => {
                    let completed = counts.completed;
                    counts.notices.push_back(completed);
                }
                _ => {}
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let read = buf.filled()[before..].to_vec();
            self.count(&read);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.first_write && !buf.is_empty() {
            self.first_write = false;
            if buf.starts_with(&SSL_REQUEST) {
                self.set_reading(Reading::SslAnswer);
            }
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: TlsStream + Unpin> TlsStream for Tapped<S> {
    fn channel_binding(&self) -> ChannelBinding {
        self.inner.channel_binding()
    }
}

/// A TLS connector whose streams are tapped: the handshake turns the socket's tap off, and the
/// TLS stream's tap counts the same [`Tap`].
pub struct TapTls<T> {
    inner: T,
    tap: Tap,
}

impl<T> TapTls<T> {
    pub fn new(inner: T, tap: Tap) -> TapTls<T> {
        TapTls { inner, tap }
    }
}

impl<S, T> TlsConnect<Tapped<S>> for TapTls<T>
where
    T: TlsConnect<Tapped<S>> + Send + 'static,
    T::Future: Send + 'static,
    T::Stream: Send + 'static,
{
    type Stream = Tapped<T::Stream>;
    type Error = T::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Stream, Self::Error>> + Send>>;

    fn connect(self, stream: Tapped<S>) -> Self::Future {
        stream.set_reading(Reading::Off);
        let tap = self.tap;
        let connecting = self.inner.connect(stream);
        Box::pin(async move {
            let tls = connecting.await?;
            Ok(Tapped::new(tls, tap))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tag`, then a body of `body` bytes, framed as the server frames it.
    fn message(tag: u8, body: usize) -> Vec<u8> {
        let mut bytes = vec![tag];
        bytes.extend_from_slice(&((body + 4) as u32).to_be_bytes());
        bytes.extend(std::iter::repeat_n(b'x', body));
        bytes
    }

    #[test]
    fn completions_and_notices_are_counted_however_the_bytes_are_cut() {
        // Two statements: the first raises a notice, then both complete; then ReadyForQuery.
        let mut stream = Vec::new();
        for (tag, body) in [
            (b'N', 30),
            (b'C', 9),
            (b'T', 12),
            (b'D', 40),
            (b'C', 9),
            (b'N', 3),
            (b'Z', 1),
        ] {
            stream.extend(message(tag, body));
        }
        for cut in 1..stream.len() {
            let tap = Tap::default();
            let mut tapped = Tapped::new((), tap.clone());
            for chunk in stream.chunks(cut) {
                tapped.count(chunk);
            }
            assert_eq!(tap.completed(), 2, "cut {cut}");
            assert_eq!(tap.claim_notice(), Some(0), "cut {cut}");
            assert_eq!(tap.claim_notice(), Some(2), "cut {cut}");
            assert_eq!(tap.claim_notice(), None, "cut {cut}");
        }
    }

    #[test]
    fn the_answer_to_an_ssl_request_is_one_byte_not_a_message() {
        let tap = Tap::default();
        let mut tapped = Tapped::new((), tap.clone());
        tapped.set_reading(Reading::SslAnswer);
        let mut bytes = vec![b'N'];
        bytes.extend(message(b'R', 4));
        bytes.extend(message(b'C', 5));
        tapped.count(&bytes);
        assert_eq!(tap.completed(), 1);
        tapped.set_reading(Reading::Off);
        tapped.count(&message(b'C', 5));
        assert_eq!(tap.completed(), 1, "encrypted bytes are not counted");
    }
}
