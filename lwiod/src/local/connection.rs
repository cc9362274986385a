//! One local client: its frames read, its IRPs run concurrently, its completions written
//! as they finish.
//!
//! Three kinds of task serve a connection:
//!
//! - the reader (this module's [`serve`]) reads a frame at a time, admits the request
//!   within the connection's bounds, sends its IRP at once (as Windows issues I/O at the
//!   call) and, when the driver completed it at dispatch, queues the answer itself;
//! - one task per request still pending awaits the IRP and queues its completion (on a
//!   version-3 connection, first an interim [`ServerFrame::Pending`] when the IRP waits
//!   for an event: `IrpFuture::is_pending`, as SMB2's interim response);
//! - the writer drains the queue into the socket, many frames per (vectored) write when it
//!   can, a large output as its own slice rather than copied. A request's only frame (an
//!   answer with no interim frame before it) skips the queue when the queue is empty and
//!   nobody is writing: the task that has it writes it (`Out::send`), saving the hand-off;
//!   the socket's mutex keeps frames whole.
//!
//! The queue is bounded, and so are the bytes a connection holds ([`MAX_BUFFERED`]: the
//! data its requests carry and the output they may return, from admission until the
//! answer is written): a client that does not read its completions stops being read, so
//! nothing it sends can grow the daemon's memory beyond its [`Limits`] and that budget. Cancel reaches the IRP through its canceller (the driver decides: the IRP
//! completes with STATUS_CANCELLED, or with its result when it finished first); a create
//! in flight is cancelled by dropping its future. When the connection ends, every task in
//! flight is aborted (dropping an IRP's future cancels it) and every file is closed.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use lwio_client::proto::admin::MAX_ENTRIES;
use lwio_client::proto::{
    AdminLocalOpen, AdminRequest, ClientFrame, Completion, CreateArgs, FileId, HelloReply,
    MAX_DATA, MAX_FRAME, MIN_VERSION, Op, ServerFrame, VERSION,
};
use lwio_client::transport::{
    FrameReadError, READ_BUFFER, VECTORED_MIN, read_frame, write_all_vectored,
};
use lwio_core::irp::{IrpCanceller, IrpFuture, IrpRequest, IrpResult};
use lwio_core::{AccessToken, CreateRequest, FileHandle, IoManager, NtStatus};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::AbortHandle;

use super::admin::{Admin, is_administrator};

/// Bytes one connection may hold in the daemon: the data its requests in flight carry and
/// the output they may return (their length limits), from admission until the answer is
/// written to the socket. Beyond it: STATUS_INSUFFICIENT_RESOURCES.
pub(crate) const MAX_BUFFERED: u64 = 8 * MAX_DATA as u64;

/// How long a new connection may take to send its hello.
const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Per-connection bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_open_files: usize,
    pub(crate) max_in_flight: usize,
}

/// How a request in flight is cancelled.
enum Cancel {
    /// Through the IRP's canceller (`None`: it completed at dispatch).
    Irp(Option<IrpCanceller>),
    /// A create: its task drops the create's future when told.
    Create(Option<oneshot::Sender<()>>),
    /// A close is not cancelled.
    Close,
}

struct InFlight {
    cancel: Cancel,
    task: Option<AbortHandle>,
}

#[derive(Default)]
struct State {
    files: HashMap<u64, FileHandle>,
    next_file: u64,
    /// Creates in flight, counted against the open-file bound.
    opening: usize,
    in_flight: HashMap<u64, InFlight>,
    /// Bytes admitted and not yet written back ([`MAX_BUFFERED`]).
    buffered: u64,
    closed: bool,
}

/// A frame for the writer, and the bytes to release from the budget once it is written.
type Outgoing = (ServerFrame, u64);

type Shared = Arc<Mutex<State>>;

/// The connections being served, for the admin status: who each client is and, weakly,
/// its files.
#[derive(Default)]
pub(crate) struct Registry {
    next: std::sync::atomic::AtomicU64,
    conns: Mutex<HashMap<u64, Registered>>,
}

struct Registered {
    uid: u32,
    pid: u32,
    state: std::sync::Weak<Mutex<State>>,
}

/// Takes a connection out of the registry when it ends.
struct Unregister<'a>(&'a Registry, u64);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        self.0.conns.lock().remove(&self.1);
    }
}

impl Registry {
    fn register(&self, uid: u32, pid: u32, state: &Shared) -> Unregister<'_> {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let state = Arc::downgrade(state);
        self.conns.lock().insert(id, Registered { uid, pid, state });
        Unregister(self, id)
    }

    /// The files every local client holds, with their byte-range locks (asked of the file
    /// system with `FSCTL_LWIO_QUERY_LOCKS`: the IRPs are sent under the connection's
    /// lock, awaited after it is dropped). At most `MAX_ENTRIES` files.
    pub(crate) async fn local_opens(&self) -> Vec<AdminLocalOpen> {
        let conns: Vec<_> = {
            let c = self.conns.lock();
            let mut v: Vec<_> = c
                .iter()
                .map(|(id, r)| (*id, r.uid, r.pid, r.state.clone()))
                .collect();
            v.sort_by_key(|c| c.0);
            v
        };
        let mut out = Vec::new();
        for (connection, uid, pid, state) in conns {
            let Some(state) = state.upgrade() else {
                continue;
            };
            let pending: Vec<_> = {
                let s = state.lock();
                let mut files: Vec<_> = s.files.iter().collect();
                files.sort_by_key(|f| *f.0);
                files
                    .into_iter()
                    .take((MAX_ENTRIES as usize).saturating_sub(out.len()))
                    .map(|(_, handle)| {
                        let file = handle.file();
                        let open = AdminLocalOpen {
                            connection,
                            uid,
                            pid,
                            path: format!("/{}/{}", file.device_name(), file.path()),
                            granted: file.granted_access().0,
                            directory: file.is_directory(),
                            ..AdminLocalOpen::default()
                        };
                        let locks = (!open.directory)
                            .then(|| handle.call(lwio_srv::admin::locks_request()));
                        (open, locks)
                    })
                    .collect()
            };
            for (mut open, locks) in pending {
                if let Some(locks) = locks {
                    let locks = lwio_srv::admin::locks_within(locks).await;
                    open.locks = super::admin::admin_locks(&locks);
                    open.locks_omitted = locks.omitted;
                }
                out.push(open);
            }
        }
        out
    }
}

/// Who the client is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer {
    pub(crate) uid: u32,
    pub(crate) pid: u32,
}

/// Serves one connection until the client leaves, breaks the protocol, or `shutdown`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn serve(
    stream: UnixStream,
    io: IoManager,
    token: Arc<AccessToken>,
    peer: Peer,
    admin: Option<Arc<Admin>>,
    registry: Arc<Registry>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let (rd, wr) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Outgoing>(limits.max_in_flight + 8);
    let state: Shared = Arc::default();
    let _registered = registry.register(peer.uid, peer.pid, &state);
    let budget = Arc::clone(&state);
    let wr = Arc::new(tokio::sync::Mutex::new(wr));
    let out = Out {
        tx,
        wr: Arc::clone(&wr),
        state: Arc::clone(&state),
    };
    let writer = tokio::spawn(async move {
        // Frames are encoded into `heads`; a large output (a read's data) is not copied:
        // it goes out as its own slice of the vectored write, after its frame's head.
        let mut heads = BytesMut::new();
        let mut segments: Vec<Bytes> = Vec::new();
        while let Some((frame, release)) = rx.recv().await {
            let mut released = 0;
            let mut queued = 0;
            let mut next = Some((frame, release));
            while let Some((frame, release)) = next.take() {
                released += release;
                let before = heads.len();
                let tail = frame.encode_split(&mut heads, VECTORED_MIN);
                queued += heads.len() - before;
                if let Some(tail) = tail {
                    queued += tail.len();
                    segments.push(heads.split().freeze());
                    segments.push(tail);
                }
                if queued < 256 * 1024 {
                    next = rx.try_recv().ok();
                }
            }
            if !heads.is_empty() {
                segments.push(heads.split().freeze());
            }
            if write_all_vectored(&mut *wr.lock().await, &mut segments)
                .await
                .is_err()
            {
                break;
            }
            let mut s = budget.lock();
            s.buffered = s.buffered.saturating_sub(released);
        }
        let _ = wr.lock().await.shutdown().await;
    });
    let mut rd = tokio::io::BufReader::with_capacity(READ_BUFFER, rd);
    let conn = Conn {
        io,
        token,
        admin,
        registry: Arc::clone(&registry),
        version: std::sync::atomic::AtomicU16::new(0),
        limits,
        state: Arc::clone(&state),
        out: out.clone(),
    };
    tokio::select! {
        () = conn.run(&mut rd) => {}
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
    // The client is gone (or must go): cancel what it left in flight, close its files.
    let (tasks, files) = {
        let mut s = state.lock();
        s.closed = true;
        let tasks: Vec<_> = s.in_flight.drain().filter_map(|(_, f)| f.task).collect();
        (tasks, std::mem::take(&mut s.files))
    };
    for t in tasks {
        t.abort();
    }
    drop(files);
    drop(conn);
    drop(out);
    let _ = writer.await;
}

struct Conn {
    io: IoManager,
    token: Arc<AccessToken>,
    /// What admin requests act on (`None`: STATUS_NOT_SUPPORTED).
    admin: Option<Arc<Admin>>,
    /// Every local connection (the admin status lists their files).
    registry: Arc<Registry>,
    /// The version the hello agreed on.
    version: std::sync::atomic::AtomicU16,
    limits: Limits,
    state: Shared,
    out: Out,
}

/// What dispatching an IRP did.
enum Dispatch {
    /// The driver completed it at once.
    Done(IrpFuture),
    /// A task waits for it.
    Spawned,
    /// The file is gone.
    NoFile,
}

impl Conn {
    async fn run<R: AsyncRead + Unpin>(&self, rd: &mut R) {
        // The hello first, and soon: a connection that says nothing holds a slot.
        let Ok(first) = tokio::time::timeout(HELLO_TIMEOUT, read_frame(rd)).await else {
            return self.refuse(NtStatus::IO_TIMEOUT, "no hello").await;
        };
        let hello = match first {
            Ok(Some(body)) => ClientFrame::decode(&body),
            Ok(None) | Err(FrameReadError::Io(_)) => return,
            Err(FrameReadError::Proto(e)) => Err(e),
        };
        match hello {
            Ok(ClientFrame::Hello { min, max }) if min <= VERSION && MIN_VERSION <= max => {
                let version = max.min(VERSION);
                self.version
                    .store(version, std::sync::atomic::Ordering::Relaxed);
                let reply = HelloReply {
                    version,
                    max_frame: MAX_FRAME,
                    max_open_files: u32::try_from(self.limits.max_open_files).unwrap_or(u32::MAX),
                    max_in_flight: u32::try_from(self.limits.max_in_flight).unwrap_or(u32::MAX),
                };
                // Written before any request is read: nothing can overtake it.
                if !self.out.write_now(ServerFrame::HelloReply(reply)).await {
                    return;
                }
            }
            Ok(ClientFrame::Hello { .. }) => {
                return self
                    .refuse(NtStatus::REVISION_MISMATCH, "no common version")
                    .await;
            }
            Ok(_) => {
                return self
                    .refuse(
                        NtStatus::INVALID_PARAMETER,
                        "the first frame must be a hello",
                    )
                    .await;
            }
            Err(e) => return self.refuse(e.status(), &e.to_string()).await,
        }
        loop {
            let frame = match read_frame(rd).await {
                Ok(Some(body)) => ClientFrame::decode(&body),
                Ok(None) | Err(FrameReadError::Io(_)) => return,
                Err(FrameReadError::Proto(e)) => Err(e),
            };
            let ok = match frame {
                Ok(ClientFrame::Call { id, op }) => self.call(id, op).await,
                Ok(ClientFrame::Admin { id, request }) => self.admin(id, request).await,
                Ok(ClientFrame::Cancel { id }) => {
                    self.cancel(id);
                    true
                }
                Ok(ClientFrame::Hello { .. }) => {
                    return self
                        .refuse(NtStatus::INVALID_PARAMETER, "a second hello")
                        .await;
                }
                Err(e) => return self.refuse(e.status(), &e.to_string()).await,
            };
            if !ok {
                return;
            }
        }
    }

    async fn refuse(&self, status: NtStatus, message: &str) {
        tracing::debug!(%status, message, "local client refused");
        let error = ServerFrame::Error {
            status,
            message: message.to_owned(),
        };
        self.out.queue(error, 0).await;
    }

    /// Answers a request at once with `status`, releasing `cost` once written; false
    /// when the writer is gone.
    async fn answer(&self, id: u64, status: NtStatus, cost: u64) -> bool {
        let frame = completion(id, IrpResult::new(status));
        self.out.send(frame, cost).await
    }

    /// Answers one admin request (in order: the reader waits for it); false when the
    /// connection is gone.
    async fn admin(&self, id: u64, request: AdminRequest) -> bool {
        let version = self.version.load(std::sync::atomic::Ordering::Relaxed);
        let (status, information, output) = match &self.admin {
            _ if version < 2 => (NtStatus::NOT_SUPPORTED, 0, Bytes::new()),
            _ if !is_administrator(&self.token) => {
                tracing::info!(user = %self.token.user, ?request, "admin request refused");
                (NtStatus::ACCESS_DENIED, 0, Bytes::new())
            }
            None => (NtStatus::NOT_SUPPORTED, 0, Bytes::new()),
            Some(admin) => {
                tracing::info!(?request, "admin request");
                admin
                    .handle(&self.token, request, version, &self.registry)
                    .await
            }
        };
        let frame = ServerFrame::Completion(Completion {
            id,
            status,
            information,
            output,
        });
        self.out.send(frame, 0).await
    }

    /// Starts one request; false when the connection is gone.
    async fn call(&self, id: u64, op: Op) -> bool {
        // lwio's lock listing shows every opener's locks: administration only (as the SMB
        // server refuses it from the wire).
        if let Op::FsControl(_, c) = &op
            && c.code == lwio_core::CtlCode::FSCTL_LWIO_QUERY_LOCKS.0
            && !is_administrator(&self.token)
        {
            return self.answer(id, NtStatus::INVALID_DEVICE_REQUEST, 0).await;
        }
        let cost = match self.admit(id, &op) {
            Ok(cost) => cost,
            Err(status) => return self.answer(id, status, 0).await,
        };
        match op {
            Op::Create(args) => self.create(id, args, cost),
            Op::Close(file) => self.close(id, file, cost),
            op => {
                let (Some(file), Some(irp)) = (op.file(), op.into_irp()) else {
                    return self.answer(id, NtStatus::INVALID_PARAMETER, cost).await;
                };
                match self.dispatch(id, file, irp, cost) {
                    // An IRP the driver completed at dispatch is answered here, with no
                    // task: most reads and queries of memory-backed state.
                    Dispatch::Done(done) => {
                        let frame = completion(id, done.await);
                        return self.out.send(frame, cost).await;
                    }
                    Dispatch::NoFile => {
                        return self.answer(id, NtStatus::INVALID_HANDLE, cost).await;
                    }
                    Dispatch::Spawned => {}
                }
            }
        }
        true
    }

    /// Admits a request within the connection's bounds and reserves its bytes (returned),
    /// or says why it is refused.
    fn admit(&self, id: u64, op: &Op) -> Result<u64, NtStatus> {
        let mut s = self.state.lock();
        if s.in_flight.contains_key(&id) {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        if s.in_flight.len() >= self.limits.max_in_flight {
            return Err(NtStatus::INSUFFICIENT_RESOURCES);
        }
        match op {
            Op::Create(_) if s.files.len() + s.opening >= self.limits.max_open_files => {
                return Err(NtStatus::INSUFFICIENT_RESOURCES);
            }
            Op::Create(_) => {}
            op => {
                if op.file().is_some_and(|f| !s.files.contains_key(&f.0)) {
                    return Err(NtStatus::INVALID_HANDLE);
                }
                if output_limit(op) > MAX_DATA {
                    return Err(NtStatus::INVALID_PARAMETER);
                }
            }
        }
        let cost = u64::from(output_limit(op)) + input_length(op);
        if s.buffered + cost > MAX_BUFFERED {
            return Err(NtStatus::INSUFFICIENT_RESOURCES);
        }
        s.buffered += cost;
        Ok(cost)
    }

    /// Sends the IRP; a task waits for it unless the driver completed it at once.
    fn dispatch(&self, id: u64, file: FileId, irp: IrpRequest, cost: u64) -> Dispatch {
        let mut s = self.state.lock();
        let Some(handle) = s.files.get(&file.0) else {
            return Dispatch::NoFile;
        };
        let future = handle.call(irp);
        if future.is_done() {
            return Dispatch::Done(future);
        }
        let cancel = Cancel::Irp(future.canceller());
        let state = Arc::clone(&self.state);
        let out = self.out.clone();
        // Version 3: an IRP waiting for an event (not merely for a worker) is announced
        // before its answer, from the task that sends the answer, so it comes first.
        let interim =
            future.is_pending() && self.version.load(std::sync::atomic::Ordering::Relaxed) >= 3;
        let task = tokio::spawn(async move {
            if interim {
                // Both through the writer's queue, in this order.
                out.queue(ServerFrame::Pending { id }, 0).await;
            }
            let result = future.await;
            finish(&state, &out, id, completion(id, result), cost, interim).await;
        });
        s.in_flight.insert(
            id,
            InFlight {
                cancel,
                task: Some(task.abort_handle()),
            },
        );
        Dispatch::Spawned
    }

    fn create(&self, id: u64, args: CreateArgs, cost: u64) {
        let mut request = CreateRequest::new(
            Arc::clone(&self.token),
            args.desired_access,
            args.disposition,
        )
        .share(args.share_access)
        .options(args.options)
        .attributes(args.attributes);
        request.allocation_size = args.allocation_size;
        request.security_descriptor = args.security_descriptor;
        request.ea_buffer = args.ea_buffer;
        let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
        let io = self.io.clone();
        let state = Arc::clone(&self.state);
        let out = self.out.clone();
        let mut s = self.state.lock();
        s.opening += 1;
        let task = tokio::spawn(async move {
            let path = args.path;
            let result = tokio::select! {
                r = io.create_file(&path, request) => r,
                _ = cancel_rx => Err(NtStatus::CANCELLED),
            };
            let frame = {
                let mut s = state.lock();
                s.opening = s.opening.saturating_sub(1);
                match result {
                    Ok(handle) if !s.closed => {
                        s.next_file += 1;
                        let file = s.next_file;
                        let frame = ServerFrame::Created {
                            id,
                            file: FileId(file),
                            action: handle.create_action().0,
                            granted: handle.file().granted_access(),
                            directory: handle.file().is_directory(),
                        };
                        s.files.insert(file, handle);
                        frame
                    }
                    Ok(_) => completion(id, IrpResult::new(NtStatus::FILE_CLOSED)),
                    Err(status) => completion(id, IrpResult::new(status)),
                }
            };
            finish(&state, &out, id, frame, cost, false).await;
        });
        s.in_flight.insert(
            id,
            InFlight {
                cancel: Cancel::Create(Some(cancel_tx)),
                task: Some(task.abort_handle()),
            },
        );
    }

    fn close(&self, id: u64, file: FileId, cost: u64) {
        let mut s = self.state.lock();
        let Some(handle) = s.files.remove(&file.0) else {
            s.buffered = s.buffered.saturating_sub(cost);
            return;
        };
        let state = Arc::clone(&self.state);
        let out = self.out.clone();
        let task = tokio::spawn(async move {
            let status = handle.close().await;
            let frame = completion(id, IrpResult::new(status));
            finish(&state, &out, id, frame, cost, false).await;
        });
        s.in_flight.insert(
            id,
            InFlight {
                cancel: Cancel::Close,
                task: Some(task.abort_handle()),
            },
        );
    }

    fn cancel(&self, id: u64) {
        let mut s = self.state.lock();
        let Some(entry) = s.in_flight.get_mut(&id) else {
            return;
        };
        match &mut entry.cancel {
            Cancel::Irp(Some(c)) => c.cancel(),
            Cancel::Create(tx) => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
            }
            Cancel::Irp(None) | Cancel::Close => {}
        }
    }
}

/// A request's task ends: it leaves the table, then its answer is written or queued (its
/// bytes are released once written). `ordered`: the request had an interim frame, which
/// went through the queue, so its answer must follow it there.
async fn finish(state: &Shared, out: &Out, id: u64, frame: ServerFrame, cost: u64, ordered: bool) {
    state.lock().in_flight.remove(&id);
    if ordered {
        out.queue(frame, cost).await;
    } else {
        out.send(frame, cost).await;
    }
}

/// Where a connection's frames go: the writer task's queue, or straight into the socket
/// from the task that has the frame when the queue is empty and nobody is writing (no
/// hand-off to the writer task: one cross-thread wake-up less per answer).
#[derive(Clone)]
struct Out {
    tx: mpsc::Sender<Outgoing>,
    wr: Arc<tokio::sync::Mutex<tokio::net::unix::OwnedWriteHalf>>,
    /// For the byte budget a written answer releases.
    state: Shared,
}

impl Out {
    /// Queues `frame` for the writer, after what is queued already; false when the
    /// writer is gone.
    async fn queue(&self, frame: ServerFrame, cost: u64) -> bool {
        self.tx.send((frame, cost)).await.is_ok()
    }

    /// Sends a frame whose order among the connection's frames does not matter (a
    /// request's only frame): written here when the queue is empty and the socket free,
    /// else queued. The socket's mutex keeps frames whole; a full socket makes this task
    /// wait, as it would wait for room in the queue.
    async fn send(&self, frame: ServerFrame, cost: u64) -> bool {
        if self.tx.capacity() == self.tx.max_capacity() {
            if let Ok(mut wr) = self.wr.try_lock() {
                let ok = write_one(&mut wr, &frame).await;
                drop(wr);
                let mut s = self.state.lock();
                s.buffered = s.buffered.saturating_sub(cost);
                return ok;
            }
        }
        self.queue(frame, cost).await
    }

    /// Writes `frame` now, waiting for the socket (the hello's answer, before any other).
    async fn write_now(&self, frame: ServerFrame) -> bool {
        write_one(&mut *self.wr.lock().await, &frame).await
    }
}

/// Writes one frame (a large output as its own slice).
async fn write_one(wr: &mut tokio::net::unix::OwnedWriteHalf, frame: &ServerFrame) -> bool {
    let mut head = BytesMut::new();
    let mut segments = Vec::with_capacity(2);
    match frame.encode_split(&mut head, VECTORED_MIN) {
        Some(tail) => segments.extend([head.freeze(), tail]),
        None => segments.push(head.freeze()),
    }
    write_all_vectored(wr, &mut segments).await.is_ok()
}

fn completion(id: u64, r: IrpResult) -> ServerFrame {
    ServerFrame::Completion(Completion {
        id,
        status: r.status,
        information: r.information,
        output: Bytes::from(r.output),
    })
}

/// The most output a request may return.
fn output_limit(op: &Op) -> u32 {
    match op {
        Op::Read(_, r) => r.length,
        Op::QueryInformation(_, q) => q.length,
        Op::QueryVolumeInformation(_, q) => q.length,
        Op::QueryDirectory(_, q) => q.length,
        Op::Notify(_, n) => n.length,
        Op::QuerySecurity(_, q) => q.length,
        Op::FsControl(_, c) | Op::DeviceControl(_, c) => c.max_output,
        _ => 0,
    }
}

/// The bytes a request carries in.
fn input_length(op: &Op) -> u64 {
    let n = match op {
        Op::Create(c) => {
            c.security_descriptor.as_ref().map_or(0, |b| b.len())
                + c.ea_buffer.as_ref().map_or(0, |b| b.len())
        }
        Op::Write(_, w) => w.data.len(),
        Op::SetInformation(_, s) => s.data.len(),
        Op::SetVolumeInformation(_, s) => s.data.len(),
        Op::SetSecurity(_, s) => s.descriptor.len(),
        Op::FsControl(_, c) | Op::DeviceControl(_, c) => c.input.len(),
        _ => 0,
    };
    n as u64
}
