//! Test support (the `testing` feature): a server driven over in-memory streams, a raw
//! SMB2 client, and scripted request sequences with the invariants every connection
//! must keep. The fuzz target `smb2_engine`, the property tests of `tests/` and the load
//! client in `examples/` are built on it.
//!
//! - [`Harness`]: a [`Server`] whose connections run over tokio's in-memory
//!   [`duplex`](tokio::io::duplex) pipes through its [`Endpoint`], and
//!   [`Harness::settle`], which waits until the engine and the I/O manager hold nothing of
//!   the connections that have ended (or says what they still hold).
//! - [`client::RawClient`]: any header field under the test's control, signing, logon.
//! - [`script`]: steps (frames of requests with chosen ids, charges, files; CANCELs;
//!   logons; raw bytes) run against a connection, checking that every response is well
//!   formed and expected, that the client never holds more credits than allowed, and that
//!   every request is answered unless the connection closes.
//! - [`seal::SessionCrypt`]: one session's transform layer (SMB3 encryption) alone.

pub mod client;
pub mod script;
pub mod seal;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use lwio_smb2::Dialect;

use tokio::io::DuplexStream;
use tokio::task::JoinHandle;

use std::path::PathBuf;

use crate::Settings;
use crate::accounts::{MemoryAccounts, UserConfig};
use crate::endpoint::{Endpoint, EngineStats, Refused};
use crate::server::{NPFS_DEVICE, Server, ServerError};
use crate::state::Share;
use client::{ClientError, RawClient};
use script::Runner;

/// The account [`small_config`] creates.
pub const USER: (&str, &str) = ("user", "pass");

/// What a [`Harness`] serves: a PVFS share `share` on `share_dir`, the accounts `users`
/// in memory, IPC$ with srvsvc and wkssvc (with the `rpc` feature), and `settings`.
#[derive(Debug, Clone)]
pub struct TestConfig {
    /// The engine's settings.
    pub settings: Settings,
    /// The directory the share `share` serves.
    pub share_dir: PathBuf,
    /// The accounts.
    pub users: Vec<UserConfig>,
}

/// A configuration whose bounds are small enough for scripts to reach them: a share
/// `share` on `dir`, the account [`USER`], Guest and the null session allowed, signing
/// not required, no failed-logon delay; few credits (256, 16 before logon), a 1 MiB
/// buffer per connection, 4 session setups in progress, 32 opens per session, 16
/// requests in progress, 1 MiB reads and writes.
pub fn small_config(dir: &Path) -> TestConfig {
    let settings = Settings {
        signing_required: false,
        allow_guest: true,
        failed_logon_delay: Duration::ZERO,
        max_credits: 256,
        unauthenticated_credits: 16,
        max_connection_buffer: 1 << 20,
        max_session_setups: 4,
        max_opens_per_session: 32,
        max_outstanding_requests: 16,
        max_read_write: 1 << 20,
        max_message: (1 << 20) + 4096,
        ..Settings::default()
    };
    TestConfig {
        settings,
        share_dir: dir.to_owned(),
        users: vec![UserConfig::new(USER.0, USER.1)],
    }
}

/// Builds the server a [`TestConfig`] describes, and the pipe servers of its IPC$
/// (srvsvc and wkssvc with the `rpc` feature; none without), which serve while kept.
pub fn build(config: TestConfig) -> Result<(Server, Vec<PipeServers>), ServerError> {
    let io = lwio_core::IoManager::new();
    let mount = |status| ServerError::Mount {
        share: "share".into(),
        status,
    };
    lwio_pvfs::mount(&io, "share", &config.share_dir, Default::default()).map_err(mount)?;
    #[cfg(feature = "npfs")]
    io.add_device(
        NPFS_DEVICE,
        std::sync::Arc::new(lwio_npfs::Npfs::new()),
        lwio_npfs::NpfsDevice::default(),
    )
    .map_err(mount)?;
    let builder = Server::builder(io)
        .share(Share::disk("share", "share").with_path(config.share_dir.display().to_string()))
        .accounts(MemoryAccounts::shared(&config.users))
        .settings(config.settings);
    #[cfg(feature = "npfs")]
    let builder = builder.ipc_share(NPFS_DEVICE);
    let server = builder.build()?;
    #[cfg_attr(not(feature = "rpc"), allow(unused_mut))]
    let mut pipes = Vec::new();
    #[cfg(feature = "rpc")]
    {
        use crate::rpc_services as rpc;
        let pool = lwio_rpc::server::RpcPool::shared().map_err(mount)?;
        let id = rpc::identity(&server);
        let status = server.status();
        pipes.push(
            rpc::serve(
                &pool,
                &server,
                NPFS_DEVICE,
                "srvsvc",
                vec![std::sync::Arc::new(rpc::srvsvc(&status, id.clone()))],
            )
            .map_err(mount)?,
        );
        pipes.push(
            rpc::serve(
                &pool,
                &server,
                NPFS_DEVICE,
                "wkssvc",
                vec![std::sync::Arc::new(rpc::wkssvc(&status, id))],
            )
            .map_err(mount)?,
        );
    }
    Ok((server, pipes))
}

/// A running pipe server (nothing without the `rpc` feature).
#[cfg(feature = "rpc")]
pub type PipeServers = lwio_rpc::server::PipeServer;
/// A running pipe server (nothing without the `rpc` feature).
#[cfg(not(feature = "rpc"))]
pub type PipeServers = std::convert::Infallible;

/// Opens what lies under `dir` to every account (directories 0777, files 0666), so that
/// [`USER`] may make, write and delete there. Accounts are kept apart (each its own Unix
/// identity, see [`crate::accounts`]): without this, what the test process made is the
/// server's, and a non-administrator may only read it.
pub fn open_to_everyone(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.is_dir() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))?;
        for entry in std::fs::read_dir(dir)? {
            open_to_everyone(&entry?.path())?;
        }
    } else if meta.is_file() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o666))?;
    }
    Ok(())
}

/// How many bytes an in-memory pipe buffers each way.
pub const PIPE_BUFFER: usize = 1 << 20;

/// A server whose connections run over in-memory streams.
#[derive(Debug)]
pub struct Harness {
    server: Server,
    _pipes: Vec<PipeServers>,
    endpoint: Endpoint,
    /// Named-pipe file objects alive before any connection (the pipe servers' own
    /// listening instances) and the IRPs pending on them.
    baseline_pipes: (usize, usize),
}

/// What the engine or the I/O manager still holds after connections ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    /// The engine's counts.
    pub stats: EngineStats,
    /// Files still open on the I/O manager (device and path).
    pub files: Vec<(String, String)>,
    /// Named-pipe file objects beyond those alive before any connection.
    pub extra_pipes: usize,
    /// IRPs pending on the I/O manager, beyond the pipe servers' own.
    pub pending_irps: usize,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "left behind: {:?}; files {:?}; {} extra pipe objects; {} pending IRPs",
            self.stats, self.files, self.extra_pipes, self.pending_irps
        )
    }
}

impl Harness {
    /// A server built from `config` ([`build`]).
    pub fn new(config: TestConfig) -> Result<Harness, ServerError> {
        let (server, pipes) = build(config)?;
        let endpoint = server.endpoint();
        // The pipe servers start their listening instances on their own threads: wait
        // until the count stays the same for a while.
        let mut baseline_pipes = pipe_objects(&server);
        let mut same = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        while same < 10 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
            let now = pipe_objects(&server);
            same = if now == baseline_pipes { same + 1 } else { 0 };
            baseline_pipes = now;
        }
        Ok(Harness {
            server,
            _pipes: pipes,
            endpoint,
            baseline_pipes,
        })
    }

    /// The server.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The endpoint its connections run through.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Opens a connection from `peer` over an in-memory pipe (on the current tokio
    /// runtime): the client's end, and the task serving the server's end.
    pub fn connect(
        &self,
        peer: Option<SocketAddr>,
    ) -> (RawClient<DuplexStream>, JoinHandle<Result<(), Refused>>) {
        self.connect_buffered(peer, PIPE_BUFFER)
    }

    /// [`Harness::connect`] over a pipe that buffers `bytes` each way.
    pub fn connect_buffered(
        &self,
        peer: Option<SocketAddr>,
        bytes: usize,
    ) -> (RawClient<DuplexStream>, JoinHandle<Result<(), Refused>>) {
        let (client, server) = tokio::io::duplex(bytes);
        let endpoint = self.endpoint.clone();
        let task = tokio::spawn(async move { endpoint.serve_stream(server, peer).await });
        (RawClient::new(client), task)
    }

    /// Connects, negotiates `dialect`, logs on as [`USER`] and connects the tree `share`:
    /// a script runner ready to go, and the task serving the connection.
    pub async fn session(
        &self,
        dialect: Dialect,
    ) -> Result<(Runner<DuplexStream>, JoinHandle<Result<(), Refused>>), ClientError> {
        let (mut client, task) = self.connect(None);
        client.negotiate(&[dialect]).await?;
        client.logon(USER.0, USER.1).await?;
        client.tree_connect("share").await?;
        let max = self.server.config().max_credits;
        Ok((Runner::new(client, max, USER.0, USER.1), task))
    }

    /// What is left of ended connections now.
    pub fn leftovers(&self) -> Option<Leak> {
        let stats = self.endpoint.stats();
        let rundown = self.server.io().rundown();
        let files: Vec<(String, String)> = rundown
            .files
            .iter()
            .filter(|f| f.device != NPFS_DEVICE)
            .map(|f| (f.device.clone(), f.path.clone()))
            .collect();
        let (pipes, pipe_irps) = pipe_counts(&rundown);
        let extra_pipes = pipes.saturating_sub(self.baseline_pipes.0);
        let pending_irps = rundown.pending_irps.saturating_sub(pipe_irps)
            + pipe_irps.saturating_sub(self.baseline_pipes.1);
        let idle = EngineStats {
            refused_connections: stats.refused_connections,
            peak_buffered_bytes: stats.peak_buffered_bytes,
            ..EngineStats::default()
        };
        if stats == idle && files.is_empty() && extra_pipes == 0 && pending_irps == 0 {
            return None;
        }
        Some(Leak {
            stats,
            files,
            extra_pipes,
            pending_irps,
        })
    }

    /// Waits (up to `wait`) until no connection is left and nothing of them remains:
    /// no connection objects, tasks, sessions, opens, pending requests, buffered bytes,
    /// logon table entries, files or pending IRPs. Else, what remains.
    pub async fn settle(&self, wait: Duration) -> Result<(), Leak> {
        let deadline = Instant::now() + wait;
        loop {
            match self.leftovers() {
                None => return Ok(()),
                Some(leak) if Instant::now() >= deadline => return Err(leak),
                Some(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }
}

/// Named-pipe file objects and the IRPs pending on them.
fn pipe_objects(server: &Server) -> (usize, usize) {
    pipe_counts(&server.io().rundown())
}

/// Named-pipe file objects of `rundown` and the IRPs pending on them.
fn pipe_counts(rundown: &lwio_core::Rundown) -> (usize, usize) {
    let pipes = rundown.files.iter().filter(|f| f.device == NPFS_DEVICE);
    (pipes.clone().count(), pipes.map(|f| f.pending_irps).sum())
}
