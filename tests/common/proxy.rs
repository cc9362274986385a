//! A loopback TCP proxy to a server whose connections a test can cut, as a network failure
//! would (the redirector's reconnect tests against smbd and lwiod).

/// A loopback TCP proxy to a server whose connections the test can cut (as a network
/// failure would), while it keeps accepting new ones.
pub(crate) struct Proxy {
    /// The port the proxy listens on.
    pub(crate) port: u16,
    live: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    /// A proxy to `server_port` on loopback.
    pub(crate) fn start(server_port: u16) -> Proxy {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let live = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&live);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let server = std::net::TcpStream::connect(("127.0.0.1", server_port)).unwrap();
                {
                    let mut l = kept.lock().unwrap();
                    l.push(client.try_clone().unwrap());
                    l.push(server.try_clone().unwrap());
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, live }
    }

    /// Cuts every connection made so far.
    pub(crate) fn cut(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}
