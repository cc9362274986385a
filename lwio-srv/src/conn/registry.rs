//! The engine's view of every connection of a server: admission ([`super::admission`]),
//! the live connections (to evict the oldest unauthenticated one, to count what they
//! hold), the shutdown signal they all watch, and counters of what is alive, which
//! [`crate::endpoint::EngineStats`] reports.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::time::Instant;

use super::Conn;
use super::admission::{AddrKey, Admission, Limits, Refusal, Verdict};
use crate::config::Settings;
use crate::endpoint::EngineStats;

/// What the engine tracks of a live connection.
struct Live {
    conn: Weak<Conn>,
    accepted: Instant,
}

/// Counters of objects alive, kept by their constructors and destructors.
#[derive(Default)]
pub(crate) struct Counters {
    /// `Conn` values not yet dropped.
    pub(crate) conn_objects: AtomicUsize,
    /// Request tasks and writer tasks running.
    pub(crate) tasks: AtomicUsize,
    /// The largest budget peak of a connection that has ended.
    pub(crate) peak_buffered: AtomicUsize,
    /// Compressed frames received and decompressed.
    pub(crate) compressed_requests: AtomicU64,
    /// Responses sent compressed.
    pub(crate) compressed_responses: AtomicU64,
}

/// Increments a counter now and decrements it when dropped.
pub(crate) struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    pub(crate) fn new(c: &'a AtomicUsize) -> Counted<'a> {
        c.fetch_add(1, Ordering::Relaxed);
        Counted(c)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection the engine admitted: its id and address, for [`Engine::ended`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admitted {
    pub(crate) id: u64,
    pub(crate) addr: Option<AddrKey>,
    pub(crate) accepted: Instant,
}

/// Connection bookkeeping of one server.
pub(crate) struct Engine {
    admission: Mutex<Admission>,
    live: Mutex<HashMap<u64, Live>>,
    next_id: AtomicU64,
    pub(crate) counters: Counters,
    stop: watch::Sender<bool>,
}

impl Engine {
    /// The engine of a server configured by `cfg`.
    pub(crate) fn new(cfg: &Settings) -> Engine {
        let limits = Limits {
            max_connections: cfg.max_connections,
            max_per_address: cfg.max_connections_per_address,
            max_unauthenticated: cfg.max_unauthenticated_connections,
            fd_reserve: cfg.fd_reserve,
        };
        Engine {
            admission: Mutex::new(Admission::new(limits, super::admission::fd_limit())),
            live: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            counters: Counters::default(),
            stop: watch::channel(false).0,
        }
    }

    /// Raises the process's descriptor limit and takes the new one for the reserve.
    pub(crate) fn raise_fd_limit(&self) {
        let limit = super::admission::raise_fd_limit();
        self.admission.lock().set_fd_limit(limit);
    }

    /// Admits a connection from `peer` whose descriptor is `fd`, or says why not. When the
    /// unauthenticated connections are at their limit, the oldest of them is closed.
    pub(crate) fn admit(&self, peer: Option<IpAddr>, fd: Option<u64>) -> Result<Admitted, Refusal> {
        let addr = peer.map(AddrKey::of);
        let verdict = self.admission.lock().admit(addr, fd);
        match verdict {
            Verdict::Refuse(r) => Err(r),
            Verdict::Admit { evict } => {
                if evict {
                    self.evict_oldest_unauthenticated();
                }
                Ok(Admitted {
                    id: self.next_id.fetch_add(1, Ordering::Relaxed),
                    addr,
                    accepted: Instant::now(),
                })
            }
        }
    }

    fn evict_oldest_unauthenticated(&self) {
        let oldest = self
            .live
            .lock()
            .values()
            .filter_map(|l| Some((l.accepted, l.conn.upgrade()?)))
            .filter(|(_, c)| !c.counted_authenticated() && !c.is_closing())
            .min_by_key(|(at, _)| *at)
            .map(|(_, c)| c);
        if let Some(conn) = oldest {
            tracing::debug!(peer = ?conn.peer_addr, "closing the oldest unauthenticated connection");
            conn.close();
        }
    }

    /// Tracks `conn`, just made.
    pub(crate) fn register(&self, conn: &Arc<Conn>) {
        self.live.lock().insert(
            conn.admitted.id,
            Live {
                conn: Arc::downgrade(conn),
                accepted: conn.admitted.accepted,
            },
        );
    }

    /// The live connections.
    pub(crate) fn connections(&self) -> Vec<Arc<Conn>> {
        self.live
            .lock()
            .values()
            .filter_map(|l| l.conn.upgrade())
            .collect()
    }

    /// `conn` authenticated its first session.
    pub(crate) fn authenticated(&self) {
        self.admission.lock().authenticated();
    }

    /// `conn` has ended; `authenticated` says whether [`Engine::authenticated`] counted it.
    pub(crate) fn ended(&self, conn: &Conn, authenticated: bool) {
        self.live.lock().remove(&conn.admitted.id);
        self.admission
            .lock()
            .ended(conn.admitted.addr, authenticated);
        let (_, peak) = conn.out.usage();
        self.counters
            .peak_buffered
            .fetch_max(peak, Ordering::Relaxed);
    }

    /// A receiver of the shutdown signal.
    pub(crate) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Tells every connection to close.
    pub(crate) fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// What is alive now.
    pub(crate) fn stats(&self) -> EngineStats {
        let (connections, unauthenticated, refused) = self.admission.lock().counts();
        let mut s = EngineStats {
            connections,
            unauthenticated_connections: unauthenticated,
            refused_connections: refused,
            client_addresses: self.admission.lock().addresses(),
            connection_objects: self.counters.conn_objects.load(Ordering::Relaxed),
            tasks: self.counters.tasks.load(Ordering::Relaxed),
            peak_buffered_bytes: self.counters.peak_buffered.load(Ordering::Relaxed),
            compressed_requests: self.counters.compressed_requests.load(Ordering::Relaxed),
            compressed_responses: self.counters.compressed_responses.load(Ordering::Relaxed),
            ..EngineStats::default()
        };
        for c in self.connections() {
            c.add_stats(&mut s);
        }
        s
    }
}
