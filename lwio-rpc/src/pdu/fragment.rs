//! Fragmentation of calls (C706 12.4.6 "Fragmentation and Reassembly", MS-RPCE 3.3.1.5.5
//! and 3.3.2.5.5).
//!
//! [`fragment_response`] splits a response stub into response PDUs no larger than the
//! negotiated `max_xmit_frag`, with FIRST/LAST flags and `alloc_hint` set to the bytes still
//! to come. [`Reassembler`] collects the request fragments of one call (same `call_id`,
//! FIRST through LAST) up to a bound, and hands back the whole stub.

use super::{HEADER_LEN, Pdu, PduBody, PfcFlags, Request, Response};
use crate::{RpcError, Uuid};

/// Bytes of a response PDU before its stub: the common header and 8 bytes of body.
const RESPONSE_OVERHEAD: usize = HEADER_LEN + 8;

/// The default bound on a reassembled request stub: 4 MiB.
pub const DEFAULT_REASSEMBLY_LIMIT: usize = 4 * 1024 * 1024;

/// Splits `stub` into response PDUs for call `call_id` on context `context_id`, none longer
/// than `max_xmit_frag` bytes. Each fragment carries a multiple of 8 stub bytes (but the
/// last), so the NDR alignment of the stub is kept within each fragment too. An empty stub
/// gives one FIRST|LAST fragment.
///
/// Errors: `max_xmit_frag` too small to carry 8 bytes of stub.
pub fn fragment_response(
    call_id: u32,
    context_id: u16,
    stub: &[u8],
    max_xmit_frag: u16,
) -> Result<Vec<Pdu>, RpcError> {
    let room = usize::from(max_xmit_frag).saturating_sub(RESPONSE_OVERHEAD) & !7;
    if room == 0 {
        return Err(RpcError::SizeOutOfRange(usize::from(max_xmit_frag)));
    }
    let mut out = Vec::with_capacity(stub.len() / room + 1);
    let mut offset = 0;
    loop {
        let end = (offset + room).min(stub.len());
        let mut flags = PfcFlags::NONE;
        if offset == 0 {
            flags = flags.with(PfcFlags::FIRST_FRAG);
        }
        if end == stub.len() {
            flags = flags.with(PfcFlags::LAST_FRAG);
        }
        let remaining = stub.len() - offset;
        out.push(Pdu::new(
            call_id,
            flags,
            PduBody::Response(Response {
                alloc_hint: u32::try_from(remaining).unwrap_or(u32::MAX),
                context_id,
                cancel_count: 0,
                stub: stub[offset..end].to_vec(),
            }),
        ));
        offset = end;
        if offset >= stub.len() {
            return Ok(out);
        }
    }
}

/// A whole request, reassembled from its fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteRequest {
    /// `call_id`.
    pub call_id: u32,
    /// The flags of the first fragment.
    pub flags: PfcFlags,
    /// `p_cont_id`.
    pub context_id: u16,
    /// `opnum`.
    pub opnum: u16,
    /// The object UUID, if the first fragment had one.
    pub object: Option<Uuid>,
    /// The whole stub.
    pub stub: Vec<u8>,
}

/// Collects the request fragments of one call at a time.
///
/// Rules (C706 12.4.6): the first fragment has `PFC_FIRST_FRAG`; the following ones have
/// the same `call_id`, `p_cont_id` and `opnum` and no FIRST flag; `PFC_LAST_FRAG` completes
/// the call. The stub may not grow past the limit. Any violation is an error, after which
/// the partial call is dropped. `alloc_hint` is never used to size a buffer.
#[derive(Debug)]
pub struct Reassembler {
    limit: usize,
    partial: Option<CompleteRequest>,
}

impl Default for Reassembler {
    fn default() -> Reassembler {
        Reassembler::new(DEFAULT_REASSEMBLY_LIMIT)
    }
}

impl Reassembler {
    /// A reassembler that refuses stubs longer than `limit` bytes.
    pub fn new(limit: usize) -> Reassembler {
        Reassembler {
            limit,
            partial: None,
        }
    }

    /// The `call_id` being reassembled, if a call is in progress.
    pub fn in_progress(&self) -> Option<u32> {
        self.partial.as_ref().map(|p| p.call_id)
    }

    /// Drops any partial call.
    pub fn reset(&mut self) {
        self.partial = None;
    }

    /// Adds one request fragment. Returns the whole request when this was the last one.
    ///
    /// Errors: a PDU that is not a request ([`RpcError::FragmentSequence`]), a fragment out
    /// of sequence, or a stub over the limit ([`RpcError::TooLarge`]).
    pub fn push(&mut self, pdu: Pdu) -> Result<Option<CompleteRequest>, RpcError> {
        let PduBody::Request(req) = pdu.body else {
            self.partial = None;
            return Err(RpcError::FragmentSequence("not a request"));
        };
        let result = self.push_request(pdu.call_id, pdu.flags, req);
        if result.is_err() {
            self.partial = None;
        }
        result
    }

    fn push_request(
        &mut self,
        call_id: u32,
        flags: PfcFlags,
        req: Request,
    ) -> Result<Option<CompleteRequest>, RpcError> {
        let first = flags.contains(PfcFlags::FIRST_FRAG);
        let last = flags.contains(PfcFlags::LAST_FRAG);
        if req.stub.len() > self.limit {
            return Err(RpcError::TooLarge { limit: self.limit });
        }
        match self.partial.take() {
            None => {
                if !first {
                    return Err(RpcError::FragmentSequence("first fragment without FIRST"));
                }
                let whole = CompleteRequest {
                    call_id,
                    flags,
                    context_id: req.context_id,
                    opnum: req.opnum,
                    object: req.object,
                    stub: req.stub,
                };
                if last {
                    Ok(Some(whole))
                } else {
                    self.partial = Some(whole);
                    Ok(None)
                }
            }
            Some(mut partial) => {
                if first {
                    return Err(RpcError::FragmentSequence("FIRST inside a call"));
                }
                if call_id != partial.call_id {
                    return Err(RpcError::FragmentSequence("call_id changed"));
                }
                if req.context_id != partial.context_id || req.opnum != partial.opnum {
                    return Err(RpcError::FragmentSequence("context or opnum changed"));
                }
                if partial.stub.len() + req.stub.len() > self.limit {
                    return Err(RpcError::TooLarge { limit: self.limit });
                }
                partial.stub.extend_from_slice(&req.stub);
                if last {
                    Ok(Some(partial))
                } else {
                    self.partial = Some(partial);
                    Ok(None)
                }
            }
        }
    }
}
