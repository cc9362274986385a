//! One client connection as a sans-IO state machine (C706 12.4 and 12.6, MS-RPCE
//! 3.3.1.5 and 3.3.3.5): bytes in, fragments and calls out.
//!
//! * **bind** → bind_ack (fragment sizes, association group, one result per proposed
//!   context from [`pdu::negotiate_contexts`]) or bind_nak (a second bind, an unknown
//!   association group, no contexts, a bind that does not decode, or a verifier the
//!   server cannot take: no [`super::RpcAuth`], an auth type other than NTLMSSP or
//!   SPNEGO, a token that does not decode). A bind whose contexts are all refused still
//!   gets a bind_ack, whose results say why, as Windows answers. A verifier starts the
//!   security exchange: the bind_ack carries the CHALLENGE, and echoes
//!   `PFC_SUPPORT_HEADER_SIGN`.
//! * **alter_context** → alter_context_resp with more contexts (a context id proposed
//!   again is replaced); with a verifier during the exchange it is the last leg
//!   (SPNEGO), answered with the final token, or a fault `ERROR_ACCESS_DENIED` when the
//!   logon fails.
//! * **auth3** finishes the exchange (NTLMSSP); it has no answer, so a failed logon
//!   shows as `ERROR_ACCESS_DENIED` faults on the calls that follow.
//! * Once established at PKT_INTEGRITY or PKT_PRIVACY, each request fragment must carry
//!   a verifier of the context that checks (and unseals); one that does not gets a fault
//!   `RPC_S_SEC_PKG_ERROR` and the connection closes. Answers are signed or sealed
//!   fragment by fragment; faults are sent as they are.
//! * **request** → reassembly ([`Reassembler`]), dispatch to the interface of the
//!   presentation context, then response fragments no longer than the negotiated
//!   `max_xmit_frag`, or a fault: `nca_s_unk_if` for an unknown context,
//!   `nca_s_proto_error` for a request before bind or out of sequence, and whatever the
//!   interface returns (`nca_s_op_rng_error`, `nca_s_fault_ndr`,
//!   `nca_s_fault_context_mismatch`). Faults raised before the interface ran carry
//!   `PFC_DID_NOT_EXECUTE`. A `PFC_MAYBE` request gets no answer.
//! * **co_cancel** and **shutdown** are ignored; **orphaned** drops the call
//!   being reassembled or discards the answer of the pending call it names.
//! * A PDU only a server sends (response, bind_ack, …), a header that does not decode,
//!   or a fragment longer than the server accepts closes the connection
//!   ([`Action::Close`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use lwio_core::AccessToken;

use super::assoc::AssocGroup;
use super::auth::{self, AuthFailure, Established, Pending, Step};
use super::{CallContext, CallFuture, CallOutcome, HandleTable, Interface, RpcServer};
use crate::ndr::ByteOrder;
use crate::pdu::verification::{self, TrailerCommand};
use crate::pdu::{
    self, AuthLevel, AuthVerifier, Bind, BindAck, BindNak, Fault, FaultStatus, HEADER_LEN, Pdu,
    PduBody, PduHeader, PduType, PfcFlags, Reassembler, RejectReason,
};
use crate::{BindTimeFeatures, RpcError};

/// The default largest fragment: 4280 bytes, what Windows uses on named pipes.
pub const DEFAULT_MAX_FRAG: u16 = 4280;

/// The smallest fragment every peer must accept (C706 12.6.3.1 `must_recv_frag_size`).
pub const MIN_FRAG: u16 = 1432;

/// What the transport must do after [`Connection::receive`].
pub enum Action {
    /// Write these bytes (one whole fragment).
    Send(Vec<u8>),
    /// Await this call, then pass its result to [`Connection::complete`].
    Call(PendingCall),
    /// Close the connection: the peer broke the protocol.
    Close,
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Send(b) => write!(f, "Send({} bytes)", b.len()),
            Action::Call(c) => write!(f, "Call(call_id {})", c.call_id),
            Action::Close => f.write_str("Close"),
        }
    }
}

/// A call whose interface returned a future.
pub struct PendingCall {
    /// `call_id` of the request.
    pub call_id: u32,
    /// Presentation context of the request.
    pub context_id: u16,
    /// Whether the request had `PFC_MAYBE` (no answer is sent).
    pub maybe: bool,
    /// The call itself.
    pub future: CallFuture,
}

/// Where the connection's security context stands.
enum Security {
    /// No authenticated bind: calls run as the pipe's client.
    None,
    /// The bind started an exchange; auth3 or alter_context finishes it.
    Pending(Box<Pending>),
    /// Established: requests are checked and answers protected at its level.
    Established(Box<Established>),
    /// The exchange failed: every call is refused.
    Failed,
}

struct Bound {
    max_xmit: u16,
    max_recv: u16,
    contexts: HashMap<u16, Arc<dyn Interface>>,
}

/// One connection's protocol state.
pub struct Connection {
    server: Arc<RpcServer>,
    ctx: CallContext,
    secondary_address: Vec<u8>,
    bound: Option<Bound>,
    reassembler: Reassembler,
    inbuf: Vec<u8>,
    orphaned: HashSet<u32>,
    /// Pending calls: call_id → (context id, `PFC_MAYBE`).
    pending: HashMap<u32, (u16, bool)>,
    security: Security,
    /// The association group joined at bind.
    group: Option<Arc<AssocGroup>>,
    /// The byte order of the call being reassembled (that of its first fragment).
    call_order: ByteOrder,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("ctx", &self.ctx)
            .field("bound", &self.bound.is_some())
            .finish()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Before bind the table is the connection's own: run it down now. After bind it
        // is the association group's, which runs it down with its last connection.
        if self.group.is_none() {
            self.ctx.handles.clear();
        }
    }
}

impl Connection {
    /// A connection for a caller with `token` and `session_key`; `secondary_address` is
    /// the endpoint named in bind_ack (`\PIPE\srvsvc`).
    pub fn new(
        server: Arc<RpcServer>,
        token: Arc<AccessToken>,
        session_key: Vec<u8>,
        secondary_address: &str,
    ) -> Connection {
        Connection {
            server,
            ctx: CallContext {
                token,
                session_key,
                handles: Arc::new(HandleTable::new()),
                assoc_group_id: 0,
                byte_order: ByteOrder::LittleEndian,
                trailing_padding: 0,
            },
            secondary_address: secondary_address.as_bytes().to_vec(),
            bound: None,
            reassembler: Reassembler::default(),
            inbuf: Vec::new(),
            orphaned: HashSet::new(),
            pending: HashMap::new(),
            security: Security::None,
            group: None,
            call_order: ByteOrder::LittleEndian,
        }
    }

    /// The context given to calls.
    pub fn context(&self) -> &CallContext {
        &self.ctx
    }

    /// True after a successful bind.
    pub fn is_bound(&self) -> bool {
        self.bound.is_some()
    }

    /// The negotiated largest fragment the server sends, once bound.
    pub fn max_xmit_frag(&self) -> Option<u16> {
        self.bound.as_ref().map(|b| b.max_xmit)
    }

    /// Takes bytes read from the transport (any split: whole fragments, several, or a
    /// part) and returns what to do, in order.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        self.inbuf.extend_from_slice(bytes);
        let mut at = 0;
        while self.inbuf.len() - at >= HEADER_LEN {
            let header = match PduHeader::decode(&self.inbuf[at..at + HEADER_LEN]) {
                Ok(h) => h,
                Err(_) => {
                    out.push(Action::Close);
                    self.inbuf.clear();
                    return out;
                }
            };
            let len = usize::from(header.frag_length);
            if len < HEADER_LEN || len > usize::from(self.server.max_frag_size()) {
                out.push(Action::Close);
                self.inbuf.clear();
                return out;
            }
            if self.inbuf.len() - at < len {
                break;
            }
            let frag = self.inbuf[at..at + len].to_vec();
            at += len;
            if self.fragment(frag, &mut out) {
                self.inbuf.clear();
                return out;
            }
        }
        self.inbuf.drain(..at);
        out
    }

    /// Turns the result of a pending call into the fragments to write (none for a
    /// `PFC_MAYBE` call or an orphaned one).
    pub fn complete(&mut self, call_id: u32, result: Result<Vec<u8>, FaultStatus>) -> Vec<Vec<u8>> {
        let Some((context_id, maybe)) = self.pending.remove(&call_id) else {
            return Vec::new();
        };
        if self.orphaned.remove(&call_id) || maybe {
            return Vec::new();
        }
        self.answer(call_id, context_id, result)
    }

    /// True once an authenticated bind has established its security context: calls
    /// then run as the user it logged on, not as the pipe's client.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.security, Security::Established(_))
    }

    /// Handles one whole fragment; true when the connection must close.
    fn fragment(&mut self, mut frag: Vec<u8>, out: &mut Vec<Action>) -> bool {
        if let Err(call_id) = self.unprotect(&mut frag) {
            // A request that fails its integrity check: refuse it and drop the
            // connection, as the sequence numbers can no longer agree.
            out.push(Action::Send(fault(
                call_id,
                0,
                FaultStatus::SEC_PKG_ERROR,
                true,
            )));
            out.push(Action::Close);
            return true;
        }
        let order = pdu::byte_order(&frag).unwrap_or_default();
        let pdu = match pdu::decode(&frag) {
            Ok(p) => p,
            Err(e) => return self.undecodable(&frag, &e, out),
        };
        match pdu.body {
            PduBody::Bind(ref b) => {
                let reply = self.bind(pdu.call_id, pdu.flags, b, pdu.auth.as_ref());
                out.push(Action::Send(pdu::encode(&reply)));
            }
            PduBody::AlterContext(ref b) => {
                if self.rebinds_a_context(b) {
                    // A presentation context keeps the interface it was negotiated for;
                    // an alter_context naming its id with another one is a protocol
                    // error, and the association ends (as Samba's server answers).
                    tracing::debug!(
                        call_id = pdu.call_id,
                        "alter_context changes a bound context"
                    );
                    out.push(Action::Send(fault(
                        pdu.call_id,
                        0,
                        FaultStatus::PROTO_ERROR,
                        true,
                    )));
                    out.push(Action::Close);
                    return true;
                }
                let reply = self.alter_context(pdu.call_id, b, pdu.auth.as_ref());
                out.push(Action::Send(pdu::encode(&reply)));
            }
            PduBody::Auth3 => {
                // rpc_auth_3 has no answer: a failure shows as refused calls.
                if let Some(v) = &pdu.auth {
                    let _ = self.finish_auth(v);
                }
            }
            PduBody::Request(_) => {
                if pdu.flags.contains(PfcFlags::FIRST_FRAG) {
                    self.call_order = order;
                }
                self.request(pdu, out);
            }
            PduBody::Orphaned => {
                if self.reassembler.in_progress() == Some(pdu.call_id) {
                    self.reassembler.reset();
                }
                if self.pending.contains_key(&pdu.call_id) {
                    self.orphaned.insert(pdu.call_id);
                }
            }
            PduBody::CoCancel | PduBody::Shutdown => {}
            PduBody::Response(_)
            | PduBody::Fault(_)
            | PduBody::BindAck(_)
            | PduBody::BindNak(_)
            | PduBody::AlterContextResp(_) => {
                out.push(Action::Close);
                return true;
            }
        }
        false
    }

    /// A fragment whose header decoded but whose body did not.
    fn undecodable(&mut self, frag: &[u8], e: &RpcError, out: &mut Vec<Action>) -> bool {
        tracing::debug!(error = %e, "undecodable RPC fragment");
        match PduHeader::peek(frag) {
            Some((PduType::BIND, call_id)) | Some((PduType::ALTER_CONTEXT, call_id)) => {
                out.push(Action::Send(nak(call_id, e.reject_reason())));
                false
            }
            Some((PduType::REQUEST, call_id)) => {
                self.reassembler.reset();
                out.push(Action::Send(fault(
                    call_id,
                    0,
                    FaultStatus::PROTO_ERROR,
                    true,
                )));
                false
            }
            _ => {
                out.push(Action::Close);
                true
            }
        }
    }

    fn bind(
        &mut self,
        call_id: u32,
        flags: PfcFlags,
        b: &Bind,
        verifier: Option<&AuthVerifier>,
    ) -> Pdu {
        let reject = |reason| {
            Pdu::new(
                call_id,
                PfcFlags::FIRST_AND_LAST,
                PduBody::BindNak(BindNak::new(reason)),
            )
        };
        if self.bound.is_some() || b.contexts.is_empty() {
            return reject(RejectReason::NOT_SPECIFIED);
        }
        let group = match b.assoc_group_id {
            0 => self.server.new_assoc_group(),
            id => match self.server.join_assoc_group(id) {
                Some(g) => g,
                None => return reject(RejectReason::NOT_SPECIFIED),
            },
        };
        let mut ack_flags = PfcFlags::FIRST_AND_LAST;
        let mut ack_auth = None;
        if let Some(v) = verifier {
            let Some(config) = self.server.auth.as_ref() else {
                return reject(RejectReason::AUTHENTICATION_TYPE_NOT_RECOGNIZED);
            };
            let (pending, token) = match auth::start(config, v) {
                Ok(started) => started,
                Err(AuthFailure::Unsupported) => {
                    return reject(RejectReason::AUTHENTICATION_TYPE_NOT_RECOGNIZED);
                }
                Err(_) => return reject(RejectReason::INVALID_CHECKSUM),
            };
            self.security = Security::Pending(Box::new(pending));
            if flags.contains(PfcFlags::SUPPORT_HEADER_SIGN) {
                ack_flags = ack_flags.with(PfcFlags::SUPPORT_HEADER_SIGN);
            }
            ack_auth = Some(AuthVerifier {
                value: token,
                pad_length: 0,
                reserved: 0,
                ..v.clone()
            });
        }
        let ours = self.server.max_frag_size();
        let max_xmit = b.max_recv_frag.min(ours).max(MIN_FRAG);
        let max_recv = b.max_xmit_frag.min(ours).max(MIN_FRAG);
        let mut bound = Bound {
            max_xmit,
            max_recv,
            contexts: HashMap::new(),
        };
        let results = self.negotiate(b, &mut bound);
        let group_id = group.id;
        self.ctx.assoc_group_id = group_id;
        // Handles opened before bind (none can be) give way to the group's.
        self.ctx.handles.clear();
        self.ctx.handles = Arc::clone(&group.handles);
        self.group = Some(group);
        self.bound = Some(bound);
        Pdu {
            call_id,
            flags: ack_flags,
            body: PduBody::BindAck(BindAck {
                max_xmit_frag: max_xmit,
                max_recv_frag: max_recv,
                assoc_group_id: group_id,
                secondary_address: self.secondary_address.clone(),
                results,
            }),
            auth: ack_auth,
        }
    }

    /// Finishes a pending exchange with the verifier of an auth3 or alter_context;
    /// returns the token to send back, or the failure.
    fn finish_auth(&mut self, v: &AuthVerifier) -> Result<Option<Vec<u8>>, AuthFailure> {
        match self.security {
            Security::Pending(_) => {}
            // A verifier out of turn: an established context stays, others refuse.
            Security::Established(_) => return Ok(None),
            Security::None | Security::Failed => return Err(AuthFailure::BadToken),
        }
        let Security::Pending(pending) = std::mem::replace(&mut self.security, Security::Failed)
        else {
            return Err(AuthFailure::BadToken);
        };
        let Some(config) = self.server.auth.as_ref() else {
            return Err(AuthFailure::Unsupported);
        };
        let (established, reply) = match pending.step(config, v)? {
            Step::More(pending, token) => {
                self.security = Security::Pending(pending);
                return Ok(Some(token));
            }
            Step::Done(done) => done,
        };
        self.ctx.token = Arc::clone(&established.token);
        self.ctx.session_key = established.session_key.to_vec();
        self.security = Security::Established(established);
        Ok(reply)
    }

    /// Checks and unseals a protected request in place. `Err(call_id)` when it fails.
    fn unprotect(&mut self, frag: &mut [u8]) -> Result<(), u32> {
        let Security::Established(est) = &mut self.security else {
            return Ok(());
        };
        match PduHeader::peek(frag) {
            Some((PduType::REQUEST, call_id)) => {
                pdu::unprotect_fragment(frag, est.level, &mut est.session).map_err(|e| {
                    tracing::info!(error = %e, call_id, "RPC request fails its verifier");
                    call_id
                })
            }
            _ => Ok(()),
        }
    }

    /// Whether `b` names a context id already bound with a different interface.
    fn rebinds_a_context(&self, b: &Bind) -> bool {
        let Some(bound) = &self.bound else {
            return false;
        };
        b.contexts.iter().any(|c| {
            bound
                .contexts
                .get(&c.context_id)
                .is_some_and(|iface| iface.syntax() != c.abstract_syntax)
        })
    }

    fn alter_context(&mut self, call_id: u32, b: &Bind, verifier: Option<&AuthVerifier>) -> Pdu {
        let nak = |reason| {
            Pdu::new(
                call_id,
                PfcFlags::FIRST_AND_LAST,
                PduBody::BindNak(BindNak::new(reason)),
            )
        };
        let mut reply_auth = None;
        if let Some(v) = verifier {
            if matches!(self.security, Security::None) {
                return nak(RejectReason::NOT_SPECIFIED);
            }
            match self.finish_auth(v) {
                Ok(Some(token)) => {
                    reply_auth = Some(AuthVerifier {
                        value: token,
                        pad_length: 0,
                        reserved: 0,
                        ..v.clone()
                    });
                }
                Ok(None) => {}
                Err(_) => {
                    return Pdu::new(
                        call_id,
                        PfcFlags::FIRST_AND_LAST.with(PfcFlags::DID_NOT_EXECUTE),
                        PduBody::Fault(Fault::new(0, FaultStatus::ACCESS_DENIED)),
                    );
                }
            }
        }
        let Some(mut bound) = self.bound.take() else {
            return nak(RejectReason::NOT_SPECIFIED);
        };
        let results = self.negotiate(b, &mut bound);
        let ack = BindAck {
            max_xmit_frag: bound.max_xmit,
            max_recv_frag: bound.max_recv,
            assoc_group_id: self.ctx.assoc_group_id,
            secondary_address: Vec::new(),
            results,
        };
        self.bound = Some(bound);
        Pdu {
            call_id,
            flags: PfcFlags::FIRST_AND_LAST,
            body: PduBody::AlterContextResp(ack),
            auth: reply_auth,
        }
    }

    fn negotiate(&self, b: &Bind, bound: &mut Bound) -> Vec<pdu::ContextResult> {
        let server = &self.server;
        let n = pdu::negotiate_contexts(
            &b.contexts,
            |s| server.find(s).is_some(),
            BindTimeFeatures::from_bits(BindTimeFeatures::KEEP_CONNECTION_ON_ORPHAN),
        );
        for accepted in &n.accepted {
            if let Some(iface) = server.find(&accepted.abstract_syntax) {
                bound
                    .contexts
                    .insert(accepted.context_id, Arc::clone(iface));
            }
        }
        n.results
    }

    fn request(&mut self, pdu: Pdu, out: &mut Vec<Action>) {
        let call_id = pdu.call_id;
        let has_auth = pdu.auth.is_some();
        let Some(bound) = &self.bound else {
            out.push(Action::Send(fault(
                call_id,
                0,
                FaultStatus::PROTO_ERROR,
                true,
            )));
            return;
        };
        let allowed = match &self.security {
            Security::None => !has_auth,
            Security::Established(est) => pdu
                .auth
                .as_ref()
                .map_or(est.level.0 < AuthLevel::PKT.0, |v| est.matches(v)),
            Security::Pending(_) | Security::Failed => false,
        };
        if !allowed {
            self.reassembler.reset();
            out.push(Action::Send(fault(
                call_id,
                0,
                FaultStatus::ACCESS_DENIED,
                true,
            )));
            return;
        }
        let req = match self.reassembler.push(pdu) {
            Ok(Some(req)) => req,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(error = %e, call_id, "request reassembly failed");
                out.push(Action::Send(fault(
                    call_id,
                    0,
                    FaultStatus::PROTO_ERROR,
                    true,
                )));
                return;
            }
        };
        let maybe = req.flags.contains(PfcFlags::MAYBE);
        let Some(iface) = bound.contexts.get(&req.context_id).cloned() else {
            if !maybe {
                out.push(Action::Send(fault(
                    call_id,
                    req.context_id,
                    FaultStatus::UNK_IF,
                    true,
                )));
            }
            return;
        };
        if self.call_order == ByteOrder::BigEndian && !iface.reads_big_endian() {
            if !maybe {
                out.push(Action::Send(fault(
                    call_id,
                    req.context_id,
                    FaultStatus::UNSUPPORTED_TYPE,
                    true,
                )));
            }
            return;
        }
        let mut stub = req.stub;
        self.ctx.trailing_padding = 0;
        if matches!(self.security, Security::Established(_)) {
            match check_trailer(
                &stub,
                self.call_order,
                call_id,
                &req.context_id,
                req.opnum,
                &*iface,
            ) {
                Ok(Some(offset)) => {
                    tracing::debug!(call_id, offset, len = stub.len(), "verification trailer");
                    stub.truncate(offset);
                    self.ctx.trailing_padding = 3;
                }
                Ok(None) => {}
                Err(why) => {
                    tracing::info!(call_id, why, "verification trailer refused");
                    if !maybe {
                        out.push(Action::Send(fault(
                            call_id,
                            req.context_id,
                            FaultStatus::ACCESS_DENIED,
                            true,
                        )));
                    }
                    return;
                }
            }
        }
        self.ctx.byte_order = self.call_order;
        match iface.call(req.opnum, &stub, &self.ctx) {
            CallOutcome::Ready(result) => {
                if !maybe {
                    for frag in self.answer(call_id, req.context_id, result) {
                        out.push(Action::Send(frag));
                    }
                }
            }
            CallOutcome::Pending(future) => {
                self.pending.insert(call_id, (req.context_id, maybe));
                out.push(Action::Call(PendingCall {
                    call_id,
                    context_id: req.context_id,
                    maybe,
                    future,
                }));
            }
        }
    }

    fn answer(
        &mut self,
        call_id: u32,
        context_id: u16,
        result: Result<Vec<u8>, FaultStatus>,
    ) -> Vec<Vec<u8>> {
        let max_xmit = self.bound.as_ref().map_or(MIN_FRAG, |b| b.max_xmit);
        let stub = match result {
            Ok(stub) => stub,
            Err(status) => return vec![fault(call_id, context_id, status, false)],
        };
        let protected = match &mut self.security {
            Security::Established(est) if est.level.0 >= AuthLevel::PKT.0 => Some(est),
            _ => None,
        };
        let Some(est) = protected else {
            return match pdu::fragment_response(call_id, context_id, &stub, max_xmit) {
                Ok(frags) => frags.iter().map(pdu::encode).collect(),
                Err(_) => vec![fault(call_id, context_id, FaultStatus::PROTO_ERROR, false)],
            };
        };
        // Leave room for the padding, sec_trailer and signature of each fragment.
        let room = usize::from(max_xmit).saturating_sub(pdu::PROTECTION_OVERHEAD);
        let room = u16::try_from(room).unwrap_or(u16::MAX);
        let Ok(frags) = pdu::fragment_response(call_id, context_id, &stub, room) else {
            return vec![fault(call_id, context_id, FaultStatus::PROTO_ERROR, false)];
        };
        let mut out = Vec::with_capacity(frags.len());
        for mut frag in frags {
            let stub_len = match &frag.body {
                PduBody::Response(r) => r.stub.len(),
                _ => 0,
            };
            frag.auth = Some(est.placeholder(stub_len));
            let mut bytes = pdu::encode(&frag);
            if pdu::protect_fragment(&mut bytes, est.level, &mut est.session).is_err() {
                return vec![fault(
                    call_id,
                    context_id,
                    FaultStatus::SEC_PKG_ERROR,
                    false,
                )];
            }
            out.push(bytes);
        }
        out
    }
}

/// Checks the verification trailer at the end of an authenticated request's stub
/// (MS-RPCE 3.3.3.5.4) against the call: its header2 against the request header, its
/// pcontext against the interface. `Ok(Some(offset))` is where the trailer starts.
fn check_trailer(
    stub: &[u8],
    order: ByteOrder,
    call_id: u32,
    context_id: &u16,
    opnum: u16,
    iface: &dyn Interface,
) -> Result<Option<usize>, &'static str> {
    let Some(t) = verification::find(stub, order).map_err(|_| "unknown must-process command")?
    else {
        return Ok(None);
    };
    for c in &t.commands {
        match c {
            TrailerCommand::Header2 {
                ptype,
                call_id: c_id,
                context_id: c_ctx,
                opnum: c_op,
                ..
            } => {
                if *ptype != PduType::REQUEST
                    || *c_id != call_id
                    || c_ctx != context_id
                    || *c_op != opnum
                {
                    return Err("header2 differs from the request");
                }
            }
            TrailerCommand::PContext {
                interface,
                transfer,
            } => {
                if interface.uuid != iface.syntax().uuid || *transfer != crate::NDR20_SYNTAX {
                    return Err("pcontext differs from the presentation context");
                }
            }
            TrailerCommand::Bitmask(_) | TrailerCommand::Other(_) => {}
        }
    }
    Ok(Some(t.offset))
}

fn nak(call_id: u32, reason: RejectReason) -> Vec<u8> {
    pdu::encode(&Pdu::new(
        call_id,
        PfcFlags::FIRST_AND_LAST,
        PduBody::BindNak(BindNak::new(reason)),
    ))
}

fn fault(call_id: u32, context_id: u16, status: FaultStatus, did_not_execute: bool) -> Vec<u8> {
    let mut flags = PfcFlags::FIRST_AND_LAST;
    if did_not_execute {
        flags = flags.with(PfcFlags::DID_NOT_EXECUTE);
    }
    pdu::encode(&Pdu::new(
        call_id,
        flags,
        PduBody::Fault(Fault::new(context_id, status)),
    ))
}
