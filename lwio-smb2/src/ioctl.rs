//! SMB2 IOCTL request and response (MS-SMB2 2.2.31, 2.2.32) and the typed payloads the
//! SMB2 server handles itself: VALIDATE_NEGOTIATE_INFO (2.2.31.4, 2.2.32.6),
//! NETWORK_INTERFACE_INFO (2.2.32.5), SRV_REQUEST_RESUME_KEY (2.2.32.3), SRV_COPYCHUNK_COPY
//! (2.2.31.1, 2.2.32.1) and the DFS referral request (MS-DFSC 2.2.2, 2.2.3).
//!
//! The payloads are not SMB2 messages: each decodes from, and encodes to, the bare input or
//! output buffer of the IOCTL.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader, align8, to_utf16le, utf16le};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, fixed_end, open_flags};
use crate::negotiate::{Capabilities, Dialect, SecurityMode};
use crate::read::len_u32;

/// An IOCTL/FSCTL control code (MS-SMB2 2.2.31 CtlCode; MS-FSCC 2.3): the family's one
/// [`lwio_types::CtlCode`], with the short names the server dispatches on
/// (`CtlCode::VALIDATE_NEGOTIATE_INFO`) beside the `FSCTL_` ones.
pub use lwio_types::CtlCode;

open_flags! {
    /// The Flags of an IOCTL request or response (MS-SMB2 2.2.31).
    pub struct IoctlFlags(u32) {
        /// SMB2_0_IOCTL_IS_FSCTL: a file system control (otherwise a device IOCTL).
        const IS_FSCTL = 0x0000_0001;
    }
}

/// StructureSize of an IOCTL request.
pub const IOCTL_REQUEST_SIZE: u16 = 57;
/// StructureSize of an IOCTL response.
pub const IOCTL_RESPONSE_SIZE: u16 = 49;

/// Reads one Offset/Count pair's buffer and widens `end` to cover it.
fn buffer<'a>(
    c: &Reader<'a>,
    offset: u32,
    count: u32,
    fixed: usize,
    end: &mut usize,
) -> Result<&'a [u8], DecodeError> {
    let (offset, count) = (offset as usize, count as usize);
    let b = c.buffer_at(offset, count, fixed)?;
    if !b.is_empty() {
        *end = (*end).max(offset + count);
    }
    Ok(b)
}

/// Places the input buffer right after the fixed part (which ends at `fixed_end`, from
/// the header start) and the output buffer at the next 8-byte boundary after the input;
/// returns (input offset, output offset).
fn layout(fixed_end: usize, input: usize) -> (usize, usize) {
    let output_offset = if input == 0 {
        fixed_end
    } else {
        align8(fixed_end + input)
    };
    (fixed_end, output_offset)
}

/// Appends the input and output buffers at the offsets [`layout`] chose (or the odd byte
/// of the StructureSize when both are empty).
fn put_buffers(out: &mut Vec<u8>, output_offset: usize, input: &[u8], output: &[u8]) {
    out.put_slice(input);
    if output.is_empty() {
        if input.is_empty() {
            out.put_u8(0);
        }
        return;
    }
    let pad = output_offset.saturating_sub(out.len());
    out.put_bytes(0, pad);
    out.put_slice(output);
}

/// An SMB2 IOCTL request (MS-SMB2 2.2.31).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IoctlRequest {
    /// The control code.
    pub ctl_code: CtlCode,
    /// The open (all 0xFF for controls that need none, such as VALIDATE_NEGOTIATE_INFO).
    pub file_id: FileId,
    /// The input buffer.
    pub input: Vec<u8>,
    /// The largest input buffer the response may carry.
    pub max_input_response: u32,
    /// The output buffer of the request (normally empty).
    pub output: Vec<u8>,
    /// The largest output buffer the response may carry.
    pub max_output_response: u32,
    /// Flags.
    pub flags: IoctlFlags,
}

impl IoctlRequest {
    /// Decodes an IOCTL request from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(IOCTL_REQUEST_SIZE)?;
        c.skip(2)?; // Reserved
        let ctl_code = CtlCode(c.u32()?);
        let file_id = FileId::read(&mut c)?;
        let input_offset = c.u32()?;
        let input_count = c.u32()?;
        let max_input_response = c.u32()?;
        let output_offset = c.u32()?;
        let output_count = c.u32()?;
        let max_output_response = c.u32()?;
        let flags = IoctlFlags(c.u32()?);
        c.skip(4)?; // Reserved2
        let fixed = c.position();
        let mut end = fixed_end(msg, IOCTL_REQUEST_SIZE);
        let input = buffer(&c, input_offset, input_count, fixed, &mut end)?;
        let output = buffer(&c, output_offset, output_count, fixed, &mut end)?;
        check_end(msg, end)?;
        Ok(IoctlRequest {
            ctl_code,
            file_id,
            input: input.to_vec(),
            max_input_response,
            output: output.to_vec(),
            max_output_response,
            flags,
        })
    }

    /// Appends the body; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (input_offset, output_offset) = layout(out.len() + 56, self.input.len());
        out.put_u16_le(IOCTL_REQUEST_SIZE);
        out.put_u16_le(0);
        out.put_u32_le(self.ctl_code.0);
        self.file_id.write(out);
        out.put_u32_le(len_u32(input_offset));
        out.put_u32_le(len_u32(self.input.len()));
        out.put_u32_le(self.max_input_response);
        out.put_u32_le(len_u32(output_offset));
        out.put_u32_le(len_u32(self.output.len()));
        out.put_u32_le(self.max_output_response);
        out.put_u32_le(self.flags.0);
        out.put_u32_le(0);
        put_buffers(out, output_offset, &self.input, &self.output);
    }
}

/// An SMB2 IOCTL response (MS-SMB2 2.2.32).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IoctlResponse {
    /// The control code of the request.
    pub ctl_code: CtlCode,
    /// The open of the request.
    pub file_id: FileId,
    /// The input buffer returned (normally empty).
    pub input: Vec<u8>,
    /// The output buffer.
    pub output: Vec<u8>,
    /// Flags (reserved, 0).
    pub flags: u32,
}

impl IoctlResponse {
    /// Decodes an IOCTL response from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(IOCTL_RESPONSE_SIZE)?;
        c.skip(2)?; // Reserved
        let ctl_code = CtlCode(c.u32()?);
        let file_id = FileId::read(&mut c)?;
        let input_offset = c.u32()?;
        let input_count = c.u32()?;
        let output_offset = c.u32()?;
        let output_count = c.u32()?;
        let flags = c.u32()?;
        c.skip(4)?; // Reserved2
        let fixed = c.position();
        let mut end = fixed_end(msg, IOCTL_RESPONSE_SIZE);
        let input = buffer(&c, input_offset, input_count, fixed, &mut end)?;
        let output = buffer(&c, output_offset, output_count, fixed, &mut end)?;
        check_end(msg, end)?;
        Ok(IoctlResponse {
            ctl_code,
            file_id,
            input: input.to_vec(),
            output: output.to_vec(),
            flags,
        })
    }

    /// Appends the body; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (input_offset, output_offset) = layout(out.len() + 48, self.input.len());
        out.put_u16_le(IOCTL_RESPONSE_SIZE);
        out.put_u16_le(0);
        out.put_u32_le(self.ctl_code.0);
        self.file_id.write(out);
        out.put_u32_le(len_u32(input_offset));
        out.put_u32_le(len_u32(self.input.len()));
        out.put_u32_le(len_u32(output_offset));
        out.put_u32_le(len_u32(self.output.len()));
        out.put_u32_le(self.flags);
        out.put_u32_le(0);
        put_buffers(out, output_offset, &self.input, &self.output);
    }
}

/// Rejects bytes left over after a payload.
fn finish(c: &Reader<'_>) -> Result<(), DecodeError> {
    if c.position() != c.input().len() {
        return Err(DecodeError::Invalid(
            "trailing bytes after the IOCTL payload",
        ));
    }
    Ok(())
}

/// The VALIDATE_NEGOTIATE_INFO request (MS-SMB2 2.2.31.4): what the client sent in its
/// NEGOTIATE, for the server to compare with what it received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidateNegotiateInfoRequest {
    /// The client's Capabilities.
    pub capabilities: Capabilities,
    /// The client's ClientGuid.
    pub guid: [u8; 16],
    /// The client's SecurityMode.
    pub security_mode: SecurityMode,
    /// The dialects the client offered.
    pub dialects: Vec<Dialect>,
}

impl ValidateNegotiateInfoRequest {
    /// Decodes the IOCTL input buffer.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(buf, 0);
        let capabilities = Capabilities(c.u32()?);
        let guid = c.array()?;
        let security_mode = SecurityMode(c.u16()?);
        let count = usize::from(c.u16()?);
        let raw = c.take(count * 2)?;
        finish(&c)?;
        let dialects = raw
            .chunks_exact(2)
            .map(|d| Dialect(u16::from_le_bytes([d[0], d[1]])))
            .collect();
        Ok(ValidateNegotiateInfoRequest {
            capabilities,
            guid,
            security_mode,
            dialects,
        })
    }

    /// Appends the input buffer.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.capabilities.0);
        out.put_slice(&self.guid);
        out.put_u16_le(self.security_mode.0);
        debug_assert!(self.dialects.len() <= usize::from(u16::MAX));
        out.put_u16_le(self.dialects.len() as u16);
        for d in &self.dialects {
            out.put_u16_le(d.0);
        }
    }
}

/// The VALIDATE_NEGOTIATE_INFO response (MS-SMB2 2.2.32.6): what the server negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ValidateNegotiateInfoResponse {
    /// The server's Capabilities.
    pub capabilities: Capabilities,
    /// The server's ServerGuid.
    pub guid: [u8; 16],
    /// The server's SecurityMode.
    pub security_mode: SecurityMode,
    /// The dialect in use.
    pub dialect: Dialect,
}

impl ValidateNegotiateInfoResponse {
    /// Bytes of the encoded payload.
    pub const LEN: usize = 24;

    /// Decodes the IOCTL output buffer.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(buf, 0);
        let v = ValidateNegotiateInfoResponse {
            capabilities: Capabilities(c.u32()?),
            guid: c.array()?,
            security_mode: SecurityMode(c.u16()?),
            dialect: Dialect(c.u16()?),
        };
        finish(&c)?;
        Ok(v)
    }

    /// Appends the output buffer.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.capabilities.0);
        out.put_slice(&self.guid);
        out.put_u16_le(self.security_mode.0);
        out.put_u16_le(self.dialect.0);
    }
}

open_flags! {
    /// The Capability of a network interface (MS-SMB2 2.2.32.5).
    pub struct InterfaceCapability(u32) {
        /// RSS_CAPABLE.
        const RSS = 0x0000_0001;
        /// RDMA_CAPABLE.
        const RDMA = 0x0000_0002;
    }
}

/// The address family of an IPv4 SOCKADDR_STORAGE (InterNetwork).
pub const AF_INET: u16 = 0x0002;
/// The address family of an IPv6 SOCKADDR_STORAGE (InterNetworkV6).
pub const AF_INET6: u16 = 0x0017;
/// Bytes of a SOCKADDR_STORAGE (MS-SMB2 2.2.32.5.1).
pub const SOCKADDR_STORAGE_LEN: usize = 128;
/// Bytes of one NETWORK_INTERFACE_INFO entry.
pub const NETWORK_INTERFACE_INFO_LEN: usize = 24 + SOCKADDR_STORAGE_LEN;

/// The address of a network interface (SOCKADDR_STORAGE, MS-SMB2 2.2.32.5.1). The port is
/// always 0 on the wire and is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceAddress {
    /// SOCKADDR_IN (2.2.32.5.1.1).
    V4(Ipv4Addr),
    /// SOCKADDR_IN6 (2.2.32.5.1.2).
    V6 {
        /// The address.
        addr: Ipv6Addr,
        /// FlowInfo (0).
        flow_info: u32,
        /// ScopeId (0).
        scope_id: u32,
    },
    /// Another family, kept as its 126 bytes after the family.
    Other {
        /// The family.
        family: u16,
        /// The rest of the storage.
        bytes: Vec<u8>,
    },
}

/// One NETWORK_INTERFACE_INFO entry (MS-SMB2 2.2.32.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInterfaceInfo {
    /// IfIndex.
    pub if_index: u32,
    /// Capability.
    pub capability: InterfaceCapability,
    /// LinkSpeed in bits per second.
    pub link_speed: u64,
    /// The address.
    pub address: InterfaceAddress,
}

impl NetworkInterfaceInfo {
    /// Decodes the chain of entries of a FSCTL_QUERY_NETWORK_INTERFACE_INFO output. Each
    /// Next must move forward by at least one entry and stay 8-aligned, so the number of
    /// entries is bounded by the buffer size.
    pub fn decode_list(buf: &[u8]) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::new();
        let mut at = 0usize;
        loop {
            let entry = buf
                .get(at..)
                .and_then(|b| b.get(..NETWORK_INTERFACE_INFO_LEN))
                .ok_or(DecodeError::Truncated(at))?;
            let mut c = Reader::at(entry, 0);
            let next = c.u32()? as usize;
            let if_index = c.u32()?;
            let capability = InterfaceCapability(c.u32()?);
            c.skip(4)?; // Reserved
            let link_speed = c.u64()?;
            let family = c.u16()?;
            let address = match family {
                AF_INET => {
                    c.skip(2)?; // Port
                    let a: [u8; 4] = c.array()?;
                    InterfaceAddress::V4(Ipv4Addr::from(a))
                }
                AF_INET6 => {
                    c.skip(2)?; // Port
                    let flow_info = c.u32()?;
                    let a: [u8; 16] = c.array()?;
                    let scope_id = c.u32()?;
                    InterfaceAddress::V6 {
                        addr: Ipv6Addr::from(a),
                        flow_info,
                        scope_id,
                    }
                }
                _ => InterfaceAddress::Other {
                    family,
                    bytes: c.take(SOCKADDR_STORAGE_LEN - 2)?.to_vec(),
                },
            };
            out.push(NetworkInterfaceInfo {
                if_index,
                capability,
                link_speed,
                address,
            });
            if next == 0 {
                if at + NETWORK_INTERFACE_INFO_LEN != buf.len() {
                    return Err(DecodeError::Invalid(
                        "trailing bytes after the last interface",
                    ));
                }
                return Ok(out);
            }
            if next < NETWORK_INTERFACE_INFO_LEN || next % 8 != 0 {
                return Err(DecodeError::Invalid("NETWORK_INTERFACE_INFO Next"));
            }
            at = at.checked_add(next).ok_or(DecodeError::Truncated(at))?;
        }
    }

    /// Appends `list` as a chain of entries (each 152 bytes, Next 0 on the last).
    pub fn encode_list(list: &[Self], out: &mut Vec<u8>) {
        for (i, e) in list.iter().enumerate() {
            let last = i + 1 == list.len();
            let start = out.len();
            out.put_u32_le(if last {
                0
            } else {
                NETWORK_INTERFACE_INFO_LEN as u32
            });
            out.put_u32_le(e.if_index);
            out.put_u32_le(e.capability.0);
            out.put_u32_le(0);
            out.put_u64_le(e.link_speed);
            match &e.address {
                InterfaceAddress::V4(a) => {
                    out.put_u16_le(AF_INET);
                    out.put_u16_le(0);
                    out.put_slice(&a.octets());
                }
                InterfaceAddress::V6 {
                    addr,
                    flow_info,
                    scope_id,
                } => {
                    out.put_u16_le(AF_INET6);
                    out.put_u16_le(0);
                    out.put_u32_le(*flow_info);
                    out.put_slice(&addr.octets());
                    out.put_u32_le(*scope_id);
                }
                InterfaceAddress::Other { family, bytes } => {
                    out.put_u16_le(*family);
                    let n = bytes.len().min(SOCKADDR_STORAGE_LEN - 2);
                    out.put_slice(&bytes[..n]);
                }
            }
            out.resize(start + NETWORK_INTERFACE_INFO_LEN, 0);
        }
    }
}

/// The SRV_REQUEST_RESUME_KEY response (MS-SMB2 2.2.32.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResumeKeyResponse {
    /// The key naming the source file of a server-side copy.
    pub resume_key: [u8; 24],
    /// The Context (servers send none).
    pub context: Vec<u8>,
}

impl ResumeKeyResponse {
    /// Decodes the IOCTL output buffer.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(buf, 0);
        let resume_key = c.array()?;
        let len = c.u32()? as usize;
        let context = c.take(len)?.to_vec();
        finish(&c)?;
        Ok(ResumeKeyResponse {
            resume_key,
            context,
        })
    }

    /// Appends the output buffer.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_slice(&self.resume_key);
        out.put_u32_le(len_u32(self.context.len()));
        out.put_slice(&self.context);
    }
}

/// Bytes of one SRV_COPYCHUNK.
pub const COPYCHUNK_LEN: usize = 24;
/// Windows' limit on chunks per request (ServerSideCopyMaxNumberofChunks, 3.3.3).
pub const COPYCHUNK_MAX_CHUNKS: u32 = 256;
/// Windows' limit on bytes per chunk (ServerSideCopyMaxChunkSize).
pub const COPYCHUNK_MAX_CHUNK_SIZE: u32 = 1024 * 1024;
/// Windows' limit on bytes per request (ServerSideCopyMaxDataSize).
pub const COPYCHUNK_MAX_DATA_SIZE: u32 = 16 * 1024 * 1024;

/// One SRV_COPYCHUNK (MS-SMB2 2.2.31.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyChunk {
    /// Where to read in the source.
    pub source_offset: u64,
    /// Where to write in the target.
    pub target_offset: u64,
    /// How many bytes.
    pub length: u32,
}

/// The SRV_COPYCHUNK_COPY request (MS-SMB2 2.2.31.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyChunkCopy {
    /// The resume key of the source file.
    pub source_key: [u8; 24],
    /// The chunks to copy.
    pub chunks: Vec<CopyChunk>,
}

impl CopyChunkCopy {
    /// Decodes the IOCTL input buffer. ChunkCount is checked against the bytes present
    /// before anything is allocated; the server's own limits (see
    /// [`COPYCHUNK_MAX_CHUNKS`]) are its business, answered with a [`CopyChunkResponse`].
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(buf, 0);
        let source_key = c.array()?;
        let count = c.u32()? as usize;
        c.skip(4)?; // Reserved
        let available = buf.len().saturating_sub(c.position()) / COPYCHUNK_LEN;
        if count > available {
            return Err(DecodeError::BadBuffer {
                offset: c.position(),
                length: count.saturating_mul(COPYCHUNK_LEN),
            });
        }
        let mut chunks = Vec::with_capacity(count);
        for _ in 0..count {
            let source_offset = c.u64()?;
            let target_offset = c.u64()?;
            let length = c.u32()?;
            c.skip(4)?; // Reserved
            chunks.push(CopyChunk {
                source_offset,
                target_offset,
                length,
            });
        }
        finish(&c)?;
        Ok(CopyChunkCopy { source_key, chunks })
    }

    /// Appends the input buffer.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_slice(&self.source_key);
        out.put_u32_le(len_u32(self.chunks.len()));
        out.put_u32_le(0);
        for ch in &self.chunks {
            out.put_u64_le(ch.source_offset);
            out.put_u64_le(ch.target_offset);
            out.put_u32_le(ch.length);
            out.put_u32_le(0);
        }
    }
}

/// The SRV_COPYCHUNK_RESPONSE (MS-SMB2 2.2.32.1). On STATUS_INVALID_PARAMETER the three
/// fields carry the server's limits instead (max chunks, max chunk size, max total size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyChunkResponse {
    /// ChunksWritten.
    pub chunks_written: u32,
    /// ChunkBytesWritten.
    pub chunk_bytes_written: u32,
    /// TotalBytesWritten.
    pub total_bytes_written: u32,
}

impl CopyChunkResponse {
    /// Decodes the IOCTL output buffer.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(buf, 0);
        let v = CopyChunkResponse {
            chunks_written: c.u32()?,
            chunk_bytes_written: c.u32()?,
            total_bytes_written: c.u32()?,
        };
        finish(&c)?;
        Ok(v)
    }

    /// Appends the output buffer.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.chunks_written);
        out.put_u32_le(self.chunk_bytes_written);
        out.put_u32_le(self.total_bytes_written);
    }
}

/// A DFS referral request: REQ_GET_DFS_REFERRAL (MS-DFSC 2.2.2), or the name part of
/// REQ_GET_DFS_REFERRAL_EX (MS-DFSC 2.2.3). Only what a server needs to answer "not found".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DfsReferralRequest {
    /// MaxReferralLevel.
    pub max_referral_level: u16,
    /// RequestFileName, without its terminating null.
    pub file_name: String,
}

impl DfsReferralRequest {
    /// Decodes the input of FSCTL_DFS_GET_REFERRALS: the level and a null-terminated
    /// UTF-16 name (a missing terminator is tolerated; bytes after it are not).
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(buf, 0);
        let max_referral_level = c.u16()?;
        let rest = buf.get(c.position()..).unwrap_or(&[]);
        let mut name = rest;
        for (i, unit) in rest.chunks(2).enumerate() {
            if unit == [0, 0] {
                name = &rest[..i * 2];
                if rest.len() != i * 2 + 2 {
                    return Err(DecodeError::Invalid("bytes after the DFS name"));
                }
                break;
            }
        }
        Ok(DfsReferralRequest {
            max_referral_level,
            file_name: utf16le(name)?,
        })
    }

    /// Decodes the input of FSCTL_DFS_GET_REFERRALS_EX (MS-DFSC 2.2.3): level,
    /// RequestFlags, RequestDataLength, then the name with its length (the site name
    /// that may follow is skipped).
    pub fn decode_ex(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(buf, 0);
        let max_referral_level = c.u16()?;
        c.skip(2)?; // RequestFlags
        let data_len = c.u32()? as usize;
        let data = c.take(data_len)?;
        finish(&c)?;
        let mut d = Reader::at(data, 0);
        let name_len = usize::from(d.u16()?);
        let mut name = d.take(name_len)?;
        if name.ends_with(&[0, 0]) {
            name = &name[..name.len() - 2];
        }
        Ok(DfsReferralRequest {
            max_referral_level,
            file_name: utf16le(name)?,
        })
    }

    /// Appends the FSCTL_DFS_GET_REFERRALS input (name null-terminated).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(self.max_referral_level);
        out.put_slice(&to_utf16le(&self.file_name));
        out.put_u16_le(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let r = IoctlRequest {
            ctl_code: CtlCode::VALIDATE_NEGOTIATE_INFO,
            file_id: FileId {
                persistent: u64::MAX,
                volatile: u64::MAX,
            },
            input: vec![1, 2, 3],
            max_input_response: 0,
            output: vec![4, 5],
            max_output_response: 24,
            flags: IoctlFlags::IS_FSCTL,
        };
        let mut msg = vec![0u8; HEADER_LEN];
        r.encode(&mut msg);
        assert_eq!(
            &msg[HEADER_LEN + 24..HEADER_LEN + 28],
            &120u32.to_le_bytes()
        );
        assert_eq!(
            &msg[HEADER_LEN + 36..HEADER_LEN + 40],
            &128u32.to_le_bytes()
        );
        assert_eq!(IoctlRequest::decode(&msg).unwrap(), r);
    }

    #[test]
    fn interfaces_round_trip() {
        let list = vec![
            NetworkInterfaceInfo {
                if_index: 2,
                capability: InterfaceCapability::RSS,
                link_speed: 10_000_000_000,
                address: InterfaceAddress::V4(Ipv4Addr::new(192, 168, 1, 10)),
            },
            NetworkInterfaceInfo {
                if_index: 3,
                capability: InterfaceCapability::empty(),
                link_speed: 1_000_000_000,
                address: InterfaceAddress::V6 {
                    addr: Ipv6Addr::LOCALHOST,
                    flow_info: 0,
                    scope_id: 0,
                },
            },
        ];
        let mut buf = Vec::new();
        NetworkInterfaceInfo::encode_list(&list, &mut buf);
        assert_eq!(buf.len(), 2 * NETWORK_INTERFACE_INFO_LEN);
        assert_eq!(&buf[24..26], &[2, 0]);
        assert_eq!(&buf[28..32], &[192, 168, 1, 10]);
        assert_eq!(NetworkInterfaceInfo::decode_list(&buf).unwrap(), list);
        buf[0] = 8; // Next pointing into the first entry
        assert!(NetworkInterfaceInfo::decode_list(&buf).is_err());
    }

    #[test]
    fn copychunk_count_checked() {
        let req = CopyChunkCopy {
            source_key: [7; 24],
            chunks: vec![CopyChunk {
                source_offset: 0,
                target_offset: 4096,
                length: 4096,
            }],
        };
        let mut buf = Vec::new();
        req.encode(&mut buf);
        assert_eq!(CopyChunkCopy::decode(&buf).unwrap(), req);
        buf[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(CopyChunkCopy::decode(&buf).is_err());
    }

    #[test]
    fn dfs_request() {
        let r = DfsReferralRequest {
            max_referral_level: 4,
            file_name: "\\srv\\share".into(),
        };
        let mut buf = Vec::new();
        r.encode(&mut buf);
        assert_eq!(DfsReferralRequest::decode(&buf).unwrap(), r);
        buf.push(1);
        assert!(DfsReferralRequest::decode(&buf).is_err());
    }
}
