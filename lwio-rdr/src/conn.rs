//! The tokio shell around one connection's [`Engine`]: a reader task, a writer task, and
//! the table of callers waiting for their responses.
//!
//! A caller reserves its request under the connection's lock (message id, credits,
//! header), registers a one-shot channel for the reply and takes its place in the
//! writer's queue, all in one critical section, so requests leave in message-id order;
//! it signs or seals the request after releasing the lock and fills its place, so
//! several callers sign at once and the reader is never held up by a signature. The writer
//! sends each frame (its 4-byte header, the message, and a WRITE's data straight from the
//! IRP's buffer) with one vectored write, without joining them first. The reader reads
//! Direct TCP frames (bounded by the largest response the client asked for) into buffers
//! it does not zero first, opens and verifies them without the lock
//! ([`crate::engine::check`]: decryption and signatures are the expensive part of a
//! response), hands them to the engine under it and completes the waiting callers. A
//! request that finds too few credits waits for the next response that grants some.
//!
//! Any protocol error, a closed socket or an I/O error fails the connection: every waiting
//! caller gets [`RdrError::Disconnected`] (STATUS_CONNECTION_DISCONNECTED), the reason is
//! logged, and the connection refuses further requests; the cache then makes a new one
//! for the next open. A connection the network lost (the socket closed or failed) says so
//! ([`Connection::was_lost`]): its files may reconnect; one the client dropped because
//! the server lied may not. Dropping the [`Connection`] stops both tasks and closes the
//! socket.
//!
//! Oplock breaks: the driver registers each open that was granted an oplock (its file id,
//! tree and level); a break notification for one is acknowledged at once, at the level the
//! server offers, by a task of its own (nothing is cached under an oplock, so there is
//! nothing to flush first). A lease break that takes W first sends the writes gathered
//! under it ([`crate::writeback`]). Lease breaks: the driver registers each open's lease
//! ([`crate::lease`]); the reader changes the lease's state (dropping its read cache when
//! R goes) as it decodes the break, before any later response is delivered, and a task
//! acknowledges it when the server asks. A break from level II to none is not acknowledged (MS-SMB2 2.2.24.1);
//! a break that lowers nothing, or names an open closed meanwhile, is ignored, so a server
//! gets at most two acknowledgments per open.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use lwio_smb2::frame::{FRAME_HEADER_LEN, encode_frame_header, message_len};
use lwio_smb2::{Command, FileId, LeaseBreakAck, LeaseBreakFlags, OplockBreak, OplockLevel};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::engine::{Engine, Incoming, NotPrepared, Outgoing, Reply};
use crate::error::RdrError;
use crate::lease::{Broken, Lease};

type ReplyTx = oneshot::Sender<Result<Reply, RdrError>>;

struct State {
    engine: Engine,
    waiters: HashMap<u64, ReplyTx>,
    dead: Option<String>,
    /// The transport failed (not a refusal of the server's bytes).
    lost: bool,
    /// The tree and level of each open holding an oplock (to acknowledge its breaks on).
    oplocks: HashMap<FileId, (u32, OplockLevel)>,
    /// The leases of the opens living on the connection, by key, with their trees.
    leases: HashMap<[u8; 16], (u32, Weak<Lease>)>,
    writer: mpsc::UnboundedSender<Slot>,
}

/// A frame's place in the writer's queue, taken in message-id order under the lock: the
/// frame itself, or the promise of it while its signature or sealing is computed outside
/// the lock (the writer waits for each in turn, so frames leave in message-id order).
enum Slot {
    Ready(Vec<u8>, Bytes),
    Later(oneshot::Receiver<(Vec<u8>, Bytes)>),
}

/// What the tasks and the handle share.
pub(crate) struct Shared {
    state: Mutex<State>,
    credits: Notify,
}

impl Shared {
    /// Fails the connection: records why, fails every waiting caller, wakes credit waiters.
    pub(crate) fn fail(&self, reason: String) {
        self.fail_as(reason, false);
    }

    /// As [`Shared::fail`]; `lost` when the transport failed (the files may reconnect).
    fn fail_as(&self, reason: String, lost: bool) {
        let waiters = {
            let mut s = self.state.lock();
            if s.dead.is_some() {
                return;
            }
            tracing::warn!(%reason, "SMB2 connection dropped");
            s.dead = Some(reason.clone());
            s.lost = lost;
            s.engine.drain();
            std::mem::take(&mut s.waiters)
        };
        for (_, tx) in waiters {
            let _ = tx.send(Err(RdrError::Disconnected(reason.clone())));
        }
        self.credits.notify_waiters();
    }

    /// Hands a frame to the engine and the replies to their callers; returns the oplock
    /// and lease breaks to acknowledge (with their trees). A lease break has already
    /// changed the lease's state and dropped its cache when it returns.
    fn deliver(&self, frame: Frame) -> Result<Vec<(Ack, u32)>, String> {
        let mut replies = Vec::new();
        let mut breaks = Vec::new();
        // Decryption and signature checks without the lock ([`crate::engine::check`]):
        // callers go on sending meanwhile. Frames still reach the engine one at a time,
        // in the order they arrived, from this one reader.
        let checks = self.state.lock().engine.checks();
        let checked = checks.check(frame).map_err(|e| e.to_string())?;
        {
            let mut s = self.state.lock();
            let incoming = s.engine.accept(checked).map_err(|e| e.to_string())?;
            for i in incoming {
                match i {
                    Incoming::Reply(r) => match s.waiters.remove(&r.message_id) {
                        Some(tx) => replies.push((tx, r)),
                        None => {
                            return Err(format!("no caller waits for message {}", r.message_id));
                        }
                    },
                    Incoming::OplockBreak(b) => {
                        if let Some((tree, level)) = s.oplocks.get_mut(&b.file_id) {
                            let from = *level;
                            if b.oplock_level.0 < from.0 {
                                *level = b.oplock_level;
                                if from != OplockLevel::II {
                                    breaks.push((Ack::Oplock(b), *tree));
                                }
                            }
                        }
                    }
                    Incoming::LeaseBreak(b) => {
                        // MS-SMB2 3.2.5.19.2: a lease this client does not hold (its open
                        // closed meanwhile) is ignored.
                        let held = s.leases.get(&b.lease_key);
                        if let Some((tree, lease)) =
                            held.and_then(|(t, l)| Some((*t, l.upgrade()?)))
                        {
                            let broken = lease.break_and_unpark(b.new_lease_state);
                            let ack = b.flags.contains(LeaseBreakFlags::ACK_REQUIRED);
                            if ack || broken.close.is_some() || broken.flush.is_some() {
                                let lease = Ack::Lease {
                                    key: b.lease_key,
                                    broken,
                                    ack,
                                };
                                breaks.push((lease, tree));
                            }
                        }
                    }
                    Incoming::Interim { .. } | Incoming::Notification => {}
                }
            }
        }
        self.credits.notify_waiters();
        for (tx, r) in replies {
            let _ = tx.send(Ok(r));
        }
        Ok(breaks)
    }

    /// Sends a request, waiting for credits if needed (see [`Connection::send`]). The
    /// message id, credits and the place in the writer's queue are taken under the lock;
    /// the signature or sealing is computed after it is released, at once (no await in
    /// between, so the place is always filled), while other callers reserve theirs and the
    /// reader delivers responses.
    async fn send(&self, out: Outgoing, keep: bool) -> Result<(InFlight, Vec<u8>), RdrError> {
        let mut out = out;
        loop {
            let notified = self.credits.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let reserved = {
                let mut s = self.state.lock();
                if let Some(reason) = &s.dead {
                    return Err(RdrError::Disconnected(reason.clone()));
                }
                match s.engine.reserve(out) {
                    Ok(r) => {
                        let (tx, rx) = oneshot::channel();
                        let (frame_tx, frame_rx) = oneshot::channel();
                        let message_id = r.message_id;
                        s.waiters.insert(message_id, tx);
                        if s.writer.send(Slot::Later(frame_rx)).is_err() {
                            s.waiters.remove(&message_id);
                            s.engine.abandon(message_id);
                            return Err(RdrError::Disconnected("writer stopped".into()));
                        }
                        Ok((r, rx, frame_tx))
                    }
                    Err(NotPrepared::Credits(back)) => Err(back),
                    Err(NotPrepared::Seal) => {
                        drop(s);
                        let reason = "the session's encryption nonces are spent".to_string();
                        self.fail(reason.clone());
                        return Err(RdrError::Disconnected(reason));
                    }
                }
            };
            let (reserved, rx, frame_tx) = match reserved {
                Ok(r) => r,
                Err(back) => {
                    out = back;
                    notified.await;
                    continue;
                }
            };
            let message_id = reserved.message_id;
            let Some(p) = reserved.finish() else {
                let reason = "a request too large to seal".to_string();
                self.fail(reason.clone());
                return Err(RdrError::Disconnected(reason));
            };
            let kept = if keep { p.message.clone() } else { Vec::new() };
            // A writer that stopped failed the connection; the reply says so.
            let _ = frame_tx.send((p.message, p.data));
            return Ok((InFlight { message_id, rx }, kept));
        }
    }
}

/// A break to act on.
enum Ack {
    /// An oplock break, acknowledged at the level the server offered.
    Oplock(OplockBreak),
    /// A lease break: the writes gathered under the W it took away to send first, and
    /// the handle parked under the H it took away to close, then the acknowledgment (when
    /// the server asks for one) with the state the lease keeps.
    Lease {
        key: [u8; 16],
        broken: Broken,
        ack: bool,
    },
}

/// Acknowledges an oplock break at the level the server offered (MS-SMB2 3.2.4.15), or a
/// lease break with the state the lease keeps (3.2.4.16), after sending the writes
/// gathered under the W the break took away (MS-SMB2 3.2.5.19.2: the client flushes
/// dirty data before acknowledging) and closing the handle that was parked under its H.
async fn acknowledge(shared: Arc<Shared>, brk: Ack, tree: u32) {
    let ack = match brk {
        Ack::Oplock(b) => Outgoing::new(Command::OPLOCK_BREAK, tree, |o| b.encode(o)),
        Ack::Lease { key, broken, ack } => {
            let Broken {
                state,
                close,
                flush,
            } = broken;
            if let Some(open) = flush {
                // The break came on this connection: it is up, no reconnect to make.
                open.flush_behind(None).await;
            }
            if let Some(close) = close {
                close().await;
            }
            if !ack {
                return;
            }
            let body = LeaseBreakAck {
                lease_key: key,
                lease_state: state,
                ..LeaseBreakAck::default()
            };
            Outgoing::new(Command::OPLOCK_BREAK, tree, |o| body.encode(o))
        }
    };
    match shared.send(ack, false).await {
        Ok((sent, _)) => {
            // The server's answer (the level it settled on) changes nothing here.
            let _ = sent.reply().await;
        }
        Err(e) => tracing::debug!(error = %e, "oplock break acknowledgment not sent"),
    }
}

/// One SMB2 connection: its engine, its tasks, its waiting callers.
pub struct Connection {
    shared: Arc<Shared>,
    tasks: [JoinHandle<()>; 2],
}

impl Drop for Connection {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.shared.fail("connection closed by the client".into());
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// A request sent, waiting for its reply.
#[derive(Debug)]
pub struct InFlight {
    /// Its message id (what CANCEL names).
    pub message_id: u64,
    rx: oneshot::Receiver<Result<Reply, RdrError>>,
}

impl InFlight {
    /// Waits for the final response.
    pub async fn reply(self) -> Result<Reply, RdrError> {
        self.rx
            .await
            .unwrap_or_else(|_| Err(RdrError::Disconnected("connection closed".into())))
    }
}

impl Connection {
    /// Starts the tasks of a connection over `stream` (a TCP socket, or any byte stream in
    /// tests), keeping at most `max_credits` credits and reading frames of at most
    /// `max_frame` bytes. Call from inside a tokio runtime.
    pub fn start<S>(stream: S, max_credits: u16, max_frame: usize) -> Connection
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read, write) = tokio::io::split(stream);
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                engine: Engine::new(max_credits),
                waiters: HashMap::new(),
                dead: None,
                lost: false,
                oplocks: HashMap::new(),
                leases: HashMap::new(),
                writer: tx,
            }),
            credits: Notify::new(),
        });
        let reader = tokio::spawn(read_loop(read, Arc::clone(&shared), max_frame));
        let writer = tokio::spawn(write_loop(write, rx, Arc::clone(&shared)));
        Connection {
            shared,
            tasks: [reader, writer],
        }
    }

    /// Runs `f` on the engine (session id, signing, dialect settings).
    pub fn with_engine<T>(&self, f: impl FnOnce(&mut Engine) -> T) -> T {
        f(&mut self.shared.state.lock().engine)
    }

    /// Why the connection failed, if it did.
    pub fn failure(&self) -> Option<String> {
        self.shared.state.lock().dead.clone()
    }

    /// True when the connection failed because the network lost it (the server closed the
    /// socket, a read or write failed), not because the client refused the server's bytes.
    pub fn was_lost(&self) -> bool {
        let s = self.shared.state.lock();
        s.dead.is_some() && s.lost
    }

    /// Fails the connection (a response that decoded wrongly, a lying server).
    pub fn fail(&self, reason: String) {
        self.shared.fail(reason);
    }

    /// Sends a request, waiting for credits if needed; returns its message id and the
    /// reply to wait for.
    pub async fn send(&self, out: Outgoing) -> Result<InFlight, RdrError> {
        Ok(self.send_inner(out, false).await?.0)
    }

    /// As [`Connection::send`], also returning the message as sent (for the 3.1.1
    /// preauth integrity hash of NEGOTIATE and SESSION_SETUP).
    pub async fn send_keep(&self, out: Outgoing) -> Result<(InFlight, Vec<u8>), RdrError> {
        self.send_inner(out, true).await
    }

    async fn send_inner(&self, out: Outgoing, keep: bool) -> Result<(InFlight, Vec<u8>), RdrError> {
        self.shared.send(out, keep).await
    }

    /// Acknowledges the oplock breaks of the open `file_id` on tree `tree`, granted
    /// `level`, from now on.
    pub fn watch_oplock(&self, file_id: FileId, tree: u32, level: OplockLevel) {
        self.shared
            .state
            .lock()
            .oplocks
            .insert(file_id, (tree, level));
    }

    /// Forgets an open's oplock (closed).
    pub fn forget_oplock(&self, file_id: FileId) {
        self.shared.state.lock().oplocks.remove(&file_id);
    }

    /// Hands the breaks of `lease` (held by an open on tree `tree`) to it from now on,
    /// while it lives.
    pub fn watch_lease(&self, tree: u32, lease: &Arc<Lease>) {
        let mut s = self.shared.state.lock();
        s.leases.retain(|_, (_, l)| l.strong_count() > 0);
        s.leases.insert(lease.key(), (tree, Arc::downgrade(lease)));
    }

    /// Forgets a lease (its open closed).
    pub fn forget_lease(&self, key: &[u8; 16]) {
        self.shared.state.lock().leases.remove(key);
    }

    /// Sends a request and waits for its final response.
    pub async fn call(&self, out: Outgoing) -> Result<Reply, RdrError> {
        self.send(out).await?.reply().await
    }

    /// Sends SMB2 CANCEL for the request `message_id`, if it is still in flight.
    pub fn cancel(&self, message_id: u64) {
        let mut s = self.shared.state.lock();
        if let Some(msg) = s.engine.cancel(message_id) {
            let _ = s.writer.send(Slot::Ready(msg, Bytes::new()));
        }
    }
}

async fn read_loop<R: AsyncRead>(read: R, shared: Arc<Shared>, max_frame: usize) {
    let mut read = std::pin::pin!(read);
    let pool = Arc::new(FramePool::default());
    let (reason, lost) = loop {
        let mut head = [0u8; FRAME_HEADER_LEN];
        if let Err(e) = read.read_exact(&mut head).await {
            break (format!("read from the server: {e}"), true);
        }
        let len = match message_len(head, max_frame) {
            Ok(len) => len,
            Err(e) => break (format!("bad frame from the server: {e}"), false),
        };
        let frame = match read_frame(read.as_mut(), pool.take(len), len).await {
            Ok(frame) => frame,
            Err(reason) => break (reason, true),
        };
        let frame = Frame {
            buf: frame,
            pool: Arc::clone(&pool),
        };
        match shared.deliver(frame) {
            Ok(breaks) => {
                for (brk, tree) in breaks {
                    tokio::spawn(acknowledge(Arc::clone(&shared), brk, tree));
                }
            }
            Err(e) => break (e, false),
        }
    };
    shared.fail_as(reason, lost);
}

/// Frames at least this long are read into pooled buffers.
const POOLED_FRAME: usize = 64 * 1024;
/// How many buffers the pool keeps.
const POOL_KEEP: usize = 8;

/// The buffers of a connection's large frames (READ responses), reused once every reply
/// sliced out of them is dropped: a long transfer reads into the same few megabytes
/// rather than into fresh memory the kernel must fault in and zero for every frame.
#[derive(Default)]
struct FramePool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl FramePool {
    /// An empty buffer with room for `len` bytes.
    fn take(&self, len: usize) -> Vec<u8> {
        let reused = if len >= POOLED_FRAME {
            self.free.lock().pop()
        } else {
            None
        };
        let mut buf = reused.unwrap_or_default();
        buf.reserve_exact(len);
        buf
    }
}

/// One frame's bytes; a large one goes back to its pool when dropped.
struct Frame {
    buf: Vec<u8>,
    pool: Arc<FramePool>,
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl AsMut<[u8]> for Frame {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if self.buf.capacity() < POOLED_FRAME {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let mut free = self.pool.free.lock();
        if free.len() < POOL_KEEP {
            free.push(buf);
        }
    }
}

/// Reads the `len` bytes of a frame into `frame` (empty, with room for them): no zeroing
/// of megabytes about to be overwritten, and never past it (`read_to_end` grows the vector,
/// copying the frame, when a read leaves fewer than 32 bytes of it to come).
async fn read_frame<R: AsyncRead>(
    mut read: std::pin::Pin<&mut R>,
    mut frame: Vec<u8>,
    len: usize,
) -> Result<Vec<u8>, String> {
    while frame.len() < len {
        let rest = len - frame.len();
        match read
            .read_buf(&mut bytes::BufMut::limit(&mut frame, rest))
            .await
        {
            Ok(0) => return Err("read from the server: the stream ended in a frame".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read from the server: {e}")),
        }
    }
    Ok(frame)
}

async fn write_loop<W: AsyncWrite>(
    write: W,
    mut rx: mpsc::UnboundedReceiver<Slot>,
    shared: Arc<Shared>,
) {
    let mut write = std::pin::pin!(write);
    while let Some(slot) = rx.recv().await {
        let (msg, data) = match slot {
            Slot::Ready(msg, data) => (msg, data),
            Slot::Later(frame) => match frame.await {
                Ok(frame) => frame,
                Err(_) => {
                    // Only a panic between reserving and finishing leaves a place empty;
                    // the message id is spent, so the connection cannot go on.
                    shared.fail("a request was never finished".into());
                    return;
                }
            },
        };
        let mut head = Vec::with_capacity(FRAME_HEADER_LEN);
        encode_frame_header(msg.len() + data.len(), &mut head);
        if let Err(e) = write_parts(write.as_mut(), &mut [&head, &msg, &data]).await {
            shared.fail_as(format!("write to the server: {e}"), true);
            return;
        }
    }
}

/// Writes `parts` one after the other, with as few system calls as the stream allows
/// (one `writev` for a frame's header, its message and its data, unless the socket's
/// buffer fills up); the data is never joined into one buffer.
async fn write_parts<W: AsyncWrite>(
    mut write: std::pin::Pin<&mut W>,
    parts: &mut [&[u8]],
) -> std::io::Result<()> {
    let mut at = 0;
    while at < parts.len() {
        if parts[at].is_empty() {
            at += 1;
            continue;
        }
        let slices: Vec<std::io::IoSlice<'_>> = parts[at..]
            .iter()
            .map(|p| std::io::IoSlice::new(p))
            .collect();
        let mut n = write.write_vectored(&slices).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while n > 0 && at < parts.len() {
            let take = n.min(parts[at].len());
            parts[at] = &parts[at][take..];
            n -= take;
            if parts[at].is_empty() {
                at += 1;
            }
        }
    }
    Ok(())
}
