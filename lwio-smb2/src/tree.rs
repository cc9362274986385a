//! SMB2 TREE_CONNECT Request and Response (MS-SMB2 2.2.9, 2.2.10) with the 3.1.1 request
//! extension and tree connect contexts (2.2.9.1, 2.2.9.2), and TREE_DISCONNECT (2.2.11,
//! 2.2.12).
//!
//! The only context type MS-SMB2 defines, the remoted identity (2.2.9.2.1), is a nest of
//! security structures the server does not act on; every context is kept raw.
//! TreeConnectContextOffset is counted from the start of the TREE_CONNECT request body
//! (the byte after the SMB2 header), as 2.2.9.1 words it.

use bytes::BufMut;
use lwio_types::AccessMask;

use crate::codec::{DecodeError, Reader, Smb2Reader, align8, to_utf16le, utf16le};
use crate::header::{
    HEADER_LEN, check_end, decode_reserved4, encode_reserved4, fixed_end, open_enum, open_flags,
};
use crate::session::reserved4;

/// StructureSize of the request.
const REQUEST_SIZE: u16 = 9;
/// StructureSize of the response.
const RESPONSE_SIZE: u16 = 16;
/// The size of the request extension before PathName.
const EXTENSION_LEN: usize = 16;

open_flags! {
    /// Flags of a 3.1.1 TREE_CONNECT request (MS-SMB2 2.2.9).
    pub struct TreeConnectFlags(u16) {
        /// SMB2_TREE_CONNECT_FLAG_CLUSTER_RECONNECT.
        const CLUSTER_RECONNECT = 0x0001;
        /// SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER.
        const REDIRECT_TO_OWNER = 0x0002;
        /// SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT: the Buffer starts with the extension.
        const EXTENSION_PRESENT = 0x0004;
    }
}

open_enum! {
    /// A tree connect context type (MS-SMB2 2.2.9.2).
    pub struct TreeConnectContextType(u16) {
        /// SMB2_RESERVED_TREE_CONNECT_CONTEXT_ID.
        const RESERVED = 0x0000;
        /// SMB2_REMOTED_IDENTITY_TREE_CONNECT_CONTEXT_ID.
        const REMOTED_IDENTITY = 0x0001;
    }
}

/// One tree connect context (MS-SMB2 2.2.9.2), raw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TreeConnectContext {
    /// ContextType.
    pub context_type: TreeConnectContextType,
    /// Data.
    pub data: Vec<u8>,
}

/// An SMB2 TREE_CONNECT Request (MS-SMB2 2.2.9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TreeConnectRequest {
    /// Flags (3.1.1; Reserved before). EXTENSION_PRESENT is set on encode when
    /// `contexts` is not empty; with it the extension is written even without contexts.
    pub flags: TreeConnectFlags,
    /// The share path, `\\server\share`.
    pub path: String,
    /// Tree connect contexts (with the extension).
    pub contexts: Vec<TreeConnectContext>,
}

impl TreeConnectRequest {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(REQUEST_SIZE)?;
        let flags = TreeConnectFlags(c.u16()?);
        let path_offset = usize::from(c.u16()?);
        let path_len = usize::from(c.u16()?);
        let fixed = c.position();
        let mut contexts = Vec::new();
        let mut end = fixed_end(msg, REQUEST_SIZE);
        let mut min_path = fixed;
        if flags.contains(TreeConnectFlags::EXTENSION_PRESENT) {
            let ctx_offset = c.u32()? as usize;
            let count = usize::from(c.u16()?);
            c.skip(10)?;
            min_path = c.position();
            end = end.max(min_path);
            if count > 0 {
                let mut at = HEADER_LEN
                    .checked_add(ctx_offset)
                    .filter(|a| *a >= min_path && a % 8 == 0)
                    .ok_or(DecodeError::BadBuffer {
                        offset: ctx_offset,
                        length: 0,
                    })?;
                for i in 0..count {
                    let mut cc = Reader::at(msg, at);
                    let context_type = TreeConnectContextType(cc.u16()?);
                    let len = usize::from(cc.u16()?);
                    cc.skip(4)?;
                    let data = cc.take(len)?.to_vec();
                    contexts.push(TreeConnectContext { context_type, data });
                    at = cc.position();
                    if i + 1 < count {
                        at = align8(at);
                    }
                }
                end = end.max(at);
            }
        }
        let path = utf16le(c.buffer_at(path_offset, path_len, min_path)?)?;
        if path_len > 0 {
            end = end.max(path_offset + path_len);
        }
        check_end(msg, end)?;
        Ok(TreeConnectRequest {
            flags,
            path,
            contexts,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let path = to_utf16le(&self.path);
        let ext =
            !self.contexts.is_empty() || self.flags.contains(TreeConnectFlags::EXTENSION_PRESENT);
        let flags = if ext {
            self.flags | TreeConnectFlags::EXTENSION_PRESENT
        } else {
            self.flags.without(TreeConnectFlags::EXTENSION_PRESENT)
        };
        out.put_u16_le(REQUEST_SIZE);
        out.put_u16_le(flags.0);
        let path_at = out.len();
        out.put_u16_le(0);
        debug_assert!(path.len() <= usize::from(u16::MAX));
        out.put_u16_le(path.len() as u16);
        let body = path_at - 4;
        let ext_at = out.len();
        if ext {
            out.put_slice(&[0; EXTENSION_LEN]);
        }
        let path_offset = out.len() as u16;
        out[path_at..path_at + 2].copy_from_slice(&path_offset.to_le_bytes());
        out.put_slice(&path);
        if ext {
            for (i, ctx) in self.contexts.iter().enumerate() {
                out.resize(align8(out.len()), 0);
                if i == 0 {
                    let off = (out.len() - body) as u32;
                    out[ext_at..ext_at + 4].copy_from_slice(&off.to_le_bytes());
                }
                out.put_u16_le(ctx.context_type.0);
                out.put_u16_le(ctx.data.len() as u16);
                out.put_u32_le(0);
                out.put_slice(&ctx.data);
            }
            let n = self.contexts.len() as u16;
            out[ext_at + 4..ext_at + 6].copy_from_slice(&n.to_le_bytes());
        } else if path.is_empty() {
            out.put_u8(0);
        }
    }
}

open_enum! {
    /// ShareType of a TREE_CONNECT response (MS-SMB2 2.2.10).
    pub struct ShareType(u8) {
        /// SMB2_SHARE_TYPE_DISK.
        const DISK = 0x01;
        /// SMB2_SHARE_TYPE_PIPE.
        const PIPE = 0x02;
        /// SMB2_SHARE_TYPE_PRINT.
        const PRINT = 0x03;
    }
}

open_flags! {
    /// ShareFlags of a TREE_CONNECT response (MS-SMB2 2.2.10). The caching mode is the
    /// two bits of [`ShareFlags::CACHING_MASK`] (manual caching is 0).
    pub struct ShareFlags(u32) {
        /// SMB2_SHAREFLAG_NO_CACHING (both caching bits).
        const NO_CACHING = 0x0000_0030;
        /// SMB2_SHAREFLAG_AUTO_CACHING.
        const AUTO_CACHING = 0x0000_0010;
        /// SMB2_SHAREFLAG_VDO_CACHING.
        const VDO_CACHING = 0x0000_0020;
        /// SMB2_SHAREFLAG_DFS.
        const DFS = 0x0000_0001;
        /// SMB2_SHAREFLAG_DFS_ROOT.
        const DFS_ROOT = 0x0000_0002;
        /// SMB2_SHAREFLAG_RESTRICT_EXCLUSIVE_OPENS.
        const RESTRICT_EXCLUSIVE_OPENS = 0x0000_0100;
        /// SMB2_SHAREFLAG_FORCE_SHARED_DELETE.
        const FORCE_SHARED_DELETE = 0x0000_0200;
        /// SMB2_SHAREFLAG_ALLOW_NAMESPACE_CACHING.
        const ALLOW_NAMESPACE_CACHING = 0x0000_0400;
        /// SMB2_SHAREFLAG_ACCESS_BASED_DIRECTORY_ENUM.
        const ACCESS_BASED_DIRECTORY_ENUM = 0x0000_0800;
        /// SMB2_SHAREFLAG_FORCE_LEVELII_OPLOCK.
        const FORCE_LEVELII_OPLOCK = 0x0000_1000;
        /// SMB2_SHAREFLAG_ENABLE_HASH_V1.
        const ENABLE_HASH_V1 = 0x0000_2000;
        /// SMB2_SHAREFLAG_ENABLE_HASH_V2.
        const ENABLE_HASH_V2 = 0x0000_4000;
        /// SMB2_SHAREFLAG_ENCRYPT_DATA.
        const ENCRYPT_DATA = 0x0000_8000;
        /// SMB2_SHAREFLAG_IDENTITY_REMOTING.
        const IDENTITY_REMOTING = 0x0004_0000;
        /// SMB2_SHAREFLAG_COMPRESS_DATA.
        const COMPRESS_DATA = 0x0010_0000;
        /// SMB2_SHAREFLAG_ISOLATED_TRANSPORT.
        const ISOLATED_TRANSPORT = 0x0020_0000;
    }
}

impl ShareFlags {
    /// The bits that hold the caching mode.
    pub const CACHING_MASK: ShareFlags = ShareFlags(0x30);
    /// SMB2_SHAREFLAG_MANUAL_CACHING (the value of the caching bits, 0).
    pub const MANUAL_CACHING: ShareFlags = ShareFlags(0);

    /// The caching mode: one of MANUAL_CACHING, AUTO_CACHING, VDO_CACHING, NO_CACHING.
    pub const fn caching(self) -> ShareFlags {
        ShareFlags(self.0 & Self::CACHING_MASK.0)
    }
}

open_flags! {
    /// Capabilities of a share (MS-SMB2 2.2.10).
    pub struct ShareCapabilities(u32) {
        /// SMB2_SHARE_CAP_DFS.
        const DFS = 0x0000_0008;
        /// SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY.
        const CONTINUOUS_AVAILABILITY = 0x0000_0010;
        /// SMB2_SHARE_CAP_SCALEOUT.
        const SCALEOUT = 0x0000_0020;
        /// SMB2_SHARE_CAP_CLUSTER.
        const CLUSTER = 0x0000_0040;
        /// SMB2_SHARE_CAP_ASYMMETRIC.
        const ASYMMETRIC = 0x0000_0080;
        /// SMB2_SHARE_CAP_REDIRECT_TO_OWNER.
        const REDIRECT_TO_OWNER = 0x0000_0100;
    }
}

/// An SMB2 TREE_CONNECT Response (MS-SMB2 2.2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TreeConnectResponse {
    /// ShareType.
    pub share_type: ShareType,
    /// ShareFlags.
    pub share_flags: ShareFlags,
    /// Capabilities.
    pub capabilities: ShareCapabilities,
    /// MaximalAccess of the user on the share.
    pub maximal_access: AccessMask,
}

impl TreeConnectResponse {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(RESPONSE_SIZE)?;
        let share_type = ShareType(c.u8()?);
        c.skip(1)?;
        let share_flags = ShareFlags(c.u32()?);
        let capabilities = ShareCapabilities(c.u32()?);
        let maximal_access = AccessMask(c.u32()?);
        check_end(msg, c.position())?;
        Ok(TreeConnectResponse {
            share_type,
            share_flags,
            capabilities,
            maximal_access,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(RESPONSE_SIZE);
        out.put_u8(self.share_type.0);
        out.put_u8(0);
        out.put_u32_le(self.share_flags.0);
        out.put_u32_le(self.capabilities.0);
        out.put_u32_le(self.maximal_access.0);
    }
}

/// An SMB2 TREE_DISCONNECT Request (MS-SMB2 2.2.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TreeDisconnectRequest;

/// An SMB2 TREE_DISCONNECT Response (MS-SMB2 2.2.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TreeDisconnectResponse;

reserved4!(TreeDisconnectRequest, TreeDisconnectResponse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_forms() {
        let plain = TreeConnectRequest {
            flags: TreeConnectFlags::empty(),
            path: "\\\\srv\\share".into(),
            contexts: vec![],
        };
        let mut out = vec![0; HEADER_LEN];
        plain.encode(&mut out);
        assert_eq!(&out[68..70], &72u16.to_le_bytes());
        assert_eq!(TreeConnectRequest::decode(&out).unwrap(), plain);
        let ext = TreeConnectRequest {
            flags: TreeConnectFlags::EXTENSION_PRESENT | TreeConnectFlags::REDIRECT_TO_OWNER,
            path: "\\\\srv\\x".into(),
            contexts: vec![TreeConnectContext {
                context_type: TreeConnectContextType::REMOTED_IDENTITY,
                data: vec![1; 9],
            }],
        };
        let mut out = vec![0; HEADER_LEN];
        ext.encode(&mut out);
        assert_eq!(TreeConnectRequest::decode(&out).unwrap(), ext);
        for n in 0..out.len() {
            assert!(TreeConnectRequest::decode(&out[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn response_and_disconnect() {
        let r = TreeConnectResponse {
            share_type: ShareType::DISK,
            share_flags: ShareFlags::NO_CACHING | ShareFlags::ENCRYPT_DATA,
            capabilities: ShareCapabilities::DFS,
            maximal_access: AccessMask::FILE_ALL_ACCESS,
        };
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        assert_eq!(out.len(), 80);
        assert_eq!(TreeConnectResponse::decode(&out).unwrap(), r);
        assert_eq!(r.share_flags.caching(), ShareFlags::NO_CACHING);
        let mut out = vec![0; HEADER_LEN];
        TreeDisconnectRequest.encode(&mut out);
        assert_eq!(
            TreeDisconnectResponse::decode(&out),
            Ok(TreeDisconnectResponse)
        );
    }
}
