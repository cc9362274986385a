//! A loopback TCP proxy to a server whose connections a test can cut, as a network failure
//! would (the redirector's reconnect tests against smbd and lwiod).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A loopback TCP proxy to a server whose connections the test can cut (as a network
/// failure would), while it keeps accepting new ones; it keeps what the clients sent.
pub(crate) struct Proxy {
    /// The port the proxy listens on.
    pub(crate) port: u16,
    live: Arc<Mutex<Vec<TcpStream>>>,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl Proxy {
    /// A proxy to `server_port` on loopback.
    pub(crate) fn start(server_port: u16) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let live = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&live);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&sent);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let server = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
                {
                    let mut l = kept.lock().unwrap();
                    l.push(client.try_clone().unwrap());
                    l.push(server.try_clone().unwrap());
                }
                for (mut from, mut to, record) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        Some(Arc::clone(&record)),
                    ),
                    (server, client, None),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n @ 1..) = from.read(&mut buf) {
                            if let Some(r) = &record {
                                r.lock().unwrap().extend_from_slice(&buf[..n]);
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, live, sent }
    }

    /// How many times the clients sent `needle` (a create context's name, say).
    #[allow(dead_code)] // not every test binary that includes this module asks
    pub(crate) fn sent_count(&self, needle: &[u8]) -> usize {
        self.sent
            .lock()
            .unwrap()
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    /// Cuts every connection made so far.
    pub(crate) fn cut(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}
