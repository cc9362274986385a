//! The named-pipe transport (ncacn_np, MS-RPCE 2.1.1.2): a thin shell around
//! [`Connection`] that reaches its pipes only through the I/O manager, with the I/O
//! model's pipe interface ([`lwio_core::pipe`]), so any pipe file system mounted on the
//! manager (lwio-npfs, conventionally `/npfs`) serves it.
//!
//! [`serve_pipe`] creates the first message-mode instance of the pipe before it returns
//! (so clients may open it at once), then an acceptor task waits on FSCTL_PIPE_LISTEN.
//! Each time a client connects, the acceptor creates a fresh listening instance and
//! starts a task for the connected one, which asks the pipe file system who the client is
//! ([`lwio_core::pipe::query_client_info`]: token and session key), then reads fragments, feeds
//! the connection, awaits pending calls and writes the answers, until the client closes.
//!
//! Every task of every pipe server runs on one [`RpcPool`]: a fixed number of threads
//! (the process-wide default, or a pool the application gives [`serve_pipe_on`]), so a
//! thousand open pipes cost a thousand small tasks, not a thousand threads. lwio's
//! futures need no runtime, so the pool is a plain executor (`futures`' thread pool),
//! not tokio. Within a connection, a call that does not finish at once (its interface
//! returned a future) is a task of its own while the reader goes on, so the calls a
//! client issues without waiting for each other's answers (rpcecho's TestSleep in
//! smbtorture) run side by side and are answered as each finishes; at most
//! [`MAX_CONCURRENT_CALLS`] per connection, after which the reader awaits the next call
//! itself (back-pressure). A call that answers at once runs on the reader's task: an
//! interface whose synchronous calls are slow holds one pool thread while it runs.
//!
//! The SMB server may drive [`Connection`] itself instead.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures_channel::oneshot;
use futures_executor::ThreadPool;
use lwio_core::pipe::{CtlCode, PipeCreateParams, query_client_info};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, FileHandle, IoManager, IrpCanceller,
    NtStatus, block_on,
};
use parking_lot::Mutex;

use super::{Action, Connection, PendingCall, RpcServer};

/// The read size of the server end: any fragment fits.
const READ_LEN: u32 = 1 << 16;

/// The threads pipe servers run their tasks on. Clone it to share it.
#[derive(Clone)]
pub struct RpcPool {
    pool: ThreadPool,
    threads: usize,
}

impl std::fmt::Debug for RpcPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcPool")
            .field("threads", &self.threads)
            .finish()
    }
}

impl RpcPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> Result<RpcPool, NtStatus> {
        let threads = threads.max(1);
        let pool = ThreadPool::builder()
            .pool_size(threads)
            .name_prefix("rpc-")
            .create()
            .map_err(|_| NtStatus::INSUFFICIENT_RESOURCES)?;
        Ok(RpcPool { pool, threads })
    }

    /// The process-wide pool [`serve_pipe`] uses: twice the machine's parallelism, between
    /// 4 and 32 threads, made at the first use.
    pub fn shared() -> Result<RpcPool, NtStatus> {
        static SHARED: OnceLock<Option<RpcPool>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let n = std::thread::available_parallelism().map_or(2, usize::from);
                RpcPool::new((2 * n).clamp(4, 32)).ok()
            })
            .clone()
            .ok_or(NtStatus::INSUFFICIENT_RESOURCES)
    }

    /// How many threads the pool runs.
    pub fn threads(&self) -> usize {
        self.threads
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.pool.spawn_ok(task);
    }
}

struct Shared {
    stopped: AtomicBool,
    listening: Mutex<Option<IrpCanceller>>,
}

/// A running pipe server; dropping it (or [`PipeServer::stop`]) stops accepting clients.
/// Connections already made go on until their clients close.
pub struct PipeServer {
    shared: Arc<Shared>,
    /// Completed when the acceptor task ends.
    acceptor: Option<oneshot::Receiver<()>>,
    path: String,
}

impl std::fmt::Debug for PipeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeServer")
            .field("path", &self.path)
            .finish()
    }
}

impl PipeServer {
    /// The path clients open (`/npfs/rpcecho`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Stops accepting: cancels the pending listen and waits for the acceptor task.
    pub fn stop(&mut self) {
        {
            let mut slot = self.shared.listening.lock();
            self.shared.stopped.store(true, Ordering::Release);
            if let Some(c) = slot.take() {
                c.cancel();
            }
        }
        if let Some(done) = self.acceptor.take() {
            let _ = block_on(done);
        }
    }
}

impl Drop for PipeServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves `server` on pipe `pipe_name` of the npfs device `npfs_device` (`"npfs"` or
/// `"/npfs"`; a leading `\pipe\` on the name is dropped), on the process-wide
/// [`RpcPool::shared`].
///
/// Errors: the status of creating the first instance (no such device, a pipe of that
/// name already created with other parameters, …).
pub fn serve_pipe(
    io: &IoManager,
    npfs_device: &str,
    pipe_name: &str,
    server: Arc<RpcServer>,
) -> Result<PipeServer, NtStatus> {
    serve_pipe_on(&RpcPool::shared()?, io, npfs_device, pipe_name, server)
}

/// [`serve_pipe`] on the threads of `pool`.
pub fn serve_pipe_on(
    pool: &RpcPool,
    io: &IoManager,
    npfs_device: &str,
    pipe_name: &str,
    server: Arc<RpcServer>,
) -> Result<PipeServer, NtStatus> {
    let name = strip_pipe_prefix(pipe_name);
    let path = format!("/{}/{}", npfs_device.trim_matches('/'), name);
    let secondary = format!("\\PIPE\\{name}");
    let first = create_instance(io, &path)?;
    let shared = Arc::new(Shared {
        stopped: AtomicBool::new(false),
        listening: Mutex::new(None),
    });
    let (done_tx, done_rx) = oneshot::channel();
    let acceptor = Acceptor {
        io: io.clone(),
        path: path.clone(),
        secondary,
        shared: Arc::clone(&shared),
        server,
        pool: pool.clone(),
    };
    pool.spawn(async move {
        acceptor.run(first).await;
        let _ = done_tx.send(());
    });
    Ok(PipeServer {
        shared,
        acceptor: Some(done_rx),
        path,
    })
}

fn strip_pipe_prefix(name: &str) -> &str {
    let trimmed = name.trim_start_matches(['\\', '/']);
    match trimmed.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("pipe\\") || p.eq_ignore_ascii_case("pipe/") => {
            &trimmed[5..]
        }
        _ => trimmed,
    }
}

fn create_instance(io: &IoManager, path: &str) -> Result<FileHandle, NtStatus> {
    let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
    let request = CreateRequest::new(
        Arc::new(AccessToken::system()),
        rw,
        CreateDisposition::OPEN_IF,
    )
    .ecp(PipeCreateParams::message());
    block_on(io.create_file(path, request))
}

/// The task that waits for clients.
struct Acceptor {
    io: IoManager,
    path: String,
    secondary: String,
    shared: Arc<Shared>,
    server: Arc<RpcServer>,
    pool: RpcPool,
}

impl Acceptor {
    async fn run(self, first: FileHandle) {
        let mut instance = first;
        loop {
            let listen = {
                let mut slot = self.shared.listening.lock();
                if self.shared.stopped.load(Ordering::Acquire) {
                    return;
                }
                let listen =
                    instance.fs_control(CtlCode::FSCTL_PIPE_LISTEN.into(), Bytes::new(), 0);
                *slot = listen.canceller();
                listen
            };
            let result = listen.await;
            self.shared.listening.lock().take();
            match result {
                Ok(_) => {}
                Err(s) if s == NtStatus::PIPE_CONNECTED => {}
                Err(s) => {
                    tracing::debug!(status = ?s, path = %self.path, "pipe listen ended");
                    return;
                }
            }
            let next = match create_instance(&self.io, &self.path) {
                Ok(h) => h,
                Err(s) => {
                    tracing::warn!(status = ?s, path = %self.path, "cannot create a new pipe instance");
                    serve_connection(
                        instance,
                        self.secondary.clone(),
                        Arc::clone(&self.server),
                        self.pool.clone(),
                    )
                    .await;
                    return;
                }
            };
            let connected = std::mem::replace(&mut instance, next);
            self.pool.spawn(serve_connection(
                connected,
                self.secondary.clone(),
                Arc::clone(&self.server),
                self.pool.clone(),
            ));
        }
    }
}

/// Calls of one connection awaited at the same time, each a task of its own; the reader
/// awaits the next one itself when this many are running (back-pressure).
pub const MAX_CONCURRENT_CALLS: usize = 16;

/// One connected instance: the connection state and the pipe, shared by the reader and the
/// tasks awaiting pending calls.
///
/// Whoever turns results into fragments writes them before letting go of the connection
/// lock, so the fragments of one answer stay together and, on a signed or sealed
/// connection, reach the client in the order their sequence numbers were taken. Writes
/// to an npfs pipe complete at once (they do not wait for the reader), so holding the lock
/// across them is short and never blocks a pool thread.
struct Served {
    pipe: FileHandle,
    conn: Mutex<Connection>,
    running: AtomicUsize,
    closed: AtomicBool,
}

impl Served {
    /// Writes `frags` in order; false (and the connection marked closed) when the pipe
    /// went away.
    fn write_all(&self, frags: Vec<Vec<u8>>) -> bool {
        for frag in frags {
            if block_on(self.pipe.write(0, frag)).is_err() {
                self.closed.store(true, Ordering::Release);
                return false;
            }
        }
        true
    }

    /// Awaits one pending call, then answers it.
    async fn finish(&self, call: PendingCall) {
        let result = call.future.await;
        let conn = &mut *self.conn.lock();
        if !self.closed.load(Ordering::Acquire) {
            let frags = conn.complete(call.call_id, result);
            self.write_all(frags);
        }
    }
}

/// Runs one connected instance until the client goes away.
///
/// The task reads fragments and hands them to the connection; a call that returns a
/// future becomes a task of its own, so the reader goes on with the pipe's other calls
/// and each answer is written when its call finishes (MS-RPCE 3.3.3.4: calls of one
/// association are independent; the client matches answers by `call_id`).
async fn serve_connection(
    pipe: FileHandle,
    secondary: String,
    server: Arc<RpcServer>,
    pool: RpcPool,
) {
    let (token, session_key) = match query_client_info(&pipe).await {
        Ok(info) => (info.token, info.session_key),
        Err(_) => (Arc::new(AccessToken::anonymous()), Vec::new()),
    };
    let served = Arc::new(Served {
        conn: Mutex::new(Connection::new(server, token, session_key, &secondary)),
        pipe,
        running: AtomicUsize::new(0),
        closed: AtomicBool::new(false),
    });
    while !served.closed.load(Ordering::Acquire) {
        let Ok(bytes) = served.pipe.read(0, READ_LEN).await else {
            break;
        };
        let mut calls = Vec::new();
        {
            let conn = &mut *served.conn.lock();
            for action in conn.receive(&bytes) {
                match action {
                    Action::Send(frag) => {
                        if !served.write_all(vec![frag]) {
                            return;
                        }
                    }
                    Action::Call(call) => calls.push(call),
                    Action::Close => {
                        served.closed.store(true, Ordering::Release);
                        return;
                    }
                }
            }
        }
        for call in calls {
            if served.running.fetch_add(1, Ordering::AcqRel) >= MAX_CONCURRENT_CALLS {
                served.running.fetch_sub(1, Ordering::AcqRel);
                served.finish(call).await;
                continue;
            }
            let mine = Arc::clone(&served);
            pool.spawn(async move {
                mine.finish(call).await;
                mine.running.fetch_sub(1, Ordering::AcqRel);
            });
        }
    }
    served.closed.store(true, Ordering::Release);
}
