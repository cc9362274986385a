//! Serving SMB over any byte stream, and what the connection engine holds.
//!
//! [`Server::serve_on`](crate::Server::serve_on) accepts TCP connections; an [`Endpoint`]
//! (from [`Server::endpoint`](crate::Server::endpoint)) serves a connection over whatever
//! carries the Direct TCP byte stream: a socket accepted elsewhere, a TLS or QUIC stream,
//! or tokio's in-memory [`duplex`](tokio::io::duplex) pipe, which drives the engine in
//! tests and fuzzing without a socket. Every connection passes the same admission
//! (connection limits) and runs the same engine, whatever its transport.
//!
//! [`EngineStats`] counts what the engine holds (connections, sessions, opens, requests in
//! progress, buffered bytes, tasks): a connection that has ended must leave none of it.

use std::net::SocketAddr;
use std::sync::Arc;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::server::ServerShared;

/// Why a connection was not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Refused {
    /// The server holds `max_connections` connections.
    #[error("the server is at its connection limit")]
    ServerFull,
    /// The client's address holds `max_connections_per_address` connections.
    #[error("the client's address is at its connection limit")]
    AddressFull,
    /// Fewer than `fd_reserve` file descriptors would remain for the sessions' opens.
    #[error("the file descriptor reserve is reached")]
    DescriptorReserve,
}

impl From<crate::conn::admission::Refusal> for Refused {
    fn from(r: crate::conn::admission::Refusal) -> Refused {
        use crate::conn::admission::Refusal;
        match r {
            Refusal::Full => Refused::ServerFull,
            Refusal::AddressFull => Refused::AddressFull,
            Refusal::FdReserve => Refused::DescriptorReserve,
        }
    }
}

/// What the connection engine of a server holds at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineStats {
    /// Connections admitted and not yet ended.
    pub connections: usize,
    /// Of those, the ones without an authenticated session.
    pub unauthenticated_connections: usize,
    /// Connections refused since the server started.
    pub refused_connections: u64,
    /// Distinct client addresses (IPv4, or IPv6 /64) holding connections.
    pub client_addresses: usize,
    /// Connection objects still in memory (a connection that ended is freed once its last
    /// request task ends).
    pub connection_objects: usize,
    /// Request tasks and writer tasks running.
    pub tasks: usize,
    /// Sessions in the connections' tables, established or authenticating.
    pub sessions: usize,
    /// Of those, the ones still authenticating.
    pub session_setups_in_progress: usize,
    /// Tree connects of those sessions.
    pub trees: usize,
    /// Files open on those trees.
    pub opens: usize,
    /// Requests in progress that a CANCEL could reach.
    pub pending_requests: usize,
    /// Bytes counted against the connections' budgets now: frames being processed and
    /// responses not yet written.
    pub buffered_bytes: usize,
    /// The most bytes one connection ever had counted against its budget.
    pub peak_buffered_bytes: usize,
    /// Bytes the connections' readers hold in buffers.
    pub read_buffer_bytes: usize,
    /// Sessions registered in the server's status (srvsvc's sessions, wkssvc's users).
    pub logons: usize,
    /// Compressed frames received and decompressed since the server started (SMB 3.1.1
    /// compression).
    pub compressed_requests: u64,
    /// Responses sent compressed since the server started.
    pub compressed_responses: u64,
}

/// Serves connections of a [`Server`](crate::Server) over any byte stream. Cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    shared: Arc<ServerShared>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").finish_non_exhaustive()
    }
}

impl Endpoint {
    pub(crate) fn new(shared: Arc<ServerShared>) -> Endpoint {
        Endpoint { shared }
    }

    /// Serves one connection over `stream`, a Direct TCP byte stream from the client at
    /// `peer` (which the per-address limit counts; `None` counts under no address), until
    /// the client leaves, a limit or timeout closes it, or the server shuts down. Returns
    /// once the connection's sessions, opens and tasks are released or released on their
    /// way (request tasks still running see their IRPs cancelled and end shortly).
    pub async fn serve_stream<S>(&self, stream: S, peer: Option<SocketAddr>) -> Result<(), Refused>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let admitted = self
            .shared
            .engine
            .admit(peer.map(|p| p.ip()), None)
            .map_err(Refused::from)?;
        let (rd, wr) = tokio::io::split(stream);
        let addrs = crate::conn::Addrs { local: None, peer };
        crate::conn::transport::run(Arc::clone(&self.shared), admitted, addrs, rd, wr).await;
        Ok(())
    }

    /// What the engine holds now.
    pub fn stats(&self) -> EngineStats {
        let mut s = self.shared.engine.stats();
        s.logons = self.shared.status.sessions().len();
        s
    }

    /// Closes every connection (as the server does when it shuts down).
    pub fn shutdown(&self) {
        self.shared.engine.shutdown();
    }
}
