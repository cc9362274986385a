//! Call PDUs: request (C706 12.6.4.9), response (C706 12.6.4.10) and fault (C706 12.6.4.7,
//! MS-RPCE 2.2.2.8).
//!
//! ```text
//! request:  alloc_hint(4) p_cont_id(2) opnum(2) [object(16) if PFC_OBJECT_UUID] stub...
//! response: alloc_hint(4) p_cont_id(2) cancel_count(1) reserved(1) stub...
//! fault:    alloc_hint(4) p_cont_id(2) cancel_count(1) reserved(1) status(4) reserved2(4)
//!           [extended error information...]
//! ```

use bytes::BufMut;

use super::codec::{Reader, uuid};
use crate::RpcError;
use crate::Uuid;

/// The body of a request PDU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// `alloc_hint`: the sender's estimate of the whole stub's size (0 if unknown). Only a
    /// hint: never trusted for allocation.
    pub alloc_hint: u32,
    /// `p_cont_id`: the presentation context of the call.
    pub context_id: u16,
    /// `opnum`: the operation within the interface.
    pub opnum: u16,
    /// The object UUID; present exactly when `PFC_OBJECT_UUID` is set (the encoder sets
    /// or clears the flag from this field).
    pub object: Option<Uuid>,
    /// This fragment's stub data (auth padding excluded).
    pub stub: Vec<u8>,
}

/// The body of a response PDU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// `alloc_hint`: bytes of stub data from this fragment to the end of the response.
    pub alloc_hint: u32,
    /// `p_cont_id`.
    pub context_id: u16,
    /// `cancel_count`.
    pub cancel_count: u8,
    /// This fragment's stub data (auth padding excluded).
    pub stub: Vec<u8>,
}

open_enum! {
    /// The `status` of a fault PDU: an NCA status (C706 appendix E) or a Win32 error
    /// (MS-RPCE 3.3.3.5 lists the ones a server does not send).
    pub struct FaultStatus(u32) {
        /// `ERROR_ACCESS_DENIED` (5).
        ACCESS_DENIED = 0x0000_0005,
        /// `RPC_X_BAD_STUB_DATA` / `nca_s_fault_ndr` (1783): stub data did not unmarshal.
        BAD_STUB_DATA = 0x0000_06F7,
        /// `RPC_S_SEC_PKG_ERROR` (1825): the security package refused a verifier.
        SEC_PKG_ERROR = 0x0000_0721,
        /// `nca_s_fault_context_mismatch`: an unknown context handle.
        CONTEXT_MISMATCH = 0x1C00_001A,
        /// `nca_s_op_rng_error`: opnum out of range.
        OP_RNG_ERROR = 0x1C01_0002,
        /// `nca_s_unk_if`: unknown interface (or presentation context).
        UNK_IF = 0x1C01_0003,
        /// `nca_s_proto_error`: protocol error.
        PROTO_ERROR = 0x1C01_000B,
        /// `nca_s_server_too_busy`.
        SERVER_TOO_BUSY = 0x1C01_0014,
        /// `nca_s_unsupported_type`.
        UNSUPPORTED_TYPE = 0x1C01_0017,
    }
}

/// The body of a fault PDU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// `alloc_hint`.
    pub alloc_hint: u32,
    /// `p_cont_id`.
    pub context_id: u16,
    /// `cancel_count`.
    pub cancel_count: u8,
    /// The reserved octet; bit 0 flags extended error information in `stub`
    /// (MS-RPCE 2.2.2.8, [`Fault::EXTENDED_ERROR_PRESENT`]).
    pub flags: u8,
    /// `status`.
    pub status: FaultStatus,
    /// Bytes after `reserved2`: extended error information when flagged, otherwise empty
    /// (servers of these extensions send none).
    pub stub: Vec<u8>,
}

impl Fault {
    /// The `flags` bit that says extended error information follows (MS-RPCE 2.2.2.8).
    pub const EXTENDED_ERROR_PRESENT: u8 = 0x01;

    /// A fault with `status` for context `context_id`.
    pub fn new(context_id: u16, status: FaultStatus) -> Fault {
        Fault {
            context_id,
            status,
            ..Fault::default()
        }
    }
}

pub(crate) fn parse_request(r: &mut Reader<'_>, has_object: bool) -> Result<Request, RpcError> {
    let alloc_hint = r.u32()?;
    let context_id = r.u16()?;
    let opnum = r.u16()?;
    let object = if has_object { Some(uuid(r)?) } else { None };
    Ok(Request {
        alloc_hint,
        context_id,
        opnum,
        object,
        stub: r.rest().to_vec(),
    })
}

pub(crate) fn encode_request(r: &Request, out: &mut Vec<u8>) {
    out.put_u32_le(r.alloc_hint);
    out.put_u16_le(r.context_id);
    out.put_u16_le(r.opnum);
    if let Some(u) = &r.object {
        u.encode_into(out);
    }
    out.put_slice(&r.stub);
}

pub(crate) fn parse_response(r: &mut Reader<'_>) -> Result<Response, RpcError> {
    let alloc_hint = r.u32()?;
    let context_id = r.u16()?;
    let cancel_count = r.u8()?;
    r.skip(1)?;
    Ok(Response {
        alloc_hint,
        context_id,
        cancel_count,
        stub: r.rest().to_vec(),
    })
}

pub(crate) fn encode_response(r: &Response, out: &mut Vec<u8>) {
    out.put_u32_le(r.alloc_hint);
    out.put_u16_le(r.context_id);
    out.put_u8(r.cancel_count);
    out.put_u8(0);
    out.put_slice(&r.stub);
}

pub(crate) fn parse_fault(r: &mut Reader<'_>) -> Result<Fault, RpcError> {
    let alloc_hint = r.u32()?;
    let context_id = r.u16()?;
    let cancel_count = r.u8()?;
    let flags = r.u8()?;
    let status = r.u32()?;
    r.skip(4)?;
    Ok(Fault {
        alloc_hint,
        context_id,
        cancel_count,
        flags,
        status: FaultStatus(status),
        stub: r.rest().to_vec(),
    })
}

pub(crate) fn encode_fault(f: &Fault, out: &mut Vec<u8>) {
    out.put_u32_le(f.alloc_hint);
    out.put_u16_le(f.context_id);
    out.put_u8(f.cancel_count);
    out.put_u8(f.flags);
    out.put_u32_le(f.status.0);
    out.put_u32_le(0);
    out.put_slice(&f.stub);
}
