//! Servers of other protocols on a port where a PostgreSQL server is expected (a URL with the
//! wrong port): an HTTP service that answers anything with `400 Bad Request` and closes, as web
//! servers do, and an SSH server that greets first and then waits for the client's greeting,
//! as sshd does. Connecting to either must say what is there, within the connect timeout.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A listener of another protocol, serving every connection on its own thread until dropped
/// with the test process.
pub struct Impostor {
    pub port: u16,
    /// Connections it holds open (the SSH one never closes them itself).
    _held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Impostor {
    /// Reads what the client sends, answers `HTTP/1.1 400 Bad Request`, and closes.
    pub fn http() -> Impostor {
        Impostor::serve(|mut stream, _| {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\
                  Connection: close\r\n\r\nBad Request",
            );
        })
    }

    /// Greets with its version line, then reads and keeps the connection open without another
    /// word: a PostgreSQL client's startup is not an SSH greeting, so sshd waits for one.
    pub fn ssh() -> Impostor {
        Impostor::serve(|mut stream, held| {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n");
            if let Ok(clone) = stream.try_clone() {
                held.lock().expect("not poisoned").push(clone);
            }
            let mut buffer = [0u8; 1024];
            while matches!(stream.read(&mut buffer), Ok(n) if n > 0) {}
        })
    }

    fn serve(handle: fn(TcpStream, &Mutex<Vec<TcpStream>>)) -> Impostor {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&held);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || handle(stream, &shared));
            }
        });
        Impostor { port, _held: held }
    }
}
