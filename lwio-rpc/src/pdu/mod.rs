//! Connection-oriented DCE/RPC PDUs (C706 chapter 12.6, MS-RPCE 2.2.2): one whole fragment
//! in, one [`Pdu`] out, and back.
//!
//! [`decode`] takes exactly one fragment (`frag_length` must equal the buffer length; a
//! transport uses [`PduHeader::decode`] on the first 16 bytes to learn how many to read).
//! When `auth_length` is non-zero the sec_trailer and its padding are split off into
//! [`Pdu::auth`] and never appear in a stub. [`encode`] writes the header, body, padding and
//! verifier, filling in `frag_length` and `auth_length`.
//!
//! Helpers around the codec: [`fragment_response`] and [`Reassembler`] (multi-fragment
//! calls, C706 12.4.6), and [`negotiate_contexts`] (presentation context negotiation,
//! C706 12.6.4.4, MS-RPCE 3.3.1.5.3 and 3.3.1.5.6).

mod auth;
mod bind;
mod call;
mod codec;
mod drep;
mod fragment;
mod header;
mod negotiate;
mod protect;
#[cfg(test)]
mod tests;
pub mod verification;

use bytes::BufMut;

pub use auth::{AuthLevel, AuthType, AuthVerifier, SEC_TRAILER_LEN, auth_pad_length};
pub use bind::{
    BIND_NAK_EXTENDED_ERROR_SIGNATURE, Bind, BindAck, BindNak, ContextResult, ContextResultCode,
    PresentationContext, ProviderReason, RejectReason,
};
pub use call::{Fault, FaultStatus, Request, Response};
pub use drep::{byte_order, to_big_endian, to_little_endian};
pub use fragment::{CompleteRequest, DEFAULT_REASSEMBLY_LIMIT, Reassembler, fragment_response};
pub use header::{DREP_LE, HEADER_LEN, PduHeader, PduType, PfcFlags, RPC_VERSION};
pub use negotiate::{AcceptedContext, Negotiation, interface_version_matches, negotiate_contexts};
pub use protect::{
    NTLM_SIGNATURE_LEN, PROTECTION_OVERHEAD, ProtectError, protect_fragment, unprotect_fragment,
};

use codec::{Reader, read_all};

use crate::RpcError;

/// A decoded connection-oriented PDU (one fragment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// `call_id`.
    pub call_id: u32,
    /// `pfc_flags`. For requests the encoder sets or clears `OBJECT_UUID` to match
    /// [`Request::object`].
    pub flags: PfcFlags,
    /// The type-specific body.
    pub body: PduBody,
    /// The auth verifier, present when `auth_length` was non-zero.
    pub auth: Option<AuthVerifier>,
}

/// The body of each connection-oriented PDU type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PduBody {
    /// request (0).
    Request(Request),
    /// response (2).
    Response(Response),
    /// fault (3).
    Fault(Fault),
    /// bind (11).
    Bind(Bind),
    /// bind_ack (12).
    BindAck(BindAck),
    /// bind_nak (13).
    BindNak(BindNak),
    /// alter_context (14): same layout as bind.
    AlterContext(Bind),
    /// alter_context_resp (15): same layout as bind_ack.
    AlterContextResp(BindAck),
    /// rpc_auth_3 (16): four pad octets, then the verifier (MS-RPCE 2.2.2.10).
    Auth3,
    /// shutdown (17): no body.
    Shutdown,
    /// co_cancel (18): no body besides an optional verifier.
    CoCancel,
    /// orphaned (19): no body besides an optional verifier.
    Orphaned,
}

impl Pdu {
    /// A PDU with no verifier.
    pub fn new(call_id: u32, flags: PfcFlags, body: PduBody) -> Pdu {
        Pdu {
            call_id,
            flags,
            body,
            auth: None,
        }
    }

    /// The `PTYPE` of the body.
    pub fn ptype(&self) -> PduType {
        match &self.body {
            PduBody::Request(_) => PduType::REQUEST,
            PduBody::Response(_) => PduType::RESPONSE,
            PduBody::Fault(_) => PduType::FAULT,
            PduBody::Bind(_) => PduType::BIND,
            PduBody::BindAck(_) => PduType::BIND_ACK,
            PduBody::BindNak(_) => PduType::BIND_NAK,
            PduBody::AlterContext(_) => PduType::ALTER_CONTEXT,
            PduBody::AlterContextResp(_) => PduType::ALTER_CONTEXT_RESP,
            PduBody::Auth3 => PduType::AUTH3,
            PduBody::Shutdown => PduType::SHUTDOWN,
            PduBody::CoCancel => PduType::CO_CANCEL,
            PduBody::Orphaned => PduType::ORPHANED,
        }
    }
}

/// Decodes one whole fragment, little- or big-endian (a big-endian one is rewritten
/// first, [`to_little_endian`]; its stub keeps the sender's byte order).
///
/// Errors: a bad header (see [`PduHeader::decode`]), `frag_length` different from
/// `buf.len()`, an `auth_length` or `auth_pad_length` that does not fit, a connectionless or
/// unknown `PTYPE`, a truncated body, or trailing bytes after a fixed-layout body.
pub fn decode(buf: &[u8]) -> Result<Pdu, RpcError> {
    if byte_order(buf) == Some(crate::ndr::ByteOrder::BigEndian) {
        PduHeader::decode(buf)?;
        let mut le = buf.to_vec();
        to_little_endian(&mut le)?;
        return decode_le(&le);
    }
    decode_le(buf)
}

/// Decodes a little-endian fragment.
fn decode_le(buf: &[u8]) -> Result<Pdu, RpcError> {
    let header = PduHeader::decode(buf)?;
    if usize::from(header.frag_length) != buf.len() {
        return Err(RpcError::FragLength {
            frag_length: header.frag_length,
            actual: buf.len(),
        });
    }
    let (body, auth) = split_auth(buf, &header)?;
    let flags = header.flags;
    let body = match header.ptype {
        PduType::REQUEST => PduBody::Request(read_all(body, |r| {
            call::parse_request(r, flags.contains(PfcFlags::OBJECT_UUID))
        })?),
        PduType::RESPONSE => PduBody::Response(read_all(body, call::parse_response)?),
        PduType::FAULT => PduBody::Fault(read_all(body, call::parse_fault)?),
        PduType::BIND => PduBody::Bind(read_all(body, bind::parse_bind)?),
        PduType::BIND_ACK => PduBody::BindAck(read_all(body, bind::parse_bind_ack)?),
        PduType::BIND_NAK => PduBody::BindNak(read_all(body, bind::parse_bind_nak)?),
        PduType::ALTER_CONTEXT => PduBody::AlterContext(read_all(body, bind::parse_bind)?),
        PduType::ALTER_CONTEXT_RESP => {
            PduBody::AlterContextResp(read_all(body, bind::parse_bind_ack)?)
        }
        PduType::AUTH3 => {
            // Four arbitrary pad octets (MS-RPCE 2.2.2.10); some peers send none.
            if body.len() > 4 {
                return Err(RpcError::TrailingBytes(body.len() - 4));
            }
            PduBody::Auth3
        }
        PduType::SHUTDOWN => empty(body, PduBody::Shutdown)?,
        PduType::CO_CANCEL => empty(body, PduBody::CoCancel)?,
        PduType::ORPHANED => empty(body, PduBody::Orphaned)?,
        other => return Err(RpcError::UnsupportedPduType(other)),
    };
    Ok(Pdu {
        call_id: header.call_id,
        flags,
        body,
        auth,
    })
}

fn empty(body: &[u8], value: PduBody) -> Result<PduBody, RpcError> {
    if body.is_empty() {
        Ok(value)
    } else {
        Err(RpcError::TrailingBytes(body.len()))
    }
}

/// Splits the body (after the header, before the auth padding) from the verifier.
fn split_auth<'a>(
    buf: &'a [u8],
    header: &PduHeader,
) -> Result<(&'a [u8], Option<AuthVerifier>), RpcError> {
    let rest = buf.get(HEADER_LEN..).ok_or(RpcError::Truncated)?;
    if header.auth_length == 0 {
        return Ok((rest, None));
    }
    let auth_len = usize::from(header.auth_length);
    let trailer_at = rest
        .len()
        .checked_sub(auth_len + SEC_TRAILER_LEN)
        .ok_or(RpcError::BadAuthLength(header.auth_length))?;
    let (before, trailer) = rest.split_at(trailer_at);
    let mut r = Reader::new(trailer);
    let mut verifier = auth::parse_trailer(&mut r)?;
    verifier.value = r.rest().to_vec();
    let body_len = before
        .len()
        .checked_sub(usize::from(verifier.pad_length))
        .ok_or(RpcError::BadAuthLength(header.auth_length))?;
    Ok((&before[..body_len], Some(verifier)))
}

/// Encodes a PDU; `frag_length` and `auth_length` are computed.
///
/// Errors: a PDU over 65535 bytes, an `auth_value` over 65535 bytes, or a list longer than
/// its 8-bit count allows.
pub fn try_encode(pdu: &Pdu) -> Result<Vec<u8>, RpcError> {
    let mut body = Vec::new();
    let mut flags = pdu.flags;
    match &pdu.body {
        PduBody::Request(r) => {
            flags = if r.object.is_some() {
                flags.with(PfcFlags::OBJECT_UUID)
            } else {
                flags.without(PfcFlags::OBJECT_UUID)
            };
            call::encode_request(r, &mut body);
        }
        PduBody::Response(r) => call::encode_response(r, &mut body),
        PduBody::Fault(f) => call::encode_fault(f, &mut body),
        PduBody::Bind(b) | PduBody::AlterContext(b) => bind::encode_bind(b, &mut body)?,
        PduBody::BindAck(b) | PduBody::AlterContextResp(b) => bind::encode_bind_ack(b, &mut body)?,
        PduBody::BindNak(b) => bind::encode_bind_nak(b, &mut body)?,
        PduBody::Auth3 => body.put_bytes(0, 4),
        PduBody::Shutdown | PduBody::CoCancel | PduBody::Orphaned => {}
    }
    let auth_length = match &pdu.auth {
        Some(a) => {
            u16::try_from(a.value.len()).map_err(|_| RpcError::SizeOutOfRange(a.value.len()))?
        }
        None => 0,
    };
    let total = HEADER_LEN + body.len() + pdu.auth.as_ref().map_or(0, |a| a.encoded_len());
    let frag_length = u16::try_from(total).map_err(|_| RpcError::SizeOutOfRange(total))?;
    let mut out = Vec::with_capacity(total);
    PduHeader {
        ptype: pdu.ptype(),
        flags,
        frag_length,
        auth_length,
        call_id: pdu.call_id,
    }
    .encode_into(&mut out);
    out.extend_from_slice(&body);
    if let Some(a) = &pdu.auth {
        a.encode_into(&mut out);
    }
    Ok(out)
}

/// Encodes a PDU that is known to fit (the fragmenter and the negotiation helpers only
/// build such PDUs). A PDU that does not fit encodes as an empty vector; use [`try_encode`]
/// to see why.
pub fn encode(pdu: &Pdu) -> Vec<u8> {
    try_encode(pdu).unwrap_or_default()
}
