//! The tokio shell around one connection's [`Engine`]: a reader task, a writer task, and
//! the table of callers waiting for their responses.
//!
//! A caller prepares its request under the connection's lock (message id, header,
//! signature), registers a one-shot channel for the reply and queues the bytes for the
//! writer, all in one critical section, so requests leave in message-id order. The writer
//! sends each frame (its 4-byte header, the message, and a WRITE's data straight from the
//! IRP's buffer) with one vectored write, without joining them first. The reader reads
//! Direct TCP frames (bounded by the largest response the client asked for) into buffers
//! it does not zero first, hands them to the engine and completes the waiting callers. A
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
//! server offers, by a task of its own (the client caches nothing, so there is nothing to
//! flush first). A break from level II to none is not acknowledged (MS-SMB2 2.2.24.1);
//! a break that lowers nothing, or names an open closed meanwhile, is ignored, so a server
//! gets at most two acknowledgments per open.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use lwio_smb2::frame::{FRAME_HEADER_LEN, encode_frame_header, message_len};
use lwio_smb2::{Command, FileId, OplockBreak, OplockLevel};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::engine::{Engine, Incoming, NotPrepared, Outgoing, Reply};
use crate::error::RdrError;

type ReplyTx = oneshot::Sender<Result<Reply, RdrError>>;

struct State {
    engine: Engine,
    waiters: HashMap<u64, ReplyTx>,
    dead: Option<String>,
    /// The transport failed (not a refusal of the server's bytes).
    lost: bool,
    /// The tree and level of each open holding an oplock (to acknowledge its breaks on).
    oplocks: HashMap<FileId, (u32, OplockLevel)>,
    writer: mpsc::UnboundedSender<(Vec<u8>, Bytes)>,
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
    /// breaks to acknowledge (with their trees).
    fn deliver(&self, frame: Vec<u8>) -> Result<Vec<(OplockBreak, u32)>, String> {
        let mut replies = Vec::new();
        let mut breaks = Vec::new();
        {
            let mut s = self.state.lock();
            let incoming = s.engine.receive(frame).map_err(|e| e.to_string())?;
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
                                    breaks.push((b, *tree));
                                }
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

    /// Sends a request, waiting for credits if needed (see [`Connection::send`]).
    async fn send(&self, out: Outgoing, keep: bool) -> Result<(InFlight, Vec<u8>), RdrError> {
        let mut out = out;
        loop {
            let notified = self.credits.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = self.state.lock();
                if let Some(reason) = &s.dead {
                    return Err(RdrError::Disconnected(reason.clone()));
                }
                match s.engine.prepare(out) {
                    Ok(p) => {
                        let (tx, rx) = oneshot::channel();
                        let kept = if keep { p.message.clone() } else { Vec::new() };
                        s.waiters.insert(p.message_id, tx);
                        if s.writer.send((p.message, p.data)).is_err() {
                            s.waiters.remove(&p.message_id);
                            s.engine.abandon(p.message_id);
                            return Err(RdrError::Disconnected("writer stopped".into()));
                        }
                        let sent = InFlight {
                            message_id: p.message_id,
                            rx,
                        };
                        return Ok((sent, kept));
                    }
                    Err(NotPrepared::Credits(back)) => out = back,
                    Err(NotPrepared::Seal) => {
                        drop(s);
                        let reason = "the session's encryption nonces are spent".to_string();
                        self.fail(reason.clone());
                        return Err(RdrError::Disconnected(reason));
                    }
                }
            }
            notified.await;
        }
    }
}

/// Acknowledges an oplock break at the level the server offered (MS-SMB2 3.2.4.15).
async fn acknowledge(shared: Arc<Shared>, brk: OplockBreak, tree: u32) {
    let ack = Outgoing::new(Command::OPLOCK_BREAK, tree, |o| brk.encode(o));
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

    /// Sends a request and waits for its final response.
    pub async fn call(&self, out: Outgoing) -> Result<Reply, RdrError> {
        self.send(out).await?.reply().await
    }

    /// Sends SMB2 CANCEL for the request `message_id`, if it is still in flight.
    pub fn cancel(&self, message_id: u64) {
        let mut s = self.shared.state.lock();
        if let Some(msg) = s.engine.cancel(message_id) {
            let _ = s.writer.send((msg, Bytes::new()));
        }
    }
}

async fn read_loop<R: AsyncRead>(read: R, shared: Arc<Shared>, max_frame: usize) {
    let mut read = std::pin::pin!(read);
    let (reason, lost) = loop {
        let mut head = [0u8; FRAME_HEADER_LEN];
        if let Err(e) = read.read_exact(&mut head).await {
            break (format!("read from the server: {e}"), true);
        }
        let len = match message_len(head, max_frame) {
            Ok(len) => len,
            Err(e) => break (format!("bad frame from the server: {e}"), false),
        };
        let frame = match read_frame(read.as_mut(), len).await {
            Ok(frame) => frame,
            Err(reason) => break (reason, true),
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

/// Reads the `len` bytes of a frame into a vector of exactly that capacity: no zeroing of
/// megabytes about to be overwritten, and never past it (`read_to_end` grows the vector,
/// copying the frame, when a read leaves fewer than 32 bytes of it to come).
async fn read_frame<R: AsyncRead>(
    mut read: std::pin::Pin<&mut R>,
    len: usize,
) -> Result<Vec<u8>, String> {
    let mut frame = Vec::with_capacity(len);
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
    mut rx: mpsc::UnboundedReceiver<(Vec<u8>, Bytes)>,
    shared: Arc<Shared>,
) {
    let mut write = std::pin::pin!(write);
    while let Some((msg, data)) = rx.recv().await {
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
