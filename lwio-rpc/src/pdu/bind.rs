//! Association PDUs: bind and alter_context (C706 12.6.4.3, 12.6.4.1), bind_ack and
//! alter_context_resp (C706 12.6.4.4, 12.6.4.2), bind_nak (C706 12.6.4.5, MS-RPCE 2.2.2.9),
//! with the presentation context list and result list (C706 12.6.3.1).
//!
//! ```text
//! bind:      max_xmit_frag(2) max_recv_frag(2) assoc_group_id(4)
//!            n_context_elem(1) reserved(1) reserved2(2)
//!            { p_cont_id(2) n_transfer_syn(1) reserved(1) abstract(20) transfer(20)* }*
//! bind_ack:  max_xmit_frag(2) max_recv_frag(2) assoc_group_id(4)
//!            sec_addr: length(2) port_spec[length] pad-to-4
//!            n_results(1) reserved(1) reserved2(2) { result(2) reason(2) transfer(20) }*
//! bind_nak:  provider_reject_reason(2) n_protocols(1) { major(1) minor(1) }*
//!            [Signature(16) extended error...]
//! ```

use bytes::BufMut;

use super::codec::{Reader, pad_to, syntax_id, uuid};
use crate::{RpcError, SyntaxId, Uuid};

/// One presentation context a client proposes (`p_cont_elem_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationContext {
    /// `p_cont_id`: the id later requests name.
    pub context_id: u16,
    /// The interface (`abstract_syntax`).
    pub abstract_syntax: SyntaxId,
    /// The transfer syntaxes offered, in the client's order of preference.
    pub transfer_syntaxes: Vec<SyntaxId>,
}

/// The body of bind and alter_context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// `max_xmit_frag`: the largest fragment the client will send.
    pub max_xmit_frag: u16,
    /// `max_recv_frag`: the largest fragment the client will accept.
    pub max_recv_frag: u16,
    /// `assoc_group_id` (0 asks for a new group).
    pub assoc_group_id: u32,
    /// The presentation contexts proposed (at most 255).
    pub contexts: Vec<PresentationContext>,
}

open_enum! {
    /// `p_cont_def_result_t` (C706 12.6.3.1; `negotiate_ack`, MS-RPCE 2.2.2.4).
    pub struct ContextResultCode(u16) {
        /// The context is accepted with the returned transfer syntax.
        ACCEPTANCE = 0,
        /// Rejected by the user (the server application).
        USER_REJECTION = 1,
        /// Rejected by the provider (the runtime); the reason says why.
        PROVIDER_REJECTION = 2,
        /// Answer to a bind time feature negotiation context; the reason carries the
        /// bitmask (MS-RPCE 3.3.1.5.3).
        NEGOTIATE_ACK = 3,
    }
}

open_enum! {
    /// `p_provider_reason_t` (C706 12.6.3.1).
    pub struct ProviderReason(u16) {
        /// `reason_not_specified`.
        NOT_SPECIFIED = 0,
        /// `abstract_syntax_not_supported`: no such interface or version.
        ABSTRACT_SYNTAX_NOT_SUPPORTED = 1,
        /// `proposed_transfer_syntaxes_not_supported`.
        PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED = 2,
        /// `local_limit_exceeded`.
        LOCAL_LIMIT_EXCEEDED = 3,
    }
}

/// One entry of the result list, in the order of the proposed contexts (`p_result_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextResult {
    /// `result`.
    pub result: ContextResultCode,
    /// `reason`: a [`ProviderReason`], or for `NEGOTIATE_ACK` the feature bitmask.
    pub reason: u16,
    /// The accepted transfer syntax, or all zero.
    pub transfer_syntax: SyntaxId,
}

/// The body of bind_ack and alter_context_resp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindAck {
    /// `max_xmit_frag`: the largest fragment the server will send.
    pub max_xmit_frag: u16,
    /// `max_recv_frag`: the largest fragment the server will accept.
    pub max_recv_frag: u16,
    /// `assoc_group_id` the server assigned.
    pub assoc_group_id: u32,
    /// `sec_addr.port_spec` without its NUL (`\PIPE\srvsvc`, a TCP port, or empty, as in
    /// alter_context_resp). Written with a terminating NUL when not empty.
    pub secondary_address: Vec<u8>,
    /// One result per proposed context (at most 255).
    pub results: Vec<ContextResult>,
}

open_enum! {
    /// `p_reject_reason_t` of bind_nak (C706 12.6.3.1, MS-RPCE 2.2.2.5).
    pub struct RejectReason(u16) {
        /// `reason_not_specified`.
        NOT_SPECIFIED = 0,
        /// `temporary_congestion`.
        TEMPORARY_CONGESTION = 1,
        /// `local_limit_exceeded`.
        LOCAL_LIMIT_EXCEEDED = 2,
        /// `called_paddr_unknown`.
        CALLED_PADDR_UNKNOWN = 3,
        /// `protocol_version_not_supported` (also a bad data representation).
        PROTOCOL_VERSION_NOT_SUPPORTED = 4,
        /// `default_context_not_supported`.
        DEFAULT_CONTEXT_NOT_SUPPORTED = 5,
        /// `user_data_not_readable`.
        USER_DATA_NOT_READABLE = 6,
        /// `no_psap_available`.
        NO_PSAP_AVAILABLE = 7,
        /// `authentication_type_not_recognized` (MS-RPCE 2.2.2.5).
        AUTHENTICATION_TYPE_NOT_RECOGNIZED = 8,
        /// `invalid_checksum` (MS-RPCE 2.2.2.5).
        INVALID_CHECKSUM = 9,
    }
}

/// The extended error information signature of bind_nak (MS-RPCE 2.2.1.1.2),
/// `90740320-fad0-11d3-82d7-009027b130ab`.
pub const BIND_NAK_EXTENDED_ERROR_SIGNATURE: Uuid = Uuid::from_fields(
    0x9074_0320,
    0xfad0,
    0x11d3,
    [0x82, 0xd7, 0x00, 0x90, 0x27, 0xb1, 0x30, 0xab],
);

/// The body of bind_nak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindNak {
    /// `provider_reject_reason`.
    pub reject_reason: RejectReason,
    /// `p_rt_versions_supported`: (major, minor) pairs, normally `[(5, 0)]`.
    pub versions: Vec<(u8, u8)>,
    /// The optional `Signature` (MS-RPCE 2.2.2.9), present when at least 16 bytes follow
    /// the versions.
    pub signature: Option<Uuid>,
    /// Extended error information after the signature (MS-EERR), uninterpreted.
    pub extended_error: Vec<u8>,
}

impl BindNak {
    /// A bind_nak with `reason`, advertising version 5.0 and no extended error.
    pub fn new(reason: RejectReason) -> BindNak {
        BindNak {
            reject_reason: reason,
            versions: vec![(5, 0)],
            signature: None,
            extended_error: Vec::new(),
        }
    }
}

// ---- bind / alter_context ----

pub(crate) fn parse_bind(r: &mut Reader<'_>) -> Result<Bind, RpcError> {
    let max_xmit_frag = r.u16()?;
    let max_recv_frag = r.u16()?;
    let assoc_group_id = r.u32()?;
    let n = r.u8()?;
    r.skip(3)?;
    // The counts are 8-bit: at most 255 entries are reserved.
    let mut contexts = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let context_id = r.u16()?;
        let n_ts = r.u8()?;
        r.skip(1)?;
        let abstract_syntax = syntax_id(r)?;
        let mut transfer_syntaxes = Vec::with_capacity(usize::from(n_ts));
        for _ in 0..n_ts {
            transfer_syntaxes.push(syntax_id(r)?);
        }
        contexts.push(PresentationContext {
            context_id,
            abstract_syntax,
            transfer_syntaxes,
        });
    }
    Ok(Bind {
        max_xmit_frag,
        max_recv_frag,
        assoc_group_id,
        contexts,
    })
}

pub(crate) fn encode_bind(b: &Bind, out: &mut Vec<u8>) -> Result<(), RpcError> {
    let n = u8::try_from(b.contexts.len()).map_err(|_| RpcError::Invalid("over 255 contexts"))?;
    out.put_u16_le(b.max_xmit_frag);
    out.put_u16_le(b.max_recv_frag);
    out.put_u32_le(b.assoc_group_id);
    out.put_u8(n);
    out.put_bytes(0, 3);
    for c in &b.contexts {
        let n_ts = u8::try_from(c.transfer_syntaxes.len())
            .map_err(|_| RpcError::Invalid("over 255 transfer syntaxes"))?;
        out.put_u16_le(c.context_id);
        out.put_u8(n_ts);
        out.put_u8(0);
        c.abstract_syntax.encode_into(out);
        for ts in &c.transfer_syntaxes {
            ts.encode_into(out);
        }
    }
    Ok(())
}

// ---- bind_ack / alter_context_resp ----

pub(crate) fn parse_bind_ack(r: &mut Reader<'_>) -> Result<BindAck, RpcError> {
    let max_xmit_frag = r.u16()?;
    let max_recv_frag = r.u16()?;
    let assoc_group_id = r.u32()?;
    let addr_len = r.u16()?;
    let port_spec = r.take(usize::from(addr_len))?;
    let mut secondary_address = port_spec.to_vec();
    if secondary_address.last() == Some(&0) {
        secondary_address.pop();
    }
    if secondary_address.contains(&0) {
        return Err(RpcError::Invalid("NUL inside the secondary address"));
    }
    // The result list is 4-aligned; the body starts 16 bytes into the PDU, so alignment
    // relative to the body is alignment relative to the PDU.
    r.skip(pad_to(r.position(), 4))?;
    let n = r.u8()?;
    r.skip(3)?;
    let mut results = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let result = r.u16()?;
        let reason = r.u16()?;
        let transfer_syntax = syntax_id(r)?;
        results.push(ContextResult {
            result: ContextResultCode(result),
            reason,
            transfer_syntax,
        });
    }
    Ok(BindAck {
        max_xmit_frag,
        max_recv_frag,
        assoc_group_id,
        secondary_address,
        results,
    })
}

pub(crate) fn encode_bind_ack(b: &BindAck, out: &mut Vec<u8>) -> Result<(), RpcError> {
    let n = u8::try_from(b.results.len()).map_err(|_| RpcError::Invalid("over 255 results"))?;
    if b.secondary_address.contains(&0) {
        return Err(RpcError::Invalid("NUL inside the secondary address"));
    }
    let addr_len = if b.secondary_address.is_empty() {
        0
    } else {
        b.secondary_address.len() + 1
    };
    let addr_len16 =
        u16::try_from(addr_len).map_err(|_| RpcError::Invalid("secondary address too long"))?;
    let start = out.len();
    out.put_u16_le(b.max_xmit_frag);
    out.put_u16_le(b.max_recv_frag);
    out.put_u32_le(b.assoc_group_id);
    out.put_u16_le(addr_len16);
    if addr_len > 0 {
        out.put_slice(&b.secondary_address);
        out.put_u8(0);
    }
    out.put_bytes(0, pad_to(out.len() - start, 4));
    out.put_u8(n);
    out.put_bytes(0, 3);
    for r in &b.results {
        out.put_u16_le(r.result.0);
        out.put_u16_le(r.reason);
        r.transfer_syntax.encode_into(out);
    }
    Ok(())
}

// ---- bind_nak ----

pub(crate) fn parse_bind_nak(r: &mut Reader<'_>) -> Result<BindNak, RpcError> {
    let reason = r.u16()?;
    let n = r.u8()?;
    let mut versions = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let major = r.u8()?;
        let minor = r.u8()?;
        versions.push((major, minor));
    }
    // MS-RPCE 2.2.2.9: the Signature is present when the fragment holds at least 16 more
    // bytes; fewer are padding.
    let (signature, extended_error) = if r.remaining() >= 16 {
        let sig = uuid(r)?;
        (Some(sig), r.rest().to_vec())
    } else {
        r.rest();
        (None, Vec::new())
    };
    Ok(BindNak {
        reject_reason: RejectReason(reason),
        versions,
        signature,
        extended_error,
    })
}

pub(crate) fn encode_bind_nak(b: &BindNak, out: &mut Vec<u8>) -> Result<(), RpcError> {
    let n = u8::try_from(b.versions.len()).map_err(|_| RpcError::Invalid("over 255 versions"))?;
    out.put_u16_le(b.reject_reason.0);
    out.put_u8(n);
    for (major, minor) in &b.versions {
        out.put_u8(*major);
        out.put_u8(*minor);
    }
    if let Some(sig) = &b.signature {
        sig.encode_into(out);
        out.put_slice(&b.extended_error);
    }
    Ok(())
}
