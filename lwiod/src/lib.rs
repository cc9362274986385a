//! # lwiod
//!
//! The lwio SMB2/SMB3 file server as a program: its command line and TOML file
//! ([`config`]), its state directory (the SAM, the shares administrators add), logging,
//! signal handling, and the default assembly of the server library, built only on
//! lwio-srv's public builder:
//!
//! - one I/O manager; each share is a PVFS device with a read-only filter when asked for
//!   and the share-permission filter [`shares::LiveShareAcl`], all on one PVFS work queue
//!   ([`Config::pvfs_threads`]); the shares of the configuration, then those kept in the
//!   state directory (added by administrators over srvsvc);
//! - an NPFS device behind IPC$ serving, on one RPC pool ([`Config::rpc_threads`]):
//!   srvsvc (with live share management, [`shares`]), wkssvc, SAMR, LSA and dssetup over
//!   the SAM of the state directory, each with mgmt; rpcecho, the RPC test interface,
//!   only with `--rpcecho`;
//! - the accounts: the SAM (the default), or in memory with `--no-state-dir`;
//! - the local interface ([`local`]): `lwiod.sock` in the state directory, where local
//!   programs send IRPs to the same I/O manager through `lwio_client`.
//!
//! ```text
//! lwiod --listen 127.0.0.1:4450 --share NAME=PATH --user NAME:PASSWORD \
//!       [--admin NAME:PASSWORD] [--read-only NAME] [--share-acl NAME=SDDL]
//!       [--no-signing-required] [--allow-guest] [--map-to-guest]
//!       [--failed-logon-delay-ms MS] [--anonymous-pipes] [--unix-id-range FIRST-LAST]
//!       [--state-dir DIR | --no-state-dir] [--rpcecho] [--config FILE]
//!       [--local-socket PATH] [--local-mode OCTAL] [--local-admin-group GROUP] [--no-local]
//! ```
//!
//! Logs go to stderr, filtered by `RUST_LOG` (default `info`). Ctrl-C or SIGTERM closes
//! every connection and open file, then exits.

pub mod config;
pub mod local;
mod sam;
pub mod shares;

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use lwio_core::{IoManager, NtStatus, WorkQueue, WorkQueueConfig};
use lwio_pvfs::{Execution, PvfsConfig};
use lwio_rpc::server::{PipeServer, RpcPool};
use lwio_srv::accounts::{AccountSource, MemoryAccounts};
use lwio_srv::rpc_services as rpc;
use lwio_srv::{Server, ServerError};
use thiserror::Error;
use tracing_subscriber::EnvFilter;

pub use config::{Args, Config, ConfigError, ShareConfig};

/// The device name of the named-pipe file system behind IPC$.
pub const NPFS_DEVICE: &str = lwio_srv::server::NPFS_DEVICE;

/// Why lwiod could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A share's directory could not be mounted, or a filter attached.
    #[error("mounting share {share}: {status}")]
    Mount {
        /// The share.
        share: String,
        /// The status the I/O manager gave.
        status: NtStatus,
    },
    /// The SAM of the state directory could not be opened or seeded.
    #[error("account database: {0}")]
    Sam(String),
    /// The shares file of the state directory could not be read or written.
    #[error("shares file: {0}")]
    Shares(String),
    /// An RPC endpoint could not start.
    #[error("serving {pipe}: {status}")]
    Pipe {
        /// The pipe.
        pipe: String,
        /// The status.
        status: NtStatus,
    },
    /// The server refused its assembly.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The local interface's socket could not be bound.
    #[error("local socket {path}: {source}")]
    Local {
        /// The socket's path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The assembled server with its RPC endpoints, ready to serve.
pub struct Daemon {
    server: Server,
    /// The pipe servers; dropping them stops the endpoints.
    pipes: Vec<PipeServer>,
    /// The local interface, when it has a socket.
    local: Option<local::LocalServer>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("server", &self.server)
            .field("pipes", &self.pipes)
            .field("local", &self.local)
            .finish()
    }
}

/// Builds lwiod from `config`: the I/O manager with its PVFS shares (those of the
/// configuration and those of the state directory's shares file) and NPFS, the
/// accounts, the server, and the RPC endpoints on IPC$.
pub fn assemble(config: Config) -> Result<Daemon, Error> {
    let io = IoManager::new();
    let mut pvfs = PvfsConfig::default();
    if config.pvfs_threads.is_some() || config.pvfs_queue_limit.is_some() {
        let mut q = WorkQueueConfig::default();
        q.name = "lwio-pvfs".into();
        if let Some(n) = config.pvfs_threads {
            q.threads = n.max(1);
        }
        if let Some(n) = config.pvfs_queue_limit {
            q.queue_limit = n.max(1);
        }
        pvfs.execution = Execution::Queue(WorkQueue::new(q));
    }
    let machine = lwio_srv::server::netbios_name();
    let sam = match &config.state_dir {
        Some(dir) => Some(sam::open(dir, &machine, &config)?),
        None => None,
    };
    let accounts: Arc<dyn AccountSource> = match &sam {
        Some(sam) => Arc::new(sam.clone()),
        None => Arc::new(MemoryAccounts::with_unix_ids(
            &config.users,
            &config.unix_id_range,
        )),
    };
    io.add_device(
        NPFS_DEVICE,
        Arc::new(lwio_npfs::Npfs::new()),
        lwio_npfs::NpfsDevice::default(),
    )
    .map_err(|status| Error::Mount {
        share: "IPC$".into(),
        status,
    })?;
    let server = Server::builder(io.clone())
        .accounts(accounts)
        .settings(config.settings.clone())
        .bind(config.listen)
        .name(&machine)
        .ipc_share(NPFS_DEVICE)
        .build()?;
    // The disk shares go into the live table, where NetrShareAdd puts its own: those of
    // the configuration, then those of the state directory's shares file.
    let status = server.status();
    let file = shares::SharesFile::new(config.state_dir.as_deref());
    let kept = file.load()?;
    let admin = Arc::new(shares::LiveShares::new(
        io.clone(),
        status.clone(),
        pvfs,
        file,
    ));
    let configured = config.shares.iter().map(|s| (s, false));
    for (share, sticky) in configured.chain(kept.iter().map(|s| (s, true))) {
        if status.share(&share.name).is_some() {
            tracing::warn!(share = %share.name, "a share of this name exists; skipped");
            continue;
        }
        let mounted = admin.mount(&share.name, share, sticky)?;
        status
            .add_share(mounted)
            .map_err(|_| ServerError::ShareName(share.name.clone()))?;
    }

    let pool = match config.rpc_threads {
        Some(n) => RpcPool::new(n),
        None => RpcPool::shared(),
    };
    let pipe_error = |pipe: &str| {
        let pipe = pipe.to_owned();
        move |status| Error::Pipe { pipe, status }
    };
    let pool = pool.map_err(pipe_error("the RPC pool"))?;
    let mut identity = rpc::identity(&server);
    identity.allow_anonymous = config.anonymous_pipes;
    let local_admin = Arc::new(local::admin::Admin::new(
        status.clone(),
        Arc::clone(&admin),
        config.shares.clone(),
    ));
    let srvsvc = rpc::srvsvc(&status, identity.clone()).with_admin(admin);
    let wkssvc = rpc::wkssvc(&status, identity.clone());
    let mut pipes = vec![
        rpc::serve(
            &pool,
            &server,
            NPFS_DEVICE,
            "srvsvc",
            vec![Arc::new(srvsvc)],
        )
        .map_err(pipe_error("srvsvc"))?,
        rpc::serve(
            &pool,
            &server,
            NPFS_DEVICE,
            "wkssvc",
            vec![Arc::new(wkssvc)],
        )
        .map_err(pipe_error("wkssvc"))?,
    ];
    if config.rpcecho {
        let echo = lwio_rpc::interfaces::echo::EchoInterface::new();
        pipes.push(
            rpc::serve(&pool, &server, NPFS_DEVICE, "rpcecho", vec![Arc::new(echo)])
                .map_err(pipe_error("rpcecho"))?,
        );
    }
    // A socket the configuration names must be served; the default one in the state
    // directory is skipped with a warning when it cannot be (a path too long for a Unix
    // socket, another daemon on the same state directory), so the SMB server still runs.
    let local = match config.local.socket_path(config.state_dir.as_deref()) {
        Some(path) => {
            let identities = local::Identities::new(config.local.admin_group.clone(), sam.clone());
            match local::LocalServer::bind(&path, io.clone(), identities, config.local.clone()) {
                Ok(l) => Some(l.with_admin(local_admin)),
                Err(e) if config.local.socket.is_none() => {
                    tracing::warn!(path = %path.display(), "no local interface: {e}");
                    None
                }
                Err(source) => {
                    return Err(Error::Local {
                        path: path.display().to_string(),
                        source,
                    });
                }
            }
        }
        None => None,
    };
    if let Some(sam) = sam {
        pipes.extend(
            lwio_samr::serve(server.io(), NPFS_DEVICE, sam, rpc::auth(&server), &identity)
                .map_err(pipe_error("samr"))?,
        );
    }
    Ok(Daemon {
        server,
        pipes,
        local,
    })
}

impl Daemon {
    /// The server.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The local interface's socket, when it has one.
    pub fn local_socket(&self) -> Option<&std::path::Path> {
        self.local.as_ref().map(|l| l.path())
    }

    /// What the local socket's admin requests act on (set its reload source and log
    /// control), when the daemon has a local socket.
    pub fn admin(&self) -> Option<&Arc<local::admin::Admin>> {
        self.local.as_ref().and_then(|l| l.admin())
    }

    /// Binds the configured address and serves (the local interface too) until
    /// `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let Daemon {
            server,
            pipes,
            local,
        } = self;
        let (stop, local) = start_local(local);
        let result = server
            .serve(async {
                shutdown.await;
                let _ = stop.send(true);
            })
            .await;
        drop(stop);
        if let Some(local) = local {
            let _ = local.await;
        }
        drop(pipes);
        result
    }

    /// Serves connections accepted on `listener` (and the local interface) until
    /// `shutdown` completes.
    pub async fn serve_on(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()>,
    ) {
        let Daemon {
            server,
            pipes,
            local,
        } = self;
        let (stop, local) = start_local(local);
        server
            .serve_on(listener, async {
                shutdown.await;
                let _ = stop.send(true);
            })
            .await;
        drop(stop);
        if let Some(local) = local {
            let _ = local.await;
        }
        drop(pipes);
    }
}

/// Spawns the local interface's accept loop; it stops when the sender says so or goes.
fn start_local(
    local: Option<local::LocalServer>,
) -> (
    tokio::sync::watch::Sender<bool>,
    Option<tokio::task::JoinHandle<()>>,
) {
    let (stop, rx) = tokio::sync::watch::channel(false);
    (stop, local.map(|l| tokio::spawn(l.run(rx))))
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs `lwiod` with the process's arguments.
pub fn main() -> ExitCode {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // The filter sits behind a reload handle: `lwio admin log-level` replaces it.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, log_handle) = tracing_subscriber::reload::Layer::new(filter);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .try_init();
    let args = Args::parse();
    let config = match Config::from_args(args.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lwiod: {e}");
            return ExitCode::from(2);
        }
    };
    match &config.state_dir {
        Some(dir) => tracing::info!(state_dir = %dir.display(), "state directory"),
        None => tracing::info!("no state directory: accounts in memory"),
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lwiod: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _runtime = rt.enter();
    let daemon = match assemble(config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("lwiod: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(admin) = daemon.admin() {
        // A reload reads the same command line and configuration file again.
        admin.set_reload(Box::new(move || {
            Config::from_args(args.clone())
                .map(|c| c.shares)
                .map_err(|e| e.to_string())
        }));
        admin.set_log_control(Box::new(move |level| {
            let filter = EnvFilter::try_new(level).map_err(|e| e.to_string())?;
            log_handle.reload(filter).map_err(|e| e.to_string())
        }));
    }
    let result = rt.block_on(daemon.serve(async {
        stop_signal().await;
        tracing::info!("shutting down");
    }));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lwiod: {e}");
            ExitCode::FAILURE
        }
    }
}
