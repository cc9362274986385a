//! The server: the I/O manager with one PVFS device per share and NPFS for IPC$, the
//! share table, the accounts, and the TCP listener with one task per connection.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lwio_auth::ntlm::ServerNames;
use lwio_core::filter::{ReadOnlyFilter, ShareAclFilter};
use lwio_core::{IoManager, NtStatus, SecurityDescriptor};
use lwio_pvfs::PvfsConfig;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::accounts::{AccountSource, MemoryAccounts};
use crate::config::ServerConfig;
use crate::state::{Share, ShareKind};

/// The device name of the named-pipe file system behind IPC$.
pub const NPFS_DEVICE: &str = "npfs";

/// Why a server could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A share's directory could not be mounted.
    #[error("mounting share {share}: {status}")]
    Mount {
        /// The share.
        share: String,
        /// The status PVFS gave.
        status: NtStatus,
    },
    /// The SAM of the state directory could not be opened or seeded.
    #[error("account database: {0}")]
    Sam(String),
    /// A share name is taken or reserved.
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
    pub(crate) config: ServerConfig,
    pub(crate) io: IoManager,
    pub(crate) shares: Vec<Arc<Share>>,
    pub(crate) accounts: Arc<dyn AccountSource>,
    pub(crate) server_guid: [u8; 16],
    pub(crate) names: ServerNames,
    pub(crate) next_session_id: AtomicU64,
    /// Failed logons, for the authentication rate limiter.
    pub(crate) logon_limiter: parking_lot::Mutex<crate::conn::logon_limiter::LogonLimiter>,
    /// srvsvc, wkssvc and rpcecho on the NPFS device; stopped when the server goes.
    #[cfg(feature = "rpc")]
    pub(crate) rpc: crate::rpc_services::RpcServices,
    /// Every connection: admission, limits, counters (`conn/registry.rs`).
    pub(crate) engine: crate::conn::registry::Engine,
}

impl ServerShared {
    /// The share named `name`, case-insensitively.
    pub(crate) fn find_share(&self, name: &str) -> Option<Arc<Share>> {
        self.shares
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .cloned()
    }
}

/// An SMB2/SMB3 server, ready to serve.
pub struct Server {
    shared: Arc<ServerShared>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.shared.config.listen)
            .field("shares", &self.shared.shares)
            .finish_non_exhaustive()
    }
}

/// The NetBIOS name of this machine: the host name's first label, upper case, at most
/// 15 characters.
pub(crate) fn netbios_name() -> String {
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

/// The SAM a server serves over SAMR (nothing to serve without the samr feature).
#[cfg(feature = "samr")]
type SamHandle = lwio_samr::Sam;
#[cfg(not(feature = "samr"))]
type SamHandle = std::convert::Infallible;

impl Server {
    /// Builds a server with the accounts of `config`: the SAM of its state directory
    /// (seeded with its users), or the in-memory accounts without one.
    pub fn new(config: ServerConfig) -> Result<Server, ServerError> {
        match &config.state_dir {
            #[cfg(feature = "samr")]
            Some(dir) => {
                let sam = crate::sam::open(dir, &netbios_name(), &config)?;
                Server::with_sam(config, sam)
            }
            #[cfg(not(feature = "samr"))]
            Some(_) => Err(ServerError::Sam(
                "a state directory holds a SAM: build lwio-srv with the samr feature".into(),
            )),
            None => {
                let accounts = MemoryAccounts::from_config(&config);
                Server::with_accounts(config, accounts)
            }
        }
    }

    /// Builds a server whose accounts are `sam`, which it also serves over SAMR on
    /// `\pipe\samr`.
    #[cfg(feature = "samr")]
    pub fn with_sam(config: ServerConfig, sam: lwio_samr::Sam) -> Result<Server, ServerError> {
        let accounts: Arc<dyn AccountSource> = Arc::new(sam.clone());
        Server::build(config, accounts, Some(sam))
    }

    /// Builds a server that authenticates against `accounts`.
    pub fn with_accounts(
        config: ServerConfig,
        accounts: Arc<dyn AccountSource>,
    ) -> Result<Server, ServerError> {
        Server::build(config, accounts, None)
    }

    #[cfg_attr(not(feature = "samr"), allow(unused_variables))]
    fn build(
        config: ServerConfig,
        accounts: Arc<dyn AccountSource>,
        sam: Option<SamHandle>,
    ) -> Result<Server, ServerError> {
        let io = IoManager::new();
        let mut shares = Vec::new();
        for s in &config.shares {
            if s.name.eq_ignore_ascii_case("IPC$")
                || s.name.eq_ignore_ascii_case(NPFS_DEVICE)
                || shares
                    .iter()
                    .any(|x: &Arc<Share>| x.name.eq_ignore_ascii_case(&s.name))
            {
                return Err(ServerError::ShareName(s.name.clone()));
            }
            let mount_error = |status| ServerError::Mount {
                share: s.name.clone(),
                status,
            };
            lwio_pvfs::mount(&io, &s.name, &s.path, PvfsConfig::default()).map_err(mount_error)?;
            if s.read_only {
                io.attach_filter(&s.name, Arc::new(ReadOnlyFilter), ())
                    .map_err(mount_error)?;
            }
            let security = match &s.security {
                Some(sddl) => {
                    let sd: SecurityDescriptor = sddl
                        .parse()
                        .map_err(|_| mount_error(NtStatus::INVALID_SECURITY_DESCR))?;
                    io.attach_filter(&s.name, Arc::new(ShareAclFilter), sd.clone())
                        .map_err(mount_error)?;
                    Some(Arc::new(sd))
                }
                None => None,
            };
            shares.push(Arc::new(Share {
                name: s.name.clone(),
                kind: ShareKind::Disk {
                    device: s.name.clone(),
                },
                comment: String::new(),
                security,
            }));
        }
        #[cfg(feature = "npfs")]
        {
            io.add_device(
                NPFS_DEVICE,
                Arc::new(lwio_npfs::Npfs::new()),
                lwio_npfs::NpfsDevice::default(),
            )
            .map_err(|status| ServerError::Mount {
                share: "IPC$".into(),
                status,
            })?;
            shares.push(Arc::new(Share {
                name: "IPC$".into(),
                kind: ShareKind::Ipc {
                    device: NPFS_DEVICE.into(),
                },
                comment: "IPC Service".into(),
                security: None,
            }));
        }
        let mut server_guid = [0u8; 16];
        let _ = getrandom::fill(&mut server_guid);
        let host = host_name();
        let nb = netbios_name();
        #[cfg(feature = "rpc")]
        let rpc = {
            let share_table = Arc::new(crate::rpc_services::ShareTable::default());
            for (share, config) in shares
                .iter()
                .zip(config.shares.iter().map(Some).chain([None]))
            {
                let path = config
                    .map(|c| c.path.display().to_string())
                    .unwrap_or_default();
                share_table.add(Arc::clone(share), &path);
            }
            let identity = lwio_rpc::interfaces::ServerIdentity {
                name: nb.clone(),
                allow_anonymous: config.anonymous_pipes,
                ..Default::default()
            };
            let ipc_error = |status| ServerError::Mount {
                share: "IPC$".into(),
                status,
            };
            #[cfg_attr(not(feature = "samr"), allow(unused_mut))]
            let mut rpc = crate::rpc_services::start(
                &io,
                NPFS_DEVICE,
                identity,
                share_table,
                Arc::clone(&accounts),
            )
            .map_err(ipc_error)?;
            #[cfg(feature = "samr")]
            if let Some(sam) = sam {
                let auth = lwio_rpc::server::RpcAuth {
                    names: ServerNames {
                        nb_computer: nb.clone(),
                        nb_domain: "WORKGROUP".into(),
                        ..ServerNames::default()
                    },
                    accounts: Arc::clone(&accounts),
                };
                rpc.start_samr(&io, NPFS_DEVICE, sam, auth)
                    .map_err(ipc_error)?;
            }
            rpc
        };
        let names = ServerNames {
            nb_computer: nb,
            nb_domain: "WORKGROUP".into(),
            dns_computer: host,
            dns_domain: String::new(),
            dns_tree: String::new(),
        };
        let config_delay = config.failed_logon_delay;
        let engine = crate::conn::registry::Engine::new(&config);
        Ok(Server {
            shared: Arc::new(ServerShared {
                engine,
                config,
                io,
                shares,
                accounts,
                server_guid,
                names,
                next_session_id: AtomicU64::new(1),
                logon_limiter: parking_lot::Mutex::new(
                    crate::conn::logon_limiter::LogonLimiter::new(config_delay),
                ),
                #[cfg(feature = "rpc")]
                rpc,
            }),
        })
    }

    /// The I/O manager the shares are mounted on.
    pub fn io(&self) -> &IoManager {
        &self.shared.io
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// Serves connections over any byte stream, and reports what the engine holds.
    pub fn endpoint(&self) -> crate::endpoint::Endpoint {
        crate::endpoint::Endpoint::new(Arc::clone(&self.shared))
    }

    /// Binds the configured address and serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let addr = self.shared.config.listen;
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
            #[cfg(feature = "rpc")]
            self.shared.rpc.set_listener(a);
        }
        // Client connections, as srvsvc's transport enumeration counts them.
        #[cfg(feature = "rpc")]
        let live = self.shared.rpc.connection_count();
        #[cfg(not(feature = "rpc"))]
        let live = Arc::new(std::sync::atomic::AtomicU32::new(0));
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
                        let live = Arc::clone(&live);
                        live.fetch_add(1, Ordering::Relaxed);
                        conns.spawn(async move {
                            serve.await;
                            live.fetch_sub(1, Ordering::Relaxed);
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
