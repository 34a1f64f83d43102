//! A server that accepts TCP connections and then says nothing: what a paused compute, a
//! half-open proxy or `docker pause` look like to a client. Connecting to it must give up in
//! time; no PostgreSQL is needed to show that.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Accepts every connection, reads nothing, writes nothing, and keeps it open until dropped.
pub struct SilentServer {
    pub port: u16,
    /// Every connection accepted so far, held open.
    accepted: Arc<Mutex<Vec<TcpStream>>>,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let held = Arc::clone(&accepted);
        // The thread ends with the test process; the listener is never closed before.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                held.lock().expect("not poisoned").push(stream);
            }
        });
        SilentServer { port, accepted }
    }

    /// How many connections it has accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.lock().expect("not poisoned").len()
    }
}
