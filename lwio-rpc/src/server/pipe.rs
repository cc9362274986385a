//! The named-pipe transport (ncacn_np, MS-RPCE 2.1.1.2) over lwio-npfs: a thin shell
//! around [`Connection`].
//!
//! [`serve_pipe`] creates the first message-mode instance of the pipe before it returns
//! (so clients may open it at once), then an acceptor thread waits on FSCTL_PIPE_LISTEN.
//! Each time a client connects, the acceptor creates a fresh listening instance and hands
//! the connected one to a thread of its own, which asks npfs who the client is
//! ([`lwio_npfs::query_client_info`]: token and session key), then reads fragments, feeds
//! the connection, awaits pending calls and writes the answers, until the client closes.
//!
//! Threads, not tokio tasks: lwio's futures need no runtime ([`lwio_core::block_on`]),
//! and a thread per connection keeps a slow call from holding up any other connection
//! without asking the embedding program for a runtime. Within a connection, a call that
//! does not finish at once (its interface returned a future) is awaited on a thread of
//! its own while the reader goes on, so the calls a client issues without waiting for
//! each other's answers (rpcecho's TestSleep in smbtorture) run side by side and are
//! answered as each finishes. The SMB server may drive [`Connection`] itself instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use bytes::Bytes;
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, FileHandle, IoManager, IrpCanceller,
    NtStatus, block_on,
};
use lwio_npfs::{FSCTL_PIPE_LISTEN, PipeCreateParams, query_client_info};
use parking_lot::Mutex;

use super::{Action, Connection, PendingCall, RpcServer};

/// The read size of the server end: any fragment fits.
const READ_LEN: u32 = 1 << 16;

struct Shared {
    stopped: AtomicBool,
    listening: Mutex<Option<IrpCanceller>>,
}

/// A running pipe server; dropping it (or [`PipeServer::stop`]) stops accepting clients.
/// Connections already made go on until their clients close.
pub struct PipeServer {
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
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

    /// Stops accepting: cancels the pending listen and joins the acceptor thread.
    pub fn stop(&mut self) {
        {
            let mut slot = self.shared.listening.lock();
            self.shared.stopped.store(true, Ordering::Release);
            if let Some(c) = slot.take() {
                c.cancel();
            }
        }
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PipeServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves `server` on pipe `pipe_name` of the npfs device `npfs_device` (`"npfs"` or
/// `"/npfs"`; a leading `\pipe\` on the name is dropped).
///
/// Errors: the status of creating the first instance (no such device, a pipe of that
/// name already created with other parameters, …).
pub fn serve_pipe(
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
    let acceptor = {
        let (io, shared, path) = (io.clone(), Arc::clone(&shared), path.clone());
        std::thread::Builder::new()
            .name(format!("rpc-accept-{name}"))
            .spawn(move || accept_loop(&io, &path, &secondary, first, &shared, &server))
            .map_err(|_| NtStatus::INSUFFICIENT_RESOURCES)?
    };
    Ok(PipeServer {
        shared,
        acceptor: Some(acceptor),
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

fn accept_loop(
    io: &IoManager,
    path: &str,
    secondary: &str,
    first: FileHandle,
    shared: &Shared,
    server: &Arc<RpcServer>,
) {
    let mut instance = first;
    loop {
        let listen = {
            let mut slot = shared.listening.lock();
            if shared.stopped.load(Ordering::Acquire) {
                return;
            }
            let listen = instance.fs_control(FSCTL_PIPE_LISTEN, Bytes::new(), 0);
            *slot = listen.canceller();
            listen
        };
        let result = block_on(listen);
        shared.listening.lock().take();
        match result {
            Ok(_) => {}
            Err(s) if s == NtStatus::PIPE_CONNECTED => {}
            Err(s) => {
                tracing::debug!(status = ?s, path, "pipe listen ended");
                return;
            }
        }
        let next = match create_instance(io, path) {
            Ok(h) => Some(h),
            Err(s) => {
                tracing::warn!(status = ?s, path, "cannot create a new pipe instance");
                None
            }
        };
        let Some(next) = next else {
            serve_connection(instance, secondary, Arc::clone(server));
            return;
        };
        let connected = std::mem::replace(&mut instance, next);
        let (secondary, server) = (secondary.to_owned(), Arc::clone(server));
        let spawned = std::thread::Builder::new()
            .name("rpc-conn".into())
            .spawn(move || serve_connection(connected, &secondary, server));
        if spawned.is_err() {
            tracing::warn!(path, "cannot start a connection thread");
        }
    }
}

/// Calls of one connection awaited at the same time, each on a thread of its own; the
/// reader awaits the next one itself when this many are running (back-pressure).
pub const MAX_CONCURRENT_CALLS: usize = 16;

/// One connected instance: the connection state and the pipe, shared by the reader and the
/// threads awaiting pending calls.
///
/// Whoever turns results into fragments writes them before letting go of the connection
/// lock, so the fragments of one answer stay together and, on a signed or sealed
/// connection, reach the client in the order their sequence numbers were taken. Writes
/// to an npfs pipe do not wait for the reader, so holding the lock across them is short.
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
    fn finish(&self, call: PendingCall) {
        let result = block_on(call.future);
        let conn = &mut *self.conn.lock();
        if !self.closed.load(Ordering::Acquire) {
            let frags = conn.complete(call.call_id, result);
            self.write_all(frags);
        }
    }
}

/// Runs one connected instance until the client goes away.
///
/// The thread reads fragments and hands them to the connection; a call that returns a
/// future is awaited on a thread of its own, so the reader goes on with the pipe's other
/// calls and each answer is written when its call finishes (MS-RPCE 3.3.3.4: calls of
/// one association are independent; the client matches answers by `call_id`).
fn serve_connection(pipe: FileHandle, secondary: &str, server: Arc<RpcServer>) {
    let (token, session_key) = match block_on(query_client_info(&pipe)) {
        Ok(info) => (info.token, info.session_key),
        Err(_) => (Arc::new(AccessToken::anonymous()), Vec::new()),
    };
    let served = Arc::new(Served {
        conn: Mutex::new(Connection::new(server, token, session_key, secondary)),
        pipe,
        running: AtomicUsize::new(0),
        closed: AtomicBool::new(false),
    });
    while !served.closed.load(Ordering::Acquire) {
        let Ok(bytes) = block_on(served.pipe.read(0, READ_LEN)) else {
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
            spawn_call(&served, call);
        }
    }
    served.closed.store(true, Ordering::Release);
}

/// Awaits `call` on a thread of its own, or on this one when too many are running or no
/// thread can be started.
fn spawn_call(served: &Arc<Served>, call: PendingCall) {
    if served.running.fetch_add(1, Ordering::AcqRel) >= MAX_CONCURRENT_CALLS {
        served.running.fetch_sub(1, Ordering::AcqRel);
        served.finish(call);
        return;
    }
    let call = Arc::new(Mutex::new(Some(call)));
    let (mine, theirs) = (Arc::clone(served), Arc::clone(&call));
    let spawned = std::thread::Builder::new()
        .name("rpc-call".into())
        .spawn(move || {
            if let Some(call) = theirs.lock().take() {
                mine.finish(call);
            }
            mine.running.fetch_sub(1, Ordering::AcqRel);
        });
    if spawned.is_err() {
        served.running.fetch_sub(1, Ordering::AcqRel);
        if let Some(call) = call.lock().take() {
            served.finish(call);
        }
    }
}
