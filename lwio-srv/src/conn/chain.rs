//! Running the requests of one frame (a single request or a compound chain, MS-SMB2
//! 3.3.5.2.7) in order, and sending their responses compounded back (NextCommand, each
//! padded to 8 bytes, the last one too, as Windows does; each signed on its own).
//!
//! A request of a chain that would go asynchronous (its IRP pended: a blocking lock, a
//! change notify, a pipe read) is treated as Windows does (MS-SMB2 3.3.5.2.7 allows the
//! server to fail it; smbtorture's `smb2.compound.interim*` record what Windows does):
//! - the last request of the chain goes asynchronous: the responses of the requests before
//!   it go out first, compounded, then its interim STATUS_PENDING, and its final response
//!   later on its own;
//! - a CREATE that waits (an oplock or lease break it caused) goes asynchronous wherever it
//!   is in the chain, as Windows lets an open that breaks an oplock do: the responses
//!   before it go out, then its interim response, its final one on its own, and the rest
//!   of the chain runs after it with its file (smbtorture's `smb2.compound.compound-break`);
//! - any other request is not left waiting: its IRP is cancelled and it fails with
//!   STATUS_INTERNAL_ERROR, and the rest of the chain goes on (a related request after it
//!   still uses its file).
//!
//! Of the failures in a related chain, only a CREATE's is passed on, to the related
//! requests after it that have no file to work on; a first request marked related fails
//! with STATUS_INVALID_PARAMETER, and so do the related ones after it (MS-SMB2 3.3.5.2.7.2,
//! smbtorture's `smb2.compound.related6`, `invalid1`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use lwio_core::{IrpCanceller, NtStatus};
use lwio_smb2::{
    Command, Compound, Dialect, EchoResponse, ErrorResponse, FileId, HEADER_LEN, Header,
    HeaderFlags, HeaderId, ReadFlags,
};
use parking_lot::Mutex;
use tokio::sync::OwnedSemaphorePermit;

use super::outbox::Reservation;
use super::pieces::Pieces;
use super::seal::Sealer;
use super::{Conn, ValidSession, response_flags};
use crate::credits::charge_for;
use crate::signing::Signer;
use crate::state::{AsyncControl, BreakSink, FileRequest, Reply};

/// One response, encoded but not yet compounded or signed.
pub(crate) struct Response {
    /// Header and body.
    pub(crate) bytes: Vec<u8>,
    /// The signer, when the response must be signed.
    pub(crate) signer: Option<Signer>,
}

/// A response and the data that follows it from a buffer of its own (a READ's, as the
/// driver read it; empty for the others).
pub(crate) struct Part {
    response: Response,
    data: Vec<u8>,
}

impl Part {
    /// The bytes the response takes in its frame, padding to the next one included.
    fn padded_len(&self) -> usize {
        (self.response.bytes.len() + self.data.len()).div_ceil(8) * 8
    }
}

impl From<Response> for Part {
    fn from(response: Response) -> Part {
        Part {
            response,
            data: Vec::new(),
        }
    }
}

/// What processing a request gives.
pub(crate) enum Outcome {
    /// A response.
    Reply(Response),
    /// A response followed by data sent from the buffer it was read into (a READ's).
    Data(Response, Vec<u8>),
    /// A final response after an interim one, and its data: sent on its own.
    Async(Response, Vec<u8>),
    /// Close the connection.
    Close,
}

/// Where a response goes: its request, the ids to name, and credits.
pub(crate) struct Target<'a> {
    pub(crate) req: &'a Header,
    pub(crate) session_id: u64,
    pub(crate) tree_id: u32,
    pub(crate) async_id: Option<u64>,
}

impl Target<'_> {
    /// Encodes a response with `body` (appended after the header by `body`).
    pub(crate) fn encode(
        &self,
        conn: &Conn,
        status: NtStatus,
        credits: Option<u16>,
        body: impl FnOnce(&mut Vec<u8>),
    ) -> Vec<u8> {
        let credits = credits.unwrap_or_else(|| conn.grant(self.req.credits));
        let id = match self.async_id {
            Some(async_id) => HeaderId::Async { async_id },
            None => HeaderId::Sync {
                reserved: match self.req.id {
                    HeaderId::Sync { reserved, .. } => reserved,
                    HeaderId::Async { .. } => 0,
                },
                tree_id: self.tree_id,
            },
        };
        let h = Header {
            credit_charge: self.req.credit_charge,
            status,
            command: self.req.command,
            credits,
            flags: response_flags(self.req),
            next_command: 0,
            message_id: self.req.message_id,
            id,
            session_id: self.session_id,
            signature: [0; 16],
        };
        let mut out = Vec::with_capacity(128);
        h.encode(&mut out);
        body(&mut out);
        out
    }

    /// A response whose body is `body`: the header goes in front of it in its own buffer
    /// (a READ's body is megabytes: moving it within its buffer touches no new memory,
    /// where a copy into a fresh one would fault every page in).
    pub(crate) fn encode_before(
        &self,
        conn: &Conn,
        status: NtStatus,
        credits: Option<u16>,
        mut body: Vec<u8>,
    ) -> Vec<u8> {
        if body.len() < 4096 {
            return self.encode(conn, status, credits, |out| out.extend_from_slice(&body));
        }
        let header = self.encode(conn, status, credits, |_| {});
        body.splice(0..0, header);
        body
    }

    /// An error response (MS-SMB2 2.2.2).
    pub(crate) fn error(
        &self,
        conn: &Conn,
        status: NtStatus,
        data: Vec<u8>,
        signer: Option<Signer>,
    ) -> Response {
        let bytes = self.encode(conn, status, None, |out| {
            ErrorResponse::with_data(data).encode(out)
        });
        Response { bytes, signer }
    }
}

#[derive(Default)]
struct ChainCtx {
    /// How many requests of the chain came before this one.
    index: usize,
    session_id: u64,
    tree_id: u32,
    file_id: Option<FileId>,
    /// The failure of the chain's last CREATE, which a related request that has no file
    /// to work on reports instead of its own (MS-SMB2 3.3.5.2.7.2; Windows passes on a
    /// CREATE's failure only: a related READ after a failed WRITE still runs).
    create_error: Option<NtStatus>,
    /// The responses not sent yet, to go out compounded. A request that goes asynchronous
    /// sends them before its interim response.
    held: Mutex<Held>,
    /// The bytes the frame reserved in the connection's budget; given back when a request
    /// goes asynchronous, as its wait may be long.
    reservation: Option<Reservation>,
    /// The session that decrypted the frame, if it came encrypted: every response to it
    /// (interim and final ones included) goes back encrypted by the same session.
    sealer: Option<Arc<Sealer>>,
    /// A READ of the frame asked for a compressed response
    /// (SMB2_READFLAG_REQUEST_COMPRESSED): the frame's responses go out compressed when
    /// the connection negotiated compression and it saves bytes.
    compress: bool,
}

/// Responses waiting to go out as one compound frame, and the frame's size so far.
#[derive(Default)]
struct Held {
    responses: Vec<Part>,
    bytes: usize,
}

/// The largest compound response frame: what the 24-bit length of the Direct TCP header
/// can carry (MS-SMB2 2.1).
pub(crate) const MAX_RESPONSE_FRAME: usize = lwio_smb2::frame::MAX_FRAME_LEN;

impl ChainCtx {
    /// Sends the held responses, compounded.
    fn flush(&self, conn: &Conn) {
        let held = std::mem::take(&mut *self.held.lock());
        send_compound_as(conn, held.responses, self.sealer.as_deref(), self.compress);
    }

    /// The bytes the held responses take in their frame.
    fn held_bytes(&self) -> usize {
        self.held.lock().bytes
    }

    /// Holds `r` to go out with the others. Should it not fit in the frame behind them
    /// (many small responses can outgrow a frame although each request was checked), the
    /// ones held go out first as a compound of their own.
    fn hold(&self, conn: &Conn, r: Part) {
        let len = r.padded_len();
        let mut held = self.held.lock();
        if held.bytes + len > MAX_RESPONSE_FRAME && !held.responses.is_empty() {
            let full = std::mem::take(&mut *held);
            drop(held);
            send_compound_as(conn, full.responses, self.sealer.as_deref(), self.compress);
            held = self.held.lock();
        }
        held.bytes += len;
        held.responses.push(r);
    }
}

/// Processes every request of `frame` in order and sends the responses; `reservation`
/// holds the frame's bytes in the connection's budget until it ends.
pub(crate) async fn run(
    conn: Arc<Conn>,
    frame: Bytes,
    permit: Option<OwnedSemaphorePermit>,
    reservation: Reservation,
    sealer: Option<Arc<Sealer>>,
) {
    let _slot = super::Slot(permit);
    let busy = _slot.0.is_none();
    let mut ctx = ChainCtx {
        reservation: Some(reservation),
        sealer,
        ..ChainCtx::default()
    };
    for (i, part) in Compound::new(&frame).enumerate() {
        let Ok(msg) = part else { break };
        let Ok(hdr) = Header::decode(msg) else { break };
        if hdr.command == Command::CANCEL {
            continue;
        }
        let related = i > 0 && hdr.flags.contains(HeaderFlags::RELATED_OPERATIONS);
        if busy {
            let t = Target {
                req: &hdr,
                session_id: hdr.session_id,
                tree_id: hdr.tree_id().unwrap_or(0),
                async_id: None,
            };
            let r = t.error(&conn, NtStatus::INSUFFICIENT_RESOURCES, Vec::new(), None);
            ctx.hold(&conn, r.into());
            conn.pending.lock().remove(&hdr.message_id);
            continue;
        }
        ctx.index = i;
        ctx.compress |= hdr.command == Command::READ
            && msg
                .get(HEADER_LEN + 3)
                .is_some_and(|f| f & ReadFlags::REQUEST_COMPRESSED.0 != 0);
        let outcome = process(&conn, &frame, msg, &hdr, related, &mut ctx).await;
        // Done: CANCEL no longer reaches it (the reader registered it).
        conn.pending.lock().remove(&hdr.message_id);
        match outcome {
            Outcome::Reply(r) => ctx.hold(&conn, r.into()),
            Outcome::Data(response, data) => ctx.hold(&conn, Part { response, data }),
            Outcome::Async(response, data) => {
                ctx.flush(&conn);
                send_compound(&conn, vec![Part { response, data }], ctx.sealer.as_deref());
            }
            Outcome::Close => {
                ctx.flush(&conn);
                conn.close();
                return;
            }
        }
    }
    ctx.flush(&conn);
}

/// Compounds, signs and sends `responses` as one frame; with `sealer`, the frame goes
/// out as one encrypted transform and unsigned (MS-SMB2 3.3.4.1.1, 3.3.4.1.4).
pub(crate) fn send_compound(conn: &Conn, responses: Vec<Part>, sealer: Option<&Sealer>) {
    send_compound_as(conn, responses, sealer, false);
}

/// [`send_compound`], compressing the frame when `compress` ([`Conn::send_frame`]).
///
/// Each response is padded to 8 bytes when another follows (NextCommand counts the
/// padding, and so does its signature, MS-SMB2 3.3.4.1.3). A response's data is not
/// copied: it is signed where it lies and sent as a piece of the frame
/// ([`super::pieces`]); the padding behind it starts the next piece.
fn send_compound_as(conn: &Conn, responses: Vec<Part>, sealer: Option<&Sealer>, compress: bool) {
    if responses.is_empty() {
        return;
    }
    const ZEROS: [u8; 8] = [0; 8];
    let n = responses.len();
    let mut frame = Pieces::default();
    let mut credits = 0u64;
    for (i, Part { response, data }) in responses.into_iter().enumerate() {
        let Response { mut bytes, signer } = response;
        let len = bytes.len() + data.len();
        let mut pad = 0;
        // Every response of a compound is padded to 8 bytes, the last one too (Windows
        // does; smbtorture's `smb2.compound.compound-padding` checks a READ's body of 19
        // bytes comes back as 24); only the others name the next one. A lone response is
        // not padded.
        if n > 1 {
            let padded = len.div_ceil(8) * 8;
            pad = padded - len;
            if i + 1 < n {
                bytes[20..24].copy_from_slice(&(padded as u32).to_le_bytes());
            }
        }
        credits += bytes
            .get(14..16)
            .map_or(0, |c| u64::from(u16::from_le_bytes([c[0], c[1]])));
        if let Some(s) = signer.as_ref().filter(|_| sealer.is_none()) {
            s.sign_with(&mut bytes, &[&data, &ZEROS[..pad]]);
        }
        // The first response's buffer starts the frame: a lone one (a large directory
        // listing) is sent without a copy; so is any data kept apart.
        frame.push_buf(bytes);
        frame.push_data(data);
        frame.push_bytes(&ZEROS[..pad]);
    }
    conn.send_frame(frame, credits, sealer, compress);
}

fn le32(msg: &[u8], off: usize) -> u64 {
    msg.get(off..off + 4).map_or(0, |b| {
        u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    })
}

/// The CreditCharge a request needs for its payload (MS-SMB2 3.3.5.2.5).
fn needed_charge(cmd: Command, msg: &[u8]) -> u64 {
    let bytes = match cmd {
        Command::READ | Command::WRITE => le32(msg, 68),
        Command::QUERY_DIRECTORY => le32(msg, 92),
        Command::IOCTL => (le32(msg, 92) + le32(msg, 104)).max(le32(msg, 96) + le32(msg, 108)),
        _ => 0,
    };
    charge_for(bytes)
}

/// The largest response `cmd` may give by what its request asks for (the output buffers
/// of MS-SMB2 2.2.19, 2.2.33, 2.2.31, 2.2.37, 2.2.35), or 0 for the commands whose
/// responses are small.
fn max_response(cmd: Command, msg: &[u8]) -> u64 {
    let asked = match cmd {
        Command::READ | Command::QUERY_INFO | Command::CHANGE_NOTIFY => le32(msg, 68),
        Command::QUERY_DIRECTORY => le32(msg, 92),
        Command::IOCTL => le32(msg, 104) + le32(msg, 108),
        _ => return 0,
    };
    // Header, fixed body and alignment.
    asked + 256
}

/// What a request's response may cost the connection's memory, for its reservation:
/// the largest response it may give (at most the negotiated maximum I/O and the header),
/// or [`SMALL_RESPONSE`] for the commands whose responses are small.
pub(crate) fn response_estimate(cmd: Command, msg: &[u8], max_io: u32) -> usize {
    match max_response(cmd, msg) {
        0 => SMALL_RESPONSE,
        asked => asked.min(u64::from(max_io) + 256) as usize,
    }
}

/// The allowance for a response without a large output buffer (NEGOTIATE, SESSION_SETUP,
/// CREATE, errors...).
pub(crate) const SMALL_RESPONSE: usize = 1024;

fn is_file_command(cmd: Command) -> bool {
    matches!(
        cmd,
        Command::CREATE
            | Command::CLOSE
            | Command::FLUSH
            | Command::READ
            | Command::WRITE
            | Command::LOCK
            | Command::IOCTL
            | Command::QUERY_DIRECTORY
            | Command::CHANGE_NOTIFY
            | Command::QUERY_INFO
            | Command::SET_INFO
            | Command::OPLOCK_BREAK
    )
}

async fn process(
    conn: &Arc<Conn>,
    frame: &Bytes,
    msg: &[u8],
    hdr: &Header,
    related: bool,
    ctx: &mut ChainCtx,
) -> Outcome {
    let (session_id, tree_id) = if related {
        (ctx.session_id, ctx.tree_id)
    } else {
        (hdr.session_id, hdr.tree_id().unwrap_or(0))
    };
    ctx.session_id = session_id;
    ctx.tree_id = tree_id;
    let t = Target {
        req: hdr,
        session_id,
        tree_id,
        async_id: None,
    };
    match hdr.command {
        Command::NEGOTIATE => return crate::negotiate::smb2(conn, msg, hdr),
        Command::SESSION_SETUP => {
            // A bounded number of logon exchanges in progress per connection (conn/setups).
            if hdr.session_id == 0 && conn.negotiated().is_some() && conn.setup_refused() {
                tracing::debug!("too many session setups in progress");
                let status = NtStatus::REQUEST_NOT_ACCEPTED;
                return Outcome::Reply(t.error(conn, status, Vec::new(), None));
            }
            let (outcome, hold) = crate::session_setup::handle(conn, msg, hdr);
            conn.note_authenticated();
            // A failed logon's answer waits (the authentication rate limiter), on this
            // frame's own task: the connection's other frames and other clients go on.
            if let Some(until) = hold {
                tokio::time::sleep_until(until).await;
            }
            return outcome;
        }
        _ => {}
    }
    let Some(neg) = conn.negotiated() else {
        return Outcome::Close;
    };
    if hdr.command == Command::ECHO && session_id == 0 {
        return Outcome::Reply(t.encode_echo(conn, None));
    }
    let Some(vs) = conn.session(session_id) else {
        // A related request whose predecessor named no session has nothing to relate to:
        // Windows fails it with STATUS_INVALID_PARAMETER, not the predecessor's
        // STATUS_USER_SESSION_DELETED (MS-SMB2 3.3.5.2.7.2; smbtorture's
        // `smb2.compound.invalid2`).
        if related {
            return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), None));
        }
        // Signed with the session's key when the request is: an ended session's, or a
        // live session of another connection (multichannel, `crate::channel`).
        let signer = conn
            .ended_signer(session_id, hdr, msg)
            .or_else(|| crate::channel::foreign_signer(conn, hdr, msg));
        return Outcome::Reply(t.error(conn, NtStatus::USER_SESSION_DELETED, Vec::new(), signer));
    };
    let encrypted = ctx.sealer.is_some();
    let reject_unencrypted = conn.srv.config.reject_unencrypted_access;
    // A session that must encrypt refuses what comes in clear (MS-SMB2 3.3.5.2.9).
    if !encrypted && vs.encrypt_data && reject_unencrypted {
        tracing::debug!(
            mid = hdr.message_id,
            "unencrypted request on an encrypted session"
        );
        return Outcome::Reply(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), None));
    }
    let signed = hdr.flags.contains(HeaderFlags::SIGNED);
    if encrypted {
        // The transform authenticated it: no signature to check (3.3.5.2.4).
    } else if signed {
        match &vs.signer {
            Some(s) if s.verify(msg) => {}
            _ => {
                tracing::debug!(mid = hdr.message_id, "bad signature");
                return Outcome::Reply(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), None));
            }
        }
    } else if vs.signing_required && vs.signer.is_some() {
        return Outcome::Reply(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), None));
    }
    let signer = if !encrypted && (signed || vs.signing_required) {
        vs.signer.clone()
    } else {
        None
    };
    // The CreditCharge must cover the payload before the request is honoured (MS-SMB2
    // 3.3.5.2.5; a charge of 0 counts as 1, which covers 64 KiB).
    if neg.dialect != Dialect::SMB_2_0_2
        && needed_charge(hdr.command, msg) > u64::from(hdr.credit_charge.max(1))
    {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), signer));
    }
    // A chain whose first request says "related" has nothing to relate to: it fails, and
    // so do the related requests after it (MS-SMB2 3.3.5.2.7.2).
    if ctx.index == 0 && hdr.flags.contains(HeaderFlags::RELATED_OPERATIONS) {
        ctx.create_error = Some(NtStatus::INVALID_PARAMETER);
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), signer));
    }
    match hdr.command {
        Command::ECHO => return Outcome::Reply(t.encode_echo(conn, signer)),
        Command::LOGOFF => return crate::session_setup::logoff(conn, &t, &vs, signer),
        Command::TREE_CONNECT => return crate::tree::connect(conn, msg, &t, &vs, signer).await,
        _ => {}
    }
    let tree = match vs.session.tree(tree_id) {
        Ok(tree) => tree,
        Err(s) => return Outcome::Reply(t.error(conn, s, Vec::new(), signer)),
    };
    // A share that must encrypt refuses what comes in clear (MS-SMB2 3.3.5.2.11).
    if !encrypted && reject_unencrypted && tree.share.encrypts_data() {
        tracing::debug!(
            mid = hdr.message_id,
            "unencrypted request on an encrypted share"
        );
        return Outcome::Reply(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), signer));
    }
    if hdr.command == Command::TREE_DISCONNECT {
        return crate::tree::disconnect(conn, msg, &t, &vs, signer);
    }
    if !is_file_command(hdr.command) {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), signer));
    }
    if hdr.command == Command::IOCTL
        && let Some(o) = crate::negotiate::maybe_validate(conn, &neg, msg, &t, signer.clone())
    {
        return o;
    }
    // A compound's responses go out in one frame, whose length field has 24 bits: a
    // request whose output would not fit behind the responses before it is refused
    // (MS-SMB2 3.3.4.1.3 lets the server not send a response that large; the status is
    // 3.3.5.2.5's for a response size the server will not serve). Never cut short.
    if ctx.index > 0
        && ctx.held_bytes() as u64 + max_response(hdr.command, msg) > MAX_RESPONSE_FRAME as u64
    {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), signer));
    }
    if related
        && ctx.file_id.is_none()
        && hdr.command != Command::CREATE
        && let Some(status) = ctx.create_error
    {
        return Outcome::Reply(t.error(conn, status, Vec::new(), signer));
    }
    if hdr.command == Command::CREATE
        && vs.session.open_count() >= conn.srv.config.max_opens_per_session
    {
        return Outcome::Reply(t.error(conn, NtStatus::INSUFFICIENT_RESOURCES, Vec::new(), signer));
    }
    file_command(
        conn,
        frame,
        msg,
        hdr,
        related,
        ctx,
        &vs,
        &tree,
        neg.dialect,
        t,
        signer,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn file_command(
    conn: &Arc<Conn>,
    frame: &Bytes,
    msg: &[u8],
    hdr: &Header,
    related: bool,
    ctx: &mut ChainCtx,
    vs: &Arc<ValidSession>,
    tree: &Arc<crate::state::Tree>,
    dialect: Dialect,
    mut t: Target<'_>,
    signer: Option<Signer>,
) -> Outcome {
    // The entry the reader made (a CANCEL may have marked it already), now with the
    // session the request runs in (a related request's is its predecessor's).
    conn.pending
        .lock()
        .entry(hdr.message_id)
        .or_default()
        .session_id = t.session_id;
    let actl = AsyncCtl {
        conn,
        hdr,
        session_id: t.session_id,
        tree_id: t.tree_id,
        async_id: Mutex::new(None),
        chain: &*ctx,
        refused: AtomicBool::new(false),
    };
    let req = FileRequest {
        io: &conn.srv.io,
        session: &vs.session,
        tree,
        header: hdr,
        msg,
        frame: Some(frame),
        related_file_id: if related { ctx.file_id } else { None },
        dialect: dialect.0,
        max_io: conn.srv.config.max_read_write,
        async_control: &actl,
        local_addr: conn.local_addr,
        client_guid: conn.negotiated().map_or([0; 16], |n| n.client_guid),
        leases: &conn.srv.leases,
        durable: &conn.srv.durable,
    };
    let (mut reply, fid) = crate::files::dispatch(req).await;
    conn.pending.lock().remove(&hdr.message_id);
    let refused = actl.refused.load(Ordering::Relaxed);
    let async_id = *actl.async_id.lock();
    ctx.file_id = fid;
    if refused {
        reply = Reply::error(NtStatus::INTERNAL_ERROR);
    }
    t.async_id = async_id;
    let credits = async_id.map(|_| 0);
    let (status, bytes, data) = match reply {
        Reply::Body { status, body } => (
            status,
            t.encode_before(conn, status, credits, body),
            Vec::new(),
        ),
        Reply::Data { status, body, data } => (
            status,
            t.encode(conn, status, credits, |out| out.extend_from_slice(&body)),
            data,
        ),
        Reply::Error { status, data } => (
            status,
            t.encode(conn, status, credits, |out| {
                ErrorResponse::with_data(data).encode(out)
            }),
            Vec::new(),
        ),
    };
    if hdr.command == Command::CREATE {
        ctx.create_error = status.is_error().then_some(status);
    }
    let r = Response { bytes, signer };
    if async_id.is_some() {
        Outcome::Async(r, data)
    } else if data.is_empty() {
        Outcome::Reply(r)
    } else {
        Outcome::Data(r, data)
    }
}

impl Target<'_> {
    fn encode_echo(&self, conn: &Conn, signer: Option<Signer>) -> Response {
        let bytes = self.encode(conn, NtStatus::SUCCESS, None, |out| {
            EchoResponse.encode(out)
        });
        Response { bytes, signer }
    }
}

/// The engine's side of [`AsyncControl`] for one request.
struct AsyncCtl<'a> {
    conn: &'a Arc<Conn>,
    hdr: &'a Header,
    session_id: u64,
    tree_id: u32,
    async_id: Mutex<Option<u64>>,
    /// The chain the request is part of, for the responses held before it.
    chain: &'a ChainCtx,
    /// Set when the request, not the last of its chain, was refused asynchronous
    /// processing: its IRP was cancelled and it fails with STATUS_INTERNAL_ERROR.
    refused: AtomicBool,
}

impl AsyncControl for AsyncCtl<'_> {
    fn go_async(&self, canceller: Option<IrpCanceller>) -> u64 {
        if self.hdr.next_command != 0 && self.hdr.command != Command::CREATE {
            // Not the last of its chain: the rest of the chain does not wait for it. Without
            // a canceller the IRP cannot be stopped; it then goes asynchronous after all.
            // A CREATE waiting for an oplock break is the exception (MS-SMB2 3.3.5.2.7's
            // Windows behaviour note): it goes asynchronous and the chain waits for it.
            if let Some(c) = &canceller {
                if self.async_id.lock().is_none() {
                    self.refused.store(true, Ordering::Relaxed);
                    c.cancel();
                    return 0;
                }
            }
        }
        let id = {
            let mut g = self.async_id.lock();
            match *g {
                Some(id) => id,
                None => {
                    // It may wait long: its frame no longer holds the connection's budget.
                    if let Some(r) = &self.chain.reservation {
                        r.release();
                    }
                    // What the chain answered so far goes out before the interim response.
                    self.chain.flush(self.conn);
                    let id = self.conn.next_async_id();
                    *g = Some(id);
                    let t = Target {
                        req: self.hdr,
                        session_id: self.session_id,
                        tree_id: self.tree_id,
                        async_id: Some(id),
                    };
                    // The interim response grants the credits; the final one grants none.
                    let interim = t.encode(self.conn, NtStatus::PENDING, None, |out| {
                        ErrorResponse::empty().encode(out)
                    });
                    self.conn.send_sealed(interim, self.chain.sealer.as_deref());
                    id
                }
            }
        };
        let mut pending = self.conn.pending.lock();
        let e = pending.entry(self.hdr.message_id).or_default();
        e.async_id = Some(id);
        if let Some(c) = canceller {
            if e.cancelled {
                c.cancel();
            }
            e.canceller = Some(c);
        }
        id
    }

    fn multichannel(&self) -> bool {
        self.conn.negotiated().is_some_and(|n| {
            n.server_caps
                .contains(lwio_smb2::Capabilities::MULTI_CHANNEL)
        })
    }

    fn directory_leasing(&self) -> bool {
        self.conn.negotiated().is_some_and(|n| {
            n.server_caps
                .contains(lwio_smb2::Capabilities::DIRECTORY_LEASING)
        })
    }

    fn break_sink(&self) -> Arc<dyn BreakSink> {
        let session = self
            .conn
            .session(self.session_id)
            .map(|vs| Arc::downgrade(&vs.session))
            .unwrap_or_default();
        Arc::new(ConnBreaks {
            conn: Arc::downgrade(self.conn),
            sealer: self.chain.sealer.clone(),
            session,
        })
    }
}

/// Break notifications of one session (MS-SMB2 3.3.4.6, 3.3.4.7), encrypted as the
/// request that made the open was when its session encrypts. A lease break goes to the
/// connection of the sink (another channel of the session when that one is gone); an
/// oplock break to the session's channel bound last ([`crate::channel::breaks`]).
struct ConnBreaks {
    conn: std::sync::Weak<Conn>,
    sealer: Option<Arc<Sealer>>,
    session: std::sync::Weak<crate::state::Session>,
}

impl ConnBreaks {
    /// The sink's connection while it is open, else a live channel of the session.
    fn own_or_live(&self) -> Option<Arc<Conn>> {
        self.conn
            .upgrade()
            .filter(|c| !c.is_closing())
            .or_else(|| self.session.upgrade().and_then(|s| s.channels().live()))
    }

    /// An unsolicited OPLOCK_BREAK message whose body `body` appends: MessageId all ones,
    /// no session, tree or credits, unsigned.
    fn message(body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let h = Header {
            credit_charge: 0,
            status: NtStatus::SUCCESS,
            command: Command::OPLOCK_BREAK,
            credits: 0,
            flags: HeaderFlags::SERVER_TO_REDIR,
            next_command: 0,
            message_id: u64::MAX,
            id: HeaderId::Sync {
                reserved: 0,
                tree_id: 0,
            },
            session_id: 0,
            signature: [0; 16],
        };
        let mut out = Vec::with_capacity(112);
        h.encode(&mut out);
        body(&mut out);
        out
    }
}

impl BreakSink for ConnBreaks {
    fn send_oplock_break(&self, file_id: FileId, level: lwio_smb2::OplockLevel) {
        let latest = self.session.upgrade().and_then(|s| s.channels().latest());
        let Some(conn) = latest.or_else(|| self.own_or_live()) else {
            return;
        };
        let msg = Self::message(|out| {
            lwio_smb2::oplock::OplockBreak {
                oplock_level: level,
                file_id,
            }
            .encode(out)
        });
        conn.send_sealed(msg, self.sealer.as_deref());
    }

    fn send_lease_break(&self, notification: lwio_smb2::oplock::LeaseBreakNotification) {
        if let Some(conn) = self.own_or_live() {
            let msg = Self::message(|out| notification.encode(out));
            conn.send_sealed(msg, self.sealer.as_deref());
        }
    }

    fn send_lease_break_awaiting(
        &self,
        notification: lwio_smb2::oplock::LeaseBreakNotification,
        unanswered: crate::channel::breaks::Unanswered,
    ) {
        let Some(conn) = self.own_or_live() else {
            return;
        };
        let msg = Self::message(|out| notification.encode(out));
        conn.send_sealed(msg.clone(), self.sealer.as_deref());
        crate::channel::breaks::follow(
            &conn,
            crate::channel::breaks::Sent {
                session: self.session.clone(),
                msg,
                sealer: self.sealer.clone(),
                unanswered,
            },
        );
    }

    fn connection(&self) -> Option<usize> {
        // The allocation stays while this Weak does, so the address names one connection.
        let conn = self.conn.upgrade()?;
        (!conn.is_closing()).then_some(Arc::as_ptr(&conn) as usize)
    }
}
