//! SMB2 NEGOTIATE Request and Response (MS-SMB2 2.2.3, 2.2.4) with the negotiate
//! contexts of SMB 3.1.1 (2.2.3.1, 2.2.4.1).
//!
//! The request's NegotiateContextOffset/Count and the response's NegotiateContextOffset
//! are only meaningful for SMB 3.1.1: contexts are decoded when the request's dialects
//! contain [`Dialect::SMB_3_1_1`] (otherwise those 8 bytes are ClientStartTime, ignored)
//! or the response's DialectRevision is 3.1.1, and encoded only in the same cases.

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader, align8, to_utf16le, utf16le};
use crate::header::{HEADER_LEN, check_end, open_enum, open_flags};

/// StructureSize of the request.
const REQUEST_SIZE: u16 = 36;
/// StructureSize of the response.
const RESPONSE_SIZE: u16 = 65;

open_enum! {
    /// An SMB2 dialect revision (MS-SMB2 2.2.3 Dialects, 2.2.4 DialectRevision).
    pub struct Dialect(u16) {
        /// SMB 2.0.2.
        const SMB_2_0_2 = 0x0202;
        /// SMB 2.1.
        const SMB_2_1 = 0x0210;
        /// SMB 3.0.
        const SMB_3_0 = 0x0300;
        /// SMB 3.0.2.
        const SMB_3_0_2 = 0x0302;
        /// SMB 3.1.1.
        const SMB_3_1_1 = 0x0311;
        /// The wildcard revision a server answers a multi-protocol negotiate with.
        const SMB_2_WILDCARD = 0x02FF;
    }
}

open_flags! {
    /// SecurityMode of NEGOTIATE and SESSION_SETUP (MS-SMB2 2.2.3, 2.2.5 uses the low byte).
    pub struct SecurityMode(u16) {
        /// SMB2_NEGOTIATE_SIGNING_ENABLED.
        const SIGNING_ENABLED = 0x0001;
        /// SMB2_NEGOTIATE_SIGNING_REQUIRED.
        const SIGNING_REQUIRED = 0x0002;
    }
}

open_flags! {
    /// Global capabilities (MS-SMB2 2.2.3 Capabilities).
    pub struct Capabilities(u32) {
        /// SMB2_GLOBAL_CAP_DFS.
        const DFS = 0x0000_0001;
        /// SMB2_GLOBAL_CAP_LEASING.
        const LEASING = 0x0000_0002;
        /// SMB2_GLOBAL_CAP_LARGE_MTU (multi-credit operations).
        const LARGE_MTU = 0x0000_0004;
        /// SMB2_GLOBAL_CAP_MULTI_CHANNEL.
        const MULTI_CHANNEL = 0x0000_0008;
        /// SMB2_GLOBAL_CAP_PERSISTENT_HANDLES.
        const PERSISTENT_HANDLES = 0x0000_0010;
        /// SMB2_GLOBAL_CAP_DIRECTORY_LEASING.
        const DIRECTORY_LEASING = 0x0000_0020;
        /// SMB2_GLOBAL_CAP_ENCRYPTION.
        const ENCRYPTION = 0x0000_0040;
        /// SMB2_GLOBAL_CAP_NOTIFICATIONS.
        const NOTIFICATIONS = 0x0000_0080;
    }
}

open_enum! {
    /// A negotiate context type (MS-SMB2 2.2.3.1 ContextType).
    pub struct NegotiateContextType(u16) {
        /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
        const PREAUTH_INTEGRITY_CAPABILITIES = 0x0001;
        /// SMB2_ENCRYPTION_CAPABILITIES.
        const ENCRYPTION_CAPABILITIES = 0x0002;
        /// SMB2_COMPRESSION_CAPABILITIES.
        const COMPRESSION_CAPABILITIES = 0x0003;
        /// SMB2_NETNAME_NEGOTIATE_CONTEXT_ID.
        const NETNAME_NEGOTIATE_CONTEXT_ID = 0x0005;
        /// SMB2_TRANSPORT_CAPABILITIES.
        const TRANSPORT_CAPABILITIES = 0x0006;
        /// SMB2_RDMA_TRANSFORM_CAPABILITIES.
        const RDMA_TRANSFORM_CAPABILITIES = 0x0007;
        /// SMB2_SIGNING_CAPABILITIES.
        const SIGNING_CAPABILITIES = 0x0008;
        /// SMB2_CONTEXTTYPE_RESERVED.
        const CONTEXTTYPE_RESERVED = 0x0100;
    }
}

open_enum! {
    /// A preauthentication integrity hash algorithm (2.2.3.1.1).
    pub struct HashAlgorithm(u16) {
        /// SHA-512.
        const SHA512 = 0x0001;
    }
}

open_enum! {
    /// An encryption cipher (2.2.3.1.2).
    pub struct Cipher(u16) {
        /// No common cipher (response only).
        const NONE = 0x0000;
        /// AES-128-CCM.
        const AES_128_CCM = 0x0001;
        /// AES-128-GCM.
        const AES_128_GCM = 0x0002;
        /// AES-256-CCM.
        const AES_256_CCM = 0x0003;
        /// AES-256-GCM.
        const AES_256_GCM = 0x0004;
    }
}

open_enum! {
    /// A compression algorithm (2.2.3.1.3).
    pub struct CompressionAlgorithm(u16) {
        /// NONE.
        const NONE = 0x0000;
        /// LZNT1.
        const LZNT1 = 0x0001;
        /// LZ77.
        const LZ77 = 0x0002;
        /// LZ77+Huffman.
        const LZ77_HUFFMAN = 0x0003;
        /// Pattern_V1.
        const PATTERN_V1 = 0x0004;
        /// LZ4.
        const LZ4 = 0x0005;
    }
}

open_flags! {
    /// Flags of COMPRESSION_CAPABILITIES (2.2.3.1.3).
    pub struct CompressionFlags(u32) {
        /// SMB2_COMPRESSION_CAPABILITIES_FLAG_CHAINED.
        const CHAINED = 0x0000_0001;
    }
}

open_flags! {
    /// Flags of TRANSPORT_CAPABILITIES (2.2.3.1.5).
    pub struct TransportFlags(u32) {
        /// SMB2_ACCEPT_TRANSPORT_LEVEL_SECURITY.
        const ACCEPT_TRANSPORT_LEVEL_SECURITY = 0x0000_0001;
    }
}

open_enum! {
    /// An RDMA transform id (2.2.3.1.6).
    pub struct RdmaTransformId(u16) {
        /// SMB2_RDMA_TRANSFORM_NONE.
        const NONE = 0x0000;
        /// SMB2_RDMA_TRANSFORM_ENCRYPTION.
        const ENCRYPTION = 0x0001;
        /// SMB2_RDMA_TRANSFORM_SIGNING.
        const SIGNING = 0x0002;
    }
}

open_enum! {
    /// A signing algorithm (2.2.3.1.7).
    pub struct SigningAlgorithm(u16) {
        /// HMAC-SHA256.
        const HMAC_SHA256 = 0x0000;
        /// AES-CMAC.
        const AES_CMAC = 0x0001;
        /// AES-GMAC.
        const AES_GMAC = 0x0002;
    }
}

/// SMB2_PREAUTH_INTEGRITY_CAPABILITIES data (2.2.3.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreauthIntegrity {
    /// HashAlgorithms.
    pub hash_algorithms: Vec<HashAlgorithm>,
    /// Salt.
    pub salt: Vec<u8>,
}

/// SMB2_COMPRESSION_CAPABILITIES data (2.2.3.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompressionCapabilities {
    /// Flags.
    pub flags: CompressionFlags,
    /// CompressionAlgorithms.
    pub algorithms: Vec<CompressionAlgorithm>,
}

/// One negotiate context (MS-SMB2 2.2.3.1). Unknown types are kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiateContext {
    /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
    PreauthIntegrity(PreauthIntegrity),
    /// SMB2_ENCRYPTION_CAPABILITIES: the ciphers.
    Encryption(Vec<Cipher>),
    /// SMB2_COMPRESSION_CAPABILITIES.
    Compression(CompressionCapabilities),
    /// SMB2_NETNAME_NEGOTIATE_CONTEXT_ID: the server name the client connects to.
    NetName(String),
    /// SMB2_TRANSPORT_CAPABILITIES.
    Transport(TransportFlags),
    /// SMB2_RDMA_TRANSFORM_CAPABILITIES: the transform ids.
    RdmaTransform(Vec<RdmaTransformId>),
    /// SMB2_SIGNING_CAPABILITIES: the signing algorithms.
    Signing(Vec<SigningAlgorithm>),
    /// Any other type, raw.
    Other {
        /// ContextType.
        context_type: NegotiateContextType,
        /// Data.
        data: Vec<u8>,
    },
}

/// Reads `count` u16 values from `c` (the bytes are taken before anything is allocated).
fn u16_list<T>(c: &mut Reader<'_>, count: usize, f: fn(u16) -> T) -> Result<Vec<T>, DecodeError> {
    let b = c.take(count.checked_mul(2).ok_or(DecodeError::Invalid("count"))?)?;
    Ok(b.chunks_exact(2)
        .map(|p| f(u16::from_le_bytes([p[0], p[1]])))
        .collect())
}

fn put_u16_list(out: &mut Vec<u8>, v: impl IntoIterator<Item = u16>) {
    for x in v {
        out.put_u16_le(x);
    }
}

impl NegotiateContext {
    /// The ContextType of this context.
    pub fn context_type(&self) -> NegotiateContextType {
        match self {
            Self::PreauthIntegrity(_) => NegotiateContextType::PREAUTH_INTEGRITY_CAPABILITIES,
            Self::Encryption(_) => NegotiateContextType::ENCRYPTION_CAPABILITIES,
            Self::Compression(_) => NegotiateContextType::COMPRESSION_CAPABILITIES,
            Self::NetName(_) => NegotiateContextType::NETNAME_NEGOTIATE_CONTEXT_ID,
            Self::Transport(_) => NegotiateContextType::TRANSPORT_CAPABILITIES,
            Self::RdmaTransform(_) => NegotiateContextType::RDMA_TRANSFORM_CAPABILITIES,
            Self::Signing(_) => NegotiateContextType::SIGNING_CAPABILITIES,
            Self::Other { context_type, .. } => *context_type,
        }
    }

    /// Decodes the Data of a context of type `t`; all of `data` must be used.
    pub fn decode_data(t: NegotiateContextType, data: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(data, 0);
        let v = match t {
            NegotiateContextType::PREAUTH_INTEGRITY_CAPABILITIES => {
                let n = usize::from(c.u16()?);
                let salt_len = usize::from(c.u16()?);
                let hash_algorithms = u16_list(&mut c, n, HashAlgorithm)?;
                let salt = c.take(salt_len)?.to_vec();
                Self::PreauthIntegrity(PreauthIntegrity {
                    hash_algorithms,
                    salt,
                })
            }
            NegotiateContextType::ENCRYPTION_CAPABILITIES => {
                let n = usize::from(c.u16()?);
                Self::Encryption(u16_list(&mut c, n, Cipher)?)
            }
            NegotiateContextType::COMPRESSION_CAPABILITIES => {
                let n = usize::from(c.u16()?);
                c.skip(2)?;
                let flags = CompressionFlags(c.u32()?);
                let algorithms = u16_list(&mut c, n, CompressionAlgorithm)?;
                Self::Compression(CompressionCapabilities { flags, algorithms })
            }
            NegotiateContextType::NETNAME_NEGOTIATE_CONTEXT_ID => {
                return Ok(Self::NetName(utf16le(data)?));
            }
            NegotiateContextType::TRANSPORT_CAPABILITIES => {
                Self::Transport(TransportFlags(c.u32()?))
            }
            NegotiateContextType::RDMA_TRANSFORM_CAPABILITIES => {
                let n = usize::from(c.u16()?);
                c.skip(6)?;
                Self::RdmaTransform(u16_list(&mut c, n, RdmaTransformId)?)
            }
            NegotiateContextType::SIGNING_CAPABILITIES => {
                let n = usize::from(c.u16()?);
                Self::Signing(u16_list(&mut c, n, SigningAlgorithm)?)
            }
            other => {
                return Ok(Self::Other {
                    context_type: other,
                    data: data.to_vec(),
                });
            }
        };
        if c.position() != data.len() {
            return Err(DecodeError::Invalid("bytes after negotiate context data"));
        }
        Ok(v)
    }

    /// Appends the Data of this context.
    pub fn encode_data(&self, out: &mut Vec<u8>) {
        match self {
            Self::PreauthIntegrity(p) => {
                out.put_u16_le(p.hash_algorithms.len() as u16);
                out.put_u16_le(p.salt.len() as u16);
                put_u16_list(out, p.hash_algorithms.iter().map(|h| h.0));
                out.put_slice(&p.salt);
            }
            Self::Encryption(v) => {
                out.put_u16_le(v.len() as u16);
                put_u16_list(out, v.iter().map(|x| x.0));
            }
            Self::Compression(cc) => {
                out.put_u16_le(cc.algorithms.len() as u16);
                out.put_u16_le(0);
                out.put_u32_le(cc.flags.0);
                put_u16_list(out, cc.algorithms.iter().map(|x| x.0));
            }
            Self::NetName(s) => out.put_slice(&to_utf16le(s)),
            Self::Transport(f) => out.put_u32_le(f.0),
            Self::RdmaTransform(v) => {
                out.put_u16_le(v.len() as u16);
                out.put_u16_le(0);
                out.put_u32_le(0);
                put_u16_list(out, v.iter().map(|x| x.0));
            }
            Self::Signing(v) => {
                out.put_u16_le(v.len() as u16);
                put_u16_list(out, v.iter().map(|x| x.0));
            }
            Self::Other { data, .. } => out.put_slice(data),
        }
    }
}

/// Decodes `count` contexts starting at `offset` (from the header start, 8-aligned, not
/// before `min`). Returns them and the end of the last one.
fn decode_contexts(
    msg: &[u8],
    offset: usize,
    count: usize,
    min: usize,
) -> Result<(Vec<NegotiateContext>, usize), DecodeError> {
    if offset % 8 != 0 || offset < min {
        return Err(DecodeError::BadBuffer { offset, length: 0 });
    }
    let mut list = Vec::new();
    let mut at = offset;
    for i in 0..count {
        let mut c = Reader::at(msg, at);
        let t = NegotiateContextType(c.u16()?);
        let len = usize::from(c.u16()?);
        c.skip(4)?;
        let data = c.take(len)?;
        list.push(NegotiateContext::decode_data(t, data)?);
        at = c.position();
        if i + 1 < count {
            at = align8(at);
        }
    }
    Ok((list, at))
}

/// Pads `out` to 8 and appends the contexts, 8-aligned; returns the offset of the first.
fn encode_contexts(list: &[NegotiateContext], out: &mut Vec<u8>) -> usize {
    out.resize(align8(out.len()), 0);
    let first = out.len();
    for (i, ctx) in list.iter().enumerate() {
        if i > 0 {
            out.resize(align8(out.len()), 0);
        }
        out.put_u16_le(ctx.context_type().0);
        let len_at = out.len();
        out.put_u16_le(0);
        out.put_u32_le(0);
        let start = out.len();
        ctx.encode_data(out);
        let n = (out.len() - start) as u16;
        out[len_at..len_at + 2].copy_from_slice(&n.to_le_bytes());
    }
    first
}

/// An SMB2 NEGOTIATE Request (MS-SMB2 2.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegotiateRequest {
    /// SecurityMode.
    pub security_mode: SecurityMode,
    /// Capabilities.
    pub capabilities: Capabilities,
    /// ClientGuid.
    pub client_guid: [u8; 16],
    /// Dialects, in the client's order.
    pub dialects: Vec<Dialect>,
    /// Negotiate contexts (only with [`Dialect::SMB_3_1_1`] among the dialects).
    pub contexts: Vec<NegotiateContext>,
}

impl NegotiateRequest {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(REQUEST_SIZE)?;
        let dialect_count = usize::from(c.u16()?);
        let security_mode = SecurityMode(c.u16()?);
        c.skip(2)?;
        let capabilities = Capabilities(c.u32()?);
        let client_guid = c.array()?;
        let ctx_offset = c.u32()? as usize;
        let ctx_count = usize::from(c.u16()?);
        c.skip(2)?;
        let dialects = u16_list(&mut c, dialect_count, Dialect)?;
        let mut end = c.position();
        let mut contexts = Vec::new();
        if dialects.contains(&Dialect::SMB_3_1_1) && ctx_count > 0 {
            let (list, e) = decode_contexts(msg, ctx_offset, ctx_count, end)?;
            contexts = list;
            end = e;
        }
        check_end(msg, end)?;
        Ok(NegotiateRequest {
            security_mode,
            capabilities,
            client_guid,
            dialects,
            contexts,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(REQUEST_SIZE);
        out.put_u16_le(self.dialects.len() as u16);
        out.put_u16_le(self.security_mode.0);
        out.put_u16_le(0);
        out.put_u32_le(self.capabilities.0);
        out.put_slice(&self.client_guid);
        let ctx_at = out.len();
        out.put_u64_le(0);
        put_u16_list(out, self.dialects.iter().map(|d| d.0));
        if self.dialects.contains(&Dialect::SMB_3_1_1) && !self.contexts.is_empty() {
            let first = encode_contexts(&self.contexts, out) as u32;
            out[ctx_at..ctx_at + 4].copy_from_slice(&first.to_le_bytes());
            let n = self.contexts.len() as u16;
            out[ctx_at + 4..ctx_at + 6].copy_from_slice(&n.to_le_bytes());
        }
    }
}

/// An SMB2 NEGOTIATE Response (MS-SMB2 2.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegotiateResponse {
    /// SecurityMode.
    pub security_mode: SecurityMode,
    /// DialectRevision.
    pub dialect: Dialect,
    /// ServerGuid.
    pub server_guid: [u8; 16],
    /// Capabilities.
    pub capabilities: Capabilities,
    /// MaxTransactSize.
    pub max_transact_size: u32,
    /// MaxReadSize.
    pub max_read_size: u32,
    /// MaxWriteSize.
    pub max_write_size: u32,
    /// SystemTime (FILETIME).
    pub system_time: u64,
    /// ServerStartTime (FILETIME).
    pub server_start_time: u64,
    /// The security buffer (a GSS/SPNEGO token).
    pub security_buffer: Vec<u8>,
    /// Negotiate contexts (only when the dialect is 3.1.1).
    pub contexts: Vec<NegotiateContext>,
}

impl NegotiateResponse {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(RESPONSE_SIZE)?;
        let security_mode = SecurityMode(c.u16()?);
        let dialect = Dialect(c.u16()?);
        let ctx_count = usize::from(c.u16()?);
        let server_guid = c.array()?;
        let capabilities = Capabilities(c.u32()?);
        let max_transact_size = c.u32()?;
        let max_read_size = c.u32()?;
        let max_write_size = c.u32()?;
        let system_time = c.u64()?;
        let server_start_time = c.u64()?;
        let sec_offset = usize::from(c.u16()?);
        let sec_len = usize::from(c.u16()?);
        let ctx_offset = c.u32()? as usize;
        let fixed = c.position();
        let security_buffer = c.buffer_at(sec_offset, sec_len, fixed)?.to_vec();
        let mut end = if sec_len == 0 {
            fixed + usize::from(msg.len() > fixed)
        } else {
            sec_offset + sec_len
        };
        let mut contexts = Vec::new();
        if dialect == Dialect::SMB_3_1_1 && ctx_count > 0 {
            let (list, e) = decode_contexts(msg, ctx_offset, ctx_count, fixed)?;
            contexts = list;
            end = end.max(e);
        }
        check_end(msg, end)?;
        Ok(NegotiateResponse {
            security_mode,
            dialect,
            server_guid,
            capabilities,
            max_transact_size,
            max_read_size,
            max_write_size,
            system_time,
            server_start_time,
            security_buffer,
            contexts,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let with_ctx = self.dialect == Dialect::SMB_3_1_1 && !self.contexts.is_empty();
        out.put_u16_le(RESPONSE_SIZE);
        out.put_u16_le(self.security_mode.0);
        out.put_u16_le(self.dialect.0);
        out.put_u16_le(if with_ctx {
            self.contexts.len() as u16
        } else {
            0
        });
        out.put_slice(&self.server_guid);
        out.put_u32_le(self.capabilities.0);
        out.put_u32_le(self.max_transact_size);
        out.put_u32_le(self.max_read_size);
        out.put_u32_le(self.max_write_size);
        out.put_u64_le(self.system_time);
        out.put_u64_le(self.server_start_time);
        let sec_at = out.len();
        out.put_u16_le((sec_at + 8) as u16);
        debug_assert!(self.security_buffer.len() <= usize::from(u16::MAX));
        out.put_u16_le(self.security_buffer.len() as u16);
        out.put_u32_le(0);
        out.put_slice(&self.security_buffer);
        if self.security_buffer.is_empty() {
            out.put_u8(0);
        }
        if with_ctx {
            let first = encode_contexts(&self.contexts, out) as u32;
            out[sec_at + 4..sec_at + 8].copy_from_slice(&first.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_request() -> NegotiateRequest {
        NegotiateRequest {
            security_mode: SecurityMode::SIGNING_ENABLED,
            capabilities: Capabilities::DFS | Capabilities::LEASING | Capabilities::ENCRYPTION,
            client_guid: [0x11; 16],
            dialects: vec![
                Dialect::SMB_2_0_2,
                Dialect::SMB_2_1,
                Dialect::SMB_3_0,
                Dialect::SMB_3_0_2,
                Dialect::SMB_3_1_1,
            ],
            contexts: vec![
                NegotiateContext::PreauthIntegrity(PreauthIntegrity {
                    hash_algorithms: vec![HashAlgorithm::SHA512],
                    salt: vec![0xAB; 32],
                }),
                NegotiateContext::Encryption(vec![Cipher::AES_128_GCM, Cipher::AES_128_CCM]),
                NegotiateContext::Compression(CompressionCapabilities {
                    flags: CompressionFlags::CHAINED,
                    algorithms: vec![CompressionAlgorithm::LZ77, CompressionAlgorithm::PATTERN_V1],
                }),
                NegotiateContext::NetName("server.example".into()),
                NegotiateContext::Transport(TransportFlags::ACCEPT_TRANSPORT_LEVEL_SECURITY),
                NegotiateContext::RdmaTransform(vec![RdmaTransformId::ENCRYPTION]),
                NegotiateContext::Signing(vec![SigningAlgorithm::AES_GMAC]),
                NegotiateContext::Other {
                    context_type: NegotiateContextType(0x100),
                    data: vec![1, 2, 3],
                },
            ],
        }
    }

    #[test]
    fn request_round_trip_and_layout() {
        let r = sample_request();
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        // Dialects right after the 36-byte fixed part; contexts at an 8-aligned offset.
        assert_eq!(&out[100..102], &[0x02, 0x02]);
        let off = u32::from_le_bytes([out[92], out[93], out[94], out[95]]) as usize;
        assert_eq!(off % 8, 0);
        assert_eq!(off, 112);
        assert_eq!(NegotiateRequest::decode(&out).unwrap(), r);
        for n in 0..out.len() {
            assert!(NegotiateRequest::decode(&out[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn response_round_trip() {
        let r = NegotiateResponse {
            security_mode: SecurityMode::SIGNING_ENABLED,
            dialect: Dialect::SMB_3_1_1,
            server_guid: [2; 16],
            capabilities: Capabilities::LARGE_MTU,
            max_transact_size: 8 << 20,
            max_read_size: 8 << 20,
            max_write_size: 8 << 20,
            system_time: 133_000_000_000_000_000,
            server_start_time: 0,
            security_buffer: vec![0x60, 0x28, 1, 2, 3],
            contexts: vec![NegotiateContext::Encryption(vec![Cipher::AES_128_GCM])],
        };
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        assert_eq!(NegotiateResponse::decode(&out).unwrap(), r);
        let mut old = r.clone();
        old.dialect = Dialect::SMB_2_1;
        old.contexts.clear();
        old.security_buffer.clear();
        let mut out = vec![0; HEADER_LEN];
        old.encode(&mut out);
        assert_eq!(out.len(), HEADER_LEN + 65);
        assert_eq!(NegotiateResponse::decode(&out).unwrap(), old);
    }
}
