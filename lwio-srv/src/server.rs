//! The server: the share table over an I/O manager the application assembled, the
//! accounts, the settings, and the TCP listener with one task per connection.
//!
//! [`Server::builder`] takes the [`IoManager`] with its devices mounted; each share names
//! the device it serves. The server mounts nothing and serves no pipe itself: an
//! application that wants IPC$ mounts a named-pipe device, serves the RPC endpoints it
//! chooses on it (srvsvc and wkssvc over this server's [`ServerStatus`] through
//! [`rpc_services`](crate::rpc_services), SAMR through `lwio_samr::serve`), and adds
//! [`ServerBuilder::ipc_share`]. lwiod is such an application.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use lwio_auth::ntlm::ServerNames;
use lwio_core::{IoManager, NtStatus};
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::accounts::AccountSource;
use crate::config::Settings;
use crate::state::{Share, ShareKind};
use crate::status::ServerStatus;

/// The device name lwiod and the examples give the named-pipe file system behind IPC$.
pub const NPFS_DEVICE: &str = "npfs";

/// Why a server could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A share's device refused its share permissions filter.
    #[error("mounting share {share}: {status}")]
    Mount {
        /// The share.
        share: String,
        /// The status the I/O manager gave.
        status: NtStatus,
    },
    /// A setting the engine cannot run with.
    #[error("settings: {0}")]
    Settings(String),
    /// A share name is taken, reserved or malformed.
    #[error("duplicate or reserved share name {0}")]
    ShareName(String),
    /// The listener failed.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// What every connection shares.
pub(crate) struct ServerShared {
    pub(crate) config: Settings,
    pub(crate) listen: SocketAddr,
    pub(crate) io: IoManager,
    /// The share table and the sessions (what srvsvc and admin tools read).
    pub(crate) status: ServerStatus,
    pub(crate) accounts: Arc<dyn AccountSource>,
    pub(crate) server_guid: [u8; 16],
    pub(crate) names: ServerNames,
    pub(crate) next_session_id: AtomicU64,
    /// Failed logons, for the authentication rate limiter.
    pub(crate) logon_limiter: parking_lot::Mutex<crate::conn::logon_limiter::LogonLimiter>,
    /// Every connection: admission, limits, counters (`conn/registry.rs`).
    pub(crate) engine: crate::conn::registry::Engine,
    /// The leases granted, by client GUID and lease key (`files/lease.rs`).
    pub(crate) leases: Arc<crate::files::LeaseTable>,
    /// The durable opens: preserved ones and the CreateGuid index (`durable.rs`).
    pub(crate) durable: Arc<crate::durable::DurableTable>,
}

impl ServerShared {
    /// The share named `name`, case-insensitively.
    pub(crate) fn find_share(&self, name: &str) -> Option<Arc<Share>> {
        self.status.share(name)
    }
}

/// An SMB2/SMB3 server, ready to serve.
pub struct Server {
    shared: Arc<ServerShared>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.shared.listen)
            .field("status", &self.shared.status)
            .finish_non_exhaustive()
    }
}

/// Assembles a [`Server`] over an I/O manager the application has set up: its devices
/// mounted (PVFS, memfs, a filter stack, a named-pipe device with the RPC endpoints the
/// application chose), then each share naming the device it serves.
#[must_use]
pub struct ServerBuilder {
    io: IoManager,
    shares: Vec<Share>,
    accounts: Option<Arc<dyn AccountSource>>,
    settings: Settings,
    listen: SocketAddr,
    name: Option<String>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("shares", &self.shares)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// A disk share `name` serving the files of the device `device` (any driver or filter
    /// stack mounted on the I/O manager).
    pub fn disk_share(self, name: &str, device: &str) -> Self {
        self.share(Share::disk(name, device))
    }

    /// IPC$, serving the named pipes of the device `device` (an NPFS device on which the
    /// application serves its RPC endpoints).
    pub fn ipc_share(self, device: &str) -> Self {
        self.share(Share::ipc(device))
    }

    /// A share with a comment, a reported path or share permissions (see [`Share`]).
    pub fn share(mut self, share: Share) -> Self {
        self.shares.push(share);
        self
    }

    /// Who may log on: a SAM, an in-memory store, or the application's own
    /// [`AccountSource`]. Without one, only Guest and the null session (when the
    /// settings allow them) can log on.
    pub fn accounts(mut self, accounts: Arc<dyn AccountSource>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// The engine's settings (logon policy, limits).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Requires signing on every keyed session (the default) or lets clients choose.
    pub fn signing_required(mut self, required: bool) -> Self {
        self.settings.signing_required = required;
        self
    }

    /// The address [`Server::serve`] listens on (default 127.0.0.1:4450).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The NetBIOS name the server gives (default: the host name's first label, upper
    /// case, at most 15 characters).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Checks the settings and the share names and returns the server. A share's
    /// permissions are checked at tree connect; the filter that checks them at each create
    /// (a `ShareAclFilter` on the device) is the application's to attach.
    pub fn build(self) -> Result<Server, ServerError> {
        let ServerBuilder {
            io,
            shares,
            accounts,
            mut settings,
            listen,
            name,
        } = self;
        settings.check().map_err(|e| ServerError::Settings(e.0))?;
        let nb = name.unwrap_or_else(netbios_name);
        let status = ServerStatus::new(&nb);
        for share in shares {
            let reserved = matches!(share.kind, ShareKind::Disk { .. })
                && share.name.eq_ignore_ascii_case("IPC$");
            if reserved || share.name.is_empty() || share.name.contains(['\\', '/', '\0']) {
                return Err(ServerError::ShareName(share.name));
            }
            let name = share.name.clone();
            status
                .add_share(share)
                .map_err(|_| ServerError::ShareName(name))?;
        }
        let accounts =
            accounts.unwrap_or_else(|| Arc::new(crate::accounts::MemoryAccounts::new(&[])));
        let mut server_guid = [0u8; 16];
        let _ = getrandom::fill(&mut server_guid);
        let names = ServerNames {
            nb_computer: nb,
            nb_domain: "WORKGROUP".into(),
            dns_computer: host_name(),
            dns_domain: String::new(),
            dns_tree: String::new(),
        };
        let engine = crate::conn::registry::Engine::new(&settings);
        let limiter = crate::conn::logon_limiter::LogonLimiter::new(settings.failed_logon_delay);
        let durable = crate::durable::DurableTable::new(crate::durable::Limits::of(&settings));
        let leases = Arc::new(crate::files::LeaseTable::new(settings.directory_leasing));
        Ok(Server {
            shared: Arc::new(ServerShared {
                engine,
                config: settings,
                listen,
                io,
                status,
                accounts,
                server_guid,
                names,
                next_session_id: AtomicU64::new(1),
                logon_limiter: parking_lot::Mutex::new(limiter),
                leases,
                durable,
            }),
        })
    }
}

/// The NetBIOS name of this machine: the host name's first label, upper case, at most
/// 15 characters.
pub fn netbios_name() -> String {
    host_name()
        .split('.')
        .next()
        .unwrap_or("LWIO")
        .to_uppercase()
        .chars()
        .take(15)
        .collect()
}

fn host_name() -> String {
    let h = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let h = h.trim();
    if h.is_empty() {
        "LWIO".into()
    } else {
        h.to_owned()
    }
}

impl Server {
    /// A builder of a server that serves the devices of `io`: name its shares, its
    /// accounts and settings, then [`ServerBuilder::build`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let io = lwio_core::IoManager::new();
    /// lwio_pvfs::mount(&io, "data", "/srv/data".as_ref(), lwio_pvfs::PvfsConfig::default())?;
    /// let server = lwio_srv::Server::builder(io)
    ///     .disk_share("data", "data")
    ///     .accounts(lwio_srv::accounts::MemoryAccounts::shared(&[
    ///         lwio_srv::accounts::UserConfig::new("alice", "secret"),
    ///     ]))
    ///     .bind("127.0.0.1:4450".parse()?)
    ///     .build()?;
    /// server.serve(std::future::pending()).await?;
    /// # Ok(()) }
    /// ```
    pub fn builder(io: IoManager) -> ServerBuilder {
        ServerBuilder {
            io,
            shares: Vec::new(),
            accounts: None,
            settings: Settings::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 4450)),
            name: None,
        }
    }

    /// The I/O manager the shares are mounted on.
    pub fn io(&self) -> &IoManager {
        &self.shared.io
    }

    /// The engine's settings.
    pub fn config(&self) -> &Settings {
        &self.shared.config
    }

    /// The live state: shares, sessions, trees, opens (cheap to clone; srvsvc reads it).
    pub fn status(&self) -> ServerStatus {
        self.shared.status.clone()
    }

    /// Who may log on (what RPC endpoints authenticate against too).
    pub fn accounts(&self) -> Arc<dyn AccountSource> {
        Arc::clone(&self.shared.accounts)
    }

    /// The names the server gives in NTLM challenges (NetBIOS computer and domain).
    pub fn names(&self) -> &ServerNames {
        &self.shared.names
    }

    /// Serves connections over any byte stream, and reports what the engine holds.
    pub fn endpoint(&self) -> crate::endpoint::Endpoint {
        crate::endpoint::Endpoint::new(Arc::clone(&self.shared))
    }

    /// Binds the configured address and serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let addr = self.shared.listen;
        let listener =
            crate::conn::listen(addr).map_err(|source| ServerError::Listen { addr, source })?;
        self.serve_on(listener, shutdown).await;
        Ok(())
    }

    /// Serves connections accepted on `listener` until `shutdown` completes, then closes
    /// every connection and shuts the I/O manager down.
    pub async fn serve_on(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        if let Ok(a) = listener.local_addr() {
            tracing::info!(addr = %a, "listening");
            self.shared.status.set_listener(a);
        }
        self.shared.engine.raise_fd_limit();
        let mut conns = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        tracing::debug!(%peer, "connection");
                        // Admission (connection limits) first: a refused one is closed.
                        let Some(serve) = crate::conn::accept(&self.shared, stream, peer) else {
                            continue;
                        };
                        // Client connections, as srvsvc's transport enumeration counts them.
                        let status = self.shared.status.clone();
                        status.connection_opened();
                        conns.spawn(async move {
                            serve.await;
                            status.connection_closed();
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(listener);
        self.shared.engine.shutdown();
        let drain = async { while conns.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(5), drain)
            .await
            .is_err()
        {
            conns.abort_all();
        }
        self.shared.io.shutdown().await;
        tracing::info!("server stopped");
    }
}
