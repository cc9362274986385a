//! One client connection: the Direct TCP reader loop, the writer task, the sequence
//! window, the table of requests in progress (for CANCEL), and the connection's sessions.
//!
//! The reader checks each frame's message ids against the credit window as it arrives
//! (a violation closes the connection), answers CANCEL at once, and hands each frame to
//! its own task ([`chain`]), so a slow request never holds up the others while the
//! requests of one compound frame still run in order. A frame that ends handles waits
//! until the frames before it have started ([`order`]). Every response goes through one
//! writer task.

pub(crate) mod chain;
pub(crate) mod logon_limiter;
pub(crate) mod order;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use lwio_auth::acceptor::Acceptor;
use lwio_auth::smb2sign::PreauthHash;
use lwio_core::IrpCanceller;
use lwio_smb2::frame::{self, FrameSplitter, MessageKind};
use lwio_smb2::{Capabilities, Command, Compound, Dialect, Header, HeaderFlags, SecurityMode};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::time::Instant;

use crate::credits::CreditWindow;
use crate::server::ServerShared;
use crate::signing::Signer;
use crate::state::Session;

/// What NEGOTIATE settled.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    pub(crate) dialect: Dialect,
    pub(crate) client_guid: [u8; 16],
    pub(crate) client_caps: Capabilities,
    pub(crate) client_security_mode: SecurityMode,
    pub(crate) client_dialects: Vec<Dialect>,
    pub(crate) server_security_mode: SecurityMode,
    pub(crate) server_caps: Capabilities,
    /// AES-GMAC signing was negotiated (3.1.1).
    pub(crate) gmac: bool,
}

/// An authenticated session as the connection keeps it.
pub(crate) struct ValidSession {
    pub(crate) session: Arc<Session>,
    pub(crate) signer: Option<Signer>,
    pub(crate) signing_required: bool,
}

/// A session-setup exchange in progress.
pub(crate) struct AuthInProgress {
    /// lwio-auth's NTLMSSP/SPNEGO acceptor, between legs.
    pub(crate) acceptor: Acceptor,
    /// The session's 3.1.1 preauth integrity hash so far.
    pub(crate) preauth: PreauthHash,
}

/// One entry of the connection's session table.
#[derive(Default)]
pub(crate) struct SessionSlot {
    pub(crate) valid: Option<Arc<ValidSession>>,
    pub(crate) auth: Option<AuthInProgress>,
}

/// Mutable connection state.
#[derive(Default)]
pub(crate) struct ConnState {
    /// Set by an SMB1 negotiate answered with 0x02FF: an SMB2 NEGOTIATE must follow.
    pub(crate) wildcard_sent: bool,
    pub(crate) negotiated: Option<Arc<Negotiated>>,
    /// The connection's preauth integrity hash (3.1.1).
    pub(crate) preauth: PreauthHash,
    pub(crate) sessions: HashMap<u64, SessionSlot>,
    /// The signers of the sessions that ended last (LOGOFF, a failed re-authentication),
    /// at most [`ENDED_KEPT`]: see [`Conn::ended_signer`].
    pub(crate) ended: std::collections::VecDeque<(u64, Signer)>,
}

/// How many ended sessions a connection remembers the signer of.
pub(crate) const ENDED_KEPT: usize = 8;

/// A request in progress, for CANCEL.
#[derive(Default)]
pub(crate) struct PendingRequest {
    /// The session the request runs in: only a CANCEL of the same session reaches it.
    pub(crate) session_id: u64,
    pub(crate) async_id: Option<u64>,
    pub(crate) canceller: Option<IrpCanceller>,
    pub(crate) cancelled: bool,
}

/// One connection.
pub(crate) struct Conn {
    pub(crate) srv: Arc<ServerShared>,
    out: mpsc::UnboundedSender<Vec<u8>>,
    pub(crate) st: Mutex<ConnState>,
    pub(crate) credits: Mutex<CreditWindow>,
    pub(crate) pending: Mutex<HashMap<u64, PendingRequest>>,
    next_async: AtomicU64,
    pub(crate) authenticated: AtomicBool,
    close: Notify,
    slots: Arc<Semaphore>,
    /// The arrival order of frames, for those that must not overtake earlier ones.
    starts: Arc<order::StartOrder>,
    /// The server address this connection came in on.
    pub(crate) local_addr: Option<std::net::SocketAddr>,
    /// The client's address (srvsvc reports it for the connection's sessions).
    pub(crate) peer_addr: Option<std::net::SocketAddr>,
}

impl Conn {
    /// Queues one message (without its transport header) for the writer.
    pub(crate) fn send(&self, msg: Vec<u8>) {
        let _ = self.out.send(msg);
    }

    /// Asks the reader to close the connection.
    pub(crate) fn close(&self) {
        self.close.notify_one();
    }

    /// The negotiated parameters, if NEGOTIATE is done (shared: every request asks).
    pub(crate) fn negotiated(&self) -> Option<Arc<Negotiated>> {
        self.st.lock().negotiated.clone()
    }

    /// The dialect, 0 before NEGOTIATE.
    pub(crate) fn dialect(&self) -> Dialect {
        self.st
            .lock()
            .negotiated
            .as_ref()
            .map_or(Dialect(0), |n| n.dialect)
    }

    /// The valid session `id`.
    pub(crate) fn session(&self, id: u64) -> Option<Arc<ValidSession>> {
        self.st
            .lock()
            .sessions
            .get(&id)
            .and_then(|s| s.valid.clone())
    }

    /// Remembers the signer of session `id`, which just ended.
    pub(crate) fn session_ended(&self, id: u64, signer: Option<Signer>) {
        let Some(signer) = signer else { return };
        let mut st = self.st.lock();
        if st.ended.len() >= ENDED_KEPT {
            st.ended.pop_front();
        }
        st.ended.push_back((id, signer));
    }

    /// The signer for the STATUS_USER_SESSION_DELETED answer to `msg`, a request naming a
    /// session that has ended: the ended session's, when `msg` is signed with it. A client
    /// that requires signing takes an unsigned answer for an attack (Samba's smbtorture
    /// `smb2.connect` sends a LOGOFF after its LOGOFF and wants this status, signed).
    pub(crate) fn ended_signer(&self, id: u64, hdr: &Header, msg: &[u8]) -> Option<Signer> {
        if !hdr.flags.contains(HeaderFlags::SIGNED) {
            return None;
        }
        let st = self.st.lock();
        let (_, signer) = st.ended.iter().find(|(i, _)| *i == id)?;
        signer.verify(msg).then(|| signer.clone())
    }

    pub(crate) fn next_async_id(&self) -> u64 {
        self.next_async.fetch_add(1, Ordering::Relaxed)
    }

    /// Grants credits for a response.
    pub(crate) fn grant(&self, requested: u16) -> u16 {
        self.credits.lock().grant(requested)
    }

    /// SMB2 CANCEL (MS-SMB2 3.3.5.16). It has no response, so a CANCEL that fails the
    /// checks every request passes is dropped: one on a session that requires signing
    /// must be signed, a signed one must verify (3.3.5.2.4), and it reaches only the
    /// requests of its own session on this connection.
    fn cancel(&self, hdr: &Header, msg: &[u8]) {
        let Some(vs) = self.session(hdr.session_id) else {
            return;
        };
        if hdr.flags.contains(HeaderFlags::SIGNED) {
            if !vs.signer.as_ref().is_some_and(|s| s.verify(msg)) {
                tracing::debug!(mid = hdr.message_id, "CANCEL with a bad signature dropped");
                return;
            }
        } else if vs.signing_required && vs.signer.is_some() {
            tracing::debug!(
                mid = hdr.message_id,
                "unsigned CANCEL on a signed session dropped"
            );
            return;
        }
        let mut pending = self.pending.lock();
        let entry = match hdr.async_id() {
            Some(a) => pending.values_mut().find(|p| p.async_id == Some(a)),
            None => pending.get_mut(&hdr.message_id),
        };
        if let Some(p) = entry.filter(|p| p.session_id == hdr.session_id) {
            p.cancelled = true;
            if let Some(c) = &p.canceller {
                c.cancel();
            }
        }
    }

    /// Handles one frame from the reader; false closes the connection.
    fn on_frame(self: &Arc<Self>, msg: Vec<u8>) -> bool {
        match frame::classify(&msg) {
            MessageKind::Smb1 => crate::negotiate::smb1(self, &msg),
            MessageKind::Smb2 => self.on_smb2(msg),
            other => {
                tracing::debug!(?other, "unsupported message kind, closing");
                false
            }
        }
    }

    fn on_smb2(self: &Arc<Self>, msg: Vec<u8>) -> bool {
        let dialect = self.dialect();
        let mut count = 0;
        let mut ends_handles = false;
        for part in Compound::new(&msg) {
            let Ok(part) = part else { return false };
            let Ok(hdr) = Header::decode(part) else {
                return false;
            };
            if hdr.is_response() {
                return false;
            }
            count += 1;
            ends_handles |= matches!(
                hdr.command,
                Command::CLOSE | Command::TREE_DISCONNECT | Command::LOGOFF
            );
            if hdr.command == Command::CANCEL {
                self.cancel(&hdr, part);
                continue;
            }
            let charge = if dialect == Dialect::SMB_2_0_2 {
                1
            } else {
                hdr.credit_charge
            };
            if let Err(e) = self.credits.lock().consume(hdr.message_id, charge) {
                tracing::debug!(?e, "sequence window violation, closing");
                return false;
            }
        }
        if count == 0 {
            return false;
        }
        let permit = Arc::clone(&self.slots).try_acquire_owned().ok();
        let ticket = self.starts.ticket();
        let conn = Arc::clone(self);
        tokio::spawn(async move {
            if ends_handles {
                conn.starts.wait_for_earlier(&ticket).await;
            }
            order::started_after_first_poll(ticket, chain::run(Arc::clone(&conn), msg, permit))
                .await;
        });
        true
    }

    fn busy(&self) -> bool {
        self.slots.available_permits() < self.srv.config.max_outstanding_requests
    }

    fn teardown(&self) {
        for p in self.pending.lock().values() {
            if let Some(c) = &p.canceller {
                c.cancel();
            }
        }
        let sessions: Vec<SessionSlot> = self.st.lock().sessions.drain().map(|(_, s)| s).collect();
        for s in sessions {
            if let Some(v) = s.valid {
                for t in v.session.remove_all_trees() {
                    t.close_all();
                }
            }
        }
    }
}

/// Marks a request as finished when dropped.
pub(crate) struct Slot(#[allow(dead_code)] pub(crate) Option<OwnedSemaphorePermit>);

/// Serves one accepted connection until the client leaves, a limit is hit, a protocol
/// violation happens, or the server shuts down.
pub(crate) async fn serve(
    srv: Arc<ServerShared>,
    stream: TcpStream,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let local_addr = stream.local_addr().ok();
    let peer_addr = stream.peer_addr().ok();
    let (mut rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        let mut head = Vec::with_capacity(4);
        while let Some(msg) = rx.recv().await {
            if msg.len() > frame::MAX_FRAME_LEN {
                // The engine keeps every frame within 24 bits (chain::MAX_RESPONSE_FRAME);
                // a longer one is a bug, and its length must never be cut: drop the
                // connection rather than send a malformed frame.
                tracing::error!(len = msg.len(), "response frame too long, closing");
                break;
            }
            head.clear();
            frame::encode_frame_header(msg.len(), &mut head);
            // Header and message in one vectored write: with TCP_NODELAY, two writes
            // would cost two syscalls and put the 4-byte header in a segment of its own.
            let mut both = bytes::Buf::chain(&head[..], &msg[..]);
            if wr.write_all_buf(&mut both).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let cfg = &srv.config;
    let conn = Arc::new(Conn {
        out: tx,
        st: Mutex::new(ConnState::default()),
        credits: Mutex::new(CreditWindow::new()),
        pending: Mutex::new(HashMap::new()),
        next_async: AtomicU64::new(1),
        authenticated: AtomicBool::new(false),
        close: Notify::new(),
        slots: Arc::new(Semaphore::new(cfg.max_outstanding_requests)),
        starts: Arc::default(),
        srv: Arc::clone(&srv),
        local_addr,
        peer_addr,
    });
    let mut splitter = FrameSplitter::new(cfg.max_message);
    let mut buf = vec![0u8; 256 * 1024];
    let started = Instant::now();
    let mut last = started;
    'outer: loop {
        loop {
            match splitter.next_frame() {
                Ok(Some(f)) => {
                    if !conn.on_frame(f) {
                        break 'outer;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(%e, "bad frame, closing");
                    break 'outer;
                }
            }
        }
        let deadline = if conn.authenticated.load(Ordering::Relaxed) {
            last + cfg.idle_timeout
        } else {
            started + cfg.unauthenticated_timeout
        };
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    splitter.push(&buf[..n]);
                    last = Instant::now();
                }
            },
            () = tokio::time::sleep_until(deadline) => {
                if conn.authenticated.load(Ordering::Relaxed) && conn.busy() {
                    last = Instant::now();
                    continue;
                }
                tracing::debug!("connection timed out");
                break;
            }
            _ = shutdown.changed() => break,
            () = conn.close.notified() => break,
        }
    }
    conn.teardown();
    drop(conn);
    // Give queued responses a moment, then drop the socket.
    let mut writer = writer;
    if tokio::time::timeout(std::time::Duration::from_millis(200), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// The flags every response carries, from its request's.
pub(crate) fn response_flags(req: &Header) -> HeaderFlags {
    HeaderFlags::SERVER_TO_REDIR
        | (req.flags & HeaderFlags::RELATED_OPERATIONS)
        | (req.flags & HeaderFlags::PRIORITY_MASK)
}
