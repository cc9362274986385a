//! The local interface: lwiod's I/O manager for programs on the same machine, over a Unix
//! stream socket.
//!
//! Likewise's LWIO daemon served local programs through a client library that sent it
//! IRPs; this is that channel. A program (through `lwio_client::DaemonClient`) opens
//! files in the daemon's namespace, `/<share device>/path` and `/npfs/pipe`, and its
//! opens meet those of SMB clients: share modes, byte-range locks, change notifications
//! and oplock breaks are the same objects, because they are the same I/O manager.
//!
//! - The protocol is `lwio_client::proto` (frames, versions, bounds).
//! - Who the caller is comes from the kernel (SO_PEERCRED), never from a message; see
//!   [`identity`] for the token each uid gets.
//! - The socket is `lwiod.sock` in the state directory unless configured ([`LocalConfig`]);
//!   a stale socket file from a previous run is replaced, a live one is an error. Its mode
//!   (default 0666) and group (the admin group, when set) say who may connect at all.
//! - Each connection is a reader task, a writer task and one task per request in flight
//!   (see `connection`). Bounds: files open and requests in flight per connection, and
//!   connections at once.
//! - Administration (`lwio admin`, protocol version 2) is [`admin`]: administrators only
//!   (STATUS_ACCESS_DENIED for anyone else; STATUS_NOT_SUPPORTED on a version-1
//!   connection or without an [`admin::Admin`]).
//!
//! Statuses of refusals: a request id already in flight, a length above the protocol's
//! `MAX_DATA`: STATUS_INVALID_PARAMETER; a file id the connection does not hold:
//! STATUS_INVALID_HANDLE (as NtReadFile on a closed handle); beyond the open-file or
//! in-flight bound, or beyond the bytes a connection may hold (64 MiB: the data its
//! requests carry and the output they may return, until written back):
//! STATUS_INSUFFICIENT_RESOURCES; no common protocol version:
//! STATUS_REVISION_MISMATCH; beyond the connection bound, or beyond the connections one
//! uid may hold (`max_connections_per_uid`, 16 by default; root exempt):
//! STATUS_REQUEST_NOT_ACCEPTED (then the connection closes); no hello within 10 seconds:
//! STATUS_IO_TIMEOUT (then the connection closes). The per-uid bound keeps one local user
//! from taking every slot of the global one (the socket's mode and group decide who may
//! connect at all).

pub mod admin;
mod connection;
pub mod identity;
mod settings;

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::BytesMut;
use lwio_client::proto::ServerFrame;
use lwio_core::{IoManager, NtStatus};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, watch};

pub use identity::{Identities, PeerCred};
pub use settings::LocalConfig;
pub(crate) use settings::{LocalFile, parse_mode};

/// Answers a connection beyond a bound with STATUS_REQUEST_NOT_ACCEPTED, then closes it.
fn refuse(mut stream: tokio::net::UnixStream, message: &str) {
    let mut buf = BytesMut::new();
    ServerFrame::Error {
        status: NtStatus::REQUEST_NOT_ACCEPTED,
        message: message.into(),
    }
    .encode(&mut buf);
    tokio::spawn(async move {
        let _ = stream.write_all(&buf).await;
    });
}

/// Connections per uid ([`LocalConfig::max_connections_per_uid`]; root is exempt).
struct PerUid {
    max: usize,
    held: parking_lot::Mutex<std::collections::HashMap<u32, usize>>,
}

/// One connection counted against its uid until dropped.
struct UidSlot {
    table: Arc<PerUid>,
    uid: u32,
}

impl PerUid {
    fn new(max: usize) -> PerUid {
        PerUid {
            max,
            held: Default::default(),
        }
    }

    /// Counts a connection of `uid`; `None` when the uid holds its allowance already.
    fn admit(self: &Arc<Self>, uid: u32) -> Option<UidSlot> {
        if uid != 0 {
            let mut held = self.held.lock();
            let n = held.entry(uid).or_insert(0);
            if *n >= self.max {
                return None;
            }
            *n += 1;
        }
        Some(UidSlot {
            table: Arc::clone(self),
            uid,
        })
    }
}

impl Drop for UidSlot {
    fn drop(&mut self) {
        if self.uid == 0 {
            return;
        }
        let mut held = self.table.held.lock();
        if let Some(n) = held.get_mut(&self.uid) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.uid);
            }
        }
    }
}

/// A bound local socket, ready to serve.
pub struct LocalServer {
    listener: std::os::unix::net::UnixListener,
    path: PathBuf,
    io: IoManager,
    identities: Identities,
    config: LocalConfig,
    admin: Option<Arc<admin::Admin>>,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer")
            .field("path", &self.path)
            .finish()
    }
}

impl LocalServer {
    /// Binds `path` (replacing a stale socket file), sets its mode and group, for `io`'s
    /// namespace. Needs no runtime; [`LocalServer::run`] does.
    pub fn bind(
        path: &Path,
        io: IoManager,
        identities: Identities,
        config: LocalConfig,
    ) -> io::Result<LocalServer> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} is served by a running daemon", path.display()),
                ));
            }
            std::fs::remove_file(path)?;
        }
        let listener = std::os::unix::net::UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(config.mode))?;
        if let Some(group) = &config.admin_group {
            if let Some(gid) = identity::group_id(group) {
                rustix::fs::chown(path, None, Some(rustix::fs::Gid::from_raw(gid)))
                    .map_err(io::Error::from)?;
            }
        }
        Ok(LocalServer {
            listener,
            path: path.to_owned(),
            io,
            identities,
            config,
            admin: None,
        })
    }

    /// Serves admin requests with `admin` (without it they get STATUS_NOT_SUPPORTED).
    pub fn with_admin(mut self, admin: Arc<admin::Admin>) -> LocalServer {
        self.admin = Some(admin);
        self
    }

    /// What admin requests act on, when set.
    pub fn admin(&self) -> Option<&Arc<admin::Admin>> {
        self.admin.as_ref()
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts and serves connections until `shutdown` becomes true (or its sender goes),
    /// then removes the socket file.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let listener = match tokio::net::UnixListener::from_std(self.listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(path = %self.path.display(), "local socket: {e}");
                return;
            }
        };
        tracing::info!(path = %self.path.display(), "local interface listening");
        let slots = Arc::new(Semaphore::new(self.config.max_connections));
        let registry = Arc::new(connection::Registry::default());
        let per_uid = Arc::new(PerUid::new(self.config.max_connections_per_uid));
        let limits = connection::Limits {
            max_open_files: self.config.max_open_files,
            max_in_flight: self.config.max_in_flight,
        };
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = shutdown.wait_for(|stop| *stop) => break,
            };
            let stream = match accepted {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::warn!("local accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (peer, pid) = match stream.peer_cred() {
                Ok(c) => (
                    PeerCred {
                        uid: c.uid(),
                        gid: c.gid(),
                    },
                    c.pid().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
                ),
                Err(e) => {
                    tracing::warn!("local peer credentials: {e}");
                    continue;
                }
            };
            // The user's allowance first, then the global slots: a user at its bound
            // takes no global slot.
            let user = match per_uid.admit(peer.uid) {
                Some(user) => user,
                None => {
                    tracing::info!(uid = peer.uid, "local connection refused: per-uid bound");
                    refuse(stream, "too many local connections for this user");
                    continue;
                }
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                refuse(stream, "too many local connections");
                continue;
            };
            let token = self.identities.token(peer);
            tracing::debug!(uid = peer.uid, user = %token.user, "local client");
            let io = self.io.clone();
            let stop = shutdown.clone();
            let admin = self.admin.clone();
            let registry = Arc::clone(&registry);
            let who = connection::Peer { uid: peer.uid, pid };
            tokio::spawn(async move {
                connection::serve(stream, io, token, who, admin, registry, limits, stop).await;
                drop((slot, user));
            });
        }
        let _ = std::fs::remove_file(&self.path);
    }
}
