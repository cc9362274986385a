//! One client connection: the sequence window, the table of requests in progress (for
//! CANCEL), the connection's sessions, and the admission of its frames.
//!
//! The engine is a core that knows nothing of sockets inside a thin tokio shell, after
//! quinn and quinn-proto (and lwio-rpc's `server::connection`):
//! - pure bookkeeping, no I/O: Direct TCP framing ([`frames`]), the credit window
//!   ([`crate::credits`]), the connection's memory budget ([`outbox::Budget`]), which
//!   connections to take ([`admission`]), session setups in progress ([`setups`]), the
//!   start order of frames ([`order`]), the failed-logon rate limiter ([`logon_limiter`]);
//! - [`Conn`]: what one connection holds, and [`Conn::on_frame`], which checks each frame
//!   as it arrives (message ids against the credit window, a violation closes), answers
//!   CANCEL at once, and says how many bytes the frame needs;
//! - [`chain`]: one task per frame runs its requests in order (a compound chain) and
//!   queues the responses; a frame that ends handles first waits until the frames before
//!   it have started ([`order`]);
//! - [`transport`]: the shell, generic over any `AsyncRead + AsyncWrite` stream (a TCP
//!   socket, tokio's in-memory duplex pipe): the reader loop that fills the framer,
//!   reserves each frame's bytes ([`outbox::Outbox`]: it waits there when the client does
//!   not read its responses) and spawns its task; the writer, which opens the credits of
//!   each response as it hands it to the transport;
//! - [`registry`]: every connection of the server, their limits and counters.

pub(crate) mod admission;
pub(crate) mod chain;
pub(crate) mod compress;
mod frames;
pub(crate) mod logon_limiter;
pub(crate) mod order;
pub(crate) mod outbox;
pub(crate) mod pieces;
pub(crate) mod previous;
pub(crate) mod registry;
pub(crate) mod seal;
mod setups;
pub(crate) mod transport;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use lwio_auth::acceptor::Acceptor;
use lwio_auth::smb2sign::{PreauthHash, SigningAlgorithm};
use lwio_auth::smb3crypt::Cipher;
use lwio_core::IrpCanceller;
use lwio_smb2::frame::{self, MessageKind};
use lwio_smb2::{Capabilities, Command, Compound, Dialect, Header, HeaderFlags, SecurityMode};
use parking_lot::Mutex;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::credits::CreditWindow;
use crate::endpoint::EngineStats;
use crate::server::ServerShared;
use crate::signing::Signer;
use crate::state::Session;
use outbox::{Outbox, Outgoing, Reservation};
use pieces::Pieces;
use registry::Admitted;
use seal::Sealer;

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
    /// The signing algorithm of the connection's 3.x sessions (AES-CMAC unless 3.1.1
    /// negotiated another; 2.x sessions sign with HMAC-SHA256 whatever this says).
    pub(crate) signing: SigningAlgorithm,
    /// The cipher, when the client can encrypt: AES-128-CCM for a 3.0/3.0.2 client that
    /// announced SMB2_GLOBAL_CAP_ENCRYPTION, the one negotiated for 3.1.1.
    pub(crate) cipher: Option<Cipher>,
    /// SMB 3.1.1 compression, when negotiated ([`compress`]).
    pub(crate) compression: compress::Compression,
}

/// An authenticated session as the connection keeps it.
pub(crate) struct ValidSession {
    pub(crate) session: Arc<Session>,
    pub(crate) signer: Option<Signer>,
    pub(crate) signing_required: bool,
    /// The session's encryption keys, when the connection negotiated a cipher and the
    /// logon has a key.
    pub(crate) sealer: Option<Arc<Sealer>>,
    /// `Session.EncryptData`: the server requires this session's requests encrypted.
    pub(crate) encrypt_data: bool,
    /// A channel bound to a session of another connection ([`crate::channel`]): its
    /// signer is the channel's, not `Session.SigningKey`.
    pub(crate) bound: bool,
}

/// A session-setup exchange in progress.
pub(crate) struct AuthInProgress {
    /// lwio-auth's NTLMSSP/SPNEGO acceptor, between legs.
    pub(crate) acceptor: Acceptor,
    /// The session's 3.1.1 preauth integrity hash so far.
    pub(crate) preauth: PreauthHash,
}

/// One entry of the connection's session table.
pub(crate) struct SessionSlot {
    pub(crate) valid: Option<Arc<ValidSession>>,
    pub(crate) auth: Option<AuthInProgress>,
    /// When the slot was made: its logon exchange started ([`setups`]).
    pub(crate) started: Instant,
    /// The session a binding in progress binds this connection to
    /// ([`crate::channel`]).
    pub(crate) binding: Option<Arc<Session>>,
}

impl Default for SessionSlot {
    fn default() -> Self {
        SessionSlot {
            valid: None,
            auth: None,
            started: Instant::now(),
            binding: None,
        }
    }
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

/// A request in progress, for CANCEL: registered when its frame is read (so a CANCEL read
/// before its task starts is not lost), forgotten when it is done.
#[derive(Default)]
pub(crate) struct PendingRequest {
    /// The session the request runs in: only a CANCEL of the same session reaches it.
    pub(crate) session_id: u64,
    pub(crate) async_id: Option<u64>,
    pub(crate) canceller: Option<IrpCanceller>,
    pub(crate) cancelled: bool,
    /// A CREATE: when the connection drops while its session lives on over another
    /// channel, it goes on (its open is the session's; a replay finds it).
    pub(crate) create: bool,
}

/// The addresses of a connection's two ends, when its transport has them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Addrs {
    pub(crate) local: Option<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
}

/// What [`Conn::on_frame`] decided about a frame.
pub(crate) enum FrameVerdict {
    /// Run it as a task once `need` bytes are reserved for it.
    Run {
        /// The frame's SMB2 messages (decrypted and decompressed), shared: a WRITE's
        /// data goes to the driver as a slice of it.
        frame: Bytes,
        need: usize,
        ends_handles: bool,
        /// The session that decrypted the frame, when it came encrypted: its responses
        /// go back encrypted.
        sealed: Option<Arc<Sealer>>,
    },
    /// Nothing more to do (a lone CANCEL, an SMB1 negotiate answered).
    Done,
    /// Close the connection.
    Close,
}

/// One connection.
pub(crate) struct Conn {
    pub(crate) srv: Arc<ServerShared>,
    /// The memory budget and the responses waiting for the writer.
    pub(crate) out: Arc<Outbox>,
    pub(crate) st: Mutex<ConnState>,
    pub(crate) credits: Mutex<CreditWindow>,
    pub(crate) pending: Mutex<HashMap<u64, PendingRequest>>,
    next_async: AtomicU64,
    /// Set by SESSION_SETUP when a session is established.
    pub(crate) authenticated: AtomicBool,
    /// Set once the engine has counted the connection as authenticated.
    counted_auth: AtomicBool,
    closing: AtomicBool,
    close: Notify,
    slots: Arc<Semaphore>,
    /// The arrival order of frames, for those that must not overtake earlier ones.
    starts: Arc<order::StartOrder>,
    /// The server address this connection came in on.
    pub(crate) local_addr: Option<SocketAddr>,
    /// The client's address (srvsvc reports it for the connection's sessions).
    pub(crate) peer_addr: Option<SocketAddr>,
    /// The engine's record of the connection.
    pub(crate) admitted: Admitted,
    /// Bytes the reader's buffers hold (for [`EngineStats`]).
    pub(crate) read_buffer: AtomicUsize,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.srv
            .engine
            .counters
            .conn_objects
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl Conn {
    /// A new connection of `srv`, registered with its engine.
    pub(crate) fn new(srv: Arc<ServerShared>, admitted: Admitted, addrs: Addrs) -> Arc<Conn> {
        let cfg = &srv.config;
        srv.engine
            .counters
            .conn_objects
            .fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            out: Arc::new(Outbox::new(cfg.max_connection_buffer)),
            st: Mutex::new(ConnState::default()),
            credits: Mutex::new(CreditWindow::with_size(u64::from(cfg.max_credits))),
            pending: Mutex::new(HashMap::new()),
            next_async: AtomicU64::new(1),
            authenticated: AtomicBool::new(false),
            counted_auth: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            close: Notify::new(),
            slots: Arc::new(Semaphore::new(cfg.max_outstanding_requests)),
            starts: Arc::default(),
            local_addr: addrs.local,
            peer_addr: addrs.peer,
            admitted,
            read_buffer: AtomicUsize::new(0),
            srv,
        });
        conn.srv.engine.register(&conn);
        conn
    }

    /// Queues one response frame (without its transport header) for the writer; the
    /// credits its messages grant open when the writer sends it.
    pub(crate) fn send(&self, msg: Vec<u8>) {
        self.send_sealed(msg, None);
    }

    /// Queues one response frame, encrypted by `sealer` when given (a frame that cannot
    /// be encrypted closes the connection rather than go out in clear).
    pub(crate) fn send_sealed(&self, msg: Vec<u8>, sealer: Option<&Sealer>) {
        let credits = granted_in(&msg);
        self.send_frame(Pieces::whole(msg), credits, sealer, false);
    }

    /// Queues the response frame `frame`, whose messages grant `credits`: compressed
    /// first when `compress` and the connection negotiated compression and it makes the
    /// frame smaller, then encrypted by `sealer` when given.
    pub(crate) fn send_frame(
        &self,
        mut frame: Pieces,
        credits: u64,
        sealer: Option<&Sealer>,
        compress: bool,
    ) {
        if compress {
            let negotiated = self.st.lock().negotiated.clone();
            if let Some(n) = negotiated {
                // The compressor reads one buffer: the frame is joined first.
                let msg = frame.into_vec();
                frame = match n.compression.compress(&msg) {
                    Some(c) => {
                        self.srv
                            .engine
                            .counters
                            .compressed_responses
                            .fetch_add(1, Ordering::Relaxed);
                        Pieces::whole(c)
                    }
                    None => Pieces::whole(msg),
                };
            }
        }
        let transform = match sealer {
            None => None,
            Some(s) => {
                // Encrypted in place in one buffer: a READ's data is copied once, here.
                let mut msg = frame.into_vec();
                let Some(t) = s.seal(&mut msg) else {
                    tracing::warn!("cannot encrypt a response, closing");
                    self.close();
                    return;
                };
                frame = Pieces::whole(msg);
                Some(t)
            }
        };
        self.out.push(Outgoing {
            frame,
            transform,
            credits,
        });
    }

    /// Asks the reader to close the connection.
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
        self.close.notify_one();
    }

    /// True once the connection is closing.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// True once the engine counts the connection as authenticated.
    pub(crate) fn counted_authenticated(&self) -> bool {
        self.counted_auth.load(Ordering::Relaxed)
    }

    /// Tells the engine when the connection has just authenticated its first session.
    pub(crate) fn note_authenticated(&self) {
        if self.authenticated.load(Ordering::Relaxed)
            && !self.counted_auth.swap(true, Ordering::AcqRel)
        {
            self.srv.engine.authenticated();
        }
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

    /// Grants credits for a response: up to `max_credits` held by the client, or
    /// `unauthenticated_credits` before a session is established.
    pub(crate) fn grant(&self, requested: u16) -> u16 {
        let cfg = &self.srv.config;
        let cap = if self.authenticated.load(Ordering::Relaxed) {
            u64::from(cfg.max_credits)
        } else {
            u64::from(cfg.unauthenticated_credits)
        };
        self.credits.lock().grant_within(requested, cap)
    }

    /// SMB2 CANCEL (MS-SMB2 3.3.5.16). It has no response, so a CANCEL that fails the
    /// checks every request passes is dropped: one on a session that requires signing
    /// must be signed, a signed one must verify (3.3.5.2.4), and it reaches only the
    /// requests of its own session on this connection.
    fn cancel(&self, hdr: &Header, msg: &[u8], encrypted: bool) {
        let Some(vs) = self.session(hdr.session_id) else {
            return;
        };
        if encrypted {
            // Decrypted: authenticated by the transform (3.3.5.2.4 skips the signature).
        } else if vs.encrypt_data && self.srv.config.reject_unencrypted_access {
            tracing::debug!(mid = hdr.message_id, "unencrypted CANCEL dropped");
            return;
        } else if hdr.flags.contains(HeaderFlags::SIGNED) {
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

    /// Checks one frame from the reader: its kind, every request's message ids against
    /// the credit window (a violation closes the connection), and any CANCEL, answered at
    /// once. A frame to run comes back with the bytes it needs: its own length and the
    /// largest responses its requests may give.
    pub(crate) fn on_frame(self: &Arc<Self>, msg: Vec<u8>) -> FrameVerdict {
        match frame::classify(&msg) {
            MessageKind::Smb1 => {
                if crate::negotiate::smb1(self, &msg) {
                    FrameVerdict::Done
                } else {
                    FrameVerdict::Close
                }
            }
            MessageKind::Smb2 => self.on_smb2(Bytes::from(msg), None),
            MessageKind::Transform => self.on_transform(msg),
            MessageKind::Compressed => self.on_compressed(&msg, None),
            other => {
                tracing::debug!(?other, "unsupported message kind, closing");
                FrameVerdict::Close
            }
        }
    }

    /// An encrypted frame (MS-SMB2 3.3.5.2.1.1): decrypted by its session's keys, then
    /// checked as any other. Whatever does not decrypt to SMB2 messages of that session
    /// drops the connection ([`seal`]).
    fn on_transform(self: &Arc<Self>, mut msg: Vec<u8>) -> FrameVerdict {
        let sealer = {
            let dialect = self.dialect();
            let id = seal::transform_session(&msg);
            let vs = id.and_then(|id| self.session(id));
            match vs.and_then(|v| v.sealer.clone()) {
                Some(s) if dialect.0 >= Dialect::SMB_3_0.0 => s,
                _ => {
                    tracing::debug!(session = ?id, "transform for no session with keys, closing");
                    return FrameVerdict::Close;
                }
            }
        };
        if let Err(e) = sealer.open_in_place(&mut msg) {
            tracing::debug!(?e, "transform refused, closing");
            return FrameVerdict::Close;
        }
        // The plaintext stays where it was decrypted, behind the transform header.
        let plain = Bytes::from(msg).slice(lwio_smb2::transform::TRANSFORM_HEADER_LEN..);
        if frame::classify(&plain) == MessageKind::Compressed {
            return self.on_compressed(&plain, Some(sealer));
        }
        self.on_smb2(plain, Some(sealer))
    }

    /// A compressed frame (MS-SMB2 3.3.5.2.1.2, [`compress`]): decompressed within the
    /// limit that section sets ([`compress::limit`]), then checked as any other. Anything that does
    /// not decompress to SMB2 messages (of the session that decrypted it, if it came
    /// encrypted) drops the connection.
    fn on_compressed(self: &Arc<Self>, msg: &[u8], sealed: Option<Arc<Sealer>>) -> FrameVerdict {
        let negotiated = self.st.lock().negotiated.clone();
        let Some(n) = negotiated.filter(|n| n.compression.enabled()) else {
            tracing::debug!("compressed frame on a connection without compression, closing");
            return FrameVerdict::Close;
        };
        let limit = compress::limit(self.srv.config.max_read_write);
        let plain = match n.compression.decompress(msg, limit) {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(?e, "compressed frame refused, closing");
                return FrameVerdict::Close;
            }
        };
        if frame::classify(&plain) != MessageKind::Smb2 {
            tracing::debug!("compressed frame holds no SMB2 message, closing");
            return FrameVerdict::Close;
        }
        if let Some(s) = &sealed {
            if let Err(e) = s.check_content(&plain) {
                tracing::debug!(?e, "compressed content of a transform refused, closing");
                return FrameVerdict::Close;
            }
        }
        self.srv
            .engine
            .counters
            .compressed_requests
            .fetch_add(1, Ordering::Relaxed);
        self.on_smb2(Bytes::from(plain), sealed)
    }

    fn on_smb2(self: &Arc<Self>, msg: Bytes, sealed: Option<Arc<Sealer>>) -> FrameVerdict {
        let dialect = self.dialect();
        let max_io = self.srv.config.max_read_write;
        let mut parts = 0;
        let mut count = 0;
        let mut need = msg.len();
        let mut ends_handles = false;
        for part in Compound::new(&msg) {
            let Ok(part) = part else {
                return FrameVerdict::Close;
            };
            let Ok(hdr) = Header::decode(part) else {
                return FrameVerdict::Close;
            };
            if hdr.is_response() {
                return FrameVerdict::Close;
            }
            parts += 1;
            // A CHANGE_NOTIFY waits too: two on one handle queue in the order sent, and the
            // first must have reached the file system before the second does
            // (smbtorture's `smb2.notify.double`).
            ends_handles |= matches!(
                hdr.command,
                Command::CLOSE
                    | Command::TREE_DISCONNECT
                    | Command::LOGOFF
                    | Command::CHANGE_NOTIFY
            );
            if hdr.command == Command::CANCEL {
                self.cancel(&hdr, part, sealed.is_some());
                continue;
            }
            count += 1;
            let charge = if dialect == Dialect::SMB_2_0_2 {
                1
            } else {
                hdr.credit_charge
            };
            if let Err(e) = self.credits.lock().consume(hdr.message_id, charge) {
                tracing::debug!(?e, "sequence window violation, closing");
                return FrameVerdict::Close;
            }
            need = need.saturating_add(chain::response_estimate(hdr.command, part, max_io));
            // Known to CANCEL from now on: the frame runs on a task of its own, and a CANCEL
            // in the next frame (smbtorture sends a CHANGE_NOTIFY and its CANCEL back to
            // back) may be read before that task starts. The chain forgets the entry when
            // the request is done; the credit window bounds how many there are.
            self.pending
                .lock()
                .entry(hdr.message_id)
                .or_insert_with(|| PendingRequest {
                    session_id: hdr.session_id,
                    create: hdr.command == Command::CREATE,
                    ..PendingRequest::default()
                });
        }
        if parts == 0 {
            return FrameVerdict::Close;
        }
        if count == 0 {
            // Only CANCELs: answered already (a CANCEL has no response).
            return FrameVerdict::Done;
        }
        FrameVerdict::Run {
            frame: msg,
            need,
            ends_handles,
            sealed,
        }
    }

    /// Runs an admitted frame as a task of its own, holding `reservation` until it ends
    /// (or one of its requests goes asynchronous).
    pub(crate) fn spawn_chain(
        self: &Arc<Self>,
        frame: Bytes,
        ends_handles: bool,
        reservation: Reservation,
        sealed: Option<Arc<Sealer>>,
    ) {
        let permit = Arc::clone(&self.slots).try_acquire_owned().ok();
        let ticket = self.starts.ticket();
        let conn = Arc::clone(self);
        tokio::spawn(async move {
            let _task = registry::Counted::new(&conn.srv.engine.counters.tasks);
            if ends_handles {
                conn.starts.wait_for_earlier(&ticket).await;
            }
            let run = chain::run(Arc::clone(&conn), frame, permit, reservation, sealed);
            order::started_after_first_poll(ticket, run).await;
        });
    }

    /// When the next session setup in progress expires, if any.
    pub(crate) fn next_setup_expiry(&self) -> Option<Instant> {
        let timeout = self.srv.config.session_setup_timeout;
        self.st
            .lock()
            .sessions
            .values()
            .filter(|s| s.valid.is_none())
            .map(|s| s.started + timeout)
            .min()
    }

    /// Drops the session setups in progress that have waited too long.
    pub(crate) fn expire_setups(&self, now: Instant) {
        let timeout = self.srv.config.session_setup_timeout;
        let (dropped, _) = setups::expire(&mut self.st.lock().sessions, now, timeout);
        if dropped > 0 {
            tracing::debug!(dropped, "session setups timed out");
        }
    }

    /// Refuses a new session setup when the connection has `max_session_setups` in
    /// progress already (after dropping those that timed out).
    pub(crate) fn setup_refused(&self) -> bool {
        let cfg = &self.srv.config;
        let mut st = self.st.lock();
        setups::expire(&mut st.sessions, Instant::now(), cfg.session_setup_timeout);
        setups::in_progress(&st.sessions) >= cfg.max_session_setups
    }

    /// Records how many bytes the reader's buffers hold.
    pub(crate) fn set_read_buffer(&self, bytes: usize) {
        self.read_buffer.store(bytes, Ordering::Relaxed);
    }

    /// Adds what this connection holds to `s`.
    pub(crate) fn add_stats(&self, s: &mut EngineStats) {
        {
            let st = self.st.lock();
            s.sessions += st.sessions.len();
            s.session_setups_in_progress += setups::in_progress(&st.sessions);
            for v in st.sessions.values().filter_map(|slot| slot.valid.as_ref()) {
                // A session on several connections counts its trees and opens once, on
                // its first live channel ([`crate::channel`]).
                if v.bound && !v.session.channels().is_first(self) {
                    continue;
                }
                let trees = v.session.trees();
                s.trees += trees.len();
                s.opens += trees.iter().map(|t| t.open_count()).sum::<usize>();
            }
        }
        s.pending_requests += self.pending.lock().len();
        let (in_use, peak) = self.out.usage();
        s.buffered_bytes += in_use;
        s.peak_buffered_bytes = s.peak_buffered_bytes.max(peak);
        s.read_buffer_bytes += self.read_buffer.load(Ordering::Relaxed);
    }

    /// True while requests are in progress.
    pub(crate) fn busy(&self) -> bool {
        self.slots.available_permits() < self.srv.config.max_outstanding_requests
    }

    /// Ends what the connection holds: cancels its requests in progress, closes its
    /// sessions' trees and opens, and forgets its sessions.
    pub(crate) fn teardown(&self) {
        // Nothing more goes out here: a break for one of its sessions' opens goes to
        // another channel of the session, if any ([`crate::channel`]).
        self.closing.store(true, Ordering::Relaxed);
        let sessions: Vec<SessionSlot> = self.st.lock().sessions.drain().map(|(_, s)| s).collect();
        let mut living = Vec::new();
        let mut ended = Vec::new();
        for s in sessions {
            if let Some(v) = s.valid {
                // The session lives on while another channel remains (MS-SMB2 3.3.7.1).
                if let Some(other) = v.session.channels().remove(self) {
                    crate::admin::relink(&v.session, &other);
                    living.push(v.session.id);
                } else {
                    ended.push(v);
                }
            }
        }
        // Requests in progress end with the connection, but for the CREATEs of a session
        // that lives on: as Windows, they complete, their opens are the session's, and a
        // replay on another channel finds them in progress, then done (smbtorture's
        // `smb2.replay.dhv2-pending2*`).
        for p in self.pending.lock().values() {
            if p.create && living.contains(&p.session_id) {
                continue;
            }
            if let Some(c) = &p.canceller {
                c.cancel();
            }
        }
        for v in ended {
            for t in v.session.remove_all_trees() {
                // Durable opens wait for their client (MS-SMB2 3.3.7.1).
                self.srv
                    .durable
                    .connection_lost(&self.srv.leases, t.close_all());
            }
        }
    }
}

/// Marks a request as finished when dropped.
pub(crate) struct Slot(#[allow(dead_code)] pub(crate) Option<OwnedSemaphorePermit>);

/// How many connections the kernel may queue before the server accepts them (capped by
/// `net.core.somaxconn`): enough for a thousand clients connecting at once.
pub(crate) const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` with a backlog of [`LISTEN_BACKLOG`] (tokio's default of 1024
/// drops connections when many clients connect at once).
pub(crate) fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Admits a TCP connection the listener accepted and returns the future that serves it,
/// or `None` when a limit refuses it (the stream is then closed at once).
pub(crate) fn accept(
    srv: &Arc<ServerShared>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) -> Option<impl Future<Output = ()> + Send + 'static> {
    use std::os::fd::AsRawFd;
    let fd = u64::try_from(stream.as_raw_fd()).ok();
    let admitted = match srv.engine.admit(Some(peer.ip()), fd) {
        Ok(a) => a,
        Err(refusal) => {
            tracing::debug!(%peer, ?refusal, "connection refused");
            return None;
        }
    };
    let _ = stream.set_nodelay(true);
    let addrs = Addrs {
        local: stream.local_addr().ok(),
        peer: Some(peer),
    };
    let (rd, wr) = stream.into_split();
    Some(transport::run(Arc::clone(srv), admitted, addrs, rd, wr))
}

/// The flags every response carries, from its request's.
pub(crate) fn response_flags(req: &Header) -> HeaderFlags {
    HeaderFlags::SERVER_TO_REDIR
        | (req.flags & HeaderFlags::RELATED_OPERATIONS)
        | (req.flags & HeaderFlags::PRIORITY_MASK)
}

/// The credits the messages of a response frame grant: the sum of their CreditResponse
/// fields, following NextCommand through a compound.
fn granted_in(frame: &[u8]) -> u64 {
    let mut total = 0;
    let mut at = 0usize;
    loop {
        let Some(h) = frame.get(at..at + lwio_smb2::HEADER_LEN) else {
            return total;
        };
        total += u64::from(u16::from_le_bytes([h[14], h[15]]));
        let next = u32::from_le_bytes([h[20], h[21], h[22], h[23]]) as usize;
        if next == 0 {
            return total;
        }
        at = at.saturating_add(next);
    }
}
