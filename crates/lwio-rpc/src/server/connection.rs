//! One client connection as a sans-IO state machine (C706 12.4 and 12.6, MS-RPCE
//! 3.3.1.5 and 3.3.3.5): bytes in, fragments and calls out.
//!
//! * **bind** → bind_ack (fragment sizes, association group, one result per proposed
//!   context from [`pdu::negotiate_contexts`]) or bind_nak (a second bind, a verifier —
//!   no authentication here —, an unknown association group, no contexts, or a bind that
//!   does not decode). A bind whose contexts are all refused still gets a bind_ack,
//!   whose results say why, as Windows answers.
//! * **alter_context** → alter_context_resp with more contexts (a context id proposed
//!   again is replaced).
//! * **request** → reassembly ([`Reassembler`]), dispatch to the interface of the
//!   presentation context, then response fragments no longer than the negotiated
//!   `max_xmit_frag`, or a fault: `nca_s_unk_if` for an unknown context,
//!   `nca_s_proto_error` for a request before bind or out of sequence, and whatever the
//!   interface returns (`nca_s_op_rng_error`, `nca_s_fault_ndr`,
//!   `nca_s_fault_context_mismatch`). Faults raised before the interface ran carry
//!   `PFC_DID_NOT_EXECUTE`. A `PFC_MAYBE` request gets no answer.
//! * **auth3**, **co_cancel** and **shutdown** are ignored; **orphaned** drops the call
//!   being reassembled or discards the answer of the pending call it names.
//! * A PDU only a server sends (response, bind_ack, …), a header that does not decode,
//!   or a fragment longer than the server accepts closes the connection
//!   ([`Action::Close`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use lwio_core::AccessToken;

use super::{CallContext, CallFuture, CallOutcome, HandleTable, Interface, RpcServer};
use crate::pdu::{
    self, Bind, BindAck, BindNak, Fault, FaultStatus, HEADER_LEN, Pdu, PduBody, PduHeader, PduType,
    PfcFlags, Reassembler, RejectReason,
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
        // Context handle rundown: the handles die with the connection even if a pending
        // call's future still holds the table.
        self.ctx.handles.clear();
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
            },
            secondary_address: secondary_address.as_bytes().to_vec(),
            bound: None,
            reassembler: Reassembler::default(),
            inbuf: Vec::new(),
            orphaned: HashSet::new(),
            pending: HashMap::new(),
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
            if self.fragment(&frag, &mut out) {
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

    /// Handles one whole fragment; true when the connection must close.
    fn fragment(&mut self, frag: &[u8], out: &mut Vec<Action>) -> bool {
        let pdu = match pdu::decode(frag) {
            Ok(p) => p,
            Err(e) => return self.undecodable(frag, &e, out),
        };
        match pdu.body {
            PduBody::Bind(ref b) => {
                let reply = self.bind(pdu.call_id, b, pdu.auth.is_some());
                out.push(Action::Send(pdu::encode(&reply)));
            }
            PduBody::AlterContext(ref b) => {
                let reply = self.alter_context(pdu.call_id, b, pdu.auth.is_some());
                out.push(Action::Send(pdu::encode(&reply)));
            }
            PduBody::Request(_) => self.request(pdu, out),
            PduBody::Orphaned => {
                if self.reassembler.in_progress() == Some(pdu.call_id) {
                    self.reassembler.reset();
                }
                if self.pending.contains_key(&pdu.call_id) {
                    self.orphaned.insert(pdu.call_id);
                }
            }
            PduBody::Auth3 | PduBody::CoCancel | PduBody::Shutdown => {}
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

    fn bind(&mut self, call_id: u32, b: &Bind, has_auth: bool) -> Pdu {
        let reject = |reason| {
            Pdu::new(
                call_id,
                PfcFlags::FIRST_AND_LAST,
                PduBody::BindNak(BindNak::new(reason)),
            )
        };
        if has_auth {
            return reject(RejectReason::AUTHENTICATION_TYPE_NOT_RECOGNIZED);
        }
        if self.bound.is_some() || b.contexts.is_empty() {
            return reject(RejectReason::NOT_SPECIFIED);
        }
        let group = match b.assoc_group_id {
            0 => self.server.new_assoc_group(),
            id if self.server.knows_assoc_group(id) => id,
            _ => return reject(RejectReason::NOT_SPECIFIED),
        };
        let ours = self.server.max_frag_size();
        let max_xmit = b.max_recv_frag.min(ours).max(MIN_FRAG);
        let max_recv = b.max_xmit_frag.min(ours).max(MIN_FRAG);
        let mut bound = Bound {
            max_xmit,
            max_recv,
            contexts: HashMap::new(),
        };
        let results = self.negotiate(b, &mut bound);
        self.ctx.assoc_group_id = group;
        self.bound = Some(bound);
        Pdu::new(
            call_id,
            PfcFlags::FIRST_AND_LAST,
            PduBody::BindAck(BindAck {
                max_xmit_frag: max_xmit,
                max_recv_frag: max_recv,
                assoc_group_id: group,
                secondary_address: self.secondary_address.clone(),
                results,
            }),
        )
    }

    fn alter_context(&mut self, call_id: u32, b: &Bind, has_auth: bool) -> Pdu {
        let Some(mut bound) = self.bound.take().filter(|_| !has_auth) else {
            return Pdu::new(
                call_id,
                PfcFlags::FIRST_AND_LAST,
                PduBody::BindNak(BindNak::new(RejectReason::NOT_SPECIFIED)),
            );
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
        Pdu::new(
            call_id,
            PfcFlags::FIRST_AND_LAST,
            PduBody::AlterContextResp(ack),
        )
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
        if has_auth {
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
        match iface.call(req.opnum, &req.stub, &self.ctx) {
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
        &self,
        call_id: u32,
        context_id: u16,
        result: Result<Vec<u8>, FaultStatus>,
    ) -> Vec<Vec<u8>> {
        let max_xmit = self.bound.as_ref().map_or(MIN_FRAG, |b| b.max_xmit);
        match result {
            Ok(stub) => match pdu::fragment_response(call_id, context_id, &stub, max_xmit) {
                Ok(frags) => frags.iter().map(pdu::encode).collect(),
                Err(_) => vec![fault(call_id, context_id, FaultStatus::PROTO_ERROR, false)],
            },
            Err(status) => vec![fault(call_id, context_id, status, false)],
        }
    }
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
